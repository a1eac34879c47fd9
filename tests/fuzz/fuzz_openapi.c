/*
 * Fuzz harness for the OpenAPI schema reader and the check made with it
 * (diff/openapi.c), whose input is a cache file on disk.
 *
 * The input is the text of a cached schema. openapi_parse() may refuse it;
 * when it reads it, openapi_write() must give the same text back, that text
 * must read again, and checking a few manifests (a sound StatefulSet, one
 * with seed 002's mistakes, a Service, a custom resource) against either
 * copy must end, with the same problems.
 *
 * Errors are fine; a broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/buf.h"
#include "../../diff/manifest.h"
#include "../../diff/openapi.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char manifests[] =
    "apiVersion: apps/v1\n"
    "kind: StatefulSet\n"
    "metadata: {name: web, labels: {app: web}, annotations: {a.b/c: 1}}\n"
    "spec:\n"
    "  serviceName: web\n"
    "  replicas: three\n"
    "  selector: {matchLabels: {app: web}}\n"
    "  volumes: [{name: shared}]\n"
    "  template:\n"
    "    metadata: {labels: {app: web}}\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: nginx\n"
    "        image: nginx\n"
    "        ports: [{containerPort: \"80\"}, {name: x}]\n"
    "        resources: {limits: {cpu: 0.5, memory: true}}\n"
    "      - image: no-name\n"
    "      volumeMounts: [{name: www, mountPath: /d}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: web}\n"
    "spec: {clusterIP: None, ports: [{port: 80, targetPort: web}, {port: 81, targetPort: 1.5}]}\n"
    "---\n"
    "apiVersion: berth.dev/v1\n"
    "kind: Widget\n"
    "metadata: {name: w}\n"
    "spec: {color: 1, any: {thing: [1]}}\n"
    "size: 3\n"
    "shape: round\n";

static _Noreturn void broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say which property broke, then abort. */
static _Noreturn void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_openapi: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The manifests, parsed once (problems are found at places in their text). */
static const struct manifest_set *the_manifests(void)
{
	static struct manifest_set set = MANIFEST_SET_INIT;
	static bool loaded;
	struct diagnostics diags = DIAGNOSTICS_INIT;

	if (loaded)
		return &set;
	loaded = true;
	if (manifest_set_add(&set, &diags, "manifests.yaml", manifests, strlen(manifests), NULL) <
	        0 ||
	    set.n != 3)
		broken("the manifests do not load");
	diagnostics_release(&diags);
	return &set;
}

static void validate(struct buf *out, struct openapi *api)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	bool unsure = false;

	if (openapi_validate(&diags, &unsure, api, the_manifests()) != diags.n)
		broken("openapi_validate counted wrong");
	diagnostics_format(out, &diags);
	diagnostics_release(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct openapi *api = NULL, *again = NULL;
	struct buf text = BUF_INIT, first = BUF_INIT, second = BUF_INIT;

	if (openapi_parse(&api, (const char *)data, size) < 0)
		return 0;
	openapi_write(&text, api);
	if (text.len != size || memcmp(text.ptr, data, size))
		broken("openapi_write changed the text");
	if (openapi_parse(&again, text.ptr, text.len) < 0)
		broken("the written schema does not read back");
	validate(&first, api);
	validate(&second, again);
	if (strcmp(first.ptr, second.ptr))
		broken("the copies disagree:\n%s---\n%s", first.ptr, second.ptr);
	buf_release(&text);
	buf_release(&first);
	buf_release(&second);
	openapi_free(api);
	openapi_free(again);
	return 0;
}
