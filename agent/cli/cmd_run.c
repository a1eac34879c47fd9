/* berth run: its options; the daemon (agent/daemon/) does the rest. */
#include "cli.h"

#include "../daemon/daemon.h"

#include "../../diff/base/log.h"

#include <getopt.h>
#include <string.h>

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'C'},
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, '1'},
	    {"log-format", required_argument, NULL, 'L'},
	    {"listen", required_argument, NULL, 'l'},
	    {"log-level", required_argument, NULL, 'V'},
	    {"replicas-mode", required_argument, NULL, 'R'},
	    {"id", required_argument, NULL, 'I'},
	    {NULL, 0, NULL, 0},
	};
	struct daemon_options o = {.kube = KUBECONFIG_OPTIONS_INIT};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			o.config_path = optarg;
			break;
		case 'k':
			o.kube.path = optarg;
			break;
		case 'c':
			o.kube.context = optarg;
			break;
		case '1':
			o.once = true;
			break;
		case 'L':
			if (strcmp(optarg, "logfmt") && strcmp(optarg, "json"))
				return usage_error(
				    "run", "unknown log format '%s' (use logfmt or json)", optarg);
			log_set_json(!strcmp(optarg, "json"));
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 'V':
			if (strcmp(optarg, "info") && strcmp(optarg, "debug"))
				return usage_error(
				    "run", "unknown log level '%s' (use info or debug)", optarg);
			log_set_debug(!strcmp(optarg, "debug"));
			break;
		case 'R':
			if (strcmp(optarg, "lease") && strcmp(optarg, "none"))
				return usage_error("run",
				                   "unknown replicas mode '%s' (use lease or none)",
				                   optarg);
			o.replicas_mode = optarg;
			break;
		case 'I':
			o.id = optarg;
			break;
		case ':':
			return usage_error("run", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (!o.config_path)
		return usage_error("run", "name the configuration with --config FILE");
	return daemon_run(&o);
}
