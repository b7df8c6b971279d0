/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation and tracker sites for the in-process diagnostics tests, whose
 * reports name them: exported (the programs link with -export-dynamic, so
 * that dladdr() names them too), each a frame of its own, and each call a
 * call (no inlining, no tail call), so that a report's stack is the
 * source's. Also a set of live objects that gives every part of a leak
 * report something to say: struct diag_rich.
 *
 * Included once per program: it defines the functions.
 */
#ifndef OBJLIFE_DIAG_SITES_H
#define OBJLIFE_DIAG_SITES_H

#include "objlife.h"

/* A frame of its own, and a body of its own: GCC's identical code folding
 * would otherwise make one function of two identical ones. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
# define NOINLINE __attribute__((noinline, noipa))
#else
# define NOINLINE __attribute__((noinline))
#endif
/* After a call: the call stays a call (no tail call), so its caller is a frame. */
#define KEEP_FRAME() __asm__ volatile("")

struct objlife *diag_alloc_at_site_a(const struct objlife_ops *ops);
struct objlife *diag_alloc_at_site_b(const struct objlife_ops *ops);
void diag_two_allocations_on_one_line(const struct objlife_ops *ops, struct objlife **a, struct objlife **b);
struct objlife *diag_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(
	const struct objlife_ops *ops, int depth);
void diag_track_through_a_long_chain_of_calls_so_that_the_report_is_long(
	struct objlife *obj, struct objlife_tracker **t, int depth);
void diag_track_at_site_x(struct objlife *obj, struct objlife_tracker **t);
void diag_track_twice_on_one_line(struct objlife *obj, struct objlife_tracker **t1, struct objlife_tracker **t2);
void diag_track_at_site_z(struct objlife *obj, struct objlife_tracker **t);

NOINLINE struct objlife *diag_alloc_at_site_a(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

NOINLINE struct objlife *diag_alloc_at_site_b(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

/* Two call instructions, one source line: one site where lines are known. */
NOINLINE void diag_two_allocations_on_one_line(const struct objlife_ops *ops, struct objlife **a, struct objlife **b)
{
	*a = objlife_alloc_size(ops, 64, 8, NULL); *b = objlife_alloc_size(ops, 64, 8, NULL);
	KEEP_FRAME();
}

NOINLINE struct objlife *diag_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(
	const struct objlife_ops *ops, int depth)
{
	struct objlife *obj;

	if (depth > 0)
		obj = diag_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(ops, depth - 1);
	else
		obj = objlife_alloc_size(ops, 64, 8, NULL);
	KEEP_FRAME();
	return obj;
}

NOINLINE void diag_track_through_a_long_chain_of_calls_so_that_the_report_is_long(
	struct objlife *obj, struct objlife_tracker **t, int depth)
{
	if (depth > 0)
		diag_track_through_a_long_chain_of_calls_so_that_the_report_is_long(obj, t, depth - 1);
	else
		objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

NOINLINE void diag_track_at_site_x(struct objlife *obj, struct objlife_tracker **t)
{
	objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

NOINLINE void diag_track_twice_on_one_line(struct objlife *obj, struct objlife_tracker **t1, struct objlife_tracker **t2)
{
	objlife_get_tracked(obj, t1); objlife_get_tracked(obj, t2);
	KEEP_FRAME();
}

NOINLINE void diag_track_at_site_z(struct objlife *obj, struct objlife_tracker **t)
{
	objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

/* Five live objects of two types (@alpha, @beta), at three sites, one
 * site with a stack deeper than 16 frames of long names (its text is
 * longer than a line), with trackers at two sites: every part of a leak
 * report has something to do, and something to allocate. */
struct diag_rich {
	struct objlife *a[4], *b;
	struct objlife_tracker *t[3];
};

static __attribute__((unused)) void diag_rich_make(struct diag_rich *r, const struct objlife_ops *alpha,
						   const struct objlife_ops *beta)
{
	/* volatile: loops stay loops (not unrolled), so that their calls are
	 * one call site, and one stack. */
	volatile int two = 2, three = 3;
	int i;

	for (i = 0; i < three; i++)
		r->a[i] = diag_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(alpha, 20);
	r->a[3] = diag_alloc_at_site_b(alpha);
	r->b = diag_alloc_at_site_b(beta);
	diag_track_through_a_long_chain_of_calls_so_that_the_report_is_long(r->a[1], &r->t[0], 20);
	for (i = 0; i < two; i++)
		diag_track_at_site_x(r->a[2], &r->t[1 + i]);
}

static __attribute__((unused)) void diag_rich_free(struct diag_rich *r)
{
	int i;

	objlife_put_tracked(r->a[1], &r->t[0]);
	for (i = 1; i < 3; i++)
		objlife_put_tracked(r->a[2], &r->t[i]);
	for (i = 0; i < 4; i++)
		objlife_put(r->a[i]);
	objlife_put(r->b);
}

#endif /* OBJLIFE_DIAG_SITES_H */
