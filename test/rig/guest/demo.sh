#!/bin/bash
# demo: the main job on an emulated NVDIMM.  ndctl-xen create-namespace
# makes a 512 MiB fsdax namespace (map=mem) with 64 MiB reserved for a
# hypervisor on an unmodified kernel; ndctl-xen list shows where the
# reserved area and the data are, with Xen's frame ranges.
set -euo pipefail
. /rig/common
mkdir -p /run

echo "== ndctl-xen create-namespace -s 512M -m fsdax -M mem --reserve=64M"
ndctl-xen create-namespace -r "$RIG_LABEL_REGION" -s 512M -m fsdax -M mem --reserve=64M | tee /tmp/ns
ns=$(jq -r .dev /tmp/ns)
echo "== what the kernel shows (ndctl list)"
ndctl list -n "$ns"
echo "== ndctl-xen list --xen"
ndctl-xen list -n "$ns" --xen | tee /tmp/list
kernel_result "$ns" "$(jq .raw_size /tmp/ns)"
[ "$K_RESULT" = adopted ]
[ "$K_DATAOFF" = "$(jq .dataoff /tmp/ns)" ]
echo "== adopted by the kernel: data at namespace offset $K_DATAOFF ($K_DEVSIZE bytes)," \
	"reserved [$(jq -r '"\(.reserve.offset), +\(.reserve.size)"' /tmp/ns)) for the $(jq -r .reserve.owner /tmp/ns);" \
	"Xen: $(jq -r '.[0].xen.setup_mgmt' /tmp/list)"
