#ifndef BERTH_HTTP_SERVER_H
#define BERTH_HTTP_SERVER_H

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A small HTTP/1.1 server for berth run's health, metrics and webhooks: one
 * thread, a bounded number of connections, a bounded request head and body,
 * and a deadline per connection (shorter for a body). When every connection
 * is taken, a new one closes the oldest that has not been answered; a
 * reserve of them is kept for the probes. One request per connection: every
 * answer closes it. Bodies are read whole (Content-Length only); the handler runs
 * on the server's thread and must be quick.
 */

#define HTTP_MAX_HEAD    16384 /* request line and headers */
#define HTTP_MAX_HEADERS 64

struct http_header {
	const char *name, *value; /* borrowed from the request's buffer */
};

/* A parsed request; every string points into the buffer it was parsed from. */
struct http_request {
	const char *method;
	const char *path;  /* the target up to '?' */
	const char *query; /* after '?', or "" */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	size_t content_length;
	bool expect_continue; /* Expect: 100-continue */
	const char *body;     /* set by the server once the body is read */
	const char *peer;     /* set by the server: the client, "host:port" or "[v6]:port" */
};

/*
 * Parse the head of a request from `buf` (its `len` bytes so far), writing
 * NULs into it. Returns the length of the head once it is whole, 0 when
 * more bytes are needed, or minus the status to answer: 400 (malformed, a
 * line ended by a bare LF, which is known at once, or two different
 * lengths), 411 (a Transfer-Encoding: bodies need a
 * Content-Length), 413 (a body over `max_body`), 417 (an Expect other than
 * 100-continue), 431 (a head over HTTP_MAX_HEAD or HTTP_MAX_HEADERS), 505
 * (not HTTP/1.x).
 */
int http_request_parse(struct http_request *req, char *buf, size_t len, size_t max_body);

/* The value of header `name` (case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);

struct http_response {
	int status;
	const char *content_type; /* NULL: text/plain */
	struct buf body;
};

/* Fill `resp` (status 200 and an empty body on entry) for `req`. */
typedef void http_handler_fn(struct http_response *resp, const struct http_request *req, void *ctx);

struct http_server_options {
	const char *address;    /* "host:port", ":port" (every interface), "[v6]:port" */
	size_t max_body;        /* 413 beyond */
	size_t max_connections; /* more wait in the kernel's backlog */
	long timeout_ms;        /* to read a request and write its answer */
	long body_ms;           /* to read each 64 KiB of a body, which nothing has
	                         * authenticated yet */
	/* `reserve` of the connections are kept for GET (or HEAD) requests of
	 * `reserved` (NULL-terminated): any other request past the rest gets
	 * 503, so the kubelet's probes always find a slot. */
	size_t reserve;
	const char *const *reserved;
};
#define HTTP_SERVER_OPTIONS_INIT                                                                   \
	{                                                                                          \
		.address = "127.0.0.1:8080", .max_body = 1u << 20, .max_connections = 64,          \
		.timeout_ms = 10000, .body_ms = 2000                                               \
	}

struct http_server;

/*
 * Listen on opts->address and serve on a thread of the server's own,
 * calling `fn` for each whole request. Fails, naming the address, when it
 * cannot listen. *out is owned by the caller (http_server_free).
 */
int http_server_new(struct http_server **out, const struct http_server_options *opts,
                    http_handler_fn *fn, void *ctx);

/* Where it listens, "host:port", with the port the system chose for ":0". */
const char *http_server_address(const struct http_server *s);

/* Stop serving (open connections are closed) and free. NULL is a no-op. */
void http_server_free(struct http_server *s);

#endif
