#ifndef BERTH_EXEC_PLUGIN_H
#define BERTH_EXEC_PLUGIN_H

#include "exec_config.h"
#include "exec_credential.h"

#include "../diff/base/stop.h"

/*
 * A plugin and its cached credential, shared by a client and its copies
 * (kube_client_dup), each of which may run in its own thread: every call is
 * thread-safe, and the plugin runs once however many threads want it.
 */
struct exec_plugin;

/* A plugin for `cfg` (copied). *out is owned by the caller (exec_plugin_free). */
void exec_plugin_new(struct exec_plugin **out, const struct exec_config *cfg);

/* Take one more reference; exec_plugin_free drops one. Returns `p`. */
struct exec_plugin *exec_plugin_ref(struct exec_plugin *p);

/* Drop a reference, freeing the plugin and wiping its credential with the
 * last; NULL is a no-op. */
void exec_plugin_free(struct exec_plugin *p);

/*
 * The credential to send: the cached one unless there is none, it has
 * expired or the server refused it, else a fresh one from running the
 * plugin. Each run starts a new generation (1, 2, ...). When the current
 * generation is not *gen (0 for a caller that has none yet), copies the
 * credential into `out` (released first) and sets *gen, returning 1;
 * returns 0 when the caller's copy is current. Fails when
 * the plugin does, with a message naming it, its exit status and its stderr
 * (or its installHint when the command is not found). Once `stop` (may be
 * NULL) is requested, a plugin being run is killed, and that fails too.
 * What a plugin that succeeds prints on stderr goes to `said` (NULL:
 * nowhere); it is for the user, and not secret.
 */
int exec_plugin_get(struct exec_credential *out, unsigned long *gen, struct exec_plugin *p,
                    const struct stop *stop, void (*said)(const char *text, void *ctx),
                    void *said_ctx);

/*
 * The server refused the credential of generation `gen` (a 401): forget it,
 * so the next exec_plugin_get runs the plugin again. Another thread that
 * already replaced it is not undone.
 */
void exec_plugin_invalidate(struct exec_plugin *p, unsigned long gen);

/* How many times the plugin has run (for tests and messages). */
unsigned long exec_plugin_runs(const struct exec_plugin *p);

#endif
