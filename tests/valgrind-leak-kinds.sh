#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-valgrind's LOG_COMPILER: runs COMMAND... PROGRAM as given,
# except that the programs below, whose fork() children end with _exit()
# (as the child of a threaded process must), are held to definite leaks
# only: no destructor runs in such a child, so neither the library nor
# GLib frees anything there, and every block it inherited is reachable.
#   valgrind-leak-kinds.sh COMMAND... PROGRAM
for program do :; done
case $program in
*/test-report) ;;
*) exec "$@" ;;
esac
# The flags go last before PROGRAM: valgrind's later flags win.
n=$#
i=0
for arg do
	i=$((i + 1))
	[ "$i" -eq "$n" ] && set -- "$@" --errors-for-leak-kinds=definite --show-leak-kinds=definite
	set -- "$@" "$arg"
	shift
done
exec "$@"
