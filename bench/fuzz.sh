#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz every libFuzzer target (decoder, size/option parsers, layout engine, page map loader)
# for SECONDS each (default 200: about 13 minutes in all) and print executions,
# coverage and crashes per target.  Builds build-fuzz with clang if needed.
#   bench/fuzz.sh [--short] [SECONDS]
# --short: 5 s per target (CI's check that the benchmark still works)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
secs=200
[ "${1:-}" != --short ] || { secs=5; shift; }
secs=${1:-$secs}
[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true -Ddocs=disabled >&2
ninja -C build-fuzz >&2
work=$(mktemp -d /tmp/ndx-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%-8s %8s %12s %10s %6s %8s\n' target seconds executions exec/s cov crashes
total=0 crashes=0
for t in decode parse layout pagemap; do
	mkdir -p "$work/$t"
	rc=0
	build-fuzz/fuzz/fuzz-$t -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/$t/crash-" "$work/$t" "test/corpus/$t" > "$work/$t.log" 2>&1 || rc=$?
	runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$work/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -n1 | awk '{print $2}')
	n=$(find "$work/$t" -name 'crash-*' | wc -l)
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || n=1
	printf '%-8s %8s %12s %10s %6s %8s\n' "$t" "$secs" "${runs:-0}" "$(( ${runs:-0} / secs ))" "${cov:-?}" "$n"
	total=$((total + ${runs:-0})) crashes=$((crashes + n))
	[ "$n" = 0 ] || { tail -n 30 "$work/$t.log" >&2; cp "$work/$t"/crash-* . 2>/dev/null || true; }
done
echo "total: $total executions in $((4 * secs)) s, $crashes crashes"
[ "$crashes" = 0 ]
