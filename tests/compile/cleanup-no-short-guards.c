/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Wextra -Werror -DOBJLIFE_SHORT_NAMES
 * cflags: -std=gnu99 -O2 -Wall -Wextra -Werror
 *
 * With OBJLIFE_NO_SHORT_GUARDS the header leaves out its short guard
 * names, so code that defines guards named mutex, mutex_try, rwlock_read,
 * rwlock_write and spinlock for its own locks, as the kernel's mutex.h
 * and spinlock.h do, compiles; the pthread_ names are still there.
 */
#define OBJLIFE_NO_SHORT_GUARDS
#include <objlife/cleanup.h>

struct mutex { int locked; };
struct rw_semaphore { int count; };
struct spinlock { int locked; };
static inline void mutex_lock(struct mutex *m) { m->locked = 1; }
static inline void mutex_unlock(struct mutex *m) { m->locked = 0; }
static inline int mutex_trylock(struct mutex *m) { return m->locked ? 0 : (m->locked = 1); }

OBJLIFE_DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T));
OBJLIFE_DEFINE_GUARD_COND(mutex, _try, mutex_trylock(_T));
OBJLIFE_DEFINE_GUARD(rwlock_read, struct rw_semaphore *, _T->count++, _T->count--);
OBJLIFE_DEFINE_GUARD(rwlock_write, struct rw_semaphore *, _T->count = -1, _T->count = 0);
OBJLIFE_DEFINE_LOCK_GUARD_1(spinlock, struct spinlock, _T->lock->locked = 1,
			    _T->lock->locked = 0);

int use(struct mutex *m, pthread_mutex_t *pm, struct spinlock *s);
int use(struct mutex *m, pthread_mutex_t *pm, struct spinlock *s)
{
	objlife_guard(mutex)(m);
	objlife_guard(pthread_mutex)(pm);
	objlife_guard(spinlock)(s);
	return m->locked + s->locked;
}
