/* The Kubernetes REST client over libcurl: credentials, TLS, retries with
 * back-off, lists, watches and the API's error statuses. */
#include "kube_client.h"

#include "../diff/base/http_status.h"

#include "../diff/base/clock.h"
#include "curl_sockets.h"
#include "exec_plugin.h"
#include "ssa.h"

#include "../diff/base/alloc.h"
#include "../diff/base/digest.h"
#include "../diff/base/secret.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct kube_client {
	CURL *curl;
	char *server; /* as the kubeconfig names it, for messages */
	/* Where requests go: the server, or with tls-server-name that name
	 * (for SNI and the certificate's check), connected to the server's
	 * address through `connect_to`. */
	char *base;
	struct curl_slist *connect_to;
	char *auth_header; /* "Authorization: Bearer ..." or NULL: a secret */
	char *token_file;  /* re-read when it changes (projected tokens rotate) */
	struct stat token_stat;
	struct buf ca, cert, key;
	struct exec_plugin *exec; /* shared with copies, or NULL */
	unsigned long exec_gen;   /* the generation of the exec credential in use */
	bool fresh_connect;       /* the client certificate changed */
	struct kube_client_options opts;
	char errbuf[CURL_ERROR_SIZE];
	struct stream *stream;              /* during kube_client_watch() */
	const struct stop *stop;            /* see kube_client_set_stop() */
	bool abandon;                       /* ... and the request under way is abandoned */
	char identity[2 * SHA256_SIZE + 1]; /* see kube_client_identity() */
	struct curl_sockets sockets;        /* for kube_client_interrupt() */
	char *version;                      /* the server's gitVersion, once read */
};

/* A watch: its events, one JSON object a line, go to fn as they come. */
struct stream {
	int (*fn)(struct json_object *event, void *ctx);
	void *ctx;
	int error; /* fn's */
};

struct sink {
	struct buf *body;
	size_t max;
	bool too_big;
	CURL *curl;
	struct stream *stream;
};

/* Hand each whole line of a 2xx watch to the stream's fn. */
static size_t on_lines(struct sink *s, const char *ptr, size_t n)
{
	long status = 0;
	char *nl;

	buf_add(s->body, ptr, n);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	while (status / 100 == 2 && (nl = memchr(s->body->ptr, '\n', s->body->len))) {
		size_t len = (size_t)(nl - s->body->ptr);
		/* As call() leaves a LIST's items: without others' managedFields. */
		struct json_object *event = json_value_parse(
		    s->body->ptr,
		    json_value_strip_event_managed_fields(s->body->ptr, len, FIELD_MANAGER));
		int error = event ? s->stream->fn(event, s->stream->ctx)
		                  : berth_error_prefix(BERTH_ERROR, "a watch event is not JSON");

		json_object_put(event);
		s->body->len -= len + 1;
		memmove(s->body->ptr, nl + 1, s->body->len + 1);
		if (error < 0) {
			s->stream->error = error;
			return 0;
		}
	}
	if (s->body->len > s->max) {
		s->too_big = true;
		return 0;
	}
	return n;
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const struct kube_client *c = p;
	int why = stop_requested(c->stop);

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return why && (c->abandon || why == STOP_ABANDON);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (s->stream)
		return on_lines(s, ptr, n);
	if (s->body->len + n > s->max) {
		s->too_big = true;
		return 0;
	}
	buf_add(s->body, ptr, n);
	return n;
}

static void copy_buf(struct buf *dst, const struct buf *src)
{
	buf_init(dst);
	buf_add(dst, src->ptr, src->len);
}

static void set_blob(CURL *curl, CURLoption opt, struct buf *b)
{
	struct curl_blob blob = {b->ptr, b->len, CURL_BLOB_NOCOPY};

	curl_easy_setopt(curl, opt, &blob);
}

/*
 * Check the server's certificate against `name` (kubeconfig's
 * tls-server-name), as kubectl does: requests go to https://name:port,
 * which curl connects to the server's own host and port.
 */
