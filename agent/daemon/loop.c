/* berth run's loop: one thread that reconciles the source the scheduler
 * says is due, and sleeps until the next one is, a trigger comes, or a
 * signal asks it to reload or stop. */
#include "daemon.h"

#include "config.h"
#include "lease.h"
#include "preview.h"
#include "reconcile.h"
#include "scheduler.h"
#include "state.h"
#include "wakeup.h"
#include "watch.h"

#include "../http/listener.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long berth run --once waits for its commit statuses. */
#define STATUS_TIMEOUT_MS 30000.0

/* Set by the signal handlers; the loop blocks on `wake` until either
 * changes, a trigger comes, or a source is due. */
static struct stop stop = STOP_INIT;
/* The reconcile under way's: raised with `stop`, and by a lost Lease. */
static struct stop this_run = STOP_INIT;
static atomic_int reload_requested;
static struct wakeup wake = WAKEUP_INIT;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&reload_requested, 1);
	else {
		int none = 0;

		stop_request(&stop, sig);
		/* A lost Lease's STOP_ABANDON stays: its writes must not finish. */
		atomic_compare_exchange_strong(&this_run.why, &none, sig);
	}
	wakeup_signal(&wake);
}

/* Between reconciles, this_run is `stop` again: a lost Lease's abandon was
 * the last reconcile's. */
static void next_run(void)
{
	int abandon = STOP_ABANDON;

	atomic_compare_exchange_strong(&this_run.why, &abandon, stop_requested(&stop));
}

/* What the loop owns besides what its reconciles share. */
struct loop {
	struct runner r;
	struct scheduler *scheduler;
	struct listener *listener;  /* NULL with --once, unless it listens */
	struct previewer *previews; /* of pull requests; with the listener */
	const char *config_path;
	struct kubeconfig *kc;
	/* Lease mode: the leases, this replica's id, its User-Agent, and
	 * each source's lease_begin() epoch when it last reconciled */
	struct leases *leases;
	pthread_mutex_t leases_lock; /* l->leases, as the HTTP side reads it */
	char *id, *user_agent;
	struct json_object *epochs;
};

/* A watch saw a managed object change or go: its source is due now. */
static void on_change(const char *source, const char *what, void *ctx)
{
	struct trigger t = {.kind = TRIGGER_WATCH, .source = source, .object = what};

	scheduler_send(ctx, &t, NULL);
}

/* What the leases say: this replica joined or left, took or lost a
 * source, or was handed a webhook. */
static void on_lease(enum lease_event ev, const char *source, const char *detail, void *ctx)
{
	struct trigger t = {.kind = TRIGGER_LEASE, .source = source, .object = detail};

	if (ev == LEASE_JOINED || ev == LEASE_LEFT) {
		scheduler_joined(ctx, ev == LEASE_JOINED);
		return;
	}
	t.owned = ev == LEASE_ACQUIRED;
	if (ev == LEASE_TRIGGER)
		t.kind = TRIGGER_PUSH;
	scheduler_send(ctx, &t, NULL);
}

/* A push for a source another replica holds: handed to it. */
static void on_forward(void *ctx, const char *source, const char *ref, const char *delivery,
                       struct buf *answer)
{
	struct loop *l = ctx;

	pthread_mutex_lock(&l->leases_lock);
	if (l->leases)
		lease_forward(l->leases, source, ref, delivery, answer);
	else
		buf_addf(answer, "%s: not handed over, this replica is starting or stopping",
		         source);
	pthread_mutex_unlock(&l->leases_lock);
}

/* The replica that holds a source, for the report pages. */
static void on_owner(void *ctx, const char *source, struct buf *out)
{
	struct loop *l = ctx;

	pthread_mutex_lock(&l->leases_lock);
	if (l->leases)
		lease_holder(l->leases, source, out);
	pthread_mutex_unlock(&l->leases_lock);
}

/* The leases go, at once: the next owners need not wait for them. */
static void stop_leases(struct loop *l)
{
	struct leases *gone;

	pthread_mutex_lock(&l->leases_lock);
	gone = l->leases;
	l->leases = NULL;
	pthread_mutex_unlock(&l->leases_lock);
	lease_free(gone);
}

/* A pull request to preview: the previewer takes it from here. */
static void on_pull(void *ctx, const char *source, enum forge f, const struct webhook_pull *pr)
{
	previewer_request(ctx, source, f, pr);
}

