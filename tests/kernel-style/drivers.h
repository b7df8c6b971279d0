/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel-style functions of drivers.c and the structures they use. */
#ifndef KSTYLE_DRIVERS_H
#define KSTYLE_DRIVERS_H

#include "linux.h"

#define BUS_MAX 2
struct widget {
	int id;
	char *label;
};
struct widget_bus {
	struct mutex lock;
	int count;
	struct widget *items[BUS_MAX];
};
struct widget *widget_create(struct widget_bus *bus, int id);
int widget_set_label(struct widget_bus *bus, struct widget *w, const char *label);
int widget_register(struct widget_bus *bus, struct widget **out);

struct stats {
	spinlock_t lock;
	long total;
	unsigned long seen_flags;
};
void stats_add(struct stats *st, long v);
int stats_try_add(struct stats *st, long v);

struct cfg_entry {
	int key;
	int value;
};
struct cfg_table {
	int n;
	struct cfg_entry e[4];
};
int cfg_lookup(const struct cfg_table *t, int key);

struct dev {
	struct mutex lock;
	int ops;
};
int dev_wait_op(struct dev *dev);
int dev_try_op(struct dev *dev);
int dev_poll(struct dev *dev);
int dev_count_until(struct dev *dev, int n, int stop);

struct table {
	struct rw_semaphore sem;
	int n;
	int vals[4];
};
int table_read(struct table *t, int idx);
int table_append(struct table *t, int v);

#define QUEUE_MAX 1
struct queue {
	struct mutex lock;
	spinlock_t irq_lock;
	int n;
	int *items[QUEUE_MAX];
};
int queue_push(struct queue *q, int v);

int mount_name(const char *name, const char **out);
int thing_open(const char *name, unsigned int flags);
int thing_open_classic(const char *name, unsigned int flags);

#endif /* KSTYLE_DRIVERS_H */
