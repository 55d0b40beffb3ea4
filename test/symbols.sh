#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shared library exports exactly the functions the public header
# declares, each under the version node the version script lists it in
# (LIBNDCTL_XEN_1, then the chained LIBNDCTL_XEN_2), and they are the
# ones the version script lists.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(ls "$NDX_BUILD"/lib/libndctl-xen.so.1)

grep -ho 'ndctl_xen_[a-z0-9_]*(' "$SRC/include/ndctl/libndctl-xen.h" | tr -d '(' | sort -u > "$TMP/header"
grep -o 'ndctl_xen_[a-z0-9_]*;' "$SRC/lib/libndctl-xen.sym" | tr -d ';' | sort -u > "$TMP/script"
nm -D --defined-only "$LIB" | awk '$3 !~ /^LIBNDCTL_XEN_[0-9]+$/ {print $3}' | sed 's/@.*//' | sort -u > "$TMP/exported"
objdump -T "$LIB" | awk '/DF .text/ {print $NF "@" $(NF-1)}' | sort -u > "$TMP/nodes"
# what the script says: each symbol with the node it is listed under
awk '/^LIBNDCTL_XEN_[0-9]+ *\{/ {node = $1} /^\t*ndctl_xen_[a-z0-9_]*;/ {s = $1; sub(/;$/, "", s); print s "@" node}' \
	"$SRC/lib/libndctl-xen.sym" | sort -u > "$TMP/script-nodes"

check "header and version script list the same functions" diff -u "$TMP/header" "$TMP/script"
check "the library exports exactly those" diff -u "$TMP/header" "$TMP/exported"
check "every export sits in the node the script lists it in" diff -u "$TMP/script-nodes" "$TMP/nodes"
check "soname is libndctl-xen.so.1" sh -c "objdump -p '$LIB' | grep -q 'SONAME *libndctl-xen.so.1$'"
finish
