// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel code on <objlife/cleanup.h>: the functions of drivers.c, run on
 * their success and error paths. Each case checks what the function
 * returns and the event log of every lock, unlock, allocation and free,
 * in order. TAP on stdout, one result per case; tests/kernel-style.sh
 * builds this with gcc and with clang.
 */
#include "drivers.h"

#include <stdio.h>

/* The names the macros generate are the kernel's (checked at compile
 * time): kernel headers spell them by hand. */
_Static_assert(__builtin_types_compatible_p(class_mutex_t, struct mutex *),
	       "DEFINE_GUARD generates class_<name>_t");
_Static_assert(__builtin_types_compatible_p(class_mutex_intr_t, struct mutex *),
	       "DEFINE_GUARD_COND extends the class under class_<name><ext>_t");
_Static_assert(__builtin_types_compatible_p(__typeof__(((class_spinlock_irqsave_t *)0)->lock),
					    spinlock_t *),
	       "DEFINE_LOCK_GUARD_1's class has the member lock");
_Static_assert(__is_cond_ptr(mutex_try) && !__is_cond_ptr(mutex),
	       "__is_cond_ptr tells conditional guards");

static int case_failed;

#define EXPECT(cond) do { \
		if (!(cond)) { \
			printf("# line %d: %s\n", __LINE__, #cond); \
			case_failed = 1; \
		} \
	} while (0)
#define EXPECT_LOG(want) do { \
		if (strcmp(klog, want)) { \
			printf("# line %d: event log\n#  want: %s\n#  got:  %s\n", \
			       __LINE__, want, klog); \
			case_failed = 1; \
		} \
	} while (0)

static void free_widget(struct widget *w)
{
	free(w->label);
	free(w);
}

/* ---- __free(kfree), guard(mutex), return_ptr ---- */

static void widget_create_hands_the_widget_out_after_unlocking(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" } };
	struct widget *w = widget_create(&bus, 7);

	EXPECT(!IS_ERR_OR_NULL(w) && w->id == 7 && bus.items[0] == w);
	EXPECT_LOG("kmalloc mutex_lock(bus) mutex_unlock(bus)");
	EXPECT(!bus.lock.locked);
	free_widget(w);
}

static void widget_create_on_a_full_bus_unlocks_then_frees(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" }, .count = BUS_MAX };
	struct widget *w = widget_create(&bus, 7);

	EXPECT(PTR_ERR(w) == -ENOSPC);
	EXPECT_LOG("kmalloc mutex_lock(bus) mutex_unlock(bus) kfree");
}

static void widget_create_out_of_memory_takes_no_lock_and_frees_nothing(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" } };

	kmalloc_fail_next = true;
	EXPECT(PTR_ERR(widget_create(&bus, 7)) == -ENOMEM);
	EXPECT_LOG("kmalloc=NULL");
}

/* ---- a cleanup variable defined after the guard ---- */

static void widget_set_label_frees_the_rejected_buffer_while_locked(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" } };
	struct widget w = { 0 };

	EXPECT(widget_set_label(&bus, &w, "much-too-long") == -EINVAL);
	EXPECT_LOG("mutex_lock(bus) kmalloc kfree mutex_unlock(bus)");
	EXPECT(!w.label);
}

static void widget_set_label_keeps_the_buffer_it_stores(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" } };
	struct widget w = { 0 };

	EXPECT(widget_set_label(&bus, &w, "ok") == 0);
	EXPECT_LOG("mutex_lock(bus) kmalloc kfree(NULL) mutex_unlock(bus)");
	EXPECT(w.label && !strcmp(w.label, "ok"));
	free(w.label);
}

/* ---- retain_and_null_ptr ---- */

static void widget_register_leaves_the_widget_to_the_bus_that_took_it(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" } };
	struct widget *w = NULL;

	EXPECT(widget_register(&bus, &w) == 0);
	EXPECT_LOG("kmalloc mutex_lock(bus) mutex_unlock(bus)");
	EXPECT(w && bus.items[0] == w);
	free(w);
}

