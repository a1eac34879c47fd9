/* The status poster's pull request comments: berth keeps one comment per
 * pull request and marker, found among its own (by the token's account, or
 * the ids it posted), edited in place, added when there is none. */
#include "status_internal.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whose the endpoint's token is: asked once per token, for only that
 * account's comments are berth's to edit. A forge that will not say (a
 * GitHub App's installation token gets 403) leaves berth the comments it
 * posted itself since it started; that is said once. */
static enum outcome read_self(struct reporter *r, struct post *p, struct reporter_answer *a)
{
	struct endpoint *ep = p->ep;
	struct buf url = BUF_INIT, msg = BUF_INIT;
	enum outcome o = DONE;
	char code[16];

	forge_user_url(&url, ep->provider, ep->base);
	if (reporter_call(a, r, ep, "GET", url.ptr, NULL) < 0) {
		o = reporter_down(r, p, berth_error_last());
	} else if (reporter_answered(r, ep, a), reporter_limited(r, ep, a)) {
		o = RETRY;
	} else if (answer_down(a) || a->code == 401) {
		o = reporter_failed(r, p, a, url.ptr);
	} else if (a->code >= 200 && a->code < 300 &&
	           forge_account_parse(&ep->self, ep->provider, a->body.ptr, a->body.len) == 0) {
		ep->self_state = SELF_KNOWN;
		log_line("debug", "forge account", "provider", forge_name(ep->provider), "login",
		         ep->self.login, NULL);
	} else {
		if (a->code >= 200 && a->code < 300)
			buf_adds(&msg, berth_error_last());
		else
			answer_message(&msg, a);
		snprintf(code, sizeof(code), "%ld", a->code);
		ep->self_state = SELF_UNTOLD;
		log_line("warn", "forge account unknown", "provider", forge_name(ep->provider),
		         "url", url.ptr, "code", code, "message", msg.ptr, "effect",
		         "berth edits only the comments it posted since it started", NULL);
	}
	buf_release(&url);
	buf_release(&msg);
	return o;
}

/* The ids of the comments berth posted on p's pull request, into `ids`
 * (POSTED_MAX of them at most); how many. */
static size_t posted_ids(const struct reporter *r, const struct post *p, long long *ids)
{
	size_t i, n = 0;

	for (i = 0; i < r->nposted; i++)
		if (r->posted[i].ep == p->ep && r->posted[i].number == p->number &&
		    !strcmp(r->posted[i].repository, p->repository))
			ids[n++] = r->posted[i].id;
	return n;
}

/* Remember comment `id`, on p's pull request, as berth's. */
static void posted_add(struct reporter *r, const struct post *p, long long id)
{
	long long ids[POSTED_MAX];
	size_t i, n = posted_ids(r, p, ids);
	struct posted *x;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return;
	x = &r->posted[r->posted_next];
	r->posted_next = (r->posted_next + 1) % POSTED_MAX;
	if (r->nposted < POSTED_MAX)
		r->nposted++;
	else
		free(x->repository);
	*x = (struct posted){p->ep, xstrdup(p->repository), p->number, id};
}

/* Keep p's comment: find it by its marker (every page) among berth's own,
 * then edit it, or add it when there is none. Another account's comment is
 * never edited, whatever it holds. */
enum outcome reporter_send_comment(struct reporter *r, struct post *p)
{
	const enum forge f = p->ep->provider;
	struct reporter_answer a = REPORTER_ANSWER_INIT;
	struct buf list = BUF_INIT, url = BUF_INIT, found = BUF_INIT, body = BUF_INIT;
	long long ids[POSTED_MAX];
	struct forge_mine mine = {NULL, ids, 0};
	char number[24];
	long long id = 0;
	size_t count = 0;
	int error = BERTH_ENOTFOUND, page;
	enum outcome o = DONE;

	if (reporter_token(p->ep) < 0)
		return reporter_down(r, p, berth_error_last());
	if (p->ep->revoked)
		return DROP;
	/* The list is read just before the write it decides. */
	if (reporter_now(r) < p->ep->next_write)
		return RETRY;
	if (p->ep->self_state == SELF_UNKNOWN && (o = read_self(r, p, &a)) != DONE)
		goto out;
	mine.self = p->ep->self_state == SELF_KNOWN ? &p->ep->self : NULL;
	mine.nids = posted_ids(r, p, ids);
	forge_comments_url(&list, f, p->ep->base, p->repository, p->number);
	/* Gitea lists them all at once; the others, a page at a time. */
	for (page = 1; page <= 100 && error == BERTH_ENOTFOUND; page++) {
		buf_reset(&url);
		if (f == FORGE_GITEA)
			buf_adds(&url, list.ptr);
		else
			buf_addf(&url, "%s?per_page=100&page=%d", list.ptr, page);
		if (reporter_call(&a, r, p->ep, "GET", url.ptr, NULL) < 0) {
			o = reporter_down(r, p, berth_error_last());
			goto out;
		}
		reporter_answered(r, p->ep, &a);
		if (a.code < 200 || a.code >= 300) {
			o = reporter_failed(r, p, &a, url.ptr);
			goto out;
		}
		error = forge_find_comment(&id, &found, &count, f, &mine, a.body.ptr, a.body.len,
		                           p->marker);
		if (error == BERTH_ENOTFOUND && (f == FORGE_GITEA || count < 100))
			break;
	}
	snprintf(number, sizeof(number), "%ld", p->number);
	if (error == 0 && !strcmp(found.ptr, p->body)) {
		log_line("debug", "comment unchanged", "provider", forge_name(f), "repository",
		         p->repository, "number", number, NULL);
		goto out;
	}
	forge_comment_body(&body, p->body);
	if (error == 0)
		forge_comment_url(&url, f, p->ep->base, p->repository, p->number, id);
	else
		buf_reset(&url), buf_adds(&url, list.ptr);
	if (reporter_call(&a, r, p->ep, error == 0 ? forge_edit_method(f) : "POST", url.ptr,
	                  body.ptr) < 0) {
		p->ep->next_write = reporter_now(r) + SPACING_MS;
		o = reporter_down(r, p, berth_error_last());
		goto out;
	}
	p->ep->next_write = reporter_now(r) + SPACING_MS;
	reporter_answered(r, p->ep, &a);
	if (a.code >= 200 && a.code < 300) {
		if (error == 0 || forge_comment_id(&id, a.body.ptr, a.body.len) == 0)
			posted_add(r, p, id);
		log_line("debug", error == 0 ? "comment edited" : "comment posted", "provider",
		         forge_name(f), "repository", p->repository, "number", number, NULL);
	} else {
		o = reporter_failed(r, p, &a, url.ptr);
	}
out:
	answer_release(&a);
	buf_release(&list);
	buf_release(&url);
	buf_release(&found);
	buf_release(&body);
	return o;
}
