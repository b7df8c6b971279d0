/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small program with lifecycle bugs, run by the tests/test-diag-*
 * programs with OBJLIFE_DEBUG set, which check what it reports. Built with
 * -g -O0 -fno-omit-frame-pointer and exported symbols, so that its
 * functions appear by name, and file:line, in the stacks.
 *
 *   lifecycle MODE      MODE is one of the functions below, minus "mode_"
 *
 * It prints facts the tests check (counts) to stdout; the library's
 * reports go to stderr or OBJLIFE_DEBUG_FILE. Functions are not static,
 * and never inlined, so that every one of them is a frame of its own.
 */
#include <errno.h>
#include <objlife.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Not static: exported, so that even dladdr() names them (libdw names
 * static functions too, from the symbol table). */
struct session;
struct objlife_tracker;
struct session *session_new(void);
void leak_three_sessions(void);
void free_one_session(void);
void hold_session(struct session *s);
void take_ref(struct session *s, struct objlife_tracker **t);
void drop_ref(struct session *s, struct objlife_tracker **t);
void drop_ref_again(struct session *s, struct objlife_tracker **t);
void put_below_zero(struct session *s);
void write_after_free(struct session *s);
int mode_leak_three(void);
int mode_leak_unflushed(void);
int mode_leak_tracker(void);
int mode_double_drop(void);
int mode_other_object(void);
int mode_underflow(void);
int mode_clean(void);
int mode_put_after_free(void);
int mode_write_after_free(void);

struct session {
	struct objlife ref;
	char peer[32];
};

static const struct objlife_ops session_ops = { .name = "session" };

NOINLINE struct session *session_new(void)
{
	struct session *s = objlife_alloc(struct session, ref, &session_ops, NULL);

	if (!s) {
		perror("objlife_alloc");
		exit(2);
	}
	return s;
}

/* ---- leaks ------------------------------------------------------------ */

/* Leaked objects stay reachable from here, as in a program that forgot
 * to drop them: Valgrind's leak check has nothing to say, only objlife. */
static struct session *forgotten[3];

/* volatile: the loop stays a loop, so its three calls are one call site
 * (and one stack) even at -O2. */
static volatile int three = 3;

NOINLINE void leak_three_sessions(void)
{
	int i;

	for (i = 0; i < three; i++)
		forgotten[i] = session_new();
	objlife_get(&forgotten[2]->ref);   /* counts 1,1,2 */
}

NOINLINE void free_one_session(void)
{
	objlife_put(&session_new()->ref);
}

/* Output still in the stdio buffer at exit (no newline on a line-buffered
 * stream), and one leaked session. */
NOINLINE int mode_leak_unflushed(void)
{
	forgotten[0] = session_new();
	printf("unflushed");
	return 0;
}

NOINLINE int mode_leak_three(void)
{
	leak_three_sessions();
	free_one_session();
	return 0;                          /* the report comes at exit */
}

/* ---- trackers --------------------------------------------------------- */

static struct objlife_tracker *holder;

NOINLINE void hold_session(struct session *s)
{
	objlife_get_tracked(&s->ref, &holder);
}

NOINLINE int mode_leak_tracker(void)
{
	struct session *s = session_new();

	forgotten[0] = s;
	hold_session(s);
	objlife_put(&s->ref);              /* the creator lets go; the holder never does */
	return 0;
}

NOINLINE void take_ref(struct session *s, struct objlife_tracker **t)
{
	objlife_get_tracked(&s->ref, t);
}

NOINLINE void drop_ref(struct session *s, struct objlife_tracker **t)
{
	objlife_put_tracked(&s->ref, t);
}

NOINLINE void drop_ref_again(struct session *s, struct objlife_tracker **t)
{
	objlife_put_tracked(&s->ref, t);
}

NOINLINE int mode_double_drop(void)
{
	struct session *s = session_new();
	struct objlife_tracker *t;

	take_ref(s, &t);
	printf("taken: count=%u\n", objlife_refcount(&s->ref));
	drop_ref(s, &t);
	printf("dropped: count=%u\n", objlife_refcount(&s->ref));
	drop_ref_again(s, &t);
	printf("dropped again: count=%u\n", objlife_refcount(&s->ref));
	objlife_put(&s->ref);
	printf("live=%zu\n", objlife_live_count(&session_ops));
	return 0;
}

NOINLINE int mode_other_object(void)
{
	struct session *a = session_new(), *b = session_new();
	struct objlife_tracker *t;

	take_ref(a, &t);
	drop_ref(b, &t);                   /* a's tracker, b's reference */
	printf("a=%u b=%u\n", objlife_refcount(&a->ref), objlife_refcount(&b->ref));
	drop_ref(a, &t);
	objlife_put(&a->ref);
	objlife_put(&b->ref);
	printf("live=%zu\n", objlife_live_count(&session_ops));
	return 0;
}

/* ---- misuse and clean programs ---------------------------------------- */

/* A put below zero, without touching freed memory: the count is forced
 * to zero (the header's fields are private; only a test may do this). */
NOINLINE void put_below_zero(struct session *s)
{
	__atomic_store_n(&s->ref._count, 0, __ATOMIC_RELAXED);
	objlife_put(&s->ref);
}

NOINLINE int mode_underflow(void)
{
	struct session *s = session_new();

	forgotten[0] = s;                  /* saturated: it leaks, by design */
	put_below_zero(s);
	printf("still running, count=%s\n",
	       objlife_refcount(&s->ref) == OBJLIFE_REFCOUNT_SATURATED ? "saturated" : "?");
	return 0;
}

NOINLINE int mode_clean(void)
{
	struct session *s = session_new();
	struct objlife_tracker *t;

	take_ref(s, &t);
	drop_ref(s, &t);
	objlife_get(&s->ref);
	objlife_put(&s->ref);
	objlife_put(&s->ref);
	printf("live=%zu\n", objlife_leak_check(NULL));
	return 0;
}

/* ---- poison ------------------------------------------------------------- */

NOINLINE int mode_put_after_free(void)
{
	struct session *s = session_new();
	bool got;

	objlife_put(&s->ref);              /* freed: in the quarantine */
	objlife_put(&s->ref);
	objlife_get(&s->ref);
	got = objlife_get_unless_zero(&s->ref);
	printf("get_unless_zero=%d count=%u\n", got, objlife_refcount(&s->ref));
	return 0;
}

NOINLINE void write_after_free(struct session *s)
{
	strcpy(s->peer, "late");
}

NOINLINE int mode_write_after_free(void)
{
	struct session *s = session_new();
	int i;

	objlife_put(&s->ref);
	write_after_free(s);
	/* Push it out of the quarantine: its fill is checked on the way. */
	for (i = 0; i < 1100; i++)
		objlife_put(&session_new()->ref);
	puts("done");
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(void);
} modes[] = {
	{ "leak-three", mode_leak_three },
	{ "leak-unflushed", mode_leak_unflushed },
	{ "leak-tracker", mode_leak_tracker },
	{ "double-drop", mode_double_drop },
	{ "other-object", mode_other_object },
	{ "underflow", mode_underflow },
	{ "clean", mode_clean },
	{ "put-after-free", mode_put_after_free },
	{ "write-after-free", mode_write_after_free },
};

int main(int argc, char **argv)
{
	size_t i;

	/* Lines reach the test even when a report aborts the program. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].fn();
	fprintf(stderr, "usage: %s MODE\n", argv[0]);
	return 2;
}
