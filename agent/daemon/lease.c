/* Several replicas share the sources out on Lease objects: the member
 * Leases, the source Leases, and the webhooks handed over on them. */
#include "lease.h"

#include "lease_plan.h"
#include "lease_store.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tries of a webhook handed over, each after a 409. */
#define FORWARD_TRIES 3
/* Webhooks waiting to be handed over: more are refused. */
#define FORWARD_MAX 256

const struct metric_family lease_owned_family = {
    "berth_owned_sources", "Sources whose Lease this replica holds: the sources it reconciles.",
    METRIC_GAUGE, NULL, 0};
const struct metric_family lease_transitions_family = {
    "berth_lease_transitions_total",
    "Source Leases this replica acquired, released (to another member, or when stopping) or lost "
    "(not renewed in time, or taken).",
    METRIC_COUNTER, NULL, 0};

static void count_owned(struct leases *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->sources[i].held;
	metrics_record(l->metrics, &lease_owned_family, (double)n, NULL);
}

/* The member Leases of replicas gone long ago (unrenewed, as observed, for
 * two durations): deleted, so that each pod that ever ran does not leave
 * one behind, and a replica that joins does not count it a member for a
 * duration. Any member may; the version seen decides (one renewed since
 * stays), and a replica that comes back makes its own again. */
static void collect(struct leases *l, double now)
{
	char name[320] = "";
	size_t i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; l->joined && i < l->nrecords && !*name; i++) {
		const struct lease_record *r = &l->records[i];

		if (r->member && strcmp(r->name, l->member) &&
		    r->observed_ms +
		            2.0 * (double)(r->duration_ms > 1000 ? r->duration_ms : 1000) <=
		        now)
			snprintf(name, sizeof(name), "%s", r->name);
	}
	pthread_mutex_unlock(&l->lock);
	/* One a tick: there is no hurry. */
	if (*name && delete_lease(l, name) == 0)
		log_line("info", "lease deleted", "lease", name, "reason",
		         "its replica has not renewed it for two durations", NULL);
}

/* ---- The ticks: the member Lease, then each source's. ---- */

/* Source `o` is not this replica's any more (the lock held): its busy
 * reconcile is stopped, and the loop told. */
static void lose(struct leases *l, struct owned *o, const char *change, const char *reason)
{
	o->held = false;
	if (o->busy && o->stop)
		stop_request(o->stop, LEASE_STOP);
	metrics_record(l->metrics, &lease_transitions_family, 1, "change", change, NULL);
	count_owned(l);
	log_line(strcmp(change, "lost") ? "info" : "warn", "lease given up", "source", o->source,
	         "change", change, "reason", reason, NULL);
	l->notify(LEASE_LOST, o->source, reason, l->notify_ctx);
}

/* Renew the member Lease: the write's error. */
static int tick_member(struct leases *l, double now)
{
	struct lease_record *r;
	bool free, ours, joined;
	char holder[256] = "";
	int error = 0;

	pthread_mutex_lock(&l->lock);
	r = find_record(l, l->member);
	ours = r && r->holder && !strcmp(r->holder, l->identity);
	free = !r || lease_record_free(r, now);
	if (r && r->holder)
		snprintf(holder, sizeof(holder), "%s", r->holder);
	pthread_mutex_unlock(&l->lock);
	if (ours || free)
		error = write_holder(l, l->member, "member", l->identity, l->t.lease_duration_ms);
	if ((ours || free) && error == 0) {
		pthread_mutex_lock(&l->lock);
		l->member_renewed_ms = now;
		pthread_mutex_unlock(&l->lock);
		l->member_warned = false;
	} else if (!ours && !free && !l->member_warned) {
		l->member_warned = true;
		log_line("warn", "lease held by another", "lease", l->member, "holder", holder,
		         "meaning", "another replica runs with this id: give each its own (--id)",
		         NULL);
	} else if ((ours || free) && error != BERTH_ECONFLICT && !l->member_warned) {
		/* Said once, until a renewal goes through. */
		l->member_warned = true;
		log_line("warn", "cannot renew", "lease", l->member, "error", berth_error_last(),
		         NULL);
	}
	pthread_mutex_lock(&l->lock);
	joined = now < l->member_renewed_ms + (double)l->t.renew_deadline_ms;
	if (joined != l->joined) {
		l->joined = joined;
		log_line(joined ? "info" : "warn", joined ? "joined" : "left", "id", l->identity,
		         "lease", l->member, NULL);
		l->notify(joined ? LEASE_JOINED : LEASE_LEFT, NULL, NULL, l->notify_ctx);
	}
	pthread_mutex_unlock(&l->lock);
	return error;
}

