#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Interop with Debian's ndctl, both ways:
#  - every block ndctl write-infoblock writes (sparse images 16M..4T, fsdax
#    and devdax, map dev and mem, align 4K, 2M, 1G) decodes to the same
#    values with ndctl-xen read-infoblock, and ndctl-xen writes the same
#    8 KiB byte for byte (same uuid); where ndctl refuses, so do we;
#  - every block ndctl-xen writes with a reservation passes
#    ndctl read-infoblock -V -j with the same field values;
#  - read-infoblock -j and -u print every key ndctl's prints with its type
#    and value, and -o writes the same raw 8 KiB as ndctl's -o.
. "$(dirname "$0")/common"

command -v ndctl >/dev/null || skip "Debian's ndctl is not installed (apt-get install ndctl)"

# same_keys NDCTL.json OURS.json: every key ndctl read-infoblock prints is
# in ours, with the same JSON type and value (ours adds keys of its own).
same_keys() {
	local a b
	a=$(jq -cS '.[0]' "$1")
	b=$(jq -cS --argjson nd "$a" '.[0] | with_entries(select(.key as $k | $nd | has($k)))' "$2")
	[ "$a" = "$b" ] || { echo "ndctl: $a" >&2; echo "ours:  $b" >&2; return 1; }
}

SIZES="16M 64M 1G 1073745920 16G 1T 4T"
# Under valgrind (NDX_VALGRIND) each run costs a second: the matrix at two
# sizes whose blocks take every path (16M: blocks ndctl leaves without a
# data page, 1G+4K: an end_trunc); the others differ only in numbers.
if [ -n "${NDX_VALGRIND:-}" ]; then
	SIZES="16M 1073745920"
	echo "interop: under valgrind: sizes $SIZES of the matrix's 16M 64M 1G 1073745920 16G 1T 4T"
fi
equal=0 refused_both=0 reserved=0 empty=0
for size in $SIZES; do
	for mode in fsdax devdax; do
		for map in dev mem; do
			for align in 4K 2M 1G; do
				case="$size/$mode/$map/$align"
				rm -f "$TMP/nd.img" "$TMP/x.img"
				truncate -s "$size" "$TMP/nd.img" "$TMP/x.img"
				if ! ndctl write-infoblock -o "$TMP/nd.img" -m "$mode" -M "$map" -a "$align" 2>/dev/null; then
					if "$NDX" write-infoblock -o "$TMP/x.img" -m "$mode" -M "$map" -a "$align" 2>"$TMP/err"; then
						fail "$case: ndctl refused, ndctl-xen accepted"
					elif grep -q 'no-data-page' "$TMP/err"; then
						pass; refused_both=$((refused_both + 1))
					else
						fail "$case: refused for another reason: $(cat "$TMP/err")"
					fi
					continue
				fi
				ndctl read-infoblock -i "$TMP/nd.img" -j > "$TMP/nd.json" 2>/dev/null
				if [ "$(jq '.[0].npfns' "$TMP/nd.json")" = 0 ]; then
					# ndctl writes a block with no data page when dataoff
					# reaches size - end_trunc; we refuse to write it and
					# -V calls it inconsistent, by the same rule.
					! "$NDX" read-infoblock -V -i "$TMP/nd.img" -o /dev/null 2>"$TMP/err" &&
						grep -q no-data-page "$TMP/err" && pass || fail "$case: empty block not flagged"
					! "$NDX" write-infoblock -o "$TMP/x.img" -m "$mode" -M "$map" -a "$align" 2>"$TMP/err" &&
						grep -q no-data-page "$TMP/err" && pass || fail "$case: empty block written"
					empty=$((empty + 1))
					continue
				fi
				check "$case: ndctl-xen -V accepts ndctl's block" \
					"$NDX" read-infoblock -V -j -i "$TMP/nd.img" -o "$TMP/x-of-nd.json"
				check "$case: ndctl's keys, types and values" same_keys "$TMP/nd.json" "$TMP/x-of-nd.json"
				ndctl read-infoblock -i "$TMP/nd.img" -u > "$TMP/nd-u.json" 2>/dev/null
				"$NDX" read-infoblock -i "$TMP/nd.img" -u > "$TMP/x-u.json"
				check "$case: -u: ndctl's keys, types and values" same_keys "$TMP/nd-u.json" "$TMP/x-u.json"
				ndctl read-infoblock -i "$TMP/nd.img" -o "$TMP/nd.raw" 2>/dev/null
				"$NDX" read-infoblock -i "$TMP/nd.img" -o "$TMP/x.raw"
				check "$case: -o writes the raw 8 KiB as ndctl's -o does" cmp -s "$TMP/nd.raw" "$TMP/x.raw"
				check "$case: record absent in ndctl's block" \
					test "$(jq -r '.[0].record' "$TMP/x-of-nd.json")" = absent
				uuid=$(jq -r '.[0].uuid' "$TMP/nd.json")
				"$NDX" write-infoblock -o "$TMP/x.img" -m "$mode" -M "$map" -a "$align" -u "$uuid"
				if cmp -s -n 8192 "$TMP/nd.img" "$TMP/x.img"; then
					pass; equal=$((equal + 1))
				else
					fail "$case: our block differs from ndctl's"
				fi
				for rsv in --reserve=64M --reserve=4K --reserve-per-page=40; do
					rm -f "$TMP/r.img"
					truncate -s "$size" "$TMP/r.img"
					"$NDX" write-infoblock -o "$TMP/r.img" -m "$mode" -M "$map" -a "$align" $rsv \
						2>"$TMP/err" || { grep -q no-data-page "$TMP/err" && pass || fail "$case $rsv: $(cat "$TMP/err")"; continue; }
					ndctl read-infoblock -V -j -i "$TMP/r.img" > "$TMP/nd-of-x.json" 2>/dev/null
					"$NDX" read-infoblock -V -j -i "$TMP/r.img" > "$TMP/x-of-x.json"
					check "$case $rsv: ndctl -V accepts our block" \
						test "$(jq length "$TMP/nd-of-x.json")" = 1
					check "$case $rsv: ndctl reads our values, with our keys' types" same_keys "$TMP/nd-of-x.json" "$TMP/x-of-x.json"
					check "$case $rsv: record present" \
						test "$(jq -r '.[0].record' "$TMP/x-of-x.json")" = present
					reserved=$((reserved + 1))
				done
			done
		done
	done
