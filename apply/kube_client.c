#include "kube_client.h"

#include "../diff/alloc.h"
#include "../diff/error.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kube_client {
	CURL *curl;
	char *server;
	char *auth_header; /* "Authorization: Bearer ..." or NULL: a secret */
	struct buf ca, cert, key;
	struct kube_client_options opts;
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	struct buf *body;
	size_t max;
	bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

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

int kube_client_new(struct kube_client **out, const struct kubeconfig *kc,
                    const struct kube_client_options *opts)
{
	struct kube_client_options defaults = KUBE_CLIENT_OPTIONS_INIT;
	struct kube_client *c = xcalloc(1, sizeof(*c));
	struct buf auth = BUF_INIT;
	CURL *curl;

	c->opts = opts ? *opts : defaults;
	c->server = xstrdup(kc->server);
	copy_buf(&c->ca, &kc->ca_data);
	copy_buf(&c->cert, &kc->cert_data);
	copy_buf(&c->key, &kc->key_data);
	c->curl = curl = curl_easy_init();
	if (!curl) {
		kube_client_free(c);
		return berth_error_set("cannot initialise libcurl");
	}
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->opts.request_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

	if (kc->insecure) {
		fprintf(stderr,
		        "warning: TLS verification is off for %s "
		        "(insecure-skip-tls-verify)\n",
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
	} else if (kc->username && kc->password) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, kc->username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, kc->password);
	}
	*out = c;
	return 0;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->server);
	free_secret(c->auth_header);
	buf_release(&c->ca);
	buf_release(&c->cert);
	buf_release_secret(&c->key);
	free(c);
}

const char *kube_client_server(const struct kube_client *c)
{
	return c->server;
}

void kube_response_release(struct kube_response *r)
{
	buf_release(&r->body);
	r->status = 0;
}

int kube_client_request(struct kube_response *resp, struct kube_client *c, const char *method,
                        const char *path, const char *content_type, const char *body,
                        size_t body_len)
{
	struct curl_slist *headers = NULL;
	struct buf url = BUF_INIT, ct = BUF_INIT;
	struct sink sink = {&resp->body, c->opts.max_body, false};
	CURL *curl = c->curl;
	CURLcode rc;
	int error = 0;

	BERTH_ASSERT(path[0] == '/');
	buf_addf(&url, "%s%s", c->server, path);
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
	c->errbuf[0] = '\0';
	buf_reset(&resp->body);

	rc = curl_easy_perform(curl);
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
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	/* The header list holds the token: drop the handle's pointer to it. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	buf_release(&ct);
	buf_release(&url);
	return error;
}

static const char *reason_phrase(long status)
{
	static const struct {
		long status;
		const char *text;
	} phrases[] = {
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {413, "Request Entity Too Large"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Entity"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(phrases); i++)
		if (phrases[i].status == status)
			return phrases[i].text;
	return "";
}

int kube_client_get_json(struct json_object **out, struct kube_client *c, const char *path)
{
	struct kube_response resp = KUBE_RESPONSE_INIT;
	struct json_object *doc = NULL;
	enum json_tokener_error jerr;
	int error;

	if ((error = kube_client_request(&resp, c, "GET", path, NULL, NULL, 0)) < 0)
		goto out;
	doc = json_tokener_parse_verbose(resp.body.ptr, &jerr);
	if (resp.status < 200 || resp.status > 299) {
		struct json_object *msg = NULL;
		const char *reason = reason_phrase(resp.status), *text = "";

		/* The server's Status says why; skip it when it only repeats the status. */
		if (doc && json_object_object_get_ex(doc, "message", &msg))
			text = json_object_get_string(msg);
		if (!strcmp(text, reason))
			text = "";
		berth_error_set("GET %s%s: %ld%s%s%s%s", c->server, path, resp.status,
		                *reason ? " " : "", reason, *text ? ": " : "", text);
		error = resp.status == 404 ? BERTH_ENOTFOUND : BERTH_EHTTP;
		goto out;
	}
	if (!doc) {
		error = berth_error_set("GET %s%s: the answer is not JSON: %s", c->server, path,
		                        json_tokener_error_desc(jerr));
		goto out;
	}
	*out = doc;
	doc = NULL;
out:
	json_object_put(doc);
	kube_response_release(&resp);
	return error;
}
