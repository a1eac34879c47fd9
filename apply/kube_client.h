#ifndef BERTH_KUBE_CLIENT_H
#define BERTH_KUBE_CLIENT_H

#include "kubeconfig.h"

#include "../diff/base/buf.h"
#include "../diff/base/stop.h"

#include <json-c/json.h>
#include <stddef.h>

/*
 * A connection to one Kubernetes API server over libcurl: TLS with the
 * kubeconfig's CA and client certificate, a bearer token, basic auth or
 * an exec credential plugin (run at the first request, cached until its
 * credential expires),
 * HTTP/2 where the server offers it, one reused connection, and a timeout
 * on every request. Credentials are never written to a message.
 */
struct kube_client;

struct kube_client_options {
	long connect_timeout_ms;
	long request_timeout_ms;
	size_t max_body;       /* the most a response may carry */
	unsigned max_attempts; /* tries per call on connection errors, 5xx and 429 */
	long backoff_ms;       /* the first wait between tries; it doubles, with jitter */
	/* Told of every request sent, with the status answered (0: none),
	 * from whichever thread sent it; NULL: nobody. */
	void (*observe)(const char *method, long status, void *ctx);
	void *observe_ctx;
	/* Told of each warning (TLS verification off, credentials in clear
	 * text, what an exec plugin printed; see kube_client_warn), from
	 * whichever thread; NULL: "warning: ..." on stderr. */
	void (*warn)(const char *message, void *ctx);
	void *warn_ctx;
	/* The User-Agent (borrowed for the client's life); NULL:
	 * "berth/VERSION". */
	const char *user_agent;
};
#define KUBE_CLIENT_OPTIONS_INIT                                                                   \
	{                                                                                          \
		.connect_timeout_ms = 10000, .request_timeout_ms = 60000, .max_body = 256u << 20,  \
		.max_attempts = 5, .backoff_ms = 200                                               \
	}

/* A response: the HTTP status and the body. Embedded by value. */
struct kube_response {
	long status;
	struct buf body;
};
#define KUBE_RESPONSE_INIT                                                                         \
	{                                                                                          \
		.status = 0, .body = BUF_INIT                                                      \
	}
void kube_response_release(struct kube_response *r);

/*
 * Make a client for the cluster `kc` describes. The client copies what it
 * needs; `kc` may be freed afterwards. `opts` may be NULL for the defaults.
 * *out is owned by the caller (kube_client_free). Warns (opts->warn) when TLS
 * verification is turned off, or credentials would go in clear text.
 */
int kube_client_new(struct kube_client **out, const struct kubeconfig *kc,
                    const struct kube_client_options *opts);
void kube_client_free(struct kube_client *c);

/*
 * A second client to the same server with the same credentials and its own
 * connection, for another thread: a client is used by one thread at a time.
 * An exec plugin and its cached credential are shared (thread-safely) with
 * the original.
 */
int kube_client_dup(struct kube_client **out, struct kube_client *orig);

/* The server URL, for messages. Owned by the client. */
const char *kube_client_server(const struct kube_client *c);

/*
 * Which server the client reaches and as whom, as a hex digest that holds
 * no secret: what one client read may be kept for another of the same
 * identity (discovery's cache). It covers the server's URL and
 * tls-server-name (a proxy may route by name), and the credentials'
 * identity, not their value of the moment (a server, or a proxy in front
 * of it, may answer users differently, and a user refused must be refused
 * itself): an exec plugin's user, a token file's path, else the token; the
 * client certificate; the basic-auth user. Copies share it. Owned by the
 * client.
 */
const char *kube_client_identity(const struct kube_client *c);

/*
 * The server's version ("v1.20.2", "v1.20.2+k3s1": /version's gitVersion),
 * read once per client; copies (kube_client_dup) made after the read know
 * it too. Owned by the client.
 */
int kube_client_version(const char **out, struct kube_client *c);

/*
 * Send one request to `path` (which starts with '/'). `body` may be NULL.
 * Fills `resp` with whatever the server answered, 2xx or not. With an exec
 * plugin, a 401 runs the plugin again and resends the request once. Fails
 * with BERTH_ECONNECT, naming the server, when no answer came (refused,
 * TLS, timeout) and with BERTH_ERROR when the answer exceeds max_body or
 * the exec plugin fails.
 */
int kube_client_request(struct kube_response *resp, struct kube_client *c, const char *method,
                        const char *path, const char *content_type, const char *body,
                        size_t body_len);

