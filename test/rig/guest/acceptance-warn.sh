#!/bin/bash
# acceptance-warn: forged map=dev blocks whose dataoff is below what the
# memmap needs (dataoff 2M on 128M: the memmap needs 8K + 64 B x 32766).
#
# x86 vmemmap_populate() uses the device's altmap only when it maps whole
# 128M sections (2M vmemmap huge pages); for a partial section it takes
# base pages from DRAM and ignores the altmap.  So:
#  - a section-aligned namespace: validation passes, then add_pages() runs
#    out of altmap space: WARN_ON_ONCE in add_pages, probe fails -ENOMEM;
#  - a namespace straddling sections: the memmap goes to DRAM, the kernel
#    adopts the block (and no longer needs the space it reserved).
# This runs in its own boot because of that expected WARNING; the
# RIG-EXPECT-WARN lines tell rig.sh to accept it here and only here.
set -euo pipefail
. /rig/common
. /rig/cases

SECTION=$((128 << 20))

# Issue 22: a devdax namespace whose daxX.Y could not map (-12 here) is
# not usable.  ndctl-xen list says so (enabled false, no data frames),
# as ndctl shows that dax device disabled.
failed_claim() {
	local ns=$1 nd x
	nd=$(ndctl list -N -X -i -n "$ns" | jq -c '.[0]')
	x=$($XEN list -N -X -i --xen -n "$ns" | jq -c '.[0]')
	echo "acceptance-warn: $ns: ndctl list: $(jq -c '{mode, state, devices: [.daxregion.devices[]? | {chardev, state}]}' <<< "$nd")"
	echo "acceptance-warn: $ns: ndctl-xen list: $(jq -c '{enabled, state, xen: (.xen | {data, setup_data})}' <<< "$x")"
	expect "$ns: ndctl shows its dax device disabled" \
		test "$(jq -r '[.daxregion.devices[]?.state] | index("disabled") != null' <<< "$nd")" = true
	expect "$ns: ndctl-xen list: not enabled" test "$(jq -r .enabled <<< "$x")" = false
	expect "$ns: ndctl-xen list: no data frames" \
		test "$(jq -c '[.xen.data, .xen.setup_data]' <<< "$x")" = '[null,null]'
}
label_ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s 128M | jq -r .dev)
filler=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s 32M | jq -r .dev)
straddle_ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s 128M | jq -r .dev)
plain_ns=$(ndctl list -r "$RIG_PLAIN_REGION" -N | jq -r '.[0].dev')
for ns in $label_ns $plain_ns $straddle_ns; do
	parent=$(ns_uuid "$ns"); [ "$parent" = "$ZERO_UUID" ] && parent=
	size=$(ns_size "$ns") res=$(ns_resource "$ns")
	if [ $((res % SECTION)) = 0 ] && [ $((size % SECTION)) = 0 ]; then
		pred=invalid:memmap-short where=sections
	else
		pred=dram:memmap-short where=straddles
	fi
	echo "acceptance-warn: $ns at $(printf %#x $res) size $size: $where"
	for mode in fsdax devdax; do
		$XEN $(tool_args "$size" $mode dev 2M "$parent") > /tmp/none.img
		forge /tmp/none.img /tmp/short.img dataoff=$((2 << 20)) npfns=$(((size - (2 << 20)) / 4096))
		echo "RIG-EXPECT-WARN: add_pages"
		run_case "$(ns_dimm "$ns")-$where-$mode-dev-2M-memmap-short" "$ns" "$size" $pred /tmp/short.img
		echo "RIG-EXPECT-WARN-END"
		if [ $mode = devdax ] && [ $where = sections ]; then
			failed_claim "$ns"
		fi
	done
done
echo "RIG-SUMMARY-CLAIM: $PASSED passed, $FAILED failed"
print_table
[ "$FAILED" = 0 ]
