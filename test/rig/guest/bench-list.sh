#!/bin/bash
# bench-list: wall time of `ndctl-xen list` against `ndctl list -N` with 1,
# 8 and 32 namespaces in the same guest (BENCH_RUNS each, default 15,
# alternating), and the
# system calls ndctl-xen list makes (strace -c -f) at each count.
# Prints "BENCH-LIST N tool seconds" and "BENCH-SYSCALLS N total" lines.
set -euo pipefail
. /rig/common
mkdir -p /run
R=$RIG_LABEL_REGION
now() { echo "$EPOCHREALTIME"; }

have=0
grow() {
	while [ $have -lt "$1" ]; do
		if [ $((have % 2)) = 0 ]; then
			ndctl-xen create-namespace -r "$R" -s 48M -M mem --reserve=4M > /dev/null
		else
			ndctl create-namespace -r "$R" -s 48M -m fsdax > /dev/null
		fi
		have=$((have + 1))
	done
}

for n in 1 8 32; do
	grow $n
	[ "$(ndctl-xen list -N -r "$R" | jq length)" = "$n" ]
	for i in $(seq "${BENCH_RUNS:-15}"); do
		t0=$(now); ndctl list -N -r "$R" > /dev/null; t1=$(now)
		echo "BENCH-LIST $n ndctl $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
		t0=$(now); ndctl-xen list -N -r "$R" > /dev/null; t1=$(now)
		echo "BENCH-LIST $n ndctl-xen $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
	done
	echo "BENCH-SYSCALLS $n $(strace -f -c -o /tmp/st ndctl-xen list -N -r "$R" > /dev/null; awk '$NF == "total" { print $4 }' /tmp/st)"
	echo "BENCH-SYSCALLS-NDCTL $n $(strace -f -c -o /tmp/st ndctl list -N -r "$R" > /dev/null; awk '$NF == "total" { print $4 }' /tmp/st)"
done
