/*
 * Fuzz harness for what berth run reads from the network: the head of an
 * HTTP request (agent/http/http_server.c) and a forge's push webhook
 * (agent/forge/webhook.c).
 *
 * The whole input goes through both:
 *
 *   As a request, the way the server reads one: http_request_parse() on a
 *   writable, NUL-terminated copy. A head it takes must be what it says
 *   (the bytes up to the first blank line, a method of token characters, a
 *   path starting with '/', headers with token names that
 *   http_request_header() finds whatever their case, a Content-Length that
 *   all the Content-Length headers agree on, no Transfer-Encoding, an
 *   Expect only when 100-continue) and the bytes after it must be left
 *   alone; the same head cut just before its end needs more, and cut at
 *   its end parses the same. "Need more" must leave the bytes alone too
 *   (the server parses again once more arrive). When the body is whole, it
 *   goes to the webhook code as the server's handler gives it: each
 *   forge's signature header to webhook_verify(), the body to
 *   webhook_parse() under the request's event header, and as a push and
 *   as a pull request of each forge.
 *
 *   As a payload: webhook_parse() on the whole input as a push and as a
 *   pull request of each forge, repo_key() on it as a C string, and
 *   webhook_verify() with it as both the signature and the body.
 *
 * webhook_verify() must say yes to the right signature (computed here with
 * hmac_sha256()) and to nothing else. Every key of webhook_parse() and
 * repo_key() must be lowercase, repo_key() must only append, the ref of a
 * push must be the payload's, a pull request must have its number, base
 * and head, and a failure must leave the event as it was.
 *
 * Errors are fine; a broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../agent/http/http_server.h"
#include "../../agent/forge/webhook.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/digest.h"
#include "../../diff/base/json_value.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Small, so that 413 is in reach. */
#define MAX_BODY 4096

/* The secret of every forge; seeds signed with it reach the "yes". */
static const char secret[] = "It's a Secret to Everybody";

static _Noreturn void broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say which property broke, then abort. */
static _Noreturn void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_webhook: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* A writable copy of `size` bytes with a NUL after them, as the server's
 * buffer has. */
