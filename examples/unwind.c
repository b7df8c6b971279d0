/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unwind - one constructor, written twice: with goto labels, and with
 * libobjlife and <objlife/cleanup.h>.
 *
 * A connection owns six things: its own memory, a buffer, a copy of its
 * name, a file descriptor, a mutex and a place in a registry. Any of the
 * six acquisitions can fail, and each failure must give back exactly what
 * was acquired before it, in reverse order.
 *
 * The goto version needs one label per resource, kept in LIFO order by
 * hand, and a second copy of the same teardown in conn_goto_free(). The
 * objlife version has no label: each variable gives its resource back when
 * it goes out of scope unless it was handed to the object, and the one
 * teardown (release) runs on the last put. The object is reference counted
 * on top, which the goto version does not have at all.
 *
 * The program makes each step fail in turn, runs both versions, prints what
 * each acquired and gave back, and fails unless both agree and nothing is
 * left over. `make check` compares its output with
 * tests/examples/unwind.expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <objlife.h>
#include <objlife/cleanup.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE 4096

/* ---------------------------------------------------------------------
 * Instrumented resources: each acquisition can be made to fail, and every
 * acquisition and release is written to a trace.
 * --------------------------------------------------------------------- */

static int fail_step;      /* the acquisition that fails (1-based); 0: none */
static int step;           /* acquisitions attempted so far */
static int held;           /* resources acquired and not yet given back */
static char trace[256];

static void note(const char *what, const char *suffix)
{
	size_t len = strlen(trace);

	snprintf(trace + len, sizeof(trace) - len, "%s%s%s", len ? " " : "", what, suffix);
}

/* True when this acquisition must fail. */
static bool injected(const char *what)
{
	if (++step == fail_step) {
		note(what, "!");
		return true;
	}
	note(what, "");
	held++;
	return false;
}

static void given_back(const char *what)
{
	note("~", what);
	held--;
}

static void *t_malloc(const char *what, size_t size)
{
	void *p;

	if (injected(what)) {
		errno = ENOMEM;
		return NULL;
	}
	p = calloc(1, size);
	if (!p)
		abort();        /* the trace would be wrong: not part of the demo */
	return p;
}

static void t_free(const char *what, void *p)
{
	given_back(what);
	free(p);
}

static char *t_strdup(const char *s)
{
	char *p = t_malloc("name", strlen(s) + 1);

	return p ? strcpy(p, s) : NULL;
}

