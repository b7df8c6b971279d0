/* objlife-guard-in-case: a guard right after a case label (which clang refuses to parse) is reported under its rule, not as a parse failure */
#include <objlife/cleanup.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int count;

int bump(int op);
int bump(int op)
{
	switch (op) {
	case 1:
		objlife_guard(mutex)(&lock); /* expect: objlife-guard-in-case */
		count++;
		break;
	case 2: /* expect-note */
		count = 0;
		break;
	}
	return count;
}
