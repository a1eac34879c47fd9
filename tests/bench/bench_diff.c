/*
 * The diff engine at scale: load N manifests (about 2 KB of YAML each, one
 * file per object as a Git repository holds them) and diff them against a
 * live copy in which 1% of the objects changed. Prints wall times and the
 * peak RSS next to the input size. A benchmark, not a test: it asserts
 * nothing about time.
 *
 *   bench_diff generate DIR [N]   write DIR/manifests/db-NNNNN.yaml and the live
 *                                 copy as LIST pages of 500, DIR/live-NNNN.json
 *   bench_diff measure DIR        load, diff, report
 */
#include "../../agent/source/tree.h"
#include "../../diff/base/buf.h"
#include "../../diff/drift.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/manifest.h"
#include "../../apply/parallel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void manifest_text(struct buf *b, unsigned i)
{
	buf_addf(b,
	         "apiVersion: apps/v1\n"
	         "kind: StatefulSet\n"
	         "metadata:\n"
	         "  name: db-%u\n"
	         "  namespace: team-%u\n"
	         "  labels: {app: db-%u, tier: data, team: team-%u}\n"
	         "  annotations:\n"
	         "    description: \"database %u of the benchmark set\"\n"
	         "spec:\n"
	         "  serviceName: db-%u\n"
	         "  replicas: %u\n"
	         "  podManagementPolicy: OrderedReady\n"
	         "  selector:\n"
	         "    matchLabels: {app: db-%u}\n"
	         "  template:\n"
	         "    metadata:\n"
	         "      labels: {app: db-%u, tier: data}\n"
	         "    spec:\n"
	         "      terminationGracePeriodSeconds: 30\n"
	         "      containers:\n"
	         "      - name: db\n"
	         "        image: registry.example/db:%u.%u\n"
	         "        args: [\"--port=5432\", \"--data=/var/lib/db\", \"--verbose\"]\n"
	         "        ports:\n"
	         "        - {containerPort: 5432, name: sql}\n"
	         "        - {containerPort: 9187, name: metrics}\n"
	         "        env:\n"
	         "        - {name: DB_NAME, value: app%u}\n"
	         "        - {name: DB_USER, value: admin}\n"
	         "        - {name: DB_POOL_SIZE, value: \"20\"}\n"
	         "        - {name: DB_STATEMENT_TIMEOUT, value: 30s}\n"
	         "        - {name: DB_LOG_LEVEL, value: info}\n"
	         "        - {name: DB_REPLICATION_MODE, value: streaming}\n"
	         "        - {name: DB_BACKUP_BUCKET, value: s3://backups/databases}\n"
	         "        - name: DB_PASSWORD\n"
	         "          valueFrom:\n"
	         "            secretKeyRef: {name: db-%u-secret, key: password}\n"
	         "        resources:\n"
	         "          requests: {cpu: 250m, memory: 512Mi}\n"
	         "          limits: {cpu: \"1\", memory: 1Gi}\n"
	         "        readinessProbe:\n"
	         "          tcpSocket: {port: 5432}\n"
	         "          periodSeconds: 10\n"
	         "        volumeMounts:\n"
	         "        - {name: data, mountPath: /var/lib/db}\n"
	         "        - {name: config, mountPath: /etc/db}\n"
	         "      - name: exporter\n"
	         "        image: registry.example/exporter:1.%u\n"
	         "        ports: [{containerPort: 9100, name: exporter}]\n"
	         "        resources:\n"
	         "          requests: {cpu: 50m, memory: 64Mi}\n"
	         "      volumes:\n"
	         "      - name: config\n"
	         "        configMap: {name: db-%u-config}\n"
	         "  volumeClaimTemplates:\n"
	         "  - metadata: {name: data}\n"
	         "    spec:\n"
	         "      accessModes: [ReadWriteOnce]\n"
	         "      storageClassName: fast\n"
	         "      resources:\n"
	         "        requests: {storage: %uGi}\n",
	         i, i % 50, i, i % 17, i, i, 1 + i % 5, i, i, i % 9, i % 7, i, i, i % 4, i,
	         10 + i % 90);
}

/* The live object: the manifest as the server returns it, with defaults
 * and server fields; every hundredth has a changed image. */
