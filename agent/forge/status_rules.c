/* The status poster's rules for one forge: the token it sends, a request
 * through the reporter's transport, and what an answer means for what
 * follows: backoff while the forge is down, a rate limit, spacing after it,
 * a refusal (logged once), a revoked token. */
#include "status_internal.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/log.h"
#include "../../diff/base/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BACKOFF_MIN_MS   1000.0
#define BACKOFF_MAX_MS   (5 * 60 * 1000.0)
#define LIMIT_DEFAULT_MS 60000.0 /* limited, and told neither when nor how long */
#define SPACED_FOR_MS    60000.0 /* after a limit: every request 1 s apart */

int reporter_token(struct endpoint *ep)
{
	int read;

	if (!ep->token_file)
		return secret_read(&ep->token, NULL, ep->token_env, "token");
	if ((read = secret_refresh(&ep->token, &ep->token_stat, ep->token_file, "token")) < 0) {
		buf_release_secret(&ep->token);
		return read;
	}
	if (read) {
		ep->revoked = false;
		/* Perhaps another account's token now. */
		ep->self_state = SELF_UNKNOWN;
		forge_account_release(&ep->self);
	}
	return 0;
}

int reporter_call(struct reporter_answer *a, struct reporter *r, struct endpoint *ep,
                  const char *method, const char *url, const char *body)
{
	struct buf headers = BUF_INIT;
	struct reporter_request req = {method, url, &headers, body, ep->ca_file};
	int error;

	a->code = 0;
	buf_reset(&a->headers);
	buf_reset(&a->body);
	forge_headers(&headers, ep->provider, ep->token.ptr, ep->api_version);
	buf_adds(&headers, "Content-Type: application/json");
	buf_addch(&headers, '\0');
	error = r->transport.call(a, r->transport.ctx, &req);
	buf_release_secret(&headers);
	return error;
}

void answer_release(struct reporter_answer *a)
{
	buf_release(&a->headers);
	buf_release(&a->body);
}

void answer_message(struct buf *out, const struct reporter_answer *a)
{
	struct json_object *o = json_value_parse(a->body.ptr, a->body.len);
	const char *m = json_value_get_string(o, "message");

	buf_reset(out);
	buf_adds(out, m ? m : a->body.ptr);
	json_object_put(o);
	buf_rtrim(out);
	if (out->len > 300) {
		out->len = 300;
		out->ptr[300] = '\0';
	}
}

void reporter_refused(struct reporter *r, const struct post *p, long code, const char *message)
{
	struct buf key = BUF_INIT;
	char c[16];
	size_t i;

	buf_addf(&key, "%s %s %ld %s", p->ep->base, p->repository, code, message);
	for (i = 0; i < r->nrefusals && strcmp(r->refusals[i], key.ptr); i++)
		;
	if (i < r->nrefusals) {
		buf_release(&key);
		return;
	}
	r->refusals = xrealloc(r->refusals, (r->nrefusals + 1) * sizeof(char *));
	r->refusals[r->nrefusals++] = buf_detach(&key, NULL);
	snprintf(c, sizeof(c), "%ld", code);
	log_line("warn", "status refused", "provider", forge_name(p->ep->provider), "repository",
	         p->repository, "sha", p->sha, "context", p->context, "code", c, "message", message,
	         NULL);
}

enum outcome reporter_down(struct reporter *r, const struct post *p, const char *why)
{
	struct endpoint *ep = p->ep;
	double wait = BACKOFF_MIN_MS * (double)(1u << (ep->failures < 20 ? ep->failures : 20));

	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	wait *= 0.75 + 0.5 * clock_jitter();
	if (!ep->failures++)
		log_line("warn", "forge unavailable", "provider", forge_name(ep->provider), "sha",
		         p->sha, "context", p->context, "error", why, NULL);
	ep->until = reporter_now(r) + wait;
	return RETRY;
}

/* The value of the last header `name` of `a`; NULL when it has none. */
static const char *answer_header(const struct reporter_answer *a, const char *name)
{
	const char *line, *value = NULL;
	size_t n = strlen(name);

	for (line = a->headers.ptr; line < a->headers.ptr + a->headers.len;
	     line += strlen(line) + 1)
		if (!strncasecmp(line, name, n) && line[n] == ':')
			value = line + n + 1;
	return value;
}

bool reporter_limited(struct reporter *r, struct endpoint *ep, const struct reporter_answer *a)
{
	const char *retry = answer_header(a, "retry-after");
	const char *reset = answer_header(a, "x-ratelimit-reset");
	const char *remaining = answer_header(a, "x-ratelimit-remaining");
	double now = reporter_now(r), wait;
	double retry_ms = retry ? strtod(retry, NULL) * 1000 : -1;
	/* x-ratelimit-reset is a time since the epoch. */
	double reset_ms = reset ? now + (strtod(reset, NULL) - (double)time(NULL)) * 1000 : -1;
	bool exhausted = remaining && strtol(remaining, NULL, 10) == 0;
	char secs[32];

	if ((a->code != 403 && a->code != 429) || (retry_ms < 0 && !exhausted && a->code == 403))
		return false;
	wait = retry_ms >= 0                ? retry_ms
	       : exhausted && reset_ms >= 0 ? reset_ms - now
	                                    : LIMIT_DEFAULT_MS;
	if (wait < SPACING_MS)
		wait = SPACING_MS;
	ep->until = now + wait;
	ep->spaced_til = ep->until + SPACED_FOR_MS;
	snprintf(secs, sizeof(secs), "%ld", (long)((wait + 999) / 1000));
	log_line("warn", "forge rate limit", "provider", forge_name(ep->provider), "wait", secs,
	         NULL);
	return true;
}

bool answer_down(const struct reporter_answer *a)
{
	return a->code >= 500 || a->code == 408;
}

void reporter_answered(struct reporter *r, struct endpoint *ep, const struct reporter_answer *a)
{
	double now = reporter_now(r);

	/* A 5xx is an answer, but the outage goes on. */
	if (ep->failures && !answer_down(a)) {
		log_line("info", "forge available", "provider", forge_name(ep->provider), NULL);
		ep->failures = 0;
	}
	ep->next_any = now < ep->spaced_til ? now + SPACING_MS : 0;
}

enum outcome reporter_failed(struct reporter *r, struct post *p, const struct reporter_answer *a,
                             const char *url)
{
	struct buf msg = BUF_INIT, why = BUF_INIT;
	enum outcome o;

	answer_message(&msg, a);
	if (reporter_limited(r, p->ep, a)) {
		o = RETRY;
	} else if (answer_down(a)) {
		buf_addf(&why, "%s: %ld %s", url, a->code, msg.ptr);
		o = reporter_down(r, p, why.ptr);
	} else {
		reporter_refused(r, p, a->code, msg.ptr);
		p->ep->revoked = a->code == 401;
		o = DROP;
	}
	buf_release(&msg);
	buf_release(&why);
	return o;
}
