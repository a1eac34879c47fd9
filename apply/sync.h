#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include "discovery.h"
#include "kube_client.h"
#include "order.h"
#include "ready.h"

#include "../diff/base/stop.h"
#include "../diff/checks.h"
#include "../diff/drift.h"
#include "../diff/manifest.h"
#include "../diff/verdict.h"
#include "../diff/wave.h"

#include <stdbool.h>
#include <stdio.h>

/* Every object berth applies carries this label, so prune can find its own. */
#define TRACKING_LABEL "app.kubernetes.io/managed-by"
#define TRACKING_VALUE "berth"
/* ... and this annotation, naming its source. */
#define SOURCE_ANNOTATION "berth.io/source"
/* A Job or a Pod run once per commit at a point of the sync, not kept:
 * pre-sync, post-sync or sync-fail; and what is deleted of its run:
 * on-success (the default), always or never. */
#define HOOK_ANNOTATION        "berth.io/hook"
#define HOOK_DELETE_ANNOTATION "berth.io/hook-delete"
/* A StatefulSet's opt-in to sync_options.recover_stuck. */
#define RECOVER_ANNOTATION    "berth.io/recover"
#define RECOVER_STUCK_ROLLOUT "stuck-rollout"

/* Another source of the same agent: its tracking annotation's value, and
 * its name. */
struct sync_owner {
	const char *source, *name;
};

struct sync_options {
	const char *source; /* the tracking annotation's value */
	bool dry_run;       /* send every write with dryRun=All; wait for nothing */
	long timeout_ms;    /* for each phase's wait */
	long poll_ms;       /* between readiness checks */
	/* An object of a wait that makes no progress for this long (what it
	 * waits for does not change) is Degraded, and the wait ends. */
	long progress_deadline_ms;
	/* Recover a StatefulSet's rollout stuck on broken pods of an older
	 * revision, by deleting them (sync_pods.h); else only a StatefulSet
	 * annotated RECOVER_ANNOTATION: RECOVER_STUCK_ROLLOUT is. */
	bool recover_stuck;
	/* Run the commit's hooks (a new commit; not a drift correction), and
	 * the commit they are named for (NULL: a digest of each hook). */
	bool run_hooks;
	const char *commit;
	FILE *progress;       /* one line per object and per wait; NULL: quiet */
	bool prune;           /* delete tracked objects of this source that left Git */
	bool prune_protected; /* ... PersistentVolumeClaims, PersistentVolumes and
	                       * Namespaces too */
	bool allow_empty;     /* prune even when the source holds no object */
	bool recreate_orphan; /* any StatefulSet may be recreated (see RECREATE_ANNOTATION) */
	unsigned parallel;    /* objects of one phase written at a time */
	bool wait;            /* wait for each phase to be ready before the next */
	bool server_side;     /* write with server-side apply as FIELD_MANAGER, taking
	                       * over what client-side apply wrote */
	/* Requested (by a signal handler) to stop: the objects being written
	 * are finished, no other is started, and no wait goes on. NULL: never. */
	const struct stop *stop;
	/* What the server's dry runs said of local drift, remembered from one
	 * run to the next (sync_plan_confirm); NULL: nothing is remembered. */
	struct verdicts *verdicts;
	/* Told of each warning (a kind prune may not list); NULL: "warning:
	 * ..." on stderr. */
	void (*warn)(const char *message, void *ctx);
	void *warn_ctx;
	/*
	 * Where the source may write (berth run's allowedNamespaces, or its
	 * targetNamespace), NULL-terminated; NULL: anywhere. And the
	 * cluster-scoped kinds it may manage ("Kind" or "Kind.group", its
	 * clusterResources), NULL-terminated. A source with either is
	 * confined: a cluster-scoped kind it does not list is refused, and so
	 * is a Namespace outside `namespaces`. Neither: nothing is confined.
	 */
	const char *const *namespaces;
	const char *const *cluster_kinds;
	/* The sources of the same agent (berth run's config, this one among
	 * them), by their tracking annotation's value: taking over an object
	 * another of them manages is refused, naming it (the two would take it
	 * from each other on every reconcile). Another source's object (a one-shot's, a
	 * source no longer configured) is taken over with a warning, as Argo
	 * CD's SharedResourceWarning warns; a confined source refuses any. */
	const struct sync_owner *others;
	size_t nothers;
	/* What is found goes to people who may not read the cluster (a pull
	 * request's preview): nothing live of an object this source does not
	 * manage is shown, not even which source manages it. */
	bool hide_foreign;
	/*
	 * Where the live objects of a collection may be read instead of a
	 * LIST (berth run's watches): `live` calls `page` once, with
	 * {"items": [...]} holding the objects named `names` (n of them,
	 * sorted) of collection `path` (as sync_item_path names it), those it
	 * knows, and returns what `page` returned; or returns BERTH_ENOTFOUND,
	 * calling nothing, when it cannot vouch for the collection, which is
	 * then LISTed. NULL: LIST.
	 */
	int (*live)(void *ctx, const char *path, const char *const *names, size_t n,
	            int (*page)(struct json_object *page, void *arg), void *arg);
	void *live_ctx;
	/*
	 * Whether manifest `m` is known to be in sync with its live object,
	 * unchanged since a comparison found it so, and watched since (berth
	 * run's next commit): it is planned in sync, neither read nor
	 * compared. Asked only of kinds whose readiness is their existence.
	 * NULL: every object is compared.
	 */
	bool (*known)(void *ctx, const struct manifest *m);
	void *known_ctx;
};
#define SYNC_OPTIONS_INIT                                                                          \
	{                                                                                          \
		.source = "berth", .timeout_ms = 300000, .poll_ms = 500,                           \
		.progress_deadline_ms = 600000, .parallel = 8, .wait = true, .run_hooks = true     \
	}

