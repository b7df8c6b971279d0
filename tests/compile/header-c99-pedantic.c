/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c17 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c2x -pedantic -Wall -Wextra -Werror
 * cflags: -std=gnu2x -pedantic -Wall -Wextra -Werror
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE
 * cflags: -std=c2x -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -Wundef -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wredundant-decls -Wcast-align -Wconversion -Wsign-conversion
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror -Wcast-qual -Wc++-compat -Wdeclaration-after-statement -Wvla
 *
 * objlife.h as a consumer sees it, in every C mode the README's
 * "Portability" lists, and
 * with the stricter warnings projects turn on (conversions, casts, C++
 * compatibility): objlife.h must not be the reason their build fails.
 * Every declaration, the inline fast path and the exported functions, and
 * typed ref funcs used and unused.
 */
#include <objlife.h>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);
OBJLIFE_DEFINE_REF_FUNCS(unused_session, struct session, ref);

/* Designated: a field added to the ops at the end leaves this valid and
 * quiet (-Wmissing-field-initializers). */
static const struct objlife_ops session_ops = { .name = "session" };

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