static struct json_object *live_object(struct json_object *desired, unsigned i)
{
	struct json_object *live = json_value_copy(desired),
	                   *meta = json_value_get(live, "metadata");
	struct json_object *spec = json_value_get(live, "spec");
	struct json_object *pod = json_value_get(json_value_get(spec, "template"), "spec");
	struct json_object *c = json_object_array_get_idx(json_value_get(pod, "containers"), 0);
	struct buf uid = BUF_INIT;

	buf_addf(&uid, "00000000-0000-0000-0000-%012u", i);
	json_object_object_add(meta, "uid", json_object_new_string(uid.ptr));
	json_object_object_add(meta, "resourceVersion", json_object_new_string("12345"));
	json_object_object_add(meta, "generation", json_object_new_int(1));
	json_object_object_add(meta, "creationTimestamp",
	                       json_object_new_string("2026-11-21T10:00:00Z"));
	json_object_object_add(spec, "revisionHistoryLimit", json_object_new_int(10));
	json_object_object_add(pod, "restartPolicy", json_object_new_string("Always"));
	json_object_object_add(pod, "dnsPolicy", json_object_new_string("ClusterFirst"));
	json_object_object_add(pod, "schedulerName", json_object_new_string("default-scheduler"));
	json_object_object_add(pod, "securityContext", json_object_new_object());
	json_object_object_add(c, "imagePullPolicy", json_object_new_string("IfNotPresent"));
	json_object_object_add(c, "terminationMessagePath",
	                       json_object_new_string("/dev/termination-log"));
	json_object_object_add(c, "terminationMessagePolicy", json_object_new_string("File"));
	if (i % 100 == 0)
		json_object_object_add(c, "image",
		                       json_object_new_string("registry.example/db:old"));
	json_object_object_add(live, "status", json_object_new_object());
	buf_release(&uid);
	return live;
}

static int write_file(const char *path, const struct buf *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fwrite(text->ptr, 1, text->len, f);
	return fclose(f);
}

#define PAGE 500

static int generate(const char *dir, unsigned n)
{
	struct buf path = BUF_INIT, text = BUF_INIT, page = BUF_INIT;
	unsigned i;

	buf_addf(&path, "%s/manifests", dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(path.ptr, 0755) < 0 && errno != EEXIST))
		return -1;
	for (i = 0; i < n; i++) {
		struct json_object *docs = NULL, *live;

		buf_reset(&text);
		manifest_text(&text, i);
		buf_reset(&path);
		buf_addf(&path, "%s/manifests/db-%05u.yaml", dir, i);
		if (write_file(path.ptr, &text) < 0 ||
		    yaml_parse(&docs, path.ptr, text.ptr, text.len, NULL, NULL) < 0)
			return -1;
		live = live_object(json_object_array_get_idx(docs, 0), i);
		buf_adds(&page,
		         i % PAGE ? "," : "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
		json_value_write(&page, live);
		json_object_put(live);
		json_object_put(docs);
		if (i % PAGE == PAGE - 1 || i == n - 1) {
			buf_adds(&page, "]}\n");
			buf_reset(&path);
			buf_addf(&path, "%s/live-%04u.json", dir, i / PAGE);
			if (write_file(path.ptr, &page) < 0)
				return -1;
			buf_reset(&page);
		}
	}
	buf_release(&path);
	buf_release(&text);
	buf_release(&page);
	return 0;
}

/* The manifests by identity, for finding the one a live object belongs to. */
static int cmp_manifest(const void *a, const void *b)
{
	return object_id_cmp(&(*(const struct manifest *const *)a)->id,
	                     &(*(const struct manifest *const *)b)->id);
}

/* The diff of one LIST page, as the pages arrive from a paged LIST; pages
 * are diffed in parallel. */
struct page {
	size_t drifted, in_sync;
	int error;
};

struct diff_run {
	const char *dir;
	const struct manifest **index;
	size_t n;
	struct page *pages;
};