done
echo "byte-identical to ndctl: $equal; refused by both: $refused_both; reserved blocks accepted by ndctl -V: $reserved; ndctl blocks without a data page (refused by us): $empty"

# Every align ndctl write-infoblock takes (a power of two from 4K): -V
# passes every block the kernel accepts (fsdax: any align; devdax: only
# 4K, 2M, 1G, nd_supported_alignment()), and reports ndctl-xen's own
# stricter rule apart, under "policy".
aligns=0
for align in 4K 8K 64K 256K 2M 16M 128M 1G; do
	for mode in fsdax devdax; do
		for map in dev mem; do
			case="4G/$mode/$map/align $align"
			rm -f "$TMP/a.img"
			truncate -s 4G "$TMP/a.img"
			ndctl write-infoblock -o "$TMP/a.img" -m "$mode" -M "$map" -a "$align" 2>/dev/null ||
				{ fail "$case: ndctl refused to write it"; continue; }
			aligns=$((aligns + 1))
			rc=0
			"$NDX" read-infoblock -V -j -i "$TMP/a.img" > "$TMP/a.json" 2>"$TMP/err" || rc=$?
			ours=0
			case $align in 4K|2M|1G) ours=1 ;; esac
			if [ $mode = fsdax ] || [ $ours = 1 ]; then
				check "$case: -V passes what the kernel accepts" test "$rc/$(jq -r '.[0].kernel' "$TMP/a.json")" = 0/accepts
			else
				check "$case: -V fails what the kernel refuses, by its devdax align rule" test \
					"$rc/$(jq -r '.[0].kernel' "$TMP/a.json")/$(grep -c align-supported "$TMP/err")" = 1/refuses/1
			fi
			if [ $ours = 1 ]; then
				check "$case: no policy note" test "$(jq -c '.[0].policy' "$TMP/a.json")" = null
			elif [ $mode = fsdax ]; then
				check "$case: ndctl-xen's align rule reported apart" test \
					"$(jq -r '.[0].policy.rule' "$TMP/a.json")" = align-supported
			fi
		done
	done
done
echo "ndctl blocks with every align checked against the kernel's rules: $aligns"
finish
