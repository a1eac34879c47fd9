#ifndef BERTH_BASE64_H
#define BERTH_BASE64_H

#include "buf.h"

#include <stddef.h>

/*
 * Decode standard base64 (RFC 4648, padding optional, whitespace ignored)
 * and append the bytes to `out`. Fails on any other character, without
 * saying what the input was: it may be a secret.
 */
int base64_decode(struct buf *out, const char *in, size_t len);

/* Append the standard base64 encoding of `len` bytes to `out`. */
void base64_encode(struct buf *out, const void *in, size_t len);

#endif
