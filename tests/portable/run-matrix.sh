#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The portability matrix (README's "Portability"): run by
# `make check-portability`, which first copies the distributed sources to
# DIR/src (make distdir). Each row configures and builds those sources in a
# directory of its own, DIR/ROW, never in the source tree, and prints one
# TAP line; its whole output is in DIR/ROW.log, and the last lines of it
# follow a failing row as "# " lines.
#
#   clang    the whole make check, built with CC=clang CXX=clang++
#   ilp32    make check-ilp32 (make check without the LP64 ABI reference
#            check; configured --disable-binding-tests, as python3 and
#            cargo are 64-bit), built with gcc -m32 and Debian's i386 GLib
#            and libdw; sizeof(struct objlife) must be 12 there. On a
#            kernel that cannot execute 32-bit programs it cross-compiles
#            (--host=i686-linux-gnu) and runs every i386 program under
#            qemu-i386-static (see i386_exec below)
#   musl     ./configure CC=musl-gcc --disable-tests; the GLib-free checks
#            (tests/portable/core-check, the examples, sessiond) run on musl
#   s390x    cross-built with clang --target=s390x-linux-gnu; core-check
#            and the examples run big-endian under qemu-s390x-static
#   windows  cross-built with mingw-w64 as a DLL and import library;
#            core-check.exe (also on the MSVC Interlocked fast path),
#            windows-guards.exe (no pthreads: SRWLOCK guards) and
#            minimal.exe run under wine
#   modes    objlife.h and <objlife/cleanup.h> in every C and C++ mode the
#            README's "Portability" lists, with gcc, clang, g++ and clang++
#
# Usage: run-matrix.sh DIR [ROW...]   (all rows by default)
#
# A row whose tools are missing fails, naming each tool and the Debian
# package that provides it; it is never skipped. The rows' packages are the
# profiles matrix-ROW of .ci/deps; on Debian those of the rows that run are
# installed first when running as root (or through sudo), by .ci/deps's
# deps_install; PORTABILITY_NO_INSTALL=1 leaves the system alone. GLib for
# i386 is not installed: its Debian packages (profile ilp32-root) are
# downloaded and unpacked under DIR, which works beside the amd64 GLib
# whatever versions the two have.

# shellcheck disable=SC3043 # local: dash, bash and busybox sh all have it
set -u
[ $# -ge 1 ] || { echo "usage: $0 DIR [ROW...]" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 2
shift
src=$dir/src
[ -x "$src/configure" ] || { echo "Bail out! $src/configure is missing: run make check-portability"; exit 1; }
rows=${*:-clang ilp32 musl s390x windows modes}
jobs=$(nproc 2>/dev/null || echo 2)
# Every row's make is a make of its own, not a sub-make of the caller's.
unset MAKEFLAGS MFLAGS MAKELEVEL
export DEBIAN_FRONTEND=noninteractive
# The row's programs must not inherit debugging from the caller.
unset OBJLIFE_DEBUG OBJLIFE_DEBUG_FILE

# The package lists (Debian 12 names) and deps_install, from the
# distributed sources.
[ -f "$src/.ci/deps" ] || { echo "Bail out! $src/.ci/deps is missing: is it in EXTRA_DIST?"; exit 1; }
# shellcheck source=../../.ci/deps
. "$src/.ci/deps"
profiles=
for row in $rows; do
	deps_packages "matrix-$row" >/dev/null 2>&1 && profiles="$profiles matrix-$row"
done

now() { date +%s; }
t0=$(now)

# ---- setup ------------------------------------------------------------

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		return 1
	fi
}

