/* objlife-free-before-guard: the kernel documentation's example fixed (defined and assigned in one statement after the guard) is clean */
#define OBJLIFE_SHORT_NAMES
#include <objlife/cleanup.h>

struct object { int id; };
struct object *alloc_add(void);
void remove_free(struct object *obj);
int ready(struct object *obj);
int publish(struct object *obj);
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

DEFINE_FREE(remove_free, struct object *, if (_T) remove_free(_T))

int init(void);
int init(void)
{
	int err;

	guard(mutex)(&lock);
	struct object *obj __free(remove_free) = alloc_add();
	if (!obj)
		return -1;
	err = ready(obj);
	if (err)
		return err;
	return publish(no_free_ptr(obj));
}
