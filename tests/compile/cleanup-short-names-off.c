/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Werror
 * error: no_free_ptr
 *
 * The kernel's spellings exist only when OBJLIFE_SHORT_NAMES is defined
 * before the include: without it, no_free_ptr is not a macro here.
 */
#include <objlife/cleanup.h>

void *take(void);

void *take(void)
{
	char *p objlife_auto(free) = malloc(4);

	return no_free_ptr(p);
}
