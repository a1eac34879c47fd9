#ifndef BERTH_WAVE_H
#define BERTH_WAVE_H

/*
 * Waves: the annotation berth.io/wave: "N" (an integer, negative allowed;
 * none is 0) orders the objects of a commit before the kind phases do:
 * every object of wave -1 is applied and ready before wave 0 starts.
 */
#include "base/diagnostics.h"
#include "manifest.h"

#include <json-c/json.h>

#define WAVE_ANNOTATION "berth.io/wave"
/* The waves a commit may name: a bound on the steps, not a limit anyone
 * should reach. */
#define WAVE_MIN (-1000000L)
#define WAVE_MAX 1000000L

/* The wave of object `obj` into *out: as manifest_wave() says it. */
int object_wave(long *out, struct json_object *obj);

/* The wave of `m` into *out: 0 when it names none. -1 when its annotation
 * is not an integer from WAVE_MIN to WAVE_MAX (*out is 0 then). Fast for
 * the objects that name none: their text is searched, not parsed. */
int manifest_wave(long *out, const struct manifest *m);

/*
 * The checks of a commit's waves: an annotation that is not an integer is
 * a problem, at the object's annotations. A Namespace, a
 * CustomResourceDefinition or a StorageClass in a later wave than an
 * object that needs it (in the namespace; of the kind; a claim or a claim
 * template of the class) is a warning: that object is applied first, and
 * fails or waits. Returns the number of problems.
 */
size_t waves_check(struct diagnostics *diags, struct diagnostics *warnings,
                   const struct manifest_set *set);

#endif
