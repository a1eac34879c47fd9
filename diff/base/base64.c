/* Base64 (RFC 4648), for kubeconfig data and Secrets. */
#include "base64.h"

#include "berth_error.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct buf *out, const char *in, size_t len)
{
	unsigned int acc = 0;
	int bits = 0, pad = 0;
	size_t i, start = out->len;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = value_of(c);
		if (v < 0 || pad)
			goto invalid;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(out, (char)((acc >> bits) & 0xff));
		}
	}
	/* Leftover bits must be the zero padding of a final partial group. */
	if (bits >= 6 || pad > 2 || (acc & ((1u << bits) - 1)) != 0)
		goto invalid;
	return 0;
invalid:
	out->len = start;
	out->ptr[start] = '\0';
	return berth_error_set("invalid base64 data");
}

void base64_encode(struct buf *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned int v = (unsigned int)p[i] << 16 | (unsigned int)p[i + 1] << 8 | p[i + 2];
		buf_addch(out, alphabet[v >> 18 & 63]);
		buf_addch(out, alphabet[v >> 12 & 63]);
		buf_addch(out, alphabet[v >> 6 & 63]);
		buf_addch(out, alphabet[v & 63]);
	}
	if (i < len) {
		unsigned int v = (unsigned int)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)p[i + 1] << 8;
		buf_addch(out, alphabet[v >> 18 & 63]);
		buf_addch(out, alphabet[v >> 12 & 63]);
		buf_addch(out, i + 1 < len ? alphabet[v >> 6 & 63] : '=');
		buf_addch(out, '=');
	}
}
