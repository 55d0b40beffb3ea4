#!/bin/bash
# acceptance: the tool's predictions against the real kernel.
#
# modes {fsdax map=dev, fsdax map=mem, devdax} x align {4K, 2M} x
# reservations {none, 4K, 2M+4K, 64M, max, max+1} on label-backed
# namespaces (one namespace per accepted case, so every final layout
# survives for the host checks and the second boot) and on the label-less
# namespace (cases one after another; the last one survives), plus
# hand-made invalid blocks.  Prints the matrix and fails on any mismatch.
set -euo pipefail
. /rig/common
. /rig/cases

MODES="fsdax:dev fsdax:mem devdax:dev"
ALIGNS="4K 2M"
SMALL=$((32 << 20)) BIG=$((96 << 20))
ZERO_UUID=00000000-0000-0000-0000-000000000000
OTHER_UUID=5ca1ab1e-0000-4000-8000-000000000001

bytes() {
	case $1 in
	none) echo "" ;; 4K) echo 4096 ;; 2M+4K) echo $(((2 << 20) + 4096)) ;;
	64M) echo $((64 << 20)) ;; 2M) echo $((2 << 20)) ;;
	esac
}

# predict ARGS RESERVE OUT: run the tool; print accept or refuse:RULE
predict() {
	local args=$1 rsv=$2 out=$3 rule
	if $XEN $args ${rsv:+--reserve=$rsv} > "$out" 2> /tmp/tool.err; then
		echo accept
	else
		cat /tmp/tool.err >&2
		rule=$(sed -n 's/^ndctl-xen write-infoblock: \([a-z0-9-]*\): .*/\1/p' /tmp/tool.err | head -n 1)
		echo "refuse:${rule:-no-rule-printed}"
	fi
}

# For a refused request, the block the request implies, built from the
# tool's block without a reservation: the reservation starts where that
# block's data starts and dataoff rounds up to the alignment.
implied_block() {
	local none=$1 rsv=$2 out=$3 size=$4 lay data align dataoff npfns
	lay=$(layout_of "$none")
	data=$(echo "$lay" | jq .layout.data_offset)
	align=$(echo "$lay" | jq .align)
	dataoff=$(( (data + (rsv + 4095) / 4096 * 4096 + align - 1) / align * align ))
	npfns=$(( dataoff < size ? (size - dataoff) / 4096 : 0 ))
	forge "$none" "$out" dataoff=$dataoff npfns=$npfns
}

new_raw_ns() {
	ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s "$1" | jq -r .dev
}

# Every case of one mode/map/align on a namespace NS of SIZE.  DIMM=label
# gives each accepted reservation its own namespace (created here);
# DIMM=plain runs everything on NS and leaves the last case enabled.
combo() {
	local dimm=$1 mode=$2 map=$3 align=$4 ns=$5 last=${6:-0}
	local id=$dimm-$mode-$map-$align size parent args pred max dataoff step
	local none=/tmp/none.img img=/tmp/case.img forged=/tmp/forged.img

	target_ns() { # reservation -> namespace for a label case
		if [ "$dimm" = plain ]; then echo "$ns"; return; fi
		case $1 in none) echo "$ns" ;; 64M) new_raw_ns $BIG ;; *) new_raw_ns $SMALL ;; esac
	}
	size_of() { echo $(($(cat $NDBUS/$1/size))); }

	size=$(size_of "$ns")
	parent=$(ns_uuid "$ns")
	[ "$parent" = "$ZERO_UUID" ] && parent=
	args=$(tool_args "$size" "$mode" "$map" "$align" "$parent")
	pred=$(predict "$args" "" $none)
	[ "$pred" = accept ] || { row "$(jq -ncM --arg id "$id-none" --arg p "$pred" \
		'{id: $id, pred: $p, kernel: "-", want: 0, check: "-", verdict: "MISMATCH",
		  reason: "the tool refused the default layout"}')"; return 0; }

	# hand-made invalid blocks first, while the namespace is free
	dataoff=$(layout_of $none | jq .dataoff)
	[ "$align" = 2M ] && step=4096 || step=512
	forge $none $forged dataoff=$((dataoff + step))
	run_case "$id-invalid-dataoff+$step" "$ns" "$size" "$parent" invalid:misaligned $forged
	forge $none $forged dataoff=$size npfns=0
	run_case "$id-invalid-dataoff=size" "$ns" "$size" "$parent" invalid:at-end $forged
	forge $none $forged dataoff=$((size + (2 << 20))) npfns=0
	run_case "$id-invalid-dataoff>size" "$ns" "$size" "$parent" invalid:past-end $forged
	forge $none $forged parent_uuid=$OTHER_UUID
	run_case "$id-invalid-parent" "$ns" "$size" "$parent" invalid:wrong-parent $forged

	# max and max+1: the tool reports the largest reservation it accepts
	max=$(layout_of $none | jq '.layout.max_reserve // empty')
	local t cns csize cparent cargs rsv final
	for t in none 4K 2M+4K 64M max+1 max; do
		case $t in
		max|max+1)
			if [ -z "$max" ]; then
				row "$(jq -ncM --arg id "$id-$t" '{id: $id, pred: "-", kernel: "-", want: 0,
					check: "-", verdict: "SKIP", reason: "tool reported no max_reserve"}')"
				continue
			fi
			rsv=$max; [ $t = max+1 ] && rsv=$((max + 1)) ;;
		*) rsv=$(bytes $t) ;;
		esac
		if [ $t = max+1 ] || [ "$dimm" = plain ]; then cns=$ns
		elif [ $t = max ]; then cns=$max_ns
		else cns=$(target_ns $t); fi
		[ $t = max+1 ] && [ "$dimm" = label ] && { cns=$(new_raw_ns $SMALL); max_ns=$cns; }
		csize=$(size_of "$cns")
		cparent=$(ns_uuid "$cns"); [ "$cparent" = "$ZERO_UUID" ] && cparent=
		cargs=$(tool_args "$csize" "$mode" "$map" "$align" "$cparent")
		# label: every accepted case keeps its namespace; plain: only the last
		final=0
		if [ "$dimm" = label ] && [ $t != max+1 ]; then final=1; fi
		if [ "$dimm" = plain ] && [ "$last" = 1 ] && [ $t = max ]; then final=1; fi
		pred=$(predict "$cargs" "$rsv" $img)
		if [ "$pred" != accept ]; then
			predict "$cargs" "" $none > /dev/null
			implied_block $none "$rsv" $img "$csize"
		fi
		run_case "$id-$t" "$cns" "$csize" "$cparent" "$pred" $img $final
	done
}

plain_ns=$(ndctl list -r "$RIG_PLAIN_REGION" -N | jq -r '.[0].dev')
for mm in $MODES; do
	for a in $ALIGNS; do
		combo label ${mm%:*} ${mm#*:} $a "$(new_raw_ns $SMALL)"
	done
done
for mm in $MODES; do
	for a in $ALIGNS; do
		last=0; [ "$mm $a" = "devdax:dev 2M" ] && last=1
		combo plain ${mm%:*} ${mm#*:} $a "$plain_ns" $last
	done
done
print_table
