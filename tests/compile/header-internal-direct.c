/* objlife-compile-test
 * expect: fail
 * compilers: gcc clang
 * cflags: -std=c99 -pedantic -Wall -Wextra
 * cflags: -std=c99 -pedantic -Wall -Wextra -DDIRECT_PLATFORM
 * error: <objlife/(inline|platform)\.h> is internal: include <objlife\.h> instead
 *
 * <objlife/inline.h> and <objlife/platform.h> are installed, since
 * <objlife.h> includes them, but are not headers of their own: included
 * directly, each stops with one #error that names the header to use.
 */
#ifdef DIRECT_PLATFORM
# include <objlife/platform.h>
#else
# include <objlife/inline.h>
#endif

int unused(void);
