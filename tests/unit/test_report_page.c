#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/http/report_page.h"
#include "../../diff/base/json_value.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct json_object *J(const char *text)
{
	struct json_object *o = json_value_parse(text, strlen(text));

	assert_non_null(o);
	return o;
}

/* A board with one source whose one ConfigMap drifted to a hostile value. */
static void board_with_hostile_drift(struct report_board **b)
{
	struct report r = REPORT_INIT;
	struct object_id id = {"", "v1", "ConfigMap", "default", "cm"};
	struct json_object *live = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
	                             "\"name\":\"cm\",\"namespace\":\"default\"},\"data\":{\"v\":"
	                             "\"<img src=x onerror=alert(1)>\"}}");
	struct drift d = {.state = DRIFT_DRIFTED};
	struct report_meta m = {.source = "app<b>",
	                        .commit = "0123456789abcdef0123456789abcdef01234567",
	                        .result = "drift-reported",
	                        .error = "a.yaml:1:1: \"quoted\" <script>",
	                        .commit_url = "https://git.example.com/o/r/commit/x?a=1&b=\"2\"",
	                        .duration_ms = 420,
	                        .time = 0};

	d.predicted =
	    J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
	      "\"cm\",\"namespace\":\"default\"},\"data\":{\"v\":\"<script>x</script>\"}}");
	d.paths = J("[{\"path\":\"data.v\",\"live\":\"<img src=x onerror=alert(1)>\","
	            "\"desired\":\"<script>x</script>\"}]");
	report_add(&r, &id, "a.yaml", 3, &d, live);
	report_board_new(b);
	report_board_access(*b, NULL, true);
	report_board_publish(*b, &m, &r);
	report_release(&r);
	json_object_put(live);
	json_object_put(d.predicted);
	json_object_put(d.paths);
}

static void serve(struct http_response *resp, struct report_board *b, const char *path,
                  const char *accept, const char *auth)
{
	struct http_request req = {.method = "GET", .path = path, .query = ""};

	if (accept)
		req.headers[req.nheaders++] = (struct http_header){"Accept", accept};
	if (auth)
		req.headers[req.nheaders++] = (struct http_header){"Authorization", auth};
	buf_reset(&resp->body);
	resp->status = 200;
	resp->content_type = NULL;
	report_board_serve(b, resp, &req);
}

