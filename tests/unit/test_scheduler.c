#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/scheduler.h"

#include "../../diff/base/clock.h"

#include <stdio.h>
#include <string.h>

#define MINUTE (60 * 1000.0)

static struct source_config source(char *name, char *repo, char *ref, long interval_ms)
{
	struct source_config s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.git.repo = repo;
	s.git.ref = ref;
	s.interval_ms = interval_ms;
	return s;
}

/* The next source due at `now`, as "name/why", or "none (wait S)". */
static void next(struct buf *out, struct scheduler *s, const struct config *c, double now)
{
	enum trigger_kind why;
	double wait;
	size_t i;

	buf_reset(out);
	if (scheduler_next(s, now, &i, &why, &wait))
		buf_addf(out, "%s/%s", c->sources[i].name, trigger_name(why));
	else
		buf_addf(out, "none (wait %.0f)", wait / 1000);
}

/* The next source due at `now` must be `want` ("name/why"); it is then
 * done at `done_at`, with the middle of its jitter. */
static void step(struct scheduler *s, const struct config *c, double now, const char *want,
                 double done_at)
{
	struct buf got = BUF_INIT;
	size_t i;

	next(&got, s, c, now);
	assert_string_equal(got.ptr, want);
	buf_release(&got);
	/* The source next() handed out, by the name it said. */
	for (i = 0; i < c->n && strncmp(want, c->sources[i].name, strlen(c->sources[i].name)); i++)
		;
	scheduler_done(s, i, done_at, 0.5);
}

/* A new scheduler runs every source at once, for its config, in the
 * config's order; each is then due after its interval. */
static void test_scheduler__each_source_at_once_then_on_its_interval(void **state)
{
	struct source_config sources[2] = {source("web", "https://h/a/web", NULL, 5 * MINUTE),
	                                   source("db", "https://h/a/db", NULL, 1 * MINUTE)};
	struct config c = {.sources = sources, .n = 2};
	struct scheduler *s;
	struct buf got = BUF_INIT;

	(void)state;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	step(s, &c, 1000, "web/config", 1000);
	step(s, &c, 1000, "db/config", 2000);
	/* web at 1 s + 300 s, db at 2 s + 60 s. */
	next(&got, s, &c, 3000);
	assert_string_equal(got.ptr, "none (wait 59)");
	step(s, &c, 62000, "db/interval", 62000);
	/* At 301 s both are due: db (since 122 s) before web. */
	step(s, &c, 301000, "db/interval", 301000);
	step(s, &c, 301000, "web/interval", 301000);
	buf_release(&got);
	scheduler_free(s);
}

/* The jitter spreads a due time over interval +- jitterPercent. */
static void test_scheduler__jitter_spreads_the_interval(void **state)
{
	struct source_config sources[1] = {source("web", "https://h/a/web", NULL, 100 * 1000)};
	struct config c = {.sources = sources, .n = 1};
	struct scheduler *s;
	struct buf got = BUF_INIT;

	(void)state;
	sources[0].jitter_percent = 10;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	next(&got, s, &c, 0);
	scheduler_done(s, 0, 0, 0); /* the low end: 90 s */
	next(&got, s, &c, 0);
	assert_string_equal(got.ptr, "none (wait 90)");
	next(&got, s, &c, 90000);
	scheduler_done(s, 0, 0, 0.999999); /* the high end: 110 s */
	next(&got, s, &c, 0);
	assert_string_equal(got.ptr, "none (wait 110)");
	buf_release(&got);
	scheduler_free(s);
}

/* A trigger makes its source due at once, says why, and wakes the loop;
 * one that comes while the source runs makes it due again when it is done,
 * instead of being lost. */
