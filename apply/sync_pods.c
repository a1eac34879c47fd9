/* What a StatefulSet's pods say of a rollout that does not finish, and the
 * opt-in recovery of one stuck on a broken pod. */
#include "sync_pods.h"

#include "ready.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <stdlib.h>
#include <string.h>

/* Pods read for one StatefulSet, at most; and the bytes of a cause said. */
#define PODS_MAX  5000
#define CAUSE_MAX 400

/* The pod deleted last has been made again. */
static void pod_recovery_done(struct pod_recovery *r)
{
	free(r->name);
	free(r->uid);
	r->name = r->uid = NULL;
}

void pod_recovery_release(struct pod_recovery *r)
{
	pod_recovery_done(r);
	buf_release(&r->said);
}

/* spec.selector as a label selector's text ("app=web,tier in (a,b)"), or
 * -1 when it has a part that cannot be written as one. */
static int selector_text(struct buf *out, struct json_object *selector)
{
	struct json_object *exprs = json_value_get(selector, "matchExpressions");
	size_t i, j;

	json_object_object_foreach(json_value_get(selector, "matchLabels"), key, value)
	{
		if (!json_object_is_type(value, json_type_string))
			return -1;
		buf_addf(out, "%s%s=%s", out->len ? "," : "", key, json_object_get_string(value));
	}
	for (i = 0; i < json_value_array_len(exprs); i++) {
		struct json_object *e = json_object_array_get_idx(exprs, i);
		struct json_object *values = json_value_get(e, "values");
		const char *label = json_value_get_string(e, "key"),
		           *op = json_value_get_string(e, "operator");

		if (!label || !op)
			return -1;
		buf_addf(out, "%s", out->len ? "," : "");
		if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
			buf_addf(out, "%s%s", *op == 'D' ? "!" : "", label);
			continue;
		}
		if (strcmp(op, "In") && strcmp(op, "NotIn"))
			return -1;
		buf_addf(out, "%s %s (", label, !strcmp(op, "In") ? "in" : "notin");
		for (j = 0; j < json_value_array_len(values); j++) {
			const char *v =
			    json_object_get_string(json_object_array_get_idx(values, j));

			buf_addf(out, "%s%s", j ? "," : "", v ? v : "");
		}
		buf_addch(out, ')');
	}
	return out->len ? 0 : -1;
}

/* The pods of one StatefulSet, by ordinal. */
struct pods {
	const char *set, *uid; /* the StatefulSet's name and uid */
	struct json_object **by_ordinal;
	size_t n;    /* the size of by_ordinal: spec.replicas */
	size_t read; /* pods read so far */
};

/* The ordinal of pod `name` of StatefulSet `set`, or -1. */
static long long ordinal_of(const char *name, const char *set)
{
	size_t n = strlen(set);
	char *end;
	long long k;

	if (strncmp(name, set, n) || name[n] != '-' || name[n + 1] < '0' || name[n + 1] > '9')
		return -1;
	k = strtoll(name + n + 1, &end, 10);
	return *end ? -1 : k;
}

/* Is `pod` controlled by the StatefulSet of uid `uid`? */
static bool controlled_by(struct json_object *pod, const char *uid)
{
	struct json_object *refs =
	    json_value_get(json_value_get(pod, "metadata"), "ownerReferences");
	size_t i;

	for (i = 0; i < json_value_array_len(refs); i++) {
		struct json_object *ref = json_object_array_get_idx(refs, i);
		const char *u = json_value_get_string(ref, "uid");

		if (u && !strcmp(u, uid) &&
		    json_object_get_boolean(json_value_get(ref, "controller")))
			return true;
	}
	return false;
}

static int pods_page(struct json_object *page, void *ctx)
{
	struct pods *p = ctx;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *pod = json_object_array_get_idx(items, i);
		const char *name = json_value_get_string(json_value_get(pod, "metadata"), "name");
		long long k = name ? ordinal_of(name, p->set) : -1;

		if (k >= 0 && (size_t)k < p->n && controlled_by(pod, p->uid)) {
			json_object_put(p->by_ordinal[k]);
			p->by_ordinal[k] = json_object_get(pod);
		}
	}
	p->read += json_value_array_len(items);
	return p->read > PODS_MAX ? berth_error_set("more than %d pods match", PODS_MAX) : 0;
}

/* The revision a pod runs (the label the StatefulSet controller sets). */
static const char *revision_of(struct json_object *pod)
{
	return json_value_get_string(json_value_get(json_value_get(pod, "metadata"), "labels"),
	                             "controller-revision-hash");
}

