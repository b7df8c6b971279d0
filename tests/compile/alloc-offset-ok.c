/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror
 * cflags: -std=gnu11 -Wall -Wextra -Werror
 *
 * The control for the two failing snippets beside it: the same code with
 * the header first compiles, so they fail for the reason they test.
 */
#include <objlife.h>

struct good {
	struct objlife ref;
	int x;
};

struct good *make(const struct objlife_ops *ops);

struct good *make(const struct objlife_ops *ops)
{
	return objlife_alloc(struct good, ref, ops, NULL);
}
