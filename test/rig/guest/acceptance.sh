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
OTHER_UUID=5ca1ab1e-0000-4000-8000-000000000001
NONE=/tmp/none.img IMG=/tmp/case.img FORGED=/tmp/forged.img

bytes() {
	case $1 in
	none) echo "" ;; 4K) echo 4096 ;; 2M+4K) echo $(((2 << 20) + 4096)) ;;
	64M) echo $((64 << 20)) ;;
	esac
}

# predict NS MODE MAP ALIGN RESERVE OUT: run the tool for namespace NS;
# print accept or refuse:RULE (the rule name the tool printed)
predict() {
	local ns=$1 mode=$2 map=$3 align=$4 rsv=$5 out=$6 parent rule
	parent=$(ns_uuid "$ns"); [ "$parent" = "$ZERO_UUID" ] && parent=
	if $XEN $(tool_args "$(ns_size "$ns")" "$mode" "$map" "$align" "$parent") \
		${rsv:+--reserve=$rsv} > "$out" 2> /tmp/tool.err; then
		echo accept
	else
		cat /tmp/tool.err >&2
		rule=$(sed -n 's/^ndctl-xen write-infoblock: \([a-z0-9-]*\): .*/\1/p' /tmp/tool.err | head -n 1)
		echo "refuse:${rule:-no-rule-printed}"
	fi
}

# For a refused request, the block the request implies, forged from the
# tool's block without a reservation ($NONE): the reservation starts where
# that block's data starts and dataoff rounds up to the alignment.
implied_block() {
	local rsv=$1 size=$2 out=$3 dataoff
	layout_of $NONE
	dataoff=$(( (L_DATA_OFF + (rsv + 4095) / 4096 * 4096 + L_ALIGN - 1) / L_ALIGN * L_ALIGN ))
	forge $NONE "$out" dataoff=$dataoff npfns=$(( dataoff < size ? (size - dataoff) / 4096 : 0 ))
}

new_raw_ns() {
	jtext dev "$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s "$1")"
}

# combo DIMM MODE MAP ALIGN NS [LAST]: every case of one mode/map/align.
# DIMM=label: each accepted reservation gets its own new namespace and
# stays enabled (final); NS takes the invalid blocks and "none".
# DIMM=plain: everything runs on NS; with LAST=1 the last case stays.
combo() {
	local dimm=$1 mode=$2 map=$3 align=$4 ns=$5 last=${6:-0}
	local id=$dimm-$mode-$map-$align size step max t rsv cns pred final max_ns=
	size=$(ns_size "$ns")
	pred=$(predict "$ns" $mode $map $align "" $NONE)
	if [ "$pred" != accept ]; then
		row "$id-none" "$pred" - null 0 null - MISMATCH "the tool refused the default layout"
		return 0
	fi

	# hand-made invalid blocks first, while the namespace is free
	layout_of $NONE
	max=$L_MAX
	[ "$align" = 2M ] && step=4096 || step=512
	forge $NONE $FORGED dataoff=$((L_DATAOFF + step))
	run_case "$id-invalid-dataoff+$step" "$ns" "$size" invalid:misaligned $FORGED
	forge $NONE $FORGED dataoff=$size npfns=0
	run_case "$id-invalid-dataoff=size" "$ns" "$size" invalid:at-end $FORGED
	forge $NONE $FORGED dataoff=$((size + (2 << 20))) npfns=0
	run_case "$id-invalid-dataoff>size" "$ns" "$size" invalid:past-end $FORGED
	forge $NONE $FORGED parent_uuid=$OTHER_UUID
	run_case "$id-invalid-parent" "$ns" "$size" invalid:wrong-parent $FORGED

	for t in none 4K 2M+4K 64M max+1 max; do
		case $t in
		max|max+1)
			if [ -z "$max" ]; then
				row "$id-$t" - - null 0 null - SKIP "the tool reported no max_reserve"
				continue
			fi
			rsv=$max; [ $t = max ] || rsv=$((max + 1)) ;;
		*) rsv=$(bytes $t) ;;
		esac
		final=0 cns=$ns
		if [ "$dimm" = label ]; then
			case $t in
			none) final=1 ;;
			64M) cns=$(new_raw_ns $BIG) final=1 ;;
			max+1) cns=$(new_raw_ns $SMALL) max_ns=$cns ;;
			max) cns=$max_ns final=1 ;;
			*) cns=$(new_raw_ns $SMALL) final=1 ;;
			esac
		elif [ "$last" = 1 ] && [ $t = max ]; then
			final=1
		fi
		pred=$(predict "$cns" $mode $map $align "$rsv" $IMG)
		if [ "$pred" != accept ]; then
			predict "$cns" $mode $map $align "" $NONE > /dev/null
			implied_block "$rsv" "$(ns_size "$cns")" $IMG
		fi
		run_case "$id-$t" "$cns" "$(ns_size "$cns")" "$pred" $IMG $final
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
