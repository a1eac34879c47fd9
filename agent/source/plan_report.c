/* The report of a commit's plan: what berth diff prints, what a preview
 * posts; and the plan in one line, as a commit status says it. */
#include "plan_report.h"

#include "../../apply/prune.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/object.h"

#include <stdbool.h>
#include <string.h>

/* "statefulset/web" or "statefulset/ns/web", as the warnings name it. */
static void short_name(struct buf *out, const struct object_id *id)
{
	buf_reset(out);
	object_kind_lower(out, id->kind);
	buf_addf(out, "/%s%s%s", id->namespace, *id->namespace ? "/" : "", id->name);
}

/* What a StatefulSet's write would do that a person must know. */
static void statefulset_warnings(struct report *r, const struct sync_item *item)
{
	struct object_id id = sync_item_id(item);
	struct buf name = BUF_INIT;
	size_t i;

	short_name(&name, &id);
	if (item->recreate)
		report_warn(r, "recreates %s (orphan): pods and claims kept", name.ptr);
	for (i = 0; i < json_value_array_len(item->grow); i++) {
		struct json_object *g = json_object_array_get_idx(item->grow, i);

		report_warn(r, "claim template %s of %s grows %s \u2192 %s",
		            json_value_get_string(g, "template"), name.ptr,
		            json_value_get_string(g, "from"), json_value_get_string(g, "storage"));
	}
	buf_release(&name);
}

void plan_report_items(struct report *r, struct target *t)
{
	static const struct drift in_sync = {.state = DRIFT_IN_SYNC};
	size_t i;

	for (i = 0; i < t->plan.n; i++) {
		struct sync_item *item = &t->plan.items[i];
		struct object_id id = sync_item_id(item);

		if (item->action != SYNC_PENDING && item->action != SYNC_FAILED) {
			report_add(r, &id, item->m->file, item->m->line, &in_sync, NULL);
			report_set_health(r, readiness_name(item->health), item->health_why);
			r->entries[r->n - 1].wave = item->wave;
			continue;
		}
		/* A preview's readers see the live content of this source's
		 * objects only; whether another object is in sync would tell
		 * them its values. */
		if (r->preview && sync_item_foreign(item)) {
			report_add_withheld(r, &id, item->m->file, item->m->line, DRIFT_DRIFTED,
			                    item->owner
			                        ? "exists, and another source manages it: "
			                          "it would be taken over (its live content "
			                          "is not shown)"
			                        : "exists, and no source manages it: it "
			                          "would be adopted (its live content is "
			                          "not shown)");
			continue;
		}
		sync_item_predicted(item);
		report_add(r, &id, item->m->file, item->m->line, &item->drift, item->live);
		report_set_health(r, readiness_name(item->health), item->health_why);
		r->entries[r->n - 1].wave = item->wave;
		statefulset_warnings(r, item);
	}
}

int plan_report(struct report *r, struct target *t, const struct sync_options *sync)
{
	struct prune_list prune = PRUNE_LIST_INIT;
	struct buf name = BUF_INIT;
	size_t i;

	if (!r->preview)
		sync_plan_confirm(&t->plan, t->client, sync);
	if (sync->prune && prune_find(&prune, t->client, t->discovery, &t->plan, sync) < 0)
		return -1;
	plan_report_items(r, t);
	for (i = 0; i < t->plan.nhooks; i++) {
		const struct sync_hook *h = &t->plan.hooks[i];

		buf_reset(&name);
		object_kind_lower(&name, h->m->id.kind);
		report_hook(r, "%s %s %s/%s", sync_hook_when_name(h->when), name.ptr,
		            h->m->id.namespace, h->m->id.name);
	}
	for (i = 0; i < prune.n; i++) {
		const struct prune_item *p = &prune.items[i];

		if (!p->protected_kind || p->allowed) {
			report_add_pruned(r, &p->id, p->live);
			continue;
		}
		short_name(&name, &p->id);
		report_warn(r,
		            "keeps %s: it left Git, but prune keeps claims, volumes and "
		            "namespaces unless annotated berth.io/prune: \"true\"",
		            name.ptr);
	}
	buf_release(&name);
	prune_list_release(&prune);
	return 0;
}

