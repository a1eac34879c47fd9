/* Kubernetes resource quantities ("1Gi", "500m"), parsed and compared. */
#include "quantity.h"

#include "base/alloc.h"
#include "base/berth_error.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

/* A mantissa keeps at most this many digits: 10^38 - 1 < 2^127. */
#define MAX_DIGITS 38

/*
 * Binary fractions are multiplied out on this many digits. A value times
 * 2^60 (the largest binary suffix), rounded at 10^-9, depends on no more
 * than 69 fractional digits of the input; the rest only tell whether to
 * round up.
 */
#define FRACTION_DIGITS 70

#define NANO_PER_UNIT 1000000000u

/* The pieces of a quantity string, as upstream's parseQuantityString cuts
 * them. Spans point into the parsed string. */
struct scan {
	bool negative;
	bool has_digit;  /* the number before the suffix has a digit */
	const char *num; /* integer digits after leading zeros; none reads as 0 */
	size_t num_len;
	const char *denom; /* fraction digits, trailing zeros kept */
	size_t denom_len;
	const char *suffix;
	size_t suffix_len;
};

static const struct {
	const char *text;
	enum quantity_format format;
	int exponent; /* of 10, or of 2 for binary suffixes */
} suffixes[] = {
    {"", QUANTITY_DECIMAL_SI, 0},   {"n", QUANTITY_DECIMAL_SI, -9}, {"u", QUANTITY_DECIMAL_SI, -6},
    {"m", QUANTITY_DECIMAL_SI, -3}, {"k", QUANTITY_DECIMAL_SI, 3},  {"M", QUANTITY_DECIMAL_SI, 6},
    {"G", QUANTITY_DECIMAL_SI, 9},  {"T", QUANTITY_DECIMAL_SI, 12}, {"P", QUANTITY_DECIMAL_SI, 15},
    {"E", QUANTITY_DECIMAL_SI, 18}, {"Ki", QUANTITY_BINARY_SI, 10}, {"Mi", QUANTITY_BINARY_SI, 20},
    {"Gi", QUANTITY_BINARY_SI, 30}, {"Ti", QUANTITY_BINARY_SI, 40}, {"Pi", QUANTITY_BINARY_SI, 50},
    {"Ei", QUANTITY_BINARY_SI, 60},
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_suffix_char(char c)
{
	return c != '\0' && strchr("eEinumkKMGTP", c) != NULL;
}

static unsigned __int128 pow10_u128(unsigned n)
{
	unsigned __int128 p = 1;

	BERTH_ASSERT(n <= MAX_DIGITS);
	while (n--)
		p *= 10;
	return p;
}

static unsigned __int128 magnitude(__int128 v)
{
	return v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
}

/* Write the decimal digits of v and a NUL to `digits` (40 bytes); return
 * how many digits there are. */
static size_t u128_to_digits(char *digits, unsigned __int128 v)
{
	char tmp[40];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		digits[i] = tmp[n - 1 - i];
	digits[n] = '\0';
	return n;
}

static size_t count_digits(unsigned __int128 v)
{
	char digits[40];

	return u128_to_digits(digits, v);
}

/* Split s[0..end) like parseQuantityString; false when it has the wrong
 * shape. Upstream reads a missing number as 0: "-", "." and "Gi" pass. */
static bool scan_quantity(struct scan *sc, const char *s, size_t end)
{
	size_t pos = 0, start;

	memset(sc, 0, sizeof(*sc));
	sc->num = sc->denom = sc->suffix = s + end;
	if (pos < end && (s[pos] == '-' || s[pos] == '+')) {
		sc->negative = s[pos] == '-';
		pos++;
	}
	start = pos;
	while (pos < end && s[pos] == '0')
		pos++;
	sc->has_digit = pos > start;
	if (pos >= end) {
		/* upstream's number is then "0", even for a bare sign */
		sc->has_digit = true;
		return true;
	}

	start = pos;
	while (pos < end && is_digit(s[pos]))
		pos++;
	sc->num = s + start;
	sc->num_len = pos - start;
	sc->has_digit = sc->has_digit || sc->num_len;
	if (pos >= end)
		return true;

	if (s[pos] == '.') {
		start = ++pos;
		while (pos < end && is_digit(s[pos]))
			pos++;
		sc->denom = s + start;
		sc->denom_len = pos - start;
		sc->has_digit = sc->has_digit || sc->denom_len;
		if (pos >= end)
			return true;
	}

	start = pos;
	while (pos < end && is_suffix_char(s[pos]))
		pos++;
	if (pos < end && (s[pos] == '-' || s[pos] == '+'))
		pos++;
	while (pos < end && is_digit(s[pos]))
		pos++;
	if (pos < end)
		return false;
	sc->suffix = s + start;
	sc->suffix_len = end - start;
	return true;
}

/*
 * strconv.ParseInt(s, 10, 64) followed by Go's int32() conversion, which
 * keeps the low 32 bits: upstream reads "1e4294967296" as 1e0.
 */
static bool parse_exponent(int32_t *out, const char *s, size_t len)
{
	bool negative = false;
	uint64_t v = 0, limit;
	uint32_t low;
	size_t i = 0;

	if (i < len && (s[i] == '+' || s[i] == '-')) {
		negative = s[i] == '-';
		i++;
	}
	if (i == len)
		return false;
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d;

		if (!is_digit(s[i]))
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (negative)
		v = 0 - v;
	low = (uint32_t)v;
	*out = low <= INT32_MAX ? (int32_t)low : -(int32_t)(UINT32_MAX - low) - 1;
	return true;
}

static bool interpret_suffix(enum quantity_format *format, int32_t *exponent, const char *s,
                             size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		if (strlen(suffixes[i].text) == len && !memcmp(suffixes[i].text, s, len)) {
			*format = suffixes[i].format;
			*exponent = suffixes[i].exponent;
			return true;
		}
	}
	if (len > 1 && (s[0] == 'e' || s[0] == 'E') && parse_exponent(exponent, s + 1, len - 1)) {
		*format = QUANTITY_DECIMAL_EXPONENT;
		return true;
	}
	return false;
}

