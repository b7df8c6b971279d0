/* objlife-compile-test
 * expect: fail
 * compilers: clang gcc
 * cflags: -Wall -Wextra -Werror -Wno-unknown-warning-option -Wjump-misses-init
 * error: cannot jump from switch statement to this case label|switch jumps over variable initialization
 *
 * A guard under a case label without braces (cleanup.h's rule 3): its
 * scope runs on to the end of the switch, so the switch's jump to the next
 * label enters that scope past the guard's initialisation, and leaving the
 * switch then unlocks an uninitialised pointer. Clang refuses it; GCC
 * compiles it without a word at -Wall -Wextra and refuses it only with
 * -Wjump-misses-init (C only). cleanup-guard-case-braces.c is the fix.
 */
#include <objlife/cleanup.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long hits, misses;

int count(int op);

int count(int op)
{
	switch (op) {
	case 1:
		hits++;
		objlife_guard(mutex)(&stats_lock);
		hits++;
		break;
	case 2:                             /* jumps into the guard's scope */
		misses++;
		break;
	default:
		return -1;
	}
	return 0;
}
