#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on a fresh Debian 12 machine: install what it needs, build,
# and provision an NVDIMM namespace with 64 MiB reserved for a hypervisor
# between its pfn info block and its data, then show where everything is.
#
#   scripts/demo.sh [--kernel 6.1|6.12]   on emulated NVDIMMs inside Debian's
#                                         own kernel under QEMU (test/rig);
#                                         this machine's NVDIMMs are not touched
#   scripts/demo.sh --region REGION       on this machine's REGION: one 256 MiB
#                                         namespace in its free space (nothing
#                                         existing is touched), left in place
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=6.12
region=
usage() {
	echo "usage: scripts/demo.sh [--kernel 6.1|6.12] | --region REGION" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--kernel=*) kernel=${1#--kernel=}; shift ;;
	--region) [ $# -ge 2 ] || usage; region=$2; shift 2 ;;
	--region=*) region=${1#--region=}; shift ;;
	6.1|6.12) kernel=$1; shift ;;	# the old positional form
	*) usage ;;
	esac
done
case "$kernel" in 6.1|6.12) ;; *) echo "demo: --kernel $kernel: the rig has Debian's 6.1 and 6.12" >&2; exit 2 ;; esac

bash scripts/install-deps.sh
meson setup build --reconfigure >/dev/null 2>&1 || meson setup build
ninja -C build

if [ -n "$region" ]; then
	echo "== this machine's real NVDIMM region $region (named with --region): a 256 MiB fsdax namespace, map=mem, 64 MiB reserved, in free space"
	./build/ndctl/ndctl-xen create-namespace -r "$region" -s 256M -m fsdax -M mem --reserve=64M | tee build/demo-ns.json
	ns=$(jq -r .dev build/demo-ns.json)
	./build/ndctl/ndctl-xen list -n "$ns" --xen
	echo "== done on real hardware: $ns on $region is left in place (ndctl destroy-namespace -f $ns removes it)"
	exit 0
fi
echo "== on emulated NVDIMMs (Debian's $kernel kernel under QEMU): this machine's NVDIMMs are not touched (--region REGION runs on a real one)"
rc=0
bash test/rig/rig.sh --kernel "$kernel" --build build --work build/rig-demo demo || rc=$?
# the guest's own output, without the kernel's lines
sed -n '/RIG-TEST-BEGIN: demo/,/RIG-TEST-END: demo/p' build/rig-demo/console-demo.log |
	tr -d '\r' | grep -v '^\[ *[0-9.]*\]'
echo "== done on emulated NVDIMMs (nothing on this machine was changed)"
exit $rc
