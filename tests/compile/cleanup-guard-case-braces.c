/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -Wall -Wextra -Werror
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror
 *
 * A guard under a case label, written as cleanup.h's rule 3 says: the case
 * body in braces, so that the guard's scope ends before the next label
 * and no jump of the switch enters it. (cleanup-guard-case-jump.c is the
 * same switch without the braces.)
 */
#include <objlife/cleanup.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long hits, misses;

int count(int op);

int count(int op)
{
	switch (op) {
	case 1: {
		objlife_guard(mutex)(&stats_lock);
		hits++;
		break;
	}                                   /* unlocked here */
	case 2:
		misses++;
		break;
	default:
		return -1;
	}
	return 0;
}
