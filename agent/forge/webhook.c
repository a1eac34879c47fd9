/* The forges' webhooks (GitHub, GitLab, Gitea): authenticated, then read
 * once: a push for the repository and the ref that moved, a pull request
 * for its head and base. */
#include "webhook.h"

#include "../source/url.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/digest.h"
#include "../../diff/base/json_value.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The headers of each forge's deliveries. */
static const struct {
	const char *signature, *event, *delivery;
} forges[FORGE_COUNT] = {
    [FORGE_GITHUB] = {"X-Hub-Signature-256", "X-GitHub-Event", "X-GitHub-Delivery"},
    [FORGE_GITLAB] = {"X-Gitlab-Token", "X-Gitlab-Event", "X-Gitlab-Event-UUID"},
    [FORGE_GITEA] = {"X-Gitea-Signature", "X-Gitea-Event", "X-Gitea-Delivery"},
};

const char *webhook_signature_header(enum forge f)
{
	return forges[f].signature;
}

const char *webhook_event_header(enum forge f)
{
	return forges[f].event;
}

const char *webhook_delivery_header(enum forge f)
{
	return forges[f].delivery;
}

bool webhook_verify(enum forge f, const char *secret, const char *signature, const char *body,
                    size_t len)
{
	uint8_t mac[SHA256_SIZE], want[SHA256_SIZE], got[SHA256_SIZE];
	char hex[2 * SHA256_SIZE + 1];
	size_t i;

	if (!signature)
		return false;
	if (f == FORGE_GITLAB) {
		/* Equal digests of equal length: the time tells nothing,
		 * not even the secret's length. */
		sha256(want, secret, strlen(secret));
		sha256(got, signature, strlen(signature));
		return digest_equal(want, got, sizeof(got));
	}
	if (f == FORGE_GITHUB && strncmp(signature, "sha256=", 7))
		return false;
	if (f == FORGE_GITHUB)
		signature += 7;
	if (strlen(signature) != sizeof(hex) - 1)
		return false;
	hmac_sha256(mac, secret, strlen(secret), body, len);
	for (i = 0; i < sizeof(mac); i++) {
		hex[2 * i] = "0123456789abcdef"[mac[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	return digest_equal(hex, signature, sizeof(hex) - 1);
}

static bool is_push(enum forge f, const char *event)
{
	if (f == FORGE_GITLAB)
		return !strcmp(event, "Push Hook") || !strcmp(event, "Tag Push Hook");
	return !strcmp(event, "push");
}

static bool is_pull(enum forge f, const char *event)
{
	return !strcmp(event, f == FORGE_GITLAB ? "Merge Request Hook" : "pull_request");
}

/* The repositories `payload` names, as repo_key()s, each followed by a NUL
 * in `keys`. */
static void read_repos(struct buf *keys, struct json_object *payload)
{
	static const char *const objects[] = {"repository", "project"};
	/* Not "homepage": a free-form website, which may name another
	 * repository. */
	static const char *const fields[] = {"clone_url", "html_url",     "ssh_url",
	                                     "git_url",   "git_http_url", "git_ssh_url",
	                                     "web_url",   "http_url",     "url"};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(objects); i++)
		for (j = 0; j < ARRAY_SIZE(fields); j++) {
			const char *url =
			    json_value_get_string(json_value_get(payload, objects[i]), fields[j]);

			if (url && *url) {
				repo_key(keys, url);
				buf_addch(keys, '\0');
			}
		}
}

double webhook_time(const char *s)
{
	char rfc3339[32];
	time_t t;
	size_t n = s ? strlen(s) : 0;

	/* GitLab's "2013-12-03 17:23:34 UTC" is 2013-12-03T17:23:34Z. */
	if (n == 23 && s[10] == ' ' && !strcmp(s + 19, " UTC")) {
		snprintf(rfc3339, sizeof(rfc3339), "%.10sT%.8sZ", s, s + 11);
		s = rfc3339;
	}
	return s && clock_rfc3339_parse(&t, s) == 0 ? (double)t : 0;
}

/* Is a pull request's head in another repository than its base? Unknown
 * counts as a fork. */
static bool from_fork(enum forge f, struct json_object *pr)
{
	struct json_object *head = json_value_get(pr, "head"), *base = json_value_get(pr, "base");
	struct json_object *a, *b;

	if (f == FORGE_GITLAB) {
		a = json_value_get(pr, "source_project_id");
		b = json_value_get(pr, "target_project_id");
	} else if (f == FORGE_GITEA && json_value_get(head, "repo_id")) {
		a = json_value_get(head, "repo_id");
		b = json_value_get(base, "repo_id");
	} else {
		a = json_value_get(json_value_get(head, "repo"), "id");
		b = json_value_get(json_value_get(base, "repo"), "id");
		if (!a || !b) {
			a = json_value_get(json_value_get(head, "repo"), "full_name");
			b = json_value_get(json_value_get(base, "repo"), "full_name");
		}
	}
	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
		return json_object_get_int64(a) != json_object_get_int64(b);
	if (json_object_is_type(a, json_type_string) && json_object_is_type(b, json_type_string))
		return strcmp(json_object_get_string(a), json_object_get_string(b)) != 0;
	return true;
}

/* Read pull request `payload` into `out` (left as it was on failure), and
 * in `*preview` whether its action brings a head to preview. -1 when it
 * names no pull request, number, action, base branch or head commit. */
static int read_pull(struct webhook_pull *out, bool *preview, enum forge f,
                     struct json_object *payload)
{
	/* The actions that bring a head to preview, per forge. */
	static const char *const previewed[FORGE_COUNT][3] = {
	    [FORGE_GITHUB] = {"opened", "synchronize", "reopened"},
	    [FORGE_GITLAB] = {"open", "update", "reopen"},
	    [FORGE_GITEA] = {"opened", "synchronized", "reopened"},
	};
	struct json_object *pr, *o;
	const char *action, *head, *base, *branch, *fallback;
	int64_t number;
	size_t i;

	if (f == FORGE_GITLAB) {
		pr = json_value_get(payload, "object_attributes");
		action = json_value_get_string(pr, "action");
		o = json_value_get(pr, "iid");
		head = json_value_get_string(json_value_get(pr, "last_commit"), "id");
		base = json_value_get_string(pr, "target_branch");
		branch = json_value_get_string(pr, "source_branch");
		fallback =
		    json_value_get_string(json_value_get(payload, "project"), "default_branch");
	} else {
		pr = json_value_get(payload, "pull_request");
		action = json_value_get_string(payload, "action");
		o = json_value_get(payload, "number");
		if (!o)
			o = json_value_get(pr, "number");
		head = json_value_get_string(json_value_get(pr, "head"), "sha");
		base = json_value_get_string(json_value_get(pr, "base"), "ref");
		branch = json_value_get_string(json_value_get(pr, "head"), "ref");
		fallback =
		    json_value_get_string(json_value_get(payload, "repository"), "default_branch");
	}
	number = json_object_is_type(o, json_type_int) ? json_object_get_int64(o) : 0;
	if (!json_object_is_type(pr, json_type_object) || number <= 0 || !action || !base ||
	    !head || strlen(head) != 40 || strspn(head, "0123456789abcdef") != 40)
		return berth_error_set("not a pull request: it names no %s",
		                       !json_object_is_type(pr, json_type_object) ? "pull request"
		                       : number <= 0                              ? "number"
		                       : !action                                  ? "action"
		                       : !base                                    ? "base branch"
		                                                                  : "head commit");
	out->number = (long)number;
	memcpy(out->head, head, 41);
	buf_adds(&out->base, base);
	buf_adds(&out->branch, branch ? branch : "");
	buf_adds(&out->fallback, fallback ? fallback : "");
	out->fork = from_fork(f, pr);
	out->updated = webhook_time(json_value_get_string(pr, "updated_at"));
	for (i = 0; i < ARRAY_SIZE(previewed[f]) && strcmp(action, previewed[f][i]); i++)
		;
	*preview = i < ARRAY_SIZE(previewed[f]);
	return 0;
}

int webhook_parse(struct webhook_event *out, enum forge f, const char *event, const char *body,
                  size_t len)
{
	struct json_object *payload = NULL;
	bool push = event && is_push(f, event), preview = false;
	int error = 0;

	if (!push && !(event && is_pull(f, event))) {
		out->kind = WEBHOOK_IGNORED;
		return 0;
	}
	payload = json_value_parse(body, len);
	if (!json_object_is_type(payload, json_type_object)) {
		error = berth_error_set("the body is not a JSON object");
		goto out;
	}
	if (!push && (error = read_pull(&out->pull, &preview, f, payload)) < 0)
		goto out;
	if (push && json_value_get_string(payload, "ref"))
		buf_adds(&out->ref, json_value_get_string(payload, "ref"));
	read_repos(&out->keys, payload);
	out->kind = push ? WEBHOOK_PUSH : preview ? WEBHOOK_PULL_PREVIEW : WEBHOOK_PULL_OTHER;
out:
	json_object_put(payload);
	return error;
}

void webhook_event_release(struct webhook_event *e)
{
	buf_release(&e->keys);
	buf_release(&e->ref);
	buf_release(&e->pull.base);
	buf_release(&e->pull.branch);
	buf_release(&e->pull.fallback);
}

bool webhook_ref_moves(const char *ref, const char *pushed)
{
	static const char *const forms[] = {"refs/heads/", "refs/tags/"};
	size_t i, n;

	if (!ref || !pushed || !*pushed)
		return true;
	if (strlen(ref) == 40 && strspn(ref, "0123456789abcdefABCDEF") == 40)
		return false;
	if (!strcmp(ref, pushed))
		return true;
	/* A short name is looked up as a branch, then as a tag (source.c). */
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		n = strlen(forms[i]);
		if (!strncmp(pushed, forms[i], n) && !strcmp(pushed + n, ref))
			return true;
	}
	return false;
}

void repo_key(struct buf *out, const char *url)
{
	struct url u = URL_INIT;
	struct buf rest = BUF_INIT;
	size_t start = out->len, len;
	const char *path;

	if (url_parse(&u, url) < 0) {
		/* What cannot be read matches only itself. */
		buf_adds(out, url);
	} else {
		url_format_path(&rest, &u, 0);
		path = rest.ptr;
		/* A local path or a file:// URL keys as its path. */
		buf_adds(out, u.host);
		if (!url_scheme_is(&u, "file")) {
			buf_addch(out, '/');
			path += strspn(path, "/");
		}
		len = strlen(path);
		while (len && path[len - 1] == '/')
			len--;
		if (len > 4 && !strncasecmp(path + len - 4, ".git", 4))
			len -= 4;
		buf_add(out, path, len);
	}
	for (; start < out->len; start++)
		out->ptr[start] = (char)tolower((unsigned char)out->ptr[start]);
	url_release(&u);
	buf_release(&rest);
}