static char *copy(const void *data, size_t size)
{
	char *text = xmalloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool has_upper(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* The first blank line of the `size` bytes at `data` (memmem() is GNU's). */
static const char *blank_line(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i + 4 <= size; i++)
		if (!memcmp(data + i, "\r\n\r\n", 4))
			return (const char *)data + i;
	return NULL;
}

/* Does `s` (a C string) lie in the `len` bytes at `buf`? */
static bool within(const char *s, const char *buf, size_t len)
{
	return s && s >= buf && s < buf + len && s + strlen(s) < buf + len;
}

/*
 * webhook_verify() says yes to the right signature of `body` and to nothing
 * else, for each forge; sigs[f] came as forge f's signature (NULL: none).
 * The HMAC, most of the time a run takes, is computed once for both GitHub
 * and Gitea.
 */
static void check_verify(const char *const sigs[FORGE_COUNT], const char *body, size_t len)
{
	char github[7 + 2 * SHA256_SIZE + 1] = "sha256=";
	const char *want[FORGE_COUNT];
	uint8_t mac[SHA256_SIZE];
	enum forge f;
	size_t i;

	hmac_sha256(mac, secret, strlen(secret), body, len);
	for (i = 0; i < sizeof(mac); i++) {
		github[7 + 2 * i] = "0123456789abcdef"[mac[i] >> 4];
		github[7 + 2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	github[sizeof(github) - 1] = '\0';
	want[FORGE_GITHUB] = github;
	want[FORGE_GITLAB] = secret;
	want[FORGE_GITEA] = github + 7;
	for (f = FORGE_GITHUB; f < FORGE_COUNT; f++) {
		bool right = sigs[f] && !strcmp(sigs[f], want[f]);

		if (!webhook_verify(f, secret, want[f], body, len))
			broken("%s: webhook_verify rejects the right signature '%s'", forge_name(f),
			       want[f]);
		if (webhook_verify(f, secret, NULL, body, len))
			broken("%s: webhook_verify takes no signature", forge_name(f));
		if (webhook_verify(f, secret, sigs[f], body, len) != right)
			broken("%s: webhook_verify %s signature '%s' (the right one is '%s')",
			       forge_name(f), right ? "rejects the right" : "takes the wrong",
			       sigs[f], want[f]);
	}
}

/* Each forge's name of a push, and of a pull request. */
static const char *const push_events[FORGE_COUNT] = {"push", "Push Hook", "push"};
static const char *const pull_events[FORGE_COUNT] = {"pull_request", "Merge Request Hook",
                                                     "pull_request"};

/*
 * webhook_parse() of `len` bytes as a delivery of `event` to forge `f`: 0
 * or -1; an event other than a push or a pull request ignored whatever the
 * body; the others only of a JSON object, with lowercase keys each ended
 * by a NUL, a push with the payload's ref, a pull request with its
 * number, base and 40-hex head; a failure leaves the event as it was.
 */
static void check_parse(enum forge f, const char *event, const char *body, size_t len)
{
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	struct json_object *payload = json_value_parse(body, len);
	bool object = json_object_is_type(payload, json_type_object);
	const char *ref = object ? json_value_get_string(payload, "ref") : NULL;
	bool push = event && (!strcmp(event, push_events[f]) ||
	                      (f == FORGE_GITLAB && !strcmp(event, "Tag Push Hook")));
	bool pull = event && !strcmp(event, pull_events[f]);
	int rc = webhook_parse(&ev, f, event, body, len);
	size_t i, nuls = 0;

	if (rc != 0 && rc != -1)
		broken("%s: webhook_parse returns %d", forge_name(f), rc);
	if (rc < 0 && (ev.kind != WEBHOOK_IGNORED || ev.keys.len || ev.ref.len || ev.pull.base.len))
		broken("%s: webhook_parse fails and changes the event", forge_name(f));
	if (!push && !pull && (rc < 0 || ev.kind != WEBHOOK_IGNORED || ev.keys.len))
		broken("%s: webhook_parse returns %d, reads a '%s'", forge_name(f), rc,
		       event ? event : "(none)");
	if (push && (rc == 0) != object)
		broken("%s: webhook_parse returns %d for a push of %s", forge_name(f), rc,
		       object ? "a JSON object" : "what is no JSON object");
	if (pull && rc == 0 && !object)
		broken("%s: webhook_parse reads a pull request from what is no JSON object",
		       forge_name(f));
	if (rc == 0 && push && (ev.kind != WEBHOOK_PUSH || strcmp(ev.ref.ptr, ref ? ref : "")))
		broken("%s: webhook_parse gives the kind %d, the ref '%s' for a push whose ref is "
		       "'%s'",
		       forge_name(f), ev.kind, ev.ref.ptr, ref ? ref : "(none)");
	if (rc == 0 && pull &&
	    ((ev.kind != WEBHOOK_PULL_PREVIEW && ev.kind != WEBHOOK_PULL_OTHER) || ev.ref.len ||
	     ev.pull.number <= 0 || !ev.pull.base.len || strlen(ev.pull.head) != 40 ||
	     strspn(ev.pull.head, "0123456789abcdef") != 40))
		broken("%s: webhook_parse gives the kind %d with number %ld, base '%s', head '%s'",
		       forge_name(f), ev.kind, ev.pull.number, ev.pull.base.ptr, ev.pull.head);
	for (i = 0; i < ev.keys.len; i++)
		nuls += !ev.keys.ptr[i];
	if (nuls > 18)
		broken("%s: webhook_parse gives %zu keys, of 2 objects of 9 fields", forge_name(f),
		       nuls);
	if (ev.keys.len && ev.keys.ptr[ev.keys.len - 1])
		broken("%s: webhook_parse gives a last key without its NUL", forge_name(f));
	if (has_upper(ev.keys.ptr, ev.keys.len))
		broken("%s: webhook_parse gives a key with uppercase letters", forge_name(f));
	webhook_event_release(&ev);
	json_object_put(payload);
}

/* `len` bytes as a push and as a pull request of each forge. */
static void check_payload(const char *body, size_t len)
{
	enum forge f;

	for (f = FORGE_GITHUB; f < FORGE_COUNT; f++) {
		check_parse(f, push_events[f], body, len);
		check_parse(f, pull_events[f], body, len);
	}
}

/* repo_key() appends a lowercase key no longer than the URL. */
static void check_repo_key(const char *url)
{
	static const char before[] = "Key:";
	struct buf key = BUF_INIT;
	size_t len;

	buf_adds(&key, before);
	repo_key(&key, url);
	len = key.len - strlen(before);
	if (memcmp(key.ptr, before, strlen(before)))
		broken("repo_key changes what the buffer held before");
	if (has_upper(key.ptr + strlen(before), len))
		broken("repo_key gives uppercase letters: '%s'", key.ptr + strlen(before));
	if (memchr(key.ptr + strlen(before), '\0', len))
		broken("repo_key gives a NUL");
	if (len > strlen(url))
		broken("repo_key makes '%s' of '%s', which is shorter", key.ptr + strlen(before),
		       url);
	buf_release(&key);
}

/* The first header named `name` (case-insensitively), or NULL. */
static const char *first_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (!strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* The headers of a head http_request_parse() took, `head` bytes at `buf`. */
static void check_headers(const struct http_request *req, const char *buf, size_t head)
{
	struct buf name = BUF_INIT;
	bool expect = false;
	size_t i, j;

	if (req->nheaders > HTTP_MAX_HEADERS)
		broken("%zu headers", req->nheaders);
	for (i = 0; i < req->nheaders; i++) {
		const char *n = req->headers[i].name, *v = req->headers[i].value;
		size_t vlen;

		if (!within(n, buf, head) || !within(v, buf, head))
			broken("header %zu is not in the head", i);
		if (!*n)
			broken("header %zu has no name", i);
		for (j = 0; n[j]; j++)
			if (!is_tchar(n[j]))
				broken("header %zu: '%s' is no token", i, n);
		vlen = strlen(v);
		for (j = 0; j < vlen; j++)
			if ((unsigned char)v[j] < 0x20 && v[j] != '\t')
				broken("header %zu: '%s' has a control character", i, n);
		if (vlen &&
		    (v[0] == ' ' || v[0] == '\t' || v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			broken("header %zu: the value of '%s' is not trimmed: '%s'", i, n, v);

		/* Found by its name in another case. */
		buf_reset(&name);
		for (j = 0; n[j]; j++) {
			char c = n[j];
			buf_addch(&name, (char)(c >= 'a' && c <= 'z'   ? c - 'a' + 'A'
			                        : c >= 'A' && c <= 'Z' ? c - 'A' + 'a'
			                                               : c));
		}
		if (http_request_header(req, name.ptr) != first_header(req, n))
			broken("http_request_header('%s') is not the first '%s'", name.ptr, n);

		if (!strcasecmp(n, "Content-Length")) {
			char *end;
			unsigned long long length = strtoull(v, &end, 10);

			if (!*v || *end || v[strspn(v, "0123456789")] ||
			    length != req->content_length)
				broken("Content-Length '%s', and content_length %zu", v,
				       req->content_length);
		} else if (!strcasecmp(n, "Transfer-Encoding")) {
			broken("a Transfer-Encoding is taken");
		} else if (!strcasecmp(n, "Expect")) {
			if (strcasecmp(v, "100-continue"))
				broken("Expect '%s' is taken", v);
			expect = true;
		}
	}
	if (http_request_header(req, "Content-Length") == NULL && req->content_length)
		broken("content_length %zu without a Content-Length", req->content_length);
	if (req->content_length > MAX_BODY)
		broken("content_length %zu is over the maximum", req->content_length);
	if (expect != req->expect_continue)
		broken("expect_continue is %d, with%s an Expect", req->expect_continue,
		       expect ? "" : "out");
	buf_release(&name);
}

/* A head http_request_parse() took: `head` bytes of `size` at `buf`, a
 * copy of `data` that it wrote NULs into. */
static void check_head(const struct http_request *req, const char *buf, size_t head,
                       const uint8_t *data, size_t size)
{
	const char *blank = blank_line(data, size);
	size_t i;

	if (head > size || head > HTTP_MAX_HEAD || !blank ||
	    head != (size_t)(blank + 4 - (const char *)data))
		broken("the head is %zu bytes, of %zu, not up to the first blank line", head, size);
	if (memcmp(buf + head, data + head, size - head))
		broken("http_request_parse changes the bytes after the head");
	if (!within(req->method, buf, head) || !within(req->path, buf, head) ||
	    (!within(req->query, buf, head) && strcmp(req->query, "")))
		broken("the request line is not in the head");
	if (!*req->method)
		broken("no method");
	for (i = 0; req->method[i]; i++)
		if (!is_tchar(req->method[i]))
			broken("method '%s' is no token", req->method);
	if (req->path[0] != '/' || strpbrk(req->path, " \t?"))
		broken("path '%s'", req->path);
	if (strpbrk(req->query, " \t"))
		broken("query '%s'", req->query);
	if (req->body)
		broken("a body before the server read one");
	check_headers(req, buf, head);
}

/* The same head, alone, parses the same; one byte less needs more. */
static void check_prefixes(const struct http_request *req, const uint8_t *data, size_t head)
{
	struct http_request again;
	char *text = copy(data, head);
	int rc;

	if ((rc = http_request_parse(&again, text, head - 1, MAX_BODY)) != 0)
		broken("the head less its last byte gives %d, not 0", rc);
	if ((rc = http_request_parse(&again, text, head, MAX_BODY)) != (int)head)
		broken("the head alone gives %d, not %zu", rc, head);
	if (strcmp(again.method, req->method) || strcmp(again.path, req->path) ||
	    strcmp(again.query, req->query) || again.nheaders != req->nheaders ||
	    again.content_length != req->content_length ||
	    again.expect_continue != req->expect_continue)
		broken("the head alone parses differently");
	free(text);
}

/* The input as a request. */
static void check_request(const uint8_t *data, size_t size)
{
	struct http_request req;
	char *buf = copy(data, size);
	int rc = http_request_parse(&req, buf, size, MAX_BODY);
	size_t head;
	const char *sigs[FORGE_COUNT];
	enum forge f;

	if (rc == 0) {
		if (size >= HTTP_MAX_HEAD || blank_line(data, size))
			broken("needs more bytes, with %zu", size);
		if (memcmp(buf, data, size))
			broken("needs more bytes, and changed those it has");
		free(buf);
		return;
	}
	if (rc < 0) {
		if (rc != -400 && rc != -411 && rc != -413 && rc != -417 && rc != -431 &&
		    rc != -505)
			broken("status %d", -rc);
		free(buf);
		return;
	}
	head = (size_t)rc;
	check_head(&req, buf, head, data, size);
	check_prefixes(&req, data, head);

	/* The body, when whole, as the server hands it to the handler. */
	if (size - head >= req.content_length) {
		buf[head + req.content_length] = '\0';
		req.body = buf + head;
		for (f = FORGE_GITHUB; f < FORGE_COUNT; f++) {
			check_parse(f, http_request_header(&req, webhook_event_header(f)), req.body,
			            req.content_length);
			sigs[f] = http_request_header(&req, webhook_signature_header(f));
		}
		check_verify(sigs, req.body, req.content_length);
		check_payload(req.body, req.content_length);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = copy(data, size);
	const char *sigs[FORGE_COUNT] = {text, text, text};

	check_request(data, size);

	check_payload(text, size);
	check_repo_key(text);
	check_verify(sigs, text, size);
	free(text);
	return 0;
}
