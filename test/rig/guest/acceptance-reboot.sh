#!/bin/bash
# acceptance-reboot: second boot on the backing files the acceptance test
# left behind (rig.sh --reuse-work).  Every namespace it reported must come
# back with the same mode, map, device size and dataoff, and its data
# pattern must still start at dataoff (first 2 MiB: a device-dax mmap
# must cover whole align units).
set -euo pipefail
. /rig/common

prev=/rig/prev-facts.json
n=$(jq length $prev)
[ "$n" -gt 0 ] || { echo "acceptance-reboot: no facts from the first boot"; exit 1; }
bad=0
while IFS=$'\t' read -r id res size mode map devsize dataoff tag md5; do
	ns=
	for d in $NDBUS/namespace*; do
		[ $(($(< $d/resource))) = "$res" ] && [ $(($(< $d/size))) -gt 0 ] && ns=${d##*/}
	done
	if [ -z "$ns" ]; then
		echo "reboot: $id: no namespace at resource $res"; bad=$((bad + 1)); continue
	fi
	kernel_result "$ns" "$size"
	want="adopted $mode $map $devsize $dataoff"
	got="$K_RESULT $K_MODE $K_MAP $K_DEVSIZE $K_DATAOFF"
	data=ok
	if [ "$got" = "$want" ] && [ "$tag" = ext4 ]; then
		# xen-reserve's ext4 case: the file written before power-off
		mkdir -p /mnt/$ns
		if mount -t ext4 -o dax "$(data_dev "$ns")" /mnt/$ns; then
			[ "$(md5sum < /mnt/$ns/file | cut -d' ' -f1)" = "$md5" ] || data=file-changed
			umount /mnt/$ns
		else
			data=mount-failed
		fi
	elif [ "$got" = "$want" ]; then
		# a device-dax mapping must be a multiple of its 2 MiB alignment
		rigfill check "$(data_dev "$ns")" 0 $((devsize < 2097152 ? devsize : 2097152)) "$tag" ||
			data=data-changed
	fi
	if [ "$got" = "$want" ] && [ $data = ok ]; then
		echo "reboot: $id ($ns): same layout: $got"
	else
		echo "reboot: $id ($ns): MISMATCH: want $want, got $got $data"; bad=$((bad + 1))
	fi
done < <(jq -r '.[] | [.case, .resource, .size, .mode, .map, .devsize, .dataoff, .data_tag, (.file_md5 // "")] | @tsv' $prev)
echo "RIG-REBOOT: $((n - bad)) of $n namespaces came back with the same layout"
[ $bad -eq 0 ]
