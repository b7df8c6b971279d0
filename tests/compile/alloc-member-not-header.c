/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra
 * cflags: -std=gnu11 -Wall -Wextra
 * error: (size of (unnamed )?array is negative|array size is negative|negative size)
 *
 * objlife_alloc() refuses a first member that is not a struct objlife, even
 * one of the same size.
 */
#include <objlife.h>

struct impostor {
	void *p;
	unsigned a, b;
};

struct bad {
	struct impostor ref;
	int x;
};

struct bad *make(const struct objlife_ops *ops);

struct bad *make(const struct objlife_ops *ops)
{
	return objlife_alloc(struct bad, ref, ops, NULL);
}
