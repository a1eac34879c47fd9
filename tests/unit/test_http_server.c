#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse(struct http_request *req, const char *text)
{
	static char buf[HTTP_MAX_HEAD + 64];

	snprintf(buf, sizeof(buf), "%s", text);
	return http_request_parse(req, buf, strlen(buf), 1000);
}

static void test_http_server__parses_a_request_head(void **state)
{
	static const char head[] = "POST /hooks/github?x=1 HTTP/1.1\r\n"
	                           "Host: localhost\r\n"
	                           "X-Hub-Signature-256:  sha256=ab \t\r\n"
	                           "content-length: 12\r\n"
	                           "Expect: 100-continue\r\n\r\n";
	struct http_request req;

	(void)state;
	assert_int_equal(parse(&req, head), (int)strlen(head));
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.path, "/hooks/github");
	assert_string_equal(req.query, "x=1");
	assert_int_equal(req.nheaders, 4);
	assert_string_equal(http_request_header(&req, "x-hub-signature-256"), "sha256=ab");
	assert_null(http_request_header(&req, "X-Other"));
	assert_int_equal(req.content_length, 12);
	assert_true(req.expect_continue);
	/* A head and the start of a body: the head's length. */
	assert_int_equal(parse(&req, "GET /metrics HTTP/1.0\r\n\r\nxyz"), 25);
	assert_string_equal(req.query, "");
	assert_int_equal(req.content_length, 0);
}