static int connect_as(struct kube_client *c, const char *name)
{
	const char *host = c->server + strlen("https://"), *port, *end;
	struct buf base = BUF_INIT, map = BUF_INIT;

	if (strncmp(c->server, "https://", 8) || has_control_chars(name) || strpbrk(name, ":/[]@"))
		return berth_error_set(
		    "tls-server-name '%s' for %s: it needs an https server and a "
		    "host name",
		    name, c->server);
	end = *host == '[' ? strchr(host, ']') : host;
	end = end ? end + strcspn(end, ":/") : host + strlen(host);
	port = *end == ':' ? end + 1 : "443";
	buf_addf(&base, "https://%s:%.*s%s", name, (int)strcspn(port, "/"), port,
	         *end == ':' ? port + strcspn(port, "/") : end);
	buf_addf(&map, "%s:%.*s:%.*s:%.*s", name, (int)strcspn(port, "/"), port, (int)(end - host),
	         host, (int)strcspn(port, "/"), port);
	c->base = buf_detach(&base, NULL);
	c->connect_to = curl_slist_append(NULL, map.ptr);
	curl_easy_setopt(c->curl, CURLOPT_CONNECT_TO, c->connect_to);
	buf_release(&map);
	return 0;
}

/* Add `s` (NULL: "") and its NUL, so that no two lists of parts read alike. */
static void add_part(struct buf *b, const char *s)
{
	buf_add(b, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* Who `kc` reaches and as whom, as a digest: see kube_client_identity(). */
static void set_identity(struct kube_client *c, const struct kubeconfig *kc)
{
	struct buf id = BUF_INIT;
	uint8_t sum[SHA256_SIZE];
	size_t i;

	add_part(&id, kc->server);
	add_part(&id, kc->tls_server_name);
	/* The credential's identity, not its value of the moment: a plugin
	 * renews its credential, a token file's token rotates. */
	if (kc->exec)
		add_part(&id, kc->exec->user);
	else
		add_part(&id, kc->token_file ? kc->token_file : kc->token);
	if (kc->cert_data.len)
		buf_add(&id, kc->cert_data.ptr, kc->cert_data.len);
	add_part(&id, kc->cert_data.len ? NULL : kc->cert_file);
	add_part(&id, kc->username);
	sha256(sum, id.ptr, id.len);
	for (i = 0; i < SHA256_SIZE; i++)
		snprintf(c->identity + 2 * i, 3, "%02x", sum[i]);
	buf_release_secret(&id);
}

int kube_client_new(struct kube_client **out, const struct kubeconfig *kc,
                    const struct kube_client_options *opts)
{
	struct kube_client_options defaults = KUBE_CLIENT_OPTIONS_INIT;
	struct kube_client *c = xcalloc(1, sizeof(*c));
	struct buf auth = BUF_INIT;
	CURL *curl;

	c->opts = opts ? *opts : defaults;
	c->server = xstrdup(kc->server);
	set_identity(c, kc);
	copy_buf(&c->ca, &kc->ca_data);
	copy_buf(&c->cert, &kc->cert_data);
	copy_buf(&c->key, &kc->key_data);
	c->curl = curl = curl_easy_init();
	if (!curl) {
		kube_client_free(c);
		return berth_error_set("cannot initialise libcurl");
	}
	curl_sockets_init(&c->sockets, curl);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_USERAGENT,
	                 c->opts.user_agent ? c->opts.user_agent : "berth/" BERTH_VERSION);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->opts.request_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

	if (kc->tls_server_name && connect_as(c, kc->tls_server_name) < 0) {
		kube_client_free(c);
		return -1;
	}
	if (!c->base)
		c->base = xstrdup(c->server);
	if (!strncmp(kc->server, "http://", 7) && (kc->token || kc->password || kc->exec))
		kube_client_warn(c, "credentials for %s go in clear text (http://)", kc->server);
	if (kc->insecure) {
		kube_client_warn(c, "TLS verification is off for %s (insecure-skip-tls-verify)",
		                 kc->server);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca.len) {
		set_blob(curl, CURLOPT_CAINFO_BLOB, &c->ca);
	} else if (kc->ca_file) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, kc->ca_file);
	}
	if (c->cert.len)
		set_blob(curl, CURLOPT_SSLCERT_BLOB, &c->cert);
	else if (kc->cert_file)
		curl_easy_setopt(curl, CURLOPT_SSLCERT, kc->cert_file);
	if (c->key.len)
		set_blob(curl, CURLOPT_SSLKEY_BLOB, &c->key);
	else if (kc->key_file)
		curl_easy_setopt(curl, CURLOPT_SSLKEY, kc->key_file);

	if (kc->token) {
		buf_addf(&auth, "Authorization: Bearer %s", kc->token);
		c->auth_header = buf_detach(&auth, NULL);
		if (kc->token_file) {
			c->token_file = xstrdup(kc->token_file);
			stat(c->token_file, &c->token_stat);
		}
	} else if (kc->username && kc->password) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, kc->username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, kc->password);
	}
	/* The plugin runs at the first request, not before. */
	if (kc->exec)
		exec_plugin_new(&c->exec, kc->exec);
	*out = c;
	return 0;
}

