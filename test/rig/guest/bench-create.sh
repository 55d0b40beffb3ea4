#!/bin/bash
# bench-create: wall time of ndctl-xen create-namespace --reserve=64M against
# ndctl create-namespace for the same mode and size, in the same guest,
# BENCH_RUNS times each (from /rig/config; alternating), destroying the
# namespace after each run.
# Prints one "BENCH tool mode seconds" line per run, then the step logs of
# (BENCH_RUNS + 1) / 2 more ndctl-xen runs per mode (BENCH-STEP lines).
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
# Where the time goes: ndctl-xen runs with their step log (every step's
# line on stderr at NDCTL_XEN_LOG=info), each line stamped as it arrives,
# between a "start" stamp before the command and an "exit" stamp after it:
# "BENCH-STEP mode run seconds line".  A step lasts until the next line.
steps() {
	local mode=$1 run=$2 ns
	echo "BENCH-STEP $mode $run $EPOCHREALTIME start"
	NDCTL_XEN_LOG=info ndctl-xen create-namespace -r "$RIG_LABEL_REGION" -s 256M -m "$mode" \
		--reserve=64M 2>&1 >/tmp/bench-steps.json |
		while read -r line; do echo "BENCH-STEP $mode $run $EPOCHREALTIME $line"; done
	echo "BENCH-STEP $mode $run $EPOCHREALTIME exit"
	ns=$(jq -r .dev /tmp/bench-steps.json)
	ndctl destroy-namespace -f "$ns" > /dev/null 2>&1
}
for mode in fsdax devdax; do
	for i in $(seq "$(( (RUNS + 1) / 2 ))"); do
		steps "$mode" "$i"
	done
done
