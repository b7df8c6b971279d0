/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs tests/diag/lifecycle (or another helper) as a subprocess with a
 * chosen OBJLIFE_DEBUG, and collects its exit status, stdout and stderr.
 * Plain posix_spawn(): the tests use GLib for GTest and nothing else.
 */
#ifndef OBJLIFE_DIAG_SPAWN_H
#define OBJLIFE_DIAG_SPAWN_H

#include <glib.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct diag_run {
	int status;        /* as from waitpid() */
	char *out, *err;   /* NUL-terminated; free with diag_run_free() */
};

static __attribute__((unused)) char *diag_slurp(FILE *f)
{
	long n;
	char *buf;

	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	g_assert_nonnull(buf);
	if (n > 0)
		g_assert_cmpuint(fread(buf, 1, (size_t)n, f), ==, (size_t)n);
	fclose(f);
	return buf;
}

/* Runs $top_builddir/tests/diag/@helper @mode with OBJLIFE_DEBUG=@debug
 * (NULL: unset) and OBJLIFE_DEBUG_FILE=@file (NULL: unset); every other
 * variable as in this process. */
static __attribute__((unused)) struct diag_run diag_spawn(const char *helper, const char *mode,
							   const char *debug, const char *file)
{
	const char *top = getenv("top_builddir");
	char path[4096], dbg[256], dfile[4096];
	char *argv[] = { path, (char *)mode, NULL };
	char **envp;
	size_t n = 0, i, k = 0;
	posix_spawn_file_actions_t fa;
	FILE *out = tmpfile(), *err = tmpfile();
	struct diag_run r;
	pid_t pid;

	g_assert_nonnull(out);
	g_assert_nonnull(err);
	snprintf(path, sizeof(path), "%s/tests/diag/%s", top ? top : ".", helper);
	while (environ[n])
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	g_assert_nonnull(envp);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "OBJLIFE_DEBUG=", 14) && strncmp(environ[i], "OBJLIFE_DEBUG_FILE=", 19))
			envp[k++] = environ[i];
	if (debug) {
		snprintf(dbg, sizeof(dbg), "OBJLIFE_DEBUG=%s", debug);
		envp[k++] = dbg;
	}
	if (file) {
		snprintf(dfile, sizeof(dfile), "OBJLIFE_DEBUG_FILE=%s", file);
		envp[k++] = dfile;
	}
	envp[k] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
	posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
	g_assert_cmpint(posix_spawn(&pid, path, &fa, NULL, argv, envp), ==, 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	g_assert_cmpint(waitpid(pid, &r.status, 0), ==, pid);
	r.out = diag_slurp(out);
	r.err = diag_slurp(err);
	return r;
}

static __attribute__((unused)) void diag_run_free(struct diag_run *r)
{
	free(r->out);
	free(r->err);
}

#endif /* OBJLIFE_DIAG_SPAWN_H */