static int t_open(const char *path)
{
	int fd;

	if (injected("fd")) {
		errno = EMFILE;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

static void t_close(int fd)
{
	given_back("fd");
	close(fd);
}

static int t_mutex_init(pthread_mutex_t *lock)
{
	if (injected("lock"))
		return EAGAIN;
	return pthread_mutex_init(lock, NULL);
}

static void t_mutex_destroy(pthread_mutex_t *lock)
{
	given_back("lock");
	pthread_mutex_destroy(lock);
}

/* The registry: one slot is enough for the demo. */
static const void *registered;

static int t_register(const void *conn)
{
	if (injected("registry"))
		return -EEXIST;
	registered = conn;
	return 0;
}

static void t_unregister(const void *conn)
{
	given_back("registry");
	if (registered == conn)
		registered = NULL;
}

/* ---------------------------------------------------------------------
 * 1. With goto labels
 * --------------------------------------------------------------------- */

struct conn_goto {
	char *buf;
	char *name;
	int fd;
	pthread_mutex_t lock;
};

static struct conn_goto *conn_goto_new(const char *name)
{
	struct conn_goto *c;
	int err;

	c = t_malloc("object", sizeof(*c));
	if (!c)
		return NULL;
	c->buf = t_malloc("buffer", BUF_SIZE);
	if (!c->buf) {
		err = ENOMEM;
		goto err_free_conn;
	}
	c->name = t_strdup(name);
	if (!c->name) {
		err = ENOMEM;
		goto err_free_buf;
	}
	c->fd = t_open("/dev/null");
	if (c->fd < 0) {
		err = errno;
		goto err_free_name;
	}
	err = t_mutex_init(&c->lock);
	if (err)
		goto err_close;
	err = -t_register(c);
	if (err)
		goto err_destroy_lock;
	return c;

	/* One label per resource, in the reverse order of acquisition. A new
	 * resource in the middle means a new label and a renamed goto. */
err_destroy_lock:
	t_mutex_destroy(&c->lock);
err_close:
	t_close(c->fd);
err_free_name:
	t_free("name", c->name);
err_free_buf:
	t_free("buffer", c->buf);
err_free_conn:
	t_free("object", c);
	errno = err;
	return NULL;
}

/* The same teardown again, which must stay in step with the labels. */
static void conn_goto_free(struct conn_goto *c)
{
	t_unregister(c);
	t_mutex_destroy(&c->lock);
	t_close(c->fd);
	t_free("name", c->name);
	t_free("buffer", c->buf);
	t_free("object", c);
}

/* ---------------------------------------------------------------------
 * 2. With libobjlife
 * --------------------------------------------------------------------- */

struct conn {
	struct objlife ref;     /* first member */
	char *buf;
	char *name;
	int fd;
	pthread_mutex_t lock;
};

/* Free classes for the cleanup attribute: each tests for NULL (or -1), so
 * that a value handed to the object is not given back. */
OBJLIFE_DEFINE_FREE(t_free_buffer, char *, if (_T) t_free("buffer", _T));
OBJLIFE_DEFINE_FREE(t_free_name, char *, if (_T) t_free("name", _T));
OBJLIFE_DEFINE_FREE(t_mutex_destroy, pthread_mutex_t *, if (_T) t_mutex_destroy(_T));
/* A descriptor is an int: the class owns it until take_fd() moves it. */
OBJLIFE_DEFINE_CLASS(t_fd, int, if (_T >= 0) t_close(_T), t_open(path), const char *path);

/* systemd's TAKE_FD: the value, leaving -1 behind. */
static int take_fd(int *fd)
{
	int ret = *fd;

	*fd = -1;
	return ret;
}

static pthread_mutex_t *t_mutex_init_ptr(pthread_mutex_t *lock)
{
	int err = t_mutex_init(lock);

	if (err) {
		errno = err;
		return NULL;
	}
	return lock;
}

/* init: acquire in order; a return at any point gives back, in reverse
 * order, exactly what this function still owns. The library then frees the
 * object's memory, and release is not called. */
static int conn_init(struct objlife *obj, void *arg)
{
	struct conn *c = (struct conn *)obj;

	char *buf objlife_auto(t_free_buffer) = t_malloc("buffer", BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	char *name objlife_auto(t_free_name) = t_strdup(arg);
	if (!name)
		return -ENOMEM;
	OBJLIFE_CLASS(t_fd, fd)("/dev/null");
	if (fd < 0)
		return -errno;
	pthread_mutex_t *lock objlife_auto(t_mutex_destroy) = t_mutex_init_ptr(&c->lock);
	if (!lock)
		return -errno;
	int err = t_register(c);
	if (err)
		return err;

	/* Everything acquired: the object owns it now, release() gives it back. */
	c->buf = objlife_steal(buf);
	c->name = objlife_steal(name);
	c->fd = take_fd(&fd);
	objlife_retain_and_null(lock);
	return 0;
}

/* The one teardown, run on the last put. */
static void conn_release(struct objlife *obj)
{
	struct conn *c = (struct conn *)obj;

	t_unregister(c);
	t_mutex_destroy(&c->lock);
	t_close(c->fd);
	t_free("name", c->name);
	t_free("buffer", c->buf);
}

/* The object's own memory, traced like the rest: the library calls these
 * instead of its allocator, and frees with them when init fails. */
static void *conn_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	(void)align;    /* calloc's alignment is enough for struct conn */
	return t_malloc("object", size);
}

static void conn_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	t_free("object", mem);
}

static const struct objlife_ops conn_ops = {
	.name = "conn",
	.init = conn_init,
	.release = conn_release,
	.alloc = conn_alloc,
	.free = conn_free,
};

OBJLIFE_DEFINE_REF_FUNCS(conn, struct conn, ref);

static struct conn *conn_new(const char *name)
{
	return objlife_alloc(struct conn, ref, &conn_ops, (void *)name);
}

/* ---------------------------------------------------------------------
 * Both, at every failure point
 * --------------------------------------------------------------------- */

static const char *errno_name(int err)
{
	switch (err) {
	case 0:       return "ok";
	case ENOMEM:  return "ENOMEM";
	case EMFILE:  return "EMFILE";
	case EAGAIN:  return "EAGAIN";
	case EEXIST:  return "EEXIST";
	default:      return "?";
	}
}

static void start(int fail)
{
	fail_step = fail;
	step = 0;
	trace[0] = '\0';
}

/* Runs one version with the given step failing, and leaves its trace. */
static int run_goto(int fail)
{
	struct conn_goto *c;

	start(fail);
	c = conn_goto_new("client");
	if (!c)
		return errno;
	conn_goto_free(c);
	return 0;
}

static int run_objlife(int fail)
{
	struct conn *c;

	start(fail);
	c = conn_new("client");
	if (!c)
		return errno;
	conn_get(c);            /* a second holder ... */
	conn_put(c);            /* ... lets go: nothing happens yet */
	conn_put(c);            /* the last put: release, then the memory */
	return 0;
}

int main(void)
{
	static const char *const steps[] = {
		"none", "object", "buffer", "name", "fd", "lock", "registry",
	};
	char goto_trace[sizeof(trace)];
	int fail, goto_err, objlife_err, bad = 0;

	for (fail = 1; fail <= 7; fail++) {
		int point = fail % 7;   /* the six failures, then a run without one */

		goto_err = run_goto(point);
		strcpy(goto_trace, trace);
		printf("fail at %-8s goto:    %-6s %s\n", steps[point], errno_name(goto_err), trace);
		bad |= held != 0;

		objlife_err = run_objlife(point);
		printf("fail at %-8s objlife: %-6s %s\n", steps[point], errno_name(objlife_err), trace);
		bad |= held != 0;

		if (goto_err != objlife_err || strcmp(goto_trace, trace) != 0) {
			printf("  the two versions differ\n");
			bad = 1;
		}
	}
	if (objlife_live_count(&conn_ops) != 0)
		bad = 1;
	printf("%s\n", bad ? "FAILED" : "both give back exactly what they took, in reverse order");
	return bad;
}