# The packages of the rows that run (their matrix-ROW profiles), installed
# by deps_install with apt-get's output in DIR/packages.log. Whatever is
# still missing then makes its rows fail, each naming what it lacks.
install_packages() {
	local missing
	[ -n "$profiles" ] || { echo "# packages: no row with a package profile"; return 0; }
	if [ "${PORTABILITY_NO_INSTALL:-}" = 1 ]; then
		# shellcheck disable=SC2086 # profiles are words
		missing=$(deps_missing $profiles)
		if [ -z "$missing" ]; then
			echo "# packages: all installed"
		else
			echo "# packages: missing: $missing (not installed: PORTABILITY_NO_INSTALL=1)"
		fi
		return 0
	fi
	rm -f "$dir/packages.log"
	# shellcheck disable=SC2086,SC2034 # profiles are words; deps_log is deps_install's
	deps_log=$dir/packages.log deps_install "# packages" $profiles 2>&1
}

# GLib and its dependencies for i386, unpacked into $dir/i386-root: apt
# with i386 indexes of its own (the system's architectures are left as
# they are), then dpkg-deb -x. The i386 root needs no version in step with
# the amd64 packages, which multiarch co-installation would.
fetch_i386() {
	local apt root d p pkgs l
	apt=$dir/i386-apt
	root=$dir/i386-root
	[ -f "$root/usr/lib/i386-linux-gnu/pkgconfig/glib-2.0.pc" ] && return 0
	command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: cannot fetch Debian's i386 GLib"; return 1; }
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" || return 1
	set -- -o APT::Architectures::=amd64 -o APT::Architectures::=i386 \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
	# An index that fails to download (a mirror in sync) is not fatal as
	# long as the packages below can be found in the others.
	apt-get "$@" -q update || echo "apt-get update reported errors; going on with the indexes it got"
	pkgs=
	for p in $(deps_packages ilp32-root); do
		pkgs="$pkgs $p:i386"
	done
	# shellcheck disable=SC2086 # a list of words
	(cd "$apt/debs" && apt-get "$@" -q download $pkgs) || return 1
	rm -rf "$root"
	for d in "$apt"/debs/*.deb; do
		dpkg-deb -x "$d" "$root" || return 1
	done
	# As on a merged-/usr system: /lib's libraries beside /usr/lib's, and
	# absolute symlinks (libz.so -> /lib/...) pointing into the root.
	if [ -d "$root/lib/i386-linux-gnu" ]; then
		cp -a "$root/lib/i386-linux-gnu/." "$root/usr/lib/i386-linux-gnu/" || return 1
	fi
	find "$root" -type l | while read -r l; do
		case $(readlink "$l") in
		/*) ln -sf "$root/usr/lib/i386-linux-gnu/$(basename "$(readlink "$l")")" "$l" ;;
		esac
	done
	test -f "$root/usr/lib/i386-linux-gnu/pkgconfig/glib-2.0.pc"
}

# ---- helpers ----------------------------------------------------------

# package_of TOOL - the Debian package that provides TOOL.
package_of() {
	case $1 in
	clang | clang++) echo clang ;;
	musl-gcc) echo musl-tools ;;
	qemu-*-static) echo qemu-user-static ;;
	s390x-linux-gnu-*) echo binutils-s390x-linux-gnu ;;
	x86_64-w64-mingw32-*) echo mingw-w64 ;;
	wine | wineserver | winepath) echo "wine wine64" ;;
	readelf | objdump) echo binutils ;;
	*) echo "$1" ;;
	esac
}

# need TOOL... - fails unless every tool is on PATH, with one line for each
# missing one that names it and its Debian package.
need() {
	local t line all
	all=
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && continue
		line="$t not found (Debian: apt-get install $(package_of "$t"))"
		echo "$line"
		all="$all${all:+; }$line"
	done
	[ -z "$all" ] && return 0
	summary "$all"
	return 1
}

# i386_exec PROGRAM - makes i386 programs run here, PROGRAM being one.
# Most x86-64 kernels run them natively. A kernel built without 32-bit
# support answers "Exec format error": then qemu-i386-static is registered
# with binfmt_misc under the name objlife-i386, with the F flag (the
# interpreter is opened now, so it serves every later exec). Every exec of
# an i386 program goes through qemu from then on: libtool's wrappers, the
# shell checks and the test programs' own subprocesses (GTest's traps
# re-execute the test), which a wrapper around the test command alone
# would not reach. Sets i386_emulated=yes when it registered the entry,
# which i386_exec_done removes again. Needs root for binfmt_misc.
i386_emulated=no
i386_exec() {
	local bm=/proc/sys/fs/binfmt_misc
	"$1" 2>/dev/null && return 0
	echo "$1 does not run here ($("$1" 2>&1 | head -n 1)): running i386 programs under qemu-i386-static"
	need qemu-i386-static || return 1
	if [ ! -w "$bm/register" ]; then
		as_root mount -t binfmt_misc binfmt_misc "$bm" ||
			{ echo "cannot mount binfmt_misc on $bm (needs root)"; return 1; }
	fi
	if [ ! -e "$bm/objlife-i386" ]; then
		# The ELF header of an i386 executable or shared object (e_type 2
		# or 3), with the mask Debian's qemu-user-static uses for i386.
		printf '%s\n' ':objlife-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$(command -v qemu-i386-static)"':F' |
			as_root tee "$bm/register" >/dev/null ||
			{ echo "cannot register qemu-i386-static with binfmt_misc (needs root)"; return 1; }
		i386_emulated=yes
	fi
	"$1" || { echo "$1 does not run under qemu-i386-static either"; return 1; }
}

i386_exec_done() {
	[ "$i386_emulated" = yes ] || return 0
	echo -1 | as_root tee /proc/sys/fs/binfmt_misc/objlife-i386 >/dev/null
	i386_emulated=no
}

# builddir ROW - a fresh build directory for ROW; cds into it.
builddir() {
	rm -rf "${dir:?}/$1" && mkdir -p "$dir/$1" && cd "$dir/$1" || return 1
}

# count_trs - "P passed, F failed" over the .trs files below ., as CI
# counts them (SKIP, ERROR and XPASS fail); fails unless all passed.
count_trs() {
	local out p f
	out=$(sh "$src/tests/trs-count.sh" . 10)
	set -- $(printf '%s\n' "$out" | head -n 1)
	p=$1 f=$2
	summary "$p passed, $f failed"
	printf '%s\n' "$out" | tail -n +2 | sed 's/^--- /failed: /'
	[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
}

# summary TEXT - what the row's TAP line says after its name.
summary() {
	echo "$*" >"$dir/$row.summary"
	echo "summary: $*"
}

# real_bin PATH - the program itself rather than libtool's wrapper, which
# qemu and wine cannot run: .libs/NAME where libtool made one.
real_bin() {
	if [ -f "$(dirname "$1")/.libs/$(basename "$1")" ]; then
		echo "$(dirname "$1")/.libs/$(basename "$1")"
	else
		echo "$1"
	fi
}

# tap_ok FILE - FILE is TAP with a plan, at least one result and no failure.
tap_ok() {
	local plan n bad
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$1" | tail -n 1)
	n=$(grep -c '^ok ' "$1")
	bad=$(grep -c '^not ok\|^Bail out' "$1")
	echo "$1: plan ${plan:-none}, $n ok, $bad not ok"
	[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$n" -eq "$plan" ] && [ "$bad" -eq 0 ]
}

# expect_output FILE EXPECTED - the example printed what it should.
expect_output() {
	if cmp -s "$1" "$2"; then
		echo "$1: as $2"
	else
		echo "$1 differs from $2:"
		diff "$2" "$1" | head -n 20
		return 1
	fi
}

# ---- rows -------------------------------------------------------------

row_clang() {
	need clang clang++ || return 1
	builddir clang || return 1
	"$src/configure" -q CC=clang CXX=clang++ || return 1
	make -j"$jobs" check
	local rc=$?
	count_trs || return 1
	[ $rc -eq 0 ]
}

row_ilp32() {
	local rc
	ilp32
	rc=$?
	i386_exec_done
	return $rc
}

ilp32() {
	local root lib rc cross how
	need gcc g++ file || return 1
	printf 'int main(void) { return 0; }\n' >"$dir/m32.c"
	gcc -m32 -o "$dir/m32" "$dir/m32.c" ||
		{ summary "gcc -m32 cannot link (Debian: apt-get install gcc-multilib g++-multilib)"; return 1; }
	i386_exec "$dir/m32" || return 1
	# Under emulation configure is told that it cross-compiles: it then
	# runs no test program of its own (binfmt_misc would run them, but a
	# configure that assumes it cannot is the honest set-up).
	cross= how="natively"
	if [ "$i386_emulated" = yes ]; then
		cross="--build=x86_64-pc-linux-gnu --host=i686-pc-linux-gnu"
		how="under qemu-i386-static"
	fi
	fetch_i386 || { echo "cannot get Debian's i386 GLib"; return 1; }
	root=$dir/i386-root
	lib=$root/usr/lib/i386-linux-gnu
	builddir ilp32 || return 1
	# GLib and libdw come from the i386 root (its .pc files, their paths
	# under it); its libraries are found through LD_LIBRARY_PATH, also
	# by the libraries that need them (rpath-link at link time). The
	# bindings' tests would load the library into the 64-bit python3 and
	# cargo: left out.
	PKG_CONFIG_LIBDIR=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		"$src/configure" -q $cross CC="gcc -m32" CXX="g++ -m32" LDFLAGS="-Wl,-rpath-link,$lib" \
		--disable-binding-tests || return 1
	LD_LIBRARY_PATH=$lib make -j"$jobs" check-ilp32
	rc=$?
	count_trs || return 1
	[ $rc -eq 0 ] || return 1
	file -L lib/.libs/libobjlife.so.0
	file -L lib/.libs/libobjlife.so.0 | grep -q 'ELF 32-bit LSB.*Intel 80386' ||
		{ echo "the library is not an i386 one"; return 1; }
	grep '^# sizeof(struct objlife)' tests/portable/core-check.log
	grep -q '^# sizeof(struct objlife) = 12, sizeof(void \*) = 4,' tests/portable/core-check.log ||
		{ echo "core-check did not report a 12-byte header with 4-byte pointers"; return 1; }
	summary "$(cat "$dir/ilp32.summary"), sizeof(struct objlife) = 12, run $how"
}

row_musl() {
	local rc
	need musl-gcc readelf || return 1
	builddir musl || return 1
	# As a user types it: no option to steer clear of glibc-only packages.
	"$src/configure" -q CC=musl-gcc --disable-tests || return 1
	make -j"$jobs" || return 1
	make -j"$jobs" check-glib-free
	rc=$?
	count_trs || return 1
	[ $rc -eq 0 ] || return 1
	readelf -l "$(real_bin tests/portable/core-check)" | grep -q 'ld-musl' ||
		{ echo "core-check is not linked with musl"; return 1; }
	readelf -d lib/.libs/libobjlife.so | grep NEEDED
	if readelf -d lib/.libs/libobjlife.so | grep NEEDED | grep -v '\[libc\.so\]'; then
		echo "libobjlife.so needs more than musl's libc.so"
		return 1
	fi
	summary "$(cat "$dir/musl.summary") on musl"
}

row_s390x() {
	local cc sysroot run
	need clang qemu-s390x-static s390x-linux-gnu-ld readelf || return 1
	sysroot=/usr/s390x-linux-gnu
	[ -f "$sysroot/lib/libc.so.6" ] ||
		{ summary "no $sysroot/lib/libc.so.6 (Debian: apt-get install libc6-dev-s390x-cross)"; return 1; }
	cc="clang --target=s390x-linux-gnu"
	builddir s390x || return 1
	"$src/configure" -q --host=s390x-linux-gnu --disable-tests CC="$cc" ||
		return 1
	make -j"$jobs" || return 1
	make -j"$jobs" tests/portable/core-check examples/minimal examples/unwind || return 1
	readelf -h lib/.libs/libobjlife.so.0 | grep -E 'Data|Machine'
	readelf -h lib/.libs/libobjlife.so.0 | grep -q 'big endian' || { echo "not big-endian"; return 1; }
	run="qemu-s390x-static -L $sysroot -E LD_LIBRARY_PATH=$PWD/lib/.libs"
	# shellcheck disable=SC2086 # a command and its words
	CORE_CHECK_BYTE_ORDER=big $run "$(real_bin tests/portable/core-check)" >core-check.tap 2>&1
	cat core-check.tap
	tap_ok core-check.tap || return 1
	# shellcheck disable=SC2086
	$run "$(real_bin examples/minimal)" >minimal.out || return 1
	expect_output minimal.out "$src/tests/examples/minimal.expected" || return 1
	# shellcheck disable=SC2086
	$run "$(real_bin examples/unwind)" >unwind.out || return 1
	expect_output unwind.out "$src/tests/examples/unwind.expected" || return 1
	summary "core-check $(grep -c '^ok ' core-check.tap) ok, minimal and unwind as expected, big-endian under qemu"
}

row_windows() {
	local host gccdir f exports want t
	host=x86_64-w64-mingw32
	need $host-gcc $host-g++ $host-objdump wine wineserver winepath || return 1
	builddir windows || return 1
	"$src/configure" -q --host=$host --disable-tests || return 1
	make -j"$jobs" || return 1
	ls -l lib/.libs/libobjlife-0.dll lib/.libs/libobjlife.dll.a || return 1
	# The DLL exports exactly the names lib/objlife.sym gives.
	exports=$($host-objdump -p lib/.libs/libobjlife-0.dll |
		sed -n 's/^[[:space:]]*\[ *[0-9]*\] \(objlife[_a-z0-9]*\)$/\1/p' | sort)
	want=$(sed -n 's/^[[:space:]]*\(objlife[_a-z0-9]*\);.*/\1/p' "$src/lib/objlife.sym" | sort -u)
	if [ "$exports" != "$want" ]; then
		echo "the DLL's exports differ from lib/objlife.sym:"
		printf '%s\n' "$want" >want.txt
		printf '%s\n' "$exports" >exports.txt
		diff want.txt exports.txt
		return 1
	fi
	# shellcheck disable=SC2086 # one line of names
	echo "DLL exports:" $exports
	# The headers as a Windows consumer sees them.
	for f in "-std=c99 -pedantic $src/tests/compile/header-c99-pedantic.c" \
		"-std=c11 -pedantic -Wconversion -Wsign-conversion -Wcast-qual $src/tests/compile/header-c99-pedantic.c" \
		"-std=gnu11 $src/tests/compile/cleanup-header-clean.c"; do
		# shellcheck disable=SC2086 # flags and a file
		$host-gcc -Wall -Wextra -Werror -I"$src/include" -c -o header.o $f || return 1
	done
	$host-g++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$src/include" -c -o header.o \
		"$src/tests/compile/header-cxx.cc" || return 1
	make -j"$jobs" tests/portable/core-check.exe examples/minimal.exe || return 1
	# The headers' paths for a Windows compiler without pthreads and GCC's
	# builtins (MSVC, clang-cl), taken with mingw-w64 by test-only macros:
	# the Interlocked fast path under core-check, the SRWLOCK guards.
	$host-gcc -std=c99 -pedantic -Wall -Wextra -Werror -DOBJLIFE__TEST_WIN_ATOMICS \
		-I"$src/include" -o core-check-interlocked.exe "$src/tests/portable/core-check.c" \
		-Llib/.libs -lobjlife -lpthread || return 1
	$host-gcc -std=gnu11 -Wall -Wextra -Werror -DOBJLIFE__TEST_WIN_ATOMICS -DOBJLIFE__TEST_NO_PTHREAD \
		-I"$src/include" -o windows-guards.exe "$src/tests/portable/windows-guards.c" \
		-Llib/.libs -lobjlife || return 1
	if $host-objdump -p windows-guards.exe | grep -i 'DLL Name: libwinpthread'; then
		echo "windows-guards.exe needs winpthreads: the headers did not leave pthreads out"
		return 1
	fi
	# wine: a prefix of the row's own, no debug chatter; the DLLs from the
	# build, winpthreads' and libgcc's directories on its search path.
	gccdir=$(dirname "$($host-gcc -print-libgcc-file-name)")
	WINEPREFIX=$PWD/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
	export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
	t=$(now)
	timeout 300 wine wineboot -i || { echo "wineboot failed"; return 1; }
	echo "wine prefix made in $(($(now) - t)) s ($(wine --version))"
	WINEPATH="$(winepath -w "$PWD/lib/.libs");$(winepath -w /usr/$host/lib);$(winepath -w "$gccdir")"
	export WINEPATH
	timeout 300 wine "$(real_bin tests/portable/core-check.exe)" </dev/null 2>&1 | tr -d '\r' >core-check.tap
	cat core-check.tap
	timeout 300 wine ./core-check-interlocked.exe </dev/null 2>&1 | tr -d '\r' >core-check-interlocked.tap
	cat core-check-interlocked.tap
	timeout 120 wine ./windows-guards.exe </dev/null 2>&1 | tr -d '\r' >windows-guards.tap
	cat windows-guards.tap
	timeout 120 wine "$(real_bin examples/minimal.exe)" </dev/null | tr -d '\r' >minimal.out
	wineserver -k 2>/dev/null
	tap_ok core-check.tap || return 1
	tap_ok core-check-interlocked.tap || return 1
	tap_ok windows-guards.tap || return 1
	expect_output minimal.out "$src/tests/examples/minimal.expected" || return 1
	summary "DLL + import library; core-check.exe $(grep -c '^ok ' core-check.tap) ok (and with the Interlocked fast path), windows-guards.exe $(grep -c '^ok ' windows-guards.tap) ok, minimal.exe; under $(wine --version)"
}

