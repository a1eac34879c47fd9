#ifndef BERTH_VERDICT_H
#define BERTH_VERDICT_H

#include "base/digest.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * What the server said of a drift found locally, remembered: a dry run of
 * the patch either changed the object (drifted) or left it as it was (in
 * sync: the local comparison saw a value the server never stores). Keyed
 * by what the comparison read, so the same inputs are not asked about
 * twice, while any change to Git or to the live object asks again.
 */
struct verdicts;

/* An empty set that holds at most `max` verdicts; beyond, it starts over. */
void verdicts_new(struct verdicts **out, size_t max);
void verdicts_free(struct verdicts *v); /* NULL is a no-op */

/*
 * The key of a comparison: the SHA-256 of `desired` (the manifest as
 * applied) and `live`, the live object (its last-applied annotation
 * included) less what changes on every write without changing the object:
 * metadata.resourceVersion and managedFields. Fails when either cannot be
 * written as JSON.
 */
int verdict_key(uint8_t key[SHA256_SIZE], struct json_object *desired, struct json_object *live);

/* 1 with *drifted set when `key` has a verdict, else 0. */
int verdicts_find(bool *drifted, const struct verdicts *v, const uint8_t key[SHA256_SIZE]);
void verdicts_remember(struct verdicts *v, const uint8_t key[SHA256_SIZE], bool drifted);

#endif
