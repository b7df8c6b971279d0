/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests examples/sessiond two ways, and prints TAP.
 *
 * As a user's clients would, over TCP, against the program:
 * Run 1 (sessiond -c 14 -s 6 -t 60):
 *   - six clients at once: each names itself, sees all six sessions in
 *     STATS, and looks up a neighbour with WHO; then three of them go away
 *     abruptly (half a request then close, a reset, a request whose reply is
 *     never read) and the other three see them disappear from STATS and
 *     from WHO, and QUIT;
 *   - six sessions at once again, and a seventh is refused with "ERR busy";
 *   - the fourteenth connection ends the run: the server exits 0 by itself
 *     and reports 13 served, 1 refused, 13 released, 0 objects live.
 * Run 2 (sessiond -c 5 -t 2): an idle client, and a second one whose WAIT
 *   for the first is in flight at the deadline: the shutdown answers the
 *   WAIT, closes both connections, and the server exits 0 although it
 *   accepted only two connections.
 *
 * In this process, with examples/sessiond.c compiled in (its main()
 * renamed), on loopback connections: the test holds a session as a WAIT
 * does, and records under a mutex when the holder lets go and when the
 * withdrawal returns.
 *   - A disconnect while the session is held (by the test, and by the WAIT
 *     of another session): lookups fail from its start; it returns only
 *     after the holder let go.
 *   - A shutdown while a client's WAIT is in flight and the test holds a
 *     session: the WAIT is answered, the shutdown returns only after the
 *     holder let go, every session is released once, none is left alive,
 *     and objlife_table_free() returns 0.
 *
 * The server is found through $top_builddir (make check sets it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The example whole: its sessions, its table and its shutdown, for the
 * cases that run in this process. */
int sessiond_main(int argc, char **argv);
#define main sessiond_main
#include "../examples/sessiond.c"
#undef main

#define NCLIENTS 6

static unsigned server_port;    /* where clients connect */
static int tap_n;
static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 2, 3)))
static bool tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tap_lock);
	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	return ok;
}

__attribute__((format(printf, 1, 2)))
static void diag(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tap_lock);
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
}

/* ------------------------------------------------------------------ */
/* A client connection with line-buffered reads and a 10 s timeout     */
/* ------------------------------------------------------------------ */

struct client {
	int fd;
	char buf[1024];
	size_t len;
	char line[1024];        /* the last line read, without its newline */
};

static bool client_open(struct client *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };

	memset(c, 0, sizeof(*c));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)server_port);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Close with a reset instead of a FIN: SO_LINGER with a zero timeout. */
/* Closes with a reset (RST) instead of a FIN; false if it could not. */
static bool client_reset(struct client *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	bool ok = setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0;

	client_close(c);
	return ok;
}

static bool client_send(struct client *c, const char *text)
{
	return send(c->fd, text, strlen(text), MSG_NOSIGNAL) == (ssize_t)strlen(text);
}

/* Reads one line into c->line; false at the end of the stream or on the
 * timeout. */
static bool client_read(struct client *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - c->buf) + 1;

			memcpy(c->line, c->buf, used - 1);
			c->line[used - 1] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return true;
		}
		if (c->len == sizeof(c->buf))
			return false;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0)
			return false;
		c->len += (size_t)n;
	}
}

/* True when the server closed the connection (and sent nothing more). */
static bool client_sees_eof(struct client *c)
{
	char byte;

	return c->len == 0 && recv(c->fd, &byte, 1, 0) == 0;
}

/* Sends @req and checks that the reply is @expected; describes a mismatch
 * in @why. */
static bool ask(struct client *c, const char *req, const char *expected, char *why, size_t size)
{
	char text[256];

	snprintf(text, sizeof(text), "%s\n", req);
	if (!client_send(c, text) || !client_read(c)) {
		snprintf(why, size, "%s: no reply", req);
		return false;
	}
	if (strcmp(c->line, expected) != 0) {
		snprintf(why, size, "%.60s: got '%.100s', expected '%.60s'", req, c->line, expected);
		return false;
	}
	return true;
}

/* Polls STATS until it reports @n sessions (sessions that were abandoned
 * by their peers take a moment to be noticed). */
