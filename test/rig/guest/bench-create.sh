#!/bin/bash
# bench-create: wall time of ndctl-xen create-namespace --reserve=64M against
# ndctl create-namespace for the same mode and size, in the same guest,
# BENCH_RUNS times each (from /rig/config; alternating), destroying the
# namespace after each run.
# Prints one "BENCH tool mode seconds" line per run.
set -euo pipefail
. /rig/common
mkdir -p /run
RUNS=${BENCH_RUNS:-7}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

one() {
	local tool=$1 mode=$2 t0 t1 ns
	t0=$(now)
	if [ "$tool" = ndctl ]; then
		ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -s 256M -m "$mode" | jq -r .dev)
	else
		ns=$(ndctl-xen create-namespace -r "$RIG_LABEL_REGION" -s 256M -m "$mode" --reserve=64M | jq -r .dev)
	fi
	t1=$(now)
	echo "BENCH $tool $mode $(elapsed "$t0" "$t1")"
	ndctl destroy-namespace -f "$ns" > /dev/null 2>&1
}

for mode in fsdax devdax; do
	for i in $(seq "$RUNS"); do
		one ndctl "$mode"
		one ndctl-xen "$mode"
	done
done
# where the time goes in one ndctl-xen run (library progress with timestamps)
NDCTL_XEN_LOG=info ndctl-xen create-namespace -r "$RIG_LABEL_REGION" -s 256M --reserve=64M 2>&1 >/dev/null |
	while read -r line; do echo "BENCH-STEP $EPOCHREALTIME $line"; done
