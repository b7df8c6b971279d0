/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++17 -Wall -Wextra -Werror -pedantic
 *
 * The control for cxx-ref-not-standard-layout.cc: the same type without
 * the virtual function compiles.
 */
#include <objlife/objlife.hpp>

struct widget {
	struct objlife ref;
	int value;
};

objlife_cxx::ref<widget> make_widget(const objlife_ops *ops);

objlife_cxx::ref<widget> make_widget(const objlife_ops *ops)
{
	return objlife_cxx::make<widget>(ops);
}
