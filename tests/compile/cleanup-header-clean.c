/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu99 -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu11 -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu17 -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu2x -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu99 -Wall -Wextra -Werror -Wshadow -DOBJLIFE_SHORT_NAMES
 * cflags: -std=gnu11 -Wall -Wextra -Werror -Wshadow -DOBJLIFE_SHORT_NAMES
 * cflags: -std=gnu17 -Wall -Wextra -Werror -Wshadow -DOBJLIFE_SHORT_NAMES
 * cflags: -std=gnu2x -Wall -Wextra -Werror -Wshadow -DOBJLIFE_SHORT_NAMES
 * cflags: -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -DOBJLIFE_NO_INLINE
 *
 * <objlife/cleanup.h> as a consumer uses it, in every GNU C mode, with and
 * without the kernel's spellings: every prefixed macro, every ready-made
 * free class and guard, same-named guards nested (no -Wshadow), and names
 * the kernel spellings would take, free for the program's own use when
 * OBJLIFE_SHORT_NAMES is not defined.
 */
#include <objlife/cleanup.h>

#include <errno.h>
#include <string.h>

struct session {
	struct objlife ref;
	int fd;
};

OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

struct buf {
	char *data;
};

static void buf_release(struct buf *b)
{
	free(b->data);
	free(b);
}

OBJLIFE_DEFINE_FREE(buf, struct buf *, if (_T) buf_release(_T));
OBJLIFE_DEFINE_CLASS(fdpair, int, if (_T >= 0) close(_T), dup(fd), int fd);
OBJLIFE_DEFINE_GUARD(session_ref, struct session *, session_get(_T), session_put(_T));
OBJLIFE_DEFINE_GUARD_COND(session_ref, _live, session_get_unless_zero(_T));
OBJLIFE_DEFINE_GUARD_COND(mutex, _ret, pthread_mutex_trylock(_T), _RET == 0 || _RET == EBUSY);

#ifndef OBJLIFE_SHORT_NAMES
/* Without the short names, these are the program's own. */
static int guard(int x) { return x; }
enum { CLASS = 1 };
#endif

int use(struct session *s, pthread_mutex_t *m, pthread_rwlock_t *rw, int fd);

int use(struct session *s, pthread_mutex_t *m, pthread_rwlock_t *rw, int fd)
{
	char *text objlife_auto(free) = strdup("x");
	struct buf *b objlife_auto(buf) = calloc(1, sizeof(*b));
	struct objlife *o objlife_auto(objlife_put) = objlife_get(&s->ref);
	struct session *again objlife_auto(session_put) = session_get(s);
	OBJLIFE_CLASS(fdpair, copy)(fd);
	int n = 0;

	if (!text || !b)
		return -ENOMEM;
	objlife_guard(objlife_ref)(o);
	objlife_scoped_guard(mutex, m) {
		objlife_scoped_guard(mutex_try, m)
			n++;
		objlife_scoped_cond_guard(mutex_try, return -EBUSY, m) {
			objlife_scoped_guard(session_ref, again)
				n++;
		}
	}
	objlife_scoped_guard(rwlock_read, rw) {
		objlife_scoped_guard(rwlock_write, rw)
			n++;
	}
#if defined(_POSIX_SPIN_LOCKS) && _POSIX_SPIN_LOCKS > 0
	{
		pthread_spinlock_t spin;

		pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
		objlife_scoped_guard(spinlock, &spin)
			n++;
		pthread_spin_destroy(&spin);
	}
#endif
	objlife_scoped_cond_guard(session_ref_live, n = -1, s)
		n += copy;
	objlife_scoped_guard(mutex_ret, m)
		n++;
	{
		objlife_guard(mutex)(m);
		objlife_guard(mutex_try)(m);
	}
#ifndef OBJLIFE_SHORT_NAMES
	n += guard(CLASS);
#endif
	objlife_retain_and_null(o);
	objlife_put(&s->ref);
	free(objlife_steal(text));
	b->data = NULL;
	buf_release(objlife_steal(b));
	return n;
}

struct buf *make(void);

struct buf *make(void)
{
	struct buf *b objlife_auto(buf) = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	objlife_return_ptr(b);
}
