#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Power cuts at random moments during ndctl-xen create-namespace, many of
# them: N random cuts per kernel (default 50), cycling over the operations
# reconfigure fsdax / devdax / label-less, create a new namespace, and a
# reconfiguration the kernel refuses.  One boot per cut (test/rig/powercut.sh)
# and the outcome counts per kernel: old state, new state, third state (must
# be 0), how many needed `ndctl-xen recover`.
#   bench/powercut.sh [--cuts N] [--kernel 6.1|6.12|both] [--build DIR] [--seed N]
# About 25-45 s per cut under TCG.
set -euo pipefail
cd "$(dirname "$0")/.."
cuts=50 kernels="6.1 6.12" build=build seed=$RANDOM
while [ $# -gt 0 ]; do
	case $1 in
	--cuts) cuts=$2; shift 2 ;;
	--kernel) kernels=$2; [ "$2" != both ] || kernels="6.1 6.12"; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	*) echo "usage: $0 [--cuts N] [--kernel 6.1|6.12|both] [--build DIR] [--seed N]" >&2; exit 2 ;;
	esac
done
rc=0 summary=()
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
