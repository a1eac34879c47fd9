/* The forges' commit-status APIs: each one's URLs, headers, bodies and
 * state names, built and read without I/O. */
#include "forge.h"

#include "../source/url.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[FORGE_COUNT] = {
    [FORGE_GITHUB] = "github",
    [FORGE_GITLAB] = "gitlab",
    [FORGE_GITEA] = "gitea",
};

const char *forge_name(enum forge f)
{
	return names[f];
}

int forge_parse(enum forge *out, const char *name)
{
	size_t i;

	for (i = 0; i < FORGE_COUNT; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum forge)i;
			return 0;
		}
	if (!strcmp(name, "forgejo")) {
		*out = FORGE_GITEA;
		return 0;
	}
	return -1;
}

const char *forge_state(enum forge f, enum status_state s)
{
	static const char *const common[STATUS_STATE_COUNT] = {"pending", "success", "failure",
	                                                       "error"};

	if (f == FORGE_GITLAB && (s == STATUS_FAILURE || s == STATUS_ERROR))
		return "failed";
	return common[s];
}

void status_description_fit(struct buf *out, const char *s)
{
	size_t len = strlen(s), keep, at;

	buf_reset(out);
	/* Whole characters up to the limit, less room for "...". */
	keep = len <= STATUS_DESCRIPTION_MAX ? len : utf8_fit(s, len, STATUS_DESCRIPTION_MAX - 3);
	buf_add(out, s, keep);
	for (at = 0; at < out->len; at++)
		if ((unsigned char)out->ptr[at] < 0x20 || out->ptr[at] == 0x7f)
			out->ptr[at] = ' ';
	if (keep < len)
		buf_adds(out, "...");
}

int forge_repository(struct buf *out, const char *url)
{
	static const char *const schemes[] = {"https", "http", "ssh", "git"};
	struct url u = URL_INIT;
	const char *path, *end;
	size_t i, len;
	int error;

	if ((error = url_parse(&u, url)) < 0)
		return berth_error_prefix(error, "'%s'", url);
	for (i = 0; i < ARRAY_SIZE(schemes) && !url_scheme_is(&u, schemes[i]); i++)
		;
	if (i == ARRAY_SIZE(schemes)) {
		error = berth_error_set("'%s' names no repository on a forge (a local path or "
		                        "file:// URL); set status.repository",
		                        url);
		goto out;
	}
	/* A scp-like path is the whole rest: its '?' and '#' end the name too. */
	path = u.path + strspn(u.path, "/");
	end = path + strcspn(path, "?#");
	while (end > path && end[-1] == '/')
		end--;
	len = (size_t)(end - path);
	if (len > 4 && !strncmp(end - 4, ".git", 4))
		len -= 4;
	if (!len || !memchr(path, '/', len) || path[len - 1] == '/') {
		error =
		    berth_error_set("'%s': the path is not owner/repo; set status.repository", url);
		goto out;
	}
	buf_reset(out);
	buf_add(out, path, len);
out:
	url_release(&u);
	return error;
}

const char *forge_default_base(enum forge f)
{
	return f == FORGE_GITHUB ? "https://api.github.com" : NULL;
}

/* `s` percent-encoded, every byte but the unreserved ones (RFC 3986): a
 * GitLab project path with each '/' as %2F. */
