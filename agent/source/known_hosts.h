#ifndef BERTH_KNOWN_HOSTS_H
#define BERTH_KNOWN_HOSTS_H

#include <stddef.h>

/* What an OpenSSH known_hosts file says of a host's key. */
enum known_host {
	KNOWN_HOST_MATCH,   /* an entry for the host holds this key */
	KNOWN_HOST_UNKNOWN, /* no entry names the host */
	KNOWN_HOST_CHANGED, /* entries name the host, with other keys */
	KNOWN_HOST_REVOKED, /* the key is marked @revoked */
};

/*
 * Look up `host` on `port` (22: "host", else "[host]:port", as ssh writes
 * them) with the key blob `key` (the SSH wire format, as the server sent
 * it) in the text of a known_hosts file: plain and hashed (|1|salt|hash)
 * names, patterns with * ? and !, @revoked; @cert-authority lines are not
 * used.
 */
enum known_host known_hosts_check(const char *text, size_t len, const char *host, int port,
                                  const void *key, size_t key_len);

#endif
