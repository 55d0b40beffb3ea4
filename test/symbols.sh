#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shared library exports exactly the functions the public header
# declares, each under a version node the version script declares
# (LIBNDCTL_XEN_1, then chained nodes such as LIBNDCTL_XEN_2), and they are
# the ones the version script lists.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(ls "$NDX_BUILD"/lib/libndctl-xen.so.1)

grep -ho 'ndctl_xen_[a-z0-9_]*(' "$SRC/include/ndctl/libndctl-xen.h" | tr -d '(' | sort -u > "$TMP/header"
grep -o 'ndctl_xen_[a-z0-9_]*;' "$SRC/lib/libndctl-xen.sym" | tr -d ';' | sort -u > "$TMP/script"
sed -n 's/^\(LIBNDCTL_XEN_[0-9]*\) {.*/\1/p' "$SRC/lib/libndctl-xen.sym" | sort -u > "$TMP/declared"
nm -D --defined-only "$LIB" | awk '$3 !~ /^LIBNDCTL_XEN_[0-9]+$/ {print $3}' | sed 's/@.*//' | sort -u > "$TMP/exported"
objdump -T "$LIB" | awk '/DF .text/ {print $(NF-1)}' | sort -u > "$TMP/nodes"

check "header and version script list the same functions" diff -u "$TMP/header" "$TMP/script"
check "the library exports exactly those" diff -u "$TMP/header" "$TMP/exported"
check "every export sits in a declared node" sh -c "comm -23 '$TMP/nodes' '$TMP/declared' | wc -l | grep -qx 0"
check "LIBNDCTL_XEN_1 is the first node" test "$(head -n1 "$TMP/nodes")" = LIBNDCTL_XEN_1
check "soname is libndctl-xen.so.1" sh -c "objdump -p '$LIB' | grep -q 'SONAME *libndctl-xen.so.1$'"
finish
