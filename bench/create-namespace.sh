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
# BENCH-STEP mode run seconds line: a step lasts until the next line of its run
steps=$(grep -a '^BENCH-STEP' "$log")
echo "steps of one ndctl-xen fsdax run (seconds since it started):"
awk '$2 == "fsdax" && $3 == 1 { if (!t0) t0 = $4; printf "  +%.3f %s\n", $4 - t0, substr($0, index($0, $5)) }' <<< "$steps"
echo "each step's median in ms over $(awk '$2 == "fsdax" { n[$3] } END { print length(n) }' <<< "$steps") runs a mode (namespace and device names, numbers as N):"
awk '
function key(l) {
	l = substr(l, index(l, $5))
	gsub(/(namespace|pfn|dax|pmem)[0-9]+\.[0-9]+/, "X", l)
	gsub(/0x[0-9a-f]+|[0-9]+/, "N", l)
	return l
}
function median(s,   v, n, i, j, t) {
	n = split(s, v, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j] < v[j - 1]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
	id = $2 " " $3
	if (id in last) {
		k = last[id]
		if (!(k in seen)) { seen[k]; order[++nk] = k }
		d[k, $2] = d[k, $2] " " ($4 - lt[id]) * 1000
	}
	last[id] = key($0); lt[id] = $4
}
END {
	printf "  %8s %8s  %s\n", "fsdax", "devdax", "step (until the next line)"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		printf "  %8s %8s  %s\n", (k, "fsdax") in d ? sprintf("%.1f", median(d[k, "fsdax"])) : "-",
			(k, "devdax") in d ? sprintf("%.1f", median(d[k, "devdax"])) : "-", k
	}
}' <<< "$steps"
