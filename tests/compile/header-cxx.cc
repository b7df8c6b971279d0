/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++11 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c++17 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c++20 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c++11 -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE
 *
 * objlife.h from C++, from C++11 to the newest standard: declarations in
 * extern "C", the inline fast path and the exported functions,
 * objlife_alloc's type check with std::is_same.
 */
#include <objlife.h>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

/* Value-initialised, then named: C++11 has no designated initializers, and
 * a field added to the ops at the end leaves this valid and quiet. */
static objlife_ops session_ops_init()
{
	objlife_ops ops = objlife_ops();

	ops.name = "session";
	return ops;
}

static const objlife_ops session_ops = session_ops_init();

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
