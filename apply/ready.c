/* When an object is ready, and what it waits for when it is not. */
#include "ready.h"

#include "../diff/base/json_value.h"

#include <string.h>

static int64_t int_at(struct json_object *obj, const char *a, const char *b)
{
	struct json_object *v = json_value_get(json_value_get(obj, a), b);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static const char *string_at(struct json_object *obj, const char *a, const char *b)
{
	const char *s = json_value_get_string(json_value_get(obj, a), b);

	return s ? s : "";
}

const char *readiness_name(enum readiness r)
{
	static const char *const names[] = {"Ready", "Progressing", "Degraded", "Failed"};

	return r <= READINESS_FAILED ? names[r] : "Unknown";
}

/* The condition `type` of status.conditions, or NULL. */
static struct json_object *condition(struct json_object *obj, const char *type)
{
	struct json_object *conds = json_value_get(json_value_get(obj, "status"), "conditions");
	size_t i;

	for (i = 0; i < json_value_array_len(conds); i++) {
		struct json_object *c = json_object_array_get_idx(conds, i);
		const char *t = json_value_get_string(c, "type");

		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

/* status.conditions[type].status is `want` ("True", "False"). */
static bool condition_is(struct json_object *obj, const char *type, const char *want)
{
	const char *s = json_value_get_string(condition(obj, type), "status");

	return s && !strcmp(s, want);
}

static bool condition_true(struct json_object *obj, const char *type)
{
	return condition_is(obj, type, "True");
}

/* "Reason: message" of condition `type`, after `prefix`. */
static void condition_says(struct buf *why, struct json_object *obj, const char *type,
                           const char *prefix)
{
	struct json_object *c = condition(obj, type);
	const char *reason = json_value_get_string(c, "reason"),
	           *message = json_value_get_string(c, "message");

	buf_adds(why, prefix);
	if (reason && *reason)
		buf_addf(why, ": %s", reason);
	if (message && *message)
		buf_addf(why, "%s%s", reason && *reason ? " (" : ": ", message);
	if (message && *message && reason && *reason)
		buf_addch(why, ')');
}

/* spec.replicas, which defaults to 1. */
static int64_t replicas_of(struct json_object *obj)
{
	struct json_object *v = json_value_get(json_value_get(obj, "spec"), "replicas");

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 1;
}

/* The controller has not yet seen the current spec. */
static bool unobserved(struct buf *why, struct json_object *obj)
{
	int64_t observed = int_at(obj, "status", "observedGeneration");

	if (observed > 0 && observed >= int_at(obj, "metadata", "generation"))
		return false;
	buf_adds(why, "its controller has not seen the new spec yet");
	return true;
}

/* Section 9 of the reference: what kubectl rollout status decides. */
static enum readiness statefulset(struct buf *why, struct json_object *obj)
{
	struct json_object *strategy =
	    json_value_get(json_value_get(obj, "spec"), "updateStrategy");
	struct json_object *rolling = json_value_get(strategy, "rollingUpdate");
	const char *type = json_value_get_string(strategy, "type");
	int64_t replicas = replicas_of(obj), ready = int_at(obj, "status", "readyReplicas");
	int64_t updated = int_at(obj, "status", "updatedReplicas");

	if (unobserved(why, obj))
		return READINESS_PROGRESSING;
	/* OnDelete: no rollout to follow, and pods are replaced only when
	 * someone deletes them. Ready once the spec is seen; what is left on
	 * the old revision is said. */
	if (type && !strcmp(type, "OnDelete")) {
		if (updated < replicas && strcmp(string_at(obj, "status", "currentRevision"),
		                                 string_at(obj, "status", "updateRevision")))
			buf_addf(why, "%lld of %lld pods on the old revision (OnDelete)",
			         (long long)(replicas - updated), (long long)replicas);
		return READINESS_READY;
	}
	if (ready < replicas) {
		buf_addf(why, "%lld of %lld pods ready", (long long)ready, (long long)replicas);
		return READINESS_PROGRESSING;
	}
	if (rolling) {
		int64_t partition = int_at(strategy, "rollingUpdate", "partition");
		int64_t want = partition < replicas ? replicas - partition : 0;
		bool done = updated >= want;

		/* Ready or not, a partition says which pods the rollout leaves. */
		if (!done || partition > 0)
			buf_addf(why, "%lld of %lld pods updated",
			         (long long)(done ? want : updated), (long long)want);
		if (partition > 0)
			buf_addf(why, ", ordinals %lld and up (partition %lld)",
			         (long long)partition, (long long)partition);
		return done ? READINESS_READY : READINESS_PROGRESSING;
	}
	if (strcmp(string_at(obj, "status", "currentRevision"),
	           string_at(obj, "status", "updateRevision"))) {
		buf_addf(why, "%lld of %lld pods updated", (long long)updated, (long long)replicas);
		return READINESS_PROGRESSING;
	}
	return READINESS_READY;
}

/* Seen by its controller, and `want` pods updated and available. */
static enum readiness rolled_out(struct buf *why, struct json_object *obj, int64_t want,
                                 int64_t updated, int64_t available)
{
	if (unobserved(why, obj))
		return READINESS_PROGRESSING;
	if (updated < want || available < want) {
		buf_addf(why, "%lld of %lld pods updated, %lld available", (long long)updated,
		         (long long)want, (long long)available);
		return READINESS_PROGRESSING;
	}
	return READINESS_READY;
}

/* Past its progressDeadlineSeconds, the controller says so and gives up:
 * only a new spec starts it again. */
static enum readiness deployment(struct buf *why, struct json_object *obj)
{
	struct json_object *progressing = condition(obj, "Progressing");
	const char *reason = json_value_get_string(progressing, "reason");

	/* Of the spec the controller has seen, not of one before it. */
	if (int_at(obj, "status", "observedGeneration") >= int_at(obj, "metadata", "generation") &&
	    condition_is(obj, "Progressing", "False") && reason &&
	    !strcmp(reason, "ProgressDeadlineExceeded")) {
		condition_says(why, obj, "Progressing", "progress deadline exceeded");
		return READINESS_FAILED;
	}
	if (condition_true(obj, "ReplicaFailure")) {
		condition_says(why, obj, "ReplicaFailure", "replica failure");
		return READINESS_DEGRADED;
	}
	return rolled_out(why, obj, replicas_of(obj), int_at(obj, "status", "updatedReplicas"),
	                  int_at(obj, "status", "availableReplicas"));
}

/* Complete, or Failed with its reason. */
static enum readiness job(struct buf *why, struct json_object *obj)
{
	struct json_object *v = json_value_get(json_value_get(obj, "spec"), "completions");
	int64_t completions = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 1;

	if (condition_true(obj, "Complete"))
		return READINESS_READY;
	if (condition_true(obj, "Failed")) {
		condition_says(why, obj, "Failed", "failed");
		return READINESS_FAILED;
	}
	buf_addf(why, "%lld of %lld completions, %lld active, %lld failed",
	         (long long)int_at(obj, "status", "succeeded"), (long long)completions,
	         (long long)int_at(obj, "status", "active"),
	         (long long)int_at(obj, "status", "failed"));
	return READINESS_PROGRESSING;
}

/* A LoadBalancer is ready once it has an address. */
static enum readiness service(struct buf *why, struct json_object *obj)
{
	const char *type = string_at(obj, "spec", "type");

	if (strcmp(type, "LoadBalancer") ||
	    json_value_array_len(json_value_get(
	        json_value_get(json_value_get(obj, "status"), "loadBalancer"), "ingress")))
		return READINESS_READY;
	buf_adds(why, "waiting for the load balancer's ingress");
	return READINESS_PROGRESSING;
}

/* kstatus: a custom resource whose status follows the conventions. */
static enum readiness kstatus(struct buf *why, struct json_object *obj)
{
	if (condition_true(obj, "Stalled")) {
		condition_says(why, obj, "Stalled", "stalled");
		return READINESS_FAILED;
	}
	/* A status without observedGeneration does not say what it saw. */
	if (json_value_get(json_value_get(obj, "status"), "observedGeneration") &&
	    unobserved(why, obj))
		return READINESS_PROGRESSING;
	if (condition_true(obj, "Reconciling")) {
		condition_says(why, obj, "Reconciling", "reconciling");
		return READINESS_PROGRESSING;
	}
	if (condition(obj, "Ready") && !condition_true(obj, "Ready")) {
		condition_says(why, obj, "Ready", "not Ready");
		return READINESS_PROGRESSING;
	}
	return READINESS_READY;
}

/* A custom resource: of a group that is not Kubernetes' own. */
static bool custom(const char *group)
{
	static const char *const own[] = {"apps", "batch", "autoscaling", "policy", "extensions"};
	size_t n = strlen(group), i;

	if (!n || (n >= 7 && !strcmp(group + n - 7, ".k8s.io")) || !strcmp(group, "k8s.io"))
		return false;
	for (i = 0; i < sizeof(own) / sizeof(*own); i++)
		if (!strcmp(group, own[i]))
			return false;
	return true;
}

static enum readiness daemonset(struct buf *why, struct json_object *obj)
{
	return rolled_out(why, obj, int_at(obj, "status", "desiredNumberScheduled"),
	                  int_at(obj, "status", "updatedNumberScheduled"),
	                  int_at(obj, "status", "numberAvailable"));
}

/* A status.phase: ready in one of `ready`, failed in `failed`. */
static enum readiness phase(struct buf *why, struct json_object *obj, const char *ready1,
                            const char *ready2, const char *failed)
{
	const char *p = string_at(obj, "status", "phase");

	if (!strcmp(p, ready1) || (ready2 && !strcmp(p, ready2)))
		return READINESS_READY;
	buf_addf(why, "phase %s", *p ? p : "not set");
	return failed && !strcmp(p, failed) ? READINESS_FAILED : READINESS_PROGRESSING;
}

bool ready_has_rule(const char *group, const char *kind)
{
	if (!*group)
		return !strcmp(kind, "Namespace") || !strcmp(kind, "PersistentVolume") ||
		       !strcmp(kind, "PersistentVolumeClaim") || !strcmp(kind, "Service");
	if (!strcmp(group, "apps"))
		return !strcmp(kind, "StatefulSet") || !strcmp(kind, "Deployment") ||
		       !strcmp(kind, "DaemonSet");
	if (!strcmp(group, "batch"))
		return !strcmp(kind, "Job");
	return (!strcmp(group, "apiextensions.k8s.io") &&
	        !strcmp(kind, "CustomResourceDefinition")) ||
	       custom(group);
}

enum readiness ready_check(struct buf *why, struct json_object *live, bool binds_on_first_consumer)
{
	const char *api = json_value_get_string(live, "apiVersion"),
	           *kind = json_value_get_string(live, "kind");

	if (!api || !kind)
		return READINESS_READY;
	if (!strcmp(api, "v1")) {
		if (!strcmp(kind, "Namespace"))
			return phase(why, live, "Active", NULL, NULL);
		if (!strcmp(kind, "PersistentVolume"))
			return phase(why, live, "Available", "Bound", "Failed");
		if (!strcmp(kind, "PersistentVolumeClaim"))
			return binds_on_first_consumer ? READINESS_READY
			                               : phase(why, live, "Bound", NULL, "Lost");
		if (!strcmp(kind, "Service"))
			return service(why, live);
	} else if (!strncmp(api, "batch/", 6)) {
		if (!strcmp(kind, "Job"))
			return job(why, live);
	} else if (!strncmp(api, "apps/", 5)) {
		if (!strcmp(kind, "StatefulSet"))
			return statefulset(why, live);
		if (!strcmp(kind, "Deployment"))
			return deployment(why, live);
		if (!strcmp(kind, "DaemonSet"))
			return daemonset(why, live);
	} else if (!strncmp(api, "apiextensions.k8s.io/", 21) &&
	           !strcmp(kind, "CustomResourceDefinition")) {
		if (condition_is(live, "NamesAccepted", "False")) {
			condition_says(why, live, "NamesAccepted", "names not accepted");
			return READINESS_FAILED;
		}
		if (condition_true(live, "Established"))
			return READINESS_READY;
		buf_adds(why, "not Established yet");
		return READINESS_PROGRESSING;
	} else {
		const char *slash = strchr(api, '/');
		char group[256];

		if (slash && (size_t)(slash - api) < sizeof(group)) {
			memcpy(group, api, (size_t)(slash - api));
			group[slash - api] = '\0';
			if (custom(group))
				return kstatus(why, live);
		}
	}
	return READINESS_READY;
}

void ready_claim_pending(struct buf *out, struct json_object *claim, const struct claim_class *cls)
{
	struct json_object *spec = json_value_get(claim, "spec");
	const char *name = json_value_get_string(spec, "storageClassName");
	const char *volume = json_value_get_string(spec, "volumeName");
	const char *phase = json_value_get_string(json_value_get(claim, "status"), "phase");

	if (phase && strcmp(phase, "Pending"))
		return;
	if (volume)
		buf_addf(out, "waiting to bind PersistentVolume '%s'", volume);
	else if (!name || !*name || !cls)
		buf_adds(out, "no PersistentVolume without a class is available");
	else if (cls->binds_on_first_consumer)
		return;
	else if (!cls->provisioner)
		buf_addf(out, "StorageClass '%s' does not exist", name);
	else if (!strcmp(cls->provisioner, "kubernetes.io/no-provisioner"))
		buf_addf(out, "no PersistentVolume of class '%s' is available", name);
	else
		buf_addf(out, "waiting for provisioner '%s' to make a volume of class '%s'",
		         cls->provisioner, name);
}
