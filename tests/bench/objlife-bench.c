/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife-bench: what libobjlife costs next to the hardware floor and next
 * to its peers (GLib's GRcBox and GObject, the C++ std::shared_ptr).
 *
 *   objlife-bench [--json] [--filter CASE] [--rounds N] [--quick] [--list]
 *
 * Method. Each case's candidates run interleaved in this one process
 * (A B C A B C ...), so that a burst of load on a shared machine hits all
 * of them alike. Each candidate is first calibrated (which warms caches,
 * the allocator and the branch predictors) to a batch of operations that
 * takes about 10 ms, so that the two clock_gettime(CLOCK_MONOTONIC) reads
 * around a batch are noise; then runs one more, discarded, batch; then one
 * batch per round. The table shows the median over the rounds, its ratio
 * to the case's floor, and the fastest and slowest round.
 *
 * The floor is what the same work costs written by hand, with nothing a
 * library adds: for get + put, two C11 atomics; for an allocation and its
 * last put, a struct with a uint32_t count in zeroed memory, one release
 * decrement, the acquire fence and free(). Zeroed memory comes from
 * calloc() or from malloc() + memset(), each a candidate of its own (glibc
 * serves calloc() past its per-thread cache, so the two differ), and the
 * case's floor is the faster of the two in this run: the table says which
 * won. Cases without such a pair have their first candidate as the floor.
 *
 * No result here is an assertion: tests/bench/smoke.sh checks only that
 * every case and candidate ran.
 *
 * OBJLIFE_DEBUG is read once per process, so the diagnostics case runs
 * each setting in a child: this program re-executed (/proc/self/exe) with
 * an internal flag and the variable set, kept alive for the whole case
 * and driven over a pipe, one batch per request, so that its batches
 * interleave with the other settings' as in-process candidates do. A
 * probe child per word tells whether the library knows it (it warns
 * "unknown option" otherwise, and runs without it): rows that ran
 * without their option are marked [ignored] and their targets are not
 * judged. The 1,000 and 1,000,000 live objects are a static background
 * of the measured type: they show whether the registry's cost per
 * operation depends on how many entries it holds (O(n) work, rehashing),
 * not the cache misses that churning a million-object heap adds to every
 * allocator alike.
 *
 * Units: ns per operation, one operation being a get+put pair or an
 * allocation with its final put. In the contended case it is the batch's
 * wall time divided by the pairs each of the two threads did.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <objlife.h>

#include "bench.h"

#define DEFAULT_ROUNDS 15
#define QUICK_ROUNDS 5
#define BATCH_NS 10000000.0        /* one batch: about 10 ms */
#define QUICK_BATCH_NS 1000000.0   /* --quick: about 1 ms */
#define MIN_BATCH 1000u
#define FEW_LIVE 1000u
#define MANY_LIVE 1000000u
#define MAX_CANDIDATES 8

/* The internal flags of a diagnostics child; not for users. */
#define CHILD_FLAG "--internal-diagnostics-child"
#define PROBE_FLAG "--internal-debug-probe"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "objlife-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------------ */
/* Cases and candidates                                               */
/* ------------------------------------------------------------------ */

enum kind {
	IN_PROCESS,   /* run() in this thread */
	CONTENDED,    /* run() in two threads at once, on the same object */
	CHILD,        /* the lifecycle, in a child with OBJLIFE_DEBUG set */
};

struct candidate {
	const char *id;        /* stable name, for --json and scripts */
	const char *label;     /* for the table */
	const struct bench_impl *impl;  /* IN_PROCESS, CONTENDED */
	const char *debug;     /* CHILD: OBJLIFE_DEBUG, or NULL for unset */
	size_t live;           /* CHILD: objects kept alive meanwhile */
	bool floor;            /* one of the hand-written floors: the faster is the case's */

	/* Filled in by the run. */
	void *state;
	struct child *child;
	uint64_t batch;        /* operations per batch */
	double *samples;       /* ns per operation, one per round */
	double median, min, max;
	bool ran;
};

struct bench_case {
	const char *name;
	const char *what;
	enum kind kind;
	size_t size;           /* object size, for the lifecycle cases */
	/* The floor: the faster of those marked .floor, else cand[0]. */
	struct candidate cand[MAX_CANDIDATES];
};

#define CAND(id_, label_, impl_) { .id = id_, .label = label_, .impl = impl_ }
#define FLOOR(id_, label_, impl_) { .id = id_, .label = label_, .impl = impl_, .floor = true }
#define DIAG(id_, label_, debug_, live_) { .id = id_, .label = label_, .debug = debug_, .live = live_ }
/* Both lifecycle sizes race the same candidates. */
#define LIFECYCLE_CANDIDATES \
	FLOOR("floor-calloc", "calloc + free, by hand", &bench_raw_lifecycle_calloc), \
	FLOOR("floor-malloc", "malloc + memset + free, by hand", &bench_raw_lifecycle_malloc), \
	CAND("objlife", "objlife_alloc + objlife_put", &bench_objlife_lifecycle), \
	CAND("objlife-cached", "objlife_alloc + objlife_put, cached type", &bench_objlife_cached_lifecycle), \
	CAND("grcbox", "g_atomic_rc_box_alloc0/release", &bench_grcbox_lifecycle), \
	CAND("gobject", "g_object_new/unref", &bench_gobject_lifecycle), \
	CAND("make-shared", "std::make_shared + reset", &bench_make_shared_lifecycle),

/* Both mixed cases race the same candidates; the case's size is the
 * number of threads, each building its own documents. */
#define MIXED_CANDIDATES \
	FLOOR("floor-calloc", "calloc + free, by hand", &bench_mixed_floor_calloc), \
	FLOOR("floor-malloc", "malloc + memset + free, by hand", &bench_mixed_floor_malloc), \
	CAND("objlife-one", "objlife, one type", &bench_mixed_objlife_one), \
	CAND("objlife-six", "objlife, six types interleaved", &bench_mixed_objlife_six), \
	CAND("objlife-one-cached", "objlife, one type, cached", &bench_mixed_objlife_one_cached), \
	CAND("objlife-six-cached", "objlife, six types, cached", &bench_mixed_objlife_six_cached), \
	CAND("objlife-six-doc-cached", "objlife, six types, document cache", \
	     &bench_mixed_objlife_six_doc_cached),

/* Every types case races the same candidates; the two-thread ones give
 * the time per operation per thread. */
#define TYPES_CANDIDATES \
	CAND("uncached", "objlife_alloc + objlife_put", &bench_objlife_types_uncached), \
	CAND("cached", "the same, cached type", &bench_objlife_types_cached), \
	CAND("uncached-2t", "objlife_alloc + objlife_put, two threads", &bench_objlife_types_uncached_2t), \
	CAND("cached-2t", "the same, cached type, two threads", &bench_objlife_types_cached_2t),

/* Both lookup cases race the same candidates. */
#define LOOKUP_CANDIDATES \
	CAND("mutex", "hash + pthread mutex + objlife_get, by hand", &bench_lookup_mutex), \
	CAND("rwlock", "hash + pthread rwlock (read) + objlife_get, by hand", &bench_lookup_rwlock), \
	CAND("objlife", "objlife_lookup + objlife_put", &bench_lookup_objlife), \
	CAND("mutex-2t", "by hand, mutex, two threads", &bench_lookup_mutex_2t), \
	CAND("rwlock-2t", "by hand, rwlock, two threads", &bench_lookup_rwlock_2t), \
	CAND("objlife-2t", "objlife_lookup, two threads", &bench_lookup_objlife_2t), \
	CAND("unlocked", "hash + objlife_get, no lock (unsafe, for scale)", &bench_lookup_unlocked), \
	CAND("unlocked-2t", "the same, two threads", &bench_lookup_unlocked_2t),

static struct bench_case cases[] = {
	{ "refpair", "get + put on a live object, one thread", IN_PROCESS, 0, {
		CAND("raw-atomics", "C11 atomics (floor)", &bench_raw_refpair),
		CAND("objlife-inline", "objlife, inline", &bench_objlife_refpair),
		CAND("objlife-static", "objlife, inline, static object", &bench_objlife_static_refpair),
		CAND("objlife-exported", "objlife, exported functions", &bench_objlife_exported_refpair),
		CAND("grcbox", "g_atomic_rc_box_acquire/release", &bench_grcbox_refpair),
		CAND("gobject", "g_object_ref/unref", &bench_gobject_refpair),
		CAND("shared-ptr", "std::shared_ptr copy+destroy", &bench_shared_ptr_refpair),
	} },
	{ "lifecycle-64", "allocate + trivial init + final put, 64-byte object", IN_PROCESS, BENCH_SMALL, {
		LIFECYCLE_CANDIDATES
	} },
	{ "lifecycle-1k", "allocate + trivial init + final put, 1-KiB object", IN_PROCESS, BENCH_LARGE, {
		LIFECYCLE_CANDIDATES
	} },
	{ "mixed", "a JSON document's nodes, six types of 24 to 96 bytes, per node", IN_PROCESS, 1, {
		MIXED_CANDIDATES
	} },
	{ "mixed-2t", "the same, two threads each building documents (per node, per thread)", IN_PROCESS, 2, {
		MIXED_CANDIDATES
	} },
	/* The size of a types case is how many other types the thread used. */
	{ "types-0", "lifecycle-64 in a thread that used no other type", IN_PROCESS, 0, {
		TYPES_CANDIDATES
	} },
	{ "types-64", "lifecycle-64 in a thread that used 64 other types", IN_PROCESS, 64, {
		TYPES_CANDIDATES
	} },
	{ "types-1k", "lifecycle-64 in a thread that used 1,000 other types", IN_PROCESS, 1000, {
		TYPES_CANDIDATES
	} },
	{ "types-100k", "lifecycle-64 in a thread that used 100,000 other types", IN_PROCESS, 100000, {
		TYPES_CANDIDATES
	} },
	/* The size of a lookup case is how many objects are registered. */
	{ "lookup-1e3", "find by key + put, 1,000 registered (per lookup, per thread)", IN_PROCESS, 1000, {
		LOOKUP_CANDIDATES
	} },
	{ "lookup-1e6", "find by key + put, 1,000,000 registered (per lookup, per thread)", IN_PROCESS, 1000000, {
		LOOKUP_CANDIDATES
	} },
	{ "contended", "get + put on one object from two threads (per pair, per thread)", CONTENDED, 0, {
		CAND("raw-atomics", "C11 atomics (floor)", &bench_raw_refpair),
		CAND("objlife-inline", "objlife, inline", &bench_objlife_refpair),
	} },
	{ "diagnostics", "lifecycle-64 objlife under OBJLIFE_DEBUG, one child process each", CHILD, BENCH_SMALL, {
		DIAG("unset", "OBJLIFE_DEBUG unset (floor)", NULL, 0),
		DIAG("leaks", "OBJLIFE_DEBUG=leaks", "leaks", 0),
		DIAG("leaks-refs", "OBJLIFE_DEBUG=leaks,refs", "leaks,refs", 0),
		DIAG("leaks-live-1e3", "leaks, 1,000 live", "leaks", FEW_LIVE),
		DIAG("leaks-live-1e6", "leaks, 1,000,000 live", "leaks", MANY_LIVE),
	} },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static size_t n_candidates(const struct bench_case *c)
{
	size_t n = 0;

	while (n < MAX_CANDIDATES && c->cand[n].id)
		n++;
	return n;
}

/* The case's floor: the fastest hand-written candidate, else the first. */
static const struct candidate *case_floor(const struct bench_case *c)
{
	const struct candidate *best = NULL;
	size_t j;

	for (j = 0; j < n_candidates(c); j++)
		if (c->cand[j].floor && c->cand[j].ran && (!best || c->cand[j].median < best->median))
			best = &c->cand[j];
	return best ? best : &c->cand[0];
}

/* A candidate that ran; the id "floor" is the case's floor. */
static const struct candidate *find(const char *case_name, const char *id)
{
	size_t i, j;

	for (i = 0; i < N_CASES; i++) {
		if (strcmp(cases[i].name, case_name))
			continue;
		if (!strcmp(id, "floor"))
			return cases[i].cand[0].ran ? case_floor(&cases[i]) : NULL;
		for (j = 0; j < n_candidates(&cases[i]); j++)
			if (!strcmp(cases[i].cand[j].id, id))
				return cases[i].cand[j].ran ? &cases[i].cand[j] : NULL;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Multi-threaded from the start                                      */
/* ------------------------------------------------------------------ */

static void *nothing(void *arg)
{
	return arg;
}

/*
 * A daemon that embeds a lifecycle runtime has threads. A process that
 * never had one takes shortcuts that a daemon does not: glibc's malloc
 * skips its arena lock and libstdc++'s shared_ptr skips its atomics while
 * __libc_single_threaded is true. One thread, started and joined before
 * anything is measured, turns that off for good in this process and in
 * every child, so that every candidate is measured as a daemon runs it.
 */
static void become_multithreaded(void)
{
	pthread_t t;

	errno = pthread_create(&t, NULL, nothing, NULL);
	if (errno)
		die("pthread_create");
	pthread_join(t, NULL);
}

/* ------------------------------------------------------------------ */
/* Diagnostics children                                               */
/* ------------------------------------------------------------------ */

/* Which OBJLIFE_DEBUG words this build of the library knows; a library
 * that does not know one warns and runs without it. */
struct debug_word {
	const char *word;
	bool probed, accepted;
	char said[512];        /* the library's warning, if any */
};
static struct debug_word debug_words[] = { { "leaks", false, false, "" }, { "refs", false, false, "" } };
#define N_DEBUG_WORDS (sizeof(debug_words) / sizeof(debug_words[0]))

struct child {
	pid_t pid;
	FILE *to, *from;
	FILE *err;             /* the child's stderr, a temporary file */
};

static char self_path[4096];

static void find_self(const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	if (n > 0)
		self_path[n] = '\0';
	else
		snprintf(self_path, sizeof(self_path), "%s", argv0);
}

/* This process's environment with OBJLIFE_DEBUG replaced by @debug (or
 * removed for NULL), and no OBJLIFE_DEBUG_FILE: the library's warnings
 * must reach the child's stderr, which is read back. */
static char **child_env(const char *debug, char *buf, size_t len)
{
	extern char **environ;
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		die("calloc");
	for (i = 0; i < n; i++) {
		if (!strncmp(environ[i], "OBJLIFE_DEBUG=", 14) ||
		    !strncmp(environ[i], "OBJLIFE_DEBUG_FILE=", 19))
			continue;
		env[k++] = environ[i];
	}
	if (debug) {
		snprintf(buf, len, "OBJLIFE_DEBUG=%s", debug);
		env[k++] = buf;
	}
	env[k] = NULL;
	return env;
}

static struct child *child_start(const char *flag, const char *debug, size_t live)
{
	struct child *ch = calloc(1, sizeof(*ch));
	int in[2], out[2];
	char live_arg[32], debug_buf[256];
	char *argv[4];
	char **env;
	posix_spawn_file_actions_t fa;
	int err;

	if (!ch || pipe(in) < 0 || pipe(out) < 0)
		die("pipe");
	ch->err = tmpfile();
	if (!ch->err)
		die("tmpfile");
	snprintf(live_arg, sizeof(live_arg), "%zu", live);
	argv[0] = self_path;
	argv[1] = (char *)flag;
	argv[2] = live_arg;
	argv[3] = NULL;
	env = child_env(debug, debug_buf, sizeof(debug_buf));

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fileno(ch->err), 2);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	err = posix_spawn(&ch->pid, self_path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (err) {
		errno = err;
		die(self_path);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	ch->to = fdopen(in[1], "w");
	ch->from = fdopen(out[0], "r");
	if (!ch->to || !ch->from)
		die("fdopen");
	return ch;
}

/* One reply line from the child, or exit with what it wrote to stderr. */
static void child_reply(struct child *ch, char *line, size_t len)
{
	if (fgets(line, (int)len, ch->from))
		return;
	fprintf(stderr, "objlife-bench: a diagnostics child stopped answering; its stderr:\n");
	rewind(ch->err);
	while (fgets(line, (int)len, ch->err))
		fputs(line, stderr);
	exit(1);
}

/* The child's stderr so far: the first line that says "unknown option". */
static bool child_warned(struct child *ch, char *said, size_t len)
{
	char line[512];
	bool warned = false;

	fflush(ch->err);
	rewind(ch->err);
	while (fgets(line, sizeof(line), ch->err)) {
		if (!warned && strstr(line, "unknown option")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(said, len, "%s", line);
			warned = true;
		}
	}
	fseek(ch->err, 0, SEEK_END);
	return warned;
}

static void child_stop(struct child *ch)
{
	int status;

	fputs("q\n", ch->to);
	fclose(ch->to);
	fclose(ch->from);
	while (waitpid(ch->pid, &status, 0) < 0 && errno == EINTR)
		;
	fclose(ch->err);
	free(ch);
}

/* Asks a library with only @word set whether it knows the word. */
static void probe_debug_words(void)
{
	size_t i;

	for (i = 0; i < N_DEBUG_WORDS; i++) {
		struct debug_word *w = &debug_words[i];
		struct child *ch;
		char line[64];

		if (w->probed)
			continue;
		ch = child_start(PROBE_FLAG, w->word, 0);
		child_reply(ch, line, sizeof(line));
		w->accepted = !child_warned(ch, w->said, sizeof(w->said));
		w->probed = true;
		child_stop(ch);
	}
}

static bool debug_accepted(const char *word)
{
	size_t i;

	for (i = 0; i < N_DEBUG_WORDS; i++)
		if (!strcmp(debug_words[i].word, word))
			return debug_words[i].probed && debug_words[i].accepted;
	return false;
}

/* Every word of a comma list is known to the library. */
static bool debug_list_accepted(const char *list)
{
	char buf[128], *word, *save = NULL;

	if (!list)
		return true;
	snprintf(buf, sizeof(buf), "%s", list);
	for (word = strtok_r(buf, ",", &save); word; word = strtok_r(NULL, ",", &save))
		if (!debug_accepted(word))
			return false;
	return true;
}

/* A child: holds @live objects of the measured type, then runs batches of
 * the lifecycle-64 objlife candidate on request ("r N" -> elapsed ns). */
static int child_main(const char *live_arg)
{
	size_t live = strtoul(live_arg, NULL, 10);
	void *state;
	void **held;
	char line[64];

	become_multithreaded();
	state = bench_objlife_lifecycle.setup(BENCH_SMALL);
	/* The first allocation reads OBJLIFE_DEBUG. */
	bench_objlife_lifecycle.run(state, 1);
	held = bench_objlife_hold(live);
	if (!held) {
		fprintf(stderr, "objlife-bench: cannot hold %zu live objects\n", live);
		return 1;
	}
	printf("ready %zu\n", objlife_live_count(NULL));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		uint64_t n, t0, t1;

		if (line[0] != 'r')
			break;
		n = strtoull(line + 1, NULL, 10);
		t0 = now_ns();
		bench_objlife_lifecycle.run(state, n);
		t1 = now_ns();
		printf("%" PRIu64 "\n", t1 - t0);
		fflush(stdout);
	}
	bench_objlife_unhold(held, live);
	bench_objlife_lifecycle.teardown(state);
	return 0;
}

/* A probe: one allocation (the library reads OBJLIFE_DEBUG), then done. */
static int probe_main(void)
{
	void *state = bench_objlife_lifecycle.setup(BENCH_SMALL);

	bench_objlife_lifecycle.run(state, 1);
	bench_objlife_lifecycle.teardown(state);
	printf("done\n");
	fflush(stdout);
	/* Stay until the parent closes the pipe: it reads our stderr first. */
	while (getchar() != EOF)
		;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running batches                                                    */
/* ------------------------------------------------------------------ */

struct contender {
	const struct bench_impl *impl;
	void *state;
	uint64_t n;
	pthread_barrier_t *start;
	uint64_t t0, t1;
};

static void *contend(void *p)
{
	struct contender *c = p;

	pthread_barrier_wait(c->start);
	c->t0 = now_ns();
	c->impl->run(c->state, c->n);
	c->t1 = now_ns();
	return NULL;
}

/* Two threads, released together by a barrier, each doing @n pairs on
 * the same object; the batch lasts from the first start to the last end. */
static uint64_t contended_batch(struct candidate *cand, uint64_t n)
{
	pthread_barrier_t start;
	struct contender c[2];
	pthread_t thread[2];
	int i;

	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		c[i].impl = cand->impl;
		c[i].state = cand->state;
		c[i].n = n;
		c[i].start = &start;
		errno = pthread_create(&thread[i], NULL, contend, &c[i]);
		if (errno)
			die("pthread_create");
	}
	for (i = 0; i < 2; i++)
		pthread_join(thread[i], NULL);
	pthread_barrier_destroy(&start);
	return (c[0].t1 > c[1].t1 ? c[0].t1 : c[1].t1) - (c[0].t0 < c[1].t0 ? c[0].t0 : c[1].t0);
}

static uint64_t child_batch(struct candidate *cand, uint64_t n)
{
	char line[64];

	fprintf(cand->child->to, "r %" PRIu64 "\n", n);
	fflush(cand->child->to);
	child_reply(cand->child, line, sizeof(line));
	return strtoull(line, NULL, 10);
}

/* Elapsed ns for @n operations of @cand. */
static uint64_t batch(const struct bench_case *c, struct candidate *cand, uint64_t n)
{
	uint64_t t0, t1;

	switch (c->kind) {
	case CONTENDED:
		return contended_batch(cand, n);
	case CHILD:
		return child_batch(cand, n);
	case IN_PROCESS:
	default:
		t0 = now_ns();
		cand->impl->run(cand->state, n);
		t1 = now_ns();
		return t1 - t0;
	}
}

/* The batch size that takes about @target ns; running it warms up. */
static uint64_t calibrate(const struct bench_case *c, struct candidate *cand, double target)
{
	uint64_t n = MIN_BATCH;

	for (;;) {
		uint64_t t = batch(c, cand, n);

		if (t >= target / 2 || n >= ((uint64_t)1 << 40)) {
			double scaled = (double)n * target / (double)(t ? t : 1);

			return scaled < MIN_BATCH ? MIN_BATCH : (uint64_t)scaled;
		}
		n *= t < target / 64 ? 8 : 2;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summarise(struct candidate *cand, unsigned rounds)
{
	double *sorted = malloc(rounds * sizeof(*sorted));

	if (!sorted)
		die("malloc");
	memcpy(sorted, cand->samples, rounds * sizeof(*sorted));
	qsort(sorted, rounds, sizeof(*sorted), cmp_double);
	cand->min = sorted[0];
	cand->max = sorted[rounds - 1];
	cand->median = rounds % 2 ? sorted[rounds / 2]
				  : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
	free(sorted);
}

static void run_case(struct bench_case *c, unsigned rounds, double target)
{
	size_t n = n_candidates(c), i;
	unsigned r;

	for (i = 0; i < n; i++) {
		struct candidate *cand = &c->cand[i];

		cand->samples = calloc(rounds, sizeof(*cand->samples));
		if (!cand->samples)
			die("calloc");
		if (c->kind == CHILD) {
			char line[64];

			cand->child = child_start(CHILD_FLAG, cand->debug, cand->live);
			child_reply(cand->child, line, sizeof(line));
		} else {
			cand->state = cand->impl->setup(c->size);
			if (!cand->state)
				die(cand->id);
		}
	}
	/* Warm-up: calibration, then one full batch that is not counted. */
	for (i = 0; i < n; i++) {
		c->cand[i].batch = calibrate(c, &c->cand[i], target);
		(void)batch(c, &c->cand[i], c->cand[i].batch);
	}
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			c->cand[i].samples[r] =
				(double)batch(c, &c->cand[i], c->cand[i].batch) / (double)c->cand[i].batch;
	for (i = 0; i < n; i++) {
		struct candidate *cand = &c->cand[i];

		summarise(cand, rounds);
		cand->ran = true;
		if (c->kind == CHILD)
			child_stop(cand->child);
		else
			cand->impl->teardown(cand->state);
	}
}

/* ------------------------------------------------------------------ */
/* Targets, judged on the medians of this run                        */
/* ------------------------------------------------------------------ */

struct target {
	const char *what;
	const char *case_name, *id;          /* the candidate judged */
	const char *ref_case, *ref_id;       /* against this one */
	double limit;                        /* ratio at most this */
	bool strict;                         /* ratio below the limit */
	const char *needs;                   /* OBJLIFE_DEBUG words it needs */
	bool info;                           /* shown, not judged */
};

static const struct target targets[] = {
	{ "refpair: objlife inline <= 1.10x the floor", "refpair", "objlife-inline", "refpair", "raw-atomics", 1.10, false, NULL, false },
	{ "refpair: objlife inline <= 0.8x GRcBox", "refpair", "objlife-inline", "refpair", "grcbox", 0.8, false, NULL, false },
	{ "refpair: objlife inline <= 0.8x GObject", "refpair", "objlife-inline", "refpair", "gobject", 0.8, false, NULL, false },
	{ "refpair: objlife inline <= 0.8x shared_ptr", "refpair", "objlife-inline", "refpair", "shared-ptr", 0.8, false, NULL, false },
	/* The same two atomics through the PLT: not a peer, shown for scale. */
	{ "refpair: objlife inline vs objlife exported", "refpair", "objlife-inline", "refpair", "objlife-exported", 0, false, NULL, true },
	{ "refpair: static object <= 1.5x an allocated one", "refpair", "objlife-static", "refpair", "objlife-inline", 1.5, false, NULL, false },
	{ "lifecycle-64: objlife <= 1.15x the floor", "lifecycle-64", "objlife", "lifecycle-64", "floor", 1.15, false, NULL, false },
	{ "lifecycle-64: objlife below GRcBox", "lifecycle-64", "objlife", "lifecycle-64", "grcbox", 1.0, true, NULL, false },
	{ "lifecycle-64: objlife <= 0.1x GObject", "lifecycle-64", "objlife", "lifecycle-64", "gobject", 0.1, false, NULL, false },
	/* A type with ops->cache skips the allocator: it is never slower than
	 * the hand-written code that calls it. */
	{ "lifecycle-64: objlife cached <= 1.0x the floor", "lifecycle-64", "objlife-cached", "lifecycle-64", "floor", 1.0, false, NULL, false },
	{ "lifecycle-1k: objlife <= 1.15x the floor", "lifecycle-1k", "objlife", "lifecycle-1k", "floor", 1.15, false, NULL, false },
	{ "lifecycle-1k: objlife cached <= 1.0x the floor", "lifecycle-1k", "objlife-cached", "lifecycle-1k", "floor", 1.0, false, NULL, false },
	{ "lifecycle-1k: objlife below GRcBox", "lifecycle-1k", "objlife", "lifecycle-1k", "grcbox", 1.0, true, NULL, false },
	{ "lifecycle-1k: objlife <= 0.1x GObject", "lifecycle-1k", "objlife", "lifecycle-1k", "gobject", 0.1, false, NULL, false },
	/* A parser's document: six types interleaved cost what one does. */
	{ "mixed: objlife, one type <= 1.15x the floor", "mixed", "objlife-one", "mixed", "floor", 1.15, false, NULL, false },
	{ "mixed: objlife, six types <= 1.15x the floor", "mixed", "objlife-six", "mixed", "floor", 1.15, false, NULL, false },
	{ "mixed-2t: objlife, one type <= 1.15x the floor", "mixed-2t", "objlife-one", "mixed-2t", "floor", 1.15, false, NULL, false },
	{ "mixed-2t: objlife, six types <= 1.15x the floor", "mixed-2t", "objlife-six", "mixed-2t", "floor", 1.15, false, NULL, false },
	/* What the cache does for a parser that sizes it to its documents:
	 * not a target, the uncached rows are. */
	{ "mixed: six types, document cache, vs the floor", "mixed", "objlife-six-doc-cached", "mixed", "floor", 0, false, NULL, true },
	{ "mixed-2t: six types, document cache, vs the floor", "mixed-2t", "objlife-six-doc-cached", "mixed-2t", "floor", 0, false, NULL, true },
	/* A thread's cost per allocation does not depend on how many types
	 * it used before (each case against the same candidate after none). */
	{ "types-64: uncached <= 1.2x after no other type", "types-64", "uncached", "types-0", "uncached", 1.2, false, NULL, false },
	{ "types-1k: uncached <= 1.2x after no other type", "types-1k", "uncached", "types-0", "uncached", 1.2, false, NULL, false },
	{ "types-100k: uncached <= 1.2x after no other type", "types-100k", "uncached", "types-0", "uncached", 1.2, false, NULL, false },
	{ "types-64: cached <= 1.2x after no other type", "types-64", "cached", "types-0", "cached", 1.2, false, NULL, false },
	{ "types-1k: cached <= 1.2x after no other type", "types-1k", "cached", "types-0", "cached", 1.2, false, NULL, false },
	{ "types-100k: cached <= 1.2x after no other type", "types-100k", "cached", "types-0", "cached", 1.2, false, NULL, false },
	{ "types-100k: two threads, uncached <= 1.2x after no other type", "types-100k", "uncached-2t", "types-0", "uncached-2t", 1.2, false, NULL, false },
	{ "types-100k: two threads, cached <= 1.2x after no other type", "types-100k", "cached-2t", "types-0", "cached-2t", 1.2, false, NULL, false },
	/* Lookups take no lock: about half the atomics of the mutex pattern,
	 * a cost that does not grow with the table, and threads that do not
	 * meet on a lock. */
	{ "lookup-1e3: objlife <= 0.7x the mutex pattern", "lookup-1e3", "objlife", "lookup-1e3", "mutex", 0.7, false, NULL, false },
	{ "lookup-1e6: objlife <= 0.7x the mutex pattern", "lookup-1e6", "objlife", "lookup-1e6", "mutex", 0.7, false, NULL, false },
	{ "lookup-1e3: objlife vs the rwlock pattern", "lookup-1e3", "objlife", "lookup-1e3", "rwlock", 0, false, NULL, true },
	{ "lookup-1e6: objlife at 1e6 <= 1.3x at 1e3", "lookup-1e6", "objlife", "lookup-1e3", "objlife", 1.3, false, NULL, false },
	{ "lookup-1e3: two threads <= 1.3x one, per lookup", "lookup-1e3", "objlife-2t", "lookup-1e3", "objlife", 1.3, false, NULL, false },
	{ "lookup-1e6: two threads <= 1.3x one, per lookup", "lookup-1e6", "objlife-2t", "lookup-1e6", "objlife", 1.3, false, NULL, false },
	/* What this machine gives two threads that share nothing, for scale:
	 * on a virtual machine whose one busy CPU runs faster than two, no
	 * lookup can do better. */
	{ "lookup-1e3: two threads vs one, no lock at all (the machine's own)", "lookup-1e3", "unlocked-2t", "lookup-1e3", "unlocked", 0, false, NULL, true },
	{ "lookup-1e6: two threads vs one, no lock at all (the machine's own)", "lookup-1e6", "unlocked-2t", "lookup-1e6", "unlocked", 0, false, NULL, true },
	{ "lookup-1e3: two threads, objlife vs the mutex pattern", "lookup-1e3", "objlife-2t", "lookup-1e3", "mutex-2t", 0, false, NULL, true },
	{ "contended: objlife <= 1.2x the floor", "contended", "objlife-inline", "contended", "raw-atomics", 1.2, false, NULL, false },
	{ "diagnostics: leaks <= 2x unset", "diagnostics", "leaks", "diagnostics", "unset", 2.0, false, "leaks", false },
	{ "diagnostics: leaks at 1e6 live <= 1.2x at 1e3", "diagnostics", "leaks-live-1e6", "diagnostics", "leaks-live-1e3", 1.2, false, "leaks", false },
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

enum verdict { NOT_RUN, NOT_MEASURED, INFO, MET, MISSED };

static enum verdict judge(const struct target *t, double *ratio)
{
	const struct candidate *a = find(t->case_name, t->id), *b = find(t->ref_case, t->ref_id);

	*ratio = 0;
	if (!a || !b)
		return NOT_RUN;
	*ratio = a->median / b->median;
	if (t->info)
		return INFO;
	/* A library that ignored the option measured the plain path. */
	if (t->needs && !debug_list_accepted(t->needs))
		return NOT_MEASURED;
	return (t->strict ? *ratio < t->limit : *ratio <= t->limit) ? MET : MISSED;
}

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

#ifdef __clang__
# define COMPILER "clang " __clang_version__
#else
# define COMPILER "gcc " __VERSION__
#endif

struct machine {
	char compiler[64];
	char cpu[128];
	long cpus;
	double load;
};

static void describe_machine(struct machine *m)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	size_t len;

	/* clang's version string ends in a space. */
	snprintf(m->compiler, sizeof(m->compiler), "%s", COMPILER);
	len = strlen(m->compiler);
	while (len && m->compiler[len - 1] == ' ')
		m->compiler[--len] = '\0';
	snprintf(m->cpu, sizeof(m->cpu), "unknown CPU");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			colon += 1 + strspn(colon + 1, " \t");
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
			break;
		}
	}
	if (f)
		fclose(f);
	m->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	m->load = -1;
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &m->load) != 1)
			m->load = -1;
		fclose(f);
	}
}

#ifdef __OPTIMIZE__
# define OPTIMISED true
#else
# define OPTIMISED false
#endif

/* Settings in the environment that change what is measured. */
static void print_env_notes(FILE *out, const char *prefix)
{
	static const char *const vars[] = { "OBJLIFE_DEBUG", "MALLOC_PERTURB_", "MALLOC_CHECK_", "G_SLICE", "LD_PRELOAD" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v)
			fprintf(out, "%snote: %s=%s is set; in-process cases run with it\n", prefix, vars[i], v);
	}
	if (!OPTIMISED)
		fprintf(out, "%snote: built without optimisation; the numbers mean little\n", prefix);
}

