/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sessiond - a small multi-threaded line server written with libobjlife and
 * <objlife/cleanup.h>: a template for a daemon's session handling.
 *
 *   sessiond [-c CONNECTIONS] [-s SESSIONS] [-t SECONDS]
 *
 * It listens on 127.0.0.1 on a port the kernel picks, and says which on its
 * first line of output ("sessiond: listening on 127.0.0.1:PORT"). Each
 * connection is a session, an objlife object served by a thread of its own
 * and registered in an objlife_table under a key the table picks: the
 * session's id, by which the threads of other sessions look it up.
 * The protocol is one line per request and one line per reply (two for
 * WAIT):
 *
 *   (on connect)          HELLO <id>
 *   NAME <text>           OK               this session's name
 *   WHO <id>              <id> <name>      or: ERR no such session
 *   WAIT <id>             WAITING <id> at once, then GONE <id> when that
 *                         session ends     or: ERR no such session
 *   ECHO <text>           <text>
 *   STATS                 STATS sessions=<n>   (objlife_live_count)
 *   QUIT                  BYE, then the server closes the connection
 *
 * Everything is bounded: it accepts CONNECTIONS connections (default 16)
 * and then stops listening; it serves at most SESSIONS at once (default 8;
 * one more gets "ERR busy" and is closed); and once every session has
 * ended, or after SECONDS (default 10), it shuts down: it withdraws the
 * sessions still open, lets the requests they have in flight finish, and
 * closes them. Then it joins its threads, frees the table (which must be
 * empty by then), checks with objlife_leak_check() that no object is left
 * alive, prints one line of totals and exits: 0 when nothing leaked.
 *
 * What to copy from it:
 *  - session_init() acquires four resources and publishes the session with
 *    no goto: each variable gives its resource back on an early return, and
 *    objlife_register() is the last step, the only one after which other
 *    threads can see the session. session_release() is the one teardown,
 *    run by the last put.
 *  - session_find() is objlife_lookup(): no lock, and it never returns a
 *    session that is being withdrawn or released, so its callers check
 *    nothing more.
 *  - session_disconnect() is objlife_unregister(): from the moment it is
 *    called no lookup finds the session; then it waits, with a timeout, for
 *    the threads that still hold the session (a WHO, a WAIT) to let go, and
 *    session_request(), the table's request function, asks them to.
 *  - server_shutdown() withdraws every session from objlife_table_visit();
 *    once the session threads are joined, objlife_table_free() must
 *    return 0.
 *  - Locks are held by guards, never unlocked by hand.
 *
 * Cleanup-attribute code defines variables where they are acquired, so it
 * is built with -Wno-declaration-after-statement, as the kernel's is.
 */
#include <errno.h>
#include <inttypes.h>
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

/* How long a disconnect waits for the other holders of a session to let
 * go. They are asked at once, and again after a second, with a firmer
 * hand; past this they are left to release it with their last put. */
#define DISCONNECT_TIMEOUT_MS 5000

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

/* A mutex or a condition variable that init set up: destroyed by the
 * cleanup unless handed over. */
OBJLIFE_DEFINE_FREE(mutex_destroy, pthread_mutex_t *, if (_T) pthread_mutex_destroy(_T));
OBJLIFE_DEFINE_FREE(cond_destroy, pthread_cond_t *, if (_T) pthread_cond_destroy(_T));

static pthread_mutex_t *mutex_init(pthread_mutex_t *lock)
{
	int err = pthread_mutex_init(lock, NULL);

	if (err) {
		errno = err;
		return NULL;
	}
	return lock;
}

