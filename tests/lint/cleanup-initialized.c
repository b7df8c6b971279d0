/* objlife-cleanup-uninitialized: cleanup variables initialised with a value or with NULL are clean */
#include <objlife/cleanup.h>
#include <string.h>

size_t copy_len(const char *s, int flag);
size_t copy_len(const char *s, int flag)
{
	char *copy objlife_auto(free) = strdup(s);
	char *later objlife_auto(free) = NULL;

	if (flag)
		later = strdup(s);
	return (copy ? strlen(copy) : 0) + (later ? strlen(later) : 0);
}