static size_t int_len(const struct scan *sc)
{
	return sc->num_len ? sc->num_len : 1;
}

/* Digit i of upstream's "shifted" string: integer digits ("0" when there
 * are none) followed by the fraction digits. */
static unsigned digit_at(const struct scan *sc, size_t i)
{
	size_t n = int_len(sc);

	if (i < n)
		return sc->num_len ? (unsigned)(sc->num[i] - '0') : 0;
	return (unsigned)(sc->denom[i - n] - '0');
}

/*
 * Upstream parses short numbers on an int64 fast path and the rest through
 * inf.Dec. Both give the same value, but only the fast path keeps the
 * input text as the string form, and only the slow path insists on a
 * digit ("Gi" is zero, "Pi" is an error).
 */
static bool fast_path(bool *verbatim, const struct scan *sc, enum quantity_format format,
                      int32_t exponent)
{
	size_t len = int_len(sc) + sc->denom_len;
	int64_t scale;
	uint64_t value = 0;
	size_t i;

	*verbatim = false;
	if (format == QUANTITY_BINARY_SI) {
		if (sc->denom_len || 15 - (int64_t)int_len(sc) - exponent * 3 / 10 - 1 < 0)
			return false;
		for (i = 0; i < sc->num_len; i++)
			value = value * 10 + digit_at(sc, i);
		*verbatim = (value & 7) != 0;
		return true;
	}
	if (len > 18)
		return false;
	scale = (int64_t)exponent - (int64_t)sc->denom_len;
	if (scale < -9)
		return false;
	*verbatim = scale % 3 == 0 && sc->num_len > 0 &&
	            !(len >= 3 && !digit_at(sc, len - 1) && !digit_at(sc, len - 2) &&
	              !digit_at(sc, len - 3));
	return true;
}

/*
 * The magnitude of a decimal-suffixed number as *mantissa * 10^*scale,
 * rounded up to a whole number of nano-units. Returns false when that
 * needs more than MAX_DIGITS digits.
 */