/* Everything from Git or the cluster reaches the page as text. */
static void test_report_page__escapes_what_it_shows(void **state)
{
	struct report_board *b;
	struct http_response resp = {.body = BUF_INIT};

	(void)state;
	board_with_hostile_drift(&b);
	serve(&resp, b, "/report/app%3Cb%3E", NULL, NULL);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/html; charset=utf-8");
	assert_null(strstr(resp.body.ptr, "<img"));
	assert_null(strstr(resp.body.ptr, "<script>"));
	assert_null(strstr(resp.body.ptr, "<b>"));
	assert_non_null(strstr(resp.body.ptr, "<title>app&lt;b&gt;</title>"));
	assert_non_null(strstr(resp.body.ptr, "&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(resp.body.ptr, "a.yaml:1:1: &quot;quoted&quot; &lt;script&gt;"));
	assert_non_null(
	    strstr(resp.body.ptr,
	           "href=\"https://git.example.com/o/r/commit/x?a=1&amp;b=&quot;2&quot;\""));
	assert_non_null(strstr(resp.body.ptr, "<section id=\"drifted\">"));
	serve(&resp, b, "/report", NULL, NULL);
	assert_non_null(strstr(resp.body.ptr, "<a href=\"/report/app%3Cb%3E\">app&lt;b&gt;</a>"));
	buf_release(&resp.body);
	report_board_free(b);
}

/* A file named with an escape sequence and a line break shows them
 * escaped: no control character reaches the page. */
static void test_report_page__escapes_control_characters_in_names(void **state)
{
	struct report r = REPORT_INIT;
	struct object_id id = {"", "v1", "ConfigMap", "default", "cm\x1b[2J"};
	struct drift d = {.state = DRIFT_MISSING};
	struct report_meta m = {.source = "app",
	                        .commit = "0123",
	                        .result = "failed",
	                        .error = "refused\nx\x1b[2J/a.yaml:1:1: bad",
	                        .time = 0};
	struct report_board *b;
	struct http_response resp = {.body = BUF_INIT};
	const char *p;

	(void)state;
	d.predicted = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
	                "\"cm\",\"namespace\":\"default\"}}");
	d.paths = J("[]");
	report_add(&r, &id, "x\x1b[2J\r\n/a.yaml", 3, &d, NULL);
	report_warn(&r, "keeps x\x1b[2J\n/a.yaml");
	report_board_new(&b);
	report_board_access(b, NULL, true);
	report_board_publish(b, &m, &r);
	serve(&resp, b, "/report/app", NULL, NULL);
	assert_int_equal(resp.status, 200);
	for (p = resp.body.ptr; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("control character 0x%02x in the page at: %.40s", *p, p);
	assert_non_null(strstr(resp.body.ptr, "x\\x1b[2J\\r\\n/a.yaml:3"));
	assert_non_null(strstr(resp.body.ptr, "keeps x\\x1b[2J\\n/a.yaml"));
	assert_non_null(strstr(resp.body.ptr, "cm\\x1b[2J"));
	/* The last error keeps its lines. */
	assert_non_null(strstr(resp.body.ptr, "refused\nx\\x1b[2J/a.yaml:1:1: bad"));
	buf_release(&resp.body);
	report_board_free(b);
	report_release(&r);
	json_object_put(d.predicted);
	json_object_put(d.paths);
}

/* JSON when asked: the report's document with the reconcile's fields. */
static void test_report_page__json_when_asked(void **state)
{
	struct report_board *b;
	struct http_response resp = {.body = BUF_INIT};
	struct json_object *doc;

	(void)state;
	board_with_hostile_drift(&b);
	serve(&resp, b, "/report/app%3cb%3e", "application/json", NULL);
	assert_string_equal(resp.content_type, "application/json");
	doc = J(resp.body.ptr);
	assert_string_equal(json_value_get_string(doc, "source"), "app<b>");
	assert_string_equal(json_value_get_string(doc, "result"), "drift-reported");
	assert_string_equal(json_value_get_string(doc, "time"), "1970-01-01T00:00:00Z");
	assert_string_equal(
	    json_value_get_string(json_object_array_get_idx(json_value_get(doc, "objects"), 0),
	                          "state"),
	    "drifted");
	json_object_put(doc);
	serve(&resp, b, "/report/none", "application/json", NULL);
	assert_int_equal(resp.status, 404);
	buf_release(&resp.body);
	report_board_free(b);
}

static void owner_of(void *ctx, const char *source, struct buf *out)
{
	(void)ctx;
	if (strcmp(source, "unheld"))
		buf_adds(out, strcmp(source, "app<b>") ? "berth-1" : "berth-0");
}

/* Lease mode: every source kept is listed with its owner, escaped; one
 * held elsewhere has no result here, and its page says where it is; one
 * forgotten (taken by another) loses its report. */
static void test_report_page__owners_in_lease_mode(void **state)
{
	const char *names[] = {"app<b>", "db", "unheld"};
	struct report_board *b;
	struct http_response resp = {.body = BUF_INIT};
	struct buf rows = BUF_INIT;
	struct json_object *doc;
	size_t i;

	(void)state;
	board_with_hostile_drift(&b);
	report_board_keep(b, names, 3);
	report_board_owners(b, "berth-0<", owner_of, NULL);
	serve(&resp, b, "/report", "application/json", NULL);
	doc = J(resp.body.ptr);
	for (i = 0; i < json_value_array_len(json_value_get(doc, "sources")); i++) {
		struct json_object *o =
		    json_object_array_get_idx(json_value_get(doc, "sources"), i);

		buf_addf(&rows, "%s %s %s\n", json_value_get_string(o, "source"),
		         json_value_get_string(o, "owner"),
		         json_value_get(o, "result") ? json_value_get_string(o, "result") : "null");
	}
	assert_string_equal(rows.ptr, "app<b> berth-0 drift-reported\n"
	                              "db berth-1 null\n"
	                              "unheld none null\n");
	buf_release(&rows);
	json_object_put(doc);
	serve(&resp, b, "/report", NULL, NULL);
	assert_non_null(strstr(resp.body.ptr, "This replica: <code>berth-0&lt;</code>"));
	assert_non_null(strstr(resp.body.ptr, "<th>owner</th>"));
	assert_non_null(strstr(resp.body.ptr, "db</a></td><td>berth-1</td><td>none here</td>"));
	serve(&resp, b, "/report/db", NULL, NULL);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body.ptr, "Owner: <code>berth-1</code>"));
	assert_non_null(strstr(resp.body.ptr, "No report here: the owner reconciles"));
	serve(&resp, b, "/report/gone", NULL, NULL);
	assert_int_equal(resp.status, 404);
	report_board_forget(b, "app<b>");
	serve(&resp, b, "/report/app%3Cb%3E", "application/json", NULL);
	doc = J(resp.body.ptr);
	assert_null(json_value_get(doc, "result"));
	assert_int_equal(json_value_array_len(json_value_get(doc, "objects")), 0);
	json_object_put(doc);
	buf_release(&resp.body);
	report_board_free(b);
}

