#ifndef BERTH_OBJECT_H
#define BERTH_OBJECT_H

#include "base/buf.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * Who an object is: its group, kind, namespace and name. The version is kept
 * for URLs but is not part of the identity (apps/v1 and apps/v1beta2
 * StatefulSet "web" are the same object). Embedded by value; the strings
 * are owned (object_id_release).
 */
struct object_id {
	char *group; /* "" for the core group */
	char *version;
	char *kind;
	char *namespace; /* "" for cluster-scoped objects */
	char *name;
};

/*
 * Read the identity of `obj`, giving namespaced objects without a namespace
 * `default_namespace`. A cluster-scoped kind (object_kind_is_cluster_scoped)
 * never gets one. Fails, with a message naming what is wrong, when
 * apiVersion, kind or metadata.name is missing, empty or not a string; *bad
 * (when `bad` is not NULL) is then the node at fault, or `obj` itself when
 * the field is missing. The node belongs to `obj`.
 */
int object_id_read(struct object_id *out, struct json_object **bad, struct json_object *obj,
                   const char *default_namespace);
void object_id_release(struct object_id *id);

/*
 * Are the parts of `id` what the API server accepts, before they go into a
 * URL? The version is lowercase letters and digits; the group a DNS
 * subdomain; a namespace a DNS label; a name a DNS subdomain, a DNS label
 * starting with a letter for a Service, a DNS label for a Namespace, and
 * for RBAC's kinds any path segment (no '/', no '%', not "." or ".."), as
 * the API validates them. On failure, *field is the one at fault
 * ("metadata.name", "metadata.namespace" or "apiVersion") and the message
 * says why.
 */
int object_id_validate(const char **field, const struct object_id *id);

/* Same group, kind, namespace and name. */
bool object_id_equal(const struct object_id *a, const struct object_id *b);

/* Order by group, kind, namespace, name. */
int object_id_cmp(const struct object_id *a, const struct object_id *b);

/* The kind in lower case, as kubectl writes it in names: "statefulset". */
void object_kind_lower(struct buf *out, const char *kind);

/* "statefulset default/web", "storageclass fast", "widget.example.com ns/w". */
void object_id_describe(struct buf *out, const struct object_id *id);

/* Kinds Kubernetes serves without a namespace (Namespace, PersistentVolume,
 * StorageClass, ClusterRole, CustomResourceDefinition, ...). Discovery is the
 * authority; this table is what berth knows offline. */
bool object_kind_is_cluster_scoped(const char *group, const char *kind);

#endif
