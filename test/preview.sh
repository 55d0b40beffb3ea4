#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The preview and what read-infoblock shows, offline, on image files:
#  - write-infoblock --dry-run writes nothing (the image's hash before and
#    after; a missing file stays missing) and prints exactly what the real
#    write then reads back as (read-infoblock --xen, same uuids);
#  - the drawing's areas are contiguous, add up to the namespace and are
#    drawn to scale;
#  - the per-page presets are the byte counts Xen's structures need;
#  - --xen's frame ranges and check_mgmt_size() fit equal the ones this
#    test computes from the kernel's and Xen's formulas (not the tool's);
#  - the rounding warning fires for -a 1G --reserve=4K and not for 2M.
. "$(dirname "$0")/common"

U=(-u 11111111-2222-3333-4444-555555555555 -p 66666666-7777-8888-9999-aaaaaaaaaaaa)
K4=4096 M2=$((2 << 20))
align_up() { echo $(( ($1 + $2 - 1) / $2 * $2 )); }
file_state() { stat -c '%s bytes, %b blocks, modified %y' "$1"; }

# --- the preview writes nothing and shows what is then written
while read -r size opts; do
	case="$size $opts"
	img=$TMP/p.img
	rm -f "$img"
	truncate -s "$size" "$img"
	# a new sparse file: any write (even of zeros) allocates blocks and moves
	# its mtime; hashing gigabytes of holes three times a case told no more
	before=$(file_state "$img")
	# shellcheck disable=SC2086
	"$NDX" write-infoblock -o "$img" $opts "${U[@]}" --dry-run > "$TMP/dry" 2> "$TMP/dry.err"
	check "$case: --dry-run leaves the image as it was" test "$(file_state "$img")" = "$before"
	check "$case: --dry-run says so" grep -q 'dry run: nothing written' "$TMP/dry.err"
	# shellcheck disable=SC2086
	"$NDX" write-infoblock -o "$img" $opts "${U[@]}" --dry-run -j > "$TMP/dry.json" 2> /dev/null
	check "$case: --dry-run -j leaves the image as it was" test "$(file_state "$img")" = "$before"
	# shellcheck disable=SC2086
	"$NDX" write-infoblock -o "$img" $opts "${U[@]}" 2>/dev/null
	check "$case: the real write changed it" test "$(file_state "$img")" != "$before"
	xen=--xen
	case $opts in *xen-bigmem*) xen=--xen=xen-bigmem ;; esac
	"$NDX" read-infoblock -i "$img" $xen > "$TMP/read"
	check "$case: the preview is what read-infoblock reads back" diff -u "$TMP/read" "$TMP/dry"
	"$NDX" read-infoblock -i "$img" $xen -j > "$TMP/read.json"
	check "$case: the JSON preview is what read-infoblock -j reads back" \
		diff -u "$TMP/read.json" "$TMP/dry.json"
done <<'EOF'
64M -M dev
128M -M mem --reserve=4M
1G -M mem --reserve-per-page=xen
1G -m devdax --reserve-per-page=xen-bigmem
4G -a 1G -M mem --reserve=4K
EOF

rm -f "$TMP/none.img"
"$NDX" write-infoblock -o "$TMP/none.img" -s 64M --dry-run > /dev/null 2>&1
check "--dry-run creates no file" test ! -e "$TMP/none.img"
"$NDX" write-infoblock -c -s 64M --reserve=4M --dry-run > "$TMP/c.out" 2>/dev/null
check "--dry-run --stdout prints the preview, not the block" grep -q '^areas: |' "$TMP/c.out"

