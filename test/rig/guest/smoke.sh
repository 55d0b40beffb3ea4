#!/bin/bash
# smoke: the rig itself works: modules loaded, both regions present,
# a raw namespace can be created on the label-backed region.
set -euo pipefail
. /rig/common
ndctl list -RDN -v
ns=$(ndctl create-namespace -r "$RIG_LABEL_REGION" -m raw -s 64M | jq -r .dev)
ndctl list -n "$ns" -v
ndctl list -N -r "$RIG_PLAIN_REGION" -v
ndctl destroy-namespace -f "$ns"
