#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-1 and SHA-256 (FIPS 180-4), and HMAC over each (RFC 2104), for what
 * the formats berth reads are made of: the hashed host names of an OpenSSH
 * known_hosts file (HMAC-SHA1) and the signatures of forge webhooks
 * (HMAC-SHA256).
 */
#define SHA1_SIZE   20
#define SHA256_SIZE 32

void sha1(uint8_t out[SHA1_SIZE], const void *data, size_t len);
void hmac_sha1(uint8_t out[SHA1_SIZE], const void *key, size_t key_len, const void *data,
               size_t len);
void sha256(uint8_t out[SHA256_SIZE], const void *data, size_t len);
void hmac_sha256(uint8_t out[SHA256_SIZE], const void *key, size_t key_len, const void *data,
                 size_t len);

/* 1 when the `len` bytes at a and b are equal, else 0, in a time that
 * depends on `len` only: for comparing secrets. */
int digest_equal(const void *a, const void *b, size_t len);

#endif
