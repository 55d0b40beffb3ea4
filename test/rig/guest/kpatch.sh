#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The info_block attribute of the patched libnvdimm.ko (kernel/patches/,
# test/rig/rig.sh --patched-libnvdimm kpatch) and ndctl-xen list's answers
# from it.  Inside the rig:
#   - on every bound pfn/dax device (fsdax map=dev and map=mem, devdax,
#     label-backed and label-less) the attribute is root-only and its 4096
#     bytes equal the block in the backing file (the host's SUM);
#   - unbound devices (seeds, a disabled namespace's) answer ENXIO;
#   - reads in a loop while another process unbinds and rebinds the device
#     give either the whole block or ENXIO, never other bytes (the boot
#     runs with slub_debug poisoning, so a read of the freed copy would
#     show), and no kernel warning (rig.sh fails the boot on any);
#   - with the block store wiped, list --xen answers from the kernel
#     (source "kernel", verified) and host/kpatch.sh checks every answer
#     against the backing file; a store copy that differs from the kernel's
#     is reported, not used;
#   - a namespace disabled with ndctl disable-namespace (the kernel then
#     deletes its pfn device) is answered from the store, unverified; one
#     whose pfn device is only unbound is answered from the store's copy
#     of the block whose uuid that device still shows, even without the
#     store's record of the namespace.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
STORE=$RIG_STATE_DIR/blocks
R=$RIG_LABEL_REGION
mkdir -p /run

if [ "${RIG_PATCHED_LIBNVDIMM:-0}" != 1 ]; then
	echo "kpatch: needs the patched libnvdimm.ko (rig.sh --patched-libnvdimm)"
	exit 1
fi

# an out-of-tree (O, 4096), unsigned (E, 8192) module taints the kernel
t=$(< /proc/sys/kernel/tainted)
echo "kpatch: /proc/sys/kernel/tainted $t"
expect "the patched module taints the kernel O and E" test $((t & 12288)) = 12288

declare -a NSS
new() { local j; j=$("$@"); NSS+=("$(echo "$j" | jq -r .dev)"); }
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M dev --reserve=16M
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve=8M --reserve-owner=name:freebsd
new $XEN create-namespace -r "$R" -s 128M -m devdax -M dev --reserve=16M --reserve-owner=hypervisor
NSS+=("$(ndctl create-namespace -r "$R" -s 128M -m devdax -M mem | jq -r .dev)")
plain=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
new $XEN create-namespace -e "$plain" -f -m fsdax -M dev --reserve=8M

# attr_matches NS: the holder's info_block equals the block in the backing file
file_block_sum() {
	host_sum "$(ns_dimm "$1")" $(($(ns_resource "$1") - $(region_resource "$(ns_region "$1")") + 4096)) 4096
}
attr_sum() { sha256sum < "$NDBUS/$1/info_block" | cut -c1-64; }
check_attr() {
	local ns=$1 h
	h=$(ns_holder "$ns")
	expect "$ns ($h, $2): info_block is root-only, 4096 bytes" test \
		"$(stat -c '%a %s' "$NDBUS/$h/info_block")" = "400 4096"
	expect "$ns ($h, $2): info_block equals the block in the backing file" test \
		"$(attr_sum "$h")" = "$(file_block_sum "$ns")"
}
check_attr "${NSS[0]}" "label, fsdax dev"
check_attr "${NSS[1]}" "label, fsdax mem"
check_attr "${NSS[2]}" "label, devdax dev"
check_attr "${NSS[3]}" "label, devdax mem, made by ndctl"
check_attr "${NSS[4]}" "label-less, fsdax dev"
# the label-less namespace again as devdax
$XEN create-namespace -e "${NSS[4]}" -f -m devdax -M mem --reserve=8M > /dev/null
check_attr "${NSS[4]}" "label-less, devdax mem"
h=$(ns_holder "${NSS[0]}")
expect "an ordinary user cannot read info_block" sh -c \
	"! setpriv --reuid=65534 --regid=65534 --clear-groups cat $NDBUS/$h/info_block > /dev/null 2>&1"
# the seeds: pfn and dax devices of the region that claim nothing
for s in "$(< $NDBUS/$R/pfn_seed)" "$(< $NDBUS/$R/dax_seed)"; do
	expect "unbound seed $s: info_block answers ENXIO" sh -c \
		"cat $NDBUS/$s/info_block 2>&1 >/dev/null | grep -q 'No such device or address'"
done

# reads racing unbind and bind, on a pfn and a dax device
race() {
	local ns=$1 h drv want reader
	h=$(ns_holder "$ns")
	drv=$(readlink -f "$NDBUS/$h/driver")
	want=$(attr_sum "$h")
	: > /tmp/race
	( while [ ! -e /tmp/race.stop ]; do
		if cat "$NDBUS/$h/info_block" > /tmp/race.buf 2> /tmp/race.err; then
			sha256sum < /tmp/race.buf | cut -c1-64 >> /tmp/race
		else
			grep -q 'No such device or address' /tmp/race.err && echo ENXIO >> /tmp/race ||
				echo "OTHER $(cat /tmp/race.err)" >> /tmp/race
		fi
	done ) &
	reader=$!
	for _ in $(seq 1 25); do
		echo "$h" > "$drv/unbind"
		echo "$h" > "$drv/bind"
	done
	touch /tmp/race.stop
	wait "$reader"
	rm -f /tmp/race.stop
	echo "race on $h: $(grep -c . /tmp/race) reads, $(grep -cx "$want" /tmp/race || true) whole blocks, $(grep -cx ENXIO /tmp/race || true) ENXIO"
	expect "$h: every read racing unbind/bind gave the whole block or ENXIO" test \
		"$(grep -cvx -e "$want" -e ENXIO /tmp/race || true)" = 0
	expect "$h: bound again afterwards, same block" test "$(attr_sum "$h")" = "$want"
}
race "${NSS[0]}"
race "${NSS[2]}"