int kube_client_dup(struct kube_client **out, struct kube_client *orig)
{
	struct kube_client *c = xcalloc(1, sizeof(*c));

	c->opts = orig->opts;
	c->stop = orig->stop;
	c->abandon = orig->abandon;
	c->server = xstrdup(orig->server);
	memcpy(c->identity, orig->identity, sizeof(c->identity));
	c->base = xstrdup(orig->base);
	if (orig->connect_to)
		c->connect_to = curl_slist_append(NULL, orig->connect_to->data);
	c->auth_header = xstrdup_or_null(orig->auth_header);
	c->token_file = xstrdup_or_null(orig->token_file);
	c->token_stat = orig->token_stat;
	c->version = xstrdup_or_null(orig->version);
	copy_buf(&c->ca, &orig->ca);
	copy_buf(&c->cert, &orig->cert);
	copy_buf(&c->key, &orig->key);
	/* The copy shares the plugin and its cache, starting from the
	 * credential the original holds. */
	if (orig->exec)
		c->exec = exec_plugin_ref(orig->exec);
	c->exec_gen = orig->exec_gen;
	/* The copied handle still points at the original's blobs and buffer. */
	c->curl = curl_easy_duphandle(orig->curl);
	if (!c->curl) {
		kube_client_free(c);
		return berth_error_set("cannot initialise libcurl");
	}
	curl_sockets_init(&c->sockets, c->curl);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->ca.len)
		set_blob(c->curl, CURLOPT_CAINFO_BLOB, &c->ca);
	if (c->cert.len)
		set_blob(c->curl, CURLOPT_SSLCERT_BLOB, &c->cert);
	if (c->key.len)
		set_blob(c->curl, CURLOPT_SSLKEY_BLOB, &c->key);
	*out = c;
	return 0;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		curl_sockets_release(&c->sockets);
	}
	free(c->server);
	free(c->base);
	curl_slist_free_all(c->connect_to);
	free_secret(c->auth_header);
	free(c->token_file);
	free(c->version);
	buf_release(&c->ca);
	buf_release(&c->cert);
	buf_release_secret(&c->key);
	exec_plugin_free(c->exec);
	free(c);
}

void kube_client_interrupt(struct kube_client *c)
{
	curl_sockets_interrupt(&c->sockets);
}

const char *kube_client_server(const struct kube_client *c)
{
	return c->server;
}

const char *kube_client_identity(const struct kube_client *c)
{
	return c->identity;
}

int kube_client_version(const char **out, struct kube_client *c)
{
	struct json_object *doc = NULL;
	const char *v;
	int error = 0;

	if (!c->version) {
		if ((error = kube_client_get_json(&doc, c, "/version")) == 0 &&
		    (!(v = json_value_get_string(doc, "gitVersion")) || !*v))
			error = berth_error_set("%s/version: no gitVersion", c->server);
		if (error == 0)
			c->version = xstrdup(v);
		json_object_put(doc);
	}
	*out = c->version;
	return error;
}

void kube_response_release(struct kube_response *r)
{
	buf_release(&r->body);
	r->status = 0;
}

/* Take up a token file's new token once the file has changed. A file that
 * cannot be read keeps the last token: the request then says why. A token
 * with a control character in it fails the request. */
