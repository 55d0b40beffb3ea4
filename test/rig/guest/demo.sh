#!/bin/bash
# demo: the main job on an emulated NVDIMM.  Carve a raw namespace, write
# an info block whose dataoff leaves 64 MiB reserved for a hypervisor
# (fsdax, map=mem), let the unmodified kernel probe it, and show that the
# pfn device starts at dataoff and the reservation is recorded.
set -euo pipefail
. /rig/common

ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s 512M | jq -r .dev)
size=$(ns_json "$ns" | jq .size)
uuid=$(ns_uuid "$ns")
echo "== $ns: raw, $size bytes, uuid $uuid"
dev=$(raw_view "$ns")
ndctl-xen write-infoblock --stdout -s "$size" -m fsdax -M mem --reserve=64M -p "$uuid" > /tmp/ib
ndctl-xen read-infoblock -i /tmp/ib -u
dd if=/tmp/ib of="/dev/$dev" bs=4096 count=2 conv=notrunc,fsync oflag=direct status=none
probe "$ns"
echo "== after the kernel probed it"
ndctl list -n "$ns" -v
result=$(kernel_result "$ns" "$size")
echo "$result"
want=$(ndctl-xen read-infoblock -i /tmp/ib -j | jq '.[0].layout.data_offset')
[ "$(echo "$result" | jq -r .result)" = adopted ]
[ "$(echo "$result" | jq .dataoff)" = "$want" ]
[ "$(echo "$result" | jq .devsize)" = $((size - want)) ]
echo "== adopted: data at namespace offset $want, $((size - want)) bytes;" \
	"reserved [$(ndctl-xen read-infoblock -i /tmp/ib -j | jq -r '.[0].reserve | "\(.offset), +\(.size)"')) for the $(
	ndctl-xen read-infoblock -i /tmp/ib -j | jq -r '.[0].reserve.owner')"