/* The members at `now`, with the lock held: the ids of the member Leases
 * held and not expired (berth-member-<id>), this replica among them only
 * while joined. Copies. */
static size_t members(struct leases *l, char **out, double now)
{
	const size_t prefix = strlen(LEASE_MEMBER_PREFIX);
	size_t i, n = 0;

	for (i = 0; i < l->nrecords; i++) {
		const struct lease_record *r = &l->records[i];

		if (r->member && !lease_record_free(r, now) && strcmp(r->name, l->member) &&
		    !strncmp(r->name, LEASE_MEMBER_PREFIX, prefix))
			out[n++] = xstrdup(r->name + prefix);
	}
	if (l->joined)
		out[n++] = xstrdup(l->id);
	return n;
}

/* Source `o`, held, was not renewed within its deadline at `now` (the lock
 * held): it is lost, before the others may see its Lease expire. */
static bool expire(struct leases *l, struct owned *o, double now)
{
	if (!o->held || now < o->renewed_ms + (double)l->t.source_renew_deadline_ms)
		return false;
	lose(l, o, "lost", "not renewed within sourceRenewDeadline");
	return true;
}

/* The guard's thread: no I/O, only the clock. A source not renewed within
 * its deadline is lost then (its reconcile stopped), however long the
 * ticks' requests take. */
