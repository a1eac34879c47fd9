#ifndef BERTH_REPORT_PAGE_H
#define BERTH_REPORT_PAGE_H

#include "http_server.h"

#include "../../diff/report.h"

#include <stdbool.h>
#include <time.h>

/*
 * The drift report pages of berth run: what each source's last reconcile
 * found, for a person (one self-contained HTML page, inline CSS, no
 * JavaScript) and for a program (JSON: berth diff -o json's document, plus
 * the commit and the reconcile). A board holds one entry per source; the
 * loop publishes after each reconcile (the pages are rendered then, in its
 * thread), and the listener's thread serves them.
 *
 *   GET /report           every source: its commit, its last reconcile
 *                         (time, result, duration) and its counts by state
 *   GET /report/<source>  that source's report
 *
 * Each answers JSON when the request's Accept names application/json, HTML
 * otherwise. Everything taken from Git or the cluster is escaped; Secret
 * values are masked as in every report.
 */
struct report_board;

void report_board_new(struct report_board **out);
void report_board_free(struct report_board *b);

/*
 * Who may read the pages: with `token_file`, only a request that carries
 * its token (read again on each request) as "Authorization: Bearer";
 * without it, everyone when `open`, and no one otherwise (the listener is
 * not on loopback: the pages answer 404).
 */
void report_board_access(struct report_board *b, const char *token_file, bool open);

/* What a reconcile says of itself. Strings are copied; NULL: none. */
struct report_meta {
	const char *source;
	const char *commit;
	const char *result;     /* applied, in-sync, drift-reported, failed */
	const char *error;      /* the first problem, at its file:line */
	const char *commit_url; /* the commit's page on its forge */
	/* The source's health: its worst object's ("Ready", ...; NULL: not
	 * known yet), and that object's cause ("statefulset db/web: web-2
	 * CrashLoopBackOff ..."; NULL: none). */
	const char *health, *health_why;
	double duration_ms;
	time_t time;
};

/* Publish a source's reconcile, taking `r` (left empty; rendered when a
 * reader first asks for it). `r` NULL (it failed before it compared): the
 * objects of its last report stay, with the new commit and error. */
void report_board_publish(struct report_board *b, const struct report_meta *m, struct report *r);

/* Keep only the sources named in `names` (after a reload). */
void report_board_keep(struct report_board *b, const char *const *names, size_t n);

/* Drop what the board holds of `source`: another replica reconciles it. */
void report_board_forget(struct report_board *b, const char *source);

/* The replica that reconciles `source`, into `out` (empty: none); called
 * from the serving thread. */
typedef void report_owner_fn(void *ctx, const char *source, struct buf *out);

/* Several replicas share the sources out (berth run --replicas-mode
 * lease): this one is `self` (copied), and `fn` says who holds each
 * source. Every source kept is then listed, with its owner ("owner" in
 * JSON), and the page of one held elsewhere names where it is. */
void report_board_owners(struct report_board *b, const char *self, report_owner_fn *fn, void *ctx);

/* Answer a request for /report or /report/<source>. */
void report_board_serve(struct report_board *b, struct http_response *resp,
                        const struct http_request *req);

/* Is the listen address `address` ("host:port", "[v6]:port", ":port") on
 * loopback only? */
bool address_is_loopback(const char *address);

#endif
