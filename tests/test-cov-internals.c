/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnostics' building blocks, each on its own, with inputs the
 * end-to-end tests cannot choose: report texts longer than a line and out
 * of memory (report.c), and the symbolising of frames that no module,
 * symbol or symboliser explains (backtrace.c).
 *
 * This program compiles the library's sources in, to reach these internal
 * functions and the hidden hook ol_mem_fail_hook that fails the library's
 * own allocations. It links with -export-dynamic, so that dladdr() names
 * its exported functions.
 */
#include "objlife-private.h"
#include "memfail.h"

#include <fnmatch.h>
#include <wchar.h>

int main(int argc, char **argv);

/* GTest only: no other GLib API. */
static void assert_matches(const char *text, const char *pattern)
{
	if (fnmatch(pattern, text, 0) != 0) {
		g_test_message("\"%s\" does not match \"%s\"", text, pattern);
		g_assert_cmpstr(text, ==, pattern);
	}
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- report texts (report.c) -------------------------------------------- */

static void test_text_grows_past_the_inline_buffer(void)
{
	struct ol_text t;
	char expect[5000];
	int i;

	ol_text_init(&t);
	expect[0] = '\0';
	/* 100 pieces of 40 bytes: past 1024, then past 2048 and 4096 on the heap. */
	for (i = 0; i < 100; i++) {
		ol_text_add(&t, "%03d:abcdefghijklmnopqrstuvwxyz012345678\n", i);
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect),
			 "%03d:abcdefghijklmnopqrstuvwxyz012345678\n", i);
	}
	g_assert_false(t.truncated);
	g_assert_cmpuint(t.len, ==, 4000);
	g_assert_cmpuint(strlen(t.buf), ==, 4000);
	g_assert_cmpstr(t.buf, ==, expect);
	g_assert_true(t.buf != t.small);
	/* Freed, it is empty and usable again. */
	ol_text_free(&t);
	g_assert_cmpuint(t.len, ==, 0);
	g_assert_cmpstr(t.buf, ==, "");
	ol_text_add(&t, "again");
	g_assert_cmpstr(t.buf, ==, "again");
	ol_text_free(&t);
}

static void test_text_one_piece_larger_than_twice_the_buffer(void)
{
	struct ol_text t;
	char piece[3001];

	memset(piece, 'x', 3000);
	piece[3000] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "head:");
	ol_text_add(&t, "%s", piece);
	g_assert_cmpuint(t.len, ==, 3005);
	g_assert_true(tu_has_prefix(t.buf, "head:xxxx"));
	g_assert_cmpuint(strspn(t.buf + 5, "x"), ==, 3000);
	ol_text_free(&t);
}

static void test_text_out_of_memory_keeps_what_fits(void)
{
	struct ol_text t;
	char piece[101];

	memset(piece, 'y', 100);
	piece[100] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "objlife: LEAK: first line\n");
	tu_mem_fail_all(OL_MEM_REPORT);
	while (!t.truncated)
		ol_text_add(&t, "%s", piece);
	tu_mem_stop();
	/* The lines that fitted, then "..." on a line of its own. */
	g_assert_true(tu_has_prefix(t.buf, "objlife: LEAK: first line\nyyyy"));
	g_assert_true(has_suffix(t.buf, "y\n    ..."));
	g_assert_cmpuint(strlen(t.buf), ==, t.len);
	g_assert_cmpuint(t.len, <, sizeof(t.small));
	g_assert_true(t.buf == t.small);
	/* Past the cut nothing is added, even once memory is back. */
	ol_text_add(&t, "later");
	g_assert_null(strstr(t.buf, "later"));
	g_assert_true(has_suffix(t.buf, "\n    ..."));
	ol_text_free(&t);
}

static void test_text_out_of_memory_at_the_buffer_end_still_fits_the_mark(void)
{
	struct ol_text t;
	char fill[1021];

	/* 1020 of the 1024 bytes used: the "\n    ..." mark (8 bytes and the
	 * NUL) cannot follow them, so it replaces their end. */
	memset(fill, 'z', 1020);
	fill[1020] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", fill);
	g_assert_cmpuint(t.len, ==, 1020);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "0123456789");
	tu_mem_stop();
	g_assert_true(t.truncated);
	g_assert_cmpuint(t.len, ==, sizeof(t.small) - 1);
	g_assert_cmpuint(strlen(t.buf), ==, t.len);
	g_assert_true(has_suffix(t.buf, "zzz\n    ..."));
	g_assert_cmpuint(strspn(t.buf, "z"), ==, sizeof(t.small) - 9);
	ol_text_free(&t);
}

