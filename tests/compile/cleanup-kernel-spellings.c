/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Werror
 * cflags: -std=gnu99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter
 * cflags: -std=gnu2x -Wall -Wextra -Werror -Wno-unused-parameter
 *
 * Code written against the kernel's include/linux/cleanup.h, as kernel
 * code spells it (DEFINE_* without a semicolon, named variadic arguments
 * of the kernel's own style, return_ptr, scoped_cond_guard with a return
 * as the fail statement), compiles unchanged once OBJLIFE_SHORT_NAMES
 * is defined. Only the allocator and the lock are userspace shims.
 */
#define OBJLIFE_SHORT_NAMES
#include <objlife/cleanup.h>

#include <errno.h>
#include <string.h>

/* ---- userspace shims for kernel primitives ---- */
#define GFP_KERNEL 0
#define IS_ERR_OR_NULL(p) ((p) == NULL)
static inline void *kzalloc(size_t size, int gfp) { (void)gfp; return calloc(1, size); }
static inline void kfree(const void *p) { free((void *)p); }
static inline int mutex_lock_interruptible(pthread_mutex_t *m) { return -pthread_mutex_lock(m); }

struct fd { int fd; };
static inline struct fd fdget(int fd) { struct fd f = { dup(fd) }; return f; }
static inline void fdput(struct fd f) { if (f.fd >= 0) close(f.fd); }
static inline int fd_empty(struct fd f) { return f.fd < 0; }

struct device {
	pthread_mutex_t mutex;
	int ready;
};
static inline void device_lock(struct device *dev) { pthread_mutex_lock(&dev->mutex); }
static inline void device_unlock(struct device *dev) { pthread_mutex_unlock(&dev->mutex); }
static inline int device_trylock(struct device *dev) { return !pthread_mutex_trylock(&dev->mutex); }

/* ---- as in the kernel ---- */
DEFINE_FREE(kfree, void *, if (!IS_ERR_OR_NULL(_T)) kfree(_T))
DEFINE_CLASS(fd, struct fd, fdput(_T), fdget(fd), int fd)
DEFINE_GUARD(device, struct device *, device_lock(_T), device_unlock(_T))
DEFINE_GUARD_COND(device, _try, device_trylock(_T))
DEFINE_GUARD_COND(mutex, _intr, mutex_lock_interruptible(_T), _RET == 0)

struct foo {
	int id;
	char name[16];
};

static pthread_mutex_t foo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct foo *foo_table[8];

struct foo *foo_create(int id);
struct foo *foo_create(int id)
{
	struct foo *foo __free(kfree) = kzalloc(sizeof(*foo), GFP_KERNEL);

	if (!foo)
		return NULL;
	foo->id = id;
	return_ptr(foo);
}

int foo_register(int id);
int foo_register(int id)
{
	struct foo *foo __free(kfree) = foo_create(id);

	if (!foo)
		return -ENOMEM;
	guard(mutex)(&foo_lock);
	if (foo_table[id & 7])
		return -EEXIST;
	foo_table[id & 7] = foo;
	retain_and_null_ptr(foo);
	return 0;
}

struct foo *foo_take(int id);
struct foo *foo_take(int id)
{
	struct foo *foo __free(kfree) = NULL;

	scoped_guard(mutex, &foo_lock) {
		foo = foo_table[id & 7];
		foo_table[id & 7] = NULL;
	}
	if (!foo)
		return NULL;
	return no_free_ptr(foo);
}

int foo_read(int fd, struct device *dev);
int foo_read(int fd, struct device *dev)
{
	CLASS(fd, f)(fd);

	if (fd_empty(f))
		return -EBADF;
	scoped_cond_guard(mutex_intr, return -EINTR, &foo_lock) {
		scoped_guard(device_try, dev)
			return dev->ready;
	}
	return -EBUSY;
}

int foo_ready(struct device *dev);
int foo_ready(struct device *dev)
{
	scoped_guard(device, dev)
		return dev->ready;
	return 0;
}
