/* the kernel's spellings of <objlife/cleanup.h> (OBJLIFE_SHORT_NAMES) used as the kernel's documentation asks are clean */
#define OBJLIFE_SHORT_NAMES
#include <objlife/cleanup.h>
#include <errno.h>
#include <string.h>

struct object { int id; };
struct object *alloc_add(void);
void remove_free(struct object *obj);
int publish(struct object *obj);
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

DEFINE_FREE(remove_free, struct object *, if (_T) remove_free(_T))
DEFINE_CLASS(number, int, (void)_T, v * 2, int v)
DEFINE_GUARD(plain, pthread_mutex_t *, pthread_mutex_lock(_T), pthread_mutex_unlock(_T))
DEFINE_GUARD_COND(plain, _try, pthread_mutex_trylock(_T), _RET == 0)

int init(void);
int init(void)
{
	guard(mutex)(&lock);
	struct object *obj __free(remove_free) = alloc_add();
	if (!obj)
		return -ENOMEM;
	return publish(no_free_ptr(obj));
}

struct object *get(void);
struct object *get(void)
{
	struct object *obj __free(remove_free) = alloc_add();
	if (!obj)
		return NULL;
	return_ptr(obj);
}

int keep(void);
int keep(void)
{
	struct object *obj __free(remove_free) = alloc_add();
	CLASS(number, twice)(21);
	publish(obj);
	retain_and_null_ptr(obj);
	return twice;
}

int try_both(void);
int try_both(void)
{
	scoped_guard(plain, &lock) {
		scoped_cond_guard(plain_try, return -EBUSY, &lock) {
			return 1;
		}
	}
	return 0;
}