/* Say a warning through opts->warn (for sync and prune). */
void sync_warn(const struct sync_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What happened to one object. */
enum sync_action {
	SYNC_PENDING, /* not written (yet) */
	SYNC_CREATED,
	SYNC_CONFIGURED,
	SYNC_RECREATED, /* deleted with its pods and claims orphaned, created again */
	SYNC_UNCHANGED,
	SYNC_FAILED,
	SYNC_ACTION_COUNT,
};

/* One manifest, where it stands and what was done. */
struct sync_item {
	const struct manifest *m;
	const struct api_resource *res;
	enum phase phase;
	long wave;                   /* berth.io/wave: applied, and ready, before the next wave */
	const char *source;          /* the tracking annotation's value */
	struct json_object *desired; /* the manifest, tracking label and annotation added;
	                              * built when needed, dropped once compared */
	struct json_object *live;    /* NULL when missing; dropped once known to be in sync */
	struct drift drift;
	enum sync_action action;
	bool sent;  /* a write that is no dry run was sent: the cluster may have changed */
	bool ready; /* it was ready when it was read */
	/* Its health when it was last read (or waited for), and why it is not
	 * Ready (NULL: nothing to say). */
	enum readiness health;
	char *health_why;
	/* The pods deleted to recover its stuck rollout, and why: "web-2
	 * (CrashLoopBackOff ..., never Ready on revision web-5d4f8c)", joined
	 * by ", "; NULL: none. */
	char *recovered;
	char *uid;     /* the live object's, NULL when missing */
	char *owner;   /* the live object's SOURCE_ANNOTATION; NULL when missing or none */
	char *read_rv; /* the live object's resourceVersion as compared; NULL when missing */
	/* Drifted locally: the key of the comparison (verdict_key; `keyed`
	 * when it could be made), whether the server's verdict on it is known
	 * (a dry run, or one remembered), and whether a dry run of its write
	 * passed in this run, which the commit's own dry run need not repeat. */
	bool keyed, confirmed, dry_run_ok;
	uint8_t key[SHA256_SIZE];
	/* A StatefulSet whose immutable fields change, opted in to be
	 * recreated; claim templates whose storage request grows, as
	 * [{"template": name, "from": size, "storage": size}], patched into its claims first. */
	bool recreate;
	struct json_object *grow;
	/* A custom resource whose CustomResourceDefinition is in the same
	 * commit and not served yet: res is as the definition will serve it,
	 * the object is created once the definition is Established, and
	 * the server cannot check it before. */
	bool awaits_crd;
	/* Written with server-side apply (opts->server_side); `migrate` when
	 * the live object still carries client-side apply's last-applied
	 * annotation, which the write removes: it is written even when
	 * nothing else differs. */
	bool server_side, migrate;
	/* The resourceVersion of each write of this run that is no dry run,
	 * as the server answered it, each ended by a NUL: the watches know
	 * the events of berth's own writes by it. */
	struct buf written;
};

/* The item's identity (borrowed strings), with no namespace when its kind
 * is cluster-scoped: a manifest of a custom kind gets the default one. */
struct object_id sync_item_id(const struct sync_item *item);

/* When a hook runs: before the first wave, once all is ready, when the
 * sync failed. */
enum hook_when {
	HOOK_PRE_SYNC,
	HOOK_POST_SYNC,
	HOOK_SYNC_FAIL,
};

/* "pre-sync", "post-sync", "sync-fail". */
const char *sync_hook_when_name(enum hook_when w);

/* A hook of the commit. */
struct sync_hook {
	const struct manifest *m;
	const struct api_resource *res;
	enum hook_when when;
};

/* Embedded by value: SYNC_PLAN_INIT, then sync_plan_release(). */
struct sync_plan {
	struct sync_item *items; /* in phase order, then in manifest order */
	size_t n;
	struct sync_hook *hooks; /* not among the items */
	size_t nhooks;
	struct api_resource *defined; /* the kinds the commit's CRDs add */
	size_t ndefined;
	char *hook_failed; /* a post-sync hook failed: why; the plan is Degraded */
};
#define SYNC_PLAN_INIT                                                                             \
	{                                                                                          \
		.items = NULL, .n = 0, .hooks = NULL, .nhooks = 0, .hook_failed = NULL,            \
		.defined = NULL, .ndefined = 0                                                     \
	}

/*
 * Resolve each manifest with discovery and compare it with the cluster: one
 * paged LIST per kind, version and namespace, not one GET per object; each
 * object is read and written in its manifest's version. A kind the server
 * does not serve in that version, and no CustomResourceDefinition of the
 * commit defines, is an error naming the file and line, and the versions
 * the server has (each one is added to `diags`); so is a LIST the server
 * refuses (403), and so is a change to a field the server will not change
 * (a StatefulSet's serviceName, selector or volumeClaimTemplates, a
 * Service's clusterIP, a claim's spec but its size, a StorageClass's
 * provisioner, ...), naming the field with its live and desired values.
 * All of it before anything is written. A StatefulSet opted in
 * (RECREATE_ANNOTATION, or opts->recreate_orphan) is recreated instead; a
 * claim template's storage that grows is first patched into each claim,
 * which its StorageClass must allow (allowVolumeExpansion).
 */
int sync_plan_build(struct sync_plan *out, struct diagnostics *diags, struct kube_client *c,
                    const struct discovery *d, const struct manifest_set *set,
                    const struct sync_options *opts);
/* How many items of `plan` each action has, in counts[action]. */
void sync_plan_count(size_t counts[SYNC_ACTION_COUNT], const struct sync_plan *plan);

/* The worst health of the plan's objects (Ready when it has none), and in
 * *worst (may be NULL) the first object in that state (plan->n: none, or
 * a post-sync hook that failed, plan->hook_failed, made it Degraded). */
enum readiness sync_plan_health(const struct sync_plan *plan, size_t *worst);

void sync_plan_release(struct sync_plan *plan);

/*
 * The served-kind check of sync_plan_build() alone, for lint: each manifest
 * whose kind the server does not serve in its apiVersion, and that no
 * CustomResourceDefinition of the commit defines, is a problem at its file
 * and line ("kind 'PodDisruptionBudget' of apiVersion 'policy/v1' is not
 * served (the server has policy/v1beta1)"). Returns the number added.
 */
size_t sync_check_served(struct diagnostics *diags, struct kube_client *c,
                         const struct discovery *d, const struct manifest_set *set);

/*
 * The checks of the whole commit (diff/checks.h), with what the cluster
 * knows: Services and StorageClasses that exist live, and the default
 * class (`known`: see checks_run). Returns the number of problems added to
 * `diags`.
 */
size_t sync_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                  const struct manifest_set *set, const struct checks_known *known);