static int load_config(struct config *out, const char *path)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	size_t i;
	int error = config_load(out, &diags, path);

	for (i = 0; i < diags.n; i++) {
		char where[32];

		snprintf(where, sizeof(where), "%zu:%zu", diags.items[i].line,
		         diags.items[i].column);
		log_line("error", "bad config", "file", diags.items[i].file, "at", where, "problem",
		         diags.items[i].message, NULL);
	}
	if (error < 0 && !diags.n)
		log_line("error", "bad config", "file", path, "problem", berth_error_last(), NULL);
	diagnostics_release(&diags);
	return error;
}

/* Who may read the report pages: beyond loopback, only with the config's
 * reportTokenFile. Only the config's sources keep a page. */
static void report_access(struct loop *l)
{
	const struct config *c = l->r.config;
	const char *address;
	const char **names;
	bool open;
	size_t i;

	if (!l->r.reports)
		return;
	address = listener_address(l->listener);
	open = address_is_loopback(address);
	report_board_access(l->r.reports, c->report_token_file, open);
	if (!open && !c->report_token_file)
		log_line("warn", "report closed", "listen", address, "reason",
		         "/report answers 404: berth listens beyond loopback, and the config "
		         "gives no reportTokenFile",
		         NULL);
	names = xcalloc(c->n + 1, sizeof(*names));
	for (i = 0; i < c->n; i++)
		names[i] = c->sources[i].name;
	report_board_keep(l->r.reports, names, c->n);
	free(names);
}

/* Where the state ConfigMap is: the config's stateNamespace, else the
 * context's namespace. */
static const char *state_namespace(const struct loop *l)
{
	const char *ns = l->r.config->state_namespace;

	return ns ? ns : l->kc->namespace;
}

/* Follow the config of l->r.config on the HTTP side: the listener's
 * secrets, the report pages and the previews. (The scheduler follows it
 * first, before the listener can ask.) */
static void follow_http(struct loop *l)
{
	struct config *c = l->r.config;

	if (l->listener) {
		listener_secrets(l->listener, c);
		report_access(l);
	}
	if (l->previews)
		previewer_config(l->previews, c);
}

/* SIGHUP: the config read again; the sources it drops leave the metrics
 * and the watches. A bad config leaves the running one as it is. */
static void reload(struct loop *l)
{
	struct config fresh = CONFIG_INIT, *old = l->r.config;
	struct sync_plan none = SYNC_PLAN_INIT;
	size_t i, j;

	if (load_config(&fresh, l->config_path) < 0)
		return;
	l->r.config = config_share(&fresh);
	for (i = 0; i < old->n; i++) {
		for (j = 0; j < l->r.config->n &&
		            strcmp(l->r.config->sources[j].name, old->sources[i].name);
		     j++)
			;
		if (j < l->r.config->n)
			continue;
		metrics_forget(l->r.metrics, "source", old->sources[i].name);
		if (l->r.watcher)
			watcher_follow(l->r.watcher, old->sources[i].name, &none);
	}
	/* A source's options may have changed: each loads its next commit
	 * whole. */
	runner_forget_loads(&l->r);
	scheduler_follow(l->scheduler, l->r.config);
	if (l->leases)
		lease_follow(l->leases, l->r.config);
	follow_http(l);
	l->r.state_ns = state_namespace(l);
	config_drop(old);
	log_line("info", "config reloaded", "config", l->config_path, NULL);
}

/* Each source held by its dependencies that are all Ready now (the one
 * just reconciled among them) is due at once. */
static void release_dependents(struct loop *l)
{
	size_t j;

	for (j = 0; j < l->r.config->n; j++)
		if (reconcile_released(&l->r, &l->r.config->sources[j])) {
			struct trigger t = {.kind = TRIGGER_DEPENDENCY,
			                    .source = l->r.config->sources[j].name};

			scheduler_send(l->scheduler, &t, NULL);
		}
}

/* In lease mode, may source `s` be reconciled now? Only while this
 * replica holds its Lease: then it is busy until lease_end(), and a
 * reconcile of it stops when the Lease is lost. One lost is forgotten;
 * one taken again is read again (another replica may have applied a
 * commit meanwhile). */
static bool may_reconcile(struct loop *l, const struct source_config *s)
{
	unsigned epoch;

	if (!l->leases)
		return true;
	next_run();
	if (!lease_begin(l->leases, s->name, &this_run, &epoch)) {
		runner_forget_source(&l->r, s->name);
		json_object_object_del(l->epochs, s->name);
		return false;
	}
	if (json_object_get_int64(json_value_get(l->epochs, s->name)) == epoch)
		return true;
	if (runner_take_over(&l->r, s->name) < 0) {
		log_line("warn", "cannot take over", "source", s->name, "error", berth_error_last(),
		         NULL);
		lease_end(l->leases, s->name);
		return false;
	}
	json_object_object_add(l->epochs, s->name, json_object_new_int64(epoch));
	return true;
}