row_modes() {
	local n
	need gcc clang g++ clang++ || return 1
	builddir modes || return 1
	top_srcdir=$src COMPILE_TESTS="tests/compile/header-c99-pedantic.c tests/compile/header-cxx.cc
		tests/compile/cleanup-header-clean.c tests/compile/cleanup-pedantic.c tests/compile/cleanup-cxx.cc" \
		sh "$src/tests/compile-check.sh" >modes.tap
	cat modes.tap
	tap_ok modes.tap || return 1
	n=$(grep -c '^ok ' modes.tap)
	summary "$n header compiles (C99, C11, C17, C2x; gnu99..gnu2x; C++11..C++20; gcc, clang, g++, clang++)"
}

# ---- main -------------------------------------------------------------

# shellcheck disable=SC2086 # rows are words
echo "1..$(echo $rows | wc -w)"
t=$(now)
install_packages
echo "# packages: $(($(now) - t)) s"

i=0
failed=0
for row in $rows; do
	i=$((i + 1))
	rm -f "$dir/$row.summary"
	t=$(now)
	if ! command -v "row_$row" >/dev/null 2>&1; then
		echo "not ok $i - $row: no such row"
		failed=$((failed + 1))
		continue
	fi
	(set +e; "row_$row") >"$dir/$row.log" 2>&1 </dev/null
	rc=$?
	secs=$(($(now) - t))
	what=$(cat "$dir/$row.summary" 2>/dev/null || echo "no result")
	if [ $rc -eq 0 ]; then
		echo "ok $i - $row: $what (${secs}s)"
	else
		failed=$((failed + 1))
		echo "not ok $i - $row: $what (${secs}s); the end of $dir/$row.log:"
		tail -n 40 "$dir/$row.log" | sed 's/^/# /'
	fi
done
echo "# matrix: $((i - failed)) of $i rows passed in $(($(now) - t0)) s"
[ "$failed" -eq 0 ]
