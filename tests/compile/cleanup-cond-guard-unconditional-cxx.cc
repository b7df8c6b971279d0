/* objlife-compile-test
 * expect: fail
 * compilers: g++ clang++
 * cflags: -std=c++11 -Wall -Wextra
 * error: objlife_scoped_cond_guard_needs_a_conditional_guard
 *
 * The same refusal as cleanup-cond-guard-unconditional.c, from C++.
 */
#include <objlife/cleanup.h>

int locked(pthread_mutex_t *m);

int locked(pthread_mutex_t *m)
{
	objlife_scoped_cond_guard(mutex, return -1, m)
		return 1;
	return 0;
}
