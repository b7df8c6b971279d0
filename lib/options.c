/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG and OBJLIFE_DEBUG_FILE, read once, at the first call into
 * the library that needs them; the file is opened at the first report the
 * default handler writes, never before. The diagnostics they switch on
 * cost nothing while they are unset: the allocation and teardown paths
 * test one word (ol_options(), inline), and the inline get/put in
 * objlife.h nothing at all.
 */
#include "objlife-private.h"
#include "diag/diag.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
# include <fcntl.h>
# include <sys/stat.h>
# include <unistd.h>
#endif

static pthread_once_t options_once = PTHREAD_ONCE_INIT;
/* OBJLIFE_DEBUG_FILE as read_options() found it; empty when unset. */
static char report_path[4096];
static bool report_path_too_long;
/* Where the default handler writes: NULL until the first report, which
 * opens report_path (or settles for stderr). Nothing is opened, or
 * created, before there is a report to write. Under stream_lock. */
static FILE *report_stream;
static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;
/* The options: OL_OPT_UNREAD until read_options() is done, then written
 * once (release, after report_path and exit_code), inside options_once;
 * read by ol_options() (acquire). */
unsigned ol_options_word = OL_OPT_UNREAD;
/* exitcode=N's N; written with the options, inside options_once. */
static int exit_code;

static const struct {
	const char *word;
	unsigned flag;
	const char *help;
} option_words[] = {
	{ "leaks", OL_OPT_LEAKS,
	  "keep a registry of live objects with their allocation stacks; report\n"
	  "objlife:              the live ones at exit, by type and allocation site" },
	{ "refs", OL_OPT_REFS | OL_OPT_LEAKS,
	  "objlife_get_tracked() records who holds each reference; leaked and\n"
	  "objlife:              misused trackers are reported with stacks (implies leaks)" },
	{ "poison", OL_OPT_POISON,
	  "keep freed objects in a bounded quarantine, filled and marked dead, so\n"
	  "objlife:              a get or put on them is reported instead of corrupting memory" },
	{ "abort", OL_OPT_ABORT, "the default report handler aborts after reporting" },
	{ "exitcode=N", OL_OPT_EXITCODE | OL_OPT_LEAKS,
	  "a process whose report at exit lists leaks exits with status N (0 to\n"
	  "objlife:              255), without aborting on other reports (implies leaks)" },
	{ "help", 0, "print this list" },
};
#define N_OPTIONS (sizeof(option_words) / sizeof(option_words[0]))

/* Append, not inherited by child processes: Microsoft's C library spells
 * O_CLOEXEC "N" (elsewhere the file is opened with open(2)). */
#ifdef _WIN32
# define OL_FOPEN_APPEND_CLOEXEC "aN"
#endif

static const char *get_env(const char *name)
{
	/* Diagnostics must not become a way to make a setuid program write to
	 * a file of the caller's choosing. */
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	return getenv(name);
#endif
}

static void print_help(void)
{
	size_t i;

	fputs("objlife: OBJLIFE_DEBUG is a comma-separated list of:\n", stderr);
	for (i = 0; i < N_OPTIONS; i++)
		fprintf(stderr, "objlife:   %-10s %s\n", option_words[i].word, option_words[i].help);
	fputs("objlife: OBJLIFE_DEBUG_FILE=path writes reports to path instead of stderr\n", stderr);
	fprintf(stderr, "objlife: stacks: %s\n", ol_backtrace_method());
}

static void print_unknown(const char *word, size_t len)
{
	size_t i;

	fprintf(stderr, "objlife: OBJLIFE_DEBUG: unknown option '%.*s' (valid:", (int)len, word);
	for (i = 0; i < N_OPTIONS; i++)
		fprintf(stderr, "%s %s", i ? "," : "", option_words[i].word);
	fputs(")\n", stderr);
}

#define EXITCODE "exitcode="

/* exitcode=N, N from 0 to 255 in decimal; false for anything else. */
static bool parse_exit_code(const char *word, size_t len)
{
	int n = 0;
	size_t i;

	len -= strlen(EXITCODE);
	word += strlen(EXITCODE);
	if (!len || len > 3)
		return false;
	for (i = 0; i < len; i++) {
		if (word[i] < '0' || word[i] > '9')
			return false;
		n = n * 10 + (word[i] - '0');
	}
	if (n > 255)
		return false;
	exit_code = n;
	return true;
}

