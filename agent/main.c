/* berth's entry point: picks the verb (git's builtin model) and runs it. */
#include "cli/cli.h"
#include "forge/forge.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../apply/parallel.h"

#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* the text `berth help VERB` prints */
};

/* The Git source's options, as sync and diff describe them. */
#define GIT_HELP                                                                                   \
	"  --repo URL           instead of -f: a Git repository (file://, git://,\n"               \
	"                       https://, ssh:// or a path), fetched into the cache\n"             \
	"                       (~/.cache/berth/git) only when the remote has moved\n"             \
	"  --ref REF            a branch, a tag or a full commit id (default: HEAD)\n"             \
	"  --path DIR           the manifests' directory in the repository\n"                      \
	"  --git-username NAME  https: the user to log in as (default: git)\n"                     \
	"  --git-password-file FILE  https: the password or token (default:\n"                     \
	"                       $BERTH_GIT_PASSWORD; never in the URL)\n"                          \
	"  --git-ca-file FILE   https: the CA to trust (default: the system's)\n"                  \
	"  --ssh-key FILE       ssh: the private key to log in with\n"                             \
	"  --known-hosts FILE   ssh: the known_hosts file that must hold the server's\n"           \
	"                       key (default: ~/.ssh/known_hosts)\n"                               \
	"                       (nothing outside the checkout is read, however --path\n"           \
	"                       or a symlink leads; submodules are not checked out)\n"             \
	"  --max-bytes SIZE     refuse manifests larger than this in all (default 64Mi)\n"         \
	"  --max-objects N      refuse more objects than this (default 20000)\n"

/* The cluster, and the namespace of objects that name none, as diff and
 * sync take them. */
#define TARGET_CLUSTER_HELP                                                                        \
	"  --kubeconfig FILE    the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)\n"      \
	"  --context NAME       the kubeconfig context (default: current-context)\n"               \
	"  -n, --namespace NS   for objects that name none (default: the context's);\n"            \
	"                       an object naming another is refused, as kubectl does\n"

/* The commit status a one-shot posts on the commit of --repo. */
#define STATUS_HELP                                                                                \
	"  --status-provider P  with --repo: post a commit status at the end, to\n"                \
	"                       github, gitlab or gitea (also Forgejo)\n"                          \
	"  --status-token-file FILE  the forge's API token\n"                                      \
	"  --status-base-url URL  the API's address (GitHub: https://api.github.com,\n"            \
	"                       Enterprise https://HOST/api/v3; GitLab, Gitea: the\n"              \
	"                       forge's address)\n"                                                \
	"  --status-repository R  owner/repo (GitLab: group/sub/repo; default: from --repo)\n"     \
	"  --status-context C   the status's name (default berth/{cluster}/{source}: the\n"        \
	"                       kubeconfig context and the repository's name)\n"                   \
	"  --status-target-url U  a link on the status; {sha} {source} {cluster} expand\n"         \
	"  --status-ca-file FILE  the forge's CA (default: the system's)\n"                        \
	"  --status-api-version V  GitHub's REST API version (default " FORGE_GITHUB_API_VERSION   \
	")\n"                                                                                      \
	"  --status-timeout D   how long to wait for the forge (default 30s); a forge\n"           \
	"                       that fails is a warning, and the exit status stays\n"

