#ifndef BERTH_SHA1_H
#define BERTH_SHA1_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for what the formats berth
 * reads are made of (the hashed host names of an OpenSSH known_hosts file),
 * not for new secrets.
 */
#define SHA1_SIZE 20

void sha1(uint8_t out[SHA1_SIZE], const void *data, size_t len);
void hmac_sha1(uint8_t out[SHA1_SIZE], const void *key, size_t key_len, const void *data,
               size_t len);

#endif
