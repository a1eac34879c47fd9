/* OpenSSH known_hosts files: the host keys an ssh remote must present. */
#include "known_hosts.h"

#include "../../diff/base/base64.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/digest.h"

#include <stdbool.h>
#include <string.h>

/* Is the hashed name "|1|salt|hash" that of `name`? */
static bool hashed_match(const char *pattern, size_t len, const char *name)
{
	const char *salt = pattern + 3, *bar = memchr(salt, '|', len - 3);
	struct buf key = BUF_INIT, want = BUF_INIT;
	uint8_t got[SHA1_SIZE];
	bool match = false;

	if (bar && base64_decode(&key, salt, (size_t)(bar - salt)) == 0 &&
	    base64_decode(&want, bar + 1, len - (size_t)(bar + 1 - pattern)) == 0 &&
	    want.len == SHA1_SIZE) {
		hmac_sha1(got, key.ptr, key.len, name, strlen(name));
		match = !memcmp(got, want.ptr, SHA1_SIZE);
	}
	buf_release(&key);
	buf_release(&want);
	return match;
}

/* OpenSSH's patterns: '*' and '?' are wild, everything else ('[' too) is
 * itself. */
static bool wild_match(const char *p, size_t n, const char *name)
{
	for (; n; p++, n--, name++) {
		if (*p == '*') {
			for (;; name++) {
				if (wild_match(p + 1, n - 1, name))
					return true;
				if (!*name)
					return false;
			}
		}
		if (!*name || (*p != '?' && *p != *name))
			return false;
	}
	return !*name;
}

/* Do the comma-separated patterns of an entry name `name`? A negated
 * pattern that matches rules the entry out. */
static bool hosts_match(const char *patterns, size_t len, const char *name)
{
	struct buf one = BUF_INIT;
	bool match = false, negated_match = false;
	size_t n;

	while (len) {
		bool negated = *patterns == '!';

		n = strcspn(patterns, ",");
		n = n < len ? n : len;
		buf_reset(&one);
		buf_add(&one, patterns + negated, n - negated);
		if (!strncmp(one.ptr, "|1|", 3) ? hashed_match(one.ptr, one.len, name)
		                                : wild_match(one.ptr, one.len, name)) {
			if (negated)
				negated_match = true;
			else
				match = true;
		}
		patterns += n + (n < len);
		len -= n + (n < len);
	}
	buf_release(&one);
	return match && !negated_match;
}

static bool is_word(const char *f, size_t n, const char *word)
{
	return n == strlen(word) && !strncmp(f, word, n);
}

/* The next whitespace-separated field of [*p, end), advancing *p. */
static size_t field(const char **start, const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*start = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	return (size_t)(*p - *start);
}

enum known_host known_hosts_check(const char *text, size_t len, const char *host, int port,
                                  const void *key, size_t key_len)
{
	const char *end = text + len, *line, *eol;
	struct buf name = BUF_INIT, blob = BUF_INIT;
	bool named = false, matched = false, revoked = false;

	if (port == 22)
		buf_adds(&name, host);
	else
		buf_addf(&name, "[%s]:%d", host, port);
	for (line = text; line < end; line = eol + 1) {
		const char *p = line, *f, *hosts;
		size_t n, nhosts;
		bool is_revoked = false;

		if (!(eol = memchr(line, '\n', (size_t)(end - line))))
			eol = end;
		n = field(&f, &p, eol);
		if (!n || *f == '#')
			continue;
		if (*f == '@') {
			if (is_word(f, n, "@cert-authority"))
				continue;
			is_revoked = is_word(f, n, "@revoked");
			if (!is_revoked)
				continue;
			n = field(&f, &p, eol);
		}
		hosts = f;
		nhosts = n;
		if (!field(&f, &p, eol) || !(n = field(&f, &p, eol)) ||
		    !hosts_match(hosts, nhosts, name.ptr))
			continue;
		buf_reset(&blob);
		if (base64_decode(&blob, f, n) < 0)
			continue;
		if (blob.len == key_len && !memcmp(blob.ptr, key, key_len)) {
			if (is_revoked)
				revoked = true;
			else
				matched = true;
		}
		named |= !is_revoked;
	}
	buf_release(&name);
	buf_release(&blob);
	return revoked   ? KNOWN_HOST_REVOKED
	       : matched ? KNOWN_HOST_MATCH
	       : named   ? KNOWN_HOST_CHANGED
	                 : KNOWN_HOST_UNKNOWN;
}
