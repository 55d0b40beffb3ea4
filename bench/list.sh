#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Wall time of `ndctl-xen list` against `ndctl list -N` over 1, 8 and 32
# namespaces in the same guest (Debian's kernel under QEMU, test/rig),
# median of 15 runs each (3 with --short), as ratios (target: at most
# 1.05x), and the system
# calls per namespace: the growth of ndctl-xen list's strace count from 1
# to 32 namespaces, divided by 31.
#   bench/list.sh [--kernel 6.1|6.12] [--build DIR] [--short]
. "$(dirname "$0")/common.sh"
run_guest bench-list 15 3

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