static const struct verb verbs[] = {
    {"build", cmd_build, "print what a kustomization builds, as kustomize build does",
     "usage: berth build [-o yaml|json] (DIR | --repo URL [--ref REF] [--path DIR])\n"
     "\n"
     "Build the kustomization in DIR (kustomization.yaml, kustomization.yml or\n"
     "Kustomization) as kustomize v5 builds it, and print its objects in\n"
     "kustomize's order: what lint, diff, sync and run apply from that folder.\n"
     "Nothing outside the repository holding DIR is read (symlinks included),\n"
     "and nothing is fetched: remote bases, Helm charts and plugins are refused\n"
     "at their line. Each problem is printed as file:line:column: message.\n"
     "\n"
     "  --repo URL           build the commit of --ref (default: HEAD) of a Git\n"
     "                       repository, under --path DIR\n"
     "  -o, --output FMT     yaml (default: documents, as kustomize prints them)\n"
     "                       or json (a v1 List)\n"
     "  --max-bytes SIZE     a problem when the files read come to more (default 64Mi)\n"
     "  --max-objects N      a problem when the build makes more (default 20000)\n"
     "\n"
     "Exit status: 0 built, 1 when there are problems, 2 on errors.\n"},
    {"cluster-info", cmd_cluster_info, "show the API server's version and what it serves",
     "usage: berth cluster-info [--kubeconfig FILE] [--context NAME] [-o json|yaml]\n"
     "\n"
     "Connect to the cluster the kubeconfig names, read /version and API discovery,\n"
     "and print the server's version and the number of API resources it serves\n"
     "(counted as `kubectl api-resources` counts them).\n"
     "\n"
     "  --kubeconfig FILE   the kubeconfig to use (default: $KUBECONFIG, then\n"
     "                      ~/.kube/config; KUBECONFIG may list files separated by ':')\n"
     "  --context NAME      the kubeconfig context to use (default: current-context)\n"
     "  -o, --output FMT    json or yaml: print a machine-readable result\n"
     "\n"
     "Exit status: 0 on success, 2 on error.\n"},
    {"diff", cmd_diff, "show how the cluster differs from the manifests",
     "usage: berth diff (-f PATH... | --repo URL [--ref REF] [--path DIR])\n"
     "                  [--kubeconfig FILE] [--context NAME] [-n NS] [--prune]\n"
     "                  [-o text|json|markdown] [--report-file FILE]\n"
     "\n"
     "Load the manifests, read the live objects (one paged LIST per kind and\n"
     "namespace) and compute kubectl's three-way patch for each. Print what would\n"
     "change: a unified diff (text, coloured on a terminal), JSON (schema in the\n"
     "README) or Markdown. Server defaults are never drift; Secret values are\n"
     "masked. Nothing is written.\n"
     "\n"
     "With --status-..., the diff is the preview of a commit not merged yet (--ref\n"
     "a pull request's branch or sha): it posts on that commit, under the context\n"
     "{context}/preview, \"would create 1, change 3, prune 0, unchanged 20\" or the\n"
     "first problem at its file:line, and sends no dry run either.\n"
     "\n"
     "  -f, --filename PATH  a manifest file or directory (repeatable)\n" GIT_HELP STATUS_HELP
         TARGET_CLUSTER_HELP
     "  --prune              list what sync --prune would delete: what berth applied\n"
     "                       from this source and that has left it\n"
     "  -o, --output FMT     text, json or markdown\n"
     "  --report-file FILE   also write the Markdown report to FILE (for a pull\n"
     "                       request: a table per kind, each change's diff folded)\n"
     "\n"
     "Exit status: 0 in sync, 1 when there is drift, 2 on error.\n"},
    {"help", cmd_help, "show help for berth or one of its verbs",
     "usage: berth help [VERB]\n"
     "\n"
     "Without VERB, list the verbs. With VERB, show how to use it.\n"},
    {"lint", cmd_lint, "check manifests, offline or against a cluster's schema",
     "usage: berth lint [--kubeconfig FILE] [--context NAME] [-n NAMESPACE]\n"
     "                  (PATH... | --repo URL [--ref REF] [--path DIR])\n"
     "\n"
     "Load the manifests in each PATH (a file, or a directory read recursively:\n"
     "*.yaml, *.yml and *.json, hidden entries skipped) and check them without a\n"
     "cluster: YAML syntax, duplicate keys, alias bombs, file size, apiVersion,\n"
     "kind and metadata.name, objects defined twice, and the StatefulSet checks.\n"
     "With --kubeconfig or --context, check them against that cluster too: its\n"
     "OpenAPI schema (unknown fields, wrong types, missing required fields) and\n"
     "the checks that ask the cluster, as sync does before writing. Each problem\n"
     "is printed as file:line:column: message.\n"
     "\n"
     "  --repo URL           check the commit of --ref (default: HEAD) of a Git\n"
     "                       repository, under --path DIR, instead of PATHs\n"
     "  --kubeconfig FILE    check against the cluster of this kubeconfig\n"
     "  --context NAME       check against this context ($KUBECONFIG or ~/.kube/config)\n"
     "  -n, --namespace NS   the namespace for objects that name none (default: default,\n"
     "                       or the context's with a cluster); one naming another is\n"
     "                       a problem, as for sync\n"
     "  --max-bytes SIZE     a problem when the manifests come to more (default 64Mi)\n"
     "  --max-objects N      a problem when they hold more objects (default 20000)\n"
     "\n"
     "Exit status: 0 when clean, 1 when there are problems, 2 on errors.\n"},
    {"run", cmd_run, "follow Git repositories and keep the cluster in step",
     "usage: berth run --config FILE [--kubeconfig FILE] [--context NAME] [--once]\n"
     "                 [--log-format logfmt|json] [--log-level info|debug] [--listen ADDR]\n"
     "                 [--replicas-mode lease|none] [--id NAME]\n"
     "\n"
     "Reconcile each source of the configuration (schema in the README) when its\n"
     "commit changes and every interval (with jitter): fetch, check the whole\n"
     "commit, and apply it as berth sync does. Between commits, drift is\n"
     "corrected or only reported, as each source says. The last commit applied\n"
     "per source is kept in the ConfigMap berth-state, so a restarted agent does\n"
     "not apply it again. One source failing never stops the others. SIGTERM\n"
     "finishes the objects being written and exits 0; SIGHUP reloads the\n"
     "configuration. Logs go to stderr, one line per reconcile. An HTTP listener\n"
     "serves /healthz, /readyz, /metrics (Prometheus) and the push webhooks\n"
     "/hooks/github, /hooks/gitlab and /hooks/gitea.\n"
     "\n"
     "  --config FILE        the sources to follow\n"
     "  --kubeconfig FILE    the kubeconfig (default: $KUBECONFIG, then ~/.kube/config,\n"
     "                       then the in-cluster service account)\n"
     "  --context NAME       the kubeconfig context (default: current-context)\n"
     "  --once               reconcile each source once and exit (1 if one failed),\n"
     "                       without watches\n"
     "  --log-format FMT     logfmt (default) or json\n"
     "  --log-level LEVEL    info (default) or debug\n"
     "  --listen ADDR        host:port, :port (every interface) or [v6]:port for the\n"
     "                       HTTP listener (default: 127.0.0.1:8080; port 0: any;\n"
     "                       with --once, none unless given)\n"
     "  --replicas-mode M    lease: share the sources out with the other replicas on\n"
     "                       Lease objects, each source reconciled by one replica at\n"
     "                       a time; none: follow every source (default: the config's\n"
     "                       scaleOut.mode, else none)\n"
     "  --id NAME            this replica's id in lease mode (default: $POD_NAME,\n"
     "                       then the host's name)\n"
     "\n"
     "Exit status: 0 when stopped, 2 on a bad configuration or cluster.\n"},
    {"sync", cmd_sync, "apply the manifests in dependency order and wait for them",
     "usage: berth sync (-f PATH... | --repo URL [--ref REF] [--path DIR])\n"
     "                  [--kubeconfig FILE] [--context NAME] [-n NS]\n"
     "                  [--prune [--prune-protected] [--allow-empty]]\n"
     "                  [--recreate-orphan] [--recover-stuck-rollouts] [--dry-run]\n"
     "                  [--server-side] [--parallel N] [--wait[=false]] [--timeout D]\n"
     "                  [--progress-deadline D] [-o text|json]\n"
     "\n"
     "Load and check every manifest, compare each with the cluster, then apply in\n"
     "phases: Namespace, CRDs, StorageClass, PersistentVolume, PVC, ServiceAccount,\n"
     "RBAC, ConfigMap and Secret, Service, workloads, the rest, custom resources\n"
     "(created once their CRD, in the cluster or in the commit, is Established).\n"
     "Missing objects are created, drifted ones patched (kubectl's three-way patch),\n"
     "the rest left alone. After each phase berth waits until its objects are ready\n"
     "(PV Available or Bound, PVC Bound, StatefulSet rolled out, ...). An object\n"
     "that cannot become ready (an image that cannot be pulled, a Job that failed,\n"
     "a Deployment past its progress deadline) ends the wait at once, with its\n"
     "cause; a StatefulSet's cause is its first pod not ready. Each object applied\n"
     "is labelled app.kubernetes.io/managed-by=berth.\n"
     "\n"
     "  -f, --filename PATH  a manifest file or directory (repeatable)\n" GIT_HELP STATUS_HELP
         TARGET_CLUSTER_HELP
     "  --prune              delete what berth applied from this -f path that has\n"
     "                       left it, in reverse phase order (claims, volumes and\n"
     "                       namespaces are kept unless annotated berth.io/prune: \"true\")\n"
     "  --prune-protected    prune claims, volumes and namespaces too\n"
     "  --allow-empty        prune even when the manifests hold no object\n"
     "  --recreate-orphan    let any StatefulSet whose immutable fields change be\n"
     "                       deleted with its pods and claims orphaned and created\n"
     "                       again (per object: annotate it berth.io/recreate: orphan)\n"
     "  --recover-stuck-rollouts  when a StatefulSet this sync changes is stuck on\n"
     "                       broken pods of an older revision (never Ready), delete\n"
     "                       them, one at a time and highest ordinal first, so they\n"
     "                       are made again on the new one; claims are kept (per\n"
     "                       object: annotate it berth.io/recover: stuck-rollout)\n"
     "  --dry-run            send every write with dryRun=All; change nothing\n"
     "  --server-side        write with server-side apply as field manager berth,\n"
     "                       forcing conflicts and taking over the fields that\n"
     "                       kubectl apply (client-side) wrote; keeps no\n"
     "                       last-applied annotation, and removes kubectl's\n"
     "  --parallel N         objects of a phase written at a time (default 8)\n"
     "  --wait=false         apply the phases in order without waiting for each to\n"
     "                       be ready, as kubectl apply does (default: wait)\n"
     "  --timeout D          how long each phase may take to be ready (default 5m)\n"
     "  --progress-deadline D  an object whose progress (\"1 of 3 pods ready\") does\n"
     "                       not change for this long is Degraded, and the wait\n"
     "                       ends (default 10m)\n"
     "  -o, --output FMT     text, or json for a machine-readable result\n"
     "\n"
     "Exit status: 0 on success, 1 on failure (2 on usage errors); on SIGINT or\n"
     "SIGTERM, the objects being written are finished, the summary is printed, and\n"
     "the status is 130 or 143.\n"},
    {"version", cmd_version, "print berth's version",
     "usage: berth version [-o json|yaml]\n"
     "\n"
     "Print berth's version and the versions of the libraries it runs with.\n"},
};

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

