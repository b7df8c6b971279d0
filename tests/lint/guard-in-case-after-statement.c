/* objlife-guard-in-case: a cleanup variable after the first statement of a case, jumped over by the next label, is reported */
#include <objlife/cleanup.h>
#include <string.h>

size_t measure(int op, const char *s);
size_t measure(int op, const char *s)
{
	size_t n = 0;

	switch (op) {
	case 1:
		n = 1;
		char *copy objlife_auto(free) = strdup(s); /* expect: objlife-guard-in-case */
		n += copy ? strlen(copy) : 0;
		break;
	default: /* expect-note */
		break;
	}
	return n;
}
