/* objlife-guard-in-case: a guard in the last case, which no label follows, is clean */
#include <objlife/cleanup.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int count;

int bump(int op);
int bump(int op)
{
	switch (op) {
	case 2:
		count = 0;
		break;
	default:
		count++;
		objlife_guard(mutex)(&lock);
		count++;
		break;
	}
	return count;
}
