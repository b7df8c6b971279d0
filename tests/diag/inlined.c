/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program that leaks from inlined code, run by tests/test-diag-leaks
 * with OBJLIFE_DEBUG=leaks, which checks that the report shows each
 * inlined function as a frame of its own, with its own line, inlined
 * into the function that called it. Built with -g -O2: the inlining is
 * what an optimised build does; always_inline makes it certain at any
 * -O the build's CFLAGS ask for.
 *
 *   inlined MODE      MODE is one of the functions below, minus "mode_"
 *
 * It prints to stdout, as "name=line", the source lines the report must
 * name (__LINE__ on the very line of the call, so that no test hard-codes
 * a number); the library's report goes to stderr.
 */
#include <objlife.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A frame of its own, under its own name: noipa also keeps GCC from
 * making a specialised clone ("load_entries.constprop.0"). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
# define NOINLINE __attribute__((noinline, noipa))
#else
# define NOINLINE __attribute__((noinline))
#endif
#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* After a call: the call stays a call (no tail call), so its caller keeps
 * a frame of its own. */
#define KEEP_FRAME() __asm__ volatile("")

/* Not static: exported, so that the frames outside the inlined code have
 * the same names with or without libdw. */
int mode_one_level(void);
int mode_two_levels(void);
int mode_not_inlined(void);
int mode_two_calls(void);

struct config {
	struct objlife ref;
	int entries;
};

static const struct objlife_ops config_ops = { .name = "config" };

/* Leaked objects stay reachable, as in a program that forgot to drop them. */
static struct config *forgotten, *forgotten_too;

/* The lines of the calls the report names, printed by main(). */
static int line_alloc, line_call, line_inner_alloc, line_inner_call, line_outer_call, line_second_call;

static void *must(void *p)
{
	if (!p) {
		perror("objlife_alloc");
		exit(2);
	}
	return p;
}

/* ---- one level: build_config() inlined into load_config() -------------- */

ALWAYS_INLINE struct config *build_config(int entries)
{
	struct config *c = objlife_alloc(struct config, ref, &config_ops, NULL); line_alloc = __LINE__;

	c = must(c);
	c->entries = entries;
	return c;
}

NOINLINE struct config *load_config(void);
NOINLINE struct config *load_config(void)
{
	struct config *c = build_config(3); line_call = __LINE__;

	KEEP_FRAME();
	return c;
}

int mode_one_level(void)
{
	forgotten = load_config();
	KEEP_FRAME();
	printf("alloc=%d call=%d\n", line_alloc, line_call);
	return 0;
}

/* ---- two levels: new_entry() inlined into parse_entry(), itself inlined
 * into load_entries() ----------------------------------------------------- */

ALWAYS_INLINE struct config *new_entry(int n)
{
	struct config *c = objlife_alloc(struct config, ref, &config_ops, NULL); line_inner_alloc = __LINE__;

	c = must(c);
	c->entries = n;
	return c;
}

ALWAYS_INLINE struct config *parse_entry(const char *text)
{
	struct config *c = new_entry((int)strlen(text)); line_inner_call = __LINE__;

	return c;
}

NOINLINE struct config *load_entries(const char *text);
NOINLINE struct config *load_entries(const char *text)
{
	struct config *c = parse_entry(text); line_outer_call = __LINE__;

	KEEP_FRAME();
	return c;
}

int mode_two_levels(void)
{
	forgotten = load_entries("a=1");
	KEEP_FRAME();
	printf("alloc=%d inner-call=%d outer-call=%d\n", line_inner_alloc, line_inner_call, line_outer_call);
	return 0;
}

/* ---- a function that is not inlined: a frame as it always was ---------- */

NOINLINE struct config *open_store(void);
NOINLINE struct config *open_store(void)
{
	struct config *c = objlife_alloc(struct config, ref, &config_ops, NULL); line_alloc = __LINE__;

	KEEP_FRAME();
	return must(c);
}

int mode_not_inlined(void)
{
	forgotten = open_store();
	KEEP_FRAME();
	printf("alloc=%d\n", line_alloc);
	return 0;
}

/* ---- one function inlined twice into one caller ------------------------ */

NOINLINE void load_two_configs(void);
NOINLINE void load_two_configs(void)
{
	forgotten = build_config(1); line_call = __LINE__;
	forgotten_too = build_config(2); line_second_call = __LINE__;
	KEEP_FRAME();
}

int mode_two_calls(void)
{
	load_two_configs();
	KEEP_FRAME();
	printf("alloc=%d call=%d second-call=%d\n", line_alloc, line_call, line_second_call);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} modes[] = {
		{ "one-level", mode_one_level },
		{ "two-levels", mode_two_levels },
		{ "not-inlined", mode_not_inlined },
		{ "two-calls", mode_two_calls },
	};
	size_t i;

	for (i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].run();
	fprintf(stderr, "usage: %s one-level|two-levels|not-inlined|two-calls\n", argv[0]);
	return 2;
}
