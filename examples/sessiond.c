/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sessiond - a small multi-threaded line server written with libobjlife and
 * <objlife/cleanup.h>: a template for a daemon's session handling.
 *
 *   sessiond [-c CONNECTIONS] [-s SESSIONS] [-t SECONDS]
 *
 * It listens on 127.0.0.1 on a port the kernel picks, and says which on its
 * first line of output ("sessiond: listening on 127.0.0.1:PORT"). Each
 * connection is a session, an objlife object served by a thread of its own,
 * and registered in a table where other sessions can look it up by id.
 * The protocol is one line per request and one line per reply:
 *
 *   (on connect)          HELLO <id>
 *   NAME <text>           OK               this session's name
 *   WHO <id>              <id> <name>      or: ERR no such session
 *   ECHO <text>           <text>
 *   STATS                 STATS sessions=<n>   (objlife_live_count)
 *   QUIT                  BYE, then the server closes the connection
 *
 * Everything is bounded: it accepts CONNECTIONS connections (default 16)
 * and then stops listening; it serves at most SESSIONS at once (default 8;
 * one more gets "ERR busy" and is closed); and after SECONDS (default 10)
 * it closes whatever is still open. Then it waits for its threads, checks
 * with objlife_leak_check() that no object is left alive, prints one line
 * of totals and exits: 0 when nothing leaked.
 *
 * What to copy from it:
 *  - session_init() acquires four resources and publishes the session with
 *    no goto: each variable gives its resource back on an early return;
 *    session_release() is the one teardown, run by the last put.
 *  - session_find() is the lookup of objlife_get_unless_zero(3): release
 *    removes the session from the table under the table's lock, so a lookup
 *    that meets a session whose last reference is gone leaves it alone.
 *  - Locks are held by guards, never unlocked by hand.
 *
 * Cleanup-attribute code defines variables where they are acquired, so it
 * is built with -Wno-declaration-after-statement, as the kernel's is.
 */
#include <errno.h>
#include <netinet/in.h>
#include <objlife.h>
#include <objlife/cleanup.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_SIZE 512

/* File descriptors are ints, so they get a class rather than a free class:
 * `OBJLIFE_CLASS(fd, name)(value)` closes name at the end of its scope
 * unless take_fd() moved it out (systemd's TAKE_FD). */
OBJLIFE_DEFINE_CLASS(fd, int, if (_T >= 0) close(_T), fd, int fd);

static int take_fd(int *fd)
{
	int ret = *fd;

	*fd = -1;
	return ret;
}

/* A mutex that init set up: destroyed by the cleanup unless handed over. */
OBJLIFE_DEFINE_FREE(mutex_destroy, pthread_mutex_t *, if (_T) pthread_mutex_destroy(_T));

static pthread_mutex_t *mutex_init(pthread_mutex_t *lock)
{
	int err = pthread_mutex_init(lock, NULL);

	if (err) {
		errno = err;
		return NULL;
	}
	return lock;
}

/* ---------------------------------------------------------------------
 * The server and its session table
 * --------------------------------------------------------------------- */

struct session;

struct server {
	pthread_mutex_t lock;           /* protects table[] and next_id */
	struct session **table;         /* a session is in it from init to release */
	size_t nslots;
	unsigned next_id;
	struct timespec deadline;       /* CLOCK_MONOTONIC */
};

struct session {
	struct objlife ref;             /* first member, for objlife_alloc() */
	struct server *srv;
	unsigned id;                    /* set before the session is published */
	size_t slot;
	int fd;
	char *peer;                     /* "127.0.0.1:port", for the log */
	char *line;                     /* input buffer, LINE_SIZE bytes */
	size_t len;                     /* bytes in line[] */
	pthread_mutex_t lock;           /* protects name */
	char *name;
};

/* Milliseconds until the deadline, 0 once it has passed. */
static int remaining_ms(const struct server *srv)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(srv->deadline.tv_sec - now.tv_sec) * 1000 +
	     (srv->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Publishes @s under an id of its own; -EBUSY when every slot is taken. */
static int table_insert(struct server *srv, struct session *s)
{
	objlife_guard(mutex)(&srv->lock);

	for (size_t i = 0; i < srv->nslots; i++) {
		if (!srv->table[i]) {
			s->id = ++srv->next_id;
			s->slot = i;
			srv->table[i] = s;
			return 0;
		}
	}
	return -EBUSY;
}

static void table_remove(struct server *srv, struct session *s)
{
	objlife_scoped_guard(mutex, &srv->lock)
		srv->table[s->slot] = NULL;
}

/* ---------------------------------------------------------------------
 * Sessions: one allocation path, one teardown path
 * --------------------------------------------------------------------- */

struct session_args {
	struct server *srv;
	int fd;                         /* the session owns it only if init succeeds */
};

static char *peer_name(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char addr[INET_ADDRSTRLEN], *name;

	if (getpeername(fd, (struct sockaddr *)&sin, &len) != 0 ||
	    !inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof(addr)))
		return NULL;
	name = malloc(sizeof(addr) + 6);
	if (name)
		snprintf(name, sizeof(addr) + 6, "%s:%u", addr, (unsigned)ntohs(sin.sin_port));
	else
		errno = ENOMEM;
	return name;
}

