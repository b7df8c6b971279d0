/* objlife-compile-test
 * expect: fail
 * compilers: g++ clang++
 * cflags: -std=c++17 -Wall -Wextra
 * error: (size of (unnamed )?array is negative|array size is negative|negative|array bound)
 *
 * From C++ too, objlife_alloc() refuses a header that is not first.
 */
#include <objlife.h>

struct bad {
	int x;
	struct objlife ref;
};

bad *make(const objlife_ops *ops);

bad *make(const objlife_ops *ops)
{
	return objlife_alloc(bad, ref, ops, nullptr);
}
