/*
 * Fuzz harness for the kustomization reader (diff/kustomization.c).
 *
 * The input is read as kustomization.yaml.
 *
 *   Refused: at least one problem, each with a place in the file, and the
 *   kustomization left empty.
 *
 *   Read: its document is a mapping; every path it lists is non-empty,
 *   relative and local (no scheme, no git@, no ?ref=), at a line of the
 *   input; reading it again gives the same paths.
 *
 * A broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/buf.h"
#include "../../diff/kustomization.h"

#include <string.h>

#define broken(...) fuzz_broken("fuzz_kustomization", __VA_ARGS__)

static size_t lines_of(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_paths(const struct kustomization_path *p, size_t n, size_t lines)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!*p[i].path || p[i].path[0] == '/' || strstr(p[i].path, "://") ||
		    !strncmp(p[i].path, "git@", 4) || strstr(p[i].path, "?ref="))
			broken("path '%s' read, though it is no local relative path", p[i].path);
		if (!p[i].line || p[i].line > lines)
			broken("path '%s' at line %zu of %zu", p[i].path, p[i].line, lines);
	}
}

static void same_paths(const struct kustomization_path *a, const struct kustomization_path *b,
                       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i].path, b[i].path) || a[i].line != b[i].line)
			broken("read twice, path %zu differs: '%s' and '%s'", i, a[i].path,
			       b[i].path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kustomization k = KUSTOMIZATION_INIT, again = KUSTOMIZATION_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT, diags2 = DIAGNOSTICS_INIT;
	size_t i, lines = lines_of(data, size);
	int rc = kustomization_parse(&k, &diags, "kustomization.yaml", (const char *)data, size);

	if (rc < 0) {
		if (!diags.n)
			broken("refused with no problem");
		if (k.doc || k.resources || k.components || k.crds || k.file)
			broken("refused, yet the kustomization holds something");
		for (i = 0; i < diags.n; i++)
			if (!diags.items[i].file)
				broken("a problem names no file: %s", diags.items[i].message);
		goto out;
	}
	if (diags.n)
		broken("read, yet %zu problems: %s", diags.n, diags.items[0].message);
	if (!json_object_is_type(k.doc, json_type_object))
		broken("read, and its document is no mapping");
	check_paths(k.resources, k.nresources, lines);
	check_paths(k.components, k.ncomponents, lines);
	check_paths(k.crds, k.ncrds, lines);
	if (kustomization_parse(&again, &diags2, "kustomization.yaml", (const char *)data, size) <
	    0)
		broken("read once, refused the second time");
	if (again.nresources != k.nresources || again.ncomponents != k.ncomponents ||
	    again.ncrds != k.ncrds)
		broken("read twice, the lists differ in length");
	same_paths(k.resources, again.resources, k.nresources);
	same_paths(k.components, again.components, k.ncomponents);
	same_paths(k.crds, again.crds, k.ncrds);
out:
	kustomization_release(&k);
	kustomization_release(&again);
	diagnostics_release(&diags);
	diagnostics_release(&diags2);
	return 0;
}