/* Which OBJLIFE_DEBUG words the library took, and what it said of the
 * others: rows marked [ignored] measured the plain path. */
static void print_debug_words(void)
{
	size_t k;
	bool any_ignored = false;

	for (k = 0; k < N_DEBUG_WORDS; k++) {
		printf("%-13s OBJLIFE_DEBUG=%s: %s\n", "", debug_words[k].word,
		       debug_words[k].accepted ? "accepted by this libobjlife"
					       : "unknown to this libobjlife: rows marked [ignored] ran without it");
		any_ignored |= !debug_words[k].accepted;
	}
	if (!any_ignored)
		return;
	printf("%-13s the library said:\n", "");
	for (k = 0; k < N_DEBUG_WORDS; k++)
		if (!debug_words[k].accepted)
			printf("%-13s   %s\n", "", debug_words[k].said);
}

/* What the mixed cases build, so that a reader can judge the mix. */
static void print_document(void)
{
	static const char *const names[6] = { "null/true/false", "integers", "reals", "strings", "arrays", "objects" };
	size_t counts[6], n = bench_mixed_counts(counts), k;

	printf("%-13s the document: %zu nodes:", "", n);
	for (k = 0; k < 6; k++)
		printf("%s %zu %s", k ? "," : "", counts[k], names[k]);
	printf("\n");
}

