#ifndef BERTH_PREVIEW_H
#define BERTH_PREVIEW_H

#include "config.h"

#include "../forge/forge.h"
#include "../forge/status.h"
#include "../forge/webhook.h"

#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"

/*
 * berth run's previews of pull requests. A previewer owns a thread that
 * previews one pull request's head at a time, off the loop: it never
 * blocks or delays a source's reconciles. For each request it fetches the
 * head (by its sha, else through the pull request's own ref), checks the
 * commit whole against the live cluster and diffs it against the live
 * objects of the source, prune included when the source prunes; nothing is
 * written, not even a dry run. It posts the preview status on the head
 * ({context}/preview) and, with the source's preview.comment, keeps one
 * comment on the pull request with the Markdown report. Only the newest
 * head of a pull request waits; an older one is dropped, and so is a head
 * older (by the pull request's updated_at) than one already asked for.
 *
 * A preview is bounded: it checks out only the manifest files under the
 * source's path, none over the loader's file limit and at most the
 * source's maxBytes in all; it fetches at most PREVIEW_FETCH_FACTOR times
 * maxBytes; it stops after the source's previews.timeout (the request to
 * the cluster under way given up too); and its checkout and the
 * objects it fetched are removed when it ends.
 */
#define PREVIEW_FETCH_FACTOR 16
struct previewer;

struct previewer_options {
	struct kubeconfig_options kube;           /* copied */
	const struct kube_client_options *client; /* borrowed; may be NULL */
	struct reporter *reporter;                /* borrowed: where statuses go */
};

void previewer_new(struct previewer **out, const struct previewer_options *o);

/* Stop the thread (a preview under way is given up) and free. NULL: no-op. */
void previewer_free(struct previewer *p);

/* The configuration the next previews use: berth run's, shared
 * (config_share(); the previewer holds a reference), at the start and
 * after each reload. A preview under way keeps the one it started with. */
void previewer_config(struct previewer *p, struct config *c);

/* Preview the head of pull request `pr` (borrowed) for source `source`,
 * which follows its base branch. */
void previewer_request(struct previewer *p, const char *source, enum forge f,
                       const struct webhook_pull *pr);

#endif
