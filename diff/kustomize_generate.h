#ifndef BERTH_KUSTOMIZE_GENERATE_H
#define BERTH_KUSTOMIZE_GENERATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The ConfigMap or Secret of one `configMapGenerator` or `secretGenerator`
 * entry of a kustomization, as kustomize v5.5.0 (kubectl 1.32's `kubectl
 * kustomize`) makes it, and the name suffix hash it gives generated names.
 * Pure data: the caller reads the files and passes their bytes. Called by
 * the kustomization build.
 *
 * What kustomize does, and so berth does too: the pairs are the env files'
 * first, then the literals, then the files; a key may appear once; a
 * ConfigMap value that is not UTF-8 goes to binaryData, base64; a Secret's
 * values are all base64. kustomize checks no key's characters (it takes
 * "a b" and "a/b"), so neither does this; berth refuses a key that is not
 * UTF-8, which kustomize would mangle.
 */

enum kustomize_generator_kind {
	KUSTOMIZE_CONFIGMAP,
	KUSTOMIZE_SECRET,
};

enum kustomize_behavior {
	KUSTOMIZE_BEHAVIOR_CREATE, /* the default */
	KUSTOMIZE_BEHAVIOR_MERGE,
	KUSTOMIZE_BEHAVIOR_REPLACE,
};

/* `generatorOptions`, or one entry's `options`. The maps map strings to
 * strings, and are borrowed (NULL: none). */
struct kustomize_options {
	struct json_object *labels;
	struct json_object *annotations;
	bool disable_name_suffix_hash;
	bool immutable;
};

/* A file's bytes: for `files`, `name` is the key (the file's base name, or
 * the key given as key=path); for `envs`, it is the file's path, for
 * messages. `data` need not be NUL-terminated and may hold any byte. */
struct kustomize_source {
	const char *name;
	const char *data;
	size_t len;
};

/* One generator entry; everything is borrowed. */
struct kustomize_generator {
	enum kustomize_generator_kind kind;
	const char *name;
	const char *namespace; /* NULL or "": none */
	enum kustomize_behavior behavior;
	const char *type;            /* a Secret's; NULL or "": "Opaque" */
	const char *const *literals; /* "key=value" */
	size_t literals_len;
	const struct kustomize_source *files;
	size_t files_len;
	const struct kustomize_source *envs;
	size_t envs_len;
	struct kustomize_options options;
};

/* Read a `behavior`: "create", "merge" or "replace"; NULL or "" is
 * create. Anything else fails, naming it (kustomize takes it as create). */
int kustomize_behavior_parse(enum kustomize_behavior *out, const char *s);

/*
 * Build the object of `gen`, its options merged over `global` (NULL: none)
 * as kustomize merges them: the entry's labels and annotations win over the
 * global ones, and either one's disableNameSuffixHash or immutable holds.
 * The name takes its hash suffix unless disableNameSuffixHash holds; a build
 * that merges the object into another first asks for no suffix and calls
 * kustomize_hash_suffix() on the result. `gen->behavior` is not used here.
 * On success *out is a new object the caller owns (json_object_put). Fails
 * naming the generator and the reason: no name, a literal without key=value,
 * a repeated key, an env file line that is not UTF-8.
 */
int kustomize_generate(struct json_object **out, const struct kustomize_generator *gen,
                       const struct kustomize_options *global);

/*
 * The 10 characters kustomize appends (after a '-') to the name of a
 * ConfigMap or Secret `obj`: sha256 over Go's JSON of its kind, an empty
 * name, its data (or "" without one) and binaryData (a ConfigMap's) or its
 * type and stringData (a Secret's), then the first 10 hex digits with
 * 0, 1, 3, a, e written g, h, k, m, t. Fails for another kind, or data that
 * is not a map.
 */
int kustomize_hash_suffix(char out[11], struct json_object *obj);

#endif
