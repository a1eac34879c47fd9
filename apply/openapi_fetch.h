#ifndef BERTH_OPENAPI_FETCH_H
#define BERTH_OPENAPI_FETCH_H

#include "kube_client.h"

#include "../diff/manifest.h"
#include "../diff/openapi.h"

/*
 * The server's OpenAPI schema, fetched once per server and version and
 * kept on disk, compressed (gzip), in
 * ${XDG_CACHE_HOME:-~/.cache}/berth/openapi/VERSION-HASH.json.gz, where HASH
 * is that of the server's URL. A run with the cache warm asks the server
 * for its version only. In a process, the schema is parsed once per server
 * version and kept in memory (the last version seen of each server only).
 */

/*
 * The schema: read from the cache file `path` unless `refresh`, else (or
 * when the file is missing or damaged) fetched with GET /openapi/v2 and
 * written to `path` atomically (a temporary file, then a rename). `path`
 * may be "" for no cache. A cache that cannot be written is a warning on
 * stderr, not an error. *from_cache tells where the schema came from. *out
 * is owned by the caller (openapi_free).
 */
int openapi_fetch(struct openapi **out, bool *from_cache, struct kube_client *c, const char *path,
                  bool refresh);

/*
 * Validate the manifests against the server's schema (openapi_validate),
 * adding a diagnostic per problem to `diags`. A cached schema that cannot
 * vouch for what it says (a kind it does not know, a custom resource it
 * rejects: a CustomResourceDefinition may have changed since) is fetched
 * again once. An empty set costs no request; else it asks the server for
 * its version, and a schema held in memory for that version (parsed once
 * per process) is used, else the cache file's, else the server's.
 * Thread-safe: checks of one server version take turns. Fails when the
 * schema cannot be had.
 */
int openapi_check(struct diagnostics *diags, struct kube_client *c, const struct manifest_set *set);

#endif