/* Reconcile what is due until stopped; with `once`, each source once.
 * True when a reconcile failed. */
static bool run(struct loop *l, bool once)
{
	enum trigger_kind why;
	size_t i, done = 0;
	bool failed = false;
	double wait;

	while (!stop_requested(&stop) && !(once && done >= l->r.config->n)) {
		if (!once && atomic_exchange(&reload_requested, 0)) {
			reload(l);
			continue;
		}
		if (!scheduler_next(l->scheduler, clock_now_ms(), &i, &why, &wait)) {
			if (once)
				break;
			/* Until a source is due, or a signal or a trigger wakes it. */
			wakeup_wait(&wake, wait);
			continue;
		}
		if (!may_reconcile(l, &l->r.config->sources[i])) {
			scheduler_done(l->scheduler, i, clock_now_ms(), clock_jitter());
			continue;
		}
		/* Held by its dependencies counts as not done, for --once. */
		failed |= reconcile(&l->r, &l->r.config->sources[i], why) != 0;
		if (l->leases)
			lease_end(l->leases, l->r.config->sources[i].name);
		next_run();
		scheduler_done(l->scheduler, i, clock_now_ms(), clock_jitter());
		release_dependents(l);
		done++;
	}
	return failed;
}

/* The previews stop first (one under way is given up: what it would say
 * is not known), then the statuses get a while to go out. */
static void drain(struct loop *l, bool once)
{
	char count[24];
	size_t left;

	scheduler_previews(l->scheduler, NULL, NULL);
	previewer_free(l->previews);
	l->previews = NULL;
	/* --once waits for its statuses, a while; a stopping agent, a moment. */
	left = reporter_drain(l->r.reporter, clock_now_ms() + (once ? STATUS_TIMEOUT_MS : 2000));
	if (left) {
		snprintf(count, sizeof(count), "%zu", left);
		log_line("warn", "statuses not sent", "count", count, NULL);
	}
}

/* Is `id` fit for a Lease's name (a DNS subdomain, with the prefix)? */
static bool is_replica_id(const char *id)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n;

	if (strlen(id) > 240)
		return false;
	/* Labels of at most 63, each a letter or digit at both ends. */
	for (;;) {
		n = strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (!n || n > 63 || !strchr(alnum, id[0]) || !strchr(alnum, id[n - 1]))
			return false;
		id += n;
		if (*id++ != '.')
			return !id[-1];
	}
}

/* Lease mode, when the options or the config ask for it: this replica's
 * id (--id, $POD_NAME, the host's name) and User-Agent, which the API
 * server's audit log shows. */
static int lease_mode(struct loop *l, const struct daemon_options *o)
{
	const char *mode = o->replicas_mode;
	char host[256] = "";
	struct buf ua = BUF_INIT;
	const char *id = o->id;

	if (mode ? strcmp(mode, "lease") : !l->r.config->scale_out.lease)
		return 0;
	if (o->once)
		return berth_error_set("--once reconciles every source: it takes no lease mode "
		                       "(--replicas-mode none)");
	if (!id)
		id = getenv("POD_NAME");
	if (!id && gethostname(host, sizeof(host) - 1) == 0)
		id = host;
	if (!id || !is_replica_id(id))
		return berth_error_set("replica id '%s': use lowercase letters, digits, '-' and "
		                       "'.' (at most 240), as a pod's name (--id)",
		                       id ? id : "");
	l->id = xstrdup(id);
	buf_addf(&ua, "berth/" BERTH_VERSION " replica/%s", id);
	l->user_agent = buf_detach(&ua, NULL);
	l->r.client_opts.user_agent = l->user_agent;
	l->epochs = json_object_new_object();
	return 1;
}