static void test_scheduler__a_trigger_is_never_lost(void **state)
{
	struct source_config sources[2] = {source("web", "https://h/a/web", NULL, 5 * MINUTE),
	                                   source("db", "https://h/a/db", NULL, 5 * MINUTE)};
	struct config c = {.sources = sources, .n = 2};
	struct trigger watch = {.kind = TRIGGER_WATCH, .source = "db", .object = "configmap x"};
	struct wakeup wake = WAKEUP_INIT;
	struct scheduler *s;
	struct buf got = BUF_INIT, answer = BUF_INIT;
	enum trigger_kind why;
	double wait, now = clock_now_ms();
	size_t i;

	(void)state;
	assert_int_equal(wakeup_open(&wake), 0);
	scheduler_new(&s, &wake);
	scheduler_follow(s, &c);
	scheduler_next(s, now, &i, &why, &wait);
	scheduler_done(s, i, now, 0.5);
	/* db runs... */
	assert_true(scheduler_next(s, now, &i, &why, &wait));
	assert_int_equal(i, 1);
	/* ... an object of db changes meanwhile: the loop is woken ... */
	assert_false(wakeup_wait(&wake, 0));
	assert_int_equal(scheduler_send(s, &watch, &answer), 1);
	assert_string_equal(answer.ptr, "reconciling db\n");
	assert_true(wakeup_wait(&wake, 0));
	/* ... and db is not due while it runs ... */
	next(&got, s, &c, now);
	assert_string_equal(got.ptr, "none (wait 300)");
	/* ... but at once once it is done, for the watch. */
	scheduler_done(s, 1, now, 0.5);
	next(&got, s, &c, now);
	assert_string_equal(got.ptr, "db/watch");
	scheduler_done(s, 1, now, 0.5);
	/* A trigger for no source wakes nothing. */
	watch.source = "gone";
	buf_reset(&answer);
	assert_int_equal(scheduler_send(s, &watch, &answer), 0);
	assert_string_equal(answer.ptr, "no source gone\n");
	assert_false(wakeup_wait(&wake, 0));
	next(&got, s, &c, now);
	assert_string_equal(got.ptr, "none (wait 300)");
	buf_release(&got);
	buf_release(&answer);
	scheduler_free(s);
	wakeup_close(&wake);
}

/* A watch event for a source already due for its interval, not yet run:
 * it runs for the watch (its log line says what it corrects), keeping its
 * place. */
static void test_scheduler__a_trigger_names_a_reconcile_its_interval_made_due(void **state)
{
	struct source_config sources[1] = {source("db", "https://h/a/db", NULL, 5 * MINUTE)};
	struct config c = {.sources = sources, .n = 1};
	struct trigger watch = {.kind = TRIGGER_WATCH, .source = "db", .object = "configmap x"};
	struct wakeup wake = WAKEUP_INIT;
	struct scheduler *s;
	struct buf got = BUF_INIT, answer = BUF_INIT;
	double now = clock_now_ms();

	(void)state;
	assert_int_equal(wakeup_open(&wake), 0);
	scheduler_new(&s, &wake);
	scheduler_follow(s, &c);
	/* Done 5 min and 1 s ago: due for its interval a second ago. */
	step(s, &c, now - 5 * MINUTE - 1000, "db/config", now - 5 * MINUTE - 1000);
	assert_int_equal(scheduler_send(s, &watch, &answer), 1);
	next(&got, s, &c, now);
	assert_string_equal(got.ptr, "db/watch");
	buf_release(&got);
	buf_release(&answer);
	scheduler_free(s);
	wakeup_close(&wake);
}

/* The source due longest goes first: one that a trigger keeps due does not
 * starve the others. */
static void test_scheduler__the_source_due_longest_goes_first(void **state)
{
	struct source_config sources[2] = {source("web", "https://h/a/web", NULL, 1 * MINUTE),
	                                   source("db", "https://h/a/db", NULL, 1 * MINUTE)};
	struct config c = {.sources = sources, .n = 2};
	struct trigger watch = {.kind = TRIGGER_WATCH, .source = "web", .object = "x"};
	struct scheduler *s;
	struct buf got = BUF_INIT;
	enum trigger_kind why;
	double wait, now = clock_now_ms();
	size_t i;

	(void)state;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	/* web runs first, and triggers itself (its own writes, watched). */
	scheduler_next(s, now, &i, &why, &wait);
	assert_int_equal(i, 0);
	scheduler_send(s, &watch, NULL);
	scheduler_done(s, 0, now, 0.5);
	/* db, due since the start, goes before web again. */
	next(&got, s, &c, clock_now_ms());
	assert_string_equal(got.ptr, "db/config");
	buf_release(&got);
	scheduler_free(s);
}

/* A reload makes every source due for the config, and keeps readiness by
 * name; a source it adds is not ready. */
