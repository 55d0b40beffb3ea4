#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every benchmark under bench/ once, in its short mode (--short: a few runs,
# one kernel), one after another: CI's check that no benchmark has rotted.
# A benchmark that fails (exits non-zero) fails this script; the figures
# each prints are shown and never asserted (a timing is not a test).
#   bench/all.sh [--full]
# --full  the benchmarks' full runs instead (an hour or more)
# Every bench/*.sh except this file and common.sh (which the rig benchmarks
# source) is run, so a new benchmark is covered without being listed here;
# each must take --short.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
mode=--short
case ${1:-} in
'') ;;
--full) mode= ;;
*) echo "usage: $0 [--full]" >&2; exit 2 ;;
esac
results=() failed=0
for b in bench/*.sh; do
	case ${b##*/} in all.sh|common.sh) continue ;; esac
	t0=$SECONDS rc=0
	echo "=== bench: $b $mode"
	bash "$b" $mode || rc=$?
	results+=("$(printf '%-28s %-5s %5d s' "$b" "$([ $rc = 0 ] && echo ok || echo "FAIL($rc)")" $((SECONDS - t0)))")
	[ $rc = 0 ] || failed=$((failed + 1))
done
echo "=== bench: summary (figures above; none is asserted)"
printf '%s\n' "${results[@]}"
echo "bench: ${#results[@]} benchmarks, $failed failed"
[ "$failed" = 0 ]
