/* objlife-free-before-guard: a guard in an inner block that ends before the assignment is clean */
#include <objlife/cleanup.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int counter;

size_t count_then_copy(const char *s);
size_t count_then_copy(const char *s)
{
	char *copy objlife_auto(free) = NULL;

	{
		objlife_guard(mutex)(&lock);
		counter++;
	}
	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}
