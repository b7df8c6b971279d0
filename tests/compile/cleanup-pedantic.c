/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=gnu99 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu11 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu17 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=gnu2x -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c11 -D_POSIX_C_SOURCE=200809L -pedantic -Wall -Wextra -Werror -Wshadow
 *
 * The prefixed OBJLIFE_DEFINE_* macros are written with a trailing
 * semicolon, and neither they nor the helpers trip -pedantic (a stray ';'
 * at file scope, a braced group in an expression, an empty `...`). Strict
 * ISO modes hide the POSIX read-write locks and spinlocks: the header still
 * compiles, with the guards <pthread.h> can give it.
 */
#include <objlife/cleanup.h>

struct item {
	struct objlife ref;
	int n;
};

struct pair {
	int a, b;
};

static void pair_done(struct pair p) { (void)p; }

static struct pair make_pair(int a, int b)
{
	struct pair p;

	p.a = a;
	p.b = b;
	return p;
}

OBJLIFE_DEFINE_REF_FUNCS(item, struct item, ref);
OBJLIFE_DEFINE_FREE(item_free, struct item *, if (_T) item_put(_T));
OBJLIFE_DEFINE_CLASS(pair, struct pair, pair_done(_T), make_pair(a, b), int a, int b);
OBJLIFE_DEFINE_CLASS(nothing, int, (void)_T, 0, void);
OBJLIFE_DEFINE_GUARD(item_lock, struct item *, _T->n++, _T->n--);
OBJLIFE_DEFINE_GUARD_COND(item_lock, _try, _T->n == 0 ? (_T->n = 1) : 0);
OBJLIFE_DEFINE_GUARD_COND(item_lock, _ret, _T->n, _RET == 0);

int use(struct item *it, pthread_mutex_t *m);

int use(struct item *it, pthread_mutex_t *m)
{
	struct item *held objlife_auto(item_free) = item_get(it);
	OBJLIFE_CLASS(pair, p)(1, 2);
	OBJLIFE_CLASS(nothing, z)();
	int n = p.a + p.b + z;

	objlife_guard(mutex)(m);
	objlife_scoped_guard(item_lock, held)
		n++;
	objlife_scoped_guard(item_lock_try, held)
		n++;
	objlife_scoped_cond_guard(item_lock_ret, return -1, held)
		n++;
	objlife_scoped_guard(objlife_ref, &held->ref)
		n++;
#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200809L
	{
		pthread_rwlock_t rw;

		pthread_rwlock_init(&rw, NULL);
		objlife_scoped_guard(rwlock_write, &rw)
			n++;
		pthread_rwlock_destroy(&rw);
	}
#endif
	objlife_retain_and_null(held);
	item_put(it);
	return n;
}