/* Beyond loopback: 404 without a token file, the bearer token with one. */
static void test_report_page__access(void **state)
{
	struct report_board *b;
	struct http_response resp = {.body = BUF_INIT};
	char path[] = "/tmp/berth-report-token-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	board_with_hostile_drift(&b);
	report_board_access(b, NULL, false);
	serve(&resp, b, "/report", NULL, NULL);
	assert_int_equal(resp.status, 404);
	report_board_access(b, path, false);
	serve(&resp, b, "/report", NULL, NULL);
	assert_int_equal(resp.status, 401);
	serve(&resp, b, "/report", NULL, "Bearer s3cre");
	assert_int_equal(resp.status, 401);
	serve(&resp, b, "/report", NULL, "Bearer s3cret!");
	assert_int_equal(resp.status, 401);
	serve(&resp, b, "/report", NULL, "Bearer s3cret");
	assert_int_equal(resp.status, 200);
	/* A token read again holding a control character is no token. */
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, "s3\x01cret\n", 8), 8);
	close(fd);
	serve(&resp, b, "/report", NULL, "Bearer s3\x01cret");
	assert_int_equal(resp.status, 401);
	unlink(path);
	buf_release(&resp.body);
	report_board_free(b);
}

static void test_report_page__loopback_addresses(void **state)
{
	(void)state;
	assert_true(address_is_loopback("127.0.0.1:8080"));
	assert_true(address_is_loopback("127.1.2.3:0"));
	assert_true(address_is_loopback("[::1]:8080"));
	assert_true(address_is_loopback("localhost:8080"));
	assert_false(address_is_loopback(":8080"));
	assert_false(address_is_loopback("0.0.0.0:8080"));
	assert_false(address_is_loopback("[::]:8080"));
	assert_false(address_is_loopback("10.0.0.1:8080"));
	assert_false(address_is_loopback("[::1.2.3.4]:80"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_page__escapes_what_it_shows),
	    cmocka_unit_test(test_report_page__escapes_control_characters_in_names),
	    cmocka_unit_test(test_report_page__json_when_asked),
	    cmocka_unit_test(test_report_page__owners_in_lease_mode),
	    cmocka_unit_test(test_report_page__access),
	    cmocka_unit_test(test_report_page__loopback_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