static void add_encoded(struct buf *out, const char *s)
{
	static const char unreserved[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                 "0123456789-._~";

	for (; *s; s++)
		if (strchr(unreserved, *s))
			buf_addch(out, *s);
		else
			buf_addf(out, "%%%02X", (unsigned char)*s);
}

/* base without its trailing slashes */
static void add_base(struct buf *out, const char *base)
{
	size_t len = strlen(base);

	while (len && base[len - 1] == '/')
		len--;
	buf_add(out, base, len);
}

void forge_commit_url(struct buf *out, enum forge f, const char *base, const char *repository,
                      const char *sha)
{
	size_t len;

	buf_reset(out);
	if (!base)
		base = forge_default_base(f);
	if (f == FORGE_GITHUB && !strcmp(base, "https://api.github.com")) {
		buf_adds(out, "https://github.com");
	} else {
		add_base(out, base);
		/* GitHub Enterprise: the API is under /api/v3 of the web host. */
		len = strlen("/api/v3");
		if (f == FORGE_GITHUB && out->len >= len &&
		    !strcmp(out->ptr + out->len - len, "/api/v3")) {
			out->len -= len;
			out->ptr[out->len] = '\0';
		}
	}
	buf_addf(out, "/%s/%scommit/%s", repository, f == FORGE_GITLAB ? "-/" : "", sha);
}

void forge_status_url(struct buf *out, enum forge f, const char *base, const char *repository,
                      const char *sha)
{
	buf_reset(out);
	add_base(out, base);
	if (f == FORGE_GITLAB) {
		buf_adds(out, "/api/v4/projects/");
		add_encoded(out, repository);
		buf_addf(out, "/statuses/%s", sha);
	} else {
		buf_addf(out, "%s/repos/%s/statuses/%s", f == FORGE_GITEA ? "/api/v1" : "",
		         repository, sha);
	}
}

void forge_list_url(struct buf *out, enum forge f, const char *base, const char *repository,
                    const char *sha, const char *context)
{
	buf_reset(out);
	add_base(out, base);
	if (f == FORGE_GITLAB) {
		buf_adds(out, "/api/v4/projects/");
		add_encoded(out, repository);
		buf_addf(out, "/repository/commits/%s/statuses?per_page=100&name=", sha);
		add_encoded(out, context);
	} else if (f == FORGE_GITEA) {
		buf_addf(out, "/api/v1/repos/%s/commits/%s/statuses?limit=50", repository, sha);
	} else {
		buf_addf(out, "/repos/%s/commits/%s/statuses?per_page=100", repository, sha);
	}
}

void forge_comments_url(struct buf *out, enum forge f, const char *base, const char *repository,
                        long number)
{
	buf_reset(out);
	add_base(out, base);
	if (f == FORGE_GITLAB) {
		buf_adds(out, "/api/v4/projects/");
		add_encoded(out, repository);
		buf_addf(out, "/merge_requests/%ld/notes", number);
	} else {
		buf_addf(out, "%s/repos/%s/issues/%ld/comments", f == FORGE_GITEA ? "/api/v1" : "",
		         repository, number);
	}
}

void forge_comment_url(struct buf *out, enum forge f, const char *base, const char *repository,
                       long number, long long id)
{
	if (f == FORGE_GITLAB) {
		forge_comments_url(out, f, base, repository, number);
		buf_addf(out, "/%lld", id);
		return;
	}
	buf_reset(out);
	add_base(out, base);
	buf_addf(out, "%s/repos/%s/issues/comments/%lld", f == FORGE_GITEA ? "/api/v1" : "",
	         repository, id);
}

const char *forge_edit_method(enum forge f)
{
	return f == FORGE_GITLAB ? "PUT" : "PATCH";
}

size_t forge_comment_max(enum forge f)
{
	/* GitHub's limit; GitLab's is 1000000. Gitea sets none: GitHub's. */
	return f == FORGE_GITLAB ? 1000000 : 65536;
}

void forge_comment_body(struct buf *out, const char *text)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "body", json_object_new_string(text));
	buf_reset(out);
	buf_adds(out, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(body);
}

void forge_user_url(struct buf *out, enum forge f, const char *base)
{
	buf_reset(out);
	add_base(out, base);
	buf_adds(out, f == FORGE_GITLAB  ? "/api/v4/user"
	              : f == FORGE_GITEA ? "/api/v1/user"
	                                 : "/user");
}

void forge_account_release(struct forge_account *a)
{
	free(a->login);
	*a = (struct forge_account)FORGE_ACCOUNT_INIT;
}

int forge_account_parse(struct forge_account *out, enum forge f, const char *json, size_t len)
{
	struct json_object *o = json_value_parse(json, len);
	const char *login = json_value_get_string(o, f == FORGE_GITLAB ? "username" : "login");
	struct json_object *id = json_value_get(o, "id");
	int error = 0;

	if (!login || !*login || (f == FORGE_GITLAB && !json_object_is_type(id, json_type_int)))
		error = berth_error_set("the forge's answer names no account (no %s)",
		                        f == FORGE_GITLAB ? "id and username" : "login");
	else {
		forge_account_release(out);
		out->login = xstrdup(login);
		out->id = f == FORGE_GITLAB ? (long long)json_object_get_int64(id) : 0;
	}
	json_object_put(o);
	return error;
}

/* Is comment `c` berth's? GitHub's and Gitea's name their author's login
 * under "user" (compared ignoring case, as both forges do); GitLab's notes
 * their author's id under "author". */
static bool is_mine(struct json_object *c, enum forge f, const struct forge_mine *mine)
{
	long long id = (long long)json_object_get_int64(json_value_get(c, "id"));
	struct json_object *author = json_value_get(c, f == FORGE_GITLAB ? "author" : "user");
	const char *login = json_value_get_string(author, "login");
	size_t i;

	for (i = 0; i < mine->nids; i++)
		if (mine->ids[i] == id)
			return true;
	if (!mine->self)
		return false;
	if (f == FORGE_GITLAB)
		return json_object_is_type(json_value_get(author, "id"), json_type_int) &&
		       json_object_get_int64(json_value_get(author, "id")) == mine->self->id;
	return login && mine->self->login && !strcasecmp(login, mine->self->login);
}

