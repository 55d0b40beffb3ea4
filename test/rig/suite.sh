#!/bin/bash
# suite.sh: the whole kernel suite on one kernel, one boot per step:
#   1. acceptance        fresh backing files; host checks afterwards
#   2. acceptance-reboot the same backing files (--reuse-work): every
#                        namespace comes back with the same layout
#   3. acceptance-warn   fresh backing files: the forged block that makes
#                        the kernel WARN in add_pages, whitelisted only here
#   4. xen-reserve       ndctl-xen create-namespace --reserve (test/rig/guest/xen-reserve.sh)
#   5. xen-reserve-reboot  the same backing files: same layouts, data intact
#   6. xen-list          ndctl-xen list: live answers (store, sysfs, disabled)
#                        and backing file agree
#   7. xen-list-reboot   the same backing files and state disk: the store
#                        still answers exactly; recover refills it
#   8. bad-input         the bad-input matrix on real namespaces (61 cases, 9 of them
#                        against ndctl itself; backing-file checksums before and after each)
#   9. powercut          power cuts during create-namespace, one boot per
#                        cut (test/rig/powercut.sh, its CI schedule: 11 cuts)
#  10. apply             ndctl-xen apply from empty, again, a refused then
#                        forced change, the Ansible module (check, changed,
#                        unchanged), the block store's keying
#                        (guest/store-keying.sh), ending in a power cut mid-apply
#  11. apply-cut         the same backing files: the next apply finishes
#  12. kpatch            the patched libnvdimm.ko (kernel/, rig.sh
#                        --patched-libnvdimm): its info_block against the
#                        backing files, unbind/bind races, list from it
#  13. cxl               the CXL machine (rig.sh --machine cxl, guest/cxl.sh):
#                        create-namespace --reserve in fsdax dev/mem and
#                        devdax, apply, list --xen, ending in a power cut
#                        in a new namespace's info block
#  14. cxl-reboot        the same backing files and state disk, the region
#                        assembled again: recover, the same answers and data
#  15. dom0              the kernel as PV dom0 under Xen 4.17 (rig.sh
#                        --xen, guest/dom0.sh): xl, hypervisor reservations,
#                        list --xen's machine frames, apply, the toolstack
#                        example, the page map, what dom0's kernel refuses;
#                        ends in a power cut
#  16. dom0-cut          the same backing files under Xen: recover, then
#                        boot 1's frames and data
#  17. docs-live         the man pages' examples marked live, run and
#                        compared with the page (guest/docs-live.sh, with
#                        the reader test/doc-examples.sh uses,
#                        test/doc-sessions); first in xen-list's boot
#
#   test/rig/suite.sh --kernel 6.1|6.12 [--build DIR] [--work DIR] [--only STEPS]
#
# --only STEPS  a comma-separated list of the steps above to run (a reboot
#               step runs only after its first boot, which --only must name
#               too); for a single guest test, test/rig/rig.sh TEST is
#               quicker
# Prints one line per step with its wall time; exits non-zero if any failed.
set -euo pipefail
err() { echo "suite: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STEPS=acceptance,acceptance-reboot,acceptance-warn,xen-reserve,xen-reserve-reboot,xen-list,xen-list-reboot,bad-input,powercut,apply,apply-cut,kpatch,cxl,cxl-reboot,dom0,dom0-cut,docs-live
usage() { echo "usage: $0 --kernel 6.1|6.12 [--build DIR] [--work DIR] [--only STEPS]" >&2; echo "steps: $STEPS" >&2; exit 2; }
kernel= build=build work= only=$STEPS
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$kernel" ] || usage
for s in ${only//,/ }; do [[ ,$STEPS, == *,$s,* ]] || { echo "suite: no step '$s'" >&2; usage; }; done
wanted() { [[ ,$only, == *,$1,* ]]; }
work=${work:-$build/rig-$kernel}
rig() { bash "$RIG_DIR/rig.sh" --kernel "$kernel" --build "$build" "$@"; }

start=$SECONDS rc=0 results=()
step() {
	local name=$1 t0=$SECONDS r=0; shift
	wanted "$name" || return 0
	rig "$@" || r=$?
	results+=("$name: $([ $r = 0 ] && echo PASS || echo FAIL) ($((SECONDS - t0))s)")
	[ $r = 0 ] || rc=1
}
# a second boot on the same backing files, if its first boot passed
reboot_step() {
	local name=$1 first=$2; shift 2
	wanted "$name" || return 0
	if [[ " ${results[*]} " == *" $first: PASS"* ]]; then step "$name" "$@"
	else results+=("$name: SKIP (the first boot, $first, did not pass)"); rc=1; fi
}
step acceptance --work "$work/main" acceptance
reboot_step acceptance-reboot acceptance --work "$work/main" --reuse-work acceptance-reboot
step acceptance-warn --work "$work/warn" acceptance-warn
# create-namespace --reserve (test/rig/guest/xen-reserve.sh), then a second boot
step xen-reserve --work "$work/xen" xen-reserve
reboot_step xen-reserve-reboot xen-reserve --work "$work/xen" --reuse-work acceptance-reboot
# ndctl-xen list and the query API (test/rig/guest/xen-list.sh).  The man pages'
# live examples (guest/docs-live.sh) run first in the same boot (a boot
# costs 25-50 s) and leave the host as a first boot finds it; their own
# result is read from the console (the boot's, xen-list's, covers both)
if wanted xen-list && wanted docs-live; then
	rm -f "$work/list/console-docs-live.log"
	step xen-list --work "$work/list" docs-live xen-list
	r=$(tr -d '\r' < "$work/list/console-docs-live.log" 2>/dev/null | sed -n 's/^RIG-TEST-END: docs-live //p')
	results+=("docs-live: ${r:-FAIL (no result on the console)} (in xen-list's boot)")
	[ "${r%% *}" = PASS ] || rc=1
else
	step xen-list --work "$work/list" xen-list
	step docs-live --work "$work/docs" docs-live
fi
reboot_step xen-list-reboot xen-list --work "$work/list" --reuse-work xen-list-reboot
step bad-input --work "$work/bad-input" bad-input
# ndctl-xen apply and the Ansible module (test/rig/guest/apply.sh): the
# first boot ends in a power cut, the second finishes the job
step apply --work "$work/apply" apply
reboot_step apply-cut apply --work "$work/apply" --reuse-work apply
# the kernel's info_block (kernel/patches/) and list's answers from it
step kpatch --work "$work/kpatch" --patched-libnvdimm kpatch
# the CXL Type 3 pmem machine (test/rig/guest/cxl.sh): the first boot ends
# in a power cut, the second assembles the region again and recovers
step cxl --work "$work/cxl" --machine cxl cxl
reboot_step cxl-reboot cxl --work "$work/cxl" --machine cxl --reuse-work cxl
# Xen 4.17 with the kernel as its PV dom0 (test/rig/guest/dom0.sh): the
# first boot ends in a power cut, the second recovers.  On both lines
# (RIG_DOM0_KERNELS picks them): about 95 s a line on a quiet machine
if [[ " ${RIG_DOM0_KERNELS:-6.1 6.12} " == *" $kernel "* ]]; then
	step dom0 --xen --work "$work/dom0" dom0
	reboot_step dom0-cut dom0 --xen --work "$work/dom0" --reuse-work dom0
elif wanted dom0; then
	results+=("dom0: SKIP (not on $kernel: RIG_DOM0_KERNELS=$RIG_DOM0_KERNELS)")
fi
if wanted powercut; then
	t0=$SECONDS r=0
	bash "$RIG_DIR/powercut.sh" --kernel "$kernel" --build "$build" --work "$work/powercut" | tee "$work/powercut.out" || r=$?
	results+=("powercut: $([ $r = 0 ] && echo PASS || echo FAIL) ($((SECONDS - t0))s)")
	[ $r = 0 ] || rc=1
fi
echo "suite: kernel $kernel"
for r in "${results[@]}"; do echo "suite:   $r"; done
grep -h "^RIG-MATRIX" "$work/main/console-acceptance.log" "$work/warn/console-acceptance-warn.log" "$work/bad-input/console-bad-input.log" 2>/dev/null | tr -d '\r' | sed 's/^/suite:   /' || true
grep -h "cuts verified" "$work/powercut.out" 2>/dev/null | sed 's/^/suite:   /' || true
echo "suite: kernel $kernel $([ $rc = 0 ] && echo PASS || echo FAIL) in $((SECONDS - start))s"
exit $rc
