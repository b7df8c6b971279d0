/* objlife-guard-in-case: a guard in a case with its own braces is clean */
#include <objlife/cleanup.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int count;

int bump(int op);
int bump(int op)
{
	switch (op) {
	case 1: {
		objlife_guard(mutex)(&lock);
		count++;
		break;
	}
	case 2:
		count = 0;
		break;
	}
	return count;
}