static void diff_page(size_t p, void *ctx)
{
	struct diff_run *run = ctx;
	struct page *page = &run->pages[p];
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct json_object *list = NULL, *items;
	size_t j;

	buf_addf(&path, "%s/live-%04zu.json", run->dir, p);
	page->error = 2;
	if (buf_read_file(&text, path.ptr, 1u << 30) < 0 ||
	    !(list = json_value_parse(text.ptr, text.len)))
		goto out;
	items = json_value_get(list, "items");
	for (j = 0; j < json_object_array_length(items); j++) {
		struct json_object *live = json_object_array_get_idx(items, j), *desired = NULL;
		struct manifest key, *keyp = &key;
		const struct manifest **hit;
		struct drift d;

		if (object_id_read(&key.id, NULL, live, "default") < 0)
			goto out;
		hit = bsearch(&keyp, run->index, run->n, sizeof(*run->index), cmp_manifest);
		object_id_release(&key.id);
		if (!hit)
			continue;
		manifest_object(&desired, *hit);
		if (drift_compute(&d, desired, live) < 0) {
			fprintf(stderr, "%s\n", berth_error_last());
			json_object_put(desired);
			goto out;
		}
		page->drifted += d.state != DRIFT_IN_SYNC;
		page->in_sync += d.state == DRIFT_IN_SYNC;
		drift_release(&d);
		json_object_put(desired);
	}
	page->error = 0;
out:
	json_object_put(list);
	buf_release(&path);
	buf_release(&text);
}

static int measure(const char *dir)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf path = BUF_INIT;
	struct diff_run run = {dir, NULL, 0, NULL};
	struct rusage ru;
	const char *paths[1];
	size_t i, drifted = 0, in_sync = 0, bytes = 0, pages = 0;
	double t0, t1, t2;
	struct stat st;
	int error = 0;

	buf_addf(&path, "%s/manifests", dir);
	paths[0] = path.ptr;
	t0 = now();
	if (tree_load(&set, &diags, NULL, paths, 1, NULL) < 0) {
		fprintf(stderr, "load failed: %s\n", diags.n ? diags.items[0].message : "?");
		return 2;
	}
	t1 = now();
	for (i = 0; i < set.n; i++)
		if (stat(set.items[i].file, &st) == 0)
			bytes += (size_t)st.st_size;

	run.n = set.n;
	run.index = calloc(set.n + 1, sizeof(*run.index));
	for (i = 0; i < set.n; i++)
		run.index[i] = &set.items[i];
	qsort(run.index, set.n, sizeof(*run.index), cmp_manifest);
	for (;; pages++) {
		buf_reset(&path);
		buf_addf(&path, "%s/live-%04zu.json", dir, pages);
		if (stat(path.ptr, &st) < 0)
			break;
	}
	run.pages = calloc(pages + 1, sizeof(*run.pages));
	parallel_for(pages, 0, diff_page, &run);
	for (i = 0; i < pages; i++) {
		drifted += run.pages[i].drifted;
		in_sync += run.pages[i].in_sync;
		error |= run.pages[i].error;
	}
	t2 = now();
	if (error)
		return 2;
	getrusage(RUSAGE_SELF, &ru);
	printf("objects            %zu (%zu in sync, %zu drifted)\n", set.n, in_sync, drifted);
	printf("input              %.1f MB of YAML in %zu files; live copy in %zu pages\n",
	       (double)bytes / 1e6, set.n, pages);
	printf("threads            %u\n", parallel_default_threads());
	printf("berth load         %.3f s\n", t1 - t0);
	printf("berth diff         %.3f s (reading and parsing the live pages included)\n",
	       t2 - t1);
	printf("berth load + diff  %.3f s\n", t2 - t0);
	printf("peak RSS           %.1f MB (%.1fx the input)\n", (double)ru.ru_maxrss / 1024.0,
	       (double)ru.ru_maxrss * 1024.0 / (double)bytes);
	free(run.index);
	free(run.pages);
	manifest_set_release(&set);
	diagnostics_release(&diags);
	buf_release(&path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "generate"))
		return generate(argv[2], argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 10000) <
		               0
		           ? 2
		           : 0;
	if (argc == 3 && !strcmp(argv[1], "measure"))
		return measure(argv[2]);
	fprintf(stderr, "usage: bench_diff generate DIR [N] | bench_diff measure DIR\n");
	return 2;
}