/* Its timed waits end at a CLOCK_MONOTONIC time, like the deadline. */
static pthread_cond_t *cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int err = pthread_condattr_init(&attr);

	if (!err) {
		err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		if (!err)
			err = pthread_cond_init(cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (err) {
		errno = err;
		return NULL;
	}
	return cond;
}

/* ---------------------------------------------------------------------
 * The server
 * --------------------------------------------------------------------- */

/* An empty table, on an early return. */
OBJLIFE_DEFINE_FREE(table_free, struct objlife_table *, if (_T) (void)objlife_table_free(_T));

struct server {
	/* Every session from its init to its disconnect, by id. The table
	 * has its own locking: lookups take none. */
	struct objlife_table *sessions;
	size_t max_sessions;
	struct timespec deadline;       /* CLOCK_MONOTONIC */
	pthread_mutex_t lock;           /* protects what follows, and
					 * each session's withdrawn */
	pthread_cond_t changed;         /* broadcast when any of it changes */
	bool stopping;                  /* the shutdown has begun */
	size_t released;                /* sessions released so far */
};

struct session {
	struct objlife ref;             /* first member, for objlife_alloc() */
	struct server *srv;
	uint64_t id;                    /* its key, set after it was published:
					 * for the threads that made and serve it */
	int fd;
	char *peer;                     /* "127.0.0.1:port", for the log */
	char *line;                     /* input buffer, LINE_SIZE bytes */
	size_t len;                     /* bytes in line[] */
	pthread_mutex_t lock;           /* protects name */
	char *name;
	bool withdrawn;                 /* its disconnect has begun (srv->lock) */
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

static void session_request(struct objlife *obj, unsigned waited_s, void *data);

/* Sets up @srv's table and condition variable; the caller has set the
 * rest (its lock is statically initialised). Returns 0 or -errno, with
 * nothing left to undo. */
static int server_init(struct server *srv)
{
	pthread_cond_t *changed objlife_auto(cond_destroy) = cond_init_monotonic(&srv->changed);
	if (!changed)
		return -errno;
	struct objlife_table *sessions objlife_auto(table_free) = objlife_table_new("sessions");
	if (!sessions)
		return -errno;

	/* Called by objlife_unregister() while it waits for a session's
	 * holders: see session_request(). */
	objlife_table_set_request(sessions, session_request, srv);
	srv->sessions = objlife_steal(sessions);
	objlife_retain_and_null(changed);
	return 0;
}

/* The end of @srv, once no thread can hold a session any more: the table
 * is empty then, and objlife_table_free() returns 0. -EBUSY would mean a
 * session is still registered, or still being withdrawn: a bug. */
static int server_fini(struct server *srv)
{
	int err = objlife_table_free(srv->sessions);

	if (err == 0) {
		srv->sessions = NULL;
		pthread_cond_destroy(&srv->changed);
	}
	return err;
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

	/* Only main() registers sessions: nobody can take the last place
	 * between this test and the objlife_register() below. */
	if (objlife_table_count(a->srv->sessions) >= a->srv->max_sessions)
		return -EBUSY;
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

	/* Fill the session in, then publish it: objlife_register() is the
	 * last step that can fail, and once it succeeds other threads may look
	 * the session up, so everything they read must be in place before.
	 * The table takes a reference of its own, and with *key == 0 picks
	 * the key: one that no session had before, so an id that a client
	 * kept from a session long gone never finds a new one. */
	s->srv = a->srv;
	s->fd = a->fd;
	s->line = line;
	s->name = name;
	s->peer = peer;
	uint64_t id = 0;
	int err = objlife_register(a->srv->sessions, obj, &id);
	if (err)
		return err;
	/* Written after the session was published: other threads never read
	 * it, they know the id they looked the session up by. */
	s->id = id;

	/* The session owns them now; session_release() gives them back. */
	objlife_retain_and_null(line);
	objlife_retain_and_null(name);
	objlife_retain_and_null(peer);
	objlife_retain_and_null(lock);
	return 0;
}

/* The last put: the session is out of the table already (its unregister
 * returned, or gave up waiting and this is the last holder's put), so no
 * lookup can find it while it is taken apart. Undo init. */
static void session_release(struct objlife *obj)
{
	struct session *s = (struct session *)obj;
	struct server *srv = s->srv;

	pthread_mutex_destroy(&s->lock);
	close(s->fd);
	free(s->peer);
	free(s->name);
	free(s->line);
	objlife_scoped_guard(mutex, &srv->lock)
		srv->released++;
}

static const struct objlife_ops session_ops = {
	.name = "session",
	.init = session_init,
	.release = session_release,
};

/* session_get(), session_put() and the free class session_put for
 * objlife_auto(), among others. */
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

/* Returns a new, registered session holding one reference, which the
 * caller owns, and @fd with it; NULL with errno set (EBUSY: the server is
 * full), and then @fd is still the caller's. */
static struct session *session_new(struct server *srv, int fd)
{
	struct session_args a = { srv, fd };

	return objlife_alloc(struct session, ref, &session_ops, &a);
}

/* The session with this id, with a reference the caller must put, or NULL.
 * objlife_lookup() takes no lock, and never returns a session whose
 * disconnect has begun or whose last reference is gone. */
static struct session *session_find(struct server *srv, uint64_t id)
{
	return (struct session *)objlife_lookup(srv->sessions, id);
}

/* The table's request function. objlife_unregister() calls it on its own
 * thread, with no lock of the library held, when it starts to wait for
 * the session's other holders (@waited_s 0), then after 1 s, 11 s, 21 s...
 * while some still hold it. It can only ask them to let go:
 *  - a WAIT for this session ends (wait_until_withdrawn()), and its thread
 *    puts the session;
 *  - the session's own thread, which holds it while serving (when the
 *    shutdown withdraws it), answers the request in flight and starts no
 *    other (serve() checks withdrawn); shutdown(SHUT_RD) wakes it if it is
 *    waiting in recv(), which then returns 0 as at the end of the stream;
 *  - a second later, that thread may be stuck sending a reply to a client
 *    that does not read: shutting the socket down for writing too makes
 *    the send fail.
 * @obj stays valid throughout: the thread in objlife_unregister() holds it. */
static void session_request(struct objlife *obj, unsigned waited_s, void *data)
{
	struct session *s = (struct session *)obj;
	struct server *srv = data;

	objlife_scoped_guard(mutex, &srv->lock) {
		s->withdrawn = true;
		pthread_cond_broadcast(&srv->changed);
	}
	shutdown(s->fd, waited_s == 0 ? SHUT_RD : SHUT_RDWR);
}

/* Withdraws @s from the table and waits until the references left are
 * those of the threads withdrawing it (the caller's, and the shutdown's if
 * it withdraws @s at the same time): the caller's put may then release it.
 * Lookups fail from the moment it is called. The caller holds a reference.
 * Returns 0; or -ETIMEDOUT when a holder did not let go in time: @s is
 * withdrawn all the same, and the last holder's put releases it. */
static int session_disconnect(struct session *s)
{
	int err = objlife_unregister(s->srv->sessions, &s->ref, DISCONNECT_TIMEOUT_MS);

	if (err)
		fprintf(stderr, "sessiond: session %" PRIu64 " (%s): %s\n",
			s->id, s->peer, strerror(-err));
	return err;
}

/* Whether @s is being withdrawn: its thread starts no further request. */
static bool session_withdrawn(struct session *s)
{
	objlife_guard(mutex)(&s->srv->lock);
	return s->withdrawn;
}

/* Blocks until @s is withdrawn, or the server shuts down (when every
 * session goes). The caller holds @s, as long as it likes: the disconnect
 * waits for it, and session_request() wakes it. */
static void wait_until_withdrawn(struct session *s)
{
	struct server *srv = s->srv;

	objlife_guard(mutex)(&srv->lock);
	while (!s->withdrawn && !srv->stopping)
		pthread_cond_wait(&srv->changed, &srv->lock);
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
		uint64_t id = strtoull(req + 4, NULL, 10);

		/* The other session is held for this block only, and put
		 * before the reply: a client slow to read its replies then
		 * never holds up another session's disconnect. */
		{
			struct session *other objlife_auto(session_put) = session_find(s->srv, id);
			if (!other) {
				reply(s, "ERR no such session\n");
				return true;
			}
			objlife_scoped_guard(mutex, &other->lock)
				snprintf(out, sizeof(out), "%" PRIu64 " %s\n", id, other->name);
		}
		reply(s, out);
	} else if (!strncmp(req, "WAIT ", 5)) {
		uint64_t id = strtoull(req + 5, NULL, 10);

		/* The long holder: it keeps the other session until that one's
		 * disconnect asks for it back, and says WAITING only once it
		 * holds it. Put, as in WHO, before the last reply. This thread
		 * reads nothing meanwhile: a client that hangs up during a
		 * WAIT is noticed when the WAIT ends. */
		{
			struct session *other objlife_auto(session_put) = session_find(s->srv, id);
			if (!other) {
				reply(s, "ERR no such session\n");
				return true;
			}
			snprintf(out, sizeof(out), "WAITING %" PRIu64 "\n", id);
			reply(s, out);
			wait_until_withdrawn(other);
		}
		snprintf(out, sizeof(out), "GONE %" PRIu64 "\n", id);
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
 * error, or the session's withdrawal (session_request()). */
static void serve(struct session *s)
{
	char hello[32];

	snprintf(hello, sizeof(hello), "HELLO %" PRIu64 "\n", s->id);
	reply(s, hello);
	for (;;) {
		ssize_t n = recv(s->fd, s->line + s->len, LINE_SIZE - 1 - s->len, 0);
		char *nl;

		if (n <= 0)
			return;         /* closed, reset, or shut down for reading */
		s->len += (size_t)n;
		s->line[s->len] = '\0';
		while ((nl = strchr(s->line, '\n'))) {
			size_t used = (size_t)(nl - s->line) + 1;

			*nl = '\0';
			if (nl > s->line && nl[-1] == '\r')
				nl[-1] = '\0';
			if (session_withdrawn(s) || !handle(s, s->line))
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

/* One thread per session. It owns the reference session_new() returned,
 * and holds the session while it serves: the put runs when the thread
 * leaves this scope. */
static void *session_thread(void *arg)
{
	struct session *s objlife_auto(session_put) = arg;
	struct server *srv = s->srv;

	serve(s);
	/* Tell the peer now; the descriptor itself closes in release, after
	 * the WHOs and WAITs that hold the session have let go. */
	shutdown(s->fd, SHUT_RDWR);
	/* When the shutdown is withdrawing the session already, this thread
	 * waits along with it: both return once the other holders let go. */
	session_disconnect(s);
	/* main() waits for the table to empty. */
	objlife_scoped_guard(mutex, &srv->lock)
		pthread_cond_broadcast(&srv->changed);
	return NULL;
}

/* ---------------------------------------------------------------------
 * The end: waiting for the sessions, then withdrawing the rest
 * --------------------------------------------------------------------- */

/* Until every session has ended by itself, or the deadline. */
static void server_wait_idle(struct server *srv)
{
	objlife_guard(mutex)(&srv->lock);
	while (objlife_table_count(srv->sessions) > 0 &&
	       pthread_cond_timedwait(&srv->changed, &srv->lock, &srv->deadline) != ETIMEDOUT)
		;
}

/* objlife_table_visit() calls this with a reference of its own held, and
 * no lock: objlife_unregister() may wait here. */
static int withdraw(struct objlife *obj, uint64_t key, void *data)
{
	(void)key;
	(void)data;
	session_disconnect((struct session *)obj);
	return 0;               /* on to the next, whatever happened */
}

/* Withdraws every session still registered, one after the other, each
 * once the request it has in flight is answered: its thread holds it
 * until then. WAITs end at once, since every session goes. The visit puts
 * its reference after withdraw(), and the session thread its own when it
 * ends: the last of the two puts releases the session. Returns 0, or
 * -ENOMEM when nothing could be visited. */
static int server_shutdown(struct server *srv)
{
	objlife_scoped_guard(mutex, &srv->lock) {
		srv->stopping = true;
		pthread_cond_broadcast(&srv->changed);
	}
	return objlife_table_visit(srv->sessions, withdraw, NULL);
}

/* ---------------------------------------------------------------------
 * main: accept, bounded; then shut down, and check that nothing leaked
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
	struct server srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_sessions = 8 };
	unsigned seconds = 10, port;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:s:t:")) != -1) {
		switch (opt) {
		case 'c': connections = number(optarg, 1000); break;
		case 's': srv.max_sessions = number(optarg, 1000); break;
		case 't': seconds = (unsigned)number(optarg, 3600); break;
		default:
			fprintf(stderr, "usage: sessiond [-c connections] [-s sessions] [-t seconds]\n");
			return 2;
		}
	}

	pthread_t *threads objlife_auto(free) = calloc(connections, sizeof(*threads));
	if (!threads)
		return perror("sessiond"), 1;
	err = server_init(&srv);
	if (err)
		return fprintf(stderr, "sessiond: %s\n", strerror(-err)), 1;
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
				/* It is registered: withdraw it, or the table's
				 * reference would keep it. The put closes the
				 * connection. */
				session_disconnect(s);
				session_put(s);
				refused++;
				continue;
			}
			served++;
		}
	}

	/* Sessions still open at the deadline are withdrawn; each thread
	 * finishes the request it has in flight, then ends. */
	server_wait_idle(&srv);
	err = server_shutdown(&srv);
	if (err)
		return fprintf(stderr, "sessiond: shutdown: %s\n", strerror(-err)), 1;
	for (size_t i = 0; i < served; i++)
		pthread_join(threads[i], NULL);

	/* Every thread that could hold a session is gone: the table must be
	 * empty, and nothing may be left alive. objlife_leak_check() lists
	 * what is. */
	err = server_fini(&srv);
	if (err)
		fprintf(stderr, "sessiond: the table still holds sessions: %s\n", strerror(-err));
	size_t live = objlife_leak_check(stderr);
	printf("sessiond: %zu sessions served, %zu refused, %zu released, %zu objects live\n",
	       served, refused, srv.released, live);
	return live == 0 && err == 0 ? 0 : 1;
}
