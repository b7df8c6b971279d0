/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Just enough of the kernel for the functions in drivers.c: stubs of its
 * locks, allocator, paths and files, each of which writes what it does to
 * an event log, and then the guard and class definitions as the kernel's
 * own headers write them (mutex.h, spinlock.h, rcupdate.h, rwsem.h,
 * slab.h, path.h, file.h), on top of <objlife/cleanup.h>'s kernel
 * spellings. mutex and the spinlock guards are the kernel's here, so the
 * header's pthread short names are left out.
 */
#ifndef KSTYLE_LINUX_H
#define KSTYLE_LINUX_H

#define OBJLIFE_SHORT_NAMES
#define OBJLIFE_NO_SHORT_GUARDS
#include <objlife/cleanup.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the event log ---- */

/* Every stub appends one word to klog, separated by spaces. */
extern char klog[4096];
void klog_reset(void);
void klog_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- err.h ---- */

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* ---- slab.h ---- */

#define GFP_KERNEL 0u
typedef unsigned int gfp_t;
/* The next allocation fails when this is set. */
extern bool kmalloc_fail_next;
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *p);

DEFINE_FREE(kfree, void *, if (!IS_ERR_OR_NULL(_T)) kfree(_T))

/* ---- mutex.h ---- */

struct mutex {
	const char *name;
	bool locked;
	bool signal_pending;	/* the next interruptible lock gets -EINTR */
};
#define DEFINE_MUTEX(n) struct mutex n = { .name = #n }
void mutex_lock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
int mutex_lock_interruptible(struct mutex *lock);

DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T))
DEFINE_GUARD_COND(mutex, _try, mutex_trylock(_T))
DEFINE_GUARD_COND(mutex, _intr, mutex_lock_interruptible(_T), _RET == 0)

/* ---- spinlock.h ---- */

typedef struct spinlock {
	const char *name;
	bool locked;
} spinlock_t;
/* The saved interrupt state: each save hands out a new value, so that a
 * restore shows which save it undoes. */
unsigned long __spin_lock_irqsave(spinlock_t *lock);
int __spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);
void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
#define spin_lock_irqsave(lock, flags) \
	do { (flags) = __spin_lock_irqsave(lock); } while (0)
#define spin_trylock_irqsave(lock, flags) __spin_trylock_irqsave(lock, &(flags))

DEFINE_LOCK_GUARD_1(spinlock_irqsave, spinlock_t,
		    spin_lock_irqsave(_T->lock, _T->flags),
		    spin_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1_COND(spinlock_irqsave, _try,
			 spin_trylock_irqsave(_T->lock, _T->flags))

/* ---- rcupdate.h ---- */

void rcu_read_lock(void);
void rcu_read_unlock(void);

DEFINE_LOCK_GUARD_0(rcu, rcu_read_lock(), rcu_read_unlock())

/* ---- rwsem.h ---- */

struct rw_semaphore {
	const char *name;
	int readers;
	bool writer;
	bool signal_pending;	/* the next interruptible down gets -EINTR */
};
void down_read(struct rw_semaphore *sem);
int down_read_interruptible(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);

DEFINE_GUARD(rwsem_read, struct rw_semaphore *, down_read(_T), up_read(_T))
DEFINE_GUARD_COND(rwsem_read, _intr, down_read_interruptible(_T), _RET == 0)
DEFINE_GUARD(rwsem_write, struct rw_semaphore *, down_write(_T), up_write(_T))

/* ---- path.h ---- */

struct path {
	const char *mnt;
	const char *dentry;
};
/* Fills @path for any name but "missing", which is -ENOENT. */
int kern_path(const char *name, unsigned int flags, struct path *path);
void path_put(const struct path *path);

/* path_put() takes the variable's address, as the cleanup attribute
 * passes it: so it is the free class, by the generated name. */
#define __free_path_put path_put

/* ---- file.h ---- */

struct file {
	char name[32];
};
/* The next descriptor allocation fails with -EMFILE when this is set. */
extern bool fd_table_full;
int get_unused_fd_flags(unsigned int flags);
void put_unused_fd(unsigned int fd);
void fd_install(unsigned int fd, struct file *file);
/* A new file, or ERR_PTR(-ENOMEM) when kmalloc_fail_next is set. */
struct file *alloc_file(const char *name);
void fput(struct file *file);

DEFINE_FREE(fput, struct file *, if (!IS_ERR_OR_NULL(_T)) fput(_T))
DEFINE_CLASS(get_unused_fd, int, if (_T >= 0) put_unused_fd(_T),
	     get_unused_fd_flags(flags), unsigned int flags)
/* Hands the descriptor out; the class is left with -EBADF, not NULL. */
#define take_fd(fd) __get_and_null(fd, -EBADF)

/* A descriptor and a file reserved together, written out by hand as
 * file.h writes its fd_prepare class: the typedef, destructor and
 * lock_err under the names the cleanup macros generate, so that
 * CLASS_INIT() and ACQUIRE_ERR() work on it. */
typedef struct fd_prepare {
	int err;
	int fd;
	struct file *file;
} class_fd_prepare_t;

static inline void class_fd_prepare_destructor(class_fd_prepare_t *fdf)
{
	if (fdf->fd >= 0)
		put_unused_fd(fdf->fd);
	if (!IS_ERR_OR_NULL(fdf->file))
		fput(fdf->file);
}

static inline int class_fd_prepare_lock_err(class_fd_prepare_t *fdf)
{
	if (fdf->fd < 0)
		return fdf->fd;
	if (IS_ERR(fdf->file))
		return PTR_ERR(fdf->file);
	if (!fdf->file)
		return -ENOMEM;
	return 0;
}

#define __FD_PREPARE_INIT(flags, file_expr)					\
	({									\
		class_fd_prepare_t __fdf = { .fd = get_unused_fd_flags(flags) }; \
		if (__fdf.fd >= 0)						\
			__fdf.file = (file_expr);				\
		__fdf.err = ACQUIRE_ERR(fd_prepare, &__fdf);			\
		__fdf;								\
	})
#define FD_PREPARE(name, flags, file_expr) \
	CLASS_INIT(fd_prepare, name, __FD_PREPARE_INIT(flags, file_expr))
/* Installs the file and returns the descriptor; the class keeps neither. */
#define fd_publish(fdf)							\
	({									\
		int __fd = take_fd((fdf).fd);					\
		fd_install(__fd, __get_and_null((fdf).file, NULL));		\
		__fd;								\
	})

#endif /* KSTYLE_LINUX_H */
