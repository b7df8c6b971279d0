/* objlife-compile-test
 * expect: fail
 * compilers: g++ clang++
 * cflags: -std=c++17 -Wall -Wextra
 * error: T must be standard-layout
 *
 * objlife_cxx::ref<T> refuses a T that is not standard-layout (here, one
 * with a virtual function): its struct objlife would not be
 * pointer-interconvertible with T.
 */
#include <objlife/objlife.hpp>

struct widget {
	struct objlife ref;
	virtual ~widget() {}
};

objlife_cxx::ref<widget> make_widget(const objlife_ops *ops);

objlife_cxx::ref<widget> make_widget(const objlife_ops *ops)
{
	return objlife_cxx::make<widget>(ops);
}
