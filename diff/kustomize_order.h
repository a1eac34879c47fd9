#ifndef BERTH_KUSTOMIZE_ORDER_H
#define BERTH_KUSTOMIZE_ORDER_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * The order `kustomize build` prints objects in (kustomize v5's "legacy"
 * sortOptions, its default): by kind, Namespace, ResourceQuota,
 * StorageClass, CustomResourceDefinition, ServiceAccount, ... ,
 * PodDisruptionBudget first and the webhook configurations last, other
 * kinds between, ordered by group, version and kind; then by namespace and
 * name. No I/O.
 */

/* Negative when object `a` is printed before object `b`, positive when
 * after, 0 when both are one object. */
int kustomize_order_compare(const struct json_object *a, const struct json_object *b);

/* Sort `objects` (`n` of them, borrowed) into that order. */
void kustomize_order_sort(struct json_object **objects, size_t n);

#endif
