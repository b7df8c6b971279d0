/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu11 -Wall -Wextra -Werror
 * cflags: -std=gnu99 -Wall -Wextra -Werror -Wshadow -Wunused -Wunused-macros
 * cflags: -std=gnu11 -Wall -Wextra -Werror -DOBJLIFE_SHORT_NAMES
 *
 * Defining is free: free classes, classes, extended classes, guards,
 * conditional guards, lock guards, classes made guards and ref functions
 * that nothing uses (and the ready-made ones the header
 * defines) raise no warning at -Wall -Wextra, because everything the DEFINE
 * macros generate is marked unused.
 */
#include <objlife/cleanup.h>

struct conn {
	struct objlife ref;
	pthread_mutex_t lock;
	int fd;
};

static void conn_close(struct conn *c) { (void)c; }
static int conn_trylock(struct conn *c) { return pthread_mutex_trylock(&c->lock); }

OBJLIFE_DEFINE_REF_FUNCS(conn, struct conn, ref);
OBJLIFE_DEFINE_FREE(conn_close, struct conn *, if (_T) conn_close(_T));
OBJLIFE_DEFINE_FREE(fd, int, if (_T >= 0) close(_T));
OBJLIFE_DEFINE_CLASS(conn_fd, int, if (_T >= 0) close(_T), c->fd, struct conn *c);
OBJLIFE_DEFINE_CLASS(zero, int, (void)0, 0, void);
OBJLIFE_DEFINE_GUARD(conn, struct conn *, pthread_mutex_lock(&_T->lock),
		     pthread_mutex_unlock(&_T->lock));
OBJLIFE_DEFINE_GUARD_COND(conn, _try, conn_trylock(_T), _RET == 0);
OBJLIFE_DEFINE_GUARD_COND(conn, _nonzero, _T->fd);
OBJLIFE_DEFINE_GUARD_COND(conn, _ignores_ret, conn_trylock(_T), _T->fd > 0);
OBJLIFE_EXTEND_CLASS(conn_fd, _dup, dup(c->fd), struct conn *c);
OBJLIFE_DEFINE_LOCK_GUARD_1(conn_lock, pthread_mutex_t, pthread_mutex_lock(_T->lock),
			    pthread_mutex_unlock(_T->lock), int depth);
OBJLIFE_DEFINE_LOCK_GUARD_1_COND(conn_lock, _try, pthread_mutex_trylock(_T->lock), _RET == 0);
OBJLIFE_DEFINE_LOCK_GUARD_0(nothing, (void)0, (void)0);
OBJLIFE_DEFINE_CLASS(conn_held, struct conn *, if (_T) pthread_mutex_unlock(&_T->lock),
		     (pthread_mutex_lock(&c->lock), c), struct conn *c);
OBJLIFE_DEFINE_CLASS_IS_GUARD(conn_held);

#ifdef OBJLIFE_SHORT_NAMES
DEFINE_FREE(conn_close2, struct conn *, if (_T) conn_close(_T))
DEFINE_CLASS(conn_fd2, int, if (_T >= 0) close(_T), c->fd, struct conn *c)
DEFINE_GUARD(conn2, struct conn *, pthread_mutex_lock(&_T->lock), pthread_mutex_unlock(&_T->lock))
DEFINE_GUARD_COND(conn2, _try, conn_trylock(_T), _RET == 0)
DEFINE_GUARD_COND(conn2, _nonzero, _T->fd)
EXTEND_CLASS(conn_fd2, _dup, dup(c->fd), struct conn *c)
DEFINE_LOCK_GUARD_1(conn_lock2, pthread_mutex_t, pthread_mutex_lock(_T->lock),
		    pthread_mutex_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(conn_lock2, _try, pthread_mutex_trylock(_T->lock), _RET == 0)
DEFINE_LOCK_GUARD_0(nothing2, (void)0, (void)0, int unused_member)
DEFINE_CLASS(conn_held2, struct conn *, if (_T) pthread_mutex_unlock(&_T->lock),
	     (pthread_mutex_trylock(&c->lock) ? NULL : c), struct conn *c)
DEFINE_CLASS_IS_COND_GUARD(conn_held2)
#endif