static void print_overview(FILE *f)
{
	size_t i;

	fprintf(f, "berth keeps a Kubernetes cluster in step with a Git repository of manifests.\n"
	           "\n"
	           "usage: berth VERB [OPTIONS]\n"
	           "\n"
	           "Verbs:\n");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-14s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'berth help VERB' for a verb's options.\n");
}

static int help_show_verb(const char *name)
{
	const struct verb *v = find_verb(name);

	if (!v) {
		fprintf(stderr, "error: unknown verb '%s'; run 'berth --help' for the list\n",
		        name);
		return EXIT_ERROR;
	}
	fputs(v->usage, stdout);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return usage_error("help", "too many arguments");
	if (argc == 2)
		return help_show_verb(argv[1]);
	print_overview(stdout);
	return 0;
}

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer's own suppressions, for the builds under test: libgit2 1.5
 * and libssh2 1.10 leak a little each time an ssh session opens (the
 * known_hosts libgit2 loads) or a key is refused, in frames that carry no
 * names to single those out. That berth frees what libgit2 gives it is
 * checked by unit.source under valgrind. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libssh2.so\nleak:libgit2.so\n";
}

const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

int main(int argc, char **argv)
{
	const struct verb *v;
	int status;

	/* glibc gives threads up to 8 malloc arenas per CPU, each keeping what
	 * it once held. berth's threads mostly wait on the network: one arena
	 * per CPU is plenty, and a sync of 1000 objects then takes 7 MB less. */
	mallopt(M_ARENA_MAX, (int)parallel_default_threads());
	if (argc < 2) {
		fprintf(stderr, "error: no verb given\n\n");
		print_overview(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_overview(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	v = find_verb(argv[1]);
	if (!v) {
		fprintf(stderr, "error: unknown verb '%s'; run 'berth --help' for the list\n",
		        argv[1]);
		return EXIT_ERROR;
	}
	if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
		return help_show_verb(v->name);
	/* A one-shot verb's heaps only grow: 16 MB at a time, not glibc's
	 * 128 KB, which a sync of 1000 objects pays for in some 900 mprotect
	 * and brk calls (about 3 ms of its CPU). The daemon keeps the default,
	 * so that what it frees between reconciles goes back. */
	if (strcmp(v->name, "run"))
		mallopt(M_TOP_PAD, 16 << 20);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "error: cannot initialise libcurl\n");
		return EXIT_ERROR;
	}
	status = v->fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return status;
}
