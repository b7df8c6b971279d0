/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Worker threads that live for a whole case, for the candidates that run
 * in one or two threads other than the calling one: a thread keeps its
 * records, caches and reader state from batch to batch, as a daemon's
 * would. bench_workers_run() hands each worker the whole batch and waits
 * for all of them, so that the time is per operation per thread.
 */
#include "config.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#include "bench.h"

struct bench_worker {
	pthread_t thread;
	sem_t go, done;
	uint64_t n;                      /* the batch; 0: quit */
	void *arg;
	const struct bench_workers *ws;
};

struct bench_workers {
	void (*first)(void *arg);
	void (*batch)(void *arg, uint64_t n);
	void (*last)(void *arg);
	unsigned n;
	struct bench_worker w[BENCH_MAX_WORKERS];
};

static void *worker_main(void *p)
{
	struct bench_worker *w = p;

	if (w->ws->first)
		w->ws->first(w->arg);
	sem_post(&w->done);
	for (;;) {
		sem_wait(&w->go);
		if (!w->n)
			break;
		w->ws->batch(w->arg, w->n);
		sem_post(&w->done);
	}
	if (w->ws->last)
		w->ws->last(w->arg);
	return NULL;
}

struct bench_workers *bench_workers_start(unsigned n, void (*first)(void *arg),
					  void (*batch)(void *arg, uint64_t n),
					  void (*last)(void *arg), void *const args[])
{
	struct bench_workers *ws = calloc(1, sizeof(*ws));
	unsigned i;

	if (!ws || n < 1 || n > BENCH_MAX_WORKERS)
		abort();
	ws->first = first;
	ws->batch = batch;
	ws->last = last;
	ws->n = n;
	for (i = 0; i < n; i++) {
		struct bench_worker *w = &ws->w[i];

		w->arg = args[i];
		w->ws = ws;
		sem_init(&w->go, 0, 0);
		sem_init(&w->done, 0, 0);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			abort();
	}
	/* Every worker has run @first before the first batch is timed. */
	for (i = 0; i < n; i++)
		sem_wait(&ws->w[i].done);
	return ws;
}

void bench_workers_run(struct bench_workers *ws, uint64_t n)
{
	unsigned i;

	if (!n)
		return;
	for (i = 0; i < ws->n; i++) {
		ws->w[i].n = n;
		sem_post(&ws->w[i].go);
	}
	for (i = 0; i < ws->n; i++)
		sem_wait(&ws->w[i].done);
}

void bench_workers_stop(struct bench_workers *ws)
{
	unsigned i;

	for (i = 0; i < ws->n; i++) {
		ws->w[i].n = 0;
		sem_post(&ws->w[i].go);
		pthread_join(ws->w[i].thread, NULL);
		sem_destroy(&ws->w[i].go);
		sem_destroy(&ws->w[i].done);
	}
	free(ws);
}
