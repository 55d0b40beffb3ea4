#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Wall time of `ndctl-xen list` against `ndctl list -N` over 1, 8 and 32
# namespaces in the same guest (Debian's kernel under QEMU, test/rig),
# median of 7 runs each, as ratios (target: at most 1.2x), and the system
# calls per namespace: the growth of ndctl-xen list's strace count from 1
# to 32 namespaces, divided by 31.
#   bench/list.sh [--kernel 6.1|6.12] [--build DIR]
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
bash test/rig/rig.sh --kernel "$kernel" --build "$build" --work "$work" bench-list >&2
tr -d '\r' < "$work/console.log" > "$work/clean.log"
log=$work/clean.log

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-11s %10s %10s %7s %9s %9s\n' namespaces ndctl_s ndctl-xen_s ratio syscalls ndctl_sys
for n in 1 8 32; do
	a=$(grep -a "^BENCH-LIST $n ndctl " "$log" | awk '{print $4}' | median)
	b=$(grep -a "^BENCH-LIST $n ndctl-xen " "$log" | awk '{print $4}' | median)
	s=$(grep -a "^BENCH-SYSCALLS $n " "$log" | awk '{print $3}')
	t=$(grep -a "^BENCH-SYSCALLS-NDCTL $n " "$log" | awk '{print $3}')
	printf '%-11s %10.4f %10.4f %7.2f %9s %9s\n' "$n" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')" "$s" "$t"
done
s1=$(grep -a "^BENCH-SYSCALLS 1 " "$log" | awk '{print $3}')
s32=$(grep -a "^BENCH-SYSCALLS 32 " "$log" | awk '{print $3}')
echo "system calls per namespace (ndctl-xen list, 1 -> 32 namespaces): $(( (s32 - s1) / 31 ))"
