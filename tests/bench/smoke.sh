#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The benchmark still builds and runs: `objlife-bench --quick --json`
# exits 0 and reports, for every case and candidate listed below, a
# positive median. It asserts no timing: this machine's load is not the
# library's fault. The list below is the benchmark's specification; a
# candidate dropped from the program fails here.
set -u
builddir=${top_builddir:-.}
bench=$builddir/tests/bench/objlife-bench
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

expected="
refpair raw-atomics
refpair objlife-inline
refpair objlife-static
refpair objlife-exported
refpair grcbox
refpair gobject
refpair shared-ptr
lifecycle-64 floor-calloc
lifecycle-64 floor-malloc
lifecycle-64 objlife
lifecycle-64 objlife-cached
lifecycle-64 grcbox
lifecycle-64 gobject
lifecycle-64 make-shared
lifecycle-1k floor-calloc
lifecycle-1k floor-malloc
lifecycle-1k objlife
lifecycle-1k objlife-cached
lifecycle-1k grcbox
lifecycle-1k gobject
lifecycle-1k make-shared
mixed floor-calloc
mixed floor-malloc
mixed objlife-one
mixed objlife-six
mixed objlife-one-cached
mixed objlife-six-cached
mixed objlife-six-doc-cached
mixed-2t floor-calloc
mixed-2t floor-malloc
mixed-2t objlife-one
mixed-2t objlife-six
mixed-2t objlife-one-cached
mixed-2t objlife-six-cached
mixed-2t objlife-six-doc-cached
types-0 uncached
types-0 cached
types-0 uncached-2t
types-0 cached-2t
types-64 uncached
types-64 cached
types-64 uncached-2t
types-64 cached-2t
types-1k uncached
types-1k cached
types-1k uncached-2t
types-1k cached-2t
types-100k uncached
types-100k cached
types-100k uncached-2t
types-100k cached-2t
contended raw-atomics
contended objlife-inline
diagnostics unset
diagnostics leaks
diagnostics leaks-refs
diagnostics leaks-live-1e3
diagnostics leaks-live-1e6"

count=$(printf '%s\n' "$expected" | grep -c .)
echo "1..$((count + 3))"
if [ ! -x "$bench" ]; then
	echo "Bail out! $bench was not built"
	exit 0
fi

"$bench" --quick --json >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then
	echo "ok 1 - objlife-bench --quick --json exits 0"
else
	echo "not ok 1 - objlife-bench --quick --json exited with $rc"
	sed 's/^/# /' "$tmp/err"
fi

# The whole output is one JSON document. Without python3 to parse it, the
# check fails, naming the package (as every check does for a missing tool).
if ! command -v python3 >/dev/null 2>&1; then
	echo "not ok 2 - python3 not found (Debian: apt-get install python3)"
else
	if python3 -c 'import json, sys; json.load(sys.stdin)' <"$tmp/out" 2>"$tmp/json-err"; then
		echo "ok 2 - the output is valid JSON"
	else
		echo "not ok 2 - the output is not valid JSON"
		sed 's/^/# /' "$tmp/json-err"
	fi
fi

# Every case has one floor row, the one its ratios are to: the faster of
# its hand-written candidates where it has more than one.
if ! command -v python3 >/dev/null 2>&1; then
	echo "not ok 3 - python3 not found (Debian: apt-get install python3)"
elif python3 -c '
import json, sys
results = json.load(sys.stdin)["results"]
for case in sorted({r["case"] for r in results}):
    rows = [r for r in results if r["case"] == case]
    floors = [r for r in rows if r["floor"]]
    if len(floors) != 1:
        sys.exit("%s: %d floor rows" % (case, len(floors)))
    picks = [r for r in rows if r["floor_candidate"]]
    if picks and (not floors[0]["floor_candidate"] or
                  floors[0]["median_ns"] > min(r["median_ns"] for r in picks)):
        sys.exit("%s: the floor is not the fastest hand-written row" % case)
' <"$tmp/out" 2>"$tmp/floor-err"; then
	echo "ok 3 - every case has one floor, the fastest of its hand-written rows"
else
	echo "not ok 3 - the floor rows are wrong"
	sed 's/^/# /' "$tmp/floor-err"
fi

# One result per line: {"case": "C", "candidate": "N", ..., "median_ns": X, ...}
i=3
printf '%s\n' "$expected" | grep . >"$tmp/expected"
while read -r case cand; do
	i=$((i + 1))
	line=$(grep -F "\"case\": \"$case\", \"candidate\": \"$cand\"," "$tmp/out")
	median=$(printf '%s\n' "$line" | sed -n 's/.*"median_ns": \([0-9.eE+-]*\),.*/\1/p')
	if [ -z "$line" ]; then
		echo "not ok $i - $case/$cand: missing from the output"
	elif [ -z "$median" ] || ! awk -v m="$median" 'BEGIN { exit !(m > 0) }'; then
		echo "not ok $i - $case/$cand: median_ns is not positive: ${median:-absent}"
	else
		echo "ok $i - $case/$cand ran ($median ns/op)"
	fi
done <"$tmp/expected"
