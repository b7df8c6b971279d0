/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference trackers (OBJLIFE_DEBUG=refs), after the kernel's ref_tracker:
 * every reference taken with objlife_get_tracked() gets a tracker that
 * remembers the holder's stack, so that a leaked object's report says who
 * still holds it, and a reference dropped twice, or through the wrong
 * object, is caught with the stacks of both ends.
 *
 * Handles. What the caller keeps is not a pointer but a number that is
 * never reused (odd, so never a valid pointer, and carrying the registry
 * shard of the object it was taken on). A stale or foreign handle is
 * therefore looked up, never dereferenced: a double drop long after the
 * tracker's memory went back is still recognised, and can never hit a
 * newer tracker that happens to sit at the same address.
 *
 * Ownership and locking. Trackers belong to this file; they live in the
 * registry shard of their object (registry.c's struct ol_tracker_shard),
 * under that shard's lock: the live ones on their object's entry, the
 * dropped ones in a FIFO of DEAD_PER_SHARD per shard, kept so that a
 * second drop can show where the first one was. No other lock is taken
 * with the shard's; stacks are captured before taking it.
 *
 * Cost: with refs off, the tracked calls are objlife_get()/objlife_put()
 * behind one test of a cached word. With refs on, each costs a stack
 * capture (usually a cache hit, see stack.c), a malloc or free, and
 * one shard lock.
 */
#include "tracker.h"
#include "diag.h"
#include "core.h"
#include "symbolize.h"

#include <pthread.h>
#include <string.h>

#define DEAD_PER_SHARD 64u

struct ol_tracker {
	struct ol_anode node;               /* key: the handle */
	struct ol_tracker *next, **pprev;   /* live: the entry's list; dropped: the FIFO (next) */
	const struct objlife *obj;          /* taken on; only an address once dropped */
	uintptr_t serial;                   /* obj's registry entry's: which object at obj */
	char type[OL_TYPE_KEPT];            /* dropped: obj's type name, copied (see bury()) */
	const struct ol_stack *taken;       /* interned; NULL if out of memory */
	const struct ol_stack *dropped;     /* NULL while live, or if released under it */
	bool dead;                          /* dropped (or its object released) */
	bool orphaned;                      /* its object was released while it was live */
};

/* Handles: (sequence << 7) | (shard << 1) | 1. */
#define HANDLE_SHARD(h) ((unsigned)((h) >> 1) & (OL_REGISTRY_SHARDS - 1))
static uintptr_t next_sequence = 1;

/* ---- the shard's dropped trackers ------------------------------------ */

/* Shard locked, @t's object still alive (dropped by its holder, or being
 * released: its memory and ops are still there). Adds @t to the FIFO of
 * dropped trackers; the oldest one past DEAD_PER_SHARD is forgotten. From
 * here on @t keeps nothing that points into the object or its type. */
static void bury(struct ol_tracker_shard *ts, struct ol_tracker *t)
{
	/* The ops table (and its name) need not outlive the object, and a
	 * handle may come back long after a type made at run time was freed
	 * or a plugin's was unmapped: a copy. */
	ol_type_copy(t->type, t->obj->_ops->name);
	t->dead = true;
	t->next = NULL;
	t->pprev = NULL;
	if (ts->dead_tail)
		ts->dead_tail->next = t;
	else
		ts->dead_head = t;
	ts->dead_tail = t;
	if (++ts->ndead > DEAD_PER_SHARD) {
		struct ol_tracker *old = ts->dead_head;

		ts->dead_head = old->next;
		ts->ndead--;
		ol_amap_remove(&ts->map, old->node.key);
		ol_free(old);
	}
}

static void unlink_live(struct ol_tracker *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
}

unsigned ol_tracker_orphan_all(struct ol_tracker_shard *ts, struct ol_entry *entry,
			       const struct ol_stack **taken, unsigned max)
{
	unsigned n = 0;

	while (entry->trackers) {
		struct ol_tracker *t = entry->trackers;

		unlink_live(t);
		if (n < max)
			taken[n] = t->taken;
		n++;
		t->orphaned = true;
		bury(ts, t);
	}
	return n;
}

uint32_t ol_tracker_stacks(const struct ol_entry *entry, const struct ol_stack **out,
			   uint32_t max)
{
	const struct ol_tracker *t;
	uint32_t n = 0;

	for (t = entry->trackers; t; t = t->next) {
		if (n < max)
			out[n] = t->taken;
		n++;
	}
	return n;
}

/* ---- reports ------------------------------------------------------- */

struct bad {
	const char *type;
	const struct objlife *obj;
	uint32_t count;
	const char *what;
	/* the other end: where the tracker came from */
	const struct ol_stack *taken, *dropped, *now;
	const char *dropped_label;
	const char *now_label;
};

/* A BAD_TRACKER report with stacks: started, given its stacks, sent. */
struct stack_report {
	int saved_errno;     /* symbolising opens files */
	struct ol_symbolizer *sym;
	struct ol_text t;
};

static void report_start(struct stack_report *r, const char *type, const struct objlife *obj,
			 uint32_t count)
{
	r->saved_errno = errno;
	r->sym = ol_symbolizer_new();
	ol_text_init(&r->t);
	ol_text_add(&r->t, OL_OBJECT_HEADER,
		    OL_OBJECT_HEADER_ARGS(OBJLIFE_EVENT_BAD_TRACKER, type, obj, count));
}

static void report_stack(struct stack_report *r, const char *label, const struct ol_stack *stack)
{
	ol_text_add(&r->t, "\n  %s:\n", label);
	ol_stack_format(&r->t, r->sym, stack);
}

static void report_send(struct stack_report *r, const struct objlife *obj)
{
	ol_report_text(OBJLIFE_EVENT_BAD_TRACKER, obj, r->t.buf);
	ol_text_free(&r->t);
	ol_symbolizer_free(r->sym);
	errno = r->saved_errno;
}

static void report_bad(const struct bad *b)
{
	struct stack_report r;

	report_start(&r, b->type, b->obj, b->count);
	ol_text_add(&r.t, "%s", b->what);
	if (b->taken)
		report_stack(&r, "tracker taken at", b->taken);
	if (b->dropped_label)
		report_stack(&r, b->dropped_label, b->dropped);
	report_stack(&r, b->now_label, b->now);
	report_send(&r, b->obj);
}

void ol_tracker_report_orphans(const struct objlife *obj, unsigned held,
			       const struct ol_stack *const *taken, unsigned shown)
{
	struct stack_report r;
	unsigned k;

	/* Their holders dropped the references with a plain put (or dropped
	 * someone else's): the count reached zero under them. */
	report_start(&r, obj->_ops->name, obj, 0);
	ol_text_add(&r.t, "released with %u tracker%s still held (a reference taken with "
		    "objlife_get_tracked() was dropped by a plain put)", held, held == 1 ? "" : "s");
	for (k = 0; k < held && k < shown; k++)
		report_stack(&r, "tracker taken at", taken[k]);
	if (held > shown)
		ol_text_add(&r.t, "\n  ... and %u more", held - shown);
	report_send(&r, obj);
}

/* The trackers held on @obj, for a report that says who still holds it
 * (objlife_unregister()'s DRAIN_WAIT). Stacks are interned for the life
 * of the process: copied under the shard's lock, formatted after it. */
#define HELD_SHOWN 16u

void ol_tracker_format_held(struct ol_text *t, const struct objlife *obj)
{
	const struct ol_stack *taken[HELD_SHOWN];
	unsigned shard = ol_registry_shard_of((uintptr_t)obj);
	struct ol_symbolizer *sym;
	struct ol_entry *entry;
	uint32_t held = 0, k;

	(void)ol_registry_lock(shard);
	entry = ol_registry_find(shard, obj);
	if (entry)
		held = ol_tracker_stacks(entry, taken, HELD_SHOWN);
	ol_registry_unlock(shard);
	if (!held) {
		ol_text_add(t, "\n  no tracker is held (the references were taken with a plain get)");
		return;
	}
	sym = ol_symbolizer_new();
	for (k = 0; k < held && k < HELD_SHOWN; k++) {
		ol_text_add(t, "\n  held by a tracker taken at:\n");
		ol_stack_format(t, sym, taken[k]);
	}
	if (held > HELD_SHOWN)
		ol_text_add(t, "\n  ... and %u more", (unsigned)(held - HELD_SHOWN));
	ol_symbolizer_free(sym);
}

/* A caller bug with nothing to look up: a NULL tracker pointer, or a NULL
 * tracker with no untracked reference to drop. */
static void report_simple(struct objlife *obj, const char *what, const void *caller, bool get)
{
	struct bad b = { 0 };

	b.type = obj->_ops->name;
	b.obj = obj;
	b.count = objlife_refcount(obj);
	b.what = what;
	b.now = ol_stack_capture(caller);
	b.now_label = get ? "taken at" : "dropped at";
	report_bad(&b);
}

static void no_memory(struct objlife *obj)
{
	ol_report_no_memory(OL_NOMEM_TRACKER, obj,
			    "out of memory for a tracker; this reference (and maybe later ones) "
			    "is taken untracked");
}

/* ---- get ------------------------------------------------------------ */

static struct objlife *get_tracked(struct objlife *obj, struct objlife_tracker **tracker,
				   const void *caller)
{
	const struct ol_stack *taken;
	struct ol_tracker_shard *ts;
	struct ol_tracker *t;
	struct ol_entry *e;
	unsigned shard;

	if (!tracker) {
		if (obj) {
			objlife_get(obj);
			report_simple(obj, "NULL tracker pointer; the reference is taken, untracked",
				      caller, true);
		}
		errno = EINVAL;   /* after the report, which may touch errno */
		return obj;
	}
	*tracker = NULL;
	if (!obj)
		return NULL;
	/* The reference first: it is what the caller asked for, and a misuse
	 * (get on zero, on a poisoned object) is reported by the get. */
	objlife_get(obj);
	if (ol_load32(&obj->_info, OL_RELAXED) & (OL_UNTRACKED | OL_POISONED))
		return obj;

	taken = ol_stack_capture(caller);
	t = ol_calloc(OL_MEM_TRACKER, 1, sizeof(*t));
	shard = ol_registry_shard_of((uintptr_t)obj);
	ts = ol_registry_lock(shard);
	e = ol_registry_find(shard, obj);
	if (!e) {
		/* Dying under a saturated count, say: nothing to attach to. */
		ol_registry_unlock(shard);
		ol_free(t);
		return obj;
	}
	if (t) {
		uintptr_t seq = ol_addup(&next_sequence, 1, OL_RELAXED);

		t->node.key = seq << 7 | (uintptr_t)shard << 1 | 1u;
		if (ol_amap_insert(&ts->map, &t->node) < 0) {
			ol_free(t);
			t = NULL;
		}
	}
	if (!t) {
		/* put_tracked() with the NULL tracker drops it. */
		e->untracked_refs++;
		ol_registry_unlock(shard);
		no_memory(obj);
		return obj;
	}
	t->obj = obj;
	t->serial = e->serial;
	t->taken = taken;
	t->next = e->trackers;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &e->trackers;
	e->trackers = t;
	ol_registry_unlock(shard);
	*tracker = (struct objlife_tracker *)t->node.key;
	return obj;
}

struct objlife *objlife_get_tracked(struct objlife *obj, struct objlife_tracker **tracker)
{
	/* Off: a plain get behind one test. An object exists only after
	 * ol_options() ran; before that the flags read 0, which is right. */
	if (ol_likely(!(ol_options() & OL_OPT_REFS))) {
		if (tracker)
			*tracker = NULL;
		else
			errno = EINVAL;
		return objlife_get(obj);
	}
	return get_tracked(obj, tracker, __builtin_return_address(0));
}

/* ---- put ------------------------------------------------------------ */

/* *tracker is NULL: drops one of the object's untracked references. */
static void put_untracked(struct objlife *obj, const void *caller)
{
	unsigned shard;
	struct ol_entry *e;
	bool ok = true;

	if (!(ol_load32(&obj->_info, OL_RELAXED) & (OL_UNTRACKED | OL_POISONED))) {
		shard = ol_registry_shard_of((uintptr_t)obj);
		ol_registry_lock(shard);
		e = ol_registry_find(shard, obj);
		if (e) {
			ok = e->untracked_refs > 0;
			if (ok)
				e->untracked_refs--;
		}
		ol_registry_unlock(shard);
	}
	if (ok)
		objlife_put(obj);
	else
		report_simple(obj, "NULL tracker and no untracked reference to drop (dropped twice, "
			      "or never taken); the count is unchanged", caller, false);
}

static void put_tracked(struct objlife *obj, struct objlife_tracker **tracker, const void *caller)
{
	uintptr_t h;
	const struct ol_stack *now;
	struct ol_tracker_shard *ts;
	struct ol_tracker *t;
	struct ol_entry *e = NULL;
	struct bad b = { 0 };
	bool released = false, same = false;
	char what[200];
	unsigned shard;

	if (!obj)
		return;
	if (!tracker) {
		report_simple(obj, "NULL tracker pointer; the reference is dropped, untracked",
			      caller, false);
		objlife_put(obj);
		errno = EINVAL;
		return;
	}
	h = (uintptr_t)*tracker;
	if (!h) {
		put_untracked(obj, caller);
		return;
	}

	now = ol_stack_capture(caller);
	b.obj = obj;
	b.now = now;
	b.now_label = "dropped at";
	if (!(h & 1u)) {
		b.type = obj->_ops->name;
		b.count = objlife_refcount(obj);
		b.what = "not a tracker handle; the count is unchanged";
		report_bad(&b);
		return;
	}
	shard = HANDLE_SHARD(h);
	ts = ol_registry_lock(shard);
	t = (struct ol_tracker *)ol_amap_find(&ts->map, h);
	if (t && t->obj == obj) {
		/* Taken on this address (hence in this shard): on this very
		 * object, or on an earlier one that was released and whose
		 * memory @obj now reuses? */
		e = ol_registry_find(shard, obj);
		same = e && e->serial == t->serial;
	}
	if (t && same && !t->dead) {
		/* The one good case: the tracker is live, and on this object. */
		unlink_live(t);
		t->dropped = now;
		bury(ts, t);
		ol_registry_unlock(shard);
		objlife_put(obj);
		return;
	}
	/* Everything the report needs from @t is copied before the unlock:
	 * afterwards another thread may forget and free it. */
	if (t) {
		b.taken = t->taken;
		if (t->dead && !t->orphaned) {
			b.dropped = t->dropped;
			b.dropped_label = "first dropped at";
		}
	}
	if (t && t->obj != obj) {
		/* A live tracker's object is alive (its release orphans the
		 * tracker under this lock), so its type is there; a dropped
		 * one's object may be gone with its type: the copy. */
		snprintf(what, sizeof(what),
			 "tracker of another object (type=%s obj=%p%s); the count is unchanged",
			 t->dead ? t->type : t->obj->_ops->name, (const void *)t->obj,
			 t->dead ? ", tracker already dropped" : "");
		b.what = what;
	} else if (t && !e) {
		/* Its object was released, and nothing lives at its address. */
		released = true;
		if (t->orphaned) {
			b.what = "tracker dropped after its object was released (a plain put dropped "
				 "its reference); the count is unchanged";
		} else {
			b.what = "tracker dropped twice, and its object was released since; the count "
				 "is unchanged";
			b.now_label = "dropped again at";
		}
	} else if (t && !same) {
		/* @obj is a newer object at a released one's address (so @t is
		 * dropped): the report names @obj as it is, the old one apart. */
		snprintf(what, sizeof(what),
			 "tracker of an earlier object at this address (type=%s, released%s); the "
			 "count is unchanged", t->type,
			 t->orphaned ? " while the tracker was held" : ", tracker already dropped");
		b.what = what;
	} else if (t) {
		b.what = "tracker dropped twice; the count is unchanged";
		b.now_label = "dropped again at";
	} else {
		b.what = "unknown tracker (never taken, or dropped long ago); the count is unchanged";
	}
	ol_registry_unlock(shard);

	if (released) {
		/* The object is gone: its header is not ours to read. */
		b.type = "(released)";
		b.count = 0;
	} else {
		/* The caller claims a reference: the object should be alive. */
		b.type = obj->_ops->name;
		b.count = objlife_refcount(obj);
	}
	report_bad(&b);
}

void objlife_put_tracked(struct objlife *obj, struct objlife_tracker **tracker)
{
	if (ol_likely(!(ol_options() & OL_OPT_REFS))) {
		if (!tracker)
			errno = EINVAL;
		objlife_put(obj);
		return;
	}
	put_tracked(obj, tracker, __builtin_return_address(0));
}

void ol_tracker_shard_free(struct ol_tracker_shard *ts)
{
	struct ol_tracker *t, *next;

	for (t = ts->dead_head; t; t = next) {
		next = t->next;
		ol_free(t);
	}
	ts->dead_head = ts->dead_tail = NULL;
	ts->ndead = 0;
	ol_amap_free(&ts->map);
}
