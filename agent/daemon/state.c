/* berth run's state: the last commit applied of each source, in a
 * ConfigMap. */
#include "state.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"

#include <string.h>

int state_read(struct json_object **out, struct kube_client *c, const char *ns)
{
	struct json_object *cm = NULL, *data;
	struct buf path = BUF_INIT;
	int error;

	buf_addf(&path, "/api/v1/namespaces/%s/configmaps/" STATE_NAME, ns);
	error = kube_client_get_json(&cm, c, path.ptr);
	if (error == BERTH_ENOTFOUND) {
		*out = json_object_new_object();
		error = 0;
	} else if (error == 0) {
		data = json_value_get(cm, "data");
		*out = json_object_is_type(data, json_type_object) ? json_value_copy(data)
		                                                   : json_object_new_object();
	}
	json_object_put(cm);
	buf_release(&path);
	return error;
}

int state_write(struct kube_client *c, const char *ns, const char *source, const char *commit)
{
	struct json_object *body = json_object_new_object(), *data = json_object_new_object();
	struct buf path = BUF_INIT;
	int error;

	json_object_object_add(data, source, json_object_new_string(commit));
	json_object_object_add(body, "data", data);
	buf_addf(&path, "/api/v1/namespaces/%s/configmaps/" STATE_NAME, ns);
	error = kube_client_call(NULL, c, "PATCH", path.ptr, "application/merge-patch+json",
	                         json_object_to_json_string(body));
	if (error == BERTH_ENOTFOUND) {
		struct json_object *meta = json_object_new_object();

		json_object_object_add(meta, "name", json_object_new_string(STATE_NAME));
		json_object_object_add(body, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(body, "kind", json_object_new_string("ConfigMap"));
		json_object_object_add(body, "metadata", meta);
		buf_reset(&path);
		buf_addf(&path, "/api/v1/namespaces/%s/configmaps", ns);
		error = kube_client_call(NULL, c, "POST", path.ptr, "application/json",
		                         json_object_to_json_string(body));
		/* Another replica made it meanwhile: the patch goes in now. */
		if (error == BERTH_ECONFLICT) {
			json_object_object_del(body, "apiVersion");
			json_object_object_del(body, "kind");
			json_object_object_del(body, "metadata");
			buf_addf(&path, "/" STATE_NAME);
			error = kube_client_call(NULL, c, "PATCH", path.ptr,
			                         "application/merge-patch+json",
			                         json_object_to_json_string(body));
		}
	}
	json_object_put(body);
	buf_release(&path);
	return error;
}

int state_refuse_managed(const struct manifest_set *set, const char *state_ns)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];

		if (!*m->id.group && !strcmp(m->id.kind, "ConfigMap") &&
		    !strcmp(m->id.name, STATE_NAME) && !strcmp(m->id.namespace, state_ns))
			return berth_error_set(
			    "%s:%zu:%zu: configmap %s/" STATE_NAME
			    " is where berth run keeps the commit of each source; "
			    "no source may manage it",
			    m->file, m->line, m->column, state_ns);
	}
	return 0;
}
