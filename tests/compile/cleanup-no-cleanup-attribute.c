/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=gnu11 -DOBJLIFE__TEST_NO_CLEANUP
 * error: needs a compiler with __attribute__\(\(cleanup\)\).*objlife_alloc, objlife_get, objlife_put
 *
 * On a compiler without the cleanup attribute the header stops with an
 * #error that says so and names the core API that works without it. No
 * such compiler is at hand: the internal OBJLIFE__TEST_NO_CLEANUP makes
 * the header take that branch.
 */
#include <objlife/cleanup.h>
