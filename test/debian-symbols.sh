#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# debian/libndctl-xen1.symbols is what scripts/debian-symbols.sh generates
# from lib/libndctl-xen.sym: a symbol added to the version script without
# regenerating it fails here (and dpkg-gensymbols fails the package build).
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$SRC/debian/libndctl-xen1.symbols" ] || skip "no debian/ directory in this tree"

check "debian symbols file matches lib/libndctl-xen.sym (else: scripts/debian-symbols.sh)" \
	"$SRC/scripts/debian-symbols.sh" --check
grep -o 'ndctl_xen_[a-z0-9_]*;' "$SRC/lib/libndctl-xen.sym" | tr -d ';' | sort -u > "$TMP/map"
sed -n 's/^ \(ndctl_xen_[a-z0-9_]*\)@.*/\1/p' "$SRC/debian/libndctl-xen1.symbols" | sort -u > "$TMP/symbols"
check "the symbols file lists every function of the map" diff -u "$TMP/map" "$TMP/symbols"
check "shlibs package name follows the soname" \
	grep -qx 'libndctl-xen.so.1 libndctl-xen1 #MINVER#' "$SRC/debian/libndctl-xen1.symbols"
finish
