/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Wextra
 * cflags: -std=gnu99 -O2 -Wall -Wextra -DOBJLIFE_SHORT_NAMES
 * error: objlife_scoped_cond_guard_needs_a_conditional_guard
 *
 * objlife_scoped_cond_guard() on an unconditional guard (`mutex` always
 * takes its lock, so `fail` could never run) is refused at compile time,
 * with the reason in the message, at any optimisation level.
 */
#include <objlife/cleanup.h>

int locked(pthread_mutex_t *m);

int locked(pthread_mutex_t *m)
{
#ifdef OBJLIFE_SHORT_NAMES
	scoped_cond_guard(mutex, return -1, m)
		return 1;
#else
	objlife_scoped_cond_guard(mutex, return -1, m)
		return 1;
#endif
	return 0;
}
