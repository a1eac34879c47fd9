/* An exec plugin's ExecCredential, parsed, and RFC 3339 times. */
#include "exec_credential.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void exec_credential_release(struct exec_credential *cred)
{
	free_secret(cred->token);
	cred->token = NULL;
	buf_release(&cred->cert);
	buf_release_secret(&cred->key);
	cred->expires = 0;
}

int exec_credential_parse(struct exec_credential *out, const char *what, const char *api_version,
                          const char *text, size_t len)
{
	struct json_object *doc = json_value_parse(text, len), *status;
	const char *kind, *version, *token, *cert, *key, *expires;
	int error = -1;

	BERTH_ASSERT(!out->token && !out->cert.len && !out->key.len);
	/* Never quote the output: it holds the secret. */
	if (!doc) {
		char *why = xstrdup(berth_error_last());

		berth_error_set("%s: the output is not an ExecCredential (not JSON: %s)", what,
		                why);
		free(why);
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		berth_error_set("%s: the output is not an ExecCredential (not a JSON object)",
		                what);
		goto out;
	}
	kind = json_value_get_string(doc, "kind");
	if (!kind || strcmp(kind, "ExecCredential")) {
		berth_error_set("%s: the output is not an ExecCredential (kind '%s')", what,
		                kind ? kind : "");
		goto out;
	}
	version = json_value_get_string(doc, "apiVersion");
	if (!version || strcmp(version, api_version)) {
		berth_error_set("%s: the plugin is configured for %s but answered with "
		                "apiVersion '%s'",
		                what, api_version, version ? version : "");
		goto out;
	}
	status = json_value_get(doc, "status");
	if (!json_object_is_type(status, json_type_object)) {
		berth_error_set("%s: the ExecCredential has no status", what);
		goto out;
	}
	token = json_value_get_string(status, "token");
	cert = json_value_get_string(status, "clientCertificateData");
	key = json_value_get_string(status, "clientKeyData");
	token = token && *token ? token : NULL;
	cert = cert && *cert ? cert : NULL;
	key = key && *key ? key : NULL;
	if (!token && !cert && !key) {
		berth_error_set("%s: the ExecCredential has neither a token nor a client "
		                "certificate and key",
		                what);
		goto out;
	}
	if (!cert != !key) {
		berth_error_set("%s: the ExecCredential has a client %s without its %s", what,
		                cert ? "certificate" : "key", cert ? "key" : "certificate");
		goto out;
	}
	expires = json_value_get_string(status, "expirationTimestamp");
	if (expires && clock_rfc3339_parse(&out->expires, expires) < 0) {
		berth_error_set("%s: expirationTimestamp '%s' is not an RFC 3339 time", what,
		                expires);
		goto out;
	}
	if (token)
		out->token = xstrdup(token);
	if (cert) {
		buf_adds(&out->cert, cert);
		buf_adds(&out->key, key);
	}
	error = 0;
out:
	/* The document held the secret too; json-c frees without wiping, so
	 * wipe the strings first. */
	if (json_object_is_type(status = json_value_get(doc, "status"), json_type_object)) {
		static const char *const fields[] = {"token", "clientKeyData"};
		size_t i;
		for (i = 0; i < ARRAY_SIZE(fields); i++) {
			struct json_object *v = json_value_get(status, fields[i]);
			if (json_object_is_type(v, json_type_string))
				memset((char *)json_object_get_string(v), 0,
				       (size_t)json_object_get_string_len(v));
		}
	}
	json_object_put(doc);
	return error;
}

bool exec_credential_expired(const struct exec_credential *cred, time_t now)
{
	return cred->expires && now >= cred->expires;
}
