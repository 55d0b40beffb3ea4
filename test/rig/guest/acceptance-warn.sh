#!/bin/bash
# acceptance-warn: a forged map=dev block whose dataoff is below what the
# memmap needs.  The kernel's validation passes it, then add_pages() runs
# out of altmap space: WARN_ON_ONCE in add_pages and the probe fails with
# -ENOMEM.  This runs in its own boot because of that expected WARNING; the
# RIG-EXPECT-WARN lines tell rig.sh to accept it here and only here.
set -euo pipefail
. /rig/common
. /rig/cases

SIZE=$((128 << 20))	# memmap needs 64 B x 32766 pages + 8K > 2M: default dataoff 4M
label_ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s $SIZE | jq -r .dev)
plain_ns=$(ndctl list -r "$RIG_PLAIN_REGION" -N | jq -r '.[0].dev')
for ns in $plain_ns $label_ns; do
	parent=$(ns_uuid "$ns"); [ "$parent" = "$ZERO_UUID" ] && parent=
	size=$(ns_size "$ns")
	for mm in fsdax:dev devdax:dev; do
		$XEN $(tool_args "$size" ${mm%:*} dev 2M "$parent") > /tmp/none.img
		forge /tmp/none.img /tmp/short.img dataoff=$((2 << 20)) npfns=$(((size - (2 << 20)) / 4096))
		echo "RIG-EXPECT-WARN: add_pages"
		run_case "$(ns_dimm "$ns")-${mm%:*}-dev-2M-invalid-memmap-short" "$ns" "$size" \
			invalid:memmap-short /tmp/short.img
		echo "RIG-EXPECT-WARN-END"
	done
done
print_table