void plan_summary_applied(struct buf *out, const struct sync_plan *plan, size_t pruned)
{
	size_t counts[SYNC_ACTION_COUNT];

	sync_plan_count(counts, plan);
	buf_reset(out);
	buf_addf(out, "applied: %zu created, %zu configured, %zu unchanged", counts[SYNC_CREATED],
	         counts[SYNC_CONFIGURED], counts[SYNC_UNCHANGED]);
	if (counts[SYNC_RECREATED])
		buf_addf(out, ", %zu recreated", counts[SYNC_RECREATED]);
	if (pruned)
		buf_addf(out, ", %zu pruned", pruned);
	plan_summary_recovered(out, plan);
}

void plan_summary_recovered(struct buf *out, const struct sync_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n; i++) {
		struct object_id id;

		if (!plan->items[i].recovered)
			continue;
		id = sync_item_id(&plan->items[i]);
		buf_adds(out, out->len ? "; recovered " : "recovered ");
		object_kind_lower(out, id.kind);
		buf_addf(out, "/%s: deleted %s", id.name, plan->items[i].recovered);
	}
}

void plan_summary_drift(struct buf *out, const struct sync_plan *plan)
{
	size_t i, n = 0;

	for (i = 0; i < plan->n; i++)
		n += plan->items[i].drift.state != DRIFT_IN_SYNC;
	buf_reset(out);
	buf_addf(out, "drift: %zu object%s (", n, n == 1 ? "" : "s");
	for (i = 0, n = 0; i < plan->n; i++) {
		struct object_id id;

		if (plan->items[i].drift.state == DRIFT_IN_SYNC)
			continue;
		id = sync_item_id(&plan->items[i]);
		if (n++)
			buf_adds(out, ", ");
		object_kind_lower(out, id.kind);
		buf_addf(out, "/%s", id.name);
	}
	buf_addch(out, ')');
}

enum readiness plan_summary_health(struct buf *out, const struct sync_plan *plan)
{
	size_t at;
	enum readiness r = sync_plan_health(plan, &at);
	struct object_id id;

	buf_reset(out);
	if (at == plan->n) {
		if (r != READINESS_READY)
			buf_add_printable(out, plan->hook_failed, NULL);
		return r;
	}
	id = sync_item_id(&plan->items[at]);
	object_id_describe(out, &id);
	if (plan->items[at].health_why) {
		buf_adds(out, ": ");
		buf_add_printable(out, plan->items[at].health_why, NULL);
	}
	return r;
}

void plan_summary_in_sync(struct buf *out, size_t objects)
{
	buf_reset(out);
	buf_addf(out, "in sync: %zu object%s", objects, objects == 1 ? "" : "s");
}

void plan_summary_error(struct buf *out, const struct diagnostics *diags, const char *root)
{
	const char *msg = berth_error_last(), *line, *next;

	buf_reset(out);
	if (diags && diags->n) {
		const struct diagnostic *d = &diags->items[0];

		buf_add_printable(out, repo_path(d->file, root), NULL);
		buf_addf(out, ":%zu:%zu: ", d->line, d->column);
		buf_add_printable(out, d->message, NULL);
		return;
	}
	/* The agent's message: a summary line, then the problems. */
	for (line = msg; *line; line = *next ? next + 1 : next) {
		next = line + strcspn(line, "\n");
		if (memchr(line, ':', (size_t)(next - line)) && line != msg)
			break;
	}
	if (!*line)
		line = msg;
	next = line + strcspn(line, "\n");
	line = repo_path(line, root);
	buf_add(out, line, (size_t)(next - line));
}
