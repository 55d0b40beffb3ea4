#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The page map, in one run:
#  1. the tree against a linked list of ranges and against 32-byte
#     per-page records, over a 1 TiB data area fragmented into 100,000
#     ranges: 1,000,000 mixed operations on the tree, the first 20,000 of
#     the same sequence on the list (its rate is per operation and steady;
#     a full run would take about 5 minutes), operations per second,
#     bytes per range and the ratios (bench-pagemap);
#  2. one durable update (fdatasync included) through the API on a state
#     file of 10^3 and of 10^6 ranges, and the open of the 10^6-range
#     map (bench-pagemap-durable);
#  3. one durable update through the CLI (a whole ndctl-xen map process:
#     exec, open, update, exit) on state files of 10^3 and 10^5 ranges,
#     taking turns in batches so that the machine's load weighs on both.
#     Each file starts with CLI_LOG (default 292) records in its log,
#     frames all over the map: a CLI call opens the file sparse and
#     replays its log, which a sparse update compacts at 585 records, so
#     292 is the mean a call replays in steady state.
# State files go to $BENCH_DIR (default /var/tmp: a real disk, so that
# fdatasync means something).  No rig needed.
#   bench/pagemap.sh [--build DIR] [--short] [OPS [LIST_OPS [RANGES]]]
# --short: 20,000 operations on the tree, 2,000 on the list over 10,000
# ranges, 2 rounds of durable updates (CI's check that the benchmark still
# works; the 10^6-range map is still built and opened)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build short=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--short) short=1; shift ;;
	*) break ;;
	esac
done
api_rounds=()
if [ "$short" = 1 ]; then
	[ $# -gt 0 ] || set -- 20000 2000 10000
	: "${CLI_ROUNDS:=2}" "${CLI_BATCH:=6}"
	api_rounds=(2 10)
fi
ninja -C "$build" bench/bench-pagemap bench/bench-pagemap-durable ndctl/ndctl-xen > /dev/null
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ndx-bench-pagemap.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"state files on $(df -T "$dir" | awk 'NR == 2 { print $2 }')"

echo "== tree vs linked list vs per-page records"
"$build/bench/bench-pagemap" "$@"

echo "== durable updates through the API"
"$build/bench/bench-pagemap-durable" api "$dir" "${api_rounds[@]}"

echo "== durable updates through the CLI"
NDX=$build/ndctl/ndctl-xen
ROUNDS=${CLI_ROUNDS:-10}
LOG=${CLI_LOG:-292}
BATCH=${CLI_BATCH:-20}
declare -A tail times cpu
for r in 1000 100000; do
	tail[$r]=$("$build/bench/bench-pagemap-durable" make "$dir/cli-$r.state" "$r" "$LOG")
	times[$r]=
	cpu[$r]=
done
# CPU_NOW: CPU seconds (user + system) of this shell's children so far,
# from `times`, run in this shell (a subshell would count its own)
children_cpu() {
	times > "$dir/times"
	CPU_NOW=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$dir/times")
}
# one batch: BATCH calls, assign and release of one frame in turn; ms per call
batch() {
	local r=$1 k t0 t1 mfn
	t0=$(date +%s%N)
	for k in $(seq 1 "$BATCH"); do
		mfn=$((${tail[$r]} + (k - 1) / 2))
		if [ $((k % 2)) = 1 ]; then
			"$NDX" map assign --state="$dir/cli-$r.state" --domain=500 --gfn=0 \
				--mfn=$mfn --frames=1 > /dev/null
		else
			"$NDX" map release --state="$dir/cli-$r.state" --domain=500 --mfn=$mfn \
				--frames=1 > /dev/null
		fi
	done
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) -v n="$BATCH" 'BEGIN { printf "%.3f", ns / 1e6 / n }'
}
# batch_cpu R: the batch's CPU ms per call, its wall ms per call in times[R]
batch_cpu() {
	local r=$1 c0 c1 wall
	children_cpu
	c0=$CPU_NOW
	wall=$(batch "$r")
	children_cpu
	c1=$CPU_NOW
	times[$r]="${times[$r]} $wall"
	cpu[$r]="${cpu[$r]} $(awk -v a="$c0" -v b="$c1" -v n="$BATCH" 'BEGIN { printf "%.3f", (b - a) * 1e3 / n }')"
}
for round in $(seq 1 "$ROUNDS"); do
	for r in 1000 100000; do
		batch_cpu "$r"
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m3=$(echo "${times[1000]}" | median)
m5=$(echo "${times[100000]}" | median)
printf '%s\n' "one update through ndctl-xen map (fdatasync and the process included;" \
	"the log holds $LOG records to start)," \
	"median of $ROUNDS batches of $BATCH, taking turns:"
printf '  %-28s %12s %12s\n' "" "10^3 ranges" "10^5 ranges"
printf '  %-28s %9s ms %9s ms   ratio %s (target <= 2)\n' "per call" "$m3" "$m5" \
	"$(awk -v a="$m3" -v b="$m5" 'BEGIN { printf "%.2f", b / a }')"
c3=$(echo "${cpu[1000]}" | median)
c5=$(echo "${cpu[100000]}" | median)
printf '  %-28s %9s ms %9s ms   ratio %s\n' "CPU per call (user+sys)" "$c3" "$c5" \
	"$(awk -v a="$c3" -v b="$c5" 'BEGIN { printf "%.2f", b / a }')"
echo "  batches (ms per call): 10^3:${times[1000]}; 10^5:${times[100000]}"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
