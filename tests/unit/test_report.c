#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/drift.h"
#include "../../diff/base/json_value.h"
#include "../../diff/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *J(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

/* A report of one object: desired against live (NULL: missing). */
static void one(struct report *r, const char *desired_text, const char *live_text)
{
	struct json_object *desired = J(desired_text), *live = live_text ? J(live_text) : NULL;
	struct object_id id;
	struct drift d;

	assert_int_equal(object_id_read(&id, NULL, desired, "default"), 0);
	assert_int_equal(drift_compute(&d, desired, live), 0);
	report_add(r, &id, "app.yaml", 3, &d, live);
	drift_release(&d);
	object_id_release(&id);
	json_object_put(desired);
	json_object_put(live);
}

static const char sts[] = "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{"
                          "\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,"
                          "\"serviceName\":\"web\"}}";
static const char sts_live[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":"
    "{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"u1\"},\"spec\":"
    "{\"replicas\":3,\"serviceName\":\"web\",\"podManagementPolicy\":"
    "\"OrderedReady\"},\"status\":{\"replicas\":3}}";
static const char secret[] = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
                             "\"db\",\"namespace\":\"default\"},\"stringData\":{\"password\":"
                             "\"hunter2-new\",\"user\":\"admin\"}}";
static const char secret_live[] = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{"
                                  "\"name\":\"db\",\"namespace\":\"default\"},\"type\":\"Opaque\","
                                  "\"data\":{\"password\":\"aHVudGVyMi1vbGQ=\",\"user\":"
                                  "\"YWRtaW4=\"}}";

/* A name as an attacker writes it: a line break, a fence, a heading, a
 * mention, an image, an escape sequence and a carriage return. */
#define HOSTILE "x\n\n```\n# heading\n@admin ![x](http://evil/)\x1b[31m\r\n"

/* Is `s` (`len` bytes) valid UTF-8? */
static bool utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		n = c < 0x80             ? 1
		    : (c & 0xe0) == 0xc0 ? 2
		    : (c & 0xf0) == 0xe0 ? 3
		    : (c & 0xf8) == 0xf0 ? 4
		                         : 0;
		if (!n || i + n > len)
			return false;
		for (k = 1; k < n; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

/* A fence line of CommonMark: up to three spaces, then three backticks or
 * tildes or more; its character and length, 0 when it is none. */
static size_t fence_line(const char *line, size_t len, char *ch)
{
	size_t i = 0, n = 0;

	while (i < len && i < 3 && line[i] == ' ')
		i++;
	if (i == len || (line[i] != '`' && line[i] != '~'))
		return 0;
	*ch = line[i];
	while (i + n < len && line[i + n] == *ch)
		n++;
	return n >= 3 ? n : 0;
}

/*
 * Markdown `md` split as a renderer reads its fences: the lines outside
 * fenced blocks into `outside`, and the text of the fenced block that
 * starts with `first` (its lines joined, without the last line break) into
 * `fenced`. Fails the test when a fence is left open.
 */
static void split_fences(struct buf *outside, struct buf *fenced, const char *md, const char *first)
{
	const char *line = md, *end;
	size_t open = 0, n;
	char ch = 0, c;
	bool keep = false;

	buf_reset(outside);
	buf_reset(fenced);
	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		n = fence_line(line, (size_t)(end - line), &c);
		if (!open && n) {
			open = n, ch = c;
			keep = first && !strncmp(line, first, strlen(first));
		} else if (open && n >= open && c == ch &&
		           strspn(line, " `~") == (size_t)(end - line)) {
			open = 0;
			if (keep && fenced->len)
				fenced->len--, fenced->ptr[fenced->len] = '\0';
			keep = false;
		} else if (open) {
			if (keep)
				buf_add(fenced, line, (size_t)(end - line)),
				    buf_addch(fenced, '\n');
		} else {
			buf_add(outside, line, (size_t)(end - line));
			buf_addch(outside, '\n');
		}
	}
	if (open)
		fail_msg("a fence is left open in:\n%s", md);
}

/* No heading but `headings` (lines, each ending in '\n'), and no mention
 * of admin and no image in the Markdown text outside fences and code
 * spans. */
static void assert_inert(const char *outside, const char *headings)
{
	struct buf text = BUF_INIT;
	const char *line, *end, *h, *p;
	size_t len;

	for (line = outside; *line; line = end + 1) {
		end = strchr(line, '\n');
		len = (size_t)(end - line) + 1;
		for (h = headings; *h && strncmp(h, line, len); h = strchr(h, '\n') + 1)
			;
		if (*line == '#' && !*h)
			fail_msg("a heading injected: %.*s", (int)(end - line), line);
	}
	/* The code spans left out: a backtick not escaped opens one. */
	for (p = outside; *p; p++) {
		if (*p == '\\' && p[1])
			buf_add(&text, p++, 2);
		else if (*p == '`' && strchr(p + 1, '`'))
			p = strchr(p + 1, '`');
		else
			buf_addch(&text, *p);
	}
	if (strstr(text.ptr, "@admin"))
		fail_msg("a mention outside the fences:\n%s", outside);
	if (strstr(text.ptr, "![x]"))
		fail_msg("an image outside the fences:\n%s", outside);
	buf_release(&text);
}

/* No control character but line breaks. */
static void assert_no_controls(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			fail_msg("control character 0x%02x in: %s", (unsigned char)*s, s);
}

static void test_report__text_is_a_unified_diff_of_live_and_predicted(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	one(&r, sts, sts_live);
	assert_int_equal(report_text(&out, &r, false), 0);
	assert_non_null(strstr(out.ptr, "--- live/apps.v1.StatefulSet.default.web\n"
	                                "+++ predicted/apps.v1.StatefulSet.default.web\n"));
	assert_non_null(strstr(out.ptr, "\n-  replicas: 3\n+  replicas: 2\n"));
	assert_non_null(strstr(out.ptr, "@@ -"));
	/* Status and the last-applied annotation are not shown; no colour off a terminal. */
	assert_null(strstr(out.ptr, "status"));
	assert_null(strstr(out.ptr, LAST_APPLIED_ANNOTATION));
	assert_null(strstr(out.ptr, "\033["));
	buf_reset(&out);
	assert_int_equal(report_text(&out, &r, true), 0);
	assert_non_null(strstr(out.ptr, "\033[31m-  replicas: 3\033[0m"));
	buf_release(&out);
	report_release(&r);
}

static void test_report__never_shows_a_secret_value(void **state)
{
	struct report r = REPORT_INIT;
	struct buf text = BUF_INIT, json = BUF_INIT, md = BUF_INIT;
	const char *const leaks[] = {"hunter2", "aHVudGVy", "YWRtaW4", "admin\n"};
	size_t i;

	(void)state;
	one(&r, secret, secret_live);
	assert_int_equal(r.entries[0].state, DRIFT_DRIFTED);
	assert_int_equal(report_text(&text, &r, false), 0);
	assert_int_equal(report_json(&json, &r), 0);
	assert_int_equal(report_markdown(&md, &r), 0);
	for (i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		assert_null(strstr(text.ptr, leaks[i]));
		assert_null(strstr(json.ptr, leaks[i]));
		assert_null(strstr(md.ptr, leaks[i]));
	}
	/* A changed value shows as changed, an unchanged one as unchanged. */
	assert_non_null(strstr(text.ptr, "-  password: '*** (before)'"));
	assert_non_null(strstr(text.ptr, "+  password: '*** (after)'"));
	assert_non_null(strstr(text.ptr, " user: '***'"));
	assert_non_null(strstr(json.ptr, "{\"desired\":\"***\",\"live\":\"***\",\"path\":"
	                                 "\"data.password\"}"));
	buf_release(&text);
	buf_release(&json);
	buf_release(&md);
	report_release(&r);
}

static void test_report__json_has_a_summary_and_one_entry_per_object(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;
	struct json_object *doc;

	(void)state;
	one(&r, sts, sts_live);
	one(&r, sts, NULL);
	assert_int_equal(report_json(&out, &r), 0);
	doc = J(out.ptr);
	assert_string_equal(
	    json_object_to_json_string_ext(json_value_get(doc, "summary"), JSON_C_TO_STRING_PLAIN),
	    "{\"drifted\":1,\"extraneous\":0,\"in-sync\":0,\"missing\":1}");
	assert_int_equal(json_object_array_length(json_value_get(doc, "objects")), 2);
	assert_string_equal(
	    json_object_to_json_string_ext(
	        json_object_array_get_idx(json_value_get(doc, "objects"), 0),
	        JSON_C_TO_STRING_PLAIN),
	    "{\"file\":\"app.yaml\",\"group\":\"apps\",\"kind\":\"StatefulSet\",\"line\":3,"
	    "\"name\":\"web\",\"namespace\":\"default\",\"paths\":[{\"desired\":2,\"live\":3,"
	    "\"path\":\"spec.replicas\"}],\"state\":\"drifted\",\"version\":\"v1\"}");
	json_object_put(doc);
	buf_release(&out);
	report_release(&r);
}

static void test_report__markdown_has_a_table_per_kind(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	one(&r, sts, sts_live);
	one(&r, secret, secret_live);
	assert_int_equal(report_markdown(&out, &r), 0);
	assert_non_null(strstr(out.ptr, "0 in sync, 2 drifted, 0 missing, 0 extraneous"));
	assert_non_null(strstr(out.ptr, "#### Secret\n\n| Namespace | Name | State | Changed |\n"
	                                "|---|---|---|---|\n| default | db | drifted | "
	                                "`data.password` |\n"));
	assert_non_null(strstr(out.ptr, "#### StatefulSet\n"));
	assert_non_null(strstr(out.ptr, "| default | web | drifted | `spec.replicas` |"));
	assert_true(strstr(out.ptr, "#### Secret") < strstr(out.ptr, "#### StatefulSet"));
	buf_release(&out);
	report_release(&r);
}

/* A preview: worded as what applying would do, each change folded in a
 * <details> whose fence outlasts the backticks inside, and no HTML from Git
 * in the summary, the tables or the warnings. */
static void test_report__markdown_preview_folds_each_change(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	r.preview = true;
	one(&r, sts, sts_live);
	one(&r,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	    "\"namespace\":\"default\"},\"data\":{\"a\":\"```<script>\"}}",
	    NULL);
	report_warn(&r, "claim template <b>x</b> grows 1Gi \u2192 5Gi");
	assert_int_equal(report_markdown(&out, &r), 0);
	assert_non_null(strstr(out.ptr, "### berth preview\n\n**would create 1, change 1, prune 0, "
	                                "unchanged 0**\n\n> **Warning:** claim template "
	                                "&lt;b&gt;x&lt;/b&gt; grows 1Gi \u2192 5Gi\n"));
	assert_non_null(strstr(out.ptr, "| default | c | create |  |\n"));
	assert_non_null(strstr(out.ptr, "| default | web | change | `spec.replicas` |\n"));
	assert_non_null(strstr(out.ptr,
	                       "<details><summary>StatefulSet default/web: change</summary>"
	                       "\n\n```diff\n"));
	/* The value's three backticks cannot close a fence of four. */
	assert_non_null(strstr(out.ptr, "<details><summary>ConfigMap default/c: create</summary>"
	                                "\n\n````diff\n"));
	assert_non_null(strstr(out.ptr, "\n````\n\n</details>\n"));
	buf_release(&out);
	report_release(&r);
}

static void test_report__in_sync_objects_have_no_diff(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;
	size_t counts[4];

	(void)state;
	one(&r,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
	    "\"data\":{\"a\":\"1\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	    "\"namespace\":\"default\",\"uid\":\"x\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
	assert_int_equal(report_count(&r, counts), 0);
	assert_int_equal(counts[DRIFT_IN_SYNC], 1);
	assert_int_equal(report_text(&out, &r, false), 0);
	assert_string_equal(out.ptr, "");
	buf_release(&out);
	report_release(&r);
}

/* Names from Git (a manifest's name and namespace, a key, a warning about
 * a file) stay in their cells and summaries: no heading, mention or image
 * gets out, every fence closes, and no control character is written. */
static void test_report__hostile_names_stay_in_their_places(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT, outside = BUF_INIT, fenced = BUF_INIT;
	struct json_object *name = json_object_new_string(HOSTILE);
	const char *line, *end;

	(void)state;
	r.preview = true;
	one(&r,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
	    "\"data\":{\"a\":\"1\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	    "\"namespace\":\"default\"},\"data\":{\"a\":\"2\"}}");
	/* The name, the namespace and the key are HOSTILE. */
	r.entries[0].id.name = (free(r.entries[0].id.name), strdup(HOSTILE));
	r.entries[0].id.namespace = (free(r.entries[0].id.namespace), strdup(HOSTILE));
	json_object_object_add(json_object_array_get_idx(r.entries[0].paths, 0), "path",
	                       json_object_get(name));
	json_object_object_add(json_value_get(r.entries[0].predicted, "metadata"), "name", name);
	report_warn(&r, "keeps %s: it left Git", HOSTILE);
	assert_int_equal(report_markdown(&out, &r), 0);
	split_fences(&outside, &fenced, out.ptr, NULL);
	assert_inert(outside.ptr, "### berth preview\n#### ConfigMap\n");
	assert_no_controls(out.ptr);
	/* The text report: every line is a diff's. */
	buf_reset(&out);
	assert_int_equal(report_text(&out, &r, false), 0);
	assert_no_controls(out.ptr);
	for (line = out.ptr; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!strchr(" -+@d", *line))
			fail_msg("a line of no diff: %.*s", (int)(end - line), line);
	}
	buf_release(&out);
	buf_release(&outside);
	buf_release(&fenced);
	report_release(&r);
}

/* A refusal naming a hostile directory: its fence outlasts the backticks
 * inside, so everything up to the closing fence is the refusal. */
static void test_report__comment_fences_a_hostile_refusal(void **state)
{
	static const char refusal[] = "app/" HOSTILE "/broken.yaml:5:3: spec.serviceName: no "
	                              "Service 'nowhere'";
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT, outside = BUF_INIT, fenced = BUF_INIT;

	(void)state;
	report_comment(&out, "<!-- berth-preview x -->", &r, "0123456789abcdef", refusal, 65536);
	split_fences(&outside, &fenced, out.ptr, "```");
	assert_string_equal(fenced.ptr, refusal);
	assert_inert(outside.ptr, "### berth preview\n");
	assert_non_null(strstr(outside.ptr, "berth preview of 0123456789ab"));
	buf_release(&out);
	buf_release(&outside);
	buf_release(&fenced);
	report_release(&r);
}

/* A comment too long for the forge is cut between two characters, and its
 * fence still closes. */
static void test_report__comment_is_cut_at_a_character(void **state)
{
	const char *marker = "<!-- berth-preview x -->";
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT, outside = BUF_INIT, fenced = BUF_INIT, refusal = BUF_INIT;
	size_t max, i;

	(void)state;
	for (i = 0; i < 2000; i++)
		buf_adds(&refusal, i % 3 ? "\u00e9" : "\u20ac"); /* 2 and 3 bytes */
	for (max = 400; max < 412; max++) {
		report_comment(&out, marker, &r, "0123456789abcdef", refusal.ptr, max);
		assert_true(out.len <= max);
		assert_true(utf8_valid(out.ptr, out.len));
		split_fences(&outside, &fenced, out.ptr, "```");
		assert_true(fenced.len > 0);
		assert_true(utf8_valid(fenced.ptr, fenced.len));
	}
	/* A report cut in its tables: between characters too. */
	r.preview = true;
	for (i = 0; i < 40; i++) {
		char name[64];

		snprintf(name, sizeof(name), "\u20ac%zu\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", i);
		one(&r,
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
		    "\"data\":{\"a\":\"1\"}}",
		    NULL);
		r.entries[i].id.name = (free(r.entries[i].id.name), strdup(name));
	}
	for (max = 700; max < 712; max++) {
		report_comment(&out, marker, &r, "0123456789abcdef", NULL, max);
		assert_true(out.len <= max);
		assert_true(utf8_valid(out.ptr, out.len));
	}
	buf_release(&out);
	buf_release(&outside);
	buf_release(&fenced);
	buf_release(&refusal);
	report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report__text_is_a_unified_diff_of_live_and_predicted),
	    cmocka_unit_test(test_report__never_shows_a_secret_value),
	    cmocka_unit_test(test_report__json_has_a_summary_and_one_entry_per_object),
	    cmocka_unit_test(test_report__markdown_has_a_table_per_kind),
	    cmocka_unit_test(test_report__markdown_preview_folds_each_change),
	    cmocka_unit_test(test_report__in_sync_objects_have_no_diff),
	    cmocka_unit_test(test_report__hostile_names_stay_in_their_places),
	    cmocka_unit_test(test_report__comment_fences_a_hostile_refusal),
	    cmocka_unit_test(test_report__comment_is_cut_at_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
