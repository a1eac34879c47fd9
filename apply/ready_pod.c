/* Why a pod is not ready, as `kubectl get pods` and `kubectl describe pod`
 * say it, and how bad that is. */
#include "ready.h"

#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <string.h>

/* Waiting reasons that only a new image, or a new spec, can clear. */
static bool cannot_pull(const char *reason)
{
	return !strcmp(reason, "ErrImagePull") || !strcmp(reason, "ImagePullBackOff") ||
	       !strcmp(reason, "InvalidImageName") || !strcmp(reason, "ErrImageNeverPull");
}

/* Waiting reasons of a container that runs into an error, again and again. */
static bool broken(const char *reason)
{
	return !strcmp(reason, "CrashLoopBackOff") ||
	       !strcmp(reason, "CreateContainerConfigError") ||
	       !strcmp(reason, "CreateContainerError") || !strcmp(reason, "RunContainerError");
}

static int64_t int_of(struct json_object *obj, const char *key)
{
	struct json_object *v = json_value_get(obj, key);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

/* "(restarted 5 times, last exit 1: Error)" of a container status. */
static void restarts(struct buf *why, struct json_object *cs)
{
	struct json_object *last = json_value_get(json_value_get(cs, "lastState"), "terminated");
	const char *reason = json_value_get_string(last, "reason");
	int64_t n = int_of(cs, "restartCount");

	buf_addf(why, " (restarted %lld time%s", (long long)n, n == 1 ? "" : "s");
	if (last)
		buf_addf(why, ", last exit %lld%s%s", (long long)int_of(last, "exitCode"),
		         reason ? ": " : "", reason ? reason : "");
	buf_addch(why, ')');
}

/*
 * The first container of `statuses` (containerStatuses or
 * initContainerStatuses) that keeps the pod from being ready, said after
 * `prefix` ("" or "Init:"); PROGRESSING with nothing said when none does.
 */
static enum readiness containers(struct buf *why, struct json_object *statuses, const char *prefix,
                                 bool init)
{
	size_t i;

	for (i = 0; i < json_value_array_len(statuses); i++) {
		struct json_object *cs = json_object_array_get_idx(statuses, i);
		struct json_object *state = json_value_get(cs, "state");
		struct json_object *waiting = json_value_get(state, "waiting");
		struct json_object *done = json_value_get(state, "terminated");
		const char *reason = json_value_get_string(waiting, "reason");
		const char *message = json_value_get_string(waiting, "message");
		const char *name = json_value_get_string(cs, "name");

		if (reason && (cannot_pull(reason) || broken(reason))) {
			buf_addf(why, "%s%s", prefix, reason);
			if (!strcmp(reason, "CrashLoopBackOff"))
				restarts(why, cs);
			else if (message && *message)
				buf_addf(why, ": %s", message);
			return cannot_pull(reason) ? READINESS_FAILED : READINESS_DEGRADED;
		}
		/* An init container that exited in error is run again. */
		if (init && done && int_of(done, "exitCode") != 0) {
			buf_addf(why, "%s%s (container %s, exit %lld)", prefix,
			         json_value_get_string(done, "reason")
			             ? json_value_get_string(done, "reason")
			             : "Error",
			         name ? name : "?", (long long)int_of(done, "exitCode"));
			return READINESS_DEGRADED;
		}
	}
	return READINESS_PROGRESSING;
}

/* The pod's Ready condition, or NULL. */
static struct json_object *ready_condition(struct json_object *pod)
{
	struct json_object *conds = json_value_get(json_value_get(pod, "status"), "conditions");
	size_t i;

	for (i = 0; i < json_value_array_len(conds); i++) {
		struct json_object *c = json_object_array_get_idx(conds, i);
		const char *type = json_value_get_string(c, "type");

		if (type && !strcmp(type, "Ready"))
			return c;
	}
	return NULL;
}

enum readiness ready_pod(struct buf *why, struct json_object *pod)
{
	struct json_object *status = json_value_get(pod, "status");
	const char *phase = json_value_get_string(status, "phase");
	const char *ready = json_value_get_string(ready_condition(pod), "status");
	struct json_object *conds = json_value_get(status, "conditions"), *cs;
	enum readiness r;
	size_t i;

	if (json_value_get(json_value_get(pod, "metadata"), "deletionTimestamp")) {
		buf_adds(why, "terminating");
		return READINESS_PROGRESSING;
	}
	if (ready && !strcmp(ready, "True"))
		return READINESS_READY;
	if (phase && !strcmp(phase, "Failed")) {
		const char *reason = json_value_get_string(status, "reason");

		buf_addf(why, "Failed%s%s", reason ? ": " : "", reason ? reason : "");
		return READINESS_DEGRADED;
	}
	if ((r = containers(why, json_value_get(status, "initContainerStatuses"), "Init:", true)) !=
	        READINESS_PROGRESSING ||
	    (r = containers(why, json_value_get(status, "containerStatuses"), "", false)) !=
	        READINESS_PROGRESSING)
		return r;
	/* Not scheduled: the scheduler's reason and message. */
	for (i = 0; i < json_value_array_len(conds); i++) {
		struct json_object *c = json_object_array_get_idx(conds, i);
		const char *type = json_value_get_string(c, "type"),
		           *s = json_value_get_string(c, "status"),
		           *reason = json_value_get_string(c, "reason"),
		           *message = json_value_get_string(c, "message");

		if (type && s && !strcmp(type, "PodScheduled") && !strcmp(s, "False")) {
			buf_addf(why, "Pending: %s%s%s",
			         reason && !strcmp(reason, "Unschedulable") ? "unschedulable"
			         : reason                                   ? reason
			                                                    : "not scheduled",
			         message ? ": " : "", message ? message : "");
			return reason && !strcmp(reason, "Unschedulable") ? READINESS_DEGRADED
			                                                  : READINESS_PROGRESSING;
		}
	}
	if (!phase || !strcmp(phase, "Pending")) {
		buf_adds(why, "Pending");
		return READINESS_PROGRESSING;
	}
	/* Running, and a container that runs is not ready: its readiness
	 * probe fails. */
	cs = json_value_get(status, "containerStatuses");
	for (i = 0; i < json_value_array_len(cs); i++) {
		struct json_object *c = json_object_array_get_idx(cs, i);
		const char *name = json_value_get_string(c, "name");
		struct json_object *state = json_value_get(c, "state");
		const char *reason =
		    json_value_get_string(json_value_get(state, "waiting"), "reason");

		if (json_object_get_boolean(json_value_get(c, "ready")))
			continue;
		if (json_value_get(state, "running"))
			buf_addf(why, "container %s not ready (its readiness probe fails)",
			         name ? name : "?");
		else
			buf_addf(why, "container %s %s", name ? name : "?",
			         reason ? reason : "not running");
		return READINESS_PROGRESSING;
	}
	buf_addf(why, "%s, not ready", phase);
	return READINESS_PROGRESSING;
}

bool ready_pod_never_ready(struct json_object *pod)
{
	struct json_object *c = ready_condition(pod);
	const char *s = json_value_get_string(c, "status");
	const char *changed = json_value_get_string(c, "lastTransitionTime");
	const char *started = json_value_get_string(json_value_get(pod, "status"), "startTime");

	time_t at_change, at_start;

	if (s && !strcmp(s, "True"))
		return false;
	/* Not Ready since it started: the condition last changed then (the
	 * kubelet writes both in its first status, within a second or two).
	 * A pod that was Ready, then not, changed it later. */
	return !c || !changed || !started || clock_rfc3339_parse(&at_change, changed) < 0 ||
	       clock_rfc3339_parse(&at_start, started) < 0 || at_change - at_start <= 2;
}