static void widget_register_frees_the_widget_the_bus_refused(void)
{
	struct widget_bus bus = { .lock = { .name = "bus" }, .count = BUS_MAX };
	struct widget *w = NULL;

	EXPECT(widget_register(&bus, &w) == -ENOSPC);
	EXPECT_LOG("kmalloc mutex_lock(bus) mutex_unlock(bus) kfree");
	EXPECT(!w);
}

/* ---- DEFINE_LOCK_GUARD_1: spinlock_irqsave and its _try ---- */

static void spinlock_irqsave_restores_the_flags_it_saved(void)
{
	struct stats st = { .lock = { .name = "stats" } };

	stats_add(&st, 5);
	EXPECT(st.total == 5);
	EXPECT_LOG("spin_lock_irqsave(stats):0x100 spin_unlock_irqrestore(stats):0x100");
	EXPECT(st.seen_flags == 0x100);
}

static void spinlock_irqsave_try_runs_the_body_and_unlocks(void)
{
	struct stats st = { .lock = { .name = "stats" } };

	EXPECT(stats_try_add(&st, 5) == 0);
	EXPECT(st.total == 5);
	EXPECT_LOG("spin_trylock_irqsave(stats):0x100 spin_unlock_irqrestore(stats):0x100");
}

static void spinlock_irqsave_try_on_a_held_lock_skips_the_body_and_unlocks_nothing(void)
{
	struct stats st = { .lock = { .name = "stats", .locked = true } };

	EXPECT(stats_try_add(&st, 5) == -EBUSY);
	EXPECT(st.total == 0);
	EXPECT_LOG("spin_trylock_irqsave(stats)=0");
	EXPECT(st.lock.locked);
}

/* ---- DEFINE_LOCK_GUARD_0: rcu ---- */

static void rcu_guard_unlocks_on_the_return_from_inside_the_loop(void)
{
	struct cfg_table t = { .n = 2, .e = { { 1, 10 }, { 2, 20 } } };

	EXPECT(cfg_lookup(&t, 2) == 20);
	EXPECT_LOG("rcu_read_lock rcu_read_unlock");
}

static void rcu_guard_unlocks_on_the_not_found_return(void)
{
	struct cfg_table t = { .n = 2, .e = { { 1, 10 }, { 2, 20 } } };

	EXPECT(cfg_lookup(&t, 3) == -ENOENT);
	EXPECT_LOG("rcu_read_lock rcu_read_unlock");
}

/* ---- ACQUIRE / ACQUIRE_ERR ---- */

static void acquire_err_returns_the_eintr_of_an_interrupted_lock_and_nothing_is_unlocked(void)
{
	struct dev dev = { .lock = { .name = "dev", .signal_pending = true } };

	EXPECT(dev_wait_op(&dev) == -EINTR);
	EXPECT_LOG("mutex_lock_interruptible(dev)=-EINTR");
	EXPECT(dev.ops == 0);
}

static void acquire_err_is_zero_when_the_interruptible_lock_is_taken(void)
{
	struct dev dev = { .lock = { .name = "dev" } };

	EXPECT(dev_wait_op(&dev) == 0);
	EXPECT_LOG("mutex_lock_interruptible(dev)=0 mutex_unlock(dev)");
	EXPECT(dev.ops == 1 && !dev.lock.locked);
}

static void acquire_err_of_a_failed_trylock_is_ebusy(void)
{
	struct dev dev = { .lock = { .name = "dev", .locked = true } };

	EXPECT(dev_try_op(&dev) == -EBUSY);
	EXPECT_LOG("mutex_trylock(dev)=0");
	EXPECT(dev.ops == 0 && dev.lock.locked);
}

static void acquire_of_a_free_trylock_holds_it_to_the_end_of_scope(void)
{
	struct dev dev = { .lock = { .name = "dev" } };

	EXPECT(dev_try_op(&dev) == 0);
	EXPECT_LOG("mutex_trylock(dev)=1 mutex_unlock(dev)");
}

/* ---- scoped_cond_guard, scoped_guard with break ---- */