/* Has the controller of StatefulSet `sts` seen its spec? */
static bool spec_observed(struct json_object *sts)
{
	return json_object_get_int64(
	           json_value_get(json_value_get(sts, "status"), "observedGeneration")) >=
	       json_object_get_int64(json_value_get(json_value_get(sts, "metadata"), "generation"));
}

/* Delete pod `pod` of namespace `ns` by its uid, because of `cause`; said
 * on progress and in r->said. */
static int delete_pod(struct kube_client *c, const char *ns, struct json_object *pod,
                      const char *cause, struct pod_recovery *r, const struct sync_options *opts)
{
	struct json_object *meta = json_value_get(pod, "metadata");
	const char *name = json_value_get_string(meta, "name"),
	           *uid = json_value_get_string(meta, "uid");
	const char *rev = revision_of(pod) ? revision_of(pod) : "?";
	struct json_object *out = NULL, *body;
	struct buf path = BUF_INIT, shown = BUF_INIT;
	int error;

	if (!name || !uid)
		return 0;
	body = json_object_new_object();
	json_object_object_add(body, "preconditions", json_object_new_object());
	json_object_object_add(json_value_get(body, "preconditions"), "uid",
	                       json_object_new_string(uid));
	api_core_path(&path, ns, "pods", name);
	error = kube_client_call(&out, c, "DELETE", path.ptr, "application/json",
	                         json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	/* Gone already, or made again: nothing of ours to delete. */
	if (error == BERTH_ENOTFOUND || error == BERTH_ECONFLICT) {
		error = 0;
	} else if (error == 0) {
		r->name = xstrdup(name);
		r->uid = xstrdup(uid);
		/* The pod's status is the cluster's words: shown printable. */
		buf_add_printable(&shown, cause, NULL);
		sync_progress(
		    opts,
		    "deleted pod %s/%s to recover the stuck rollout: %s, never Ready on its "
		    "revision %s, which the new one replaces\n",
		    ns, name, shown.ptr, rev);
		buf_addf(&r->said, "%s%s (%s, never Ready on revision %s)", r->said.len ? ", " : "",
		         name, shown.ptr, rev);
	}
	json_object_put(out);
	json_object_put(body);
	buf_release(&path);
	buf_release(&shown);
	return error;
}

/*
 * Recovery: the rollout of `sts` is stuck on a broken pod of an old
 * revision (OrderedReady waits for it to be Ready before it replaces it).
 * Delete the broken pod of the highest ordinal, never Ready on its
 * revision, once the last one deleted has been made again.
 */
static int recover(struct kube_client *c, struct json_object *sts, struct pods *p,
                   struct pod_recovery *r, const struct sync_options *opts)
{
	struct json_object *spec = json_value_get(sts, "spec"),
	                   *status = json_value_get(sts, "status");
	const char *update = json_value_get_string(status, "updateRevision");
	const char *policy = json_value_get_string(spec, "podManagementPolicy");
	const char *strategy =
	    json_value_get_string(json_value_get(spec, "updateStrategy"), "type");
	const char *ns = json_value_get_string(json_value_get(sts, "metadata"), "namespace");
	size_t k;

	if (!update || !ns || (policy && !strcmp(policy, "Parallel")) ||
	    (strategy && strcmp(strategy, "RollingUpdate")) || !spec_observed(sts))
		return 0;
	/* One at a time: the last one deleted is made again first. */
	if (r->name) {
		for (k = 0; k < p->n; k++) {
			struct json_object *meta = json_value_get(p->by_ordinal[k], "metadata");
			const char *name = json_value_get_string(meta, "name"),
			           *uid = json_value_get_string(meta, "uid");

			if (name && uid && !strcmp(name, r->name) && strcmp(uid, r->uid))
				pod_recovery_done(r);
		}
		if (r->name)
			return 0;
	}
	for (k = p->n; k-- > 0;) {
		struct json_object *pod = p->by_ordinal[k];
		const char *rev = revision_of(pod);
		struct buf cause = BUF_INIT;
		enum readiness state;
		int error;

		if (!pod || !rev || !strcmp(rev, update))
			continue;
		state = ready_pod(&cause, pod);
		if ((state == READINESS_DEGRADED || state == READINESS_FAILED) &&
		    ready_pod_never_ready(pod)) {
			error = delete_pod(c, ns, pod, cause.ptr, r, opts);
			buf_release(&cause);
			return error;
		}
		buf_release(&cause);
	}
	return 0;
}

/* Is `pod` of the revision StatefulSet `sts` rolls out, and has its
 * controller seen the spec? */
static bool of_the_update(struct json_object *sts, struct json_object *pod)
{
	const char *update = json_value_get_string(json_value_get(sts, "status"), "updateRevision");
	const char *rev = revision_of(pod);

	return spec_observed(sts) && update && rev && !strcmp(update, rev);
}

/* Read the pods of StatefulSet `sts` into p (pods_release): -1 when they
 * cannot be. */
static int pods_read(struct pods *p, struct kube_client *c, struct json_object *sts)
{
	struct json_object *meta = json_value_get(sts, "metadata"),
	                   *spec = json_value_get(sts, "spec");
	struct json_object *v = json_value_get(spec, "replicas");
	int64_t replicas = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 1;
	const char *ns = json_value_get_string(meta, "namespace");
	struct buf path = BUF_INIT, selector = BUF_INIT;
	int error = -1;

	*p = (struct pods){json_value_get_string(meta, "name"), json_value_get_string(meta, "uid"),
	                   NULL, 0, 0};
	if (!p->set || !p->uid || !ns || replicas <= 0 || replicas > PODS_MAX ||
	    selector_text(&selector, json_value_get(spec, "selector")) < 0)
		goto out;
	p->n = (size_t)replicas;
	p->by_ordinal = xcalloc(p->n, sizeof(*p->by_ordinal));
	api_core_path(&path, ns, "pods", NULL);
	buf_adds(&path, "?labelSelector=");
	api_query_value(&path, selector.ptr);
	buf_addf(&path, "&limit=%d", LIST_PAGE);
	error = kube_client_list(c, path.ptr, pods_page, p);
out:
	buf_release(&path);
	buf_release(&selector);
	return error;
}

static void pods_release(struct pods *p)
{
	size_t k;

	for (k = 0; k < p->n; k++)
		json_object_put(p->by_ordinal[k]);
	free(p->by_ordinal);
}

enum readiness sync_pods_explain(struct buf *why, struct kube_client *c, struct json_object *sts,
                                 struct pod_recovery *r, const struct sync_options *opts)
{
	const char *ns = json_value_get_string(json_value_get(sts, "metadata"), "namespace");
	struct buf cause = BUF_INIT;
	enum readiness state = READINESS_PROGRESSING;
	struct pods p;
	size_t k;

	/* The cause is a help: a pod list that cannot be read says none. */
	if (pods_read(&p, c, sts) < 0)
		goto out;
	/* The first pod not ready, by ordinal; its status is the cluster's
	 * words, said as printable text, and not at any length. */
	for (k = 0; k < p.n && state == READINESS_PROGRESSING; k++) {
		if (!p.by_ordinal[k]) {
			buf_addf(why, "%s-%zu not made yet", p.set, k);
			break;
		}
		buf_reset(&cause);
		if ((state = ready_pod(&cause, p.by_ordinal[k])) == READINESS_READY) {
			state = READINESS_PROGRESSING;
			continue;
		}
		if (cause.len > CAUSE_MAX)
			cause.ptr[CAUSE_MAX] = '\0';
		buf_addf(why, "%s-%zu ", p.set, k);
		buf_add_printable(why, cause.ptr, NULL);
		/* A pod of the revision before: the new one may yet replace
		 * it (or recovery, when the rollout is stuck on it). */
		if (state == READINESS_FAILED && !of_the_update(sts, p.by_ordinal[k])) {
			buf_adds(why, ", on the revision before");
			state = READINESS_DEGRADED;
		}
		break;
	}
	/* A recovery the cluster refuses (no delete on pods) is said once. */
	if (r && r->on && recover(c, sts, &p, r, opts) < 0) {
		sync_warn(opts, "cannot recover the rollout of statefulset %s/%s: %s", ns, p.set,
		          berth_error_last());
		r->on = false;
	}
out:
	pods_release(&p);
	buf_release(&cause);
	return state;
}

void sync_pods_outdated(struct buf *why, struct kube_client *c, struct json_object *sts)
{
	const char *update = json_value_get_string(json_value_get(sts, "status"), "updateRevision");
	struct pods p;
	size_t k, n = 0;

	if (!update)
		return;
	if (pods_read(&p, c, sts) == 0)
		for (k = 0; k < p.n; k++) {
			const char *rev = revision_of(p.by_ordinal[k]);

			if (rev && strcmp(rev, update))
				buf_addf(why, "%s%s-%zu", n++ ? ", " : ": ", p.set, k);
		}
	pods_release(&p);
}