static bool decimal_value(unsigned __int128 *mantissa, int64_t *scale, const struct scan *sc,
                          int32_t exponent)
{
	size_t len = int_len(sc) + sc->denom_len, i;
	int64_t top = (int64_t)exponent + (int64_t)int_len(sc) - 1; /* weight of digit 0 */
	unsigned __int128 m = 0;
	int64_t m_scale = 0;
	size_t used = 0, zeros = 0;
	bool below_nano = false;

	for (i = 0; i < len; i++) {
		unsigned d = digit_at(sc, i);
		int64_t weight = top - (int64_t)i;

		if (weight < -9) {
			below_nano = below_nano || d;
			continue;
		}
		if (!d) {
			zeros += used > 0;
			continue;
		}
		if (zeros + 1 > MAX_DIGITS - used)
			return false;
		m = m * pow10_u128((unsigned)(zeros + 1)) + d;
		used += zeros + 1;
		zeros = 0;
		m_scale = weight;
	}
	if (below_nano) {
		/* RoundUp at 10^-9: whatever is left over counts as one more nano-unit */
		if (!m) {
			m_scale = -9;
		} else {
			if ((uint64_t)(m_scale + 9) > MAX_DIGITS - used)
				return false;
			m *= pow10_u128((unsigned)(m_scale + 9));
			m_scale = -9;
		}
		m++;
	}
	*mantissa = m;
	*scale = m_scale;
	return true;
}

/*
 * The magnitude of a binary-suffixed number (digits * 2^exponent) in
 * nano-units, rounded up. Returns false when it is above 2^63-1, where
 * upstream caps it.
 */
static bool binary_nanos(unsigned __int128 *nanos, const struct scan *sc, int exponent)
{
	const unsigned __int128 max = INT64_MAX;
	unsigned char frac[FRACTION_DIGITS];
	unsigned __int128 whole = 0, carried = 0, n;
	bool rest = false;
	size_t i;
	int step;

	if (sc->num_len > 19)
		return false;
	for (i = 0; i < sc->num_len; i++)
		whole = whole * 10 + digit_at(sc, i);
	whole <<= exponent;
	if (whole > max)
		return false;

	for (i = 0; i < FRACTION_DIGITS; i++)
		frac[i] = (unsigned char)(i < sc->denom_len ? sc->denom[i] - '0' : 0);
	for (i = FRACTION_DIGITS; i < sc->denom_len && !rest; i++)
		rest = sc->denom[i] != '0';
	/* times 1024 per step, exactly: the carries make the integer part */
	for (step = 0; step < exponent / 10; step++) {
		unsigned carry = 0;

		for (i = FRACTION_DIGITS; i-- > 0;) {
			unsigned v = frac[i] * 1024u + carry;

			frac[i] = (unsigned char)(v % 10);
			carry = v / 10;
		}
		carried = carried * 1024 + carry;
	}
	whole += carried;
	if (whole > max)
		return false;

	n = whole * NANO_PER_UNIT;
	for (i = 0; i < 9; i++)
		n += frac[i] * pow10_u128((unsigned)(8 - i));
	for (i = 9; i < FRACTION_DIGITS && !rest; i++)
		rest = frac[i] != 0;
	n += rest;
	if (n > max * NANO_PER_UNIT)
		return false;
	*nanos = n;
	return true;
}

int quantity_parse(struct quantity *out, const char *s)
{
	struct quantity q = {0};
	struct scan sc;
	enum quantity_format format;
	int32_t exponent;
	unsigned __int128 m = 0;
	int64_t scale = 0;
	bool verbatim;
	size_t len = strlen(s);

	if (!strcmp(s, "0")) {
		q.format = QUANTITY_DECIMAL_SI;
		q.verbatim = true;
		*out = q;
		return 0;
	}
	if (!len || !scan_quantity(&sc, s, len) ||
	    !interpret_suffix(&format, &exponent, sc.suffix, sc.suffix_len))
		return berth_error_set("'%s': not a quantity", s);
	if (!fast_path(&verbatim, &sc, format, exponent) && !sc.has_digit)
		return berth_error_set("'%s': not a quantity", s);

	if (format == QUANTITY_BINARY_SI) {
		scale = -9;
		if (!binary_nanos(&m, &sc, exponent)) {
			m = INT64_MAX;
			scale = 0;
		}
	} else if (exponent < -QUANTITY_SCALE_MAX || exponent > QUANTITY_SCALE_MAX ||
	           !decimal_value(&m, &scale, &sc, exponent)) {
		return berth_error_set("'%s': quantity out of range", s);
	}
	while (m && m % 10 == 0) {
		m /= 10;
		scale++;
	}
	if (!m)
		scale = 0;
	if (scale > QUANTITY_SCALE_MAX)
		return berth_error_set("'%s': quantity out of range", s);

	/* upstream writes a binary value between 0 and 1 as decimal */
	if (format == QUANTITY_BINARY_SI && m && (int64_t)count_digits(m) + scale <= 0)
		format = QUANTITY_DECIMAL_SI;
	q.mantissa = sc.negative ? -(__int128)m : (__int128)m;
	q.scale = (int32_t)scale;
	q.format = format;
	q.verbatim = verbatim;
	*out = q;
	return 0;
}

