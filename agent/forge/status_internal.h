#ifndef BERTH_STATUS_INTERNAL_H
#define BERTH_STATUS_INTERNAL_H

#include "status.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

/*
 * Inside the status poster, for its files only: status.c (the queue, the
 * thread, statuses), status_rules.c (the forge's rules: token, backoff,
 * rate limits, refusals), status_comment.c (pull request comments) and
 * status_curl.c (the transport by default). Everything here is the
 * reporter thread's, but the queue and what it points to (under the
 * lock).
 */

#define QUEUE_MAX  256
#define KNOWN_MAX  1024
#define POSTED_MAX 256
#define SPACING_MS 1000.0 /* between writes to one forge, as GitHub asks */

/* One forge API as one token reaches it. Only the thread touches it, once
 * it is made. */
struct endpoint {
	enum forge provider;
	char *base, *token_file, *token_env, *ca_file, *api_version;
	struct buf token;
	struct stat token_stat;
	double until;      /* nothing is sent before: backing off, or limited */
	double next_write; /* writes are SPACING_MS apart */
	double spaced_til; /* every request SPACING_MS apart until then */
	double next_any;
	unsigned failures;
	bool revoked; /* answered 401: nothing is sent until the token changes */
	/* Whose the token is, asked once per token: only that account's
	 * comments are berth's to edit. UNTOLD: the forge would not say. */
	enum { SELF_UNKNOWN, SELF_KNOWN, SELF_UNTOLD } self_state;
	struct forge_account self;
};

/* A status to post, or a comment to keep (`comment`: on pull request
 * `number`, found by `marker`, with `body`; sha and context are ""). */
struct post {
	struct endpoint *ep;
	char *repository, *sha, *context, *description, *target_url;
	char *ref; /* GitLab's; NULL: none */
	enum status_state state;
	bool settle;
	bool comment;
	long number;
	char *marker, *body;
};

/* A comment berth posted: its own to edit, whoever the forge says the
 * token is. */
struct posted {
	struct endpoint *ep;
	char *repository;
	long number;
	long long id;
};

/* The newest status at the forge of a sha and context, as last read or
 * written; state "" when it has none. */
struct known {
	struct endpoint *ep;
	char *repository, *sha, *context, *state, *description;
};

struct reporter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool stopping;
	bool busy;
	struct endpoint **eps;
	size_t neps;
	struct post queue[QUEUE_MAX];
	size_t n;
	struct known known[KNOWN_MAX];
	size_t nknown, known_next;
	struct posted posted[POSTED_MAX]; /* the oldest forgotten first */
	size_t nposted, posted_next;
	char **refusals; /* logged once each */
	size_t nrefusals;
	struct metrics *metrics;
	struct reporter_transport transport;
	struct reporter_clock clock;
	struct status_curl *curl; /* the transport by default's; NULL when given one */
};

enum outcome {
	DONE,  /* sent, or needs no sending */
	DROP,  /* refused for good */
	RETRY, /* later: the forge is down, limited, or writes are spaced */
};

/* The endpoint's token, read again when its file changed (each time from
 * the environment), and checked each time: never sent when it holds a
 * control character. A token read again ends a revocation. */
int reporter_token(struct endpoint *ep);

/* Now, on the reporter's clock. */
double reporter_now(const struct reporter *r);

/* Send one request to `ep` through the reporter's transport, with the
 * token's headers; `a` is emptied first. 0 when the forge answered (any
 * code), BERTH_ECONNECT when it did not, saying why. */
int reporter_call(struct reporter_answer *a, struct reporter *r, struct endpoint *ep,
                  const char *method, const char *url, const char *body);

void answer_release(struct reporter_answer *a);

/* The forge's own words: the "message" of its JSON error, else the body. */
void answer_message(struct buf *out, const struct reporter_answer *a);

/* Back off from p's forge after its failure (`why`), and say so once per
 * outage. RETRY. */
enum outcome reporter_down(struct reporter *r, const struct post *p, const char *why);

/* Is answer `a` a rate limit: a 429, or a 403 with GitHub's Retry-After or
 * x-ratelimit-remaining: 0? Then nothing is sent to `ep` until it ends
 * (Retry-After, else x-ratelimit-reset, else a minute), and for a minute
 * after that every request is SPACING_MS apart. */
bool reporter_limited(struct reporter *r, struct endpoint *ep, const struct reporter_answer *a);

/* Does answer `a` say the forge is down: a 5xx, or a 408? */
bool answer_down(const struct reporter_answer *a);

/* After any answer `a` of `ep`'s: spacing, and the end of an outage
 * unless `a` says the forge is down. */
void reporter_answered(struct reporter *r, struct endpoint *ep, const struct reporter_answer *a);

/* Log the refusal of p's request (`code`, the forge's `message`) the first
 * time it is seen. */
void reporter_refused(struct reporter *r, const struct post *p, long code, const char *message);

/* What an answer that is no success means, for a request of p's to
 * `url`: a limit, an outage, or a refusal (logged once; a 401 revokes the
 * token). */
enum outcome reporter_failed(struct reporter *r, struct post *p, const struct reporter_answer *a,
                             const char *url);

/* Keep comment p (status_comment.c). */
enum outcome reporter_send_comment(struct reporter *r, struct post *p);

/* libcurl as a reporter's transport (status_curl.c): a request under way
 * is given up once `stopping` (borrowed) is set. */
struct status_curl;
void status_curl_new(struct status_curl **out, const atomic_bool *stopping);
void status_curl_free(struct status_curl *c);
int status_curl_call(struct reporter_answer *out, void *ctx, const struct reporter_request *req);

#endif