static void scoped_cond_guard_runs_fail_when_the_trylock_fails(void)
{
	struct dev dev = { .lock = { .name = "dev", .locked = true } };

	EXPECT(dev_poll(&dev) == -EBUSY);
	EXPECT_LOG("mutex_trylock(dev)=0");
	EXPECT(dev.ops == 0);
}

static void scoped_cond_guard_unlocks_after_its_body(void)
{
	struct dev dev = { .lock = { .name = "dev" } };

	EXPECT(dev_poll(&dev) == 0);
	EXPECT_LOG("mutex_trylock(dev)=1 mutex_unlock(dev)");
	EXPECT(dev.ops == 1);
}

static void break_in_a_scoped_guard_leaves_the_guard_not_the_loop(void)
{
	struct dev dev = { .lock = { .name = "dev" } };

	EXPECT(dev_count_until(&dev, 3, 1) == 3);
	EXPECT(dev.ops == 2);
	EXPECT_LOG("mutex_lock(dev) mutex_unlock(dev) mutex_lock(dev) mutex_unlock(dev) "
		   "mutex_lock(dev) mutex_unlock(dev)");
}

/* ---- rwsem with _intr ---- */

static void rwsem_read_intr_interrupted_runs_fail_and_releases_nothing(void)
{
	struct table t = { .sem = { .name = "table", .signal_pending = true }, .n = 1 };

	EXPECT(table_read(&t, 0) == -EINTR);
	EXPECT_LOG("down_read_interruptible(table)=-EINTR");
	EXPECT(t.sem.readers == 0);
}

static void rwsem_read_intr_releases_on_the_return_from_its_body(void)
{
	struct table t = { .sem = { .name = "table" }, .n = 1, .vals = { 42 } };

	EXPECT(table_read(&t, 0) == 42);
	EXPECT_LOG("down_read_interruptible(table)=0 up_read(table)");
	EXPECT(t.sem.readers == 0);
}

static void rwsem_write_guard_releases_on_the_error_return(void)
{
	struct table t = { .sem = { .name = "table" }, .n = 4 };

	EXPECT(table_append(&t, 1) == -ENOSPC);
	EXPECT_LOG("down_write(table) up_write(table)");
	EXPECT(!t.sem.writer);
}

/* ---- nested: mutex, allocation, spinlock ---- */

static void nested_cleanups_unwind_in_reverse_order_of_definition(void)
{
	struct queue q = { .lock = { .name = "q" }, .irq_lock = { .name = "q_irq" },
			   .n = QUEUE_MAX };

	EXPECT(queue_push(&q, 1) == -ENOSPC);
	EXPECT_LOG("mutex_lock(q) kmalloc spin_lock_irqsave(q_irq):0x100 "
		   "spin_unlock_irqrestore(q_irq):0x100 kfree mutex_unlock(q)");
}

static void nested_cleanups_free_nothing_that_was_handed_over(void)
{
	struct queue q = { .lock = { .name = "q" }, .irq_lock = { .name = "q_irq" } };

	EXPECT(queue_push(&q, 1) == 0);
	EXPECT_LOG("mutex_lock(q) kmalloc spin_lock_irqsave(q_irq):0x100 "
		   "spin_unlock_irqrestore(q_irq):0x100 mutex_unlock(q)");
	EXPECT(q.n == 1 && *q.items[0] == 1);
	free(q.items[0]);
}

/* ---- path.h: #define __free_path_put path_put ---- */

static void path_put_by_the_generated_name_puts_the_found_path(void)
{
	const char *mnt = NULL;

	EXPECT(mount_name("home", &mnt) == 0);
	EXPECT(mnt && !strcmp(mnt, "root"));
	EXPECT_LOG("kern_path(home) path_put(home)");
}

static void path_put_by_the_generated_name_puts_the_empty_path_on_error(void)
{
	const char *mnt = NULL;

	EXPECT(mount_name("missing", &mnt) == -ENOENT);
	EXPECT_LOG("kern_path(missing)=-ENOENT path_put(-)");
}

/* ---- file.h: fd_prepare, CLASS_INIT, __get_and_null ---- */

static void fd_prepare_publishes_the_descriptor_and_releases_nothing(void)
{
	EXPECT(thing_open("a", 0) == 3);
	EXPECT_LOG("get_unused_fd=3 alloc_file(a) fd_install(3,a)");
}

