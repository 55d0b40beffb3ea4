# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the rig benchmarks: [--kernel 6.1|6.12] [--build DIR], a
# guest run whose console log (CR-free) ends up in $log, and a median.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
# --short: a few runs instead of the full count (CI's check that the
# benchmark still works: its figures are printed, never asserted)
kernel=6.12 build=build short=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--short) short=1; shift ;;
	*) echo "usage: $0 [--kernel 6.1|6.12] [--build DIR] [--short]" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/ndx-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$work/clean.log

# run_guest TEST RUNS SHORT_RUNS: boot the rig with guest test TEST (its
# output to stderr), which takes BENCH_RUNS from /rig/config
run_guest() {
	local runs=$2
	[ "$short" = 0 ] || runs=$3
	bash test/rig/rig.sh --kernel "$kernel" --build "$build" --work "$work" \
		--env BENCH_RUNS="$runs" "$1" >&2
	tr -d '\r' < "$work/console.log" > "$log"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
