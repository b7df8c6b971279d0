/* objlife-compile-test
 * expect: fail
 * compilers: gcc
 * cflags: -std=gnu11 -Wall -Werror
 * cflags: -std=gnu11 -O2 -Werror
 * error: ignoring return value of .objlife__steal_result_must_be_used
 *
 * objlife_steal() takes the value out of its variable: ignoring the result
 * leaks it, and GCC says so (-Wunused-result is on by default). Clang does
 * not see through the macro's casts.
 */
#include <objlife/cleanup.h>

void leak(void);

void leak(void)
{
	char *p objlife_auto(free) = malloc(4);

	objlife_steal(p);
}
