#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* The internal header for QUEUE_MAX only: the rules are driven through
 * status.h, on the reporter's own thread. */
#include "../../agent/forge/status_internal.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccc"

#define CALLS_MAX  1024
#define SCRIPT_MAX 8
/* How long a test waits, in real time, for the reporter's thread. */
#define PATIENCE_MS 10000.0

/* A request the fake forge received, and when on the reporter's clock. */
struct request {
	char *method, *url, *body, *auth;
	double at;
};

/* An answer the fake forge gives: `code` 0 is none (the forge is
 * unreachable); `headers` are "Name: value" lines, each ended by '\n'. */
struct scripted {
	long code;
	const char *headers, *body;
};

/*
 * A forge and a clock for a reporter. The clock moves only when the
 * reporter waits for it: a wait of `ms` moves it on by `ms` at once, so
 * that minutes of backoff take no time. The forge answers from `script`
 * in order, then GET with 200 "[]" (no status yet) and any write with 201
 * "{}"; while `hold` is set, a request waits for it to be cleared.
 */
struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	double now;
	bool hold;
	struct request calls[CALLS_MAX];
	size_t ncalls;
	struct scripted script[SCRIPT_MAX];
	size_t nscript, next;
	char dir[64], token_file[96];
	/* What went wrong on the reporter's thread, where cmocka cannot
	 * fail a test: checked by stop(). */
	const char *broken;
};

static struct fake fake;

static double fake_now(void *ctx)
{
	struct fake *f = ctx;
	double now;

	pthread_mutex_lock(&f->lock);
	now = f->now;
	pthread_mutex_unlock(&f->lock);
	return now;
}

static void fake_wait(void *ctx, pthread_cond_t *cond, pthread_mutex_t *lock, double ms)
{
	struct fake *f = ctx;

	if (isinf(ms)) {
		pthread_cond_wait(cond, lock);
		return;
	}
	pthread_mutex_lock(&f->lock);
	f->now += ms;
	pthread_mutex_unlock(&f->lock);
}

/* The value of request header `name`, copied; NULL when absent. */
static char *header(const struct buf *headers, const char *name)
{
	const char *line;
	size_t n = strlen(name);

	for (line = headers->ptr; line < headers->ptr + headers->len; line += strlen(line) + 1)
		if (!strncmp(line, name, n) && line[n] == ':')
			return xstrdup(line + n + 2);
	return NULL;
}

static int fake_call(struct reporter_answer *out, void *ctx, const struct reporter_request *req)
{
	struct fake *f = ctx;
	struct scripted a = {0, NULL, NULL};
	const char *line, *end;

	pthread_mutex_lock(&f->lock);
	if (out->code || out->headers.len || out->body.len)
		f->broken = "the transport is given an answer that is not empty";
	if (f->ncalls == CALLS_MAX) {
		f->broken = "too many requests";
		pthread_mutex_unlock(&f->lock);
		return berth_error_set("too many requests");
	}
	f->calls[f->ncalls++] =
	    (struct request){xstrdup(req->method), xstrdup(req->url), xstrdup_or_null(req->body),
	                     header(req->headers, "Authorization"), f->now};
	pthread_cond_broadcast(&f->cond);
	while (f->hold)
		pthread_cond_wait(&f->cond, &f->lock);
	if (f->next < f->nscript)
		a = f->script[f->next++];
	else if (!strcmp(req->method, "GET"))
		a = (struct scripted){200, NULL, "[]"};
	else
		a = (struct scripted){201, NULL, "{}"};
	pthread_mutex_unlock(&f->lock);
	if (!a.code) {
		berth_error_set("%s: the fake forge does not answer", req->url);
		return BERTH_ECONNECT;
	}
	out->code = a.code;
	for (line = a.headers; line && *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		buf_add(&out->headers, line, (size_t)(end - line));
		buf_addch(&out->headers, '\0');
	}
	buf_adds(&out->body, a.body ? a.body : "");
	return 0;
}

/* Answer the next requests with the `n` `answers`. */
static void script(const struct scripted *answers, size_t n)
{
	assert_true(n <= SCRIPT_MAX);
	pthread_mutex_lock(&fake.lock);
	memcpy(fake.script, answers, n * sizeof(*answers));
	fake.nscript = n;
	fake.next = 0;
	pthread_mutex_unlock(&fake.lock);
}
#define SCRIPT(answers) script(answers, ARRAY_SIZE(answers))

