/* objlife-compile-test
 * expect: fail
 * compilers: g++ clang++
 * cflags: -std=c++17 -Wall -Wextra
 * error: deleted
 *
 * objlife_cxx::table<T> owns its C table: a copy would free it twice, so
 * the copy constructor is deleted (move it instead).
 */
#include <objlife/objlife.hpp>

struct widget {
	struct objlife ref;
};

objlife_cxx::table<widget> copy_of(const objlife_cxx::table<widget> &t);

objlife_cxx::table<widget> copy_of(const objlife_cxx::table<widget> &t)
{
	return t;
}
