/* berth cluster-info: the server and context the kubeconfig resolves to,
 * the server's version, and how many API resources and groups it serves;
 * it fails when the server does not answer with these credentials. */
#include "cli.h"
#include "output.h"

#include "../../apply/discovery.h"
#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* A string field of /version, "" when absent. */
static const char *version_field(struct json_object *version, const char *key)
{
	const char *s = json_value_get_string(version, key);

	return s ? s : "";
}

static int print_text(const struct kubeconfig *kc, struct json_object *version,
                      const struct discovery *d)
{
	printf("Kubernetes control plane is running at %s\n", kc->server);
	printf("context:         %s\n", kc->context);
	printf("server version:  %s (%s, %s)\n", version_field(version, "gitVersion"),
	       version_field(version, "goVersion"), version_field(version, "platform"));
	printf("API resources:   %zu in %zu groups\n", discovery_count_usable(d), d->ngroups);
	return 0;
}

static int print_structured(const struct kubeconfig *kc, struct json_object *version,
                            const struct discovery *d, enum output_format format)
{
	struct json_object *v = json_object_new_object();
	int error;

	json_object_object_add(v, "server", json_object_new_string(kc->server));
	json_object_object_add(v, "context", json_object_new_string(kc->context));
	json_object_object_add(v, "serverVersion", json_object_get(version));
	json_object_object_add(v, "apiGroups", json_object_new_int64((int64_t)d->ngroups));
	json_object_object_add(v, "apiResources",
	                       json_object_new_int64((int64_t)discovery_count_usable(d)));
	error = output_print(v, format);
	json_object_put(v);
	return error;
}

int cmd_cluster_info(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct kubeconfig_options kopts = KUBECONFIG_OPTIONS_INIT;
	enum output_format format = OUTPUT_TEXT;
	struct kubeconfig *kc = NULL;
	struct kube_client *client = NULL;
	struct json_object *version = NULL;
	struct discovery *d = NULL;
	int opt, status = EXIT_ERROR;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			kopts.path = optarg;
			break;
		case 'c':
			kopts.context = optarg;
			break;
		case 'o':
			if (output_format_parse(&format, optarg) < 0)
				return usage_error("cluster-info", "%s", berth_error_last());
			break;
		case ':':
			return usage_error("cluster-info", "option '%s' needs a value",
			                   argv[optind - 1]);
		default:
			return usage_error("cluster-info", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("cluster-info", "unexpected argument '%s'", argv[optind]);

	if (kubeconfig_load(&kc, &kopts) < 0 || kube_client_new(&client, kc, NULL) < 0 ||
	    kube_client_get_json(&version, client, "/version") < 0 ||
	    discovery_fetch(&d, client, NULL, 0, true) < 0) {
		berth_error_print();
		goto out;
	}
	if ((format == OUTPUT_TEXT ? print_text(kc, version, d)
	                           : print_structured(kc, version, d, format)) < 0) {
		berth_error_print();
		goto out;
	}
	status = 0;
out:
	discovery_free(d);
	json_object_put(version);
	kube_client_free(client);
	kubeconfig_free(kc);
	return status;
}
