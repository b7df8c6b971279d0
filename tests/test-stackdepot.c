/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The stack depot (ol_stack_intern()): a stack is stored once, and equal
 * stacks are the same pointer, also after the depot's table has grown; a
 * prefix is another stack; only the innermost OL_STACK_DEPTH frames are
 * kept; a depot that cannot grow still stores stacks; one that cannot
 * store one returns NULL and says NO_MEMORY once.
 *
 * White-box: the depot is internal. This program links the library's
 * objects, for ol_stack_intern() and the hidden hook ol_mem_fail_hook that
 * fails the library's own allocations. The depot is the process's and is
 * never emptied: the cases that need it fresh run in a subprocess.
 */
#include "objlife-private.h"
#include "diag/stack.h"
#include "memfail.h"

static void run_in_subprocess(void)
{
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

/* Four times the first table's buckets: it grows twice. */
#define N_STACKS 1000

/* Stack @i of @depth made-up frames, different for every @i. */
static void frames_of(unsigned i, void **frames, unsigned depth)
{
	unsigned k;

	for (k = 0; k < depth; k++)
		frames[k] = (void *)(uintptr_t)(0x400000 + i * 0x40 + k * 8 + 1);
}

static void test_equal_stacks_are_one_copy_across_growth(void)
{
	if (g_test_subprocess()) {
		static const struct ol_stack *first[N_STACKS];
		void *frames[3];
		unsigned i;

		for (i = 0; i < N_STACKS; i++) {
			frames_of(i, frames, 3);
			first[i] = ol_stack_intern(frames, 3);
			g_assert_nonnull(first[i]);
			g_assert_cmpuint(first[i]->depth, ==, 3);
			g_assert_true(memcmp(first[i]->frames, frames, sizeof(frames)) == 0);
		}
		for (i = 0; i < N_STACKS; i++) {
			frames_of(i, frames, 3);
			g_assert_true(ol_stack_intern(frames, 3) == first[i]);
		}
		/* A prefix of a stack is another stack. */
		frames_of(7, frames, 3);
		g_assert_true(ol_stack_intern(frames, 2) != first[7]);
		return;
	}
	run_in_subprocess();
}

static void test_only_the_innermost_frames_are_kept(void)
{
	void *frames[OL_STACK_DEPTH + 4];
	const struct ol_stack *deep, *cut;

	frames_of(N_STACKS + 1, frames, OL_STACK_DEPTH + 4);
	deep = ol_stack_intern(frames, OL_STACK_DEPTH + 4);
	g_assert_nonnull(deep);
	g_assert_cmpuint(deep->depth, ==, OL_STACK_DEPTH);
	/* Deeper frames make no difference: the same stack. */
	cut = ol_stack_intern(frames, OL_STACK_DEPTH);
	g_assert_true(cut == deep);
}

static void test_without_memory_to_grow_stacks_are_still_stored(void)
{
	if (g_test_subprocess()) {
		static const struct ol_stack *first[N_STACKS];
		void *frames[2];
		unsigned i;

		tu_events_start();
		frames_of(0, frames, 2);
		first[0] = ol_stack_intern(frames, 2);     /* makes the first table */
		/* Tables from now on fail; single stacks are far smaller. */
		tu_mem_fail_all(OL_MEM_STACK);
		tu_mem.min_size = 1024;
		for (i = 1; i < N_STACKS; i++) {
			frames_of(i, frames, 2);
			first[i] = ol_stack_intern(frames, 2);
			g_assert_nonnull(first[i]);
		}
		for (i = 0; i < N_STACKS; i++) {
			frames_of(i, frames, 2);
			g_assert_true(ol_stack_intern(frames, 2) == first[i]);
		}
		tu_mem_stop();
		/* Longer chains, nothing lost: not worth a report. */
		g_assert_cmpuint(tu_events_count(), ==, 0);
		return;
	}
	run_in_subprocess();
}

static void test_out_of_memory_is_null_and_reported_once(void)
{
	if (g_test_subprocess()) {
		void *frames[4];
		const struct ol_stack *known;

		tu_events_start();
		frames_of(1, frames, 4);
		known = ol_stack_intern(frames, 4);
		g_assert_nonnull(known);
		tu_mem_fail_all(OL_MEM_STACK);
		frames_of(2, frames, 4);
		g_assert_null(ol_stack_intern(frames, 4));
		frames_of(3, frames, 4);
		g_assert_null(ol_stack_intern(frames, 4));
		/* A stack stored before needs no memory. */
		frames_of(1, frames, 4);
		g_assert_true(ol_stack_intern(frames, 4) == known);
		tu_mem_stop();
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		g_assert_true(tu_events.obj[0] == NULL);
		g_assert_cmpstr(tu_events.message[0], ==,
				"objlife: NO_MEMORY: out of memory for a stack; some reports will lack "
				"allocation or tracker stacks");
		g_assert_true(ol_report_no_memory_seen() & OL_NOMEM_STACK);
		return;
	}
	run_in_subprocess();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/stackdepot/intern/equal-stacks-are-one-copy-across-growth",
			test_equal_stacks_are_one_copy_across_growth);
	g_test_add_func("/stackdepot/intern/only-the-innermost-16-frames-are-kept",
			test_only_the_innermost_frames_are_kept);
	g_test_add_func("/stackdepot/oom/without-memory-to-grow-stacks-are-still-stored",
			test_without_memory_to_grow_stacks_are_still_stored);
	g_test_add_func("/stackdepot/oom/null-and-reported-once", test_out_of_memory_is_null_and_reported_once);
	return g_test_run();
}