# --- the drawing and the areas
for opts in "-s 64M -M dev" "-s 1G -M mem --reserve=64M" "-s 4G -a 1G -M mem --reserve=4K" \
		"-s 1073745920 -M dev --reserve=8M"; do
	# shellcheck disable=SC2086
	"$NDX" write-infoblock -c $opts | "$NDX" read-infoblock -i - ${opts%% -[Mam]*} > "$TMP/t"
	# shellcheck disable=SC2086
	"$NDX" write-infoblock -c $opts | "$NDX" read-infoblock -j -i - ${opts%% -[Mam]*} > "$TMP/j"
	size=$(jq '.[0].layout.size' "$TMP/j")
	check "$opts: the JSON areas add up to the namespace" \
		test "$(jq '[.[0].areas[].size] | add' "$TMP/j")" = "$size"
	check "$opts: the JSON areas are contiguous from 0" test "$(jq '.[0].areas |
		[.[0].offset == 0] + [range(1; length) as $i |
		.[$i].offset == .[$i - 1].offset + .[$i - 1].size] | all' "$TMP/j")" = true
	sum=0
	while read -r _ _ _ asize _; do sum=$((sum + asize)); done < <(grep -E '^  [IM.RDT] ' "$TMP/t")
	check "$opts: the drawn lines add up to the namespace" test "$sum" = "$size"
	bar=$(sed -n 's/^areas: |\([^|]*\)|.*/\1/p' "$TMP/t")
	check "$opts: the bar is 64 columns" test "${#bar}" = 64
	n=$(jq '.[0].areas | length' "$TMP/j")
	# every area within n columns of its share (each gets at least one)
	while read -r letter asize; do
		cols=$(tr -cd "$letter" <<< "$bar" | wc -c)
		want=$((asize * 64 / size))
		d=$((cols - want)); d=${d#-}
		check "$opts: area $letter drawn to scale ($cols columns for $want)" test "$d" -le "$n"
	done < <(awk '/^  [IMRDT] /{ print $1, $4 }' "$TMP/t")
done
# the reserve and data areas are where this test computes them (map=mem:
# the kernel's dataoff is ALIGN(8K, 2M); the reservation sits below dataoff)
"$NDX" write-infoblock -c -s 1G -M mem --reserve=64M | "$NDX" read-infoblock -j -i - -s 1G > "$TMP/j"
k=$(align_up 8192 $M2); d=$(align_up $((k + (64 << 20))) $M2)
check "reserve area at dataoff - 64M" test "$(jq -c '[.[0].areas[] | select(.area == "reserve") | .offset, .size]' "$TMP/j")" = "[$((d - (64 << 20))),$((64 << 20))]"
check "data area from dataoff to the end" test "$(jq -c '[.[0].areas[] | select(.area == "data") | .offset, .size]' "$TMP/j")" = "[$d,$(((1 << 30) - d))]"

# --- presets: Xen x86-64 page_info 32 B (48 with CONFIG_BIGMEM) + an 8 B M2P entry
for p in xen:40 xen-bigmem:56; do
	"$NDX" write-infoblock -c -s 1G -M mem --reserve-per-page="${p%:*}" "${U[@]}" > "$TMP/a"
	"$NDX" write-infoblock -c -s 1G -M mem --reserve-per-page="${p#*:}" "${U[@]}" > "$TMP/b"
	check "preset ${p%:*} writes the block ${p#*:} bytes a page writes" cmp -s "$TMP/a" "$TMP/b"
	check "preset ${p%:*}: per_page_bytes ${p#*:}" test \
		"$("$NDX" read-infoblock -j -i "$TMP/a" -s 1G | jq '.[0].reserve.per_page_bytes')" = "${p#*:}"
done

# --- --xen against Xen's formulas, computed here
while read -r size phys map rsvpp pinfo preset; do
	S=$((size)); P=$((phys))
	npfns=$(( (S - 8192) / K4 ))
	if [ "$map" = dev ]; then k=$(align_up $((8192 + 64 * npfns)) $M2); else k=$(align_up 8192 $M2); fi
	R=$(align_up $((rsvpp * (S / K4))) $K4)
	d=$(align_up $((k + R)) $M2)
	N=$(( (S - d) / K4 ))
	need=$(( (pinfo * N >> 12) + (8 * N >> 12) ))
	fits=false; [ $((R / K4)) -ge "$need" ] && fits=true
	want="[$(( (P + d - R) / K4 )),$(( (P + d) / K4 )),$(( (P + d) / K4 )),$(( (P + S) / K4 )),$need,$fits]"
	"$NDX" write-infoblock -c -s "$S" -M "$map" --reserve-per-page="$rsvpp" |
		"$NDX" read-infoblock -j -i - -s "$S" -O "$P" --xen="$preset" > "$TMP/x"
	got=$(jq -c '.[0].xen | [.mgmt_smfn, .mgmt_emfn, .data_smfn, .data_emfn, .required_mfns, .fits]' "$TMP/x")
	check "--xen=$preset $size at $phys map=$map $rsvpp B/page: $got = $want" test "$got" = "$want"
done <<'EOF'
1073741824 0x100000000 mem 40 32 xen
1073741824 0x100000000 mem 40 48 xen-bigmem
1073741824 0x100000000 mem 56 48 xen-bigmem
17179869184 0x2040000000 dev 40 32 xen
536870912 0x80000000 mem 24 32 xen
EOF
# the text form says the same
"$NDX" write-infoblock -c -s 1G -M mem --reserve-per-page=40 |
	"$NDX" read-infoblock -i - -s 1G -O 0x100000000 --xen=xen-bigmem > "$TMP/xt"
check "--xen text: BIGMEM does not fit 40 B a page" grep -q 'page_info 48 B .*: does not fit$' "$TMP/xt"

# --- the rounding warning
truncate -s 4G "$TMP/w.img"
"$NDX" write-infoblock -o "$TMP/w.img" -a 1G -M mem --reserve=4K --dry-run > /dev/null 2> "$TMP/w.err"
check "-a 1G --reserve=4K on 4G: warned" grep -q 'warning: .*costs 1 GiB of data' "$TMP/w.err"
"$NDX" write-infoblock -o "$TMP/w.img" -a 2M -M mem --reserve=4K --dry-run > /dev/null 2> "$TMP/w.err"
check "-a 2M --reserve=4K on 4G: warned (a whole 2 MiB align unit for 4 KiB)" \
	grep -q 'warning: a reservation of 4 KiB .*costs 2 MiB of data' "$TMP/w.err"
"$NDX" write-infoblock -c -s 128M -M mem --reserve=1 > /dev/null 2> "$TMP/w.err"
check "--reserve=1 written to stdout: warned" grep -q 'warning: a reservation of 4 KiB .*costs 2 MiB of data' "$TMP/w.err"
"$NDX" write-infoblock -o "$TMP/w.img" -a 2M -M mem --reserve=64M --dry-run > /dev/null 2> "$TMP/w.err"
check "-a 2M --reserve=64M on 4G: not warned (no rounding)" sh -c "! grep -q warning '$TMP/w.err'"

# --- -o without -j: ndctl's raw 8 KiB
"$NDX" write-infoblock -o "$TMP/w.img" -M mem --reserve=4M 2>/dev/null
"$NDX" read-infoblock -i "$TMP/w.img" -o "$TMP/raw"
check "-o writes the image's first 8 KiB" cmp "$TMP/raw" <(head -c 8192 "$TMP/w.img")
"$NDX" read-infoblock -i "$TMP/w.img" -j -o "$TMP/raw.json"
check "-o with -j writes the JSON" jq -e '.[0].signature' "$TMP/raw.json" > /dev/null
finish