static void print_table(const struct machine *m, unsigned rounds, bool quick)
{
	size_t i, j;

	printf("objlife-bench: median ns per operation over %u rounds, candidates interleaved%s\n",
	       rounds, quick ? " (--quick: short batches, for a smoke run only)" : "");
	printf("machine: %s, %ld CPUs online, load average %.2f at start; compiler %s%s\n",
	       m->cpu, m->cpus, m->load, m->compiler, OPTIMISED ? ", optimised" : ", NOT optimised");
	print_env_notes(stdout, "");
	printf("\n%-13s %-40s %9s %8s   %s\n", "case", "candidate", "ns/op", "x floor", "fastest..slowest round");
	for (i = 0; i < N_CASES; i++) {
		const struct bench_case *c = &cases[i];
		const struct candidate *fl;
		bool pair = false;

		if (!c->cand[0].ran)
			continue;
		fl = case_floor(c);
		printf("%-13s %s\n", c->name, c->what);
		for (j = 0; j < n_candidates(c); j++) {
			const struct candidate *cand = &c->cand[j];
			char label[80];

			pair |= cand->floor;
			snprintf(label, sizeof(label), "%s%s%s", cand->label,
				 cand == fl && cand->floor ? " (floor)" : "",
				 debug_list_accepted(cand->debug) ? "" : " [ignored]");
			printf("%-13s %-40s %9.2f %7.2fx   %.2f..%.2f\n", "", label, cand->median,
			       cand->median / fl->median, cand->min, cand->max);
		}
		if (pair)
			printf("%-13s the floor is the faster by-hand row: %s\n", "", fl->label);
		if (c->cand[0].impl == &bench_mixed_floor_calloc)
			print_document();
		if (c->kind == CHILD)
			print_debug_words();
	}
	printf("\ntargets:\n");
	for (i = 0; i < N_TARGETS; i++) {
		double ratio;
		enum verdict v = judge(&targets[i], &ratio);

		if (v == NOT_RUN)
			continue;
		if (v == NOT_MEASURED)
			printf("  %-8s %-50s %6.2fx (the library ignored OBJLIFE_DEBUG=%s)\n", "n/a",
			       targets[i].what, ratio, targets[i].needs);
		else if (v == INFO)
			printf("  %-8s %-50s %6.2fx (for scale, not a target)\n", "info", targets[i].what, ratio);
		else
			printf("  %-8s %-50s %6.2fx\n", v == MET ? "met" : "MISSED", targets[i].what, ratio);
	}
}

