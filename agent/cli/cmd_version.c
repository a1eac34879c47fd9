/* berth version: its own version and those of the libraries it links. */
#include "cli.h"
#include "output.h"

#include "../../diff/base/berth_error.h"

#include <curl/curl.h>
#include <git2.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>

int cmd_version(int argc, char **argv)
{
	enum output_format format = OUTPUT_TEXT;
	struct json_object *v;
	char libgit2[32];
	int major, minor, rev;

	if (argc == 3 && !strcmp(argv[1], "-o")) {
		if (output_format_parse(&format, argv[2]) < 0)
			return usage_error("version", "%s", berth_error_last());
	} else if (argc != 1) {
		return usage_error("version", "unexpected argument '%s'", argv[1]);
	}
	git_libgit2_version(&major, &minor, &rev);
	snprintf(libgit2, sizeof(libgit2), "%d.%d.%d", major, minor, rev);

	if (format == OUTPUT_TEXT) {
		printf("berth %s\n", BERTH_VERSION);
		printf("libgit2 %s, libcurl %s, libyaml %s, json-c %s, zlib %s\n", libgit2,
		       curl_version_info(CURLVERSION_NOW)->version, yaml_get_version_string(),
		       json_c_version(), zlibVersion());
		return 0;
	}
	v = json_object_new_object();
	json_object_object_add(v, "version", json_object_new_string(BERTH_VERSION));
	json_object_object_add(v, "libgit2", json_object_new_string(libgit2));
	json_object_object_add(v, "libcurl",
	                       json_object_new_string(curl_version_info(CURLVERSION_NOW)->version));
	json_object_object_add(v, "libyaml", json_object_new_string(yaml_get_version_string()));
	json_object_object_add(v, "json-c", json_object_new_string(json_c_version()));
	json_object_object_add(v, "zlib", json_object_new_string(zlibVersion()));
	if (output_print(v, format) < 0) {
		berth_error_print();
		json_object_put(v);
		return EXIT_ERROR;
	}
	json_object_put(v);
	return 0;
}