static void test_scheduler__a_reload_keeps_readiness_by_name(void **state)
{
	struct source_config sources[3] = {source("web", "https://h/a/web", NULL, 5 * MINUTE),
	                                   source("db", "https://h/a/db", NULL, 5 * MINUTE),
	                                   source("new", "https://h/a/new", NULL, 5 * MINUTE)};
	struct config c = {.sources = sources, .n = 2};
	struct scheduler *s;
	struct buf got = BUF_INIT, waiting = BUF_INIT;
	enum trigger_kind why;
	double wait;
	size_t i;

	(void)state;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	assert_int_equal(scheduler_waiting(s, &waiting), 2);
	assert_string_equal(waiting.ptr, "not reconciled yet: web, db");
	while (scheduler_next(s, 0, &i, &why, &wait))
		scheduler_done(s, i, 0, 0.5);
	buf_reset(&waiting);
	assert_int_equal(scheduler_waiting(s, &waiting), 0);
	c.sources = sources + 1;
	c.n = 2;
	scheduler_follow(s, &c);
	buf_reset(&waiting);
	assert_int_equal(scheduler_waiting(s, &waiting), 1);
	assert_string_equal(waiting.ptr, "not reconciled yet: new");
	next(&got, s, &c, 0);
	assert_string_equal(got.ptr, "db/config");
	buf_release(&got);
	buf_release(&waiting);
	scheduler_free(s);
}

static char forwarded[128];

static void on_forward(void *ctx, const char *source, const char *ref, const char *delivery,
                       struct buf *answer)
{
	(void)ctx;
	snprintf(forwarded, sizeof(forwarded), "%s %s %s", source, ref, delivery);
	buf_addf(answer, "%s: handed to its owner", source);
}

/* Lease mode: a source is reconciled only once this replica took it; one
 * lost is handed out once more, to be forgotten; a push for one another
 * replica holds is handed over, and one handed over by name is due; the
 * replica is ready once it joined, owning nothing. */
static void test_scheduler__lease_mode_reconciles_only_what_it_holds(void **state)
{
	struct source_config sources[2] = {source("web", "https://h/a/app", NULL, 5 * MINUTE),
	                                   source("db", "https://h/a/app", NULL, 5 * MINUTE)};
	struct config c = {.sources = sources, .n = 2};
	struct trigger took = {.kind = TRIGGER_LEASE, .source = "db", .owned = true};
	struct trigger push = {.kind = TRIGGER_PUSH,
	                       .forge = FORGE_GITHUB,
	                       .delivery = "d1",
	                       .ref = "refs/heads/main"};
	struct buf got = BUF_INIT, waiting = BUF_INIT, repos = BUF_INIT, answer = BUF_INIT;
	struct scheduler *s;
	enum trigger_kind why;
	double wait;
	size_t i;

	(void)state;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	scheduler_lease(s, on_forward, NULL);
	assert_int_equal(scheduler_waiting(s, &waiting), 1);
	assert_string_equal(waiting.ptr, "not joined yet: this replica holds no member Lease");
	scheduler_joined(s, true);
	buf_reset(&waiting);
	assert_int_equal(scheduler_waiting(s, &waiting), 0);
	/* Due for the config, but held by no one here. */
	next(&got, s, &c, 1000);
	assert_string_equal(got.ptr, "none (wait 3600)");
	assert_int_equal(scheduler_send(s, &took, NULL), 1);
	step(s, &c, clock_now_ms(), "db/lease", 1000);
	/* A push: db is reconciled here, web handed over. */
	repo_key(&repos, "https://h/a/app");
	buf_addch(&repos, '\0');
	push.repos = &repos;
	assert_int_equal(scheduler_send(s, &push, &answer), 2);
	assert_string_equal(answer.ptr, "reconciling db; web: handed to its owner\n");
	assert_string_equal(forwarded, "web refs/heads/main d1");
	step(s, &c, clock_now_ms(), "db/push", 2000);
	/* Handed over by name, by the replica that got it. */
	push.source = "db";
	push.object = "push of refs/heads/main (delivery d2, through other)";
	assert_int_equal(scheduler_send(s, &push, NULL), 1);
	step(s, &c, clock_now_ms(), "db/push", 3000);
	/* Lost: handed out once, for the loop to forget; then never. */
	took.owned = false;
	scheduler_send(s, &took, NULL);
	step(s, &c, clock_now_ms(), "db/lease", 4000);
	next(&got, s, &c, clock_now_ms() + 10 * MINUTE);
	assert_string_equal(got.ptr, "none (wait 3600)");
	/* Lost while it runs: handed out once more, when it is done. */
	took.owned = true;
	scheduler_send(s, &took, NULL);
	assert_true(scheduler_next(s, clock_now_ms(), &i, &why, &wait));
	took.owned = false;
	scheduler_send(s, &took, NULL);
	scheduler_done(s, i, clock_now_ms(), 0.5);
	step(s, &c, clock_now_ms(), "db/lease", 5000);
	next(&got, s, &c, clock_now_ms() + 10 * MINUTE);
	assert_string_equal(got.ptr, "none (wait 3600)");
	buf_release(&got);
	buf_release(&waiting);
	buf_release(&repos);
	buf_release(&answer);
	scheduler_free(s);
}

