// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Functions written the way kernel code is written: the kernel's
 * spellings, guards and classes from the kernel's own kind of definitions
 * (linux.h), variables defined where they are acquired, no goto. Each is
 * a pattern found in drivers and in fs/: the tests call them and read the
 * order of the locks, unlocks and frees from the event log.
 */
#include "drivers.h"

/* Allocation before the lock: on the full-bus error the bus is unlocked
 * first and the widget freed last; on success the widget leaves. */
struct widget *widget_create(struct widget_bus *bus, int id)
{
	struct widget *w __free(kfree) = kzalloc(sizeof(*w), GFP_KERNEL);

	if (!w)
		return ERR_PTR(-ENOMEM);
	w->id = id;

	guard(mutex)(&bus->lock);
	if (bus->count == BUS_MAX)
		return ERR_PTR(-ENOSPC);
	bus->items[bus->count++] = w;
	return_ptr(w);
}

/* Allocation under the lock: the buffer is freed while the lock is held. */
int widget_set_label(struct widget_bus *bus, struct widget *w, const char *label)
{
	guard(mutex)(&bus->lock);
	size_t len = strlen(label);
	char *buf __free(kfree) = kmalloc(len + 1, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	if (len > 8)
		return -EINVAL;
	memcpy(buf, label, len + 1);
	kfree(w->label);
	w->label = no_free_ptr(buf);
	return 0;
}

static int bus_add(struct widget_bus *bus, struct widget *w)
{
	guard(mutex)(&bus->lock);
	if (bus->count == BUS_MAX)
		return -ENOSPC;
	bus->items[bus->count++] = w;
	return 0;
}

/* Handed to a function that keeps it on success only. */
int widget_register(struct widget_bus *bus, struct widget **out)
{
	struct widget *w __free(kfree) = kzalloc(sizeof(*w), GFP_KERNEL);
	int ret;

	if (!w)
		return -ENOMEM;
	ret = bus_add(bus, w);
	if (!ret) {
		*out = w;
		retain_and_null_ptr(w);
	}
	return ret;
}

/* The lock guard's own member, read in the body through `scope`. */
void stats_add(struct stats *st, long v)
{
	scoped_guard(spinlock_irqsave, &st->lock) {
		st->total += v;
		st->seen_flags = scope.flags;
	}
}

int stats_try_add(struct stats *st, long v)
{
	scoped_guard(spinlock_irqsave_try, &st->lock) {
		st->total += v;
		return 0;
	}
	return -EBUSY;
}

int cfg_lookup(const struct cfg_table *t, int key)
{
	guard(rcu)();
	for (int i = 0; i < t->n; i++)
		if (t->e[i].key == key)
			return t->e[i].value;
	return -ENOENT;
}

/* An interruptible acquire whose error goes back to the caller. */
int dev_wait_op(struct dev *dev)
{
	ACQUIRE(mutex_intr, lock)(&dev->lock);
	int ret = ACQUIRE_ERR(mutex_intr, &lock);

	if (ret)
		return ret;
	dev->ops++;
	return 0;
}

int dev_try_op(struct dev *dev)
{
	ACQUIRE(mutex_try, lock)(&dev->lock);
	int ret = ACQUIRE_ERR(mutex_try, &lock);

	if (ret)
		return ret;
	dev->ops++;
	return 0;
}

int dev_poll(struct dev *dev)
{
	scoped_cond_guard(mutex_try, return -EBUSY, &dev->lock) {
		dev->ops++;
	}
	return 0;
}

/* break in a scoped guard leaves the guard's scope, not the loop. */
int dev_count_until(struct dev *dev, int n, int stop)
{
	int rounds = 0;

	for (int i = 0; i < n; i++) {
		scoped_guard(mutex, &dev->lock) {
			if (i == stop)
				break;
			dev->ops++;
		}
		rounds++;
	}
	return rounds;
}

int table_read(struct table *t, int idx)
{
	scoped_cond_guard(rwsem_read_intr, return -EINTR, &t->sem) {
		if (idx >= t->n)
			return -EINVAL;
		return t->vals[idx];
	}
	return -EINVAL;
}

int table_append(struct table *t, int v)
{
	guard(rwsem_write)(&t->sem);
	if (t->n == 4)
		return -ENOSPC;
	t->vals[t->n++] = v;
	return 0;
}

/* A mutex, an allocation and a spinlock nested in one function. */
int queue_push(struct queue *q, int v)
{
	guard(mutex)(&q->lock);
	int *it __free(kfree) = kmalloc(sizeof(*it), GFP_KERNEL);

	if (!it)
		return -ENOMEM;
	*it = v;
	scoped_guard(spinlock_irqsave, &q->irq_lock) {
		if (q->n == QUEUE_MAX)
			return -ENOSPC;
		q->items[q->n++] = no_free_ptr(it);
	}
	return 0;
}

/* path_put is the free class by its generated name (path.h's #define). */
int mount_name(const char *name, const char **out)
{
	struct path path __free(path_put) = {};
	int err = kern_path(name, 0, &path);

	if (err)
		return err;
	*out = path.mnt;
	return 0;
}

/* file.h's way: the descriptor and the file reserved as one class. */
int thing_open(const char *name, unsigned int flags)
{
	FD_PREPARE(fdf, flags, alloc_file(name));
	if (fdf.err)
		return fdf.err;
	return fd_publish(fdf);
}

/* The older way: a descriptor class, a file freed by fput, take_fd(). */
int thing_open_classic(const char *name, unsigned int flags)
{
	CLASS(get_unused_fd, fd)(flags);
	if (fd < 0)
		return fd;

	struct file *file __free(fput) = alloc_file(name);
	if (IS_ERR(file))
		return PTR_ERR(file);

	fd_install(fd, no_free_ptr(file));
	return take_fd(fd);
}