static int refresh_token(struct kube_client *c)
{
	struct buf token = BUF_INIT, header = BUF_INIT;
	int read;

	if (!c->token_file)
		return 0;
	/* The token it holds, kept in c->auth_header, is not kept twice. */
	if (c->auth_header)
		buf_adds(&token, c->auth_header + strlen("Authorization: Bearer "));
	read = secret_refresh(&token, &c->token_stat, c->token_file, "token");
	if (read > 0) {
		buf_addf(&header, "Authorization: Bearer %s", token.ptr);
		free_secret(c->auth_header);
		c->auth_header = buf_detach(&header, NULL);
	}
	buf_release_secret(&token);
	return read < 0 ? read : 0;
}

void kube_client_warn(struct kube_client *c, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (c->opts.warn)
		c->opts.warn(msg.ptr, c->opts.warn_ctx);
	else
		fprintf(stderr, "warning: %s\n", msg.ptr);
	buf_release(&msg);
}

/* A plugin's stderr, when it succeeded: warnings for the user, not secret. */
static void plugin_said(const char *text, void *ctx)
{
	kube_client_warn(ctx, "%s", text);
}

/* Take up the exec plugin's credential when it is not the one in use: its
 * token, or its client certificate and key. */
static int refresh_exec(struct kube_client *c)
{
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	struct buf header = BUF_INIT;
	int rc;

	if (!c->exec ||
	    (rc = exec_plugin_get(&cred, &c->exec_gen, c->exec, c->stop, plugin_said, c)) == 0)
		return 0;
	if (rc < 0)
		return rc;
	free_secret(c->auth_header);
	c->auth_header = NULL;
	if (cred.token && has_control_chars(cred.token)) {
		exec_credential_release(&cred);
		return berth_error_set("the exec plugin's token holds a control character (CR, LF "
		                       "or another); refused (it is not shown)");
	}
	if (cred.token) {
		buf_addf(&header, "Authorization: Bearer %s", cred.token);
		c->auth_header = buf_detach(&header, NULL);
	}
	if (cred.cert.len || c->cert.len) {
		buf_release(&c->cert);
		buf_release_secret(&c->key);
		copy_buf(&c->cert, &cred.cert);
		copy_buf(&c->key, &cred.key);
		/* Blobs of length 0 would be read as empty PEM: unset them. */
		if (c->cert.len) {
			set_blob(c->curl, CURLOPT_SSLCERT_BLOB, &c->cert);
			set_blob(c->curl, CURLOPT_SSLKEY_BLOB, &c->key);
		} else {
			curl_easy_setopt(c->curl, CURLOPT_SSLCERT_BLOB, NULL);
			curl_easy_setopt(c->curl, CURLOPT_SSLKEY_BLOB, NULL);
		}
		/* A reused connection would still present the old certificate. */
		c->fresh_connect = true;
	}
	exec_credential_release(&cred);
	return 0;
}

