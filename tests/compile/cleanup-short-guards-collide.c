/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Werror -DOBJLIFE_SHORT_NAMES
 * error: conflicting types|typedef redefinition|redefinition of
 *
 * Without OBJLIFE_NO_SHORT_GUARDS the short names are the header's pthread
 * guards, and kernel code that defines its own mutex guard collides with
 * them: why the macro exists (cleanup-no-short-guards.c is the fix).
 */
#include <objlife/cleanup.h>

struct mutex { int locked; };
static inline void mutex_lock(struct mutex *m) { m->locked = 1; }
static inline void mutex_unlock(struct mutex *m) { m->locked = 0; }

DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T))
