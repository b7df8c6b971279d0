/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++11 -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c++17 -Wall -Wextra -Werror -Wshadow -pedantic
 * cflags: -std=c++17 -Wall -Wextra -Werror -DOBJLIFE_SHORT_NAMES
 *
 * <objlife/cleanup.h> from C++ (GNU extensions on): a C header that
 * defines free classes and guards, and C-style code that uses them,
 * compile in C++ too. C++ code proper has RAII and <objlife/objlife.hpp>.
 */
#include <objlife/cleanup.h>

#include <cstring>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);
OBJLIFE_DEFINE_FREE(charbuf, char *, if (_T) free(_T));
OBJLIFE_DEFINE_CLASS(num, int, (void)_T, n * 2, int n);
OBJLIFE_DEFINE_GUARD(session_ref, struct session *, session_get(_T), session_put(_T));
OBJLIFE_DEFINE_GUARD_COND(session_ref, _live, session_get_unless_zero(_T));

int use(struct session *s, pthread_mutex_t *m);

int use(struct session *s, pthread_mutex_t *m)
{
	char *text objlife_auto(charbuf) = static_cast<char *>(malloc(4));
	struct session *again objlife_auto(session_put) = session_get(s);
	OBJLIFE_CLASS(num, two)(1);
	int n = two;

	if (!text)
		return -1;
	objlife_guard(objlife_ref)(&again->ref);
	objlife_scoped_guard(mutex, m) {
		objlife_scoped_guard(mutex_try, m)
			n++;
		objlife_scoped_cond_guard(session_ref_live, return -1, again)
			n++;
	}
	std::strcpy(text, "ok");
	free(objlife_steal(text));
	objlife_retain_and_null(again);
	return n;
}
