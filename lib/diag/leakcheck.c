/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Leak reports: objlife_leak_check() on demand, and the report at exit
 * when OBJLIFE_DEBUG contains "leaks" (called by registry.c's destructor).
 *
 * Without "leaks" there is no registry, only the always-on live counts:
 * one line per type. With it, live objects are grouped by type and
 * allocation site (the stack as the report shows it), and each group is
 * one report:
 *
 *   objlife: LEAK: 3 x session (counts 1,1,2) allocated at:
 *       #0 session_new (src/session.c:42)
 *       #1 accept_client (src/server.c:118)
 *     held by 1 tracker taken at:
 *       #0 cache_insert (src/cache.c:88)
 *
 * Groups come largest first. The registry is copied shard by shard, then
 * everything slow (sorting, symbolising, writing, the user's handler)
 * happens with no lock held.
 */
#include "leakcheck.h"
#include "livecount.h"
#include "registry.h"
#include "symbolize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTS_SHOWN 16    /* counts listed per group, then "..." */
/* Said, as a group of its own, when a listing could not copy everything. */
#define LISTING_INCOMPLETE "objlife: LEAK: (out of memory while listing: some objects are missing)"

/* ---- without "leaks": per type, from the live counts ---------------- */

/* One line per type, written with no lock held: @out may be a stalled
 * pipe, or a stream whose writes make objlife objects. Returns how many
 * objects are live. */
static size_t list_types(FILE *out)
{
	struct ol_type_live *types;
	size_t ntypes, i, live = 0;
	bool complete = ol_livecount_types(&types, &ntypes);

	for (i = 0; i < ntypes; i++) {
		live += types[i].live;
		if (out)
			fprintf(out, "objlife: %s: %zu x %s (OBJLIFE_DEBUG=leaks adds counts and allocation sites)\n",
				ol_event_word(OBJLIFE_EVENT_LEAK), types[i].live, types[i].ops->name);
	}
	if (!complete && out)
		fprintf(out, "%s\n", LISTING_INCOMPLETE);
	ol_free(types);
	/* Types the copy had no room for still count. */
	return complete ? live : objlife_live_count(NULL);
}

/* ---- with "leaks": groups by type and site --------------------------- */

/*
 * A site is what the report shows: the symbolised stack. Objects are first
 * sorted into runs of one type and one interned stack (pointer equality),
 * then runs whose stacks read the same are merged: one source line can be
 * several call instructions (an unrolled loop, say), and the user asked
 * where, not at which byte.
 */
struct run {
	const struct objlife_ops *ops;
	size_t first, n;           /* a stretch of the sorted leaks */
	char *site;                /* symbolised stack (ol_malloc), NULL on no memory */
};

struct group {
	size_t run, nruns;         /* a stretch of the sorted runs */
	size_t n;                  /* objects */
	const char *name, *site;   /* the first run's, for sorting */
	size_t first;
};

static int cmp_leak(const void *a, const void *b)
{
	const struct ol_leak *x = a, *y = b;

	if (x->ops != y->ops)
		return (uintptr_t)x->ops < (uintptr_t)y->ops ? -1 : 1;
	if (x->stack != y->stack)
		return (uintptr_t)x->stack < (uintptr_t)y->stack ? -1 : 1;
	return 0;
}

static int cmp_site(const char *a, const char *b)
{
	if (!a || !b)
		return a ? -1 : b ? 1 : 0;
	return strcmp(a, b);
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	int c;

	if (x->ops != y->ops)
		return (uintptr_t)x->ops < (uintptr_t)y->ops ? -1 : 1;
	c = cmp_site(x->site, y->site);
	if (c)
		return c;
	return x->first < y->first ? -1 : 1;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;   /* largest first */
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	c = cmp_site(x->site, y->site);
	if (c)
		return c;
	return x->first < y->first ? -1 : 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* The symbolised stack as a string of its own; NULL on no memory. */
static char *site_of(struct ol_symbolizer *sym, const struct ol_stack *stack)
{
	struct ol_text t;
	char *site = NULL;

	ol_text_init(&t);
	ol_stack_format(&t, sym, stack);
	if (!t.truncated) {
		site = ol_malloc(OL_MEM_REPORT, t.len + 1);
		if (site)
			memcpy(site, t.buf, t.len + 1);
	}
	ol_text_free(&t);
	return site;
}

static void format_counts(struct ol_text *t, const struct ol_leak_set *set, const struct run *runs,
			  const struct group *g)
{
	uint32_t *counts = ol_malloc(OL_MEM_REPORT, g->n * sizeof(*counts));
	size_t i, k, n = 0;

	if (!counts) {
		ol_text_add(t, "...");
		return;
	}
	for (i = 0; i < g->nruns; i++)
		for (k = 0; k < runs[g->run + i].n; k++)
			counts[n++] = set->leak[runs[g->run + i].first + k].count;
	qsort(counts, n, sizeof(*counts), cmp_u32);
	for (i = 0; i < n && i < COUNTS_SHOWN; i++) {
		if (i)
			ol_text_add(t, ",");
		if (counts[i] == OBJLIFE_REFCOUNT_SATURATED)
			ol_text_add(t, "saturated");
		else
			ol_text_add(t, "%u", (unsigned)counts[i]);
	}
	if (n > COUNTS_SHOWN)
		ol_text_add(t, ",...");
	ol_free(counts);
}

/* The trackers still held on the group's objects, by site. */
static void format_trackers(struct ol_text *t, struct ol_symbolizer *sym,
			    const struct ol_leak_set *set, const struct run *runs, const struct group *g)
{
	const struct ol_stack **held;
	struct held_site {
		char *site;
		size_t n;
	} *sites;
	size_t i, k, nheld = 0, nsites = 0;

	for (i = 0; i < g->nruns; i++)
		for (k = 0; k < runs[g->run + i].n; k++)
			nheld += set->leak[runs[g->run + i].first + k].ntrackers;
	if (!nheld)
		return;
	held = ol_malloc(OL_MEM_REPORT, nheld * sizeof(*held));
	sites = ol_calloc(OL_MEM_REPORT, nheld, sizeof(*sites));
	if (!held || !sites) {
		ol_text_add(t, "\n  held by %zu tracker%s (no memory to list them)", nheld,
			    nheld == 1 ? "" : "s");
		ol_free(held);
		ol_free(sites);
		return;
	}
	nheld = 0;
	for (i = 0; i < g->nruns; i++)
		for (k = 0; k < runs[g->run + i].n; k++) {
			const struct ol_leak *l = &set->leak[runs[g->run + i].first + k];

			memcpy(held + nheld, set->tracker + l->trackers, l->ntrackers * sizeof(*held));
			nheld += l->ntrackers;
		}
	/* Distinct stacks, symbolised once each, merged when they read the same. */
	qsort(held, nheld, sizeof(*held), cmp_ptr);
	for (i = 0; i < nheld;) {
		size_t run = 1;
		char *site;

		while (i + run < nheld && held[i + run] == held[i])
			run++;
		site = site_of(sym, held[i]);
		for (k = 0; k < nsites; k++)
			if (site && sites[k].site && !strcmp(site, sites[k].site))
				break;
		if (k < nsites) {
			sites[k].n += run;
			ol_free(site);
		} else {
			sites[nsites].site = site;
			sites[nsites++].n = run;
		}
		i += run;
	}
	for (k = 0; k < nsites; k++) {
		ol_text_add(t, "\n  held by %zu tracker%s taken at:\n%s", sites[k].n,
			    sites[k].n == 1 ? "" : "s",
			    sites[k].site ? sites[k].site : "    (no memory to show the stack)");
		ol_free(sites[k].site);
	}
	ol_free(sites);
	ol_free(held);
}

static void format_group(struct ol_text *t, struct ol_symbolizer *sym, const struct ol_leak_set *set,
			 const struct run *runs, const struct group *g)
{
	const struct run *r = &runs[g->run];

	ol_text_add(t, "objlife: %s: %zu x %s (count%s ", ol_event_word(OBJLIFE_EVENT_LEAK), g->n,
		    r->ops->name, g->n == 1 ? "" : "s");
	format_counts(t, set, runs, g);
	ol_text_add(t, ") allocated at:\n");
	if (r->site)
		ol_text_add(t, "%s", r->site);
	else
		ol_stack_format(t, sym, set->leak[r->first].stack);
	format_trackers(t, sym, set, runs, g);
}

/* Live objects the registry had no memory for (OL_UNTRACKED): per type,
 * the live count beyond what the registry holds. Only looked at once
 * NO_MEMORY was reported for the registry: otherwise an allocation racing
 * with the listing would look untracked. */
static size_t untracked_groups(const struct ol_leak_set *set, void (*emit)(const char *text,
			       const struct objlife *obj, void *data), void *data)
{
	struct ol_type_live *types;
	size_t ntypes, i, j, n = 0;
	bool complete = ol_livecount_types(&types, &ntypes);

	for (i = 0; i < ntypes; i++) {
		size_t tracked = 0;
		char line[256];

		for (j = 0; j < set->n; j++)
			tracked += set->leak[j].ops == types[i].ops;
		if (types[i].live <= tracked)
			continue;
		snprintf(line, sizeof(line),
			 "objlife: %s: %zu x %s (not tracked: the registry was out of memory; no counts or site)",
			 ol_event_word(OBJLIFE_EVENT_LEAK), types[i].live - tracked, types[i].ops->name);
		emit(line, NULL, data);
		n++;
	}
	if (!complete) {
		/* Types past the copy that failed: say so rather than drop them. */
		emit(LISTING_INCOMPLETE, NULL, data);
		n++;
	}
	ol_free(types);
	return n;
}

typedef void (*emit_fn)(const char *text, const struct objlife *obj, void *data);

/* Groups @set (sorted) and emits one report per group. Returns how many. */
static size_t emit_groups(struct ol_leak_set *set, emit_fn emit, void *data)
{
	struct ol_symbolizer *sym;
	struct run *runs;
	struct group *groups;
	size_t i, nruns = 0, ngroups = 0;

	runs = ol_malloc(OL_MEM_REPORT, set->n * sizeof(*runs));
	groups = ol_malloc(OL_MEM_REPORT, set->n * sizeof(*groups));
	if (!runs || !groups) {
		ol_free(runs);
		ol_free(groups);
		emit("objlife: LEAK: live objects remain, but there was no memory to list them", NULL,
		     data);
		return 1;
	}
	sym = ol_symbolizer_new();
	for (i = 0; i < set->n; i++) {
		if (i && !cmp_leak(&set->leak[i], &set->leak[i - 1])) {
			runs[nruns - 1].n++;
			continue;
		}
		runs[nruns].ops = set->leak[i].ops;
		runs[nruns].first = i;
		runs[nruns].n = 1;
		runs[nruns].site = site_of(sym, set->leak[i].stack);
		nruns++;
	}
	qsort(runs, nruns, sizeof(*runs), cmp_run);
	for (i = 0; i < nruns; i++) {
		if (i && runs[i].ops == runs[i - 1].ops && runs[i].site && runs[i - 1].site &&
		    !strcmp(runs[i].site, runs[i - 1].site)) {
			groups[ngroups - 1].nruns++;
			groups[ngroups - 1].n += runs[i].n;
			continue;
		}
		groups[ngroups].run = i;
		groups[ngroups].nruns = 1;
		groups[ngroups].n = runs[i].n;
		groups[ngroups].name = runs[i].ops->name;
		groups[ngroups].site = runs[i].site;
		groups[ngroups].first = runs[i].first;
		ngroups++;
	}
	qsort(groups, ngroups, sizeof(*groups), cmp_group);
	for (i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];
		struct ol_text t;

		ol_text_init(&t);
		format_group(&t, sym, set, runs, g);
		/* A group of one names its object; a larger one no single one. */
		emit(t.buf, g->n == 1 ? set->leak[runs[g->run].first].obj : NULL, data);
		ol_text_free(&t);
	}
	for (i = 0; i < nruns; i++)
		ol_free(runs[i].site);
	ol_free(runs);
	ol_free(groups);
	ol_symbolizer_free(sym);
	return ngroups;
}

/* Every report of live objects, through @emit. Returns how many. */
static size_t leak_groups(emit_fn emit, void *data)
{
	struct ol_leak_set set;
	size_t ngroups = 0;
	int saved = errno;   /* symbolising opens files */

	ol_registry_snapshot(&set);
	if (set.n) {
		qsort(set.leak, set.n, sizeof(*set.leak), cmp_leak);
		ngroups = emit_groups(&set, emit, data);
	}
	if (set.incomplete) {
		emit(LISTING_INCOMPLETE, NULL, data);
		ngroups++;
	}
	if (ol_report_no_memory_seen() & OL_NOMEM_REGISTRY)
		ngroups += untracked_groups(&set, emit, data);
	ol_leak_set_free(&set);
	errno = saved;
	return ngroups;
}

static void emit_to_file(const char *text, const struct objlife *obj, void *data)
{
	(void)obj;
	fprintf(data, "%s\n", text);
}

size_t objlife_leak_check(FILE *out)
{
	size_t live;

	if (!(ol_options() & OL_OPT_LEAKS)) {
		live = list_types(out);
	} else {
		live = objlife_live_count(NULL);
		if (out)
			leak_groups(emit_to_file, out);
	}
	if (out)
		fflush(out);
	return live;
}

static void emit_report(const char *text, const struct objlife *obj, void *data)
{
	(void)data;
	/* The default handler's "abort" waits for the last group. */
	ol_report_part(OBJLIFE_EVENT_LEAK, obj, text);
}

size_t ol_leak_report_at_exit(void)
{
	size_t n = leak_groups(emit_report, NULL);

	if (n)
		ol_report_abort_if_asked();
	return n;
}
