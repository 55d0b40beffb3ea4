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
	img=$(backing_file "$RIG_WORK" "$(echo "$f" | jq -r .dimm)")
	truth=$(read_infoblock "$img" "$(ns_file_offset "$f")" |
		"$XEN" read-infoblock -V -s "$(echo "$f" | jq .size)" -i - -j | jq -cM '.[0] |
		(.reserve.owner // null) as $o | {
		dataoff, map, align, page_struct_size,
		reserve_offset: (.reserve.offset // null), reserve_size: (.reserve.size // null),
		owner: $o, owner_name: (if $o == null or $o == "os" or $o == "hypervisor" then null else $o end),
		per_page_bytes: (.reserve.per_page_bytes // null),
		data_offset: .layout.data_offset, data_size: .layout.data_size}')
	live=$(echo "$f" | jq -cM '.live | {dataoff, map, align, page_struct_size,
		reserve_offset: (.reserve.offset // null), reserve_size: (.reserve.size // null),
		owner: (.reserve.owner // null), owner_name: (.reserve.owner_name // null),
		per_page_bytes: (.reserve.per_page_bytes // null),
		data_offset: .data.offset, data_size: .data.size}')
	# sysfs: the geometry equal, everything else null
	sysfs=$(echo "$f" | jq -cM '.sysfs | {dataoff, map, align, page_struct_size,
		reserve_offset: .reserve.offset, reserve_size: .reserve.size, owner: .reserve.owner,
		owner_name: .reserve.owner_name, per_page_bytes: .reserve.per_page_bytes,
		data_offset: .data.offset, data_size: .data.size}')
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
