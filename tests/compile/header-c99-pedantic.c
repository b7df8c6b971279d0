/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c17 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c2x -Wall -Wextra -Werror
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE
 *
 * objlife.h as a consumer sees it, in every C mode: every declaration,
 * the inline fast path, and typed ref funcs defined but left unused.
 */
#include <objlife.h>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);
OBJLIFE_DEFINE_REF_FUNCS(unused_session, struct session, ref);

static const struct objlife_ops session_ops = { "session", NULL, NULL, NULL, NULL, 0 };

int use(void);

int use(void)
{
	struct session *s = objlife_alloc(struct session, ref, &session_ops, NULL);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int ok;

	if (!s)
		return -1;
	session_get(s);
	ok = session_get_unless_zero(s);
	if (ok)
		session_put(s);
	ok = objlife_refcount(&s->ref) == 2 && objlife_ops_of(&s->ref) == &session_ops;
	objlife_put(&s->ref);
	(void)objlife_put_mutex(&s->ref, &lock);
	return ok + (int)objlife_live_count(NULL) + (int)objlife_leak_check(NULL);
}
