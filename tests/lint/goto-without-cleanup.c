/* objlife-goto-with-cleanup: goto unwinding in one function and cleanup helpers in another are clean */
#include <objlife/cleanup.h>
#include <string.h>

int with_goto(const char *a, const char *b);
int with_goto(const char *a, const char *b)
{
	char *x, *y;
	int ret = -1;

	x = strdup(a);
	if (!x)
		goto out;
	y = strdup(b);
	if (!y)
		goto free_x;
	ret = (int)(strlen(x) + strlen(y));
	free(y);
free_x:
	free(x);
out:
	return ret;
}

int with_cleanup(const char *a, const char *b);
int with_cleanup(const char *a, const char *b)
{
	char *x objlife_auto(free) = strdup(a);
	if (!x)
		return -1;
	char *y objlife_auto(free) = strdup(b);
	if (!y)
		return -1;
	return (int)(strlen(x) + strlen(y));
}
