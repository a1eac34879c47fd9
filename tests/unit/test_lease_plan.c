#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/lease_plan.h"

#include "../../diff/base/json_value.h"

#include <stdio.h>
#include <string.h>

#define NKEYS 300

static const char *key_name(size_t i)
{
	static char names[NKEYS][16];

	snprintf(names[i], sizeof(names[i]), "source-%zu", i);
	return names[i];
}

/* 300 sources over 5 members: each gets its share, give or take. A member
 * that joins takes only sources that go to it; one that leaves gives
 * only its own; the others keep theirs. */
static void test_lease_plan__rendezvous_moves_only_what_it_must(void **state)
{
	const char *five[] = {"berth-0", "berth-1", "berth-2", "berth-3", "berth-4"};
	const char *six[] = {"berth-0", "berth-1", "berth-2", "berth-3", "berth-4", "berth-5"};
	const char *four[] = {"berth-0", "berth-1", "berth-3", "berth-4"};
	size_t count[5] = {0}, i, moved = 0;

	(void)state;
	assert_int_equal(lease_assign(five, 0, "x"), SIZE_MAX);
	for (i = 0; i < NKEYS; i++) {
		size_t a = lease_assign(five, 5, key_name(i)),
		       b = lease_assign(six, 6, key_name(i));
		size_t c = lease_assign(four, 4, key_name(i));

		count[a]++;
		/* The same on every replica, whatever the members' order. */
		assert_string_equal(five[a], six[lease_assign(six, 5, key_name(i))]);
		if (b != a) {
			assert_int_equal(b, 5);
			moved++;
		}
		if (strcmp(five[a], "berth-2"))
			assert_string_equal(four[c], five[a]);
	}
	for (i = 0; i < 5; i++)
		assert_in_range(count[i], 40, 80);
	/* About a sixth moves to the sixth member. */
	assert_in_range(moved, 30, 70);
}

static struct source_config with_deps(char *name, char **deps)
{
	struct source_config s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.depends_on = deps;
	return s;
}

/* A source is assigned by the first source it is joined to by dependsOn,
 * either way, so that a group has one owner. */
static void test_lease_plan__dependencies_share_one_key(void **state)
{
	char *db[] = {"db", NULL}, *app[] = {"app", NULL}, *cache[] = {"cache", NULL};
	struct source_config sources[5] = {with_deps("db", NULL), with_deps("cache", NULL),
	                                   with_deps("app", db), with_deps("web", app),
	                                   with_deps("metrics", cache)};
	struct config c = {.sources = sources, .n = 5};
	const char *keys[5];

	(void)state;
	lease_group_keys(keys, &c);
	assert_string_equal(keys[0], "db");
	assert_string_equal(keys[1], "cache");
	assert_string_equal(keys[2], "db");
	assert_string_equal(keys[3], "db");
	assert_string_equal(keys[4], "cache");
}

static struct json_object *lease(const char *holder, const char *renewed, const char *trigger)
{
	char text[512];

	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"berth-source-db\",\"resourceVersion\":\"7\","
	         "\"labels\":{\"berth.io/lease\":\"source\"}%s%s%s},"
	         "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":60,"
	         "\"renewTime\":\"%s\",\"acquireTime\":\"2026-01-01T00:00:00.000000Z\","
	         "\"leaseTransitions\":4}}",
	         trigger ? ",\"annotations\":{\"berth.io/trigger\":\"" : "", trigger ? trigger : "",
	         trigger ? "\"}" : "", holder, renewed);
	return json_value_parse(text, strlen(text));
}

/* Expiry is what this replica observed: a Lease whose renewTime does not
 * change for its duration has expired, whatever its times say; a renewal
 * seen starts it again; a Lease without a holder is free. */