static int send_once(struct kube_response *resp, struct kube_client *c, const char *method,
                     const char *path, const char *content_type, const char *body, size_t body_len)
{
	struct curl_slist *headers = NULL;
	struct buf url = BUF_INIT, ct = BUF_INIT;
	struct sink sink = {&resp->body, c->opts.max_body, false, c->curl, c->stream};
	CURL *curl = c->curl;
	CURLcode rc;
	int error = 0;

	BERTH_ASSERT(path[0] == '/');
	if ((error = refresh_token(c)) < 0 || (error = refresh_exec(c)) < 0)
		return error;
	buf_addf(&url, "%s%s", c->base, path);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (c->auth_header)
		headers = curl_slist_append(headers, c->auth_header);
	if (content_type) {
		buf_addf(&ct, "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, ct.ptr);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url.ptr);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else {
		/* Undo the last request's body. */
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOBODY, strcmp(method, "HEAD") ? 0L : 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, c->stop ? 0L : 1L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
	c->errbuf[0] = '\0';
	buf_reset(&resp->body);
	resp->status = 0;
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, c->fresh_connect ? 1L : 0L);
	c->fresh_connect = false;

	rc = c->stream ? curl_perform_waiting(curl) : curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (c->stream && c->stream->error) {
		/* The watch's callback stopped it: its message stands. */
		error = c->stream->error;
		goto out;
	}
	if (sink.too_big) {
		error = berth_error_set("%s %s: the response is larger than %zu bytes", method,
		                        url.ptr, c->opts.max_body);
		goto out;
	}
	if (rc != CURLE_OK) {
		berth_error_set("%s %s: cannot reach the server: %s", method, url.ptr,
		                c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		error = BERTH_ECONNECT;
		goto out;
	}
out:
	if (c->opts.observe)
		c->opts.observe(method, resp->status, c->opts.observe_ctx);
	/* The header list holds the token: drop the handle's pointer to it. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	buf_release(&ct);
	buf_release(&url);
	return error;
}

int kube_client_request(struct kube_response *resp, struct kube_client *c, const char *method,
                        const char *path, const char *content_type, const char *body,
                        size_t body_len)
{
	int error = send_once(resp, c, method, path, content_type, body, body_len);

	/* The server refused the plugin's credential (revoked, or expired
	 * early): run the plugin again, once, and resend. */
	if (!error && resp->status == 401 && c->exec) {
		exec_plugin_invalidate(c->exec, c->exec_gen);
		error = send_once(resp, c, method, path, content_type, body, body_len);
	}
	return error;
}

/* The Retry-After of the last answer, in milliseconds; 0 when none. */
static long retry_after_ms(struct kube_client *c)
{
	curl_off_t seconds = 0;

	if (curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK || seconds < 0)
		return 0;
	return seconds > 60 ? 60000 : (long)seconds * 1000;
}

void kube_client_scrub_quotes(struct buf *msg)
{
	static const struct {
		const char *open, *close;
	} quotes[] = {{"...|", "|..."}, {"Invalid value: \"", "\""}};
	struct buf out = BUF_INIT;
	const char *p = msg->ptr, *q, *end;
	size_t i;

	while (*p) {
		const char *first = NULL;
		size_t which = 0;

		for (i = 0; i < ARRAY_SIZE(quotes); i++)
			if ((q = strstr(p, quotes[i].open)) && (!first || q < first)) {
				first = q;
				which = i;
			}
		if (!first) {
			buf_adds(&out, p);
			break;
		}
		first += strlen(quotes[which].open);
		buf_add(&out, p, (size_t)(first - p));
		buf_adds(&out, "***");
		end = strstr(first, quotes[which].close);
		p = end ? end : first + strlen(first);
	}
	buf_reset(msg);
	buf_add(msg, out.ptr, out.len);
	buf_release(&out);
}

/* Does `path` name a Secret, or the collection of them? */
static bool names_secrets(const char *path)
{
	const char *p = strstr(path, "/secrets");

	return p && (p[8] == '\0' || p[8] == '/' || p[8] == '?');
}

/* The error of a non-2xx answer, from its Status when it has one. */
static int status_error(const struct kube_client *c, const char *method, const char *path,
                        long status, struct json_object *doc)
{
	const char *reason = http_reason_phrase(status),
	           *text = json_value_get_string(doc, "message");
	struct json_object *causes = json_value_get(json_value_get(doc, "details"), "causes");
	struct buf msg = BUF_INIT;
	size_t i;

	/* Skip the server's message when it only repeats the status. */
	if (!text || !strcmp(text, reason))
		text = "";
	buf_addf(&msg, "%s %s%s: %ld%s%s%s%s", method, c->server, path, status, *reason ? " " : "",
	         reason, *text ? ": " : "", text);
	for (i = 0; status == 422 && i < json_object_array_length(causes); i++) {
		struct json_object *cause = json_object_array_get_idx(causes, i);
		const char *field = json_value_get_string(cause, "field"),
		           *message = json_value_get_string(cause, "message");
		buf_addf(&msg, "\n  %s: %s", field ? field : "(object)", message ? message : "");
	}
	if (names_secrets(path))
		kube_client_scrub_quotes(&msg);
	berth_error_set("%s", msg.ptr);
	buf_release(&msg);
	return status == 404   ? BERTH_ENOTFOUND
	       : status == 409 ? BERTH_ECONFLICT
	       : status == 403 ? BERTH_EFORBIDDEN
	       : status == 410 ? BERTH_EGONE
	                       : BERTH_EHTTP;
}

/* Send a request, again while no answer comes or the server is
 * unavailable or asks to wait (kube_client_call()). */
static int send_retrying(struct kube_response *resp, struct kube_client *c, const char *method,
                         const char *path, const char *content_type, const char *body)
{
	long wait_ms = c->opts.backoff_ms, after;
	unsigned attempt;
	bool again;
	int error = 0;

	for (attempt = 1;; attempt++) {
		error = kube_client_request(resp, c, method, path, content_type, body,
		                            body ? strlen(body) : 0);
		again = error == BERTH_ECONNECT ||
		        (!error && (resp->status >= 500 || resp->status == 429));

		if (!again || attempt >= c->opts.max_attempts || stop_requested(c->stop))
			break;
		after = error ? 0 : retry_after_ms(c);
		/* Full jitter: anywhere up to the doubled wait, never under Retry-After. */
		if (clock_nap(after > 0 ? after : 1 + (long)(clock_jitter() * (double)wait_ms),
		              c->stop))
			break;
		wait_ms *= 2;
	}
	return error;
}

/* What `resp`, the answer to `method` `path`, says: its JSON, leaving the
 * managedFields in when !strip, or the error of its status. */
static int answer(struct json_object **out, const struct kube_client *c, const char *method,
                  const char *path, struct kube_response *resp, bool strip)
{
	struct json_object *doc;
	int error = 0;

	if (strip)
		resp->body.len =
		    json_value_strip_managed_fields(resp->body.ptr, resp->body.len, FIELD_MANAGER);
	doc = json_value_parse(resp->body.ptr, resp->body.len);
	if (resp->status < 200 || resp->status > 299)
		error = status_error(c, method, path, resp->status, doc);
	else if (!doc && out)
		error = berth_error_set("%s %s%s: the answer is not valid JSON", method, c->server,
		                        path);
	else if (out)
		*out = doc, doc = NULL;
	json_object_put(doc);
	return error;
}

/* kube_client_call(), leaving the managedFields in when !strip. */
static int call(struct json_object **out, struct kube_client *c, const char *method,
                const char *path, const char *content_type, const char *body, bool strip)
{
	struct kube_response resp = KUBE_RESPONSE_INIT;
	int error = send_retrying(&resp, c, method, path, content_type, body);

	if (error == 0)
		error = answer(out, c, method, path, &resp, strip);
	kube_response_release(&resp);
	return error;
}

int kube_client_get_text(struct kube_response *resp, struct kube_client *c, const char *path)
{
	return send_retrying(resp, c, "GET", path, NULL, NULL);
}

int kube_client_get_answer(struct json_object **out, const struct kube_client *c, const char *path,
                           struct kube_response *resp)
{
	return answer(out, c, "GET", path, resp, true);
}

int kube_client_call(struct json_object **out, struct kube_client *c, const char *method,
                     const char *path, const char *content_type, const char *body)
{
	return call(out, c, method, path, content_type, body, true);
}

int kube_client_get_json(struct json_object **out, struct kube_client *c, const char *path)
{
	return call(out, c, "GET", path, NULL, NULL, true);
}

int kube_client_get_owned(struct json_object **out, struct kube_client *c, const char *path)
{
	return call(out, c, "GET", path, NULL, NULL, false);
}

void kube_client_set_stop(struct kube_client *c, const struct stop *stop, bool abandon)
{
	c->stop = stop;
	c->abandon = abandon;
}

int kube_client_watch(struct kube_client *c, const char *path,
                      int (*fn)(struct json_object *event, void *ctx), void *ctx, long timeout_s)
{
	struct stream stream = {fn, ctx, 0};
	struct kube_response resp = KUBE_RESPONSE_INIT;
	struct json_object *doc = NULL;
	struct buf url = BUF_INIT;
	int error;

	buf_addf(&url, "%s%cwatch=1&allowWatchBookmarks=true&timeoutSeconds=%ld", path,
	         strchr(path, '?') ? '&' : '?', timeout_s);
	/* The server ends the watch after timeout_s; give it time to. */
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (timeout_s + 30) * 1000);
	c->stream = &stream;
	error = kube_client_request(&resp, c, "GET", url.ptr, NULL, NULL, 0);
	c->stream = NULL;
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->opts.request_timeout_ms);
	if (stop_requested(c->stop))
		error = 0;
	else if (!error && (resp.status < 200 || resp.status > 299)) {
		doc = json_value_parse(resp.body.ptr, resp.body.len);
		error = status_error(c, "GET", url.ptr, resp.status, doc);
	}
	json_object_put(doc);
	kube_response_release(&resp);
	buf_release(&url);
	return error;
}
