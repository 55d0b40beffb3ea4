#!/bin/bash
# Host side of xen-list and xen-list-reboot: for every namespace the guest
# reported, its info block in the backing file is the truth.  The live
# answer (from the block store) must equal the record exactly: dataoff,
# map, align, page_struct_size, the reservation's offset, size, owner,
# owner name and per-page bytes, the data area.  The sysfs answer must
# give the same geometry and null for all the rest: no value it gives may
# differ from the media.
set -euo pipefail
err() { echo "host/xen-list: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

XEN=$RIG_BUILD/ndctl/ndctl-xen
# (host/cxl.sh hands its own in RIG_FACTS)
facts=${RIG_FACTS:-$RIG_WORK/facts.json.boot}
n=$(jq length "$facts")
[ "$n" -gt 0 ] || { echo "host/xen-list: the guest reported no namespaces"; exit 1; }
bad=0
for i in $(seq 0 $((n - 1))); do
	f=$(jq -cM ".[$i]" "$facts")
	truth=$(file_layout "$XEN" "$f")
	live=$(answer_layout "$(echo "$f" | jq -cM .live)")
	# sysfs: the geometry equal, everything else null
	sysfs=$(answer_layout "$(echo "$f" | jq -cM .sysfs)")
	want_sysfs=$(echo "$truth" | jq -cM '.page_struct_size = null | .reserve_offset = null |
		.reserve_size = null | .owner = null | .owner_name = null | .per_page_bytes = null')
	ns=$(echo "$f" | jq -r .ns)
	if [ "$truth" = "$live" ]; then
		echo "host: $ns: the live answer equals the backing file: $truth"
	else
		echo "host: $ns: MISMATCH: file $truth, live answer $live"; bad=$((bad + 1))
	fi
	if [ "$want_sysfs" = "$sysfs" ]; then
		echo "host: $ns: the sysfs answer gives the file's geometry and nulls"
	else
		echo "host: $ns: MISMATCH: file $want_sysfs, sysfs answer $sysfs"; bad=$((bad + 1))
	fi
done
echo "host: $n namespaces, $((2 * n - bad)) of $((2 * n)) answers agree with the backing files"
[ $bad -eq 0 ]
