#ifndef BERTH_EXEC_CREDENTIAL_H
#define BERTH_EXEC_CREDENTIAL_H

#include "../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What an exec credential plugin prints: an ExecCredential, holding a
 * token or a client certificate and key, and when it expires. A secret. */

/* What a plugin answered. Embedded by value: EXEC_CREDENTIAL_INIT. */
struct exec_credential {
	char *token;     /* or NULL; a secret */
	struct buf cert; /* PEM, empty when the plugin gave a token only */
	struct buf key;  /* PEM; a secret */
	time_t expires;  /* 0: does not expire */
};
#define EXEC_CREDENTIAL_INIT                                                                       \
	{                                                                                          \
		.token = NULL, .cert = BUF_INIT, .key = BUF_INIT, .expires = 0                     \
	}

/* Wipe and free what a credential holds; it is left empty. */
void exec_credential_release(struct exec_credential *cred);

/*
 * Parse a plugin's stdout (`len` bytes of `text`) into `out`, which must be
 * empty. It must be an ExecCredential of `api_version` with status.token, or
 * status.clientCertificateData and clientKeyData, or both, and an optional
 * RFC 3339 status.expirationTimestamp. Messages start with `what` (the
 * plugin, for instance) and never quote the output.
 */
int exec_credential_parse(struct exec_credential *out, const char *what, const char *api_version,
                          const char *text, size_t len);

/* Whether a credential has expired at `now` (one without expiry never does). */
bool exec_credential_expired(const struct exec_credential *cred, time_t now);

#endif
