/* A small HTTP/1.1 server on one thread for berth run's endpoints, bounded
 * in connections, bodies and time. */
#include "http_server.h"

#include "../../diff/base/clock.h"
#include "../../diff/base/http_status.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/fd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Cut the line that starts at *p (ended by CRLF) and step past it. */
static char *next_line(char **p)
{
	char *line = *p, *end = strstr(line, "\r\n");

	*end = '\0';
	*p = end + 2;
	return line;
}

static int parse_header(struct http_request *req, char *line, size_t max_body)
{
	char *colon = strchr(line, ':'), *value, *end;
	size_t i;

	/* No space before the colon, no obsolete line folding (RFC 9112 5). */
	if (!colon || colon == line)
		return -400;
	for (i = 0; line + i < colon; i++)
		if (!is_tchar(line[i]))
			return -400;
	if (req->nheaders == HTTP_MAX_HEADERS)
		return -431;
	*colon = '\0';
	value = colon + 1 + strspn(colon + 1, " \t");
	for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	for (i = 0; value[i]; i++)
		if ((unsigned char)value[i] < 0x20 && value[i] != '\t')
			return -400;
	if (!strcasecmp(line, "Content-Length")) {
		unsigned long long n = 0;

		if (!*value || value[strspn(value, "0123456789")])
			return -400;
		for (i = 0; value[i]; i++)
			if ((n = n * 10 + (unsigned)(value[i] - '0')) > max_body)
				return -413;
		/* Two different lengths are a smuggling attempt (RFC 9112 6.3). */
		if (http_request_header(req, "Content-Length") && req->content_length != n)
			return -400;
		req->content_length = (size_t)n;
	} else if (!strcasecmp(line, "Transfer-Encoding")) {
		return -411; /* bodies come with a length, or not at all */
	} else if (!strcasecmp(line, "Expect")) {
		if (strcasecmp(value, "100-continue"))
			return -417;
		req->expect_continue = true;
	}
	req->headers[req->nheaders].name = line;
	req->headers[req->nheaders++].value = value;
	return 0;
}

/* Is there a LF without its CR in buf[from, len)? (buf[from - 1] is read
 * when from > 0.) */
static bool bare_lf(const char *buf, size_t from, size_t len)
{
	size_t i;

	for (i = from; i < len; i++)
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return true;
	return false;
}

/* The blank line that ends the head, or NULL. */
static char *head_end(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4))
			return buf + i;
	return NULL;
}