static void test_lease_plan__expiry_is_observed_on_the_local_clock(void **state)
{
	struct lease_record r;
	struct json_object *a = lease("berth-1", "2026-01-01T00:00:01.000000Z", NULL);
	struct json_object *b = lease("berth-1", "2026-01-01T00:00:21.000000Z", NULL);
	struct json_object *c = lease("berth-1", "2026-01-01T00:00:21.000000Z", "{}");
	struct json_object *d = lease("", "2026-01-01T00:00:22.000000Z", "{}");

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(lease_record_set(&r, a, 1000),
	                 LEASE_CHANGED_HOLDER | LEASE_CHANGED_RENEW | LEASE_CHANGED_TRIGGER);
	assert_false(r.member);
	assert_int_equal(r.duration_ms, 60000);
	assert_false(lease_record_free(&r, 60999));
	assert_true(lease_record_free(&r, 61000));
	/* The same object again: nothing observed. */
	assert_int_equal(lease_record_set(&r, a, 50000), 0);
	assert_true(lease_record_free(&r, 61000));
	assert_int_equal(lease_record_set(&r, b, 50000), LEASE_CHANGED_RENEW);
	assert_false(lease_record_free(&r, 109999));
	assert_true(lease_record_free(&r, 110000));
	/* A webhook handed over is no renewal. */
	assert_int_equal(lease_record_set(&r, c, 100000), LEASE_CHANGED_TRIGGER);
	assert_string_equal(r.trigger, "{}");
	assert_true(lease_record_free(&r, 110000));
	assert_int_equal(lease_record_set(&r, d, 100000),
	                 LEASE_CHANGED_HOLDER | LEASE_CHANGED_RENEW);
	assert_null(r.holder);
	assert_true(lease_record_free(&r, 100000));
	lease_record_release(&r);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	json_object_put(d);
}

/* The Lease written: a new one, labelled; taken from another (acquireTime
 * and a transition more); renewed (both kept); given up (no holder). The
 * resourceVersion read is sent back, for the server to refuse a write
 * over a change. */
static void test_lease_plan__the_lease_written(void **state)
{
	struct lease_record r;
	struct json_object *a =
	    lease("berth-1", "2026-01-01T00:00:01.000000Z", "{\\\"ref\\\":\\\"x\\\"}");
	struct json_object *body;
	const char *now = "2026-01-02T00:00:00.000000Z";
	char text[32];
	struct timespec ts = {1767225601, 5000};

	(void)state;
	lease_time(text, &ts);
	assert_string_equal(text, "2026-01-01T00:00:01.000005Z");
	body = lease_body(NULL, "berth-member-b", "berth", "member", "b", 15, now);
	assert_string_equal(json_object_to_json_string_ext(
	                        body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	                    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
	                    "\"metadata\":{\"name\":\"berth-member-b\",\"namespace\":\"berth\","
	                    "\"labels\":{\"berth.io/lease\":\"member\","
	                    "\"app.kubernetes.io/managed-by\":\"berth\"}},"
	                    "\"spec\":{\"holderIdentity\":\"b\",\"leaseDurationSeconds\":15,"
	                    "\"renewTime\":\"2026-01-02T00:00:00.000000Z\","
	                    "\"acquireTime\":\"2026-01-02T00:00:00.000000Z\"}}");
	json_object_put(body);
	memset(&r, 0, sizeof(r));
	lease_record_set(&r, a, 0);
	body = lease_body(&r, "berth-source-db", "berth", "source", "berth-2", 60, now);
	assert_string_equal(
	    json_value_get_string(json_value_get(body, "metadata"), "resourceVersion"), "7");
	assert_string_equal(
	    json_value_get_string(json_value_get(json_value_get(body, "metadata"), "annotations"),
	                          "berth.io/trigger"),
	    "{\"ref\":\"x\"}");
	assert_string_equal(json_value_get_string(json_value_get(body, "spec"), "acquireTime"),
	                    now);
	assert_int_equal(
	    json_object_get_int(json_value_get(json_value_get(body, "spec"), "leaseTransitions")),
	    5);
	json_object_put(body);
	body = lease_body(&r, "berth-source-db", "berth", "source", "berth-1", 60, now);
	assert_string_equal(json_value_get_string(json_value_get(body, "spec"), "acquireTime"),
	                    "2026-01-01T00:00:00.000000Z");
	assert_int_equal(
	    json_object_get_int(json_value_get(json_value_get(body, "spec"), "leaseTransitions")),
	    4);
	assert_string_equal(json_value_get_string(json_value_get(body, "spec"), "renewTime"), now);
	json_object_put(body);
	body = lease_body(&r, "berth-source-db", "berth", "source", "", 1, now);
	assert_string_equal(json_value_get_string(json_value_get(body, "spec"), "holderIdentity"),
	                    "");
	assert_int_equal(json_object_get_int(
	                     json_value_get(json_value_get(body, "spec"), "leaseDurationSeconds")),
	                 1);
	json_object_put(body);
	lease_record_release(&r);
	json_object_put(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lease_plan__rendezvous_moves_only_what_it_must),
	    cmocka_unit_test(test_lease_plan__dependencies_share_one_key),
	    cmocka_unit_test(test_lease_plan__expiry_is_observed_on_the_local_clock),
	    cmocka_unit_test(test_lease_plan__the_lease_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
