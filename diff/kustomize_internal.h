#ifndef BERTH_KUSTOMIZE_INTERNAL_H
#define BERTH_KUSTOMIZE_INTERNAL_H

#include "kustomization.h"
#include "kustomize.h"

/*
 * What kustomize.c (the walk of kustomizations) and kustomize_steps.c (the
 * steps of one: crds, generators, transformers) share. Not for other
 * modules.
 */

/* One build under way. */
struct build {
	const struct kustomize_build_options *opts;
	struct diagnostics *diags, *warnings;
	size_t files, bytes;          /* read so far */
	struct json_object *crd_refs; /* name references the `crds` add */
	struct {
		const char *real, *dir; /* resolved, and as named */
	} stack[64];                    /* the kustomizations being built, outermost first */
	size_t depth;
};

/* A problem at `node` of kustomization `k` (its first line when NULL). */
void build_problem(struct build *b, const struct kustomization *k, const struct json_object *node,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Read `path` through the reader, counting it against the limits; what
 * kustomize_reader.read returns. */
int build_read(struct build *b, struct buf *out, const char *path, const char *within);

/* Move `from` to the end of `to`; past the limit of objects, a problem at
 * `node`. (An object made twice is found once the resources are read.) */
int build_absorb(struct build *b, struct kustomize_resources *to, struct kustomize_resources *from,
                 const struct kustomization *k, const struct json_object *node);

/* The steps of one kustomization, in kustomize's order (kustomize_steps.c). */
int build_crds(struct build *b, const struct kustomization *k, const char *dir);
int build_generators(struct build *b, struct kustomize_resources *rs, const struct kustomization *k,
                     const char *dir);
int build_transformers(struct build *b, struct kustomize_resources *rs,
                       const struct kustomization *k, const char *dir);

#endif
