/* objlife-free-before-guard: a class defined between the placeholder and the assignment is reported, in libobjlife's prefixed spellings */
#include <objlife/cleanup.h>
#include <fcntl.h>
#include <unistd.h>

OBJLIFE_DEFINE_CLASS(fd, int, if (_T >= 0) close(_T), open(path, O_RDONLY), const char *path);

int first_byte(const char *path);
int first_byte(const char *path)
{
	char *buf objlife_auto(free) = NULL; /* expect: objlife-free-before-guard */
	OBJLIFE_CLASS(fd, f)(path); /* expect-note */
	if (f < 0)
		return -1;
	buf = malloc(1);
	if (!buf || read(f, buf, 1) != 1)
		return -1;
	return buf[0];
}
