/* objlife-cleanup-uninitialized: cleanup variables without an initialiser are reported, in objlife_auto and in a bare __attribute__((cleanup)) */
#include <objlife/cleanup.h>
#include <string.h>
#include <unistd.h>

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

size_t copy_len(const char *s, int flag);
size_t copy_len(const char *s, int flag)
{
	char *copy objlife_auto(free); /* expect: objlife-cleanup-uninitialized */
	__attribute__((cleanup(closep))) int fd; /* expect: objlife-cleanup-uninitialized */

	if (flag)
		return 0;
	fd = dup(0);
	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}
