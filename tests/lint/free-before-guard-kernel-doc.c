/* objlife-free-before-guard: the kernel documentation's example, in the kernel's spellings, is reported at the definition, with the guard as its note */
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
	struct object *obj __free(remove_free) = NULL; /* expect: objlife-free-before-guard */
	int err;

	guard(mutex)(&lock); /* expect-note */
	obj = alloc_add();
	if (!obj)
		return -1;
	err = ready(obj);
	if (err)
		return err;
	return publish(no_free_ptr(obj));
}
