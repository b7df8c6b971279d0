/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra
 * cflags: -std=gnu11 -Wall -Wextra
 * error: (size of (unnamed )?array is negative|array size is negative|negative size)
 *
 * objlife_alloc() refuses a struct objlife that is not the first member:
 * the library would put the count where another field is.
 */
#include <objlife.h>

struct bad {
	int x;
	struct objlife ref;
};

struct bad *make(const struct objlife_ops *ops);

struct bad *make(const struct objlife_ops *ops)
{
	return objlife_alloc(struct bad, ref, ops, NULL);
}