/* Everything the loop needs before its first reconcile. */
static int start(struct loop *l, const struct daemon_options *o)
{
	static const struct metric_family *families[24];
	struct runner *r = &l->r;
	struct config loaded = CONFIG_INIT;
	struct leases *leases = NULL;
	size_t i, n = 0;
	int lease;

	if (load_config(&loaded, o->config_path) < 0)
		return -1;
	r->config = config_share(&loaded);
	if ((lease = lease_mode(l, o)) < 0) {
		log_line("error", "cannot start", "error", berth_error_last(), NULL);
		return -1;
	}
	for (i = 0; i < reconcile_nfamilies; i++)
		families[n++] = reconcile_families[i];
	families[n++] = &status_posts_family;
	families[n++] = &status_queue_family;
	if (lease) {
		families[n++] = &lease_owned_family;
		families[n++] = &lease_transitions_family;
	}
	metrics_new(&r->metrics, families, n);
	reporter_new(&r->reporter, r->metrics, NULL);
	verdicts_new(&r->verdicts, 1u << 16);
	r->failed = json_object_new_object();
	r->health = json_object_new_object();
	r->held = json_object_new_object();
	r->settled = json_object_new_object();
	r->client_opts.observe = reconcile_count_request;
	r->client_opts.observe_ctx = r->metrics;
	r->client_opts.warn = reconcile_log_warning;
	/* The sources are followed before anything can ask: /readyz names
	 * them from the first request. */
	scheduler_new(&l->scheduler, &wake);
	scheduler_follow(l->scheduler, r->config);
	if (lease)
		scheduler_lease(l->scheduler, on_forward, l);
	if (wakeup_open(&wake) < 0) {
		log_line("error", "cannot start", "error", berth_error_last(), NULL);
		return -1;
	}
	/* --once serves nothing and watches nothing, unless told to listen. */
	if (!o->once || o->listen) {
		report_board_new(&r->reports);
		if (lease)
			report_board_owners(r->reports, l->id, on_owner, l);
		if (listener_new(&l->listener, o->listen ? o->listen : "127.0.0.1:8080", r->metrics,
		                 r->reports, l->scheduler) < 0) {
			log_line("error", "cannot listen", "error", berth_error_last(), NULL);
			return -1;
		}
		previewer_new(&l->previews, &(struct previewer_options){.kube = r->kube,
		                                                        .client = &r->client_opts,
		                                                        .reporter = r->reporter});
		scheduler_previews(l->scheduler, on_pull, l->previews);
		follow_http(l);
	}
	if (kubeconfig_load(&l->kc, &r->kube) < 0 ||
	    kube_client_new(&r->client, l->kc, &r->client_opts) < 0) {
		log_line("error", "cannot use the cluster", "error", berth_error_last(), NULL);
		return -1;
	}
	if (!o->once)
		watcher_new(&r->watcher, r->client, on_change, l->scheduler);
	r->state_ns = state_namespace(l);
	if (state_read(&r->state, r->client, r->state_ns) < 0) {
		log_line("error", "cannot read the state", "configmap", STATE_NAME, "namespace",
		         r->state_ns, "error", berth_error_last(), NULL);
		return -1;
	}
	if (lease && lease_new(&leases, l->kc, &r->client_opts,
	                       &(struct lease_options){.id = l->id,
	                                               .namespace = r->state_ns,
	                                               .timing = r->config->scale_out,
	                                               .metrics = r->metrics,
	                                               .notify = on_lease,
	                                               .notify_ctx = l->scheduler},
	                       r->config) < 0) {
		log_line("error", "cannot start", "error", berth_error_last(), NULL);
		return -1;
	}
	pthread_mutex_lock(&l->leases_lock);
	l->leases = leases;
	pthread_mutex_unlock(&l->leases_lock);
	return 0;
}

int daemon_run(const struct daemon_options *o)
{
	struct loop l = {
	    .r = {.kube = o->kube, .client_opts = KUBE_CLIENT_OPTIONS_INIT, .stop = &this_run},
	    .config_path = o->config_path};
	struct sigaction sa;
	int status = 2;
	bool failed;

	pthread_mutex_init(&l.leases_lock, NULL);
	if (start(&l, o) < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	kube_client_set_stop(l.r.client, &this_run, false);
	log_line("info", "started", "config", o->config_path, "state", STATE_NAME, "listen",
	         l.listener ? listener_address(l.listener) : "none", "replica",
	         l.id ? l.id : "only", NULL);
	failed = run(&l, o->once);
	stop_leases(&l);
	drain(&l, o->once);
	log_line("info", stop_requested(&stop) ? "stopped" : "done", NULL);
	status = o->once && failed ? 1 : 0;
out:
	stop_leases(&l);
	if (l.scheduler)
		scheduler_previews(l.scheduler, NULL, NULL);
	previewer_free(l.previews);
	reporter_free(l.r.reporter);
	watcher_free(l.r.watcher);
	listener_free(l.listener);
	scheduler_free(l.scheduler);
	report_board_free(l.r.reports);
	metrics_free(l.r.metrics);
	verdicts_free(l.r.verdicts);
	json_object_put(l.r.state);
	json_object_put(l.r.failed);
	json_object_put(l.r.health);
	json_object_put(l.r.held);
	json_object_put(l.r.settled);
	runner_forget_loads(&l.r);
	kube_client_free(l.r.client);
	kubeconfig_free(l.kc);
	config_drop(l.r.config);
	json_object_put(l.epochs);
	free(l.id);
	free(l.user_agent);
	wakeup_close(&wake);
	pthread_mutex_destroy(&l.leases_lock);
	return status;
}