/* Compare |a| and |b|, both non-zero. */
static int cmp_magnitude(const struct quantity *a, const struct quantity *b)
{
	char da[40], db[40];
	size_t na = u128_to_digits(da, magnitude(a->mantissa));
	size_t nb = u128_to_digits(db, magnitude(b->mantissa));
	/* a lies in [10^(ea-1), 10^ea) */
	int64_t ea = (int64_t)na + a->scale, eb = (int64_t)nb + b->scale;
	size_t i;

	if (ea != eb)
		return ea < eb ? -1 : 1;
	for (i = 0; i < na || i < nb; i++) {
		char ca = i < na ? da[i] : '0', cb = i < nb ? db[i] : '0';

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
	int sa = (a->mantissa > 0) - (a->mantissa < 0);
	int sb = (b->mantissa > 0) - (b->mantissa < 0);

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (!sa)
		return 0;
	return sa * cmp_magnitude(a, b);
}

bool quantity_equal_strings(const char *a, const char *b)
{
	struct quantity qa, qb;

	return !quantity_parse(&qa, a) && !quantity_parse(&qb, b) && !quantity_cmp(&qa, &qb);
}

/* Binary form of an integer value of at least 1024 in magnitude:
 * AsCanonicalBase1024Bytes. */
static void add_binary(struct buf *out, bool negative, unsigned __int128 mag, int64_t exponent)
{
	static const char *const binary_suffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	char digits[40];
	size_t k = 0;

	/* parsing caps binary values at 2^63-1 */
	BERTH_ASSERT(exponent >= 0 && exponent <= 18);
	mag *= pow10_u128((unsigned)exponent);
	BERTH_ASSERT(mag <= INT64_MAX);
	while (mag >= 1024 && mag % 1024 == 0) {
		mag /= 1024;
		k++;
	}
	if (negative)
		buf_addch(out, '-');
	u128_to_digits(digits, mag);
	buf_adds(out, digits);
	buf_adds(out, binary_suffixes[k]);
}

void quantity_canonicalize(struct buf *out, const struct quantity *q)
{
	static const char *const decimal_suffixes[] = {"n", "u", "m", "",  "k",
	                                               "M", "G", "T", "P", "E"};
	unsigned __int128 mag = magnitude(q->mantissa);
	enum quantity_format format = q->format;
	int64_t exponent = q->scale;
	char digits[40];

	if (!mag) {
		buf_addch(out, '0');
		return;
	}
	while (mag % 10 == 0) {
		mag /= 10;
		exponent++;
	}
	/* binary only for whole numbers outside (-1024, 1024): no rounding */
	if (format == QUANTITY_BINARY_SI) {
		if (exponent < 0)
			format = QUANTITY_DECIMAL_SI;
		else if ((int64_t)count_digits(mag) + exponent <= 4 &&
		         mag * pow10_u128((unsigned)exponent) < 1024)
			format = QUANTITY_DECIMAL_SI;
	}
	if (format == QUANTITY_BINARY_SI) {
		add_binary(out, q->mantissa < 0, mag, exponent);
		return;
	}

	if (q->mantissa < 0)
		buf_addch(out, '-');
	u128_to_digits(digits, mag);
	buf_adds(out, digits);
	/* down to a multiple of three, as Go's % truncates: 1e-1 is 100m */
	while (exponent % 3 != 0) {
		buf_addch(out, '0');
		exponent--;
	}
	if (format == QUANTITY_DECIMAL_EXPONENT) {
		if (exponent)
			buf_addf(out, "e%" PRId64, exponent);
	} else if (exponent >= -9 && exponent <= 18) {
		buf_adds(out, decimal_suffixes[(exponent + 9) / 3]);
	}
	/* upstream has no suffix past E and drops it: 1000E is written "1" */
}

int quantity_normalize(struct buf *out, const char *s)
{
	struct quantity q;

	if (quantity_parse(&q, s) < 0)
		return BERTH_ERROR;
	if (q.verbatim)
		buf_adds(out, s);
	else
		quantity_canonicalize(out, &q);
	return 0;
}
