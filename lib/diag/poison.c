/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=poison: freed objects wait in a bounded quarantine before
 * their memory goes back to the allocator, so that a late get or put hits
 * a recognisably dead object instead of whatever the allocator put there
 * next.
 *
 * A quarantined object keeps its header's ops pointer (a late get or put
 * is reported with its type), has its count set to POISON_COUNT and
 * OL_POISONED set, and the rest filled with POISON_BYTE. POISON_COUNT has
 * the top bit set, so the inline get/put in objlife.h take their slow path
 * without a single extra instruction, and the slow paths in refcount.c
 * test OL_POISONED before they would treat the count as saturated: the
 * access is reported as BAD_OBJECT (once per object), the dead count
 * restored, and nothing else changes.
 *
 * What it catches: get, put, get_unless_zero, put_mutex, may_leak and the
 * tracked calls on an object freed up to QUARANTINE_OBJECTS objects or
 * QUARANTINE_BYTES bytes ago; and writes into a freed object, found when
 * it leaves the quarantine (the fill is checked). What it cannot catch:
 * anything after the memory went back to the allocator (the quarantine is
 * bounded), plain reads of a freed object's fields (they see 0x6b bytes,
 * which helps a debugger, but nothing reports them), and an access racing
 * with the object's eviction. For those, AddressSanitizer or Valgrind.
 *
 * The quarantine is a ring under one lock, taken only on free and by
 * objlife_quarantine_flush(); the memory is checked and given back after
 * the lock is dropped, since ops->free is the user's code.
 *
 * A dead object's type may go before its memory leaves: a type made at run
 * time is freed after its last object, a plugin's is unmapped by
 * dlclose(). So the ring keeps what eviction needs: a copy of the type's
 * name (for the write-after-free report), and the ops table only as a key,
 * used for nothing but ops->free of a type with its own allocator: such a
 * type's table and free must outlive its quarantined memory, which
 * objlife_quarantine_flush() gives back at once. Memory from the default
 * allocator goes back without the type.
 */
#include "diag.h"
#include "core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUARANTINE_OBJECTS 1024u
#define QUARANTINE_BYTES ((size_t)16 << 20)
#define POISON_BYTE 0x6b                /* the kernel's POISON_FREE */
#define POISON_COUNT 0xdeadbeefu        /* top bit set: the inline code's slow path */

struct quarantined {
	struct objlife *obj;
	const struct objlife_ops *ops;  /* a key; read only when own_free */
	size_t size;
	uint32_t info;
	bool own_free;                  /* memory from ops->alloc: back to ops->free */
	char type[OL_TYPE_KEPT];        /* the type's name, copied */
};

/* ol_mem_free() of memory from the default allocator reads no more. */
static const struct objlife_ops default_allocator;

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t q_once = PTHREAD_ONCE_INIT;
static struct quarantined *ring;        /* QUARANTINE_OBJECTS slots, under q_lock */
static unsigned q_head, q_n;            /* oldest slot, how many */
static size_t q_bytes;

static void q_lock_(void) { pthread_mutex_lock(&q_lock); }
static void q_unlock_(void) { pthread_mutex_unlock(&q_lock); }

/* Atomic: the program's exit began; an object of a type with its own
 * allocator is no longer quarantined (see own_at_exit()). */
static uint32_t own_closed;
/* Atomic: q_init() ran. */
static uint32_t q_started;

static size_t drain(bool (*match)(const struct quarantined *q, const void *data),
		    const void *data, bool free_ring);

static bool own_memory(const struct quarantined *q, const void *data)
{
	(void)data;
	return q->own_free;
}

/* Registered at the first quarantined object, as the cache's handler is
 * (thread.c): so that it runs after the atexit handlers the program
 * registers later, while ops->free can still run. The memory of a type's
 * own allocator goes back now; later such objects are freed at once, as
 * without poison, for the library's last destructor could not give them
 * back: by then ops->free's world may be torn down. */
static void own_at_exit(void)
{
	ol_store32(&own_closed, 1, OL_RELAXED);
	drain(own_memory, NULL, false);
}

static void q_init(void)
{
	/* q_lock nests in no other lock: a fork handler of its own is safe. */
	ol_atfork(q_lock_, q_unlock_, q_unlock_);
	atexit(own_at_exit);
	ol_store32(&q_started, 1, OL_RELEASE);
}

/* q_lock held: the ring, made at the first object and again after the
 * process's exit freed it (ol_quarantine_exit()); false without memory. */
static bool ring_ready(void)
{
	if (!ring)
		ring = ol_calloc(OL_MEM_QUARANTINE, QUARANTINE_OBJECTS, sizeof(*ring));
	return ring != NULL;
}

void ol_poison_access(struct objlife *obj, const char *what)
{
	/* One report per object, as for saturation: a loop over a freed
	 * object must not flood the log. */
	ol_pin_and_report(obj, POISON_COUNT, OBJLIFE_EVENT_BAD_OBJECT, 0,
			  "%s on a freed object (in the poison quarantine); nothing changed", what);
}

