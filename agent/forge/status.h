#ifndef BERTH_STATUS_H
#define BERTH_STATUS_H

#include "status_config.h"
#include "forge.h"
#include "../../diff/base/metrics.h"

#include "../../apply/sync.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Commit statuses, posted off the sync path. A reporter owns a thread that
 * sends each forge its statuses one at a time: it reads the newest status
 * of a sha and context before it writes (once; then it remembers), skips a
 * post that would change nothing, keeps only the newest state per sha and
 * context in a bounded queue, backs off while a forge is down, and honours
 * its rate limits. A reconcile never waits for it.
 */

struct reporter;

/* The metric families a reporter records in (the registry must hold them). */
extern const struct metric_family status_posts_family, status_queue_family;

/* A reporter and its thread; `metrics` (borrowed, may be NULL) must outlive
 * it. */
void reporter_new(struct reporter **out, struct metrics *metrics);

/* Stop the thread (a request under way is given up) and free; what is
 * still queued is dropped. NULL is a no-op. */
void reporter_free(struct reporter *r);

/*
 * Queue `state` with `description` (cut to fit) on `sha` for the status
 * block `c` of `source` (whose context and target URL templates are
 * expanded with `cluster`; all copied). It replaces whatever was queued for
 * the same sha and context. `settle`: any description will do when the
 * forge's newest status already has this state (the periodic check of an
 * applied commit). A block that is not enabled, or an empty sha, posts
 * nothing.
 */
void reporter_post(struct reporter *r, const struct status_config *c, const char *source,
                   const char *cluster, const char *sha, enum status_state state,
                   const char *description, bool settle);

/*
 * Keep one comment on pull request `number` (GitLab: merge request iid) of
 * the repository of status block `c`, with `body` (Markdown, which must
 * hold `marker`, an HTML comment that finds it again): it is edited when
 * the forge has it, else added; nothing is sent when it already says
 * `body`. Queued with the statuses; the newest body of a marker wins.
 */
void reporter_comment(struct reporter *r, const struct status_config *c, long number,
                      const char *marker, const char *body);

/* "applied: 2 created, 1 configured, 9 unchanged" (and recreated, pruned
 * when there were any), of `plan` after its apply. */
void status_describe_applied(struct buf *out, const struct sync_plan *plan, size_t pruned);

/* "drift: 2 objects (statefulset/web, service/nginx)": the objects of
 * `plan` not in sync. */
void status_describe_drift(struct buf *out, const struct sync_plan *plan);

/* "in sync: 12 objects": `plan`, with nothing drifted. */
void status_describe_in_sync(struct buf *out, const struct sync_plan *plan);

/* Why a commit was refused or failed: the first problem in `diags` at its
 * file:line, else the first line of the current error that names a place,
 * else its first line; a file under `root` (the checkout; may be NULL) by
 * its path in the repository, printable (buf_add_printable). */
void status_describe_error(struct buf *out, const struct diagnostics *diags, const char *root);

/* The state a failed reconcile posts, from its error code and the current
 * message: STATUS_ERROR when berth could not do its job at all (the
 * cluster unreachable, RBAC refusing it), STATUS_FAILURE when the commit
 * was refused or its apply failed. */
enum status_state status_of_error(int error);

/* Wait until nothing is queued or being sent, or until `deadline_ms` of
 * clock_now_ms(); the number of statuses still waiting. */
size_t reporter_drain(struct reporter *r, double deadline_ms);

#endif