int http_request_parse(struct http_request *req, char *buf, size_t len, size_t max_body)
{
	char *end = head_end(buf, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD), *p = buf, *line,
	     *target, *version;
	size_t i;
	int status;

	memset(req, 0, sizeof(*req));
	if (bare_lf(buf, 0,
	            end                   ? (size_t)(end - buf) + 4
	            : len < HTTP_MAX_HEAD ? len
	                                  : HTTP_MAX_HEAD))
		return -400;
	if (!end)
		return len >= HTTP_MAX_HEAD ? -431 : 0;
	if (memchr(buf, '\0', (size_t)(end - buf)))
		return -400;
	end[2] = '\0'; /* the head ends with the last header's CRLF */
	line = next_line(&p);
	target = strchr(line, ' ');
	if (!target)
		return -400;
	*target++ = '\0';
	version = strchr(target, ' ');
	if (!version)
		return -400;
	*version++ = '\0';
	for (i = 0; line[i]; i++)
		if (!is_tchar(line[i]))
			return -400;
	if (!*line || target[0] != '/')
		return -400;
	/* A target is visible ASCII (RFC 9112 3.2). */
	for (i = 0; target[i]; i++)
		if ((unsigned char)target[i] <= ' ' || (unsigned char)target[i] >= 0x7f)
			return -400;
	if (strcmp(version, "HTTP/1.1") && strcmp(version, "HTTP/1.0"))
		return strncmp(version, "HTTP/", 5) || strchr(version, ' ') ? -400 : -505;
	req->method = line;
	req->path = target;
	req->query = "";
	if ((target = strchr(target, '?'))) {
		*target = '\0';
		req->query = target + 1;
	}
	while (*p)
		if ((status = parse_header(req, next_line(&p), max_body)) < 0)
			return status;
	/* A 1.0 client does not wait for 100 Continue (RFC 9110 10.1.1). */
	if (strcmp(version, "HTTP/1.1"))
		req->expect_continue = false;
	return (int)(end + 4 - buf);
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (!strcasecmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

struct conn {
	int fd;
	double deadline;
	struct buf in; /* the head, until it is whole; then the body */
	struct buf out;
	size_t sent;
	size_t scanned;  /* bytes of `in` searched for the head's end */
	struct buf head; /* the whole head, parsed: req's strings point into it */
	bool parsed;
	struct http_request req;
	bool answered; /* `out` holds the whole answer */
	bool closing;  /* it is sent: what the peer still sends is read and dropped */
	bool reserved; /* its request may use the reserve (a probe) */
	double opened; /* when it was accepted: the oldest goes first */
	char peer[64]; /* the client's address */
};

struct http_server {
	struct http_server_options opts;
	http_handler_fn *fn;
	void *ctx;
	int listen_fd, wake[2];
	char address[64];
	pthread_t thread;
	struct conn *conns;
	size_t nconns;
};

static void answer(struct conn *c, int status, const char *content_type, const struct buf *body,
                   bool head)
{
	buf_addf(&c->out,
	         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	         "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
	         status, http_reason_phrase(status),
	         content_type ? content_type : "text/plain; charset=utf-8", body ? body->len : 0);
	if (body && !head)
		buf_add(&c->out, body->ptr, body->len);
	c->answered = true;
}

static void answer_error(struct conn *c, int status)
{
	struct buf body = BUF_INIT;

	buf_addf(&body, "%s\n", http_reason_phrase(status));
	answer(c, status, NULL, &body, false);
	buf_release(&body);
}

/* May `req` use the reserve: a GET (or HEAD) of one of opts.reserved? */
static bool may_use_reserve(const struct http_server *s, const struct http_request *req)
{
	const char *const *p;

	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
		return false;
	for (p = s->opts.reserved; p && *p; p++)
		if (!strcmp(req->path, *p))
			return true;
	return false;
}

/* The connections whose request may not use the reserve (or is not known
 * yet), each one not answered yet. */
static size_t unreserved(const struct http_server *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nconns; i++)
		n += !s->conns[i].reserved && !s->conns[i].answered;
	return n;
}

/* Once the head is whole, parse a copy of it: the request's strings point
 * into the copy, which stays put while `in` grows with the body. Only new
 * bytes are searched for the head's end, so a head that trickles in costs
 * linear time. Returns false when there is nothing more to do yet. */
static bool parse_head(struct http_server *s, struct conn *c)
{
	size_t from = c->scanned > 3 ? c->scanned - 3 : 0, end;
	char *blank = head_end(c->in.ptr + from, c->in.len - from);
	int n;

	c->scanned = c->in.len;
	/* A line ended by a bare LF will never end in a CRLF: say so now. */
	if (bare_lf(c->in.ptr, from, blank ? (size_t)(blank - c->in.ptr) + 4 : c->in.len)) {
		answer_error(c, 400);
		return false;
	}
	if (!blank) {
		if (c->in.len >= HTTP_MAX_HEAD)
			answer_error(c, 431);
		return false;
	}
	end = (size_t)(blank - c->in.ptr) + 4;
	buf_add(&c->head, c->in.ptr, end);
	n = http_request_parse(&c->req, c->head.ptr, c->head.len, s->opts.max_body);
	if (n <= 0) {
		answer_error(c, n < 0 ? -n : 400);
		return false;
	}
	c->parsed = true;
	c->in.len -= end;
	memmove(c->in.ptr, c->in.ptr + end, c->in.len + 1);
	c->reserved = may_use_reserve(s, &c->req);
	if (!c->reserved && unreserved(s) > s->opts.max_connections - s->opts.reserve) {
		answer_error(c, 503);
		return false;
	}
	/* Nothing has checked a body yet: it gets a deadline of its own,
	 * by its length, so a trickle cannot hold a connection long. */
	if (c->req.content_length) {
		double by = clock_now_ms() + (double)s->opts.body_ms *
		                                 (double)((c->req.content_length + 65535) / 65536);
		c->deadline = by < c->deadline ? by : c->deadline;
	}
	if (c->req.expect_continue && c->in.len < c->req.content_length)
		buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return true;
}

/* A whole request has been read, or part of it: answer when we can. */
static void serve(struct http_server *s, struct conn *c)
{
	struct http_response resp = {200, NULL, BUF_INIT};

	if (!c->parsed && !parse_head(s, c))
		return;
	if (c->in.len < c->req.content_length)
		return;
	/* A client may not send a second request: one per connection. */
	c->in.ptr[c->req.content_length] = '\0';
	c->req.body = c->in.ptr;
	c->req.peer = c->peer;
	s->fn(&resp, &c->req, s->ctx);
	answer(c, resp.status, resp.content_type, &resp.body, !strcmp(c->req.method, "HEAD"));
	buf_release(&resp.body);
}

static void conn_close(struct http_server *s, size_t i)
{
	struct conn *c = &s->conns[i];

	close(c->fd);
	buf_release(&c->in);
	buf_release(&c->out);
	buf_release(&c->head);
	s->conns[i] = s->conns[--s->nconns];
}

/* Read what the peer sent; false when the connection is done with. */
static bool conn_read(struct http_server *s, struct conn *c)
{
	char chunk[4096];
	size_t cap = c->parsed ? c->req.content_length : HTTP_MAX_HEAD;
	size_t room = cap > c->in.len ? cap - c->in.len : 0;
	ssize_t n;

	if (!c->closing && room == 0)
		return true;
	n = recv(c->fd, chunk, c->closing || sizeof(chunk) < room ? sizeof(chunk) : room, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n > 0 && !c->closing) {
		buf_add(&c->in, chunk, (size_t)n);
		serve(s, c);
	}
	return true;
}

/* Send what is pending; false when the connection is done with. */
static bool conn_write(struct conn *c)
{
	ssize_t n = send(c->fd, c->out.ptr + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->sent += (size_t)n;
	if (c->sent == c->out.len && c->answered && !c->closing) {
		/* Closing now, with unread bytes from the peer, would reset
		 * the connection and could lose the answer before the peer
		 * reads it (a 413 or a 431): close when it stops sending, or
		 * in a second at most (RFC 9112 9.6). */
		shutdown(c->fd, SHUT_WR);
		c->closing = true;
		if (c->deadline > clock_now_ms() + 1000)
			c->deadline = clock_now_ms() + 1000;
	}
	return true;
}

/* "host:port", or "[v6]:port", of a socket address. */
static void format_address(char *out, size_t size, const struct sockaddr_storage *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, size, sa->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

static void accept_one(struct http_server *s)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	int fd = accept(s->listen_fd, (struct sockaddr *)&sa, &salen);
	struct conn *c;
	size_t i, oldest = SIZE_MAX;

	if (fd < 0)
		return;
	fd_cloexec(fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (s->nconns == s->opts.max_connections) {
		/* Full: make room by dropping the oldest connection not
		 * answered yet, still sending its head or its body, so that
		 * idle or trickling connections cannot lock out health
		 * checks. */
		for (i = 0; i < s->nconns; i++)
			if (!s->conns[i].answered && !s->conns[i].reserved &&
			    (oldest == SIZE_MAX || s->conns[i].opened < s->conns[oldest].opened))
				oldest = i;
		if (oldest == SIZE_MAX) {
			close(fd);
			return;
		}
		conn_close(s, oldest);
	}
	c = &s->conns[s->nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	format_address(c->peer, sizeof(c->peer), &sa);
	c->opened = clock_now_ms();
	c->deadline = c->opened + (double)s->opts.timeout_ms;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->head);
}

static void *serve_loop(void *arg)
{
	struct http_server *s = arg;
	struct pollfd *fds = xcalloc(s->opts.max_connections + 2, sizeof(*fds));

	for (;;) {
		double now = clock_now_ms(), next = now + 1000;
		size_t i, n = 2;

		fds[0] = (struct pollfd){s->wake[0], POLLIN, 0};
		fds[1] = (struct pollfd){s->listen_fd, POLLIN, 0};
		for (i = 0; i < s->nconns; i++, n++) {
			struct conn *c = &s->conns[i];

			fds[n] = (struct pollfd){c->fd,
			                         (short)((c->answered && !c->closing ? 0 : POLLIN) |
			                                 (c->sent < c->out.len ? POLLOUT : 0)),
			                         0};
			next = c->deadline < next ? c->deadline : next;
		}
		if (poll(fds, n, next > now ? (int)(next - now) + 1 : 0) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		/* Walk backwards: closing moves the last connection into i. */
		for (i = s->nconns; i-- > 0;) {
			struct conn *c = &s->conns[i];
			short ev = fds[2 + i].revents;
			bool open = true;

			if ((ev & (POLLIN | POLLHUP | POLLERR)) && (!c->answered || c->closing))
				open = conn_read(s, c);
			if (open && c->sent < c->out.len)
				open = conn_write(c);
			if (open && clock_now_ms() > c->deadline) {
				/* Too slow: say so if nothing was said, then hang up. */
				if (!c->answered && c->sent == c->out.len) {
					answer_error(c, 408);
					conn_write(c);
				}
				open = false;
			}
			if (!open)
				conn_close(s, i);
		}
		if (fds[1].revents & POLLIN)
			accept_one(s);
	}
	while (s->nconns)
		conn_close(s, s->nconns - 1);
	free(fds);
	return NULL;
}

/* Split "host:port", ":port" or "[v6]:port". */
static int split_address(struct buf *host, struct buf *port, const char *address)
{
	const char *colon;

	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close[1] != ':')
			goto bad;
		buf_add(host, address + 1, (size_t)(close - address - 1));
		colon = close + 1;
	} else {
		if (!(colon = strrchr(address, ':')) || strchr(address, ':') != colon)
			goto bad;
		buf_add(host, address, (size_t)(colon - address));
	}
	if (!colon[1] || colon[1 + strspn(colon + 1, "0123456789")])
		goto bad;
	buf_adds(port, colon + 1);
	return 0;
bad:
	return berth_error_set("listen address '%s': use host:port, :port or [v6]:port", address);
}

static int listen_on(struct http_server *s)
{
	struct addrinfo hints, *res = NULL, *ai;
	int pass, zero = 0;
	struct buf host = BUF_INIT, port = BUF_INIT;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST], p[NI_MAXSERV];
	int error, fd = -1, one = 1, saved = 0;

	if ((error = split_address(&host, &port, s->opts.address)) < 0)
		goto out;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host.len ? host.ptr : NULL, port.ptr, &hints, &res))) {
		error = berth_error_set("listen address '%s': %s", s->opts.address,
		                        gai_strerror(error));
		goto out;
	}
	/* ":port" is every interface: IPv6 and IPv4 on one socket where the
	 * system has IPv6, so an IPv6 address first; IPv4 alone else. */
	for (pass = host.len ? 1 : 0; pass < 2 && fd < 0; pass++)
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			if (pass == 0 && ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			            ai->ai_protocol);
			if (fd < 0)
				continue;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (pass == 0)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
				break;
			saved = errno;
			close(fd);
			fd = -1;
		}
	if (fd < 0) {
		error = berth_error_set("cannot listen on '%s': %s", s->opts.address,
		                        strerror(saved ? saved : EADDRNOTAVAIL));
		goto out;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
	            NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(s->address, sizeof(s->address), strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
	s->listen_fd = fd;
	error = 0;
out:
	if (res)
		freeaddrinfo(res);
	buf_release(&host);
	buf_release(&port);
	return error;
}

int http_server_new(struct http_server **out, const struct http_server_options *opts,
                    http_handler_fn *fn, void *ctx)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	int error;

	s->opts = *opts;
	s->fn = fn;
	s->ctx = ctx;
	s->listen_fd = s->wake[0] = s->wake[1] = -1;
	if ((error = listen_on(s)) < 0)
		goto fail;
	if (pipe(s->wake) < 0) {
		error = berth_error_set("cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	fd_cloexec(s->wake[0]);
	fd_cloexec(s->wake[1]);
	s->conns = xcalloc(s->opts.max_connections, sizeof(*s->conns));
	if ((errno = pthread_create(&s->thread, NULL, serve_loop, s))) {
		error = berth_error_set("cannot start the HTTP server: %s", strerror(errno));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	free(s->conns);
	free(s);
	return error;
}

const char *http_server_address(const struct http_server *s)
{
	return s->address;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (write(s->wake[1], "x", 1) == 1)
		pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->listen_fd);
	free(s->conns);
	free(s);
}
