/* The sockets of a curl handle, where another thread can shut them. */
#include "curl_sockets.h"

#include "../diff/base/alloc.h"

#include <sys/socket.h>
#include <unistd.h>

static curl_socket_t open_socket(void *p, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct curl_sockets *s = p;
	curl_socket_t fd = CURL_SOCKET_BAD;
	size_t i;

	(void)purpose;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < ARRAY_SIZE(s->fds) && s->fds[i] != CURL_SOCKET_BAD; i++)
		;
	/* More at once than it keeps: refused, as after an interrupt. */
	if (!s->interrupted && i < ARRAY_SIZE(s->fds) &&
	    (fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol)) >= 0)
		s->fds[i] = fd;
	pthread_mutex_unlock(&s->lock);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static int close_socket(void *p, curl_socket_t fd)
{
	struct curl_sockets *s = p;
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < ARRAY_SIZE(s->fds); i++)
		if (s->fds[i] == fd)
			s->fds[i] = CURL_SOCKET_BAD;
	close(fd);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void curl_sockets_init(struct curl_sockets *s, CURL *curl)
{
	size_t i;

	pthread_mutex_init(&s->lock, NULL);
	s->interrupted = false;
	for (i = 0; i < ARRAY_SIZE(s->fds); i++)
		s->fds[i] = CURL_SOCKET_BAD;
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, s);
	curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, s);
}

void curl_sockets_release(struct curl_sockets *s)
{
	pthread_mutex_destroy(&s->lock);
}

void curl_sockets_interrupt(struct curl_sockets *s)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	s->interrupted = true;
	for (i = 0; i < ARRAY_SIZE(s->fds); i++)
		if (s->fds[i] != CURL_SOCKET_BAD)
			shutdown(s->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
}

CURLcode curl_perform_waiting(CURL *curl)
{
	CURLM *m = curl_multi_init();
	CURLcode rc = CURLE_RECV_ERROR;
	CURLMsg *msg;
	int running = 1, left;

	if (!m || curl_multi_add_handle(m, curl) != CURLM_OK) {
		curl_multi_cleanup(m);
		return CURLE_OUT_OF_MEMORY;
	}
	while (running && curl_multi_perform(m, &running) == CURLM_OK && running &&
	       curl_multi_poll(m, NULL, 0, 60000, NULL) == CURLM_OK)
		;
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(m, curl);
	curl_multi_cleanup(m);
	return rc;
}
