#!/bin/bash
# Host side of kpatch: every answer ndctl-xen list gave from the patched
# kernel's info_block, with the block store wiped, equals the info block in
# the backing file: dataoff, map, align, page_struct_size, the
# reservation's offset, size, owner, owner name and per-page bytes, the
# data area.
set -euo pipefail
trap 'echo "host/kpatch: failed at line $LINENO" >&2; exit 1' ERR
. "$RIG_DIR/host.sh"

facts=$(boot_facts kpatch)
n=0 bad=0
while read -r f; do
	n=$((n + 1)) ns=$(echo "$f" | jq -r .ns) source=$(echo "$f" | jq -r .live.source)
	truth=$(file_layout "$RIG_BUILD/ndctl/ndctl-xen" "$f")
	kernel=$(answer_layout "$(echo "$f" | jq -cM .live)")
	if [ "$source" != kernel ]; then
		echo "host: $ns: the answer came from $source, not the kernel"; bad=$((bad + 1))
	elif [ "$truth" != "$kernel" ]; then
		echo "host: $ns: MISMATCH: file $truth, kernel's answer $kernel"; bad=$((bad + 1))
	else
		echo "host: $ns: the kernel's answer equals the backing file: $truth"
	fi
done <<< "$facts"
echo "host: $n namespaces, $((n - bad)) of $n answers from the kernel agree with the backing files"
[ $bad -eq 0 ]
