/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registration: tables that publish objects under uint64_t keys for
 * lookup, and the withdrawal that waits for the other holders, as
 * netdev's register/unregister_netdevice, RDMA's ib_register_device and
 * vfio's device registration do.
 *
 * Lookups take no lock. A table is a hash of nodes that lookups walk with
 * acquire loads while writers (register, unregister, resize) change it
 * under the one tables lock. What a lookup may still be reading when a
 * writer takes it away (a node, a bucket array, a withdrawn object's
 * memory) stays until a grace period has passed: every thread that
 * looks up has a reader record whose sequence is odd inside a lookup, and
 * synchronize() waits until each record that was odd has moved on. That is
 * userspace RCU's "memb" flavour: on Linux the reader only stores its
 * sequence (membarrier() makes the writer's side of the fence for it);
 * elsewhere, or when membarrier() is missing, the store is a full barrier.
 *
 * The life of a registration:
 *
 *   register:   node linked in its bucket, OL_REGISTERED set in the
 *               object's _info, the table's reference taken.
 *   unregister: node->withdrawn set (lookups fail from here), a grace
 *               period (no lookup still about to take a reference from
 *               before), the table's reference put, then a wait until
 *               the waiters' references are the only ones.
 *   finish:     the node unlinked and retired (freed after the next grace
 *               period), OL_REGISTERED cleared: by the last waiter that
 *               returns 0, or by the object's last put after every waiter
 *               gave up (ol_table_released()).
 *
 * The core pays nothing for this: OL_REGISTERED is tested with OL_STATIC,
 * in the one branch that the last put already takes for static objects.
 */
#include "objlife-private.h"
#include "addrmap.h"
#include "core.h"
#include "table.h"
#include "thread.h"            /* OL_THREAD_TLS_MODEL */
#include "diag/diag.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* membarrier(2). Its commands are kernel ABI: where the C library comes
 * without the kernel's headers (musl), they are spelled out here. */
#if defined(__linux__) && !defined(OBJLIFE__TSAN)
# include <sys/syscall.h>
# include <unistd.h>
# if defined(__NR_membarrier)
#  define OL_HAVE_MEMBARRIER 1
#  if defined(__has_include)
#   if __has_include(<linux/membarrier.h>)
#    include <linux/membarrier.h>
#    define OL_HAVE_MEMBARRIER_H 1
#   endif
#  endif
#  ifndef OL_HAVE_MEMBARRIER_H
#   define MEMBARRIER_CMD_QUERY 0
#   define MEMBARRIER_CMD_GLOBAL 1
#   define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#   define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#  endif
# endif
#endif

/* ------------------------------------------------------------------ */
/* Data                                                               */
/* ------------------------------------------------------------------ */

/* What a lookup reads: immutable once linked but for next and withdrawn.
 * A resize links copies, so that the chains lookups walk never change
 * under them. */
/* Each on a cache line of its own, from the node slab below: lookups read
 * every node of a chain, and a node that shared a line with a user's
 * object next to it in the heap would make them miss on every put of
 * that object by another thread. */
#define NODE_SIZE 64
struct tnode {
	uint64_t key;
	struct objlife *obj;
	struct tnode *next;            /* atomic */
	uint32_t withdrawn;            /* atomic: set by the first unregister */
	struct tnode *retired_next;    /* on the retired or the free list */
} __attribute__((aligned(NODE_SIZE)));

/* Every lookup reads the header and a bucket: padded on both sides (the
 * array is allocated 64 bytes longer), so that no line of it is shared
 * with memory next to it in the heap, a user's object that another thread
 * writes. */
struct buckets {
	char pad[48];
	unsigned shift;                /* 64 - log2(buckets) */
	struct buckets *retired_next;
	struct tnode *b[];             /* atomic */
};

/* One registration, for writers only (tables lock). */
struct reg {
	struct ol_anode by_obj;        /* in regs: key = the object's address */
	struct objlife_table *table;
	struct objlife *obj;
	struct tnode *node;            /* its node in the table's current buckets */
	uint32_t waiters;              /* atomic: threads in objlife_unregister() */
	uint32_t ended;                /* atomic: out of the table, every waiter returns 0;
					  the last one frees it */
};

struct objlife_table {
	size_t nodes;                  /* linked: registered and withdrawn */
	size_t registered;
	uint64_t next_key;             /* above every key used so far */
	bool keys_used_up;
	objlife_request_fn request;
	void *request_data;
	unsigned request_calls;        /* running now */
	unsigned unregistering;        /* threads in objlife_unregister() */
	pthread_cond_t request_done;
	/* What every lookup reads, on a line of its own (see buckets). */
	char pad_before[64];
	struct buckets *bk;            /* atomic: NULL until the first register */
	char pad_after[64 - sizeof(void *)];
	char name[];
};

/* One per thread that looked up. Only the owner writes seq, at every
 * lookup: it sits in the middle of 128 bytes, so that its cache line is
 * the record's own (malloc aligns to 16) and two threads' lookups never
 * write to one line. */
struct reader {
	struct reader *next, **pprev;
	char pad_before[64 - 2 * sizeof(void *)];
	unsigned long seq;             /* atomic: odd inside a lookup */
	char pad_after[64 - sizeof(unsigned long)];
};

/* The tables lock: every writer, and lookups of threads without a reader
 * record. A leaf, like every lock of the library; readers_lock is taken
 * under it (synchronize()), never the other way. */
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ol_amap regs = { .use = OL_MEM_TABLE };
static struct tnode *retired_nodes;
static struct buckets *retired_buckets;

/* The node slab (tables lock): nodes come from chunks of this many bytes,
 * and go back to the free list, not to the allocator, until the process
 * exits with none in use. */
#define NODE_CHUNK 4096
struct node_chunk {
	struct node_chunk *next;
	void *mem;                     /* what ol_malloc() returned */
};
static struct node_chunk *node_chunks;
static struct tnode *node_free_list;
static size_t nodes_in_use;

static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reader *readers;
/* No record: the thread is exiting, or had no memory for one. Its
 * lookups take the tables lock. */
static struct reader reader_none;
static TLS struct reader *reader_self OL_THREAD_TLS_MODEL;
static pthread_key_t reader_key;
static bool reader_key_ok;

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
/* 1: membarrier() is registered; readers need only a compiler barrier. */
static uint32_t gp_fast;

/* The request function running on this thread, for set_request from
 * inside it. */
static TLS const struct objlife_table *requesting;

static void sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#if defined(__x86_64__) || defined(__i386__)
# define ol_cpu_relax() __builtin_ia32_pause()
#else
# define ol_cpu_relax() __asm__ volatile("" ::: "memory")
#endif

/* ------------------------------------------------------------------ */
/* The node slab                                                      */
/* ------------------------------------------------------------------ */

/* Tables lock held. A zeroed node, or NULL. */
static struct tnode *node_alloc(void)
{
	struct tnode *n = node_free_list;

	if (!n) {
		struct node_chunk *c = ol_malloc(OL_MEM_TABLE, sizeof(*c));
		char *mem = c ? ol_malloc(OL_MEM_TABLE, NODE_CHUNK + NODE_SIZE - 1) : NULL;
		char *p, *end;

		if (!mem) {
			ol_free(c);
			return NULL;
		}
		c->mem = mem;
		c->next = node_chunks;
		node_chunks = c;
		p = (char *)(((uintptr_t)mem + NODE_SIZE - 1) & ~(uintptr_t)(NODE_SIZE - 1));
		for (end = mem + NODE_CHUNK + NODE_SIZE - 1; p + NODE_SIZE <= end; p += NODE_SIZE) {
			struct tnode *f = (struct tnode *)(void *)p;

			f->retired_next = node_free_list;
			node_free_list = f;
		}
		n = node_free_list;
	}
	node_free_list = n->retired_next;
	memset(n, 0, sizeof(*n));
	nodes_in_use++;
	return n;
}

/* Tables lock held, no lookup can still read @n. */
static void node_free(struct tnode *n)
{
	n->retired_next = node_free_list;
	node_free_list = n;
	nodes_in_use--;
}

/* Tables lock held: the chunks go, once no node is in use. */
static void node_slab_free(void)
{
	if (nodes_in_use)
		return;
	while (node_chunks) {
		struct node_chunk *c = node_chunks;

		node_chunks = c->next;
		ol_free(c->mem);
		ol_free(c);
	}
	node_free_list = NULL;
}

/* ------------------------------------------------------------------ */
/* Grace periods                                                      */
/* ------------------------------------------------------------------ */

#ifdef OL_HAVE_MEMBARRIER
static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static bool membarrier_register(void)
{
	long have = membarrier(MEMBARRIER_CMD_QUERY);

	return have > 0 && (have & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	       membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}
#endif

static unsigned long gp_word;

/* The writer's half of the fence that readers on the fast path skip:
 * every thread of the process runs a full barrier before it returns. */
static void gp_fence(void)
{
#ifdef OL_HAVE_MEMBARRIER
	if (ol_load32(&gp_fast, OL_RELAXED)) {
		if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
			return;
		/* Not registered (a child of fork() whose kernel did not keep
		 * it): the slow, global command serves as well. */
		if (membarrier(MEMBARRIER_CMD_GLOBAL) == 0)
			return;
	}
#endif
	/* An RMW rather than a fence: ThreadSanitizer models the one and
	 * not the other. */
	(void)__atomic_fetch_add(&gp_word, 1, OL_SEQ_CST);
}

static unsigned long read_enter(struct reader *r)
{
	unsigned long seq = ol_loadup(&r->seq, OL_RELAXED) + 1;

	if (ol_likely(ol_load32(&gp_fast, OL_RELAXED))) {
		ol_storeup(&r->seq, seq, OL_RELAXED);
		__atomic_signal_fence(OL_SEQ_CST);
	} else {
		(void)__atomic_exchange_n(&r->seq, seq, OL_SEQ_CST);
	}
	return seq;
}

static void read_exit(struct reader *r, unsigned long seq)
{
	ol_storeup(&r->seq, seq + 1, OL_RELEASE);
}

/* Tables lock held. Returns once every lookup that may have seen what
 * writers unlinked before the call has finished, then frees what was
 * retired before it. */
static void synchronize(void)
{
	struct tnode *nodes = retired_nodes;
	struct buckets *bks = retired_buckets;
	struct reader *r;

	retired_nodes = NULL;
	retired_buckets = NULL;
	pthread_mutex_lock(&readers_lock);
	/* No other thread has a reader record: none can be inside a lookup
	 * (a thread's first lookup makes its record under this lock, after
	 * which it sees what was unlinked before), so no fence is needed.
	 * A program that withdraws from one thread pays no system call. */
	if (readers && (readers->next || readers != reader_self)) {
		pthread_mutex_unlock(&readers_lock);
		gp_fence();
		pthread_mutex_lock(&readers_lock);
	}
	for (r = readers; r; r = r->next) {
		unsigned long seq = ol_loadup(&r->seq, OL_ACQUIRE);

		/* Inside a lookup: a few loads and one compare-and-swap, never
		 * a wait. It is over at once unless the reader lost its CPU
		 * in it: then sleeping, rather than yielding, lets it run. */
		if (seq & 1) {
			unsigned spins = 0;

			while (ol_loadup(&r->seq, OL_ACQUIRE) == seq) {
				if (++spins < 64)
					ol_cpu_relax();
				else
					sleep_us(20);
			}
		}
	}
	pthread_mutex_unlock(&readers_lock);
	while (nodes) {
		struct tnode *next = nodes->retired_next;

		node_free(nodes);
		nodes = next;
	}
	while (bks) {
		struct buckets *next = bks->retired_next;

		ol_free(bks);
		bks = next;
	}
}

/* ------------------------------------------------------------------ */
/* Reader records, threads and fork()                                 */
/* ------------------------------------------------------------------ */

static void reader_exit(void *p)
{
	struct reader *r = p;

	reader_self = &reader_none;
	pthread_mutex_lock(&readers_lock);
	*r->pprev = r->next;
	if (r->next)
		r->next->pprev = r->pprev;
	pthread_mutex_unlock(&readers_lock);
	ol_free(r);
}

/* This thread's first lookup: its record, or &reader_none. */
static struct reader *reader_new(void)
{
	struct reader *r = reader_key_ok ? ol_calloc(OL_MEM_TABLE, 1, sizeof(*r)) : NULL;

	if (r && pthread_setspecific(reader_key, r) != 0) {
		ol_free(r);
		r = NULL;
	}
	if (!r)
		return reader_self = &reader_none;
	pthread_mutex_lock(&readers_lock);
	r->next = readers;
	r->pprev = &readers;
	if (readers)
		readers->pprev = &r->next;
	readers = r;
	pthread_mutex_unlock(&readers_lock);
	return reader_self = r;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&tables_lock);
	pthread_mutex_lock(&readers_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&readers_lock);
	pthread_mutex_unlock(&tables_lock);
}

/* Only this thread came along: the others' records go (one may have been
 * inside a lookup, odd for ever), and membarrier() is registered again
 * for the child's new address space. */
static void atfork_child(void)
{
	struct reader *r = readers, *next;
	struct reader *self = reader_self;

	readers = NULL;
	for (; r; r = next) {
		next = r->next;
		if (r == self) {
			r->next = readers;
			r->pprev = &readers;
			readers = r;
		} else {
			ol_free(r);
		}
	}
#ifdef OL_HAVE_MEMBARRIER
	if (ol_load32(&gp_fast, OL_RELAXED) && !membarrier_register())
		ol_store32(&gp_fast, 0, OL_RELAXED);   /* only this thread reads */
#endif
	atfork_parent();
}

/* Set once tables_init() ran: the locks' fork handlers are in place. */
static uint32_t tables_ready;

static void tables_init(void)
{
	reader_key_ok = pthread_key_create(&reader_key, reader_exit) == 0;
	ol_atfork(atfork_prepare, atfork_parent, atfork_child);
#ifdef OL_HAVE_MEMBARRIER
	if (membarrier_register())
		ol_store32(&gp_fast, 1, OL_RELAXED);
#endif
	ol_store32(&tables_ready, 1, OL_RELEASE);
}

void ol_table_exit(void)
{
	struct reader *self = reader_self;
	bool alone;

	if (!ol_load32(&tables_ready, OL_ACQUIRE))
		return;
	if (self && self != &reader_none) {
		/* No destructor of the key may free it again. */
		if (reader_key_ok)
			(void)pthread_setspecific(reader_key, NULL);
		reader_exit(self);
	}
	pthread_mutex_lock(&tables_lock);
	pthread_mutex_lock(&readers_lock);
	alone = readers == NULL;
	pthread_mutex_unlock(&readers_lock);
	/* With no other reader, nobody can be walking a retired node. */
	if (alone)
		synchronize();
	/* The map of registrations and the node slab, once no table has
	 * any. */
	if (regs.n == 0)
		ol_amap_free(&regs);
	if (alone)
		node_slab_free();
	pthread_mutex_unlock(&tables_lock);
}

/* ------------------------------------------------------------------ */
/* The hash                                                           */
/* ------------------------------------------------------------------ */

#define MIN_BUCKETS_LOG 4

static unsigned log_of(const struct buckets *bk)
{
	return 64 - bk->shift;
}

static size_t n_buckets(const struct buckets *bk)
{
	return (size_t)1 << log_of(bk);
}

static size_t bucket_of(const struct buckets *bk, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> bk->shift);
}