/* Runs once on zeroed memory. Any return before the end gives back what
 * was acquired so far, in reverse order, and the library frees the
 * session's memory without calling release. */
static int session_init(struct objlife *obj, void *arg)
{
	struct session *s = (struct session *)obj;
	const struct session_args *a = arg;

	char *line objlife_auto(free) = malloc(LINE_SIZE);
	if (!line)
		return -ENOMEM;
	char *name objlife_auto(free) = strdup("anonymous");
	if (!name)
		return -ENOMEM;
	char *peer objlife_auto(free) = peer_name(a->fd);
	if (!peer)
		return -errno;
	pthread_mutex_t *lock objlife_auto(mutex_destroy) = mutex_init(&s->lock);
	if (!lock)
		return -errno;

	/* Fill the session in, then publish it: table_insert() is the last
	 * step that can fail, and once it succeeds other threads may look the
	 * session up, so everything they read must be in place before. */
	s->srv = a->srv;
	s->fd = a->fd;
	s->line = line;
	s->name = name;
	s->peer = peer;
	int err = table_insert(a->srv, s);
	if (err)
		return err;

	/* The session owns them now; session_release() gives them back. */
	objlife_retain_and_null(line);
	objlife_retain_and_null(name);
	objlife_retain_and_null(peer);
	objlife_retain_and_null(lock);
	return 0;
}

/* The last put: unpublish first, so no lookup can find the session while
 * it is taken apart, then undo init. */
static void session_release(struct objlife *obj)
{
	struct session *s = (struct session *)obj;

	table_remove(s->srv, s);
	pthread_mutex_destroy(&s->lock);
	close(s->fd);
	free(s->peer);
	free(s->name);
	free(s->line);
}

static const struct objlife_ops session_ops = {
	.name = "session",
	.init = session_init,
	.release = session_release,
};

/* session_get(), session_put(), session_get_unless_zero(), and the free
 * class session_put for objlife_auto(). */
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

/* Returns a new session holding one reference, which the caller owns, and
 * @fd with it; NULL with errno set (EBUSY: the table is full), and then
 * @fd is still the caller's. */
static struct session *session_new(struct server *srv, int fd)
{
	struct session_args a = { srv, fd };

	return objlife_alloc(struct session, ref, &session_ops, &a);
}

/* The session with this id, with a reference the caller must put, or NULL.
 * A session whose last reference is gone stays in the table until its
 * release takes the lock to remove it: get_unless_zero() refuses it. */
static struct session *session_find(struct server *srv, unsigned id)
{
	objlife_guard(mutex)(&srv->lock);