/*
 * Confirm the drift found locally with the server: each drifted object's
 * write is sent once with dryRun=All (the request the sync would send),
 * opts->parallel at a time. An object whose answer is its live object, as
 * drift_answer_unchanged() compares them, is in sync after all: the local
 * comparison saw a value the server never stores. Verdicts are remembered
 * in opts->verdicts (when set), so the same comparison is not asked about
 * again. When the server does not answer the dry run (a 403: the user may
 * not patch; a refusal), the local verdict stands and drift.unconfirmed
 * says why. Objects in sync cost nothing. Returns the number of dry runs
 * sent.
 */
size_t sync_plan_confirm(struct sync_plan *plan, struct kube_client *c,
                         const struct sync_options *opts);

/*
 * With client-side apply, an object to write whose annotations would pass
 * the 256 KiB the server allows, once the last-applied configuration is
 * among them, is refused first, every one named, and nothing is sent. Then
 * let the server check every write with dryRun=All, so a manifest it
 * rejects changes nothing (writes into a namespace the commit creates are
 * checked when they are made). Then apply the plan phase by phase: create
 * what is missing, patch what drifted (kubectl's three-way patch, or
 * server-side apply with opts->server_side, which keeps no last-applied
 * annotation and removes one client-side apply left; on a conflict, re-read
 * and retry), leave the rest. After each phase, wait until
 * its objects are ready (unless !opts->wait), polling with one LIST per kind
 * and namespace. The objects of a phase do not depend on each other: they
 * are written opts->parallel at a time, each thread with its own
 * connection. Stops at the first failure (what was started
 * finishes), with a message naming each object that failed. The commit's
 * dry run confirms local drift as sync_plan_confirm() does (an object
 * whose patch changes nothing is not written), and is not sent again for
 * an object sync_plan_confirm() already checked.
 */
int sync_plan_apply(struct sync_plan *plan, struct kube_client *c, const struct sync_options *opts);

/* On a StatefulSet: "orphan" lets berth change its immutable fields by
 * deleting it with its pods and claims orphaned and creating it again. */
#define RECREATE_ANNOTATION "berth.io/recreate"

/*
 * The live object as it will be after the write: item->drift.predicted. An
 * object to create is predicted only when asked (it is the manifest itself,
 * and a plan of many new objects would otherwise hold them all).
 */
struct json_object *sync_item_predicted(struct sync_item *item);

/* Does the item exist live, and another source, or none, manage it (its
 * SOURCE_ANNOTATION is not the item's source)? */
bool sync_item_foreign(const struct sync_item *item);

/* "statefulset.apps/web", as kubectl names objects in its output. */
void sync_item_name(struct buf *out, const struct sync_item *item);

#endif