static void hold(bool on)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = on;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
}

/* Wait, in real time and at most PATIENCE_MS, until the forge has had `n`
 * requests. */
static void wait_calls(size_t n)
{
	struct timespec ts = clock_realtime_in(PATIENCE_MS);
	int rc = 0;

	pthread_mutex_lock(&fake.lock);
	while (fake.ncalls < n && rc == 0)
		rc = pthread_cond_timedwait(&fake.cond, &fake.lock, &ts);
	pthread_mutex_unlock(&fake.lock);
	assert_true(fake.ncalls >= n);
}

static size_t calls(void)
{
	size_t n;

	pthread_mutex_lock(&fake.lock);
	n = fake.ncalls;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* Request `i`, which must have come. */
static const struct request *call_at(size_t i)
{
	assert_true(i < calls());
	return &fake.calls[i];
}

/* Until nothing waits to be sent. */
static void drain(struct reporter *r)
{
	assert_int_equal(reporter_drain(r, clock_now_ms() + PATIENCE_MS), 0);
}

static void write_token(const char *token)
{
	char tmp[128];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s/token.new", fake.dir);
	assert_non_null(fp = fopen(tmp, "w"));
	fputs(token, fp);
	fclose(fp);
	/* A new file, as a Secret's update is: another inode. */
	assert_int_equal(rename(tmp, fake.token_file), 0);
}

/* A status block of forge `f` that reads the fake's token file. */
static struct status_config block(enum forge f)
{
	struct status_config c;

	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.provider = f;
	c.base_url = "https://forge.test";
	c.repository = "acme/config";
	c.token_file = fake.token_file;
	c.context = STATUS_CONTEXT_DEFAULT;
	return c;
}

static struct reporter *start(void)
{
	struct reporter_options opts = REPORTER_OPTIONS_INIT;
	struct reporter *r;

	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	pthread_cond_init(&fake.cond, NULL);
	fake.now = 1e6;
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/berth-test-status-XXXXXX");
	assert_non_null(mkdtemp(fake.dir));
	snprintf(fake.token_file, sizeof(fake.token_file), "%s/token", fake.dir);
	write_token("token-1");
	opts.transport = (struct reporter_transport){fake_call, &fake};
	opts.clock = (struct reporter_clock){fake_now, fake_wait, &fake};
	reporter_new(&r, NULL, &opts);
	return r;
}

static void stop(struct reporter *r)
{
	size_t i;

	hold(false);
	reporter_free(r);
	if (fake.broken)
		fail_msg("%s", fake.broken);
	for (i = 0; i < fake.ncalls; i++) {
		free(fake.calls[i].method);
		free(fake.calls[i].url);
		free(fake.calls[i].body);
		free(fake.calls[i].auth);
	}
	assert_int_equal(unlink(fake.token_file), 0);
	assert_int_equal(rmdir(fake.dir), 0);
	pthread_mutex_destroy(&fake.lock);
	pthread_cond_destroy(&fake.cond);
}

static void post(struct reporter *r, const struct status_config *c, const char *sha,
                 enum status_state state, const char *description, bool settle)
{
	reporter_post(r, c, "web", "default", sha, state, description, settle);
}

/* post(), then drain(): how many requests the forge has had. */
static size_t sent(struct reporter *r, const struct status_config *c, const char *sha,
                   enum status_state state, const char *description, bool settle)
{
	post(r, c, sha, state, description, settle);
	drain(r);
	return calls();
}

static bool is_write(const struct request *q, const char *sha, const char *state)
{
	struct buf want = BUF_INIT;
	bool yes;

	buf_addf(&want, "\"state\":\"%s\"", state);
	yes = !strcmp(q->method, "POST") && strstr(q->url, sha) && q->body &&
	      strstr(q->body, want.ptr);
	buf_release(&want);
	return yes;
}

static bool is_read(const struct request *q, const char *sha)
{
	return !strcmp(q->method, "GET") && strstr(q->url, sha);
}

/* While a request is under way, the statuses posted for one sha and
 * context replace each other: only the newest is sent. */
static void test_status__the_queue_keeps_the_newest_state_of_a_sha(void **state)
{
	struct reporter *r = start();
	struct status_config c = block(FORGE_GITHUB);

	(void)state;
	hold(true);
	post(r, &c, SHA_A, STATUS_PENDING, "applying", false);
	wait_calls(1);
	post(r, &c, SHA_B, STATUS_PENDING, "applying", false);
	post(r, &c, SHA_B, STATUS_SUCCESS, "applied: 1 created", false);
	post(r, &c, SHA_B, STATUS_FAILURE, "refused", false);
	/* A's read under way, and one status of B waiting. */
	assert_int_equal(reporter_drain(r, clock_now_ms() + 50), 2);
	hold(false);
	drain(r);
	assert_int_equal(calls(), 4);
	assert_true(is_read(call_at(0), SHA_A));
	assert_true(is_write(call_at(1), SHA_A, "pending"));
	assert_true(is_read(call_at(2), SHA_B));
	assert_true(is_write(call_at(3), SHA_B, "failure"));
	stop(r);
}

/* The queue holds QUEUE_MAX statuses at most: past that, the oldest go. */
static void test_status__the_queue_is_bounded(void **state)
{
	struct reporter *r = start();
	struct status_config c = block(FORGE_GITHUB);
	char sha[41];
	size_t i, n = QUEUE_MAX + 10;

	(void)state;
	hold(true);
	post(r, &c, SHA_A, STATUS_PENDING, "applying", false);
	wait_calls(1);
	for (i = 1; i <= n; i++) {
		snprintf(sha, sizeof(sha), "%040zx", i);
		post(r, &c, sha, STATUS_SUCCESS, "applied: 1 created", false);
	}
	assert_int_equal(reporter_drain(r, clock_now_ms() + 50), QUEUE_MAX + 1);
	hold(false);
	drain(r);
	/* A, and the newest QUEUE_MAX, each read then written. */
	assert_int_equal(calls(), 2 * (QUEUE_MAX + 1));
	snprintf(sha, sizeof(sha), "%040zx", n - QUEUE_MAX);
	for (i = 0; i < calls(); i++)
		assert_null(strstr(call_at(i)->url, sha));
	snprintf(sha, sizeof(sha), "%040zx", n - QUEUE_MAX + 1);
	assert_true(is_read(call_at(2), sha));
	stop(r);
}

/* The newest status at the forge is read once, then remembered: a post
 * that would change nothing is not sent. */
static void test_status__reads_before_it_writes_and_skips_what_changes_nothing(void **state)
{
	static const struct scripted has[] = {
	    {200, NULL,
	     "[{\"id\":1,\"context\":\"berth/default/web\",\"state\":\"pending\","
	     "\"description\":\"applying\"},{\"id\":2,\"context\":\"berth/default/web\","
	     "\"state\":\"success\",\"description\":\"applied: 1 created\"}]"}};
	struct reporter *r = start();
	struct status_config c = block(FORGE_GITHUB);

	(void)state;
	SCRIPT(has);
	assert_int_equal(sent(r, &c, SHA_A, STATUS_SUCCESS, "applied: 1 created", false), 1);
	assert_true(is_read(call_at(0), SHA_A));
	assert_string_equal(call_at(0)->auth, "Bearer token-1");
	/* Remembered: not even read again. */
	assert_int_equal(sent(r, &c, SHA_A, STATUS_SUCCESS, "applied: 1 created", false), 1);
	/* The periodic check of an applied commit: any description will do. */
	assert_int_equal(sent(r, &c, SHA_A, STATUS_SUCCESS, "in sync: 1 object", true), 1);
	/* Another description, or another state, is sent. */
	assert_int_equal(sent(r, &c, SHA_A, STATUS_SUCCESS, "in sync: 1 object", false), 2);
	assert_true(is_write(call_at(1), SHA_A, "success"));
	assert_int_equal(sent(r, &c, SHA_A, STATUS_FAILURE, "drift: 1 object (service/web)", false),
	                 3);
	assert_true(is_write(call_at(2), SHA_A, "failure"));
	/* Writes to one forge are 1 s apart. */
	assert_true(call_at(2)->at - call_at(1)->at >= 1000);
	stop(r);
}

/* Is `gap` `ms` give or take the jitter of a backoff (a quarter)? */
static void assert_backoff(double gap, double ms)
{
	if (gap < 0.75 * ms || gap > 1.25 * ms)
		fail_msg("waited %.0f ms, not %.0f ms give or take a quarter", gap, ms);
}

/* Post a status on `sha` to the forge of block `c`, which answers its
 * first `n` requests with `failures`: each is asked again after 1 s, then
 * 2 s, 4 s... (give or take a quarter), until the status is written. */
static void outage(struct reporter *r, const struct status_config *c, const char *sha,
                   const struct scripted *failures, size_t n)
{
	size_t first = calls(), i;

	script(failures, n);
	post(r, c, sha, STATUS_SUCCESS, "applied: 1 created", false);
	drain(r);
	assert_int_equal(calls(), first + n + 2);
	for (i = 0; i < n; i++)
		assert_backoff(call_at(first + i + 1)->at - call_at(first + i)->at,
		               1000.0 * (double)(1u << i));
	assert_true(is_read(call_at(first + n), sha));
	assert_true(is_write(call_at(first + n + 1), sha, "success"));
}

/* A forge that does not answer, or answers 5xx or 408, is asked again
 * after 1 s, then 2 s, 4 s...; once it answers, the backoff starts over. */
static void test_status__backs_off_while_the_forge_is_down(void **state)
{
	static const struct scripted none[] = {{0, NULL, NULL}, {0, NULL, NULL}, {0, NULL, NULL}};
	/* An answer that says the forge is down is no end of the outage. */
	static const struct scripted failing[] = {{503, NULL, "{\"message\":\"unavailable\"}"},
	                                          {408, NULL, ""},
	                                          {502, NULL, "bad gateway"}};
	struct reporter *r = start();
	struct status_config c = block(FORGE_GITHUB);

	(void)state;
	outage(r, &c, SHA_A, none, ARRAY_SIZE(none));
	/* Up again: the next outage starts at 1 s. */
	outage(r, &c, SHA_B, none, 1);
	outage(r, &c, SHA_C, failing, ARRAY_SIZE(failing));
	stop(r);
}

/* Post a status on `sha` to the forge of block `c`, which answers its
 * first request with `limit`: the wait before the next request, once the
 * status is written. */
static double limited_for(struct reporter *r, const struct status_config *c, const char *sha,
                          const struct scripted *limit)
{
	size_t first = calls();

	script(limit, 1);
	post(r, c, sha, STATUS_SUCCESS, "applied: 1 created", false);
	drain(r);
	/* The read refused, the read again, the write. */
	assert_int_equal(calls(), first + 3);
	assert_true(is_read(call_at(first + 1), sha));
	assert_true(is_write(call_at(first + 2), sha, "success"));
	/* For a minute after a limit, requests go 1 s apart. */
	assert_true(call_at(first + 2)->at - call_at(first + 1)->at >= 1000);
	return call_at(first + 1)->at - call_at(first)->at;
}

/* Is `ms` `want`, to the millisecond, or within `slack` after it? */
static void assert_waited(double ms, double want, double slack)
{
	if (ms < want || ms >= want + slack + 1)
		fail_msg("waited %.0f ms, not %.0f ms", ms, want);
}

/* A rate limit stops every request to that forge until it ends: GitHub's
 * x-ratelimit-remaining: 0 until x-ratelimit-reset, a Retry-After (GitHub's
 * secondary limit, GitLab's 429), a minute when a 429 says nothing; then
 * for a minute the requests go 1 s apart. A 403 that is no limit is a
 * refusal, never asked again. */
static void test_status__a_rate_limit_delays_the_next_request(void **state)
{
	static const struct scripted secondary = {403, "Retry-After: 30\n",
	                                          "{\"message\":\"secondary rate limit\"}"};
	static const struct scripted gitlab = {429, "Retry-After: 10\n", "Retry later"};
	static const struct scripted gitea = {429, NULL, ""};
	static const struct scripted refused[] = {
	    {403, NULL, "{\"message\":\"Resource not accessible by integration\"}"},
	    {403, NULL, "{\"message\":\"Resource not accessible by integration\"}"}};
	struct scripted primary = {403, NULL, "{\"message\":\"API rate limit exceeded\"}"};
	struct reporter *r = start();
	struct status_config github = block(FORGE_GITHUB), lab = block(FORGE_GITLAB),
	                     tea = block(FORGE_GITEA);
	char headers[96];

	(void)state;
	snprintf(headers, sizeof(headers), "X-RateLimit-Remaining: 0\nX-RateLimit-Reset: %lld\n",
	         (long long)time(NULL) + 120);
	primary.headers = headers;
	/* Until the reset, which time(NULL) knows to the second. */
	assert_waited(limited_for(r, &github, SHA_A, &primary), 118000, 3000);
	assert_waited(limited_for(r, &github, SHA_B, &secondary), 30000, 0);
	assert_waited(limited_for(r, &lab, SHA_A, &gitlab), 10000, 0);
	assert_true(strstr(call_at(calls() - 1)->url, "/api/v4/") != NULL);
	assert_waited(limited_for(r, &tea, SHA_A, &gitea), 60000, 0);
	assert_true(strstr(call_at(calls() - 1)->url, "/api/v1/") != NULL);

	/* Not a limit: the read finds nothing, the write is refused, for
	 * good. */
	SCRIPT(refused);
	assert_int_equal(sent(r, &github, SHA_C, STATUS_SUCCESS, "applied: 1 created", false), 14);
	assert_true(is_write(call_at(13), SHA_C, "success"));
	assert_int_equal(sent(r, &github, SHA_C, STATUS_SUCCESS, "applied: 1 created", false), 14);
	stop(r);
}

/* A 401 revokes the token: nothing more goes to that forge, whatever is
 * posted, until the token file changes. */
static void test_status__a_401_stops_everything_until_the_token_changes(void **state)
{
	static const struct scripted revoked[] = {{401, NULL, "{\"message\":\"Bad credentials\"}"}};
	struct reporter *r = start();
	struct status_config c = block(FORGE_GITHUB);

	(void)state;
	SCRIPT(revoked);
	assert_int_equal(sent(r, &c, SHA_A, STATUS_SUCCESS, "applied: 1 created", false), 1);
	post(r, &c, SHA_B, STATUS_SUCCESS, "applied: 1 created", false);
	assert_int_equal(sent(r, &c, SHA_A, STATUS_FAILURE, "drift: 1 object (service/web)", false),
	                 1);
	write_token("token-2");
	assert_int_equal(sent(r, &c, SHA_C, STATUS_SUCCESS, "applied: 1 created", false), 3);
	assert_true(is_read(call_at(1), SHA_C));
	assert_string_equal(call_at(1)->auth, "Bearer token-2");
	assert_true(is_write(call_at(2), SHA_C, "success"));
	stop(r);
}

/* What a failed reconcile posts: an error when berth could not do its job
 * (the cluster unreachable, RBAC refusing it: BERTH_EFORBIDDEN, whatever
 * the message says), else a failure, whatever the message says. */
static void test_status__a_403_is_known_by_its_error_code(void **state)
{
	(void)state;
	berth_error_set("PATCH https://k8s.test/api/v1/namespaces/web/configmaps/x: refused");
	assert_int_equal(status_of_error(BERTH_EFORBIDDEN), STATUS_ERROR);
	assert_int_equal(status_of_error(BERTH_ECONNECT), STATUS_ERROR);
	berth_error_set("examples/web.yaml:3:1: data.note: \"a 403 Forbidden is no error\"");
	assert_int_equal(status_of_error(BERTH_ERROR), STATUS_FAILURE);
	assert_int_equal(status_of_error(BERTH_EHTTP), STATUS_FAILURE);
	assert_int_equal(status_of_error(BERTH_ECONFLICT), STATUS_FAILURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status__the_queue_keeps_the_newest_state_of_a_sha),
	    cmocka_unit_test(test_status__the_queue_is_bounded),
	    cmocka_unit_test(test_status__reads_before_it_writes_and_skips_what_changes_nothing),
	    cmocka_unit_test(test_status__backs_off_while_the_forge_is_down),
	    cmocka_unit_test(test_status__a_rate_limit_delays_the_next_request),
	    cmocka_unit_test(test_status__a_401_stops_everything_until_the_token_changes),
	    cmocka_unit_test(test_status__a_403_is_known_by_its_error_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