	for (size_t i = 0; i < srv->nslots; i++) {
		struct session *s = srv->table[i];

		if (s && s->id == id && session_get_unless_zero(s))
			return s;
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * The protocol
 * --------------------------------------------------------------------- */

/* A peer that went away makes send() fail, not kill us with SIGPIPE; the
 * next read then sees the end of the connection. */
static void reply(struct session *s, const char *text)
{
	(void)send(s->fd, text, strlen(text), MSG_NOSIGNAL);
}

/* Handles one request; false when the session should end. */
static bool handle(struct session *s, char *req)
{
	char out[LINE_SIZE + 64];

	if (!strncmp(req, "NAME ", 5)) {
		char *name objlife_auto(free) = strdup(req + 5);
		if (!name) {
			reply(s, "ERR out of memory\n");
			return true;
		}
		/* Swap under the lock; the old name is freed by name's cleanup,
		 * after the unlock. */
		objlife_scoped_guard(mutex, &s->lock) {
			char *old = s->name;

			s->name = objlife_steal(name);
			name = old;
		}
		reply(s, "OK\n");
	} else if (!strncmp(req, "WHO ", 4)) {
		struct session *other objlife_auto(session_put) =
			session_find(s->srv, (unsigned)strtoul(req + 4, NULL, 10));
		if (!other) {
			reply(s, "ERR no such session\n");
			return true;
		}
		objlife_scoped_guard(mutex, &other->lock)
			snprintf(out, sizeof(out), "%u %s\n", other->id, other->name);
		reply(s, out);
	} else if (!strncmp(req, "ECHO ", 5)) {
		snprintf(out, sizeof(out), "%s\n", req + 5);
		reply(s, out);
	} else if (!strcmp(req, "STATS")) {
		snprintf(out, sizeof(out), "STATS sessions=%zu\n", objlife_live_count(&session_ops));
		reply(s, out);
	} else if (!strcmp(req, "QUIT")) {
		reply(s, "BYE\n");
		return false;
	} else {
		reply(s, "ERR unknown command\n");
	}
	return true;
}

/* Reads and answers requests until QUIT, the end of the connection, an
 * error, or the server's deadline. */
static void serve(struct session *s)
{
	char hello[32];

	snprintf(hello, sizeof(hello), "HELLO %u\n", s->id);
	reply(s, hello);
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int ms = remaining_ms(s->srv);
		ssize_t n;
		char *nl;

		if (ms == 0 || poll(&pfd, 1, ms) <= 0)
			return;         /* deadline: close it */
		n = recv(s->fd, s->line + s->len, LINE_SIZE - 1 - s->len, 0);
		if (n <= 0)
			return;         /* closed, or reset by the peer */
		s->len += (size_t)n;
		s->line[s->len] = '\0';
		while ((nl = strchr(s->line, '\n'))) {
			size_t used = (size_t)(nl - s->line) + 1;

			*nl = '\0';
			if (nl > s->line && nl[-1] == '\r')
				nl[-1] = '\0';
			if (!handle(s, s->line))
				return;
			memmove(s->line, s->line + used, s->len - used + 1);
			s->len -= used;
		}
		if (s->len == LINE_SIZE - 1) {
			reply(s, "ERR line too long\n");
			return;
		}
	}
}

/* One thread per session. It owns the reference session_new() returned:
 * the put runs when the thread leaves this scope. If a WHO of another
 * session holds the session too, the last of the two puts releases it. */
static void *session_thread(void *arg)
{
	struct session *s objlife_auto(session_put) = arg;

	serve(s);
	/* Tell the peer now; the descriptor itself closes in release. */
	shutdown(s->fd, SHUT_RDWR);
	return NULL;
}

/* ---------------------------------------------------------------------
 * main: accept, bounded; then join, and check that nothing leaked
 * --------------------------------------------------------------------- */

static int listen_on_loopback(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	OBJLIFE_CLASS(fd, lfd)(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (lfd < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	*port = ntohs(sin.sin_port);
	return take_fd(&lfd);
}

static unsigned long number(const char *arg, unsigned long max)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n == 0 || n > max) {
		fprintf(stderr, "sessiond: '%s' is not a number from 1 to %lu\n", arg, max);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t connections = 16, served = 0, refused = 0;
	struct server srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .nslots = 8 };
	unsigned seconds = 10, port;
	int opt;

	while ((opt = getopt(argc, argv, "c:s:t:")) != -1) {
		switch (opt) {
		case 'c': connections = number(optarg, 1000); break;
		case 's': srv.nslots = number(optarg, 1000); break;
		case 't': seconds = (unsigned)number(optarg, 3600); break;
		default:
			fprintf(stderr, "usage: sessiond [-c connections] [-s sessions] [-t seconds]\n");
			return 2;
		}
	}

	struct session **table objlife_auto(free) = calloc(srv.nslots, sizeof(*table));
	pthread_t *threads objlife_auto(free) = calloc(connections, sizeof(*threads));
	if (!table || !threads)
		return perror("sessiond"), 1;
	srv.table = table;
	clock_gettime(CLOCK_MONOTONIC, &srv.deadline);
	srv.deadline.tv_sec += seconds;

	/* The listener lives in this block only: leaving it stops accepting. */
	{
		OBJLIFE_CLASS(fd, lfd)(listen_on_loopback(&port));
		if (lfd < 0)
			return perror("sessiond: listen"), 1;
		printf("sessiond: listening on 127.0.0.1:%u\n", port);
		fflush(stdout);

		while (served + refused < connections) {
			struct pollfd pfd = { .fd = lfd, .events = POLLIN };
			int ms = remaining_ms(&srv);

			if (ms == 0)
				break;
			if (poll(&pfd, 1, ms) <= 0)
				continue;
			OBJLIFE_CLASS(fd, cfd)(accept(lfd, NULL, NULL));
			if (cfd < 0)
				continue;
			struct session *s = session_new(&srv, cfd);
			if (!s) {
				/* init failed and gave everything back; the
				 * connection is still ours, and cfd closes it. */
				const char *why = errno == EBUSY ? "ERR busy\n" : "ERR no resources\n";

				(void)send(cfd, why, strlen(why), MSG_NOSIGNAL);
				refused++;
				continue;
			}
			(void)take_fd(&cfd);    /* the session owns it now */
			if (pthread_create(&threads[served], NULL, session_thread, s) != 0) {
				session_put(s);         /* closes the connection */
				refused++;
				continue;
			}
			served++;
		}
	}

	for (size_t i = 0; i < served; i++)
		pthread_join(threads[i], NULL);

	/* Every session thread has put its reference, and every WHO its own:
	 * nothing may be left. objlife_leak_check() lists what is. */
	size_t live = objlife_leak_check(stderr);
	printf("sessiond: %zu sessions served, %zu refused, %zu objects live\n",
	       served, refused, live);
	return live == 0 ? 0 : 1;
}
