/*
 * The fixed costs of a reconcile against the cluster KUBECONFIG names:
 * discovery of what the manifests use and the OpenAPI check, as a reconcile
 * of berth run makes them (a new client each time), ROUNDS times in one
 * process. Prints each round's requests and wall time, and what the heap
 * grew by in the first, its discovery and its check apart: what is kept
 * for the next rounds (with libcurl's and OpenSSL's own state, a few
 * hundred KB, in the first). A benchmark, not a test: it asserts nothing
 * about time.
 *
 *   bench_fixed [ROUNDS]
 */
#include "../../agent/source/target.h"
#include "../../apply/openapi_fetch.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a small source holds: core, apps and a cluster-scoped kind. */
static const char manifests[] = "apiVersion: v1\n"
                                "kind: ConfigMap\n"
                                "metadata: {name: bench, namespace: default}\n"
                                "data: {a: b}\n"
                                "---\n"
                                "apiVersion: apps/v1\n"
                                "kind: Deployment\n"
                                "metadata: {name: bench, namespace: default}\n"
                                "spec:\n"
                                "  selector: {matchLabels: {app: bench}}\n"
                                "  template:\n"
                                "    metadata: {labels: {app: bench}}\n"
                                "    spec: {containers: [{name: c, image: busybox}]}\n"
                                "---\n"
                                "apiVersion: rbac.authorization.k8s.io/v1\n"
                                "kind: ClusterRole\n"
                                "metadata: {name: bench}\n"
                                "rules: []\n";

static void count(const char *method, long status, void *ctx)
{
	(void)method;
	(void)status;
	++*(unsigned *)ctx;
}

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

/* One reconcile's discovery and check; -1 on failure. grew[0] and [1]:
 * what the heap grew by with each, once the round's own is freed. */
static int round_of(size_t grew[2], struct kubeconfig *kc, const struct manifest_set *set,
                    unsigned *requests)
{
	size_t start = heap(), middle = 0;
	struct kube_client_options opts = KUBE_CLIENT_OPTIONS_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct kube_client *c = NULL;
	struct discovery *d = NULL;
	int error;

	opts.observe = count;
	opts.observe_ctx = requests;
	if ((error = kube_client_new(&c, kc, &opts)) == 0 &&
	    (error = target_discovery(&d, c, set, false)) == 0) {
		discovery_free(d);
		middle = heap();
		error = openapi_check(&diags, c, set);
	}
	diagnostics_release(&diags);
	kube_client_free(c);
	grew[0] = middle - start;
	grew[1] = heap() - middle;
	return error;
}

int main(int argc, char **argv)
{
	struct kubeconfig_options kopts = KUBECONFIG_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct kubeconfig *kc = NULL;
	int i, rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 3, status = 0;
	size_t grew[2];

	if (kubeconfig_load(&kc, &kopts) < 0 ||
	    manifest_set_add(&set, &diags, "bench.yaml", manifests, strlen(manifests), NULL) < 0) {
		berth_error_print();
		return 1;
	}
	manifest_set_finish(&set, &diags, NULL);
	for (i = 1; i <= rounds && !status; i++) {
		unsigned requests = 0;
		double start = clock_now_ms();

		if (round_of(grew, kc, &set, &requests) < 0) {
			berth_error_print();
			status = 1;
			break;
		}
		printf("round %d: %u requests, %.2f ms\n", i, requests, clock_now_ms() - start);
		if (i == 1)
			printf("kept: discovery %zu KB, check %zu KB\n", grew[0] / 1024,
			       grew[1] / 1024);
	}
	diagnostics_release(&diags);
	manifest_set_release(&set);
	kubeconfig_free(kc);
	return status;
}
