/* berth sync: check, apply in dependency order, wait for readiness, and
 * prune, once. */
#include "cli.h"
#include "../daemon/config.h"
#include "../forge/status.h"
#include "../source/plan_report.h"
#include "output.h"
#include "target_options.h"

#include "../../apply/prune.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Holds the signal that asked the sync to stop. */
static struct stop stop = STOP_INIT;

static void on_signal(int sig)
{
	stop_request(&stop, sig);
}

static const char *load_stop(void *ctx)
{
	(void)ctx;
	return stop_requested(&stop) ? "stopped by a signal" : NULL;
}

/* A number of threads, 1 to 64. */
static int parse_count(unsigned *n, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1 || v > 64)
		return berth_error_set("invalid --parallel '%s' (use 1 to 64)", s);
	*n = (unsigned)v;
	return 0;
}

static const char *action_name(enum sync_action a)
{
	static const char *const names[] = {"pending",   "created",   "configured",
	                                    "recreated", "unchanged", "failed"};

	return names[a];
}

/* -o json: one entry per object, the counts, and the error if any. */
static void print_json(const struct sync_plan *plan, const struct prune_list *prune, bool dry_run,
                       int error)
{
	struct json_object *result = json_object_new_object(), *objects = json_object_new_array();
	struct json_object *summary = json_object_new_object(), *pruned = json_object_new_array();
	size_t counts[SYNC_ACTION_COUNT], i;

	for (i = 0; i < prune->n; i++) {
		const struct prune_item *p = &prune->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "group", json_object_new_string(p->id.group));
		json_object_object_add(o, "kind", json_object_new_string(p->id.kind));
		json_object_object_add(o, "namespace", json_object_new_string(p->id.namespace));
		json_object_object_add(o, "name", json_object_new_string(p->id.name));
		json_object_object_add(o, "action",
		                       json_object_new_string(p->pruned ? "pruned" : "kept"));
		json_object_array_add(pruned, o);
	}

	for (i = 0; i < plan->n; i++) {
		const struct sync_item *item = &plan->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "group", json_object_new_string(item->m->id.group));
		json_object_object_add(o, "kind", json_object_new_string(item->m->id.kind));
		json_object_object_add(o, "namespace",
		                       json_object_new_string(item->m->id.namespace));
		json_object_object_add(o, "name", json_object_new_string(item->m->id.name));
		json_object_object_add(o, "file", json_object_new_string(item->m->file));
		json_object_object_add(o, "line", json_object_new_int64((int64_t)item->m->line));
		json_object_object_add(o, "action",
		                       json_object_new_string(action_name(item->action)));
		json_object_array_add(objects, o);
	}
	sync_plan_count(counts, plan);
	for (i = 0; i < SYNC_ACTION_COUNT; i++)
		json_object_object_add(summary, action_name((enum sync_action)i),
		                       json_object_new_int64((int64_t)counts[i]));
	json_object_object_add(result, "dryRun", json_object_new_boolean(dry_run));
	json_object_object_add(result, "objects", objects);
	json_object_object_add(result, "pruned", pruned);
	json_object_object_add(result, "summary", summary);
	json_object_object_add(result, "error",
	                       error < 0 ? json_object_new_string(berth_error_last()) : NULL);
	output_print(result, OUTPUT_JSON);
	json_object_put(result);
}

/* With --status-...: the sync's word on its commit. */
static void post_status(const struct target *t, const struct target_flags *f, size_t pruned,
                        int error)
{
	struct buf description = BUF_INIT;

	if (error < 0)
		plan_summary_error(&description, &t->diags, t->checkout);
	else
		plan_summary_applied(&description, &t->plan, pruned);
	target_report(t, f, error < 0 ? status_of_error(error) : STATUS_SUCCESS, description.ptr);
	buf_release(&description);
}

