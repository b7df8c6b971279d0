/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu11 -O2 -Wall -Wextra -Werror
 * cflags: -std=gnu11 -O2 -Wall -Wextra -Werror -DOBJLIFE_SHORT_NAMES
 *
 * The compiler knows that an unconditional scoped guard's body runs: a
 * function may end with one whose body returns (no -Wreturn-type), and a
 * variable assigned in the body is initialised after it (no
 * -Wmaybe-uninitialized). GCC sees the first only when optimising.
 */
#include <objlife/cleanup.h>

int last(pthread_mutex_t *m, int x);

int last(pthread_mutex_t *m, int x)
{
#ifdef OBJLIFE_SHORT_NAMES
	scoped_guard(mutex, m)
		return x;
#else
	objlife_scoped_guard(mutex, m) {
		return x;
	}
#endif
}

int assigned(pthread_mutex_t *m, int x);

int assigned(pthread_mutex_t *m, int x)
{
	int y;

	objlife_scoped_guard(mutex, m)
		y = x * 2;
	return y;
}