static int previews;
static char previewed[64];

static void on_preview(void *ctx, const char *source, enum forge f, const struct webhook_pull *pr)
{
	(void)ctx;
	(void)f;
	(void)pr;
	previews++;
	snprintf(previewed + strlen(previewed), sizeof(previewed) - strlen(previewed), "%s ",
	         source);
}

/* A pull request is previewed for each source of its repository that
 * deploys its base branch; a fork's only where opted in; none while
 * previews are off. It makes no source due. */
static void test_scheduler__a_pull_request_is_previewed_where_its_base_deploys(void **state)
{
	struct source_config sources[3] = {source("main", "https://h/a/app", "main", 5 * MINUTE),
	                                   source("dev", "https://h/a/app", "dev", 5 * MINUTE),
	                                   source("head", "https://h/a/app.git", NULL, 5 * MINUTE)};
	struct config c = {.sources = sources, .n = 3};
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	struct webhook_pull *pr = &ev.pull;
	struct buf repos = BUF_INIT, answer = BUF_INIT, got = BUF_INIT;
	struct trigger t = {.kind = TRIGGER_PULL, .forge = FORGE_GITHUB, .delivery = "d"};
	struct scheduler *s;
	enum trigger_kind why;
	double wait;
	size_t i;

	(void)state;
	pr->number = 7;
	pr->fork = false;
	memcpy(pr->head, "0123456789abcdef0123456789abcdef01234567", 41);
	buf_adds(&pr->base, "main");
	buf_adds(&pr->fallback, "main");
	repo_key(&repos, "git@h:a/app.git");
	buf_addch(&repos, '\0');
	t.repos = &repos;
	t.pull = pr;
	scheduler_new(&s, NULL);
	scheduler_follow(s, &c);
	while (scheduler_next(s, 0, &i, &why, &wait))
		scheduler_done(s, i, 0, 0.5);
	assert_int_equal(scheduler_send(s, &t, &answer), -1);
	assert_string_equal(answer.ptr, "ignored: previews are off\n");
	scheduler_previews(s, on_preview, NULL);
	buf_reset(&answer);
	assert_int_equal(scheduler_send(s, &t, &answer), 2);
	assert_string_equal(answer.ptr, "previewing main head\n");
	assert_string_equal(previewed, "main head ");
	/* From a fork: opted in by none. */
	pr->fork = true;
	buf_reset(&answer);
	assert_int_equal(scheduler_send(s, &t, &answer), 0);
	assert_string_equal(answer.ptr, "previewing nothing; from a fork, not previewed for main, "
	                                "head (previews: {forks: true} opts in)\n");
	sources[2].preview_forks = true;
	scheduler_follow(s, &c);
	while (scheduler_next(s, 0, &i, &why, &wait))
		scheduler_done(s, i, 0, 0.5);
	previewed[0] = '\0';
	buf_reset(&answer);
	assert_int_equal(scheduler_send(s, &t, &answer), 1);
	assert_string_equal(previewed, "head ");
	assert_int_equal(previews, 3);
	next(&got, s, &c, 0);
	assert_string_equal(got.ptr, "none (wait 300)");
	webhook_event_release(&ev);
	buf_release(&repos);
	buf_release(&answer);
	buf_release(&got);
	scheduler_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scheduler__each_source_at_once_then_on_its_interval),
	    cmocka_unit_test(test_scheduler__jitter_spreads_the_interval),
	    cmocka_unit_test(test_scheduler__a_trigger_is_never_lost),
	    cmocka_unit_test(test_scheduler__a_trigger_names_a_reconcile_its_interval_made_due),
	    cmocka_unit_test(test_scheduler__the_source_due_longest_goes_first),
	    cmocka_unit_test(test_scheduler__a_reload_keeps_readiness_by_name),
	    cmocka_unit_test(test_scheduler__lease_mode_reconciles_only_what_it_holds),
	    cmocka_unit_test(test_scheduler__a_pull_request_is_previewed_where_its_base_deploys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