/* Out of the quarantine: checks the fill, then gives the memory back. */
static void evict(const struct quarantined *q)
{
	const unsigned char *p = (const unsigned char *)q->obj;
	size_t i;

	for (i = sizeof(struct objlife); i < q->size; i++) {
		if (p[i] != POISON_BYTE) {
			char text[OL_TYPE_KEPT + 160];

			/* The type from the copy: the ops table may be gone. */
			snprintf(text, sizeof(text), OL_OBJECT_HEADER
				 "freed object was written after free (at offset %zu, found 0x%02x)",
				 OL_OBJECT_HEADER_ARGS(OBJLIFE_EVENT_BAD_OBJECT, q->type, q->obj, 0),
				 i, p[i]);
			ol_report_text(OBJLIFE_EVENT_BAD_OBJECT, q->obj, text);
			break;
		}
	}
	ol_mem_free(q->own_free ? q->ops : &default_allocator, q->obj, q->size, q->info);
}

bool ol_quarantine_put(struct objlife *obj, size_t size, uint32_t info)
{
	enum { BATCH = 8 };
	struct quarantined out[BATCH], slot;
	unsigned nout, k;

	pthread_once(&q_once, q_init);
	if (obj->_ops->free && ol_load32(&own_closed, OL_RELAXED))
		return false;
	pthread_mutex_lock(&q_lock);
	if (!ring_ready()) {
		pthread_mutex_unlock(&q_lock);
		ol_report_no_memory(OL_NOMEM_QUARANTINE, obj,
				    "out of memory for the poison quarantine; freed objects go back to "
				    "the allocator unchecked");
		return false;
	}
	pthread_mutex_unlock(&q_lock);
	/* Dead from here on. OL_REPORTED is clear: an object that had a
	 * misuse reported is saturated and never freed. */
	ol_store32(&obj->_count, POISON_COUNT, OL_RELAXED);
	ol_or32(&obj->_info, OL_POISONED, OL_RELAXED);
	memset((char *)obj + sizeof(struct objlife), POISON_BYTE, size - sizeof(struct objlife));
	/* What eviction needs, while the type is certainly there. */
	slot.obj = obj;
	slot.ops = obj->_ops;
	slot.size = size;
	slot.info = info;
	slot.own_free = obj->_ops->free != NULL;
	ol_type_copy(slot.type, obj->_ops->name);

	pthread_mutex_lock(&q_lock);
	for (;;) {
		nout = 0;
		/* Keep the newest always; the oldest go while over a limit. */
		while (nout < BATCH && q_n > 0 &&
		       (q_n >= QUARANTINE_OBJECTS || q_bytes + size > QUARANTINE_BYTES)) {
			out[nout++] = ring[q_head];
			q_bytes -= ring[q_head].size;
			q_head = (q_head + 1) % QUARANTINE_OBJECTS;
			q_n--;
		}
		if (nout == 0)
			break;
		pthread_mutex_unlock(&q_lock);
		for (k = 0; k < nout; k++)
			evict(&out[k]);
		pthread_mutex_lock(&q_lock);
	}
	/* Freed meanwhile by the process's exit, and no memory to make it
	 * again: the object was poisoned already, so it leaves at once. */
	if (!ring_ready()) {
		pthread_mutex_unlock(&q_lock);
		evict(&slot);
		return true;
	}
	ring[(q_head + q_n) % QUARANTINE_OBJECTS] = slot;
	q_n++;
	q_bytes += size;
	pthread_mutex_unlock(&q_lock);
	return true;
}

/* Takes every quarantined object @match accepts out of the ring, oldest
 * first, the rest kept in their order, and gives their memory back (with
 * no lock held: ops->free is the user's code); frees the ring when it is
 * left empty and @free_ring. Returns how many went. */
static size_t drain(bool (*match)(const struct quarantined *q, const void *data),
		    const void *data, bool free_ring)
{
	enum { BATCH = 32 };
	struct quarantined out[BATCH];
	unsigned nout, kept, k;
	size_t n = 0;

	pthread_once(&q_once, q_init);
	/* A batch at a time; a batch that is not full was the last. */
	do {
		nout = 0;
		kept = 0;
		pthread_mutex_lock(&q_lock);
		for (k = 0; k < q_n; k++) {
			struct quarantined *q = &ring[(q_head + k) % QUARANTINE_OBJECTS];

			if (nout < BATCH && match(q, data)) {
				out[nout++] = *q;
				q_bytes -= q->size;
			} else {
				if (kept != k)
					ring[(q_head + kept) % QUARANTINE_OBJECTS] = *q;
				kept++;
			}
		}
		q_n = kept;
		if (free_ring && q_n == 0) {
			/* ring_ready() makes it again for a later object. */
			ol_free(ring);
			ring = NULL;
			q_head = 0;
		}
		pthread_mutex_unlock(&q_lock);
		for (k = 0; k < nout; k++)
			evict(&out[k]);
		n += nout;
	} while (nout == BATCH);
	return n;
}

static bool of_type(const struct quarantined *q, const void *ops)
{
	return !ops || q->ops == ops;
}

size_t objlife_quarantine_flush(const struct objlife_ops *ops)
{
	if (!(ol_options() & OL_OPT_POISON))
		return 0;
	return drain(of_type, ops, false);
}

static bool default_memory(const struct quarantined *q, const void *data)
{
	(void)data;
	return !q->own_free;
}

void ol_quarantine_exit(void)
{
	/* What is left of a type's own allocator stays (see own_at_exit()):
	 * ops->free is the program's code, and by now what it uses may be
	 * torn down. Not when the quarantine was never used: its atexit
	 * handler would be registered while exit() runs the handlers. */
	if (ol_load32(&q_started, OL_ACQUIRE))
		drain(default_memory, NULL, true);
}