static void test_http_server__waits_for_the_whole_head(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse(&req, ""), 0);
	assert_int_equal(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n"), 0);
	assert_int_equal(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n\r"), 0);
}

static void test_http_server__refuses_what_it_cannot_trust(void **state)
{
	static const struct {
		const char *head;
		int status;
	} cases[] = {
	    {"GET\r\n\r\n", -400},
	    {"GET /\r\n\r\n", -400},
	    {"GET x HTTP/1.1\r\n\r\n", -400},
	    {"G(T / HTTP/1.1\r\n\r\n", -400},
	    {"GET / HTTP/2.0\r\n\r\n", -505},
	    {"GET / FTP/1.0\r\n\r\n", -400},
	    {"GET / HTTP/1.1 x\r\n\r\n", -400},
	    {"GET /a\x01b HTTP/1.1\r\n\r\n", -400},
	    {"GET /\x7f HTTP/1.1\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nNo-Colon\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\n: empty name\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nName : space before colon\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", -400},
	    {"GET / HTTP/1.1\r\nA: b\nc\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -400},
	    {"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", -413},
	    {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", -413},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -411},
	    {"POST / HTTP/1.1\r\nExpect: something\r\n\r\n", -417},
	};
	struct http_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int got = parse(&req, cases[i].head);

		if (got != cases[i].status)
			fail_msg("%s: got %d, want %d", cases[i].head, got, cases[i].status);
	}
	/* The same length twice is one length. */
	assert_true(
	    parse(&req, "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") > 0);
}

static void test_http_server__bounds_the_head(void **state)
{
	static char big[HTTP_MAX_HEAD + 64];
	struct http_request req;
	struct buf many = BUF_INIT;
	size_t i;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET / HTTP/1.1\r\nA: ", 19);
	assert_int_equal(http_request_parse(&req, big, sizeof(big) - 1, 1000), -431);
	buf_adds(&many, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_MAX_HEADERS; i++)
		buf_addf(&many, "H%zu: v\r\n", i);
	buf_adds(&many, "\r\n");
	assert_int_equal(http_request_parse(&req, many.ptr, many.len, 1000), -431);
	buf_release(&many);
}

/* The live server: a handler that echoes the method, path and body. */
static void echo(struct http_response *resp, const struct http_request *req, void *ctx)
{
	(void)ctx;
	if (!strcmp(req->path, "/missing"))
		resp->status = 404;
	buf_addf(&resp->body, "%s %s [%s]", req->method, req->path, req->body);
}

static int dial(const struct http_server *s)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(strrchr(http_server_address(s), ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Read until the server closes, into `out`. */
static void drain(int fd, struct buf *out)
{
	char chunk[4096];
	ssize_t n;

	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
}

static void exchange(struct buf *out, const struct http_server *s, const char *request)
{
	int fd = dial(s);

	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	buf_reset(out);
	drain(fd, out);
}

static void test_http_server__serves_and_closes(void **state)
{
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct http_server *s;
	struct buf out = BUF_INIT;
	char part[64];
	int fd;

	(void)state;
	opts.address = "127.0.0.1:0";
	opts.max_body = 16;
	opts.timeout_ms = 300;
	assert_int_equal(http_server_new(&s, &opts, echo, NULL), 0);
	assert_non_null(strstr(http_server_address(s), "127.0.0.1:"));

	exchange(&out, s, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	assert_string_equal(out.ptr,
	                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                    "Content-Length: 15\r\nCache-Control: no-store\r\n"
	                    "Connection: close\r\n\r\nPOST /x [hello]");
	exchange(&out, s, "HEAD /missing HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(out.ptr, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(out.ptr, "Content-Length: 16\r\n"));
	assert_non_null(strstr(out.ptr, "\r\n\r\n"));
	assert_string_equal(strstr(out.ptr, "\r\n\r\n"), "\r\n\r\n");
	exchange(&out, s, "POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n");
	assert_non_null(strstr(out.ptr, "HTTP/1.1 413 Content Too Large\r\n"));
	exchange(&out, s, "BAD\r\n\r\n");
	assert_non_null(strstr(out.ptr, "HTTP/1.1 400 Bad Request\r\n"));

	/* Expect: 100-continue is answered before the body comes. */
	fd = dial(s);
	snprintf(part, sizeof(part),
	         "POST /c HTTP/1.1\r\nContent-Length: 2\r\n"
	         "Expect: 100-continue\r\n\r\n");
	send(fd, part, strlen(part), 0);
	assert_int_equal(recv(fd, part, 25, MSG_WAITALL), 25);
	assert_memory_equal(part, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	send(fd, "ok", 2, 0);
	buf_reset(&out);
	drain(fd, &out);
	assert_non_null(strstr(out.ptr, "POST /c [ok]"));

	/* A head that trickles in a byte at a time, and a body that comes
	 * later, in pieces larger than what was read so far: the request's
	 * strings must survive the body's buffer growing. */
	fd = dial(s);
	{
		static const char head[] =
		    "POST /slow HTTP/1.1\r\nX-A: b\r\nContent-Length: 16\r\n\r\n";
		size_t i;

		for (i = 0; i < strlen(head); i++)
			send(fd, head + i, 1, 0);
		usleep(20000);
		send(fd, "0123456789", 10, 0);
		usleep(20000);
		send(fd, "abcdef", 6, 0);
	}
	buf_reset(&out);
	drain(fd, &out);
	assert_non_null(strstr(out.ptr, "POST /slow [0123456789abcdef]"));

	/* A client that sends half a request is cut off at the deadline. */
	fd = dial(s);
	send(fd, "GET / HTTP/1.1\r\n", 16, 0);
	buf_reset(&out);
	drain(fd, &out);
	assert_non_null(strstr(out.ptr, "HTTP/1.1 408 Request Timeout\r\n"));
	/* ... and so is one that sends a head and less body than it said. */
	exchange(&out, s, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab");
	assert_non_null(strstr(out.ptr, "HTTP/1.1 408 Request Timeout\r\n"));

	buf_release(&out);
	http_server_free(s);
	http_server_free(NULL);
}

static void test_http_server__idle_connections_make_room_for_new_ones(void **state)
{
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct http_server *s;
	struct buf out = BUF_INIT;
	int idle[2];

	(void)state;
	opts.address = "127.0.0.1:0";
	opts.max_connections = 2;
	assert_int_equal(http_server_new(&s, &opts, echo, NULL), 0);
	idle[0] = dial(s);
	idle[1] = dial(s);
	send(idle[1], "GET", 3, 0);
	usleep(50000);
	/* Both slots hold connections that never finish their heads. */
	exchange(&out, s, "GET /healthz HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(out.ptr, "GET /healthz []"));
	exchange(&out, s, "GET /again HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(out.ptr, "GET /again []"));
	close(idle[0]);
	close(idle[1]);
	buf_release(&out);
	http_server_free(s);
}

/* Trickled bodies, as an attacker sends them to a webhook path: when every
 * slot is taken, the oldest unanswered connection goes, whether it is still
 * sending its head or its body; a body has a deadline of its own; and the
 * reserve keeps room for the probes. */
static void test_http_server__trickled_bodies_cannot_lock_out_probes(void **state)
{
	static const char *const probes[] = {"/healthz", NULL};
	static const char hook[] = "POST /hooks/github HTTP/1.1\r\nContent-Length: 100\r\n\r\nx";
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct http_server *s;
	struct buf out = BUF_INIT;
	int fds[4], i;

	(void)state;
	opts.address = "127.0.0.1:0";
	opts.max_connections = 4;
	opts.reserve = 1;
	opts.reserved = probes;
	opts.body_ms = 300;
	assert_int_equal(http_server_new(&s, &opts, echo, NULL), 0);
	/* Three trickles fill what is not reserved; a fourth non-probe gets 503. */
	for (i = 0; i < 3; i++) {
		fds[i] = dial(s);
		send(fds[i], hook, strlen(hook), 0);
	}
	usleep(50000);
	exchange(&out, s, hook);
	assert_non_null(strstr(out.ptr, "HTTP/1.1 503 Service Unavailable\r\n"));
	/* The probe gets the reserved slot. */
	exchange(&out, s, "GET /healthz HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(out.ptr, "GET /healthz []"));
	/* Every slot taken by bodies being sent: the oldest goes for a new one. */
	fds[3] = dial(s);
	usleep(50000);
	exchange(&out, s, "GET /healthz HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(out.ptr, "GET /healthz []"));
	buf_reset(&out);
	drain(fds[0], &out);
	assert_string_equal(out.ptr, "");
	/* A body that trickles is cut at its own deadline, not the 10 s one. */
	buf_reset(&out);
	drain(fds[1], &out);
	assert_non_null(strstr(out.ptr, "HTTP/1.1 408 Request Timeout\r\n"));
	for (i = 2; i < 4; i++)
		close(fds[i]);
	buf_release(&out);
	http_server_free(s);
}

/* A line ended by a bare LF gets 400 at once, not a 408 at the deadline. */
static void test_http_server__a_bare_lf_is_refused_at_once(void **state)
{
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct http_request req;
	struct http_server *s;
	struct buf out = BUF_INIT;
	int fd;

	(void)state;
	assert_int_equal(parse(&req, "GET / HTTP/1.1\n"), -400);
	assert_int_equal(parse(&req, "GET / HTTP/1.1\r\nHost: x\n"), -400);
	assert_int_equal(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n"), 0);
	opts.address = "127.0.0.1:0";
	assert_int_equal(http_server_new(&s, &opts, echo, NULL), 0);
	fd = dial(s);
	send(fd, "GET /healthz HTTP/1.1\n", 22, 0);
	drain(fd, &out);
	assert_non_null(strstr(out.ptr, "HTTP/1.1 400 Bad Request\r\n"));
	buf_release(&out);
	http_server_free(s);
}

static void test_http_server__says_why_it_cannot_listen(void **state)
{
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct http_server *s = NULL, *taken;

	(void)state;
	opts.address = "localhost";
	assert_true(http_server_new(&s, &opts, echo, NULL) < 0);
	opts.address = "127.0.0.1:http";
	assert_true(http_server_new(&s, &opts, echo, NULL) < 0);
	/* Every interface. */
	opts.address = ":0";
	assert_int_equal(http_server_new(&taken, &opts, echo, NULL), 0);
	http_server_free(taken);
	opts.address = "127.0.0.1:0";
	assert_int_equal(http_server_new(&taken, &opts, echo, NULL), 0);
	opts.address = http_server_address(taken);
	assert_true(http_server_new(&s, &opts, echo, NULL) < 0);
	assert_null(s);
	http_server_free(taken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_server__parses_a_request_head),
	    cmocka_unit_test(test_http_server__waits_for_the_whole_head),
	    cmocka_unit_test(test_http_server__refuses_what_it_cannot_trust),
	    cmocka_unit_test(test_http_server__bounds_the_head),
	    cmocka_unit_test(test_http_server__serves_and_closes),
	    cmocka_unit_test(test_http_server__idle_connections_make_room_for_new_ones),
	    cmocka_unit_test(test_http_server__trickled_bodies_cannot_lock_out_probes),
	    cmocka_unit_test(test_http_server__a_bare_lf_is_refused_at_once),
	    cmocka_unit_test(test_http_server__says_why_it_cannot_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
