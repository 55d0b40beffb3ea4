# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the rig benchmarks: [--kernel 6.1|6.12] [--build DIR], a
# guest run whose console log (CR-free) ends up in $log, and a median.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
kernel=6.12 build=build
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "usage: $0 [--kernel 6.1|6.12] [--build DIR]" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/ndx-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$work/clean.log

# run_guest TEST: boot the rig with guest test TEST (its output to stderr)
run_guest() {
	bash test/rig/rig.sh --kernel "$kernel" --build "$build" --work "$work" "$1" >&2
	tr -d '\r' < "$work/console.log" > "$log"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
