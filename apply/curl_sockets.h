#ifndef BERTH_CURL_SOCKETS_H
#define BERTH_CURL_SOCKETS_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

/*
 * The sockets a curl handle opens, kept where another thread can shut them:
 * the way to end a transfer that waits long with nothing to do (a watch)
 * without waking it each second to ask. Embedded by value in the handle's
 * owner: curl_sockets_init(), then curl_sockets_release() once the handle
 * is cleaned up.
 */
struct curl_sockets {
	pthread_mutex_t lock;
	curl_socket_t fds[4];
	bool interrupted; /* no socket opens any more */
};

/* Start keeping the sockets `curl` opens in `s`. */
void curl_sockets_init(struct curl_sockets *s, CURL *curl);
void curl_sockets_release(struct curl_sockets *s);

/* From any thread: shut every socket open now, and refuse every later one,
 * so that the transfer under way ends at once, as does any after it. */
void curl_sockets_interrupt(struct curl_sockets *s);

/* curl_easy_perform() for a transfer that may wait long: the easy
 * interface wakes each second (its poll is capped at one); this sleeps
 * until data comes, a timeout passes, or an interrupt. */
CURLcode curl_perform_waiting(CURL *curl);

#endif
