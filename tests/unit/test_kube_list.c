#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "fake_api.h"

#include <stdlib.h>
#include <string.h>

/* Five pages of ConfigMaps: a, b | c, d | e, f | g, h | i. The continue
 * tokens need escaping. */
#define PATH "/api/v1/configmaps"
#define LIST PATH "?limit=2"
#define PAGE(token, ...)                                                                           \
	"{\"metadata\": {\"continue\": \"" token "\"}, \"items\": [" __VA_ARGS__ "]}"
#define ITEM(name) "{\"metadata\": {\"name\": \"" name "\"}}"

static struct fake_api api;

static int setup(void **state)
{
	(void)state;
	if (fake_api_start(&api) < 0)
		return -1;
	fake_api_set(&api, LIST, PAGE("to c", ITEM("a") "," ITEM("b")));
	fake_api_set(&api, LIST "&continue=to%20c", PAGE("to e", ITEM("c") "," ITEM("d")));
	fake_api_set(&api, LIST "&continue=to%20e", PAGE("to g", ITEM("e") "," ITEM("f")));
	fake_api_set(&api, LIST "&continue=to%20g", PAGE("to i", ITEM("g") "," ITEM("h")));
	fake_api_set(&api, LIST "&continue=to%20i", PAGE("", ITEM("i")));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_api_stop(&api);
	return 0;
}

/* What a LIST's fn saw: each item's name, and each page's end as "|". */
struct seen {
	struct buf names;
	int fail_at; /* fail on this page (1, 2, ...); 0: never */
	int pages;
};

static int take(struct json_object *page, void *ctx)
{
	struct seen *s = ctx;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	if (++s->pages == s->fail_at)
		return berth_error_set("page %d refused", s->pages);
	for (i = 0; i < json_value_array_len(items); i++)
		buf_adds(
		    &s->names,
		    json_value_get_string(
		        json_value_get(json_object_array_get_idx(items, i), "metadata"), "name"));
	buf_adds(&s->names, "|");
	return 0;
}

typedef int list_fn(struct kube_client *, const char *, int (*)(struct json_object *, void *),
                    void *);

static void every_page(list_fn *list)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct seen s = {BUF_INIT, 0, 0};
	char *asked;

	assert_non_null(c);
	free(fake_api_asked(&api));
	assert_int_equal(list(c, LIST, take, &s), 0);
	assert_string_equal(s.names.ptr, "ab|cd|ef|gh|i|");
	asked = fake_api_asked(&api);
	assert_string_equal(asked, PATH "\n" PATH "\n" PATH "\n" PATH "\n" PATH "\n");
	free(asked);
	buf_release(&s.names);
	kube_client_free(c);
}

static void test_kube_list__pages_follow_their_continue_tokens(void **state)
{
	(void)state;
	every_page(kube_client_list);
}

static void test_kube_list__ahead_gives_the_same_pages_in_order(void **state)
{
	(void)state;
	every_page(kube_client_list_ahead);
}

/* A GET that fails halfway: its error, with its code and message, in the
 * caller's thread, after the pages before it. */
static void test_kube_list__ahead_fails_with_the_reader_s_error(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct seen s = {BUF_INIT, 0, 0};

	(void)state;
	assert_non_null(c);
	fake_api_set(&api, LIST "&continue=to%20e", NULL);
	assert_int_equal(kube_client_list_ahead(c, LIST, take, &s), BERTH_ENOTFOUND);
	assert_string_equal(s.names.ptr, "ab|cd|");
	assert_non_null(strstr(berth_error_last(), "not found"));
	buf_release(&s.names);
	kube_client_free(c);
}

/* fn refuses the first page: that error, and no page is read past the two
 * read ahead (one parsed, one fetched). */
static void test_kube_list__ahead_stops_at_fn_s_error(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct seen s = {BUF_INIT, 1, 0};
	char *asked;

	(void)state;
	assert_non_null(c);
	free(fake_api_asked(&api));
	assert_int_equal(kube_client_list_ahead(c, LIST, take, &s), BERTH_ERROR);
	assert_string_equal(berth_error_last(), "page 1 refused");
	assert_int_equal(s.pages, 1);
	/* The first page, and at most the two read ahead. */
	asked = fake_api_asked(&api);
	assert_true(!strcmp(asked, PATH "\n") || !strcmp(asked, PATH "\n" PATH "\n") ||
	            !strcmp(asked, PATH "\n" PATH "\n" PATH "\n"));
	free(asked);
	buf_release(&s.names);
	kube_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kube_list__pages_follow_their_continue_tokens,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kube_list__ahead_gives_the_same_pages_in_order,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kube_list__ahead_fails_with_the_reader_s_error,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kube_list__ahead_stops_at_fn_s_error, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
