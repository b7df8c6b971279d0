/* objlife-goto-with-cleanup: a function with a guard and a goto is reported at the guard, with the goto as its note */
#include <objlife/cleanup.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int items[8];

int store(int i, int v);
int store(int i, int v)
{
	objlife_guard(mutex)(&lock); /* expect: objlife-goto-with-cleanup */
	if (i < 0 || i >= 8)
		goto fail; /* expect-note */
	items[i] = v;
	return 0;
fail:
	return -1;
}
