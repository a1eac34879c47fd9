/* The pure half of the leases: assignment, expiry, and the Lease to
 * write. */
#include "lease_plan.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/json_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

unsigned lease_record_set(struct lease_record *r, struct json_object *obj, double now)
{
	struct json_object *meta = json_value_get(obj, "metadata"),
	                   *spec = json_value_get(obj, "spec");
	struct json_object *labels = json_value_get(meta, "labels");
	char *holder = xstrdup_or_null(json_value_get_string(spec, "holderIdentity"));
	char *renewed = xstrdup_or_null(json_value_get_string(spec, "renewTime"));
	char *trigger = xstrdup_or_null(
	    json_value_get_string(json_value_get(meta, "annotations"), LEASE_TRIGGER_KEY));
	unsigned changed = 0;

	if (holder && !*holder) {
		free(holder);
		holder = NULL;
	}
	if (!r->name || !same(holder, r->holder))
		changed |= LEASE_CHANGED_HOLDER;
	if (!r->name || !same(renewed, r->renewed))
		changed |= LEASE_CHANGED_RENEW;
	if (!r->name || !same(trigger, r->trigger))
		changed |= LEASE_CHANGED_TRIGGER;
	if (!r->name)
		r->name = xstrdup_or_null(json_value_get_string(meta, "name"));
	if (changed & (LEASE_CHANGED_HOLDER | LEASE_CHANGED_RENEW))
		r->observed_ms = now;
	free(r->holder);
	free(r->renewed);
	free(r->trigger);
	r->holder = holder;
	r->renewed = renewed;
	r->trigger = trigger;
	r->duration_ms =
	    (long)json_object_get_int64(json_value_get(spec, "leaseDurationSeconds")) * 1000;
	r->transitions = (long)json_object_get_int64(json_value_get(spec, "leaseTransitions"));
	r->member = same(json_value_get_string(labels, LEASE_LABEL), "member");
	/* A copy of its own: json-c's counts are not atomic, and the object
	 * may be released on another thread. */
	json_object_put(r->obj);
	r->obj = json_value_copy(obj);
	return changed;
}

void lease_record_release(struct lease_record *r)
{
	free(r->name);
	free(r->holder);
	free(r->renewed);
	free(r->trigger);
	json_object_put(r->obj);
	memset(r, 0, sizeof(*r));
}

bool lease_record_free(const struct lease_record *r, double now)
{
	return !r->holder || r->observed_ms + (double)r->duration_ms <= now;
}

/* FNV-1a over `s` and its NUL, from `h`. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	} while (*s++);
	return h;
}

uint64_t lease_weight(const char *member, const char *key)
{
	/* splitmix64's finaliser: FNV alone spreads similar names poorly. */
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ull, member), key);

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

size_t lease_assign(const char *const *members, size_t n, const char *key)
{
	size_t i, best = SIZE_MAX;
	uint64_t top = 0;

	for (i = 0; i < n; i++) {
		uint64_t w = lease_weight(members[i], key);

		if (best == SIZE_MAX || w > top ||
		    (w == top && strcmp(members[i], members[best]) < 0)) {
			best = i;
			top = w;
		}
	}
	return best;
}

static size_t root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

void lease_group_keys(const char **keys, const struct config *c)
{
	size_t *parent = xcalloc(c->n + 1, sizeof(*parent));
	size_t i, j, k;

	for (i = 0; i < c->n; i++)
		parent[i] = i;
	for (i = 0; i < c->n; i++)
		for (k = 0; c->sources[i].depends_on && c->sources[i].depends_on[k]; k++)
			for (j = 0; j < c->n; j++)
				if (!strcmp(c->sources[j].name, c->sources[i].depends_on[k])) {
					size_t a = root(parent, i), b = root(parent, j);

					/* The smaller index is the root: the first in order. */
					parent[a > b ? a : b] = a > b ? b : a;
				}
	for (i = 0; i < c->n; i++)
		keys[i] = c->sources[root(parent, i)].name;
	free(parent);
}

void lease_time(char out[32], const struct timespec *ts)
{
	struct tm tm;
	char day[24];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%06dZ", day, (int)((ts->tv_nsec / 1000) % 1000000));
}

static struct json_object *child(struct json_object *parent, const char *key)
{
	struct json_object *v = json_value_get(parent, key);

	if (!json_object_is_type(v, json_type_object)) {
		v = json_object_new_object();
		json_object_object_add(parent, key, v);
	}
	return v;
}

struct json_object *lease_body(const struct lease_record *prev, const char *name, const char *ns,
                               const char *label, const char *holder, long duration_s,
                               const char *now)
{
	struct json_object *body = prev ? json_value_copy(prev->obj) : json_object_new_object();
	struct json_object *meta, *spec;
	bool taken = !prev || !same(prev->holder, *holder ? holder : NULL);

	json_object_object_add(body, "apiVersion",
	                       json_object_new_string("coordination.k8s.io/v1"));
	json_object_object_add(body, "kind", json_object_new_string("Lease"));
	meta = child(body, "metadata");
	if (!prev) {
		json_object_object_add(meta, "name", json_object_new_string(name));
		json_object_object_add(meta, "namespace", json_object_new_string(ns));
		json_object_object_add(child(meta, "labels"), LEASE_LABEL,
		                       json_object_new_string(label));
		json_object_object_add(child(meta, "labels"), "app.kubernetes.io/managed-by",
		                       json_object_new_string("berth"));
	}
	spec = child(body, "spec");
	json_object_object_add(spec, "holderIdentity", json_object_new_string(holder));
	json_object_object_add(spec, "leaseDurationSeconds", json_object_new_int64(duration_s));
	json_object_object_add(spec, "renewTime", json_object_new_string(now));
	if (taken && *holder) {
		json_object_object_add(spec, "acquireTime", json_object_new_string(now));
		if (prev)
			json_object_object_add(spec, "leaseTransitions",
			                       json_object_new_int64(prev->transitions < INT32_MAX
			                                                 ? prev->transitions + 1
			                                                 : 0));
	}
	return body;
}
