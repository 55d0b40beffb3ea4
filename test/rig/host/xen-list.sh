#!/bin/bash
# Host side of xen-list: the info block in the backing file describes the
# layout the guest's ndctl-xen list reported, namespace by namespace.
set -euo pipefail
err() { echo "host/xen-list: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

XEN=$RIG_BUILD/ndctl/ndctl-xen
facts=$RIG_WORK/facts.json.boot
n=$(jq length "$facts")
[ "$n" -gt 0 ] || { echo "host/xen-list: the guest reported no namespaces"; exit 1; }
bad=0
for i in $(seq 0 $((n - 1))); do
	f=$(jq -cM ".[$i]" "$facts")
	img=$(backing_file "$RIG_WORK" "$(echo "$f" | jq -r .dimm)")
	truth=$(read_infoblock "$img" "$(ns_file_offset "$f")" |
		"$XEN" read-infoblock -V -s "$(echo "$f" | jq .size)" -i - -j | jq -cM '.[0] | {
		dataoff, map, reserve_offset: (.reserve.offset // 0), reserve_size: (.reserve.size // 0),
		owner: (.reserve.owner // ""), data_offset: .layout.data_offset, data_size: .layout.data_size}')
	said=$(echo "$f" | jq -cM '{dataoff, map, reserve_offset, reserve_size, owner, data_offset, data_size}')
	if [ "$truth" = "$said" ]; then
		echo "host: $(echo "$f" | jq -r .ns): backing file agrees: $truth"
	else
		echo "host: $(echo "$f" | jq -r .ns): MISMATCH: file $truth, guest $said"; bad=$((bad + 1))
	fi
done
echo "host: $((n - bad)) of $n namespaces agree with the backing files"
[ $bad -eq 0 ]