static bool wait_for_sessions(struct client *c, unsigned n, char *why, size_t size)
{
	char expected[64];
	int i;

	snprintf(expected, sizeof(expected), "STATS sessions=%u", n);
	for (i = 0; i < 200; i++) {
		if (!client_send(c, "STATS\n") || !client_read(c))
			break;
		if (!strcmp(c->line, expected))
			return true;
		usleep(25 * 1000);
	}
	snprintf(why, size, "STATS: got '%.100s', expected '%s'", c->line, expected);
	return false;
}

/* ------------------------------------------------------------------ */
/* The server process                                                  */
/* ------------------------------------------------------------------ */

struct proc {
	pid_t pid;
	FILE *out;              /* its standard output */
};

static bool proc_start(struct proc *srv, char *const argv[])
{
	int pipefd[2];
	char line[256];

	if (pipe(pipefd) != 0)
		return false;
	srv->pid = fork();
	if (srv->pid < 0)
		return false;
	if (srv->pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	srv->out = fdopen(pipefd[0], "r");
	if (!srv->out || !fgets(line, sizeof(line), srv->out) ||
	    sscanf(line, "sessiond: listening on 127.0.0.1:%u", &server_port) != 1) {
		diag("first line: %s", srv->out ? line : "(none)");
		return false;
	}
	return true;
}

/* Waits up to @seconds for the server to exit by itself; kills it after. */
static int proc_wait(struct proc *srv, int seconds, char *last, size_t size)
{
	int status = -1, i;
	char line[256];

	for (i = 0; i < seconds * 20; i++) {
		if (waitpid(srv->pid, &status, WNOHANG) == srv->pid)
			break;
		usleep(50 * 1000);
	}
	if (i == seconds * 20) {
		diag("sessiond did not exit within %d s: killing it", seconds);
		kill(srv->pid, SIGKILL);
		waitpid(srv->pid, &status, 0);
	}
	last[0] = '\0';
	while (fgets(line, sizeof(line), srv->out))
		snprintf(last, size, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(srv->out);
	return status;
}

/* ------------------------------------------------------------------ */
/* Run 1, phase A: six clients at once                                 */
/* ------------------------------------------------------------------ */

/* The clients meet three times: when all are named, when all have looked
 * up a neighbour, and (the three that stay) when all have seen the other
 * three go. A client that failed early still turns up at each meeting, so
 * that the others do not wait for it forever. */
static pthread_barrier_t all_named, all_looked_up, stayers_saw_it;
static unsigned ids[NCLIENTS];

static void meet_until(int i, int *met, int upto)
{
	while (*met < upto) {
		switch (++*met) {
		case 1:
			pthread_barrier_wait(&all_named);
			break;
		case 2:
			pthread_barrier_wait(&all_looked_up);
			break;
		case 3:
			if (i < NCLIENTS / 2)
				pthread_barrier_wait(&stayers_saw_it);
			break;
		}
	}
}

static void *client_thread(void *arg)
{
	int i = (int)(intptr_t)arg, met = 0;
	struct client c;
	char req[64], expected[64], why[256] = "";
	bool ok = false;

	if (!client_open(&c) || !client_read(&c) || sscanf(c.line, "HELLO %u", &ids[i]) != 1) {
		snprintf(why, sizeof(why), "no HELLO: '%.100s'", c.line);
		goto out;
	}
	snprintf(req, sizeof(req), "NAME client-%d", i);
	if (!ask(&c, req, "OK", why, sizeof(why)))
		goto out;

	meet_until(i, &met, 1);
	if (!ask(&c, "STATS", "STATS sessions=6", why, sizeof(why)))
		goto out;
	snprintf(req, sizeof(req), "WHO %u", ids[(i + 1) % NCLIENTS]);
	snprintf(expected, sizeof(expected), "%u client-%d", ids[(i + 1) % NCLIENTS], (i + 1) % NCLIENTS);
	if (!ask(&c, req, expected, why, sizeof(why)))
		goto out;

	/* Everyone has looked up a neighbour: half of them go away. */
	meet_until(i, &met, 2);
	switch (i) {
	case 3:         /* half a request, then close */
		ok = client_send(&c, "ECHO never fini");
		client_close(&c);
		return tap(ok, "client %d: named, STATS, WHO; left in the middle of a request", i), NULL;
	case 4:         /* a reset */
		ok = client_reset(&c);
		return tap(ok, "client %d: named, STATS, WHO; reset the connection", i), NULL;
	case 5:         /* a request whose reply is never read */
		ok = client_send(&c, "STATS\n");
		client_close(&c);
		return tap(ok, "client %d: named, STATS, WHO; left without reading a reply", i), NULL;
	}

	/* The others watch them disappear, from STATS and from WHO, and wait
	 * for each other before the first of them quits. */
	ok = wait_for_sessions(&c, NCLIENTS / 2, why, sizeof(why));
	meet_until(i, &met, 3);
	if (!ok)
		goto out;
	ok = false;
	snprintf(req, sizeof(req), "WHO %u", ids[i + NCLIENTS / 2]);
	if (!ask(&c, req, "ERR no such session", why, sizeof(why)) ||
	    !ask(&c, "ECHO hello, world", "hello, world", why, sizeof(why)) ||
	    !ask(&c, "QUIT", "BYE", why, sizeof(why)))
		goto out;
	if (!client_sees_eof(&c)) {
		snprintf(why, sizeof(why), "the server did not close after BYE");
		goto out;
	}
	ok = true;
out:
	meet_until(i, &met, 3);
	client_close(&c);
	tap(ok, "client %d: named, STATS, WHO; saw the abandoned sessions go; QUIT%s%s",
	    i, ok ? "" : ": ", why);
	return NULL;
}

static void run_busy_phase(void)
{
	struct client c[NCLIENTS], extra;
	char why[256] = "";
	bool ok;
	int i;

	/* The sessions of phase A end soon after their clients saw the
	 * server close: wait until the first new one is alone, then six fit. */
	ok = client_open(&c[0]) && client_read(&c[0]) && !strncmp(c[0].line, "HELLO ", 6) &&
	     wait_for_sessions(&c[0], 1, why, sizeof(why));
	for (i = 1; i < NCLIENTS && ok; i++)
		ok = client_open(&c[i]) && client_read(&c[i]) && !strncmp(c[i].line, "HELLO ", 6);
	if (ok)
		ok = wait_for_sessions(&c[0], NCLIENTS, why, sizeof(why));
	tap(ok, "six sessions at once again%s%s", ok ? "" : ": ", why);

	ok = client_open(&extra) && client_read(&extra) && !strcmp(extra.line, "ERR busy") &&
	     client_sees_eof(&extra);
	tap(ok, "a seventh is refused with 'ERR busy' and closed (got '%s')", extra.line);
	client_close(&extra);

	ok = ask(&c[1], "STATS", "STATS sessions=6", why, sizeof(why));
	tap(ok, "the refused one never became a session%s%s", ok ? "" : ": ", why);

	/* Two leave politely, two abruptly, two in the middle of a line. */
	for (i = 0; i < NCLIENTS; i++) {
		if (i < 2) {
			ask(&c[i], "QUIT", "BYE", why, sizeof(why));
			client_close(&c[i]);
		} else if (i < 4) {
			client_reset(&c[i]);
		} else {
			client_send(&c[i], "NAME half");
			client_close(&c[i]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* In this process: sessiond.c's sessions, table and shutdown          */
/* ------------------------------------------------------------------ */

/* What the holder and the withdrawing thread do, recorded in order under
 * the lock: whether a withdrawal returned before the holder let go is
 * read from the order, not from how long anything took. */
enum step { WITHDRAW_STARTS, HOLDER_NUDGED, HOLDER_LETS_GO, WITHDRAW_RETURNS, NSTEPS };

static const char *const step_names[NSTEPS] = {
	"withdrawal starts", "holder nudged", "holder lets go", "withdrawal returns",
};

struct record {
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* broadcast at each step, and at go */
	enum step steps[NSTEPS];
	int n;
	bool go;                        /* the test lets the holder go */
	int err;                        /* what the withdrawal returned */
};

static void record(struct record *r, enum step st)
{
	pthread_mutex_lock(&r->lock);
	if (r->n < NSTEPS)
		r->steps[r->n++] = st;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Whether @st is recorded within @ms: a step that must not come yet is
 * given that long to show up, while the holder still holds. */
static bool step_within(struct record *r, enum step st, int ms)
{
	struct timespec until;
	bool found = false;
	int i, err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->lock);
	while (!found && err != ETIMEDOUT) {
		for (i = 0; i < r->n; i++)
			found = found || r->steps[i] == st;
		if (!found)
			err = pthread_cond_timedwait(&r->cond, &r->lock, &until);
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* The holder was nudged: the withdrawal has begun. A nudge that never
 * comes would leave the holder, and the test, waiting for ever. */
static void await_nudge(struct record *r)
{
	if (!step_within(r, HOLDER_NUDGED, 10000)) {
		printf("Bail out! the holder was not asked to let go within 10 s\n");
		exit(1);
	}
}

static void let_go(struct record *r)
{
	pthread_mutex_lock(&r->lock);
	r->go = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* True when the four steps were recorded in their natural order; the
 * order as it was, in @text. */
static bool in_order(struct record *r, char *text, size_t size)
{
	size_t len = 0;
	bool ok;
	int i;

	pthread_mutex_lock(&r->lock);
	ok = r->n == NSTEPS;
	text[0] = '\0';
	for (i = 0; i < r->n; i++) {
		ok = ok && r->steps[i] == (enum step)i;
		len += (size_t)snprintf(text + len, len < size ? size - len : 0, "%s%s",
					i ? ", " : "", step_names[r->steps[i]]);
		if (len >= size)
			len = size;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* The test's holder: a reference to a session taken with session_find(),
 * as a worker takes one for a request, kept until the session's
 * withdrawal has begun and the test says go. */
struct holder {
	struct record *rec;
	struct server *srv;
	struct session *s;              /* the holder's reference */
	uint64_t id;
	bool lookup_failed;             /* session_find(id) once nudged */
};

static void *holder_thread(void *arg)
{
	struct holder *h = arg;
	struct session *again;

	/* What session_request() tells a WAIT; waited for here without the
	 * shutdown's early end, to see this session's own nudge. */
	pthread_mutex_lock(&h->srv->lock);
	while (!h->s->withdrawn)
		pthread_cond_wait(&h->srv->changed, &h->srv->lock);
	pthread_mutex_unlock(&h->srv->lock);
	again = session_find(h->srv, h->id);
	h->lookup_failed = again == NULL;
	session_put(again);
	record(h->rec, HOLDER_NUDGED);

	pthread_mutex_lock(&h->rec->lock);
	while (!h->rec->go)
		pthread_cond_wait(&h->rec->cond, &h->rec->lock);
	pthread_mutex_unlock(&h->rec->lock);
	record(h->rec, HOLDER_LETS_GO);
	session_put(h->s);
	return NULL;
}

/* Withdraws one session as its thread does at the end of its connection
 * (session_disconnect(), then the put of its reference), or every one as
 * main() does at the end (server_shutdown()). */
struct withdrawal {
	struct record *rec;
	struct server *srv;
	struct session *s;              /* NULL: the shutdown */
};

static void *withdraw_thread(void *arg)
{
	struct withdrawal *w = arg;
	int err;

	record(w->rec, WITHDRAW_STARTS);
	err = w->s ? session_disconnect(w->s) : server_shutdown(w->srv);
	pthread_mutex_lock(&w->rec->lock);
	w->rec->err = err;
	pthread_mutex_unlock(&w->rec->lock);
	record(w->rec, WITHDRAW_RETURNS);
	session_put(w->s);
	return NULL;
}

/* Reports other than DRAIN_WAIT (a slow machine may wait a second): a
 * release run twice, a put too many. */
static int bad_reports;

static void on_report(enum objlife_event event, const struct objlife *obj, const char *message,
		      void *data)
{
	(void)obj;
	(void)data;
	if (event != OBJLIFE_EVENT_DRAIN_WAIT)
		__atomic_add_fetch(&bad_reports, 1, __ATOMIC_RELAXED);
	diag("report: %s", message);
}

/* A new session on a loopback connection, its client end in @c; NULL if
 * none could be made. The caller owns the reference, and plays the
 * session's thread. */
static struct session *open_session(struct server *srv, int lfd, struct client *c)
{
	struct session *s;
	int fd;

	if (!client_open(c))
		return NULL;
	fd = accept(lfd, NULL, NULL);
	s = fd < 0 ? NULL : session_new(srv, fd);
	if (!s && fd >= 0)
		close(fd);
	return s;
}

/* A new session served by session_thread(), which owns the reference, as
 * main() starts one; its id, read from HELLO, or 0. */
static uint64_t start_session(struct server *srv, int lfd, struct client *c, pthread_t *thread)
{
	struct session *s = open_session(srv, lfd, c);
	uint64_t id;

	if (!s)
		return 0;
	if (pthread_create(thread, NULL, session_thread, s) != 0) {
		session_disconnect(s);
		session_put(s);
		return 0;
	}
	if (!client_read(c) || sscanf(c->line, "HELLO %" SCNu64, &id) != 1)
		return 0;
	return id;
}

static size_t released(struct server *srv)
{
	size_t n;

	pthread_mutex_lock(&srv->lock);
	n = srv->released;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

#define RECORD_INIT { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER }

/* The holder takes session @id (the one @w withdraws, if @w names one),
 * then the holder's and the withdrawal's threads start. */
static void hold_and_withdraw(struct holder *h, struct withdrawal *w, uint64_t id, pthread_t *th,
			      pthread_t *tw)
{
	h->id = id;
	h->s = session_find(h->srv, id);
	if (!h->s || (w->s && h->s != w->s)) {
		printf("Bail out! session %" PRIu64 " is not found by its id\n", id);
		exit(1);
	}
	pthread_create(th, NULL, holder_thread, h);
	pthread_create(tw, NULL, withdraw_thread, w);
}

/* Session B is disconnected while two threads hold it: A's thread, in a
 * WAIT for B, and the test's holder. */
static void test_disconnect_while_held(int lfd)
{
	struct server srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_sessions = 4 };
	struct record rec = RECORD_INIT;
	struct client ca, cb;
	struct holder h = { .rec = &rec, .srv = &srv };
	struct withdrawal w = { .rec = &rec, .srv = &srv };
	char req[64], expected[64], order[256], why[256] = "";
	pthread_t ta, th, tw;
	uint64_t ida, idb;
	size_t n_released, n_live;
	bool ok;

	if (server_init(&srv) != 0) {
		printf("Bail out! server_init() failed\n");
		exit(1);
	}
	/* A has its thread; B has none: the test is B's thread, and
	 * withdraws it as session_thread() does when the client goes. */
	ida = start_session(&srv, lfd, &ca, &ta);
	w.s = open_session(&srv, lfd, &cb);
	if (ida == 0 || !w.s) {
		printf("Bail out! no sessions to test with\n");
		exit(1);
	}
	idb = w.s->id;

	snprintf(req, sizeof(req), "WAIT %" PRIu64, idb);
	snprintf(expected, sizeof(expected), "WAITING %" PRIu64, idb);
	ok = ask(&ca, req, expected, why, sizeof(why));
	hold_and_withdraw(&h, &w, idb, &th, &tw);

	/* The withdrawal's request function woke A's WAIT. */
	snprintf(expected, sizeof(expected), "GONE %" PRIu64, idb);
	ok = ok && client_read(&ca) && !strcmp(ca.line, expected);
	tap(ok, "disconnect while held: another session's WAIT on it is woken and says GONE%s%s",
	    ok ? "" : ": ", ok ? "" : why[0] ? why : ca.line);

	/* The holder still holds B: the withdrawal waits, and meanwhile no
	 * lookup finds B, though B is alive. */
	await_nudge(&rec);
	snprintf(req, sizeof(req), "WHO %" PRIu64, idb);
	why[0] = '\0';
	ok = h.lookup_failed && ask(&ca, req, "ERR no such session", why, sizeof(why)) &&
	     ask(&ca, "STATS", "STATS sessions=2", why, sizeof(why)) &&
	     objlife_table_count(srv.sessions) == 1;
	if (ok && step_within(&rec, WITHDRAW_RETURNS, 200)) {
		snprintf(why, sizeof(why), "the disconnect returned while B was held");
		ok = false;
	}
	tap(ok, "lookups fail from the start of the disconnect, while B is alive and held%s%s",
	    ok ? "" : ": ", why);

	let_go(&rec);
	pthread_join(th, NULL);
	pthread_join(tw, NULL);
	ok = in_order(&rec, order, sizeof(order)) && rec.err == 0;
	tap(ok, "objlife_unregister() returns after the holder lets go, not before (%s; returned %d)",
	    order, rec.err);

	/* B went with the withdrawing thread's put; A ends as a client
	 * ends it. */
	n_released = released(&srv);
	n_live = objlife_live_count(&session_ops);
	why[0] = '\0';
	ok = n_released == 1 && n_live == 1 && ask(&ca, "QUIT", "BYE", why, sizeof(why)) &&
	     client_sees_eof(&ca);
	pthread_join(ta, NULL);
	ok = ok && released(&srv) == 2 && objlife_live_count(&session_ops) == 0 &&
	     objlife_table_count(srv.sessions) == 0 && server_fini(&srv) == 0 &&
	     __atomic_load_n(&bad_reports, __ATOMIC_RELAXED) == 0;
	tap(ok, "B released at the put after its disconnect (%zu released, %zu live), A at its QUIT; "
	    "none live; objlife_table_free() returns 0%s%s", n_released, n_live, ok ? "" : ": ", why);
	client_close(&ca);
	client_close(&cb);
}

/* The shutdown, while A's WAIT for B is in flight and the test holds B;
 * C ended by itself before. */
static void test_shutdown_in_flight(int lfd)
{
	struct server srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_sessions = 4 };
	struct record rec = RECORD_INIT;
	struct client ca, cb, cc;
	struct holder h = { .rec = &rec, .srv = &srv };
	struct withdrawal w = { .rec = &rec, .srv = &srv };   /* no session: the shutdown */
	char req[64], expected[64], order[256], why[256] = "";
	pthread_t ta, tb, tc, th, tw;
	uint64_t ida, idb, idc;
	bool ok;

	if (server_init(&srv) != 0) {
		printf("Bail out! server_init() failed\n");
		exit(1);
	}
	ida = start_session(&srv, lfd, &ca, &ta);
	idb = start_session(&srv, lfd, &cb, &tb);
	idc = start_session(&srv, lfd, &cc, &tc);
	if (!ida || !idb || !idc) {
		printf("Bail out! no sessions to test with\n");
		exit(1);
	}

	snprintf(req, sizeof(req), "WAIT %" PRIu64, idb);
	snprintf(expected, sizeof(expected), "WAITING %" PRIu64, idb);
	ok = ask(&cc, "QUIT", "BYE", why, sizeof(why)) && client_sees_eof(&cc) &&
	     ask(&ca, req, expected, why, sizeof(why));
	hold_and_withdraw(&h, &w, idb, &th, &tw);

	/* Every session goes: the WAIT in flight is answered at once. */
	snprintf(expected, sizeof(expected), "GONE %" PRIu64, idb);
	ok = ok && client_read(&ca) && !strcmp(ca.line, expected);
	tap(ok, "shutdown: the WAIT in flight is answered: '%s'%s%s", ca.line,
	    why[0] ? ": " : "", why);

	/* B's own withdrawal has begun; the shutdown waits for the holder. */
	await_nudge(&rec);
	ok = h.lookup_failed && !step_within(&rec, WITHDRAW_RETURNS, 200);
	let_go(&rec);
	pthread_join(th, NULL);
	pthread_join(tw, NULL);
	ok = in_order(&rec, order, sizeof(order)) && rec.err == 0 && ok;
	tap(ok, "shutdown: lookups of B fail once it is withdrawn; the shutdown returns after "
	    "the holder lets go, not before (%s; returned %d)", order, rec.err);

	/* Each connection closed once its requests were answered. */
	ok = client_sees_eof(&ca) && client_sees_eof(&cb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	ok = ok && released(&srv) == 3 && objlife_live_count(&session_ops) == 0 &&
	     __atomic_load_n(&bad_reports, __ATOMIC_RELAXED) == 0;
	tap(ok && server_fini(&srv) == 0,
	    "shutdown: connections closed, every session released once (%zu of 3), "
	    "objlife_live_count() 0, objlife_table_free() returns 0", released(&srv));
	client_close(&ca);
	client_close(&cb);
	client_close(&cc);
}

int main(void)
{
	const char *builddir = getenv("top_builddir");
	char path[4096], last[256], why[256] = "", expected_line[64];
	pthread_t threads[NCLIENTS];
	struct proc srv;
	struct client c;
	int status, i;
	bool ok;

	alarm(120);     /* whatever happens, this test ends */
	snprintf(path, sizeof(path), "%s/examples/sessiond", builddir ? builddir : ".");
	printf("1..%d\n", NCLIENTS + 15);

	/* Run 1 */
	{
		char *argv[] = { path, "-c", "14", "-s", "6", "-t", "60", NULL };

		if (!tap(proc_start(&srv, argv), "sessiond starts and says where it listens"))
			return printf("Bail out! %s did not start\n", path), 1;
	}
	pthread_barrier_init(&all_named, NULL, NCLIENTS);
	pthread_barrier_init(&all_looked_up, NULL, NCLIENTS);
	pthread_barrier_init(&stayers_saw_it, NULL, NCLIENTS / 2);
	for (i = 0; i < NCLIENTS; i++)
		pthread_create(&threads[i], NULL, client_thread, (void *)(intptr_t)i);
	for (i = 0; i < NCLIENTS; i++)
		pthread_join(threads[i], NULL);

	run_busy_phase();       /* connections 7 to 13 */

	/* The fourteenth connection: the last the server accepts. */
	ok = client_open(&c) && client_read(&c) &&
	     wait_for_sessions(&c, 1, why, sizeof(why)) &&
	     ask(&c, "QUIT", "BYE", why, sizeof(why));
	tap(ok, "the last connection: abandoned sessions are gone, QUIT%s%s", ok ? "" : ": ", why);
	client_close(&c);

	status = proc_wait(&srv, 20, last, sizeof(last));
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sessiond exits by itself after 14 connections, with status 0 (status %#x)", status);
	tap(!strcmp(last, "sessiond: 13 sessions served, 1 refused, 13 released, 0 objects live"),
	    "every session was released, its leak check finds nothing: '%s'", last);

	/* Run 2: the run-time bound, and the shutdown it starts. */
	{
		char *argv[] = { path, "-c", "5", "-t", "2", NULL };
		time_t start = time(NULL);
		struct client c2;
		char req[64], gone[64];
		unsigned id = 0;

		why[0] = '\0';
		ok = proc_start(&srv, argv) && client_open(&c) && client_read(&c) &&
		     sscanf(c.line, "HELLO %u", &id) == 1;
		snprintf(req, sizeof(req), "WAIT %u", id);
		snprintf(expected_line, sizeof(expected_line), "WAITING %u", id);
		snprintf(gone, sizeof(gone), "GONE %u", id);
		ok = ok && client_open(&c2) && client_read(&c2) &&
		     ask(&c2, req, expected_line, why, sizeof(why));
		/* The deadline: the WAIT in flight is answered, then both
		 * connections close. */
		ok = ok && client_read(&c2) && !strcmp(c2.line, gone) && client_sees_eof(&c2) &&
		     client_sees_eof(&c);
		client_close(&c);
		client_close(&c2);
		status = proc_wait(&srv, 10, last, sizeof(last));
		tap(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    !strcmp(last, "sessiond: 2 sessions served, 0 refused, 2 released, 0 objects live") &&
		    time(NULL) - start < 10,
		    "with -t 2, an idle client and a WAIT in flight at the deadline: the WAIT is "
		    "answered, both are closed, and sessiond exits 0: '%s'%s%s",
		    last, why[0] ? ": " : "", why);
	}

	/* In this process. */
	{
		int lfd = listen_on_loopback(&server_port);

		if (lfd < 0)
			return printf("Bail out! listen: %s\n", strerror(errno)), 1;
		objlife_set_report_handler(on_report, NULL);
		test_disconnect_while_held(lfd);
		test_shutdown_in_flight(lfd);
		objlife_set_report_handler(NULL, NULL);
		close(lfd);
	}
	return 0;
}
