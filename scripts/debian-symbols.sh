#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# debian/libndctl-xen1.symbols from the library's version script
# lib/libndctl-xen.sym: one line per version node and per global symbol.
# A symbol already in the committed file keeps its version; a new one gets
# the project's version from meson.build (or VERSION=x.y.z in the
# environment): the first upstream version that has it.
#
#   scripts/debian-symbols.sh           rewrite debian/libndctl-xen1.symbols
#   scripts/debian-symbols.sh --check   exit 1 (and show the diff) if the
#                                       committed file is not what it would write
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
MAP=lib/libndctl-xen.sym
OUT=debian/libndctl-xen1.symbols
version=${VERSION:-$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)}
[ -n "$version" ] || { echo "debian-symbols: no version in meson.build" >&2; exit 1; }

generate() {
	echo "libndctl-xen.so.1 libndctl-xen1 #MINVER#"
	echo "* Build-Depends-Package: libndctl-xen-dev"
	# the version script: NODE { global: sym; ... local: *; } [PARENT];
	sed -e 's,/\*.*\*/,,g' -e 's,#.*,,' "$MAP" | tr -s ' \t' '\n\n' | awk '
		/^[A-Za-z_][A-Za-z0-9_.]*\{?$/ && !in_node { node = $0; sub(/\{$/, "", node); next }
		/^\{$/ { in_node = 1; print node "@" node; scope = "global"; next }
		/\{$/ { next }
		/^}/ { in_node = 0; next }
		/^global:$/ { scope = "global"; next }
		/^local:$/ { scope = "local"; next }
		in_node && scope == "global" && /;$/ { s = $0; sub(/;$/, "", s); if (s != "") print s "@" node }
	' | sort -u | while read -r sym; do
		old=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$OUT" 2> /dev/null || true)
		echo " $sym ${old:-$version}"
	done
}

if [ "${1:-}" = --check ]; then
	if ! diff -u "$OUT" <(generate); then
		echo "debian-symbols: $OUT is out of date with $MAP; run scripts/debian-symbols.sh and commit it" >&2
		exit 1
	fi
	echo "debian-symbols: $OUT matches $MAP"
else
	generate > "$OUT.new"
	mv "$OUT.new" "$OUT"
	echo "debian-symbols: wrote $OUT ($(grep -c '^ ' "$OUT") symbols)"
fi
