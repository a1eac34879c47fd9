#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Send `request` to the listener; the status, and the body in `body`. */
static int ask(struct buf *body, const struct listener *l, const char *request)
{
	struct sockaddr_in sin;
	char chunk[4096];
	struct buf out = BUF_INIT;
	const char *start;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(strrchr(listener_address(l), ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_add(&out, chunk, (size_t)n);
	close(fd);
	assert_int_equal(sscanf(out.ptr, "HTTP/1.1 %d", &status), 1);
	start = strstr(out.ptr, "\r\n\r\n");
	assert_non_null(start);
	buf_reset(body);
	buf_adds(body, start + 4);
	buf_release(&out);
	return status;
}

static struct source_config source(char *name, char *repo)
{
	struct source_config s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.git.repo = repo;
	return s;
}

static void test_listener__ready_once_every_source_reconciled(void **state)
{
	struct source_config sources[2] = {source("web", "https://git.example.com/a/web.git"),
	                                   source("db", "git@git.example.com:a/db")};
	struct config c = CONFIG_INIT;
	struct metrics *m;
	struct listener *l;
	struct buf body = BUF_INIT;

	(void)state;
	c.sources = sources;
	c.n = 2;
	metrics_new(&m, NULL, 0);
	assert_int_equal(listener_new(&l, "127.0.0.1:0", m), 0);
	listener_follow(l, &c);
	assert_int_equal(ask(&body, l, "GET /healthz HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 503);
	assert_string_equal(body.ptr, "not reconciled yet: web, db\n");
	listener_reconciled(l, 1);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 503);
	assert_string_equal(body.ptr, "not reconciled yet: web\n");
	listener_reconciled(l, 0);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 200);
	/* A reload keeps the readiness of the sources it keeps. */
	c.n = 1;
	listener_follow(l, &c);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "GET /metrics HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "DELETE /metrics HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(ask(&body, l, "GET /elsewhere HTTP/1.1\r\n\r\n"), 404);
	buf_release(&body);
	listener_free(l);
	metrics_free(m);
}

static void test_listener__a_push_triggers_the_sources_of_its_repository(void **state)
{
	static const char payload[] =
	    "{\"repository\":{\"ssh_url\":\"ssh://git@git.example.com:2222/a/db.git\"}}";
	struct source_config sources[2] = {source("web", "https://git.example.com/a/web.git"),
	                                   source("db", "git@git.example.com:a/db")};
	struct config c = CONFIG_INIT;
	struct metrics *m;
	struct listener *l;
	struct buf body = BUF_INIT, request = BUF_INIT;

	(void)state;
	c.sources = sources;
	c.n = 2;
	c.webhook_secrets[FORGE_GITLAB] = "t0ken";
	metrics_new(&m, NULL, 0);
	assert_int_equal(listener_new(&l, "127.0.0.1:0", m), 0);
	listener_follow(l, &c);
	/* No secret for GitHub: its hooks are not served. */
	assert_int_equal(ask(&body, l, "POST /hooks/github HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
	                 404);
	buf_addf(&request,
	         "POST /hooks/gitlab HTTP/1.1\r\nX-Gitlab-Event: Push Hook\r\n"
	         "X-Gitlab-Token: t0ken\r\nContent-Length: %zu\r\n\r\n%s",
	         strlen(payload), payload);
	assert_int_equal(ask(&body, l, request.ptr), 202);
	assert_string_equal(body.ptr, "reconciling db\n");
	assert_false(listener_take_trigger(l, 0));
	assert_true(listener_take_trigger(l, 1));
	assert_false(listener_take_trigger(l, 1));
	/* A wrong token triggers nothing. */
	buf_reset(&request);
	buf_addf(&request,
	         "POST /hooks/gitlab HTTP/1.1\r\nX-Gitlab-Event: Push Hook\r\n"
	         "X-Gitlab-Token: t0ken!\r\nContent-Length: %zu\r\n\r\n%s",
	         strlen(payload), payload);
	assert_int_equal(ask(&body, l, request.ptr), 401);
	assert_false(listener_take_trigger(l, 1));
	/* A watch triggers by name. */
	listener_trigger(l, "web");
	assert_true(listener_take_trigger(l, 0));
	buf_release(&request);
	buf_release(&body);
	listener_free(l);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listener__ready_once_every_source_reconciled),
	    cmocka_unit_test(test_listener__a_push_triggers_the_sources_of_its_repository),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
