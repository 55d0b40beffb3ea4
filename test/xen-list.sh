#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen list and the query API on a real kernel (inside the rig:
# test/rig/rig.sh --kernel 6.1|6.12 xen-list).  For fsdax map=dev, fsdax
# map=mem and devdax namespaces, with and without a reservation, label-backed
# and label-less: the live answer (enabled: derived from sysfs), the
# info-block answer (disabled: the block read through a raw view) and the
# truth in the backing file (host/xen-list.sh, from the RIG-FACT lines)
# agree; --xen's frame ranges follow from the physical addresses; the
# example toolstack client finds every reserved namespace.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
mkdir -p /run
R=$RIG_LABEL_REGION

declare -a NSS WANT_TS
new() { local j; j=$("$@") ; NSS+=("$(echo "$j" | jq -r .dev)"); }
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M dev --reserve=32M
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve-per-page=40
new $XEN create-namespace -r "$R" -s 128M -m devdax -M dev --reserve=16M
new ndctl create-namespace -r "$R" -s 128M -m fsdax -M dev
new ndctl create-namespace -r "$R" -s 128M -m devdax -M mem
plain=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
new $XEN create-namespace -e "$plain" -f -m devdax -M mem --reserve=8M

reserved=0
for ns in "${NSS[@]}"; do
	$XEN list -n "$ns" --xen | jq -cM '.[0]' > /tmp/live
	expect "$ns live: derived from sysfs" test "$(jq -r .layout.source /tmp/live)" = sysfs
	expect "$ns live: consistent" test "$(jq .layout.consistent /tmp/live)" = true
	expect "$ns live: no media errors" test "$(jq '.badblocks | length' /tmp/live)" = 0
	expect "$ns: -u changes how sizes look, not the shape" test \
		"$($XEN list -n "$ns" --xen | jq -c '[paths]')" = "$($XEN list -n "$ns" --xen -u | jq -c '[paths]')"
	ndctl disable-namespace "$ns" > /dev/null
	$XEN list -n "$ns" --xen | jq -cM '.[0]' > /tmp/blk
	expect "$ns disabled: read from the info block" test "$(jq -r .layout.source /tmp/blk)" = infoblock
	expect "$ns disabled: nothing derived" test "$(jq '.layout.derived | length' /tmp/blk)" = 0
	expect "$ns disabled: still disabled after the read" test "$(jq .enabled /tmp/blk)" = false
	for k in map align npfns dataoff end_trunc data memmap; do
		expect "$ns: $k agrees" test "$(jq -c .layout.$k /tmp/live)" = "$(jq -c .layout.$k /tmp/blk)"
	done
	if [ "$(jq .layout.reserve /tmp/blk)" = null ]; then
		expect "$ns: no reserve either way" test "$(jq .layout.reserve /tmp/live)" = null
	else
		reserved=$((reserved + 1))
		expect "$ns: live reserve covers the recorded one and ends at dataoff" test "$(jq -n \
			--slurpfile a /tmp/live --slurpfile b /tmp/blk '$a[0].layout.reserve as $l |
			$b[0].layout.reserve as $r | $l.offset <= $r.offset and
			$l.offset + $l.size == $r.offset + $r.size and
			$r.offset + $r.size == $b[0].layout.dataoff')" = true
		expect "$ns: live says the reserve is derived" test "$(jq '.layout.derived | index("reserve") != null' /tmp/live)" = true
		# Xen frames from the physical addresses, worked out here
		res=$(jq .resource /tmp/blk) off=$(jq .layout.reserve.offset /tmp/blk) size=$(jq .layout.reserve.size /tmp/blk)
		doff=$(jq .layout.data.offset /tmp/blk) dsize=$(jq .layout.data.size /tmp/blk)
		expect "$ns: mgmt frames" test "$(jq -c .xen.mgmt /tmp/blk)" = \
			"{\"smfn\":$(((res + off) >> 12)),\"emfn\":$(((res + off + size) >> 12))}"
		expect "$ns: data frames" test "$(jq -c .xen.data /tmp/blk)" = \
			"{\"smfn\":$(((res + doff) >> 12)),\"emfn\":$(((res + doff + dsize) >> 12))}"
		n=$((dsize >> 12)) need=$(((32 * (dsize >> 12) >> 12) + (8 * (dsize >> 12) >> 12)))
		expect "$ns: check_mgmt_size" test "$(jq .xen.mgmt_fits /tmp/blk)" = "$([ $((size >> 12)) -ge $need ] && echo true || echo false)"
		# the client runs while the namespaces are enabled: it sees the live view
		WANT_TS+=("$ns: $(jq -r .xen.setup_data /tmp/live) (management $(jq -r 'if .xen.mgmt_fits then "fits" else "too small" end' /tmp/live), $(jq .xen.mgmt_required_mfns /tmp/live) frames needed)")
		expect "$ns: setup-data command" test "$(jq -r .xen.setup_data /tmp/blk)" = \
			"$(printf 'xen-ndctl setup-data %#x %#x %#x %#x' $(((res + doff) >> 12)) $(((res + doff + dsize) >> 12)) $(((res + off) >> 12)) $(((res + off + size) >> 12)))"
	fi
	ndctl enable-namespace "$ns" > /dev/null
	kernel_result "$ns" "$(jq .size /tmp/blk)"
	expect "$ns: enabled again with the same layout" test "$K_RESULT $K_DATAOFF" = "adopted $(jq .layout.dataoff /tmp/blk)"
	fact "$(jq -cM --arg dimm "$(ns_dimm "$ns")" --argjson rr "$(region_resource "$(ns_region "$ns")")" '{
		case: .dev, ns: .dev, dimm: $dimm, resource, region_resource: $rr, size,
		mode, map: .layout.map, dataoff: .layout.dataoff,
		reserve_offset: (.layout.reserve.offset // 0), reserve_size: (.layout.reserve.size // 0),
		owner: (.layout.reserve.owner // ""), data_offset: .layout.data.offset,
		data_size: .layout.data.size}' /tmp/blk)"
done
xen-toolstack > /tmp/ts
cat /tmp/ts
expect "the example client finds the $reserved reserved namespaces" grep -qx "$reserved reserved namespaces" /tmp/ts
for line in "${WANT_TS[@]}"; do
	expect "the example client hands Xen what list says: ${line%%:*}" grep -qxF "$line" /tmp/ts
done
expect "six namespaces checked, four reserved" test "${#NSS[@]}/$reserved" = 6/4

echo "== the page map from the live namespaces, and a media error"
# every namespace's data frames, as list --xen gives them
$XEN list --xen | jq -c '[.[] | select(.xen.data != null) | .xen.data] | sort_by(.smfn)' > /tmp/want-areas
$XEN map create --state=/tmp/pm > /dev/null
expect "map create: one area per namespace, the data frames list --xen gives" test \
	"$($XEN map show --state=/tmp/pm | jq -c '[.areas[] | {smfn, emfn}] | sort_by(.smfn)')" = "$(cat /tmp/want-areas)"
expect "map create: all of it free" test "$($XEN map show --state=/tmp/pm | jq '.totals.free.frames')" = \
	"$(jq '[.[] | .emfn - .smfn] | add' /tmp/want-areas)"
# QEMU cannot inject a media error into the region (no ARS injection), but
# the pmem driver's own list for a disk is writable: 8 sectors 1 MiB into
# the first namespace's data device
ns=${NSS[0]}
kernel_result "$ns" "$(ns_size "$ns")"
disk=$(data_dev "$ns"); disk=${disk#/dev/}
echo "2048 8" > /sys/block/$disk/badblocks
$XEN list -n "$ns" --xen | jq -cM '.[0]' > /tmp/bb
expect "$ns: list reports the error in the data area, 1 MiB past dataoff" test \
	"$(jq -c '.badblocks' /tmp/bb)" = "[{\"offset\":$((K_DATAOFF + (1 << 20))),\"length\":4096,\"area\":\"data\"}]"
bad_mfn=$(( ($(ns_resource "$ns") + K_DATAOFF + (1 << 20)) >> 12 ))
$XEN map assign --state=/tmp/pm --domain=7 --gfn=0 --mfn=$bad_mfn --frames=4 > /dev/null
$XEN map broken --state=/tmp/pm --badblocks > /tmp/broken
expect "map broken --badblocks: the owning domain is reported" test "$(jq -c .domains /tmp/broken)" = "[7]"
expect "map broken --badblocks: exactly that frame is broken" test \
	"$($XEN map show --state=/tmp/pm | jq -c '[.ranges[] | select(.state | test("broken")) | [.mfn, .frames]]')" = "[[$bad_mfn,1]]"
$XEN map release --state=/tmp/pm --domain=7 > /dev/null
expect "map assign: a broken frame is never handed out" sh -c \
	"! $XEN map assign --state=/tmp/pm --domain=8 --gfn=0 --mfn=$bad_mfn --frames=1 2>/dev/null"
expect "map assign: first fit skips it" test "$($XEN map assign --state=/tmp/pm --domain=8 --gfn=0 --frames=1 | jq -r '.mfn // empty' || true)" != "$bad_mfn"
echo "xen-list: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
