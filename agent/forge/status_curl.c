/* The status poster's transport by default: libcurl, one handle that
 * keeps its connections to the forges from one request to the next. */
#include "status_internal.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX    (1u << 20)
#define HEADERS_MAX (64u << 10)

struct status_curl {
	CURL *curl;
	const atomic_bool *stopping;
};

void status_curl_new(struct status_curl **out, const atomic_bool *stopping)
{
	struct status_curl *c = xcalloc(1, sizeof(*c));

	c->stopping = stopping;
	*out = c;
}

void status_curl_free(struct status_curl *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	struct reporter_answer *a = p;

	if (a->body.len + size * n > BODY_MAX)
		return 0;
	buf_add(&a->body, data, size * n);
	return size * n;
}

/* Each header line, without its line break, ended by a NUL; those past
 * HEADERS_MAX are left out. */
static size_t on_header(char *data, size_t size, size_t n, void *p)
{
	struct reporter_answer *a = p;
	size_t len = size * n, keep = len;

	while (keep && (data[keep - 1] == '\n' || data[keep - 1] == '\r'))
		keep--;
	if (keep && a->headers.len + keep < HEADERS_MAX) {
		buf_add(&a->headers, data, keep);
		buf_addch(&a->headers, '\0');
	}
	return len;
}

static int on_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(((struct status_curl *)p)->stopping);
}

int status_curl_call(struct reporter_answer *out, void *ctx, const struct reporter_request *req)
{
	struct status_curl *c = ctx;
	struct curl_slist *headers = NULL;
	const char *line;
	CURLcode rc;
	int error = 0;

	if (!c->curl)
		c->curl = curl_easy_init();
	curl_easy_reset(c->curl);
	for (line = req->headers->ptr; line < req->headers->ptr + req->headers->len;
	     line += strlen(line) + 1)
		headers = curl_slist_append(headers, line);
	curl_easy_setopt(c->curl, CURLOPT_URL, req->url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	if (req->ca_file)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, req->ca_file);
	if (req->body)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req->body);
	if (strcmp(req->method, req->body ? "POST" : "GET"))
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, req->method);
	if ((rc = curl_easy_perform(c->curl)) != CURLE_OK) {
		berth_error_set("%s: %s", req->url, curl_easy_strerror(rc));
		error = BERTH_ECONNECT;
	} else {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->code);
	}
	/* The headers held the token. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return error;
}