# list from the kernel, the store wiped
rm -rf "$STORE"
answers() { $XEN list "$@" | jq -cM 'map(select(.raw_size > 0) | {key: .dev, value: .}) | from_entries'; }
answers --xen > /tmp/kernel
expect "store wiped: every answer from the kernel, verified, nothing unknown" test \
	"$(jq -c '[.[] | .layout | [.source, .verified, .unknown]] | unique' /tmp/kernel)" = '[["kernel",true,[]]]'
for ns in "${NSS[@]}"; do
	fact "$(jq -cM --arg n "$ns" --arg dimm "$(ns_dimm "$ns")" \
		--argjson rr "$(region_resource "$(ns_region "$ns")")" \
		'.[$n] | {case: .dev, ns: .dev, dimm: $dimm, resource, region_resource: $rr,
		size: .raw_size, mode, live: .layout}' /tmp/kernel)"
done
# the store's record of each namespace (blocks/KEY; the copies are KEY.UUID)
records() {
	local f n=0
	for f in "$STORE"/ns-* "$STORE"/res-*; do
		case ${f##*/} in *.*) continue ;; esac
		[ ! -e "$f" ] || n=$((n + 1))
	done
	echo $n
}
expect "the kernel's answers refilled the store" test "$(records)" = "${#NSS[@]}"

# a store copy that disagrees with the kernel: reported, not used
ns=${NSS[0]} h=$(ns_holder "${NSS[0]}")
u=$(< "$NDBUS/$h/uuid")
# a label-backed namespace's copy of block u: blocks/ns-NSUUID.u
copy=$STORE/ns-$(ns_uuid "$ns").$u
{ head -c 4096 /dev/zero; cat "$copy"; } | forge-infoblock rsv_size=$((8 << 20)) |
	tail -c 4096 > /tmp/forged
cp /tmp/forged "$copy"
$XEN list -n "$ns" 2> /tmp/list.err | jq -cM '.[0].layout' > /tmp/one
expect "$ns: a differing store copy is reported" test "$(jq -c .store_disagrees /tmp/one)" = true
expect "$ns: and not used: the answer is the kernel's" test \
	"$(jq -c 'del(.store_disagrees)' /tmp/one)" = "$(jq -c --arg n "$ns" '.[$n].layout | del(.store_disagrees)' /tmp/kernel)"
expect "$ns: agreeing copies are not flagged" test \
	"$(jq -c '[.[] | .layout.store_disagrees] | unique' /tmp/kernel)" = '[false]'
NDCTL_XEN_LOG=info $XEN list -n "$ns" > /dev/null 2> /tmp/list.err
cat /tmp/list.err
expect "$ns: and logged" grep -q 'disagrees with the kernel' /tmp/list.err
rm -f "$copy"
$XEN list > /dev/null

# disabled with ndctl: disable-namespace clears the pfn/dax device's claim,
# and the kernel (claim.c, nd_detach_and_reset()) then deletes the device,
# or resets the region's seed and its uuid; the answer is this host's copy
# of the namespace's block, not verified by the kernel
ns=${NSS[1]}
h=$(ns_holder "$ns")
ndctl disable-namespace "$ns" > /dev/null 2>&1
echo "$ns disabled: holder '$(ns_holder "$ns")', $h $([ -e "$NDBUS/$h" ] && echo "uuid '$(< "$NDBUS/$h/uuid")'" || echo gone)"
expect "$ns disabled: $h no longer shows the block's uuid" test \
	"$([ -e "$NDBUS/$h" ] && cat "$NDBUS/$h/uuid" || true)" = ""
$XEN list -i -n "$ns" | jq -cM '.[0].layout' > /tmp/dis
cat /tmp/dis
expect "$ns disabled: answered from the store, not verified" test \
	"$(jq -c '[.source, .verified]' /tmp/dis)" = '["store",false]'
expect "$ns disabled: owner freebsd, the same layout as from the kernel" test \
	"$(jq -c 'del(.source, .verified, .store_disagrees)' /tmp/dis)" = \
	"$(jq -c --arg n "$ns" '.[$n].layout | del(.source, .verified, .store_disagrees)' /tmp/kernel)"
ndctl enable-namespace "$ns" > /dev/null 2>&1

# only unbound: the pfn device still claims the namespace and keeps the
# adopted block's uuid, which finds the block in the store even without
# the store's record of the namespace
ns=${NSS[0]} h=$(ns_holder "${NSS[0]}")
u=$(< "$NDBUS/$h/uuid") drv=$(readlink -f "$NDBUS/$h/driver")
echo "$h" > "$drv/unbind"
expect "$ns: unbound $h still claims it and shows the block's uuid" test \
	"$(ns_holder "$ns") $(< "$NDBUS/$h/uuid") $([ -e "$NDBUS/$h/driver" ] && echo bound || echo unbound)" = "$h $u unbound"
rm "$STORE/ns-$(ns_uuid "$ns")"
$XEN list -i -n "$ns" | jq -cM '.[0].layout' > /tmp/unbound
expect "$ns unbound, the store without its record: the copy of $h's block, not verified" test \
	"$(jq -c 'del(.verified)' /tmp/unbound)/$(jq -c .verified /tmp/unbound)" = \
	"$(jq -c --arg n "$ns" '.[$n].layout | del(.verified) | .source = "store"' /tmp/kernel)/false"
echo "$h" > "$drv/bind"

echo "kpatch: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
