#ifndef BERTH_QUANTITY_H
#define BERTH_QUANTITY_H

#include "base/buf.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Kubernetes resource quantities ("1Gi", "500m", "1e3", "-2", ...), read
 * the way apimachinery's resource.ParseQuantity reads them (Kubernetes
 * 1.20), so that values can be compared by what they mean: 1Gi equals
 * 1024Mi and 0.5 equals 500m.
 *
 * The value is exact: a signed mantissa times a power of ten. As upstream
 * does, parsing rounds a value away from zero to a whole number of
 * nano-units (0.1n becomes 1n) and caps binary-suffixed values at 2^63-1.
 * Values Kubernetes could hold but this type cannot (more than 38
 * significant digits, or a power of ten beyond QUANTITY_SCALE_MAX) fail to
 * parse instead of overflowing.
 */

/* The largest power of ten a quantity may carry. */
#define QUANTITY_SCALE_MAX 1000000000

/* How a quantity is written back out; parsing remembers it from the suffix. */
enum quantity_format {
	QUANTITY_DECIMAL_SI,       /* "500m", "12M": powers of 1000 */
	QUANTITY_BINARY_SI,        /* "12Mi": powers of 1024 */
	QUANTITY_DECIMAL_EXPONENT, /* "12e6" */
};

/*
 * A parsed quantity, held by value; it owns no memory. Fill it with
 * quantity_parse().
 */
struct quantity {
	/* value = mantissa * 10^scale; the mantissa has no trailing zero
	 * digit, its magnitude is below 10^38, and zero has scale 0 */
	__int128 mantissa;
	int32_t scale; /* from -9 (nano-units) to QUANTITY_SCALE_MAX */
	enum quantity_format format;
	/* Kubernetes keeps the text it parsed as the quantity's string form
	 * (it does for "1Gi" and "+3", not for "1024Mi" or "1.5") */
	bool verbatim;
};

/*
 * Parse `s` into *out. Fails with "'<s>': not a quantity" where upstream
 * fails, and with "'<s>': quantity out of range" when the value does not
 * fit (see above); *out is only written on success. Like ParseQuantity it
 * allows no whitespace (the apiserver's JSON decoding trims it first).
 */
int quantity_parse(struct quantity *out, const char *s);

/* Compare by value: <0, 0 or >0 as a is less than, equal to or greater
 * than b. The format does not matter. */
int quantity_cmp(const struct quantity *a, const struct quantity *b);

/* True when both strings parse and have the same value ("1Gi" and
 * "1024Mi"); false otherwise, including when either fails to parse (the
 * error message is then set). */
bool quantity_equal_strings(const char *a, const char *b);

/*
 * Append the canonical form of q to `out`, as apimachinery's
 * Quantity.CanonicalizeBytes writes it: "1.5" -> "1500m", "1024Mi" ->
 * "1Gi", "0.5Gi" -> "512Mi", "12e5" -> "1200e3". The bytes belong to `out`.
 */
void quantity_canonicalize(struct buf *out, const struct quantity *q);

/*
 * Append the string Kubernetes stores for the quantity `s` (what
 * Quantity.String() returns after ParseQuantity): `s` itself when upstream
 * keeps the parsed text, the canonical form otherwise. Fails like
 * quantity_parse(), appending nothing.
 */
int quantity_normalize(struct buf *out, const char *s);

#endif