static void test_text_out_of_memory_on_the_heap_keeps_the_heap_text(void)
{
	struct ol_text t;
	char piece[1501];

	memset(piece, 'w', 1500);
	piece[1500] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", piece);                  /* on the heap: 2048 */
	g_assert_true(t.buf != t.small);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "%s", piece);                  /* 3000 does not fit */
	tu_mem_stop();
	g_assert_true(t.truncated);
	g_assert_cmpuint(t.len, ==, 1500 + 8);
	g_assert_true(has_suffix(t.buf, "w\n    ..."));
	ol_text_free(&t);
	g_assert_true(t.buf == t.small);
}

static void test_text_format_error_adds_nothing(void)
{
	struct ol_text t;
	/* Not representable in the C locale: vsnprintf() fails (EILSEQ). */
	static const wchar_t bad[] = { 0xd800, 0 };

	ol_text_init(&t);
	ol_text_add(&t, "kept");
	ol_text_add(&t, "%ls", bad);
	g_assert_false(t.truncated);
	g_assert_cmpuint(t.len, ==, 4);
	g_assert_cmpstr(t.buf, ==, "kept");
	ol_text_add(&t, "+more");
	g_assert_cmpstr(t.buf, ==, "kept+more");
	ol_text_free(&t);
}

static void test_event_words_are_the_enum_names(void)
{
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_GET_ON_ZERO), ==, "GET_ON_ZERO");
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_BAD_TRACKER), ==, "BAD_TRACKER");
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_NO_MEMORY), ==, "NO_MEMORY");
	/* A value from a newer header: a word all the same, never NULL. */
	g_assert_cmpstr(ol_event_word((enum objlife_event)(OBJLIFE_EVENT_NO_MEMORY + 1)), ==, "UNKNOWN");
}

/* ---- symbolising (backtrace.c) ---------------------------------------------- */

/* Exported (the program links with -export-dynamic): dladdr() names them. */
void cov_exported_function(void);
void cov_exported_function(void)
{
	__asm__ volatile("");
}

#ifdef HAVE_LIBDW
static __attribute__((noinline)) void cov_static_function(void)
{
	__asm__ volatile("");
}
#endif

static int some_static_data;

/* The text ol_stack_format() makes of @n frames, with or without a
 * symboliser. */
/* The text ol_stack_format() makes of @frames with @sym (NULL: none). */
static char *format_with(struct ol_symbolizer *sym, void *const *frames, unsigned n)
{
	const struct ol_stack *stack = ol_stack_intern(frames, n);
	struct ol_text t;
	char *text;

	g_assert_nonnull(stack);
	ol_text_init(&t);
	ol_stack_format(&t, sym, stack);
	text = strdup(t.buf);
	ol_text_free(&t);
	return text;
}

static char *format_frames(bool symbolizer, void *const *frames, unsigned n)
{
	struct ol_symbolizer *sym = symbolizer ? ol_symbolizer_new() : NULL;
	char *text;

	if (symbolizer)
		g_assert_nonnull(sym);
	text = format_with(sym, frames, n);
	ol_symbolizer_free(sym);
	return text;
}

/* Frames are return addresses: the symboliser looks one byte back. */
#define RET(fn) ((void *)((uintptr_t)(fn) + 1))

static void test_frame_outside_any_module_is_a_raw_address(void)
{
	void *frames[] = { (void *)(uintptr_t)0x1000 };
	char *text;

	text = format_frames(true, frames, 1);
	g_assert_cmpstr(text, ==, "    #0 0x1000");
	free(text);
	text = format_frames(false, frames, 1);
	g_assert_cmpstr(text, ==, "    #0 0x1000");
	free(text);
}

static void test_without_symbolizer_exported_functions_are_named(void)
{
	void *frames[] = { RET(cov_exported_function), (void *)(uintptr_t)0x1000 };
	char *text = format_frames(false, frames, 2);

	/* dladdr(): the exported name, the offset from it, the module. */
	assert_matches(text, "    #0 cov_exported_function+0x1 (*test-cov-internals*)\n    #1 0x1000");
	free(text);
}

static void test_without_symbolizer_unnamed_addresses_show_module_and_offset(void)
{
	void *frames[] = { RET(&some_static_data) };
	char *text = format_frames(false, frames, 1);

	/* No exported symbol there: the address, the module and the offset. */
	assert_matches(text, "    #0 0x* (*test-cov-internals*+0x*)");
	free(text);
}

