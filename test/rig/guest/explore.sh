#!/bin/bash
set -euo pipefail
. /rig/common
time rigfill write /dev/pmem${RIG_PLAIN_REGION#region} 0 $((256<<20)) DATA
time rigfill check /dev/pmem${RIG_PLAIN_REGION#region} 0 $((256<<20)) DATA
ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m devdax -s 64M | jq -r .dev)
ndctl list -n $ns -v
dax=$(ndctl list -n $ns -v | jq -r '.[0].daxregion.devices[0].chardev')
time rigfill write /dev/$dax 0 $(ndctl list -n $ns | jq -r '.[0].size') DATA
ls /sys/bus/nd/devices/$ns/; cat /sys/bus/nd/devices/$ns/holder
h=$(cat /sys/bus/nd/devices/$ns/holder); ls /sys/bus/nd/devices/$h/; cat /sys/bus/nd/devices/$h/resource /sys/bus/nd/devices/$ns/resource
time (for i in 1 2 3 4 5; do ndctl disable-namespace $ns; ndctl enable-namespace $ns; done)
