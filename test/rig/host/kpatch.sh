#!/bin/bash
# Host side of kpatch: every answer ndctl-xen list gave from the patched
# kernel's info_block, with the block store wiped, equals the info block in
# the backing file: dataoff, map, align, page_struct_size, the
# reservation's offset, size, owner, owner name and per-page bytes, the
# data area.
set -euo pipefail
err() { echo "host/kpatch: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

XEN=$RIG_BUILD/ndctl/ndctl-xen
facts=$RIG_WORK/facts.json.boot
n=$(jq length "$facts")
[ "$n" -gt 0 ] || { echo "host/kpatch: the guest reported no namespaces"; exit 1; }
bad=0
for i in $(seq 0 $((n - 1))); do
	f=$(jq -cM ".[$i]" "$facts")
	ns=$(echo "$f" | jq -r .ns)
	truth=$(file_layout "$XEN" "$f")
	kernel=$(answer_layout "$(echo "$f" | jq -cM .live)")
	if [ "$(echo "$f" | jq -r .live.source)" != kernel ]; then
		echo "host: $ns: the answer came from $(echo "$f" | jq -r .live.source), not the kernel"
		bad=$((bad + 1))
	elif [ "$truth" = "$kernel" ]; then
		echo "host: $ns: the kernel's answer equals the backing file: $truth"
	else
		echo "host: $ns: MISMATCH: file $truth, kernel's answer $kernel"; bad=$((bad + 1))
	fi
done
echo "host: $n namespaces, $((n - bad)) of $n answers from the kernel agree with the backing files"
[ $bad -eq 0 ]
