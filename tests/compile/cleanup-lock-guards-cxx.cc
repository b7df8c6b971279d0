/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++11 -Wall -Wextra -Werror -Wshadow
 * cflags: -std=c++17 -Wall -Wextra -Werror -DOBJLIFE_SHORT_NAMES -DOBJLIFE_NO_SHORT_GUARDS
 *
 * The lock guards, conditional guards that keep an error, extended
 * classes and the acquire macros from C++ too, for C headers that define
 * them: no designated initialisers, no implicit conversions from void *.
 */
#include <objlife/cleanup.h>

struct spin { int locked; };
static void spin_lock(struct spin *s) { s->locked = 1; }
static void spin_unlock(struct spin *s) { s->locked = 0; }
static int spin_lock_killable(struct spin *s) { return s->locked ? -4 : (s->locked = 1, 0); }

OBJLIFE_DEFINE_LOCK_GUARD_1(spin, struct spin, spin_lock(_T->lock), spin_unlock(_T->lock),
			    unsigned long flags);
OBJLIFE_DEFINE_LOCK_GUARD_1_COND(spin, _killable, spin_lock_killable(_T->lock), _RET == 0);
OBJLIFE_DEFINE_LOCK_GUARD_0(nothing, (void)0, (void)0);
OBJLIFE_DEFINE_GUARD(spin_ptr, struct spin *, spin_lock(_T), spin_unlock(_T));
OBJLIFE_DEFINE_GUARD_COND(spin_ptr, _killable, spin_lock_killable(_T), _RET == 0);
OBJLIFE_DEFINE_CLASS(num, int, (void)_T, n, int n);
OBJLIFE_EXTEND_CLASS(num, _twice, 2 * n, int n);

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
	objlife_scoped_cond_guard(spin_ptr_killable, return -1, s) {
		OBJLIFE_CLASS(num_twice, two)(2);
		OBJLIFE_CLASS_INIT(num, three, 3);
		err = two + three;
	}
	return err;
}