int cmd_sync(int argc, char **argv)
{
	static const struct option longopts[] = {
	    TARGET_LONGOPTS,
	    {"dry-run", no_argument, NULL, 'd'},
	    {"timeout", required_argument, NULL, 't'},
	    {"prune", no_argument, NULL, 'p'},
	    {"prune-protected", no_argument, NULL, 'P'},
	    {"allow-empty", no_argument, NULL, 'e'},
	    {"recreate-orphan", no_argument, NULL, 'r'},
	    {"recover-stuck-rollouts", no_argument, NULL, 'R'},
	    {"progress-deadline", required_argument, NULL, 'D'},
	    {"parallel", required_argument, NULL, 'j'},
	    {"wait", optional_argument, NULL, 'w'},
	    {"server-side", no_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct target_flags f = TARGET_FLAGS_INIT;
	struct target_options *o = &f.target;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct prune_list prune = PRUNE_LIST_INIT;
	struct sigaction sa;
	bool json = false;
	size_t counts[SYNC_ACTION_COUNT], pruned = 0, sent = 0, i;
	int opt, taken, error = -1, status = 1;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, TARGET_SHORTOPTS, longopts, NULL)) != -1) {
		if ((taken = target_option(&f, opt, "sync", argv)) == 1)
			continue;
		if (!taken) {
			switch (opt) {
			case 'd':
				sync.dry_run = true;
				continue;
			case 'p':
				sync.prune = true;
				continue;
			case 'P':
				sync.prune = sync.prune_protected = true;
				continue;
			case 'e':
				sync.allow_empty = true;
				continue;
			case 'r':
				sync.recreate_orphan = true;
				continue;
			case 'R':
				sync.recover_stuck = true;
				continue;
			case 'D':
				if (parse_duration(&sync.progress_deadline_ms, optarg) == 0)
					continue;
				taken = usage_error("sync", "%s", berth_error_last());
				break;
			case 's':
				sync.server_side = true;
				continue;
			case 't':
				if (parse_duration(&sync.timeout_ms, optarg) == 0)
					continue;
				taken = usage_error("sync", "%s", berth_error_last());
				break;
			case 'w':
				if (!optarg || !strcmp(optarg, "true") ||
				    !strcmp(optarg, "false")) {
					sync.wait = !optarg || !strcmp(optarg, "true");
					continue;
				}
				taken = usage_error(
				    "sync", "invalid --wait '%s' (use true or false)", optarg);
				break;
			case 'j':
				if (parse_count(&sync.parallel, optarg) == 0)
					continue;
				taken = usage_error("sync", "%s", berth_error_last());
				break;
			default:
				taken =
				    usage_error("sync", "unknown option '%s'", argv[optind - 1]);
			}
		}
		free(o->files);
		return taken;
	}
	if ((taken = target_options_check(&f, "sync", argc, argv)))
		return taken;
	if (o->output && strcmp(o->output, "text") && strcmp(o->output, "json")) {
		free(o->files);
		return usage_error("sync", "unknown output format '%s' (use text or json)",
		                   o->output);
	}
	json = o->output && !strcmp(o->output, "json");
	/* Progress goes where the result does not. */
	sync.progress = json ? stderr : stdout;
	/* SIGTERM or SIGINT: the objects being written are finished, no other is
	 * started, the summary says what was done, and the status is 128 plus
	 * the signal, as a shell reports it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sync.stop = &stop;
	o->stop = load_stop;

	if ((error = target_open(&t, o, &sync)) < 0)
		goto out;
	/* What prune would delete is known, and refused if it must be, before
	 * the first write. */
	if (sync.prune && (error = prune_find(&prune, t.client, t.discovery, &t.plan, &sync)) < 0) {
		berth_error_print();
		goto out;
	}
	/* Hooks are named for the commit (for -f: for themselves). */
	sync.commit = t.commit.id[0] ? t.commit.id : NULL;
	error = sync_plan_apply(&t.plan, t.client, &sync);
	if (!error && sync.prune)
		error = prune_apply(&prune, t.client, &sync);
	pruned = prune_list_pruned(&prune);
	sync_plan_count(counts, &t.plan);
	for (i = 0; i < t.plan.n; i++)
		sent += t.plan.items[i].sent;
	if (json)
		print_json(&t.plan, &prune, sync.dry_run, error);
	if (error < 0)
		berth_error_print();
	fprintf(json ? stderr : stdout,
	        "%zu object%s: %zu created, %zu configured, %zu recreated, %zu unchanged, %zu "
	        "pruned%s%s\n",
	        t.plan.n, t.plan.n == 1 ? "" : "s", counts[SYNC_CREATED], counts[SYNC_CONFIGURED],
	        counts[SYNC_RECREATED], counts[SYNC_UNCHANGED], pruned,
	        sync.dry_run ? " (server dry run)" : "",
	        stop_requested(&stop) ? (stop_requested(&stop) == SIGINT ? "; stopped by SIGINT"
	                                                                 : "; stopped by SIGTERM")
	        : error < 0 && (sent || pruned) ? "; stopped at the first failure"
	        : error < 0                     ? "; nothing was changed"
	                                        : "");
	status = error < 0 ? 1 : 0;
out:
	if (!sync.dry_run && !stop_requested(&stop))
		post_status(&t, &f, pruned, error);
	if (stop_requested(&stop))
		status = 128 + stop_requested(&stop);
	prune_list_release(&prune);
	target_release(&t);
	target_flags_release(&f);
	return status;
}
