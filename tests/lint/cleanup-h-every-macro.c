/* every macro of <objlife/cleanup.h>, in its prefixed spellings, used as its rules ask is clean */
#include <objlife/cleanup.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct session {
	struct objlife ref;
	int id;
};
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);
struct session *session_new(int id);

struct buffer {
	char *data;
};
static void buffer_free(struct buffer *b)
{
	free(b->data);
	free(b);
}
OBJLIFE_DEFINE_FREE(buffer, struct buffer *, if (_T) buffer_free(_T));
OBJLIFE_DEFINE_CLASS(fd, int, if (_T >= 0) close(_T), open(path, flags), const char *path, int flags);

struct counter {
	pthread_mutex_t lock;
	int n;
};
OBJLIFE_DEFINE_GUARD(counter, struct counter *, pthread_mutex_lock(&_T->lock), pthread_mutex_unlock(&_T->lock));
OBJLIFE_DEFINE_GUARD_COND(counter, _try, pthread_mutex_trylock(&_T->lock), _RET == 0);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static struct counter counter = { PTHREAD_MUTEX_INITIALIZER, 0 };
static struct session *registered;

struct buffer *buffer_new(const char *s);
struct buffer *buffer_new(const char *s)
{
	struct buffer *b objlife_auto(buffer) = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->data = strdup(s);
	if (!b->data)
		return NULL;
	objlife_return_ptr(b);
}

char *read_config(const char *path);
char *read_config(const char *path)
{
	OBJLIFE_CLASS(fd, f)(path, O_RDONLY);
	if (f < 0)
		return NULL;
	char *buf objlife_auto(free) = malloc(64);
	if (!buf)
		return NULL;
	ssize_t n = read(f, buf, 63);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return objlife_steal(buf);
}

int register_session(int id);
int register_session(int id)
{
	objlife_guard(mutex)(&lock);
	struct session *s objlife_auto(session_put) = session_new(id);
	if (!s)
		return -ENOMEM;
	registered = s;
	objlife_retain_and_null(s);
	return 0;
}

int peek(struct session *s);
int peek(struct session *s)
{
	objlife_guard(objlife_ref)(&s->ref);
	struct objlife *extra objlife_auto(objlife_put) = objlife_get(&s->ref);
	return s->id + (extra != NULL);
}

int locks(void);
int locks(void)
{
	int total = 0;

	objlife_scoped_guard(rwlock_read, &rwlock) {
		total++;
	}
	objlife_scoped_guard(rwlock_write, &rwlock)
		total++;
	objlife_scoped_guard(spinlock, &spin) {
		total++;
	}
	objlife_scoped_guard(mutex_try, &lock) {
		total++;
	}
	objlife_scoped_cond_guard(mutex_try, return -EBUSY, &lock) {
		total++;
	}
	objlife_scoped_guard(counter, &counter) {
		counter.n++;
	}
	objlife_scoped_cond_guard(counter_try, return -EBUSY, &counter) {
		counter.n++;
	}
	return total;
}