/* Tables lock held: @key's node, whatever its state, or NULL. */
static struct tnode *node_find(const struct objlife_table *t, uint64_t key)
{
	const struct buckets *bk = t->bk;
	struct tnode *n;

	if (!bk)
		return NULL;
	for (n = bk->b[bucket_of(bk, key)]; n; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

static struct buckets *buckets_new(unsigned log)
{
	size_t n = (size_t)1 << log;
	struct buckets *bk = ol_calloc(OL_MEM_TABLE, 1, sizeof(*bk) + n * sizeof(bk->b[0]) + 64);

	if (bk)
		bk->shift = 64 - log;
	return bk;
}

static void node_link(struct buckets *bk, struct tnode *n)
{
	struct tnode **head = &bk->b[bucket_of(bk, n->key)];

	n->next = *head;
	ol_storeup(head, n, OL_RELEASE);
}

/* Tables lock held. Moves @t's nodes into 2^@log buckets, as copies
 * (lookups may be walking the old chains), and waits for a grace period
 * before the old ones go. Returns false, with nothing changed, when there
 * is no memory for it. */
static bool table_resize(struct objlife_table *t, unsigned log)
{
	struct buckets *old = t->bk, *bk = buckets_new(log);
	struct tnode *copies = NULL, *n;
	size_t i;

	if (!bk)
		return false;
	for (i = 0; old && i < n_buckets(old); i++) {
		for (n = old->b[i]; n; n = n->next) {
			struct tnode *c = node_alloc();

			if (!c) {
				while (copies) {
					n = copies->retired_next;
					node_free(copies);
					copies = n;
				}
				ol_free(bk);
				return false;
			}
			*c = *n;
			c->retired_next = copies;
			copies = c;
		}
	}
	for (n = copies; n; n = n->retired_next) {
		struct ol_anode *a = ol_amap_find(&regs, (uintptr_t)n->obj);

		((struct reg *)a)->node = n;
		node_link(bk, n);
	}
	ol_storeup(&t->bk, bk, OL_RELEASE);
	if (old) {
		/* The old nodes and array, once no lookup walks them. */
		for (i = 0; i < n_buckets(old); i++) {
			for (n = old->b[i]; n; n = n->next) {
				n->retired_next = retired_nodes;
				retired_nodes = n;
			}
		}
		old->retired_next = retired_buckets;
		retired_buckets = old;
		synchronize();
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

struct objlife_table *objlife_table_new(const char *name)
{
	struct objlife_table *t;
	size_t len;

	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&tables_once, tables_init);
	len = strlen(name);
	t = ol_calloc(OL_MEM_TABLE, 1, sizeof(*t) + len + 1);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(t->name, name, len + 1);
	t->next_key = 1;
	pthread_cond_init(&t->request_done, NULL);
	return t;
}

int objlife_table_free(struct objlife_table *t)
{
	if (!t)
		return -EINVAL;
	pthread_mutex_lock(&tables_lock);
	if (t->nodes || t->unregistering) {
		pthread_mutex_unlock(&tables_lock);
		return -EBUSY;
	}
	if (t->bk) {
		t->bk->retired_next = retired_buckets;
		retired_buckets = t->bk;
		ol_storeup(&t->bk, NULL, OL_RELEASE);
	}
	/* A lookup that raced with the last unregister may still read @t. */
	synchronize();
	pthread_mutex_unlock(&tables_lock);
	pthread_cond_destroy(&t->request_done);
	ol_free(t);
	return 0;
}

size_t objlife_table_count(struct objlife_table *t)
{
	size_t n;

	if (!t)
		return 0;
	pthread_mutex_lock(&tables_lock);
	n = t->registered;
	pthread_mutex_unlock(&tables_lock);
	return n;
}

void objlife_table_set_request(struct objlife_table *t, objlife_request_fn fn, void *data)
{
	unsigned own;

	if (!t)
		return;
	/* From inside a request function it returns at once: waiting there
	 * for the other calls could wait for one that waits for this one. */
	own = requesting != NULL;
	pthread_mutex_lock(&tables_lock);
	t->request = fn;
	t->request_data = data;
	while (!own && t->request_calls)
		pthread_cond_wait(&t->request_done, &tables_lock);
	pthread_mutex_unlock(&tables_lock);
}

/* ------------------------------------------------------------------ */
/* Register                                                           */
/* ------------------------------------------------------------------ */

/* Takes the table's reference: like objlife_get_unless_zero(), but a
 * saturated or static count is refused, as a dying one is. */
static bool take_table_ref(struct objlife *obj)
{
	uint32_t old = ol_load32(&obj->_count, OL_RELAXED);

	do {
		if (old == 0 || old >= OBJLIFE__STATIC_COUNT)
			return false;
	} while (!ol_cas32(&obj->_count, &old, old + 1, OL_RELAXED, OL_RELAXED));
	return true;
}

int objlife_register(struct objlife_table *t, struct objlife *obj, uint64_t *key)
{
	struct reg *reg;
	struct tnode *node;
	uint64_t k;
	int err = 0;

	if (!t || !obj || !key)
		return -EINVAL;
	if (ol_unlikely(!obj->_ops)) {
		ol_report_never_set_up(obj, "register");
		return -EINVAL;
	}
	reg = ol_calloc(OL_MEM_TABLE, 1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	pthread_mutex_lock(&tables_lock);
	node = node_alloc();
	if (!node) {
		err = -ENOMEM;
		goto out;
	}
	k = *key;
	if (ol_amap_find(&regs, (uintptr_t)obj))
		err = -EBUSY;
	else if (k == 0 && t->keys_used_up)
		err = -ENOSPC;
	else if (k == 0)
		k = t->next_key;
	else if (node_find(t, k))
		err = -EEXIST;
	if (err)
		goto out;
	/* Grown at one node per bucket; a failed growth only makes chains
	 * longer, unless there are no buckets at all. */
	if ((!t->bk || t->nodes >= n_buckets(t->bk)) &&
	    !table_resize(t, t->bk ? log_of(t->bk) + 1 : MIN_BUCKETS_LOG) && !t->bk) {
		err = -ENOMEM;
		goto out;
	}
	reg->by_obj.key = (uintptr_t)obj;
	if (ol_amap_insert(&regs, &reg->by_obj) < 0) {
		err = -ENOMEM;
		goto out;
	}
	if (!take_table_ref(obj)) {
		(void)ol_amap_remove(&regs, (uintptr_t)obj);
		err = -EINVAL;
		goto out;
	}
	(void)ol_or32(&obj->_info, OL_REGISTERED, OL_RELAXED);
	reg->table = t;
	reg->obj = obj;
	reg->node = node;
	node->key = k;
	node->obj = obj;
	node_link(t->bk, node);
	t->nodes++;
	t->registered++;
	/* Picked keys count up past every key used. */
	if (k >= t->next_key) {
		t->next_key = k + 1;
		t->keys_used_up = k == UINT64_MAX;
	}
	*key = k;
	reg = NULL;
	node = NULL;
out:
	if (node)
		node_free(node);
	pthread_mutex_unlock(&tables_lock);
	ol_free(reg);
	return err;
}

/* ------------------------------------------------------------------ */
/* Lookup                                                             */
/* ------------------------------------------------------------------ */

/* Inside a lookup (or under the tables lock): a reference to @n's
 * object unless it is withdrawn or dying. The second test makes the
 * compare-and-swap the lookup's moment: one that took its reference after
 * the withdrawal started gives it back (*@undo). */
static inline __attribute__((always_inline)) struct objlife *take(struct tnode *n,
								  struct objlife **undo)
{
	struct objlife *obj;

	if (ol_load32(&n->withdrawn, OL_SEQ_CST))
		return NULL;
	obj = n->obj;
	if (!objlife__get_unless_zero_inline(obj))
		return NULL;
	if (ol_unlikely(ol_load32(&n->withdrawn, OL_SEQ_CST))) {
		*undo = obj;
		return NULL;
	}
	return obj;
}

/* A thread without a reader record: under the tables lock. */
static __attribute__((noinline)) struct objlife *lookup_locked(struct objlife_table *t,
							       uint64_t key)
{
	struct objlife *obj = NULL, *undo = NULL;
	struct tnode *n;

	pthread_mutex_lock(&tables_lock);
	n = node_find(t, key);
	if (n)
		obj = take(n, &undo);
	pthread_mutex_unlock(&tables_lock);
	/* Never the last reference: the withdrawing thread holds one. */
	objlife_put(undo);
	if (!obj)
		errno = ENOENT;
	return obj;
}

static __attribute__((noinline)) struct objlife *lookup_slow(struct objlife_table *t, uint64_t key);

struct objlife *objlife_lookup(struct objlife_table *t, uint64_t key)
{
	struct reader *r = reader_self;
	struct objlife *obj = NULL, *undo = NULL;
	const struct buckets *bk;
	struct tnode *n;
	unsigned long seq;

	if (ol_unlikely(!r || r == &reader_none || !t))
		return lookup_slow(t, key);
	seq = read_enter(r);
	bk = ol_loadup(&t->bk, OL_SEQ_CST);
	if (ol_likely(bk != NULL)) {
		for (n = ol_loadup(&bk->b[bucket_of(bk, key)], OL_ACQUIRE); n;
		     n = ol_loadup(&n->next, OL_ACQUIRE)) {
			if (n->key == key) {
				obj = take(n, &undo);
				break;
			}
		}
	}
	read_exit(r, seq);
	if (ol_likely(obj != NULL))
		return obj;
	if (undo)
		objlife_put(undo);   /* may release, if every waiter gave up */
	errno = ENOENT;
	return NULL;
}

static struct objlife *lookup_slow(struct objlife_table *t, uint64_t key)
{
	if (!t) {
		errno = EINVAL;
		return NULL;
	}
	if (!reader_self) {
		pthread_once(&tables_once, tables_init);
		if (reader_new() != &reader_none)
			return objlife_lookup(t, key);
	}
	return lookup_locked(t, key);
}

/* ------------------------------------------------------------------ */
/* Unregister                                                         */
/* ------------------------------------------------------------------ */

static struct reg *reg_of(const struct objlife *obj)
{
	return (struct reg *)ol_amap_find(&regs, (uintptr_t)obj);
}

/* Tables lock held: whether @reg's withdrawal has started. Its node says
 * so: the lookups' flag is the one record of it. */
static bool reg_withdrawn(const struct reg *reg)
{
	return ol_load32(&reg->node->withdrawn, OL_RELAXED);
}

/* Tables lock held, @reg withdrawn: the registration ends, and @obj may
 * be registered again. Its node goes after the next grace period; @reg
 * stays while threads wait on it (the last one frees it). */
static void reg_end(struct reg *reg)
{
	struct objlife_table *t = reg->table;
	struct tnode **pp = &t->bk->b[bucket_of(t->bk, reg->node->key)];

	while (*pp != reg->node)
		pp = &(*pp)->next;
	ol_storeup(pp, reg->node->next, OL_RELEASE);
	reg->node->retired_next = retired_nodes;
	retired_nodes = reg->node;
	(void)ol_amap_remove(&regs, (uintptr_t)reg->obj);
	(void)ol_and32(&reg->obj->_info, ~(uint32_t)OL_REGISTERED, OL_RELAXED);
	t->nodes--;
	/* Release: a waiter that returns on it may be about to put the
	 * last reference, after the puts this thread saw drain it. */
	ol_store32(&reg->ended, 1, OL_RELEASE);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Calls @t's request function, if any, with no lock held. */
static void request(struct objlife_table *t, struct objlife *obj, unsigned waited_s)
{
	const struct objlife_table *outer = requesting;
	objlife_request_fn fn;
	void *data;

	pthread_mutex_lock(&tables_lock);
	fn = t->request;
	data = t->request_data;
	if (fn)
		t->request_calls++;
	pthread_mutex_unlock(&tables_lock);
	if (!fn)
		return;
	requesting = t;
	fn(obj, waited_s, data);
	requesting = outer;
	pthread_mutex_lock(&tables_lock);
	t->request_calls--;
	pthread_cond_broadcast(&t->request_done);
	pthread_mutex_unlock(&tables_lock);
}

static void report_wait(struct objlife_table *t, struct objlife *obj, uint32_t count,
			uint32_t waiters, unsigned waited_s)
{
	int saved_errno = errno;
	struct ol_text text;

	ol_text_init(&text);
	ol_text_add(&text, OL_OBJECT_HEADER,
		    OL_OBJECT_HEADER_ARGS(OBJLIFE_EVENT_DRAIN_WAIT, obj->_ops->name, obj, count));
	/* The name is the table's: it lives while a registration does. */
	ol_text_add(&text, "unregister from table \"%s\" has waited %u s for %u other reference%s",
		    t->name, waited_s, count - waiters, count - waiters == 1 ? "" : "s");
	if (ol_options() & OL_OPT_REFS)
		ol_tracker_format_held(&text, obj);
	/* Not a misuse: OBJLIFE_DEBUG=abort does not abort on it. */
	ol_report_part(OBJLIFE_EVENT_DRAIN_WAIT, obj, text.buf);
	ol_text_free(&text);
	errno = saved_errno;
}

/* Polls, as netdev_wait_allrefs() does, for the count to come down to
 * the waiters' own references: a put needs no hook, so that objects
 * that are never registered pay nothing. The interval doubles from 50 us
 * to 4 ms: a waiter wakes within 4 ms of the last other put, and a long
 * wait costs 250 wake-ups a second. */
#define POLL_MIN_US 50u
#define POLL_MAX_US 4000u
#define FIRST_REPORT_US 1000000u
#define REPORT_EVERY_US 10000000u

static int wait_drained(struct objlife_table *t, struct reg *reg, struct objlife *obj,
			int timeout_ms)
{
	uint64_t start = 0, next_report = 0, deadline = 0;
	unsigned interval = POLL_MIN_US;
	bool waiting = false;

	for (;;) {
		uint32_t count = ol_load32(&obj->_count, OL_ACQUIRE);
		uint32_t waiters = ol_load32(&reg->waiters, OL_RELAXED);
		uint64_t now;

		/* Drained; or ended by another waiter, whose reference is
		 * still counted while it returns; or pinned by a misuse
		 * report, for good, so that waiting is pointless. */
		if (count <= waiters || ol_load32(&reg->ended, OL_ACQUIRE) ||
		    count > OBJLIFE_REFCOUNT_MAX)
			return 0;
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		now = now_us();
		if (!waiting) {
			waiting = true;
			start = now;
			next_report = start + FIRST_REPORT_US;
			deadline = timeout_ms > 0 ? start + (uint64_t)timeout_ms * 1000u : UINT64_MAX;
			request(t, obj, 0);
			continue;
		}
		if (now >= deadline)
			return -ETIMEDOUT;
		if (now >= next_report) {
			unsigned waited_s = (unsigned)((now - start) / 1000000u);

			report_wait(t, obj, count, waiters, waited_s);
			request(t, obj, waited_s);
			next_report += REPORT_EVERY_US;
			continue;
		}
		{
			uint64_t until = next_report < deadline ? next_report : deadline;
			uint64_t left_us = until - now;

			sleep_us(left_us < interval ? (unsigned)left_us : interval);
		}
		if (interval < POLL_MAX_US)
			interval *= 2;
	}
}

int objlife_unregister(struct objlife_table *t, struct objlife *obj, int timeout_ms)
{
	struct reg *reg;
	bool first;
	int err;

	if (!t || !obj)
		return -EINVAL;
	pthread_mutex_lock(&tables_lock);
	reg = reg_of(obj);
	if (!reg || reg->table != t) {
		pthread_mutex_unlock(&tables_lock);
		return -ENOENT;
	}
	first = !reg_withdrawn(reg);
	(void)ol_add32(&reg->waiters, 1, OL_RELAXED);
	t->unregistering++;
	if (first) {
		ol_store32(&reg->node->withdrawn, 1, OL_SEQ_CST);
		t->registered--;
		/* No lookup is still about to take a reference it found
		 * before: the table's may go. */
		synchronize();
	}
	pthread_mutex_unlock(&tables_lock);
	/* Never the last: the caller holds one. */
	if (first)
		objlife_put(obj);

	err = wait_drained(t, reg, obj, timeout_ms);

	pthread_mutex_lock(&tables_lock);
	t->unregistering--;
	if (err == 0 && !ol_load32(&reg->ended, OL_RELAXED)) {
		reg_end(reg);
		/* Shrunk at an eighth full, after the wait: the grace period
		 * is the withdrawing thread's to pay. */
		if (log_of(t->bk) > MIN_BUCKETS_LOG && t->nodes < n_buckets(t->bk) / 8)
			(void)table_resize(t, log_of(t->bk) - 1);
	}
	if (ol_sub32(&reg->waiters, 1, OL_RELAXED) == 1 && ol_load32(&reg->ended, OL_RELAXED))
		ol_free(reg);
	pthread_mutex_unlock(&tables_lock);
	return err;
}

bool ol_table_released(struct objlife *obj)
{
	const char *state = NULL;
	char table[OL_TYPE_KEPT];
	struct reg *reg;

	pthread_mutex_lock(&tables_lock);
	reg = reg_of(obj);
	if (reg && reg_withdrawn(reg) && ol_load32(&reg->waiters, OL_RELAXED) == 0) {
		reg_end(reg);
		ol_free(reg);
	} else if (reg) {
		state = reg_withdrawn(reg) ? "being withdrawn from" : "registered in";
		ol_type_copy(table, reg->table->name);
	}
	pthread_mutex_unlock(&tables_lock);
	if (!state)
		return true;
	ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, 0,
		    "put of a reference the caller did not hold: the object is still %s table \"%s\"; the object will leak",
		    state, table);
	return false;
}

/* ------------------------------------------------------------------ */
/* Visit                                                              */
/* ------------------------------------------------------------------ */

int objlife_table_visit(struct objlife_table *t,
			int (*fn)(struct objlife *obj, uint64_t key, void *data), void *data)
{
	struct visit_item {
		uint64_t key;
		const struct objlife *obj;
	} *items = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (!t || !fn)
		return -EINVAL;
	/* What is registered now, then a lookup of each: @fn runs with no
	 * lock held and may withdraw what it visits. An object registered
	 * since under a key that was in the list is not one to visit. */
	pthread_mutex_lock(&tables_lock);
	if (t->registered) {
		items = ol_malloc(OL_MEM_TABLE, t->registered * sizeof(*items));
		if (!items) {
			pthread_mutex_unlock(&tables_lock);
			return -ENOMEM;
		}
		for (i = 0; i < n_buckets(t->bk); i++) {
			struct tnode *nd;

			for (nd = t->bk->b[i]; nd; nd = nd->next) {
				if (!nd->withdrawn) {
					items[n].key = nd->key;
					items[n].obj = nd->obj;
					n++;
				}
			}
		}
	}
	pthread_mutex_unlock(&tables_lock);
	for (i = 0; i < n && ret == 0; i++) {
		struct objlife *obj = objlife_lookup(t, items[i].key);

		if (obj && obj == items[i].obj)
			ret = fn(obj, items[i].key, data);
		objlife_put(obj);
	}
	ol_free(items);
	return ret;
}
