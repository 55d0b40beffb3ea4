#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Wall time of `ndctl-xen create-namespace --reserve=64M` against
# `ndctl create-namespace`, same mode (fsdax, devdax) and size (256 MiB),
# in the same guest (Debian's kernel under QEMU, test/rig).  Prints the
# median of 7 runs each (2 with --short) and the ratio; the target is at
# most 1.1x.
#   bench/create-namespace.sh [--kernel 6.1|6.12] [--build DIR] [--short]
. "$(dirname "$0")/common.sh"
run_guest bench-create 7 2

printf '%-8s %-10s %8s %8s %8s\n' mode tool runs median_s ratio
for mode in fsdax devdax; do
	base=$(grep -a "^BENCH ndctl $mode " "$log" | awk '{print $4}' | median)
	ours=$(grep -a "^BENCH ndctl-xen $mode " "$log" | awk '{print $4}' | median)
	n=$(grep -ac "^BENCH ndctl-xen $mode " "$log")
	printf '%-8s %-10s %8s %8.3f %8s\n' "$mode" ndctl "$n" "$base" 1.00
	printf '%-8s %-10s %8s %8.3f %8.2f\n' "$mode" ndctl-xen "$n" "$ours" \
		"$(awk -v a="$ours" -v b="$base" 'BEGIN { print a / b }')"
done
echo "steps of one ndctl-xen run (seconds since the first):"
grep -a '^BENCH-STEP' "$log" | awk 'NR == 1 { t0 = $2 } { $1 = ""; printf "  +%.3f %s\n", $2 - t0, substr($0, index($0, $3)) }'