static void *guard_loop(void *arg)
{
	struct leases *l = arg;

	pthread_mutex_lock(&l->lock);
	while (!stop_requested(&l->stop)) {
		double now = clock_now_ms(), next = now + 1000;
		struct timespec ts;
		size_t i;

		for (i = 0; i < l->n; i++) {
			struct owned *o = &l->sources[i];
			double due = o->renewed_ms + (double)l->t.source_renew_deadline_ms;

			if (o->held && !expire(l, o, now) && due < next)
				next = due;
		}
		ts = clock_monotonic_in(next - now);
		pthread_cond_timedwait(&l->guard, &l->lock, &ts);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

enum act { ACT_TAKE, ACT_RENEW, ACT_RELEASE };

struct action {
	enum act act;
	char *source, *lease;
};

/* What each source's Lease needs at `now`, with the lock held; what is
 * lost or given up is so at once. Returns how many actions. */
static size_t plan(struct leases *l, struct action *acts, double now)
{
	char **names = xcalloc(l->nrecords + 2, sizeof(*names)), why[300];
	size_t nm = members(l, names, now), i, n = 0;

	for (i = 0; i < l->n; i++) {
		struct owned *o = &l->sources[i];
		size_t who =
		    o->key ? lease_assign((const char *const *)names, nm, o->key) : SIZE_MAX;
		bool mine = who != SIZE_MAX && !strcmp(names[who], l->id);
		struct lease_record *r = find_record(l, o->lease);
		enum act act;

		if (expire(l, o, now))
			continue;
		if (o->held && !mine && !o->busy && (!o->key || (who != SIZE_MAX && l->joined))) {
			snprintf(why, sizeof(why), "%s%s",
			         o->key ? "it goes to " : "no longer a source",
			         o->key ? names[who] : "");
			lose(l, o, "released", why);
			act = ACT_RELEASE;
		} else if (now < o->retry_at) {
			continue;
		} else if (o->held && now >= o->renewed_ms + (double)l->t.source_renew_ms) {
			act = ACT_RENEW;
		} else if (!o->held && mine && l->joined &&
		           (!r || lease_record_free(r, now) || !strcmp(r->holder, l->identity))) {
			/* Its own name on it (a renewal that failed, its
			 * answer lost): taken again at once. */
			act = ACT_TAKE;
		} else {
			continue;
		}
		acts[n].act = act;
		acts[n].source = xstrdup(o->source);
		acts[n++].lease = xstrdup(o->lease);
	}
	for (i = 0; i < nm; i++)
		free(names[i]);
	free(names);
	return n;
}

/* Do action `a`, sent at `sent`: the write's error. */
static int act(struct leases *l, const struct action *a, double sent)
{
	struct owned *o;
	struct lease_record *r;
	int error;

	if (a->act == ACT_RELEASE) {
		if ((error = write_holder(l, a->lease, "source", "", 1000)) < 0)
			log_line("warn", "cannot release", "lease", a->lease, "error",
			         berth_error_last(), "meaning", "it expires for the others instead",
			         NULL);
		return error;
	}
	error = write_holder(l, a->lease, "source", l->identity, l->t.source_lease_duration_ms);
	pthread_mutex_lock(&l->lock);
	o = find_source(l, a->source);
	r = find_record(l, a->lease);
	if (error == 0 && o && !o->held) {
		o->held = true;
		o->renewed_ms = sent;
		o->epoch = ++l->takes;
		metrics_record(l->metrics, &lease_transitions_family, 1, "change", "acquired",
		               NULL);
		count_owned(l);
		log_line("info", "lease acquired", "source", a->source, "lease", a->lease, NULL);
		l->notify(LEASE_ACQUIRED, a->source, NULL, l->notify_ctx);
	} else if (error == 0 && o) {
		o->renewed_ms = sent;
	} else if (o && o->held && r && (!r->holder || strcmp(r->holder, l->identity))) {
		lose(l, o, "lost", "another replica holds it now");
	} else if (o && error != BERTH_ECONFLICT && !o->warned) {
		/* Said once, until a write of it goes through. */
		log_line("warn", a->act == ACT_RENEW ? "cannot renew" : "cannot take", "lease",
		         a->lease, "error", berth_error_last(), NULL);
		o->warned = true;
	}
	/* A failure is tried again at the next retry period, not at once. */
	if (o) {
		o->retry_at = error < 0 ? sent + (double)l->t.retry_period_ms : 0;
		o->warned &= error < 0;
	}
	pthread_mutex_unlock(&l->lock);
	return error;
}

/* Hand each webhook queued to its source's holder. */
static void forward_all(struct leases *l)
{
	struct forward *queue;
	size_t n, i, try;

	pthread_mutex_lock(&l->lock);
	queue = l->forwards;
	n = l->nforwards;
	l->forwards = NULL;
	l->nforwards = 0;
	pthread_mutex_unlock(&l->lock);
	for (i = 0; i < n; i++) {
		struct forward *f = &queue[i];
		struct buf name = BUF_INIT;

		buf_addf(&name, LEASE_SOURCE_PREFIX "%s", f->source);
		for (try = 0; try < FORWARD_TRIES; try++) {
			struct lease_record *r;
			struct json_object *body, *meta, *ann, *t;
			struct owned *o;
			struct timespec now;
			char holder[256], at[32];
			int error;

			pthread_mutex_lock(&l->lock);
			r = find_record(l, name.ptr);
			o = find_source(l, f->source);
			if (!r || !r->holder || (o && o->held)) {
				if (o && o->held)
					l->notify(LEASE_TRIGGER, f->source, "push", l->notify_ctx);
				else
					log_line("info", "webhook kept for the next owner",
					         "source", f->source, "delivery", f->delivery,
					         "meaning",
					         "no replica holds the source: the next to take it "
					         "reconciles it then",
					         NULL);
				pthread_mutex_unlock(&l->lock);
				break;
			}
			snprintf(holder, sizeof(holder), "%s", r->holder);
			body = json_value_copy(r->obj);
			pthread_mutex_unlock(&l->lock);
			meta = json_value_get(body, "metadata");
			if (!json_object_is_type(ann = json_value_get(meta, "annotations"),
			                         json_type_object)) {
				ann = json_object_new_object();
				json_object_object_add(meta, "annotations", ann);
			}
			t = json_object_new_object();
			json_object_object_add(t, "ref", json_object_new_string(f->ref));
			json_object_object_add(t, "delivery", json_object_new_string(f->delivery));
			json_object_object_add(t, "from", json_object_new_string(l->id));
			/* Each hand-over a change, even of one delivery again. */
			clock_gettime(CLOCK_REALTIME, &now);
			lease_time(at, &now);
			json_object_object_add(t, "at", json_object_new_string(at));
			json_object_object_add(
			    ann, LEASE_TRIGGER_KEY,
			    json_object_new_string(json_object_to_json_string(t)));
			json_object_put(t);
			if ((error = put_lease(l, name.ptr, body, false)) == 0) {
				log_line("info", "webhook handed over", "source", f->source, "to",
				         holder, "delivery", f->delivery, NULL);
				break;
			}
			if (error != BERTH_ECONFLICT) {
				log_line("warn", "cannot hand the webhook over", "source",
				         f->source, "delivery", f->delivery, "error",
				         berth_error_last(), NULL);
				break;
			}
		}
		buf_release(&name);
		free(f->source);
		free(f->ref);
		free(f->delivery);
	}
	free(queue);
}

/* When the next tick is due after `now`: a renewal, a Lease that may
 * expire, or the member's renewal at `member_due`. With the lock held. */
static double next_due(struct leases *l, double now, double member_due)
{
	double next = member_due, t;
	size_t i;

	for (i = 0; i < l->n; i++) {
		t = l->sources[i].renewed_ms + (double)l->t.source_renew_ms;
		if (l->sources[i].retry_at > t)
			t = l->sources[i].retry_at;
		if (l->sources[i].held && t < next)
			next = t;
	}
	for (i = 0; i < l->nrecords; i++)
		if (l->records[i].holder &&
		    (t = l->records[i].observed_ms + (double)l->records[i].duration_ms) > now &&
		    t < next)
			next = t;
	return next > now + 5 ? next : now + 5;
}

static void *tick_loop(void *arg)
{
	struct leases *l = arg;
	double member_due = 0;

	while (!stop_requested(&l->stop)) {
		double now = clock_now_ms(), next;
		struct action *acts;
		bool reached = true;
		size_t n, i;

		/* A webhook waits for its hand-over; renewals have time. */
		forward_all(l);
		if (now >= member_due) {
			reached = tick_member(l, now) != BERTH_ECONNECT;
			member_due = now + (double)l->t.retry_period_ms;
		}
		/* Nothing is taken before the Leases are known: every source
		 * would look free. */
		pthread_mutex_lock(&l->lock);
		acts = xcalloc(l->n + 1, sizeof(*acts));
		n = l->listed ? plan(l, acts, clock_now_ms()) : 0;
		pthread_mutex_unlock(&l->lock);
		/* Once the server cannot be reached, the rest wait for the
		 * next tick (the guard keeps the deadlines meanwhile). */
		for (i = 0; i < n; i++) {
			if (reached)
				reached = act(l, &acts[i], clock_now_ms()) != BERTH_ECONNECT;
			free(acts[i].source);
			free(acts[i].lease);
		}
		free(acts);
		if (reached)
			collect(l, clock_now_ms());
		pthread_mutex_lock(&l->lock);
		now = clock_now_ms();
		/* Every member's renewal is an event: a watch that hears none
		 * for three retry periods is stuck (a stalled connection). */
		if (now - l->heard_ms > 3.0 * (double)l->t.retry_period_ms) {
			stop_request(&l->restart, 0);
			l->heard_ms = now;
		}
		next = next_due(l, now, member_due);
		while (!l->poked && !stop_requested(&l->stop) && clock_now_ms() < next) {
			struct timespec ts = clock_monotonic_in(next - clock_now_ms());

			pthread_cond_timedwait(&l->cond, &l->lock, &ts);
		}
		l->poked = false;
		pthread_mutex_unlock(&l->lock);
	}
	return NULL;
}

/* ---- The loop's side. ---- */

/* The longest a Lease request may take: well within what a late renewal
 * may cost before the others see the Lease expire. */
static long request_timeout(const struct scale_out *t)
{
	long member = t->renew_deadline_ms - t->retry_period_ms,
	     source = t->source_lease_duration_ms - t->source_renew_deadline_ms;
	long half = (member < source ? member : source) / 2;

	return half > 500 ? half : 500;
}

void lease_follow(struct leases *l, const struct config *c)
{
	const char **keys = xcalloc(c->n + 1, sizeof(*keys));
	struct owned *fresh = xcalloc(c->n + l->n + 1, sizeof(*fresh));
	bool *kept;
	size_t i, j, n = c->n;

	lease_group_keys(keys, c);
	pthread_mutex_lock(&l->lock);
	kept = xcalloc(l->n + 1, sizeof(*kept));
	for (i = 0; i < c->n; i++) {
		struct buf lease = BUF_INIT;

		for (j = 0; j < l->n && strcmp(l->sources[j].source, c->sources[i].name); j++)
			;
		if (j < l->n) {
			fresh[i] = l->sources[j];
			free(fresh[i].key);
			kept[j] = true;
		} else {
			fresh[i].source = xstrdup(c->sources[i].name);
			buf_addf(&lease, LEASE_SOURCE_PREFIX "%s", c->sources[i].name);
			fresh[i].lease = buf_detach(&lease, NULL);
		}
		fresh[i].key = xstrdup(keys[i]);
	}
	/* A source gone is given up (plan(): no key), then forgotten. */
	for (j = 0; j < l->n; j++) {
		if (kept[j])
			continue;
		if (l->sources[j].held || l->sources[j].busy) {
			fresh[n] = l->sources[j];
			free(fresh[n].key);
			fresh[n++].key = NULL;
		} else {
			free(l->sources[j].source);
			free(l->sources[j].key);
			free(l->sources[j].lease);
		}
	}
	free(kept);
	free(l->sources);
	l->sources = fresh;
	l->n = n;
	poke(l);
	pthread_mutex_unlock(&l->lock);
	free(keys);
}

int lease_new(struct leases **out, const struct kubeconfig *kc,
              const struct kube_client_options *client, const struct lease_options *o,
              const struct config *c)
{
	struct leases *l = xcalloc(1, sizeof(*l));
	struct kube_client_options short_opts = *client;
	struct buf member = BUF_INIT;
	pthread_condattr_t monotonic;
	uint32_t nonce[1];
	int error;

	l->id = xstrdup(o->id);
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		nonce[0] = (uint32_t)(clock_jitter() * 4294967296.0) ^ (uint32_t)getpid();
	buf_addf(&member, "%s_%08x", o->id, nonce[0]);
	l->identity = buf_detach(&member, NULL);
	l->ns = xstrdup(o->namespace);
	buf_addf(&member, LEASE_MEMBER_PREFIX "%s", o->id);
	l->member = buf_detach(&member, NULL);
	l->t = o->timing;
	l->metrics = o->metrics;
	l->notify = o->notify;
	l->notify_ctx = o->notify_ctx;
	l->member_renewed_ms = -1e18;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &monotonic);
	pthread_cond_init(&l->guard, &monotonic);
	pthread_condattr_destroy(&monotonic);
	/* A renewal that hangs must fail before its deadline, and is tried
	 * again at the next tick, not within the call. */
	short_opts.request_timeout_ms = request_timeout(&o->timing);
	short_opts.connect_timeout_ms = short_opts.request_timeout_ms;
	short_opts.max_attempts = 1;
	if ((error = kube_client_new(&l->client, kc, &short_opts)) < 0 ||
	    (error = kube_client_new(&l->watch_client, kc, client)) < 0)
		goto fail;
	kube_client_set_stop(l->client, &l->stop, false);
	kube_client_set_stop(l->watch_client, &l->restart, true);
	lease_follow(l, c);
	metrics_record(l->metrics, &lease_owned_family, 0, NULL);
	if ((errno = pthread_create(&l->watcher, NULL, lease_watch, l)) == 0)
		l->watching = true;
	if (l->watching && (errno = pthread_create(&l->ticker, NULL, tick_loop, l)) == 0)
		l->ticking = true;
	if (l->ticking && (errno = pthread_create(&l->guarder, NULL, guard_loop, l)) == 0)
		l->guarding = true;
	if (!l->guarding) {
		error = berth_error_set("cannot start the leases: %s", strerror(errno));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	lease_free(l);
	return error;
}

void lease_free(struct leases *l)
{
	size_t i;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	stop_request(&l->stop, 0);
	stop_request(&l->restart, 0);
	poke(l);
	pthread_cond_signal(&l->guard);
	pthread_mutex_unlock(&l->lock);
	if (l->guarding)
		pthread_join(l->guarder, NULL);
	if (l->ticking)
		pthread_join(l->ticker, NULL);
	if (l->watching) {
		kube_client_interrupt(l->watch_client);
		pthread_join(l->watcher, NULL);
	}
	/* Given up at once, the member first: the others then take the
	 * sources as each is freed, without waiting for them to expire. A
	 * source's Lease is kept, held by no one: its name outlives this
	 * replica. */
	if (l->client) {
		kube_client_set_stop(l->client, NULL, false);
		/* A member's Lease names a replica that is going: deleted,
		 * not left behind (the next one with this id makes it again). */
		if (l->joined && delete_lease(l, l->member) < 0)
			log_line("warn", "cannot release", "lease", l->member, "error",
			         berth_error_last(), NULL);
		for (i = 0; i < l->n; i++) {
			if (!l->sources[i].held)
				continue;
			lose(l, &l->sources[i], "released", "berth is stopping");
			if (write_holder(l, l->sources[i].lease, "source", "", 1000) < 0)
				log_line("warn", "cannot release", "lease", l->sources[i].lease,
				         "error", berth_error_last(), NULL);
		}
	}
	for (i = 0; i < l->n; i++) {
		free(l->sources[i].source);
		free(l->sources[i].key);
		free(l->sources[i].lease);
	}
	free(l->sources);
	for (i = 0; i < l->nrecords; i++)
		lease_record_release(&l->records[i]);
	free(l->records);
	for (i = 0; i < l->nforwards; i++) {
		free(l->forwards[i].source);
		free(l->forwards[i].ref);
		free(l->forwards[i].delivery);
	}
	free(l->forwards);
	kube_client_free(l->client);
	kube_client_free(l->watch_client);
	pthread_cond_destroy(&l->cond);
	pthread_cond_destroy(&l->guard);
	pthread_mutex_destroy(&l->lock);
	free(l->id);
	free(l->identity);
	free(l->ns);
	free(l->member);
	free(l);
}

bool lease_begin(struct leases *l, const char *source, struct stop *stop, unsigned *epoch)
{
	struct owned *o;
	bool ours;

	pthread_mutex_lock(&l->lock);
	o = find_source(l, source);
	ours =
	    o && o->held && clock_now_ms() < o->renewed_ms + (double)l->t.source_renew_deadline_ms;
	if (ours) {
		o->busy = true;
		o->stop = stop;
		*epoch = o->epoch;
	}
	pthread_mutex_unlock(&l->lock);
	return ours;
}

void lease_end(struct leases *l, const char *source)
{
	struct owned *o;

	pthread_mutex_lock(&l->lock);
	if ((o = find_source(l, source))) {
		o->busy = false;
		o->stop = NULL;
	}
	/* A source that went to another member meanwhile goes now. */
	poke(l);
	pthread_mutex_unlock(&l->lock);
}

void lease_forward(struct leases *l, const char *source, const char *ref, const char *delivery,
                   struct buf *answer)
{
	struct buf name = BUF_INIT;
	struct lease_record *r;

	buf_addf(&name, LEASE_SOURCE_PREFIX "%s", source);
	pthread_mutex_lock(&l->lock);
	r = find_record(l, name.ptr);
	if (l->nforwards >= FORWARD_MAX) {
		buf_addf(answer,
		         "%s: not handed over, too many are waiting; its owner reconciles it at "
		         "its interval",
		         source);
	} else {
		l->forwards = xrealloc(l->forwards, (l->nforwards + 1) * sizeof(*l->forwards));
		l->forwards[l->nforwards].source = xstrdup(source);
		l->forwards[l->nforwards].ref = xstrdup(ref);
		l->forwards[l->nforwards++].delivery = xstrdup(delivery ? delivery : "");
		buf_addf(answer, "%s: handed to its owner %s", source,
		         r && r->holder ? r->holder : "(none yet)");
		poke(l);
	}
	pthread_mutex_unlock(&l->lock);
	buf_release(&name);
}

void lease_holder(struct leases *l, const char *source, struct buf *out)
{
	struct buf name = BUF_INIT;
	struct lease_record *r;

	buf_addf(&name, LEASE_SOURCE_PREFIX "%s", source);
	pthread_mutex_lock(&l->lock);
	if ((r = find_record(l, name.ptr)) && r->holder && !lease_record_free(r, clock_now_ms()))
		/* The replica's id, less its process's part. */
		buf_add(out, r->holder,
		        strrchr(r->holder, '_') ? (size_t)(strrchr(r->holder, '_') - r->holder)
		                                : strlen(r->holder));
	pthread_mutex_unlock(&l->lock);
	buf_release(&name);
}