/*
 * Send a request and parse the JSON answer into *out (owned by the caller,
 * json_object_put; `out` may be NULL to drop it), leaving out the
 * metadata.managedFields of the object or of a list's items, but berth's
 * own server-side apply entry (FIELD_MANAGER's Apply: what it applied,
 * which drift reads): they are most of a live object's size. `body` may be
 * NULL.
 * Connection errors, 5xx and 429 are retried up to max_attempts times,
 * backing off with jitter and honouring Retry-After. A non-2xx answer fails
 * with a message naming the method, URL, status and the server's own
 * reason, with each of a 422's causes[] (field: message): BERTH_ENOTFOUND
 * for 404, BERTH_EFORBIDDEN for 403, BERTH_ECONFLICT for 409, BERTH_EGONE for
 * 410, BERTH_EHTTP otherwise.
 */
int kube_client_call(struct json_object **out, struct kube_client *c, const char *method,
                     const char *path, const char *content_type, const char *body);

/* kube_client_call() with GET. */
int kube_client_get_json(struct json_object **out, struct kube_client *c, const char *path);

/* kube_client_get_json() in two halves, which may run on two threads: the
 * GET, retried as kube_client_call() retries, its answer left in `resp`
 * (kube_response_release); then what that answer says, as
 * kube_client_get_json() says it. The second reads no more of `c` than
 * its server's name. */
int kube_client_get_text(struct kube_response *resp, struct kube_client *c, const char *path);
int kube_client_get_answer(struct json_object **out, const struct kube_client *c, const char *path,
                           struct kube_response *resp);

/* GET one object with its metadata.managedFields: who owns which field. */
int kube_client_get_owned(struct json_object **out, struct kube_client *c, const char *path);

/*
 * LIST the collection at `path`, whose query sets at least `limit`, page by
 * page: each page's `continue` token is sent for the next. `fn` gets each
 * page (borrowed). Stops at the first error, of a GET or of `fn`.
 * (apply/kube_list.c)
 */
int kube_client_list(struct kube_client *c, const char *path,
                     int (*fn)(struct json_object *page, void *ctx), void *ctx);

/*
 * kube_client_list(), read ahead on two threads: one fetches page k+2 (the
 * token for it read from page k+1's metadata alone) while the other parses
 * page k+1 and `fn` works on page k. A long LIST then costs about what its
 * slowest stage does, not the sum of the three. `fn` runs in the caller's
 * thread and must not use `c`, which the fetcher holds.
 */
int kube_client_list_ahead(struct kube_client *c, const char *path,
                           int (*fn)(struct json_object *page, void *ctx), void *ctx);

/*
 * Once `stop` is requested, no call is retried and an exec plugin being run
 * is killed. With `abandon`, the request under way is abandoned too (within
 * about a second; it fails with BERTH_ECONNECT): for a client whose thread
 * must end when told to, as a watch's. Without, a write under way is
 * finished, unless the stop is STOP_ABANDON. NULL: never stops. Copies (kube_client_dup) share it.
 */
void kube_client_set_stop(struct kube_client *c, const struct stop *stop, bool abandon);

/*
 * From another thread: end the request under way now (it fails with
 * BERTH_ECONNECT), and every later one at once, by shutting the client's
 * sockets. For a client that waits long with nothing to do, as a watch's:
 * unlike `abandon`, it needs no wakeup each second to ask.
 */
void kube_client_interrupt(struct kube_client *c);

/* Say a warning through the client's options' warn (a copy's too). */
void kube_client_warn(struct kube_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Watch the collection at `path` from the resourceVersion its query names:
 * `fn` gets each event ({"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR,
 * "object": ...}; borrowed; the object's managedFields left out as
 * kube_client_call() leaves them out) as it comes, until the server ends the watch
 * after `timeout_s` (0), `fn` fails (its error), the connection fails
 * (BERTH_ECONNECT), or the client's stop flag is raised (0). A
 * resourceVersion too old to watch from is BERTH_EGONE when the server
 * answers 410; it may also come as an ERROR event with code 410, for `fn`.
 */
int kube_client_watch(struct kube_client *c, const char *path,
                      int (*fn)(struct json_object *event, void *ctx), void *ctx, long timeout_s);

/*
 * A server's message may quote the request it could not decode ("...,
 * error found in #10 byte of ...|{"pw":"hunter2"}|..., bigger context
 * ...|...|...") or a field's value (`Invalid value: "hunter2"`). For a
 * Secret those are its values: each quote becomes "***". The client does
 * this to every error about a Secret.
 */
void kube_client_scrub_quotes(struct buf *msg);

#endif