/* Names are fixed ASCII; labels may need escaping. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* One candidate per line, so that a shell script can grep it. */
static void print_json(const struct machine *m, unsigned rounds, bool quick)
{
	size_t i, j, k;
	bool first = true;

	printf("{\"benchmark\": \"objlife-bench\", \"unit\": \"ns/op\", \"rounds\": %u, \"quick\": %s,\n",
	       rounds, quick ? "true" : "false");
	printf(" \"machine\": {\"cpu\": ");
	json_string(m->cpu);
	printf(", \"cpus\": %ld, \"load\": %.2f, \"compiler\": ", m->cpus, m->load);
	json_string(m->compiler);
	printf(", \"optimised\": %s},\n", OPTIMISED ? "true" : "false");
	printf(" \"debug_options\": {");
	for (k = 0; k < N_DEBUG_WORDS; k++)
		printf("%s\"%s\": %s", k ? ", " : "", debug_words[k].word,
		       !debug_words[k].probed ? "null" : debug_words[k].accepted ? "true" : "false");
	printf("},\n \"results\": [\n");
	for (i = 0; i < N_CASES; i++) {
		const struct bench_case *c = &cases[i];

		if (!c->cand[0].ran)
			continue;
		for (j = 0; j < n_candidates(c); j++) {
			const struct candidate *cand = &c->cand[j];

			printf("%s  {\"case\": \"%s\", \"candidate\": \"%s\", \"label\": ", first ? "" : ",\n",
			       c->name, cand->id);
			json_string(cand->label);
			/* floor: this row is the case's floor (ratio 1); floor_candidate:
			 * it is one of the hand-written rows the floor is the faster of. */
			printf(", \"floor\": %s, \"floor_candidate\": %s, \"median_ns\": %.3f, \"ratio\": %.3f, \"min_ns\": %.3f, \"max_ns\": %.3f, \"batch\": %" PRIu64,
			       cand == case_floor(c) ? "true" : "false", cand->floor ? "true" : "false",
			       cand->median, cand->median / case_floor(c)->median,
			       cand->min, cand->max, cand->batch);
			if (c->kind == CHILD) {
				printf(", \"debug\": ");
				if (cand->debug)
					json_string(cand->debug);
				else
					printf("null");
				printf(", \"debug_accepted\": %s, \"live\": %zu",
				       debug_list_accepted(cand->debug) ? "true" : "false", cand->live);
			}
			printf(", \"samples_ns\": [");
			for (k = 0; k < rounds; k++)
				printf("%s%.3f", k ? ", " : "", cand->samples[k]);
			printf("]}");
			first = false;
		}
	}
	printf("\n ],\n \"targets\": [\n");
	first = true;
	for (i = 0; i < N_TARGETS; i++) {
		double ratio;
		enum verdict v = judge(&targets[i], &ratio);

		if (v == NOT_RUN)
			continue;
		printf("%s  {\"target\": ", first ? "" : ",\n");
		json_string(targets[i].what);
		if (v == INFO)
			printf(", \"ratio\": %.3f, \"limit\": null, \"met\": null}", ratio);
		else
			printf(", \"ratio\": %.3f, \"limit\": %.2f, \"met\": %s}", ratio, targets[i].limit,
			       v == NOT_MEASURED ? "null" : v == MET ? "true" : "false");
		first = false;
	}
	printf("\n ]}\n");
}

