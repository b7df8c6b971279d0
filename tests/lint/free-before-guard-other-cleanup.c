/* objlife-free-before-guard: another cleanup variable defined between the placeholder and the assignment is reported */
#include <objlife/cleanup.h>
#include <string.h>

size_t both(const char *a, const char *b);
size_t both(const char *a, const char *b)
{
	char *first objlife_auto(free) = NULL; /* expect: objlife-free-before-guard */
	char *second objlife_auto(free) = strdup(b); /* expect-note */

	first = strdup(a);
	return first && second ? strlen(first) + strlen(second) : 0;
}
