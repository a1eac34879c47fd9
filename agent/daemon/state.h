#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include "../../apply/kube_client.h"
#include "../../diff/manifest.h"

#include <json-c/json.h>

/*
 * berth run's state: the last commit applied of each source, kept in the
 * ConfigMap berth-state of the state namespace, so that a restarted agent
 * does not apply a commit again.
 */
#define STATE_NAME "berth-state"

/* The state as a new object: source name -> commit (none yet: empty). The
 * caller puts it. */
int state_read(struct json_object **out, struct kube_client *c, const char *ns);

/* Record that `source` is at `commit`: a merge patch of that one key,
 * which replicas writing other sources at once do not conflict with;
 * the ConfigMap is created if need be (one another replica created
 * first is patched). */
int state_write(struct kube_client *c, const char *ns, const char *source, const char *commit);

/* Fail, at its file:line, when `set` holds the state ConfigMap of `ns`:
 * a source that managed it would rewrite which commit every source is at. */
int state_refuse_managed(const struct manifest_set *set, const char *ns);

#endif
