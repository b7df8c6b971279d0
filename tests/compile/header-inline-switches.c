/* objlife-compile-test
 * expect: pass
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE
 * cflags: -std=c99 -pedantic -Wall -Wextra -Werror -DOBJLIFE_NO_INLINE -DOBJLIFE__INLINE_BODIES
 *
 * The switches <objlife.h> reads from <objlife/inline.h>: by default (GNU
 * C) get, put and get_unless_zero are macros over inline code;
 * OBJLIFE_NO_INLINE leaves only the exported functions; the library's own
 * OBJLIFE_NO_INLINE + OBJLIFE__INLINE_BODIES has the inline bodies
 * without the macros, which lib/refcount.c exports under the public names.
 */
#include <objlife.h>

#if !defined(OBJLIFE_NO_INLINE)
# if !defined(objlife_get) || !defined(objlife_put) || !defined(objlife_get_unless_zero)
#  error "GNU C without OBJLIFE_NO_INLINE: get/put/get_unless_zero are not inline"
# endif
#else
# if defined(objlife_get) || defined(objlife_put) || defined(objlife_get_unless_zero)
#  error "OBJLIFE_NO_INLINE left a macro over get/put/get_unless_zero"
# endif
#endif

#if defined(OBJLIFE__INLINE_BODIES)
# ifndef OBJLIFE__INLINE_PATH
#  error "OBJLIFE__INLINE_BODIES did not define the inline bodies"
# endif
/* What lib/refcount.c does: the exported function is the inline body. */
struct objlife *objlife_get(struct objlife *obj)
{
	return objlife__get_inline(obj);
}

void objlife_put(struct objlife *obj)
{
	objlife__put_inline(obj);
}

bool objlife_get_unless_zero(struct objlife *obj)
{
	return objlife__get_unless_zero_inline(obj);
}
#endif

/* &objlife_get names the exported function in every mode. */
struct objlife *(*const get_fn)(struct objlife *) = &objlife_get;
void (*const put_fn)(struct objlife *) = &objlife_put;

int use(struct objlife *obj);

int use(struct objlife *obj)
{
	objlife_get(obj);
	objlife_put(obj);
	return objlife_get_unless_zero(obj);
}
