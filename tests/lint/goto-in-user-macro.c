/* objlife-goto-with-cleanup: a goto written inside the user's own macro still counts */
#include <objlife/cleanup.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) goto fail; } while (0)

int parse(const char *s);
int parse(const char *s)
{
	char *copy objlife_auto(free) = strdup(s); /* expect: objlife-goto-with-cleanup */
	CHECK(copy); /* expect-note */
	return (int)strlen(copy);
fail:
	return -1;
}