/* ------------------------------------------------------------------ */
/* main                                                               */
/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: objlife-bench [--json] [--filter CASE] [--rounds N] [--quick] [--list]\n"
		"  --json        print the results as JSON instead of the table\n"
		"  --filter CASE run one case (a name, or its prefix before '-': lifecycle)\n"
		"  --rounds N    measured rounds per candidate (default %d; medians need 5 or more)\n"
		"  --quick       short batches and %d rounds: a smoke run, not a measurement\n"
		"  --list        list the cases and candidates\n"
		"cases:", DEFAULT_ROUNDS, QUICK_ROUNDS);
	for (i = 0; i < N_CASES; i++)
		fprintf(out, " %s", cases[i].name);
	fputc('\n', out);
}

static bool case_matches(const char *name, const char *filter)
{
	size_t len = strlen(filter);

	return !strcmp(name, filter) || (!strncmp(name, filter, len) && name[len] == '-');
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	unsigned rounds = 0;
	bool json = false, quick = false, any = false;
	struct machine machine;
	size_t i, j;
	int a;

	if (argc == 3 && !strcmp(argv[1], CHILD_FLAG))
		return child_main(argv[2]);
	if (argc == 3 && !strcmp(argv[1], PROBE_FLAG))
		return probe_main();

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[a], "--filter") && a + 1 < argc) {
			filter = argv[++a];
		} else if (!strcmp(argv[a], "--rounds") && a + 1 < argc) {
			char *end;
			unsigned long n = strtoul(argv[++a], &end, 10);

			if (*end || n < 1 || n > 1000) {
				fprintf(stderr, "objlife-bench: --rounds wants a number from 1 to 1000\n");
				return 2;
			}
			rounds = (unsigned)n;
		} else if (!strcmp(argv[a], "--list")) {
			for (i = 0; i < N_CASES; i++) {
				printf("%s: %s\n", cases[i].name, cases[i].what);
				for (j = 0; j < n_candidates(&cases[i]); j++)
					printf("  %-18s %s\n", cases[i].cand[j].id, cases[i].cand[j].label);
			}
			return 0;
		} else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!rounds)
		rounds = quick ? QUICK_ROUNDS : DEFAULT_ROUNDS;
	for (i = 0; i < N_CASES; i++)
		any |= !filter || case_matches(cases[i].name, filter);
	if (!any) {
		fprintf(stderr, "objlife-bench: no case named '%s'\n", filter);
		usage(stderr);
		return 2;
	}

	become_multithreaded();
	find_self(argv[0]);
	/* A child that dies must not kill the parent through a write. */
	signal(SIGPIPE, SIG_IGN);
	describe_machine(&machine);
	if (json)
		print_env_notes(stderr, "objlife-bench: ");

	for (i = 0; i < N_CASES; i++) {
		if (filter && !case_matches(cases[i].name, filter))
			continue;
		if (cases[i].kind == CHILD)
			probe_debug_words();
		run_case(&cases[i], rounds, quick ? QUICK_BATCH_NS : BATCH_NS);
	}
	if (json)
		print_json(&machine, rounds, quick);
	else
		print_table(&machine, rounds, quick);
	return 0;
}
