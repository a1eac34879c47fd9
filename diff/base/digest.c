/* SHA-1, SHA-256 and their HMACs (FIPS 180-4, RFC 2104), for webhook signatures
 * and cache keys. */
#include "digest.h"

#include <string.h>

/* Both hashes pad and count the same way (Merkle-Damgard, 64-byte blocks,
 * a big-endian bit count); they differ in their state and block function. */
struct digest {
	size_t words; /* of state; the digest is its first `size` bytes */
	size_t size;
	void (*block)(uint32_t *h, const uint8_t *p);
	uint32_t init[8];
};

struct digest_ctx {
	const struct digest *d;
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	uint8_t block[64];
	size_t used;
};

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t *h, const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], d = h[3], e = h[4], cc = h[2], f, k, t;
	size_t i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & cc) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ cc ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & cc) | (b & d) | (cc & d), k = 0x8f1bbcdc;
		else
			f = b ^ cc ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = cc;
		cc = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += cc;
	h[3] += d;
	h[4] += e;
}

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t *h, const uint8_t *p)
{
	static const uint32_t k[64] = {
	    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	    0xc67178f2};
	uint32_t w[64], v[8], t1, t2;
	size_t i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(*v));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

static const struct digest sha1_digest = {
    5, SHA1_SIZE, sha1_block, {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}};
static const struct digest sha256_digest = {8,
                                            SHA256_SIZE,
                                            sha256_block,
                                            {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}};

static void digest_init(struct digest_ctx *c, const struct digest *d)
{
	c->d = d;
	memcpy(c->h, d->init, sizeof(c->h));
	c->len = 0;
	c->used = 0;
}

static void digest_update(struct digest_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->len += len;
	while (len) {
		size_t n = 64 - c->used < len ? 64 - c->used : len;

		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			c->d->block(c->h, c->block);
			c->used = 0;
		}
	}
}

static void digest_final(struct digest_ctx *c, uint8_t *out)
{
	uint64_t bits = c->len * 8;
	uint8_t pad = 0x80, zero = 0, length[8];
	size_t i;

	digest_update(c, &pad, 1);
	while (c->used != 56)
		digest_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		length[i] = (uint8_t)(bits >> (56 - 8 * i));
	digest_update(c, length, 8);
	for (i = 0; i < c->d->size; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

static void digest(uint8_t *out, const struct digest *d, const void *data, size_t len)
{
	struct digest_ctx c;

	digest_init(&c, d);
	digest_update(&c, data, len);
	digest_final(&c, out);
}

/* RFC 2104, for hashes of 64-byte blocks. */
static void hmac(uint8_t *out, const struct digest *d, const void *key, size_t key_len,
                 const void *data, size_t len)
{
	uint8_t k[64] = {0}, pad[64], inner[SHA256_SIZE];
	struct digest_ctx c;
	size_t i;

	if (key_len > sizeof(k))
		digest(k, d, key, key_len);
	else
		memcpy(k, key, key_len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	digest_init(&c, d);
	digest_update(&c, pad, sizeof(pad));
	digest_update(&c, data, len);
	digest_final(&c, inner);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	digest_init(&c, d);
	digest_update(&c, pad, sizeof(pad));
	digest_update(&c, inner, d->size);
	digest_final(&c, out);
}

void sha1(uint8_t out[SHA1_SIZE], const void *data, size_t len)
{
	digest(out, &sha1_digest, data, len);
}

void hmac_sha1(uint8_t out[SHA1_SIZE], const void *key, size_t key_len, const void *data,
               size_t len)
{
	hmac(out, &sha1_digest, key, key_len, data, len);
}

void sha256(uint8_t out[SHA256_SIZE], const void *data, size_t len)
{
	digest(out, &sha256_digest, data, len);
}

void hmac_sha256(uint8_t out[SHA256_SIZE], const void *key, size_t key_len, const void *data,
                 size_t len)
{
	hmac(out, &sha256_digest, key, key_len, data, len);
}

int digest_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
