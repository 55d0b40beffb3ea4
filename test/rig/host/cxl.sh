#!/bin/bash
# Host side of the CXL test (guest/cxl.sh, both boots), after power-off:
# cxl.img is the device's capacity, a byte at DPA D at file offset D, and
# with one device DPA = physical address - region resource.
# - every namespace's info block in the file equals the live answer (from
#   the store) and the sysfs answer gives its geometry and nulls
#   (host/xen-list.sh's checks);
# - the frames list --xen gave are where the bytes are: the reserve's
#   pattern R<tag> starts at mgmt.smfn's file offset and covers
#   mgmt.emfn - mgmt.smfn frames; the data device's pattern D<tag> (its
#   first 4 MiB) starts at data.smfn's.
set -euo pipefail
err() { echo "host/cxl: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

img=$RIG_WORK/cxl.img
facts=$RIG_WORK/cxl-facts.json
jq '[.[] | select(.live != null)]' "$RIG_WORK/facts.json.boot" > "$facts"
n=$(jq length "$facts")
[ "$n" -gt 0 ] || { echo "host/cxl: the guest reported no namespaces"; exit 1; }
rc=0
RIG_FACTS=$facts bash "$RIG_DIR/host/xen-list.sh" || rc=1
bad=0
for i in $(seq 0 $((n - 1))); do
	f=$(jq -cM ".[$i]" "$facts")
	ns=$(jq -r .ns <<< "$f") rr=$(jq .region_resource <<< "$f")
	moff=$(($(jq .xen.mgmt.smfn <<< "$f") * 4096 - rr))
	mlen=$((($(jq '.xen.mgmt.emfn - .xen.mgmt.smfn' <<< "$f")) * 4096))
	doff=$(($(jq .xen.data.smfn <<< "$f") * 4096 - rr))
	if check_pattern "$img" "$moff" "$mlen" "$(jq -r .rsv_tag <<< "$f")" > /dev/null &&
			check_pattern "$img" "$doff" $((4 << 20)) "$(jq -r .data_tag <<< "$f")" > /dev/null; then
		echo "host: $ns: the reserve is at mgmt frames $(jq -c .xen.mgmt <<< "$f") (file offset $moff), the data at data.smfn (file offset $doff)"
	else
		echo "host: $ns: MISMATCH: the patterns are not at the frames list --xen gave: $(jq -c .xen <<< "$f")"
		bad=$((bad + 1))
	fi
done
echo "host: $n namespaces, $((n - bad)) of $n frame answers point at their bytes in cxl.img"
[ $bad -eq 0 ] && [ $rc -eq 0 ]
