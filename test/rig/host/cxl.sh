#!/bin/bash
# Host side of the CXL test (guest/cxl.sh, both boots), after power-off:
# cxl.img is the device's capacity, a byte at DPA D at file offset D, and
# with one device DPA = physical address - region resource.
# - every namespace's info block in the file equals the live answer (from
#   the store) and the sysfs answer gives its geometry and nulls
#   (host/xen-list.sh's checks);
# - the frames list --xen gave are where the bytes are: the guest marked
#   the first and last 2 MiB of the reserve (R<tag>, S<tag>) and of the data
#   device (D<tag>, E<tag>); they must start at mgmt.smfn's file offset
#   and end at mgmt.emfn's, start at data.smfn's and end at data.emfn's.
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
	tag=$(jq -r .tag <<< "$f") mark=$((2 << 20))
	moff=$(($(jq .xen.mgmt.smfn <<< "$f") * 4096 - rr)) mend=$(($(jq .xen.mgmt.emfn <<< "$f") * 4096 - rr))
	doff=$(($(jq .xen.data.smfn <<< "$f") * 4096 - rr)) dend=$(($(jq .xen.data.emfn <<< "$f") * 4096 - rr))
	if check_pattern "$img" "$moff" $mark "R$tag" > /dev/null &&
			check_pattern "$img" $((mend - mark)) $mark "S$tag" > /dev/null &&
			check_pattern "$img" "$doff" $mark "D$tag" > /dev/null &&
			check_pattern "$img" $((dend - mark)) $mark "E$tag" > /dev/null; then
		echo "host: $ns: the reserve at mgmt frames $(jq -c .xen.mgmt <<< "$f") (file $moff..$mend), the data at $(jq -c .xen.data <<< "$f") (file $doff..$dend)"
	else
		echo "host: $ns: MISMATCH: the patterns are not at the frames list --xen gave: $(jq -c .xen <<< "$f")"
		bad=$((bad + 1))
	fi
done
echo "host: $n namespaces, $((n - bad)) of $n frame answers point at their bytes in cxl.img"
[ $bad -eq 0 ] && [ $rc -eq 0 ]
