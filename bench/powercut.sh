#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Power cuts at random moments during ndctl-xen create-namespace, many of
# them: N random cuts per kernel (default 50), cycling over the operations
# reconfigure fsdax / devdax / label-less, create a new namespace, and a
# reconfiguration the kernel refuses.  One boot per cut (test/rig/powercut.sh)
# and the outcome counts per kernel: old state, new state, third state (must
# be 0), how many needed `ndctl-xen recover`.
#   bench/powercut.sh [--cuts N | --repeat N | --short] [--kernel 6.1|6.12|both] [--build DIR] [--seed N]
# --short     one random cut on 6.1 (CI's check that the benchmark still works)
# --repeat N  run the CI schedule (test/rig/powercut.sh's default: every
#             targeted cut point plus random cuts) N times per kernel instead,
#             and count the runs that failed: a flaky driver shows here
# About 25-45 s per cut under TCG.
set -euo pipefail
cd "$(dirname "$0")/.."
cuts=50 repeat=0 kernels="6.1 6.12" build=build seed=$RANDOM
while [ $# -gt 0 ]; do
	case $1 in
	--cuts) cuts=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--kernel) kernels=$2; [ "$2" != both ] || kernels="6.1 6.12"; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--short) cuts=1 kernels=6.1; shift ;;
	*) echo "usage: $0 [--cuts N | --repeat N | --short] [--kernel 6.1|6.12|both] [--build DIR] [--seed N]" >&2; exit 2 ;;
	esac
done
rc=0 summary=()
if [ "$repeat" -gt 0 ]; then
	for k in $kernels; do
		passed=0 failed=0
		for ((r = 1; r <= repeat; r++)); do
			work=$(mktemp -d /tmp/ndx-powercut.XXXXXX)
			bash test/rig/powercut.sh --kernel "$k" --build "$build" --work "$work" \
				--seed $((seed + r)) > "$work.out" 2>&1 || true
			line=$(grep -E '^powercut: kernel .*: [0-9]+ cuts verified' "$work.out" || echo "no summary")
			if grep -q ' PASS in ' <(tail -n 1 "$work.out"); then
				passed=$((passed + 1)); rm -rf "$work" "$work.out"
				echo "powercut: kernel $k run $r: PASS: $line"
			else
				failed=$((failed + 1)); rm -f "$work"/*.img
				echo "powercut: kernel $k run $r: FAIL (logs: $work, $work.out): $line"
				grep -E 'FAILED|^powercut:   ' "$work.out" | head -20
			fi
		done
		summary+=("powercut: kernel $k: CI schedule $repeat times: $passed passed, $failed failed")
		[ "$failed" = 0 ] || rc=1
	done
	echo "== the CI power-cut schedule, $repeat runs per kernel, seeds $((seed + 1))..$((seed + repeat)), build $build"
	printf '%s\n' "${summary[@]}"
	exit $rc
fi
for k in $kernels; do
	work=$(mktemp -d /tmp/ndx-powercut.XXXXXX)
	bash test/rig/powercut.sh --kernel "$k" --build "$build" --work "$work" \
		--cuts "$cuts" --seed "$seed" | tee "$work.out" || rc=1
	summary+=("$(grep -E '^powercut: kernel .*: [0-9]+ cuts verified' "$work.out" || echo "powercut: kernel $k: no summary (see $work)")")
	summary+=("$(tail -n 1 "$work.out")")
	# keep the logs of a failed run, drop the backing files
	if grep -q ' PASS in ' <(tail -n 1 "$work.out"); then rm -rf "$work" "$work.out"; else rm -f "$work"/*.img; fi
done
echo "== power cuts, $cuts per kernel, seed $seed"
printf '%s\n' "${summary[@]}"
exit $rc
