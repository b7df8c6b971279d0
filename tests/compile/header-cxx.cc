/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++11 -Wall -Wextra -Werror
 * cflags: -std=c++17 -Wall -Wextra -Werror -pedantic
 *
 * objlife.h from C++: declarations in extern "C", the inline fast path,
 * objlife_alloc's type check with std::is_same.
 */
#include <objlife.h>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

static const objlife_ops session_ops = { "session", nullptr, nullptr, nullptr, nullptr, 0 };

int use();

int use()
{
	session *s = objlife_alloc(session, ref, &session_ops, nullptr);

	if (!s)
		return -1;
	session_get(s);
	if (session_get_unless_zero(s))
		session_put(s);
	session_put(s);
	objlife_put(&s->ref);
	return static_cast<int>(objlife_live_count(nullptr));
}
