#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden blocks: for each case in golden/cases, the 8 KiB write-infoblock
# emits must equal golden/NAME.xxd, and read-infoblock -j of that golden
# block must equal golden/NAME.json (compared with diff -u).  The blocks
# without a reservation are also byte-identical to ndctl's (interop.sh);
# the reserved ones are decoded by hand in pfn-reserve-format.txt.
# --regen rewrites the golden files (review the diff before committing).
. "$(dirname "$0")/common"
GOLDEN=$(cd "$(dirname "$0")" && pwd)/golden
U="-u 11111111-2222-3333-4444-555555555555 -p 66666666-7777-8888-9999-aaaaaaaaaaaa"
regen=0
[ "${1:-}" = --regen ] && regen=1

while IFS=: read -r name opts; do
	case $name in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	"$NDX" write-infoblock --stdout $opts $U | xxd -a > "$TMP/$name.xxd"
	xxd -r "$GOLDEN/$name.xxd" > "$TMP/$name.bin" 2>/dev/null || : > "$TMP/$name.bin"
	(cd "$TMP" && "$NDX" read-infoblock -j -i "$name.bin") > "$TMP/$name.json" || true
	if [ $regen = 1 ]; then
		cp "$TMP/$name.xxd" "$GOLDEN/$name.xxd"
		xxd -r "$GOLDEN/$name.xxd" > "$TMP/$name.bin"
		(cd "$TMP" && "$NDX" read-infoblock -j -i "$name.bin") > "$GOLDEN/$name.json"
		continue
	fi
	check "$name: encoded block" diff -u "$GOLDEN/$name.xxd" "$TMP/$name.xxd"
	check "$name: decoded JSON" diff -u "$GOLDEN/$name.json" "$TMP/$name.json"
done < "$GOLDEN/cases"
finish