static unsigned parse(const char *list)
{
	unsigned flags = 0;
	bool help = false, warned = false;

	while (*list) {
		size_t len = strcspn(list, ",");
		size_t i;

		if (len >= strlen(EXITCODE) && !strncmp(list, EXITCODE, strlen(EXITCODE))) {
			if (parse_exit_code(list, len))
				flags |= OL_OPT_EXITCODE | OL_OPT_LEAKS;
			else
				fprintf(stderr, "objlife: OBJLIFE_DEBUG: '%.*s' ignored: exitcode wants a "
					"number from 0 to 255\n", (int)len, list);
			list += len;
			if (*list == ',')
				list++;
			continue;
		}
		for (i = 0; i < N_OPTIONS; i++) {
			if (strlen(option_words[i].word) == len &&
			    !strncmp(option_words[i].word, list, len))
				break;
		}
		if (i < N_OPTIONS) {
			flags |= option_words[i].flag;
			help |= !strcmp(option_words[i].word, "help");
		} else if (len && !warned) {
			/* One warning, however many unknown words. */
			print_unknown(list, len);
			warned = true;
		}
		list += len;
		if (*list == ',')
			list++;
	}
	if (help)
		print_help();
	return flags;
}

static void stream_lock_take(void)
{
	pthread_mutex_lock(&stream_lock);
}

static void stream_lock_drop(void)
{
	pthread_mutex_unlock(&stream_lock);
}

static void read_options(void)
{
	const char *debug = get_env("OBJLIFE_DEBUG");
	const char *file = get_env("OBJLIFE_DEBUG_FILE");
	unsigned options = debug ? parse(debug) : 0;

	/* Copied: the program may change its environment later. */
	if (file && *file)
		report_path_too_long = (size_t)snprintf(report_path, sizeof(report_path), "%s", file) >=
				       sizeof(report_path);
	/* A fork while another thread opens the file must not leave the
	 * child with a lock nobody will release. */
	ol_atfork(stream_lock_take, stream_lock_drop, stream_lock_drop);
	ol_store32(&ol_options_word, options, OL_RELEASE);
}

int ol_options_exit_code(void)
{
	return exit_code;
}

/* Why report_path cannot be opened, for the line that says so. */
static const char *open_error(int err)
{
#ifndef _WIN32
	struct stat st;

	if (err == ENXIO && !stat(report_path, &st) && S_ISFIFO(st.st_mode))
		return "a FIFO that no process has open for reading";
#endif
	return strerror(err);
}

/* stream_lock held: the stream for the first report. */
static FILE *open_report_stream(void)
{
	FILE *f = NULL;
	int err = ENAMETOOLONG;

	if (!report_path[0])
		return stderr;
	if (!report_path_too_long) {
#ifdef _WIN32
		f = fopen(report_path, OL_FOPEN_APPEND_CLOEXEC);
		err = errno;
#else
		/* Never blocks: a FIFO with no reader fails with ENXIO instead
		 * of holding up the report (and the program) until one comes.
		 * Once open, writes may wait for a slow reader, as on stderr. */
		int fd = open(report_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666);

		err = errno;
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);

			if (fl != -1)
				fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			f = fdopen(fd, "a");
			if (!f) {
				err = errno;
				close(fd);
			}
		}
#endif
	}
	if (!f) {
		fprintf(stderr, "objlife: OBJLIFE_DEBUG_FILE: cannot open '%s' (%s); reporting to stderr\n",
			report_path, open_error(err));
		return stderr;
	}
#ifndef _WIN32
	/* Microsoft's C library has no line buffering (_IOLBF is full
	 * buffering there, and a size of 0 an invalid argument); each report
	 * is flushed anyway. */
	setvbuf(f, NULL, _IOLBF, 0);
#endif
	return f;
}

unsigned ol_options_read(void)
{
	pthread_once(&options_once, read_options);
	return ol_load32(&ol_options_word, OL_ACQUIRE);
}

FILE *ol_report_stream(void)
{
	FILE *out;

	ol_options();
	pthread_mutex_lock(&stream_lock);
	if (!report_stream)
		report_stream = open_report_stream();
	out = report_stream;
	pthread_mutex_unlock(&stream_lock);
	return out;
}
