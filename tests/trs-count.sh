#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# trs-count.sh DIR [LINES] - automake's test results below DIR, counted as
# CI counts them: PASS and XFAIL pass; FAIL, ERROR (a failed g_assert),
# XPASS and SKIP (a skipped check checks nothing) fail.
#
# Prints "PASSED FAILED" on its first line; then, for each .trs file with a
# failing result, "--- LOG" and at most LINES (40) of that log's TAP
# failure lines. Used by .ci/run and tests/portable/run-matrix.sh.
set -u
dir=$1
lines=${2:-40}
find "$dir" -name '*.trs' -exec grep -h '^:test-result:' {} + 2>/dev/null |
	awk 'NF { if ($2 == "PASS" || $2 == "XFAIL") p++; else f++ } END { print p + 0, f + 0 }'
find "$dir" -name '*.trs' -exec grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\|SKIP\)' {} + 2>/dev/null |
	while read -r trs; do
		echo "--- ${trs%.trs}.log"
		grep -E '^(not ok|# |Bail out)' "${trs%.trs}.log" | head -n "$lines"
	done
