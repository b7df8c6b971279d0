// SPDX-License-Identifier: LGPL-2.1-or-later
/* The stubs of linux.h: each does what the kernel's does, as far as the
 * tests can see, and writes one word to the event log. */
#include "linux.h"

#include <stdarg.h>
#include <stdio.h>

char klog[4096];
bool kmalloc_fail_next;
bool fd_table_full;
static unsigned long irq_flags_next = 0x100;
static int fd_next = 3;

void klog_reset(void)
{
	klog[0] = '\0';
	kmalloc_fail_next = false;
	fd_table_full = false;
	irq_flags_next = 0x100;
	fd_next = 3;
}

void klog_add(const char *fmt, ...)
{
	size_t len = strlen(klog);
	va_list ap;

	if (len && len < sizeof(klog) - 1)
		klog[len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(klog + len, sizeof(klog) - len, fmt, ap);
	va_end(ap);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	if (kmalloc_fail_next) {
		kmalloc_fail_next = false;
		klog_add("kmalloc=NULL");
		return NULL;
	}
	klog_add("kmalloc");
	return malloc(size);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	void *p = kmalloc(size, gfp);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(const void *p)
{
	klog_add(p ? "kfree" : "kfree(NULL)");
	free((void *)p);
}

void mutex_lock(struct mutex *lock)
{
	klog_add("mutex_lock(%s)", lock->name);
	lock->locked = true;
}

void mutex_unlock(struct mutex *lock)
{
	klog_add("mutex_unlock(%s)", lock->name);
	lock->locked = false;
}

int mutex_trylock(struct mutex *lock)
{
	if (lock->locked) {
		klog_add("mutex_trylock(%s)=0", lock->name);
		return 0;
	}
	klog_add("mutex_trylock(%s)=1", lock->name);
	lock->locked = true;
	return 1;
}

int mutex_lock_interruptible(struct mutex *lock)
{
	if (lock->signal_pending) {
		klog_add("mutex_lock_interruptible(%s)=-EINTR", lock->name);
		return -EINTR;
	}
	klog_add("mutex_lock_interruptible(%s)=0", lock->name);
	lock->locked = true;
	return 0;
}

unsigned long __spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irq_flags_next++;

	klog_add("spin_lock_irqsave(%s):%#lx", lock->name, flags);
	lock->locked = true;
	return flags;
}

int __spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	if (lock->locked) {
		klog_add("spin_trylock_irqsave(%s)=0", lock->name);
		return 0;
	}
	*flags = irq_flags_next++;
	klog_add("spin_trylock_irqsave(%s):%#lx", lock->name, *flags);
	lock->locked = true;
	return 1;
}

void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	klog_add("spin_unlock_irqrestore(%s):%#lx", lock->name, flags);
	lock->locked = false;
}

void rcu_read_lock(void)
{
	klog_add("rcu_read_lock");
}

void rcu_read_unlock(void)
{
	klog_add("rcu_read_unlock");
}

void down_read(struct rw_semaphore *sem)
{
	klog_add("down_read(%s)", sem->name);
	sem->readers++;
}

int down_read_interruptible(struct rw_semaphore *sem)
{
	if (sem->signal_pending) {
		klog_add("down_read_interruptible(%s)=-EINTR", sem->name);
		return -EINTR;
	}
	klog_add("down_read_interruptible(%s)=0", sem->name);
	sem->readers++;
	return 0;
}

void up_read(struct rw_semaphore *sem)
{
	klog_add("up_read(%s)", sem->name);
	sem->readers--;
}

void down_write(struct rw_semaphore *sem)
{
	klog_add("down_write(%s)", sem->name);
	sem->writer = true;
}

void up_write(struct rw_semaphore *sem)
{
	klog_add("up_write(%s)", sem->name);
	sem->writer = false;
}

int kern_path(const char *name, unsigned int flags, struct path *path)
{
	(void)flags;
	if (!strcmp(name, "missing")) {
		klog_add("kern_path(%s)=-ENOENT", name);
		return -ENOENT;
	}
	klog_add("kern_path(%s)", name);
	path->mnt = "root";
	path->dentry = name;
	return 0;
}

void path_put(const struct path *path)
{
	klog_add("path_put(%s)", path->dentry ? path->dentry : "-");
}

int get_unused_fd_flags(unsigned int flags)
{
	(void)flags;
	if (fd_table_full) {
		klog_add("get_unused_fd=-EMFILE");
		return -EMFILE;
	}
	klog_add("get_unused_fd=%d", fd_next);
	return fd_next++;
}

void put_unused_fd(unsigned int fd)
{
	klog_add("put_unused_fd(%u)", fd);
}

/* The table would own the file from here; the stub has no table. */
void fd_install(unsigned int fd, struct file *file)
{
	klog_add("fd_install(%u,%s)", fd, file->name);
	free(file);
}

struct file *alloc_file(const char *name)
{
	struct file *file;

	if (kmalloc_fail_next) {
		kmalloc_fail_next = false;
		klog_add("alloc_file(%s)=-ENOMEM", name);
		return ERR_PTR(-ENOMEM);
	}
	file = calloc(1, sizeof(*file));
	if (!file)
		abort();
	snprintf(file->name, sizeof(file->name), "%s", name);
	klog_add("alloc_file(%s)", name);
	return file;
}

void fput(struct file *file)
{
	klog_add("fput(%s)", file->name);
	free(file);
}
