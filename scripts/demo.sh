#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on a fresh Debian 12 machine: install what is needed, build,
# and provision an NVDIMM namespace with a reserved area between its pfn
# info block and its data, then show that the kernel adopted the layout.
#
# This machine's NVDIMMs are never touched: the job runs on emulated
# NVDIMMs inside Debian's own kernel under QEMU (test/rig), as the tool's
# live provisioning command (create-namespace --reserve) is not built yet.
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=${1:-6.12}

bash scripts/install-deps.sh
meson setup build --reconfigure >/dev/null 2>&1 || meson setup build
ninja -C build

echo "== offline: a 1 GiB fsdax map=mem namespace with 64 MiB reserved for a hypervisor"
./build/ndctl/ndctl-xen write-infoblock --stdout -s 1G -M mem --reserve=64M |
	./build/ndctl/ndctl-xen read-infoblock -i - -u
echo "== live: the same on an emulated NVDIMM under Debian's $kernel kernel"
exec bash test/rig/rig.sh --kernel "$kernel" --build build demo