int forge_find_comment(long long *id, struct buf *body, size_t *count, enum forge f,
                       const struct forge_mine *mine, const char *json, size_t len,
                       const char *marker)
{
	struct json_object *list = json_value_parse(json, len);
	size_t i;
	int error = BERTH_ENOTFOUND;

	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return berth_error_set("the forge's list of comments is not a JSON list");
	}
	*count = json_object_array_length(list);
	for (i = 0; i < json_object_array_length(list) && error; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		const char *text = json_value_get_string(c, "body");

		if (!text || !strstr(text, marker) || !json_value_get(c, "id") ||
		    !is_mine(c, f, mine))
			continue;
		*id = (long long)json_object_get_int64(json_value_get(c, "id"));
		buf_reset(body);
		buf_adds(body, text);
		error = 0;
	}
	json_object_put(list);
	return error;
}

int forge_comment_id(long long *id, const char *json, size_t len)
{
	struct json_object *o = json_value_parse(json, len);
	struct json_object *v = json_value_get(o, "id");
	int error = 0;

	if (!json_object_is_type(v, json_type_int))
		error = berth_error_set("the forge's answer names no comment (no id)");
	else
		*id = (long long)json_object_get_int64(v);
	json_object_put(o);
	return error;
}

void forge_status_body(struct buf *out, enum forge f, enum status_state s, const char *context,
                       const char *description, const char *target_url, const char *ref)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "state", json_object_new_string(forge_state(f, s)));
	json_object_object_add(body, f == FORGE_GITLAB ? "name" : "context",
	                       json_object_new_string(context));
	json_object_object_add(body, "description", json_object_new_string(description));
	if (target_url)
		json_object_object_add(body, "target_url", json_object_new_string(target_url));
	if (ref && f == FORGE_GITLAB)
		json_object_object_add(body, "ref", json_object_new_string(ref));
	buf_reset(out);
	buf_adds(out, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(body);
}

int forge_api_version_check(const char *v)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(v[i] >= '0' && v[i] <= '9') : v[i] != shape[i])
			break;
	if (shape[i] || v[i])
		return berth_error_set("not an API version: GitHub names them by date, for example "
		                       "%s",
		                       FORGE_GITHUB_API_VERSION);
	return 0;
}

void forge_headers(struct buf *out, enum forge f, const char *token, const char *api_version)
{
	buf_reset(out);
	switch (f) {
	case FORGE_GITHUB:
		buf_addf(out, "Authorization: Bearer %s", token);
		buf_addch(out, '\0');
		buf_adds(out, "Accept: application/vnd.github+json");
		buf_addch(out, '\0');
		buf_addf(out, "X-GitHub-Api-Version: %s",
		         api_version ? api_version : FORGE_GITHUB_API_VERSION);
		break;
	case FORGE_GITLAB:
		buf_addf(out, "PRIVATE-TOKEN: %s", token);
		break;
	default:
		buf_addf(out, "Authorization: token %s", token);
		break;
	}
	buf_addch(out, '\0');
}

int forge_newest(struct buf *state, struct buf *description, enum forge f, const char *body,
                 size_t len, const char *context)
{
	struct json_object *list = json_value_parse(body, len), *best = NULL;
	int64_t best_id = -1;
	size_t i;
	int error = BERTH_ENOTFOUND;

	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return berth_error_set("the forge's list of statuses is not a JSON list");
	}
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *st = json_object_array_get_idx(list, i), *id;
		const char *c = json_value_get_string(st, f == FORGE_GITLAB ? "name" : "context");

		if (!c || (f == FORGE_GITHUB ? strcasecmp(c, context) : strcmp(c, context)))
			continue;
		id = json_value_get(st, "id");
		if (!best || (id && json_object_get_int64(id) > best_id)) {
			best = st;
			best_id = id ? json_object_get_int64(id) : -1;
		}
	}
	if (best) {
		const char *s = json_value_get_string(best, f == FORGE_GITLAB ? "status" : "state");
		const char *d = json_value_get_string(best, "description");

		/* GitLab lists a status's state as "status". */
		if (!s)
			s = json_value_get_string(best, "state");
		buf_reset(state);
		buf_adds(state, s ? s : "");
		buf_reset(description);
		buf_adds(description, d ? d : "");
		error = 0;
	}
	json_object_put(list);
	return error;
}

int status_template(struct buf *out, const char *tmpl, const char *sha, const char *source,
                    const char *cluster)
{
	static const char *const keys[] = {"sha", "source", "cluster"};
	const char *values[] = {sha, source, cluster};
	const char *p = tmpl, *close;
	size_t i;

	buf_reset(out);
	while (*p) {
		if (*p != '{') {
			buf_addch(out, *p++);
			continue;
		}
		if (!(close = strchr(p, '}')))
			return berth_error_set("'%s': a '{' without its '}'", tmpl);
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if ((size_t)(close - p - 1) == strlen(keys[i]) &&
			    !strncmp(p + 1, keys[i], strlen(keys[i])))
				break;
		if (i == ARRAY_SIZE(keys))
			return berth_error_set(
			    "'%s': unknown {%.*s} (use {sha}, {source}, {cluster})", tmpl,
			    (int)(close - p - 1), p + 1);
		buf_adds(out, values[i] ? values[i] : "");
		p = close + 1;
	}
	return 0;
}
