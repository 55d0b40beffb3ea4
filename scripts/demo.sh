#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on a fresh Debian 12 machine: install what is needed, build,
# and provision an NVDIMM namespace with 64 MiB reserved for a hypervisor
# between its pfn info block and its data, then show where everything is.
#
# On a machine with a label-backed NVDIMM region that has 256 MiB free, the
# namespace is created there, in free space only (nothing existing is
# touched).  Otherwise the job runs on emulated NVDIMMs inside Debian's own
# kernel under QEMU (test/rig).
#   scripts/demo.sh [6.1|6.12]      (kernel for the emulated run)
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=${1:-6.12}

bash scripts/install-deps.sh
meson setup build --reconfigure >/dev/null 2>&1 || meson setup build
ninja -C build

free_region() {
	ndctl list -R 2>/dev/null | jq -r '.[] | select(.type == "pmem" and
		(.available_size // 0) >= 268435456 and (.persistence_domain // "") != "") | .dev' |
		head -n1
}
region=$(free_region || true)
if [ -n "$region" ]; then
	echo "== this machine's $region: a 256 MiB fsdax namespace, map=mem, 64 MiB reserved"
	./build/ndctl/ndctl-xen create-namespace -r "$region" -s 256M -m fsdax -M mem --reserve=64M
	ns=$(./build/ndctl/ndctl-xen list -N -r "$region" | jq -r 'map(select(.layout.reserve != null)) | last | .dev')
	./build/ndctl/ndctl-xen list -n "$ns" --xen
	exit 0
fi
echo "== no NVDIMM region with free space here: running on emulated NVDIMMs (Debian's $kernel kernel under QEMU)"
rc=0
bash test/rig/rig.sh --kernel "$kernel" --build build --work build/rig-demo demo || rc=$?
# the guest's own output, without the kernel's lines
sed -n '/RIG-TEST-BEGIN: demo/,/RIG-TEST-END: demo/p' build/rig-demo/console-demo.log |
	tr -d '\r' | grep -v '^\[ *[0-9.]*\]'
exit $rc
