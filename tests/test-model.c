/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Model-based random testing: seeded, reproducible sequences of alloc,
 * get, get_unless_zero, put, put_mutex and misuse, run against the library
 * and the reference model of tests/opseq.h, compared after every step.
 *
 * At least OPS_TOTAL operations per run. A failure prints the seed that
 * reproduces its sequence alone (OBJLIFE_MODEL_SEED=...) and the shortest
 * failing prefix: every step up to the first one where library and model
 * disagree.
 */
#include "testutil.h"
#include "opseq.h"

#include <inttypes.h>

#define SEQUENCES 1000
#define STEPS 1000          /* SEQUENCES * STEPS >= 1,000,000 operations */

struct step {
	unsigned op, handle, arg;
};

/* xorshift64*: small, and the same everywhere, so a seed reproduces. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

static struct step random_step(uint64_t *rng)
{
	/* Weighted: references move often, objects come and go, misuse and
	 * the path to overflow are rarer. */
	static const struct { unsigned op, weight; } table[] = {
		{ OP_GET, 30 }, { OP_PUT, 30 }, { OP_GET_UNLESS_ZERO, 10 }, { OP_PUT_MUTEX, 10 },
		{ OP_ALLOC, 14 }, { OP_MAY_LEAK, 2 }, { OP_PRESET_NEAR_MAX, 1 },
	};
	uint64_t r = next_random(rng);
	unsigned total = 0, pick, i;
	struct step s;

	for (i = 0; i < G_N_ELEMENTS(table); i++)
		total += table[i].weight;
	pick = (unsigned)(r % total);
	for (i = 0; pick >= table[i].weight; i++)
		pick -= table[i].weight;
	s.op = table[i].op;
	s.handle = (unsigned)(r >> 32) % OPSEQ_HANDLES;
	/* Mostly successful allocations, every failure kind now and then. */
	s.arg = (unsigned)(r >> 40) % 8 < 4 ? ALLOC_OK : (unsigned)(r >> 48) % ALLOC_VARIANTS;
	return s;
}

static const char *program;

/* Arenas stay allocated until the case ends: leaked objects live in them. */
static void *arenas[SEQUENCES];
static unsigned n_arenas;

static void keep_arena(void *arena)
{
	if (n_arenas < SEQUENCES)
		arenas[n_arenas++] = arena;
	else
		free(arena);
}

static void free_arenas(void)
{
	while (n_arenas)
		free(arenas[--n_arenas]);
}

/* Runs one sequence; on a mismatch, prints the reproduction and fails. */
static void run_sequence(uint64_t seed)
{
	struct step steps[STEPS];
	uint64_t rng = seed ? seed : 1;
	struct opseq s;
	int i;

	for (i = 0; i < STEPS; i++)
		steps[i] = random_step(&rng);
	opseq_begin(&s, STEPS);
	for (i = 0; i < STEPS; i++) {
		if (!opseq_step(&s, steps[i].op, steps[i].handle, steps[i].arg)) {
			char error[sizeof(s.error)];
			int j;

			memcpy(error, s.error, sizeof(error));
			keep_arena(opseq_end(&s));
			printf("# model mismatch: %s\n", error);
			printf("# reproduce: OBJLIFE_MODEL_SEED=%" PRIu64 " %s\n", seed, program);
			printf("# shortest failing prefix (%d steps):\n", i + 1);
			for (j = 0; j <= i; j++) {
				char op[64];

				opseq_describe(steps[j].op, steps[j].handle, steps[j].arg, op, sizeof(op));
				printf("#   %4d %s\n", j, op);
			}
			g_test_fail();
			return;
		}
	}
	keep_arena(opseq_end(&s));
	/* Everything the sequence left alive was put or uncounted. */
	g_assert_cmpuint(objlife_live_count(&opseq_ops), ==, s.live_base);
}

static void test_model_random_sequences(void)
{
	const char *env = getenv("OBJLIFE_MODEL_SEED");
	/* GTest's seed (--seed, printed at the top of the log) picks the
	 * sequences, so a whole run reproduces too. */
	uint64_t master = env ? strtoull(env, NULL, 10) :
		(uint64_t)(uint32_t)g_test_rand_int() << 32 | (uint32_t)g_test_rand_int();
	uint64_t rng = master | 1;
	int i;

	if (env) {
		/* One sequence, exactly as it ran when it failed. */
		run_sequence(master);
	} else {
		for (i = 0; i < SEQUENCES && !g_test_failed(); i++)
			run_sequence(next_random(&rng));
	}
	free_arenas();
}

/* The model itself must be able to fail: a deliberately wrong expectation
 * is caught at the step it is made. */
static void test_model_detects_a_wrong_library(void)
{
	struct opseq s;
	bool ok;

	opseq_begin(&s, 4);
	g_assert_true(opseq_step(&s, OP_ALLOC, 0, ALLOC_OK));
	/* Behind the model's back: a get the model does not know about. */
	objlife_get(s.h[0].obj);
	ok = opseq_step(&s, OP_GET, 0, 0);
	g_assert_false(ok);
	g_assert_nonnull(strstr(s.error, "count 0x3, model 0x2"));
	objlife_put(s.h[0].obj);
	free(opseq_end(&s));
}

int main(int argc, char **argv)
{
	program = argv[0];
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/model/random-sequences-match-the-model", test_model_random_sequences);
	g_test_add_func("/model/detects-a-wrong-library", test_model_detects_a_wrong_library);
	return g_test_run();
}
