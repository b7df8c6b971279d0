/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -Wshadow -Wdeclaration-after-statement
 * cflags: -std=gnu11 -pedantic -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c11 -pedantic -Wall -Wextra -Werror -Wshadow -DOBJLIFE_SHORT_NAMES
 *
 * The prefixed lock-guard, class and acquire macros, each written with its
 * semicolon, stay clean under -pedantic, with and without the optional
 * members and condition, and whether or not their results are used.
 */
#include <objlife/cleanup.h>

struct spin { int locked; };
static void spin_lock(struct spin *s) { s->locked = 1; }
static void spin_unlock(struct spin *s) { s->locked = 0; }
static int spin_trylock(struct spin *s) { return s->locked ? 0 : (s->locked = 1); }
static int spin_lock_killable(struct spin *s) { return s->locked ? -4 : (s->locked = 1, 0); }

OBJLIFE_DEFINE_LOCK_GUARD_1(spin, struct spin, spin_lock(_T->lock), spin_unlock(_T->lock));
OBJLIFE_DEFINE_LOCK_GUARD_1(spin_flags, struct spin, spin_lock(_T->lock),
			    spin_unlock(_T->lock), unsigned long flags);
OBJLIFE_DEFINE_LOCK_GUARD_1_COND(spin, _try, spin_trylock(_T->lock));
OBJLIFE_DEFINE_LOCK_GUARD_1_COND(spin, _killable, spin_lock_killable(_T->lock), _RET == 0);
OBJLIFE_DEFINE_LOCK_GUARD_0(nothing, (void)0, (void)0);
OBJLIFE_DEFINE_CLASS(num, int, (void)_T, n, int n);
OBJLIFE_EXTEND_CLASS(num, _twice, 2 * n, int n);
OBJLIFE_DEFINE_CLASS(spin_ptr, struct spin *, if (_T) spin_unlock(_T),
		     (spin_lock(s), s), struct spin *s);
OBJLIFE_DEFINE_CLASS_IS_GUARD(spin_ptr);
OBJLIFE_DEFINE_CLASS(spin_ptr_try, struct spin *, if (_T) spin_unlock(_T),
		     spin_trylock(s) ? s : NULL, struct spin *s);
OBJLIFE_DEFINE_CLASS_IS_COND_GUARD(spin_ptr_try);

int use(struct spin *s);
int use(struct spin *s)
{
	int err;

	{
		objlife_guard(spin)(s);
		objlife_guard(nothing)();
	}
	{
		objlife_acquire(spin_killable, held)(s);
		err = objlife_acquire_err(spin_killable, &held);
		if (err)
			return err;
	}
	objlife_scoped_class(spin_try, g, s) {
		if (!objlife_guard_ptr(spin_try)(&g))
			return -1;
	}
	objlife_scoped_guard(spin_ptr_try, s) {
		OBJLIFE_CLASS(num_twice, two)(2);
		OBJLIFE_CLASS_INIT(num, three, 3);
		err = two + three + objlife_guard_is_cond(spin_ptr_try);
	}
	return err;
}