static void fd_prepare_gives_the_descriptor_back_when_the_file_fails(void)
{
	kmalloc_fail_next = true;
	EXPECT(thing_open("a", 0) == -ENOMEM);
	EXPECT_LOG("get_unused_fd=3 alloc_file(a)=-ENOMEM put_unused_fd(3)");
}

static void fd_prepare_returns_the_descriptor_error_and_opens_no_file(void)
{
	fd_table_full = true;
	EXPECT(thing_open("a", 0) == -EMFILE);
	EXPECT_LOG("get_unused_fd=-EMFILE");
}

static void take_fd_leaves_ebadf_so_the_descriptor_is_not_put(void)
{
	EXPECT(thing_open_classic("b", 0) == 3);
	EXPECT_LOG("get_unused_fd=3 alloc_file(b) fd_install(3,b)");
}

static void descriptor_class_puts_the_descriptor_when_the_file_fails(void)
{
	kmalloc_fail_next = true;
	EXPECT(thing_open_classic("b", 0) == -ENOMEM);
	EXPECT_LOG("get_unused_fd=3 alloc_file(b)=-ENOMEM put_unused_fd(3)");
}

#define CASE(fn) { #fn, fn }
static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	CASE(widget_create_hands_the_widget_out_after_unlocking),
	CASE(widget_create_on_a_full_bus_unlocks_then_frees),
	CASE(widget_create_out_of_memory_takes_no_lock_and_frees_nothing),
	CASE(widget_set_label_frees_the_rejected_buffer_while_locked),
	CASE(widget_set_label_keeps_the_buffer_it_stores),
	CASE(widget_register_leaves_the_widget_to_the_bus_that_took_it),
	CASE(widget_register_frees_the_widget_the_bus_refused),
	CASE(spinlock_irqsave_restores_the_flags_it_saved),
	CASE(spinlock_irqsave_try_runs_the_body_and_unlocks),
	CASE(spinlock_irqsave_try_on_a_held_lock_skips_the_body_and_unlocks_nothing),
	CASE(rcu_guard_unlocks_on_the_return_from_inside_the_loop),
	CASE(rcu_guard_unlocks_on_the_not_found_return),
	CASE(acquire_err_returns_the_eintr_of_an_interrupted_lock_and_nothing_is_unlocked),
	CASE(acquire_err_is_zero_when_the_interruptible_lock_is_taken),
	CASE(acquire_err_of_a_failed_trylock_is_ebusy),
	CASE(acquire_of_a_free_trylock_holds_it_to_the_end_of_scope),
	CASE(scoped_cond_guard_runs_fail_when_the_trylock_fails),
	CASE(scoped_cond_guard_unlocks_after_its_body),
	CASE(break_in_a_scoped_guard_leaves_the_guard_not_the_loop),
	CASE(rwsem_read_intr_interrupted_runs_fail_and_releases_nothing),
	CASE(rwsem_read_intr_releases_on_the_return_from_its_body),
	CASE(rwsem_write_guard_releases_on_the_error_return),
	CASE(nested_cleanups_unwind_in_reverse_order_of_definition),
	CASE(nested_cleanups_free_nothing_that_was_handed_over),
	CASE(path_put_by_the_generated_name_puts_the_found_path),
	CASE(path_put_by_the_generated_name_puts_the_empty_path_on_error),
	CASE(fd_prepare_publishes_the_descriptor_and_releases_nothing),
	CASE(fd_prepare_gives_the_descriptor_back_when_the_file_fails),
	CASE(fd_prepare_returns_the_descriptor_error_and_opens_no_file),
	CASE(take_fd_leaves_ebadf_so_the_descriptor_is_not_put),
	CASE(descriptor_class_puts_the_descriptor_when_the_file_fails),
};

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	int failures = 0;

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		klog_reset();
		case_failed = 0;
		cases[i].fn();
		printf("%sok %zu - %s\n", case_failed ? "not " : "", i + 1, cases[i].name);
		failures += case_failed;
	}
	return failures ? 1 : 0;
}