static void test_main_ends_the_stack(void)
{
	void *frames[] = { RET(cov_exported_function), RET(main), (void *)(uintptr_t)0x1000 };
	char *text;

	/* Below main() there is only the C library's start-up code. */
	text = format_frames(false, frames, 3);
	assert_matches(text, "    #0 cov_exported_function+0x1 (*)\n    #1 main+0x1 (*)");
	free(text);
	text = format_frames(true, frames, 3);
	assert_matches(text, "    #0 cov_exported_function[ +]*\n    #1 main[ +]*");
	g_assert_null(strstr(text, "#2"));
	free(text);
}

/* Only libdw names static functions: without it, the case does not exist. */
#ifdef HAVE_LIBDW
static void test_symbolizer_names_static_functions_with_their_line(void)
{
	void *frames[] = { RET(cov_static_function) };
	char *text = format_frames(true, frames, 1);

	assert_matches(text, "    #0 cov_static_function (*test-cov-internals.c:*)");
	free(text);
}
#endif

static void test_no_memory_for_a_symbolizer_falls_back_to_dladdr(void)
{
	void *frames[] = { RET(cov_exported_function) };
	struct ol_symbolizer *sym;
	char *text;

	tu_mem_fail_all(OL_MEM_REPORT);
	sym = ol_symbolizer_new();
	tu_mem_stop();
	g_assert_null(sym);
	/* What a report then does with it: dladdr()'s names. */
	text = format_with(sym, frames, 1);
	assert_matches(text, "    #0 cov_exported_function+0x1 (*test-cov-internals*)");
	free(text);
	ol_symbolizer_free(sym);       /* NULL: nothing */
}

static void test_stack_in_a_cut_text_adds_nothing(void)
{
	void *frames[] = { RET(cov_exported_function) };
	const struct ol_stack *stack = ol_stack_intern(frames, 1);
	struct ol_text t;
	char fill[1021];
	char *before;

	memset(fill, 'v', 1020);
	fill[1020] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", fill);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "%s", fill);
	g_assert_true(t.truncated);
	before = strdup(t.buf);
	ol_stack_format(&t, NULL, stack);
	tu_mem_stop();
	/* The "..." mark stays the end: no frame, no newline chopped. */
	g_assert_cmpstr(t.buf, ==, before);
	g_assert_true(has_suffix(t.buf, "\n    ..."));
	free(before);
	ol_text_free(&t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/internals/text/grows-past-the-inline-buffer", test_text_grows_past_the_inline_buffer);
	g_test_add_func("/internals/text/one-piece-larger-than-twice-the-buffer",
			test_text_one_piece_larger_than_twice_the_buffer);
	g_test_add_func("/internals/text/out-of-memory-keeps-what-fits", test_text_out_of_memory_keeps_what_fits);
	g_test_add_func("/internals/text/out-of-memory-at-the-buffer-end-still-fits-the-mark",
			test_text_out_of_memory_at_the_buffer_end_still_fits_the_mark);
	g_test_add_func("/internals/text/out-of-memory-on-the-heap-keeps-the-heap-text",
			test_text_out_of_memory_on_the_heap_keeps_the_heap_text);
	g_test_add_func("/internals/text/format-error-adds-nothing", test_text_format_error_adds_nothing);
	g_test_add_func("/internals/report/event-words-are-the-enum-names", test_event_words_are_the_enum_names);
	g_test_add_func("/internals/symbolize/frame-outside-any-module-is-a-raw-address",
			test_frame_outside_any_module_is_a_raw_address);
	g_test_add_func("/internals/symbolize/without-symbolizer-exported-functions-are-named",
			test_without_symbolizer_exported_functions_are_named);
	g_test_add_func("/internals/symbolize/without-symbolizer-unnamed-addresses-show-module-and-offset",
			test_without_symbolizer_unnamed_addresses_show_module_and_offset);
	g_test_add_func("/internals/symbolize/main-ends-the-stack", test_main_ends_the_stack);
#ifdef HAVE_LIBDW
	g_test_add_func("/internals/symbolize/static-functions-named-with-their-line",
			test_symbolizer_names_static_functions_with_their_line);
#endif
	g_test_add_func("/internals/symbolize/no-memory-for-a-symbolizer-falls-back-to-dladdr",
			test_no_memory_for_a_symbolizer_falls_back_to_dladdr);
	g_test_add_func("/internals/symbolize/stack-in-a-cut-text-adds-nothing", test_stack_in_a_cut_text_adds_nothing);
	return g_test_run();
}
