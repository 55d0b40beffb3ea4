#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen list and the query API on a real kernel (inside the rig:
# test/rig/rig.sh --kernel 6.1|6.12 xen-list; its second boot is
# xen-list-reboot).  Namespaces with every owner kind (os, hypervisor, a
# named one), per-page reservations, page_struct_size 128 with and without
# a reservation, fsdax and devdax, map dev and mem, a label-less one, and
# two made by plain ndctl.  Every live answer (all of them enabled) says
# where it came from: the host's block store ("store", matched against
# sysfs), or sysfs alone (geometry, and null for what sysfs does not show).
# Each namespace's answers go out as RIG-FACT lines; host/xen-list.sh reads
# the info block from the backing file after power-off and checks that no
# answer differs from it.  list never changes a namespace's state unless
# --read-disabled is given.  Then --xen's frames, the example toolstack
# client, and the page map.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
STORE=$RIG_STATE_DIR/blocks
mkdir -p /run
R=$RIG_LABEL_REGION

declare -a NSS WANT_TS
new() { local j; j=$("$@") ; NSS+=("$(echo "$j" | jq -r .dev)"); }
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M dev --reserve=32M
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve-per-page=40
new $XEN create-namespace -r "$R" -s 128M -m devdax -M dev --reserve=16M
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve=8M --reserve-owner=name:freebsd
new $XEN create-namespace -r "$R" -s 128M -m devdax -M mem --reserve-per-page=40
new $XEN create-namespace -r "$R" -s 128M -m fsdax -M dev --page-struct-size=128
new $XEN create-namespace -r "$R" -s 128M -m devdax -M dev --page-struct-size=128 --reserve=8M
PLAIN_NDCTL="$(ndctl create-namespace -r "$R" -s 128M -m fsdax -M dev | jq -r .dev) $(ndctl create-namespace -r "$R" -s 128M -m devdax -M mem | jq -r .dev)"
NSS+=($PLAIN_NDCTL)
plain=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
new $XEN create-namespace -e "$plain" -f -m devdax -M mem --reserve=8M
N=${#NSS[@]}

# recover at boot fills the store for what ndctl-xen did not write: the two
# namespaces plain ndctl made (a disable/enable each); they come back adopted
$XEN recover > /tmp/recover
expect "recover stores exactly the blocks of the two ndctl namespaces" test \
	"$(jq -c '[.[] | select(.action == "stored") | .dev] | sort' /tmp/recover)" = \
	"$(printf '%s\n' $PLAIN_NDCTL | jq -R . | jq -sc 'sort')"
for ns in $PLAIN_NDCTL; do
	kernel_result "$ns" "$(ns_size "$ns")"
	expect "$ns: adopted again after recover read its block" test "$K_RESULT" = adopted
done

# one list of everything, in each state; the checks are one jq program each
# (namespaces with a size: -i lists the regions' empty seed namespaces too)
answers() { $XEN list "$@" | jq -cM 'map(select(.raw_size > 0) | {key: .dev, value: .}) | from_entries'; }

# ndctl list and ndctl-xen list with the same options print the same
# namespaces, and every key ndctl prints has ndctl's value in ours
# (nothing at all when nothing matches; one object, not an array, for
# one namespace with -u)
same_as_ndctl() {
	local nd ours
	nd=$(ndctl list "$@" 2>/dev/null) ours=$($XEN list "$@" 2>/dev/null) || true
	if [ -z "$nd" ]; then
		expect "ndctl list $*: nothing, as ndctl prints" test -z "$ours"
		return
	fi
	# what differs: the shape, the namespaces, or key by key
	jq -nc --argjson a "$nd" --argjson b "$ours" '([$a] | flatten) as $x | ([$b] | flatten) as $y |
		[if ($a | type) != ($b | type) then {shape: [($a | type), ($b | type)]} else empty end,
		 if ($x | map(.dev)) != ($y | map(.dev)) then {devs: [($x | map(.dev)), ($y | map(.dev))]} else empty end,
		 ($x[] as $n | ($y[] | select(.dev == $n.dev)) as $m | $n | to_entries[] |
			select($m[.key] != .value) | {dev: $n.dev, key, ndctl: .value, ours: $m[.key]})]' \
		> /tmp/parity 2>&1 || echo "[\"not comparable: ndctl-xen printed: ${ours:0:200}\"]" > /tmp/parity
	expect "ndctl list $*: every ndctl key with ndctl's value" test "$(cat /tmp/parity)" = "[]"
	[ "$(cat /tmp/parity)" = "[]" ] || echo "  differs: $(head -c 600 /tmp/parity)"
}
ndctl_parity() {
	local one=${NSS[0]} pmem_dimm
	pmem_dimm=$(cut -d, -f1 $NDBUS/$R/mapping0)
	for opts in "" "-N" "-i" "-c" "-v" "-M" "-u" "-r $R" "-r ${R#region}" "-m devdax" \
			"-m fsdax" "-m dax" "-m memory" "-m raw" "-n $one" "-n ${one#namespace}" \
			"-n $one -u" "-n $one -v -u" "-d $pmem_dimm" "-t pmem" "-U 0" "-n namespace99.99" \
			"-X" "-X -m devdax" "-N -r $R" "-N -d $pmem_dimm" "-v -r $R" \
			"$@"; do
		# shellcheck disable=SC2086
		same_as_ndctl $opts
	done
}
ndctl_parity
answers --xen > /tmp/live
expect "list: the $N namespaces, all enabled" test "$(jq -c '[.[] | .enabled] | unique' /tmp/live)/$(jq length /tmp/live)" = "[true]/$N"
expect "list: every live answer from the store, matched against sysfs" test \
	"$(jq -c '[.[] | .layout | [.source, .verified, .consistent, (.unknown | length)]] | unique' /tmp/live)" = '[["store",true,true,0]]'
expect "list: -u changes how sizes look, not the shape" test \
	"$($XEN list --xen | jq -c '[paths]')" = "$($XEN list --xen -u | jq -c '[paths]')"
# the owners, per-page bytes and page_struct_sizes asked for above, in order
expect "list: owners, names, per-page bytes and page_struct_size as asked" test "$(jq -c --argjson order \
	"$(printf '%s\n' "${NSS[@]}" | jq -R . | jq -sc .)" '[$order[] as $n | .[$n].layout |
	[(.reserve.owner // null), (.reserve.owner_name // null), (.reserve.per_page_bytes // null), .page_struct_size]]' /tmp/live)" = \
	'[["os",null,0,64],["hypervisor",null,40,64],["os",null,0,64],["freebsd","freebsd",0,64],["hypervisor",null,40,64],[null,null,null,128],["os",null,0,128],[null,null,null,64],[null,null,null,64],["hypervisor",null,0,64]]'

# sysfs alone: the store moved away
mv "$STORE" "$STORE.away"
answers > /tmp/sysfs
mv "$STORE.away" "$STORE"
expect "without the store: every answer from sysfs, with reserve, owner, per-page bytes, page_struct_size unknown" test \
	"$(jq -c '[.[] | .layout | [.source, .verified, .unknown, .page_struct_size, .memmap, ([.reserve[]] | unique)]] | unique' /tmp/sysfs)" = \
	'[["sysfs",true,["reserve","owner","per_page_bytes","page_struct_size"],null,null,[null]]]'
expect "without the store: the geometry is the store's (dataoff, data, align, map, end_trunc, npfns)" test \
	"$(jq -c 'map_values(.layout | {dataoff, data, align, map, end_trunc, npfns})' /tmp/sysfs)" = \
	"$(jq -c 'map_values(.layout | {dataoff, data, align, map, end_trunc, npfns})' /tmp/live)"
expect "without the store: the gap above the kernel's own dataoff holds the reserve and slack" test \
	"$(jq -c '[.[] | .layout | (.gap.size // 0) == .dataoff - .kernel_dataoff] | unique' /tmp/sysfs)" = '[true]'

# disabled: reported from the store without enabling anything; ndctl list
# leaves disabled namespaces out unless -i (or -c) asks for them, as ndctl does
ndctl disable-namespace all > /dev/null 2>&1
ndctl_parity
expect "disabled: left out by default, as ndctl does" test "$($XEN list)" = ""
answers -i > /tmp/dis
expect "disabled: list leaves every namespace disabled" test \
	"$(cd $NDBUS && for n in "${NSS[@]}"; do [ -e $n/driver ] && echo "$n"; done; true)" = ""
expect "disabled: the store's copies, marked unverified, equal to the live answers" test \
	"$(jq -c 'map_values(.layout | del(.verified))' /tmp/dis)" = "$(jq -c 'map_values(.layout | del(.verified))' /tmp/live)"
expect "disabled: verified false" test "$(jq -c '[.[] | .layout.verified] | unique' /tmp/dis)" = '[false]'
answers -i --read-disabled > /tmp/media
expect "--read-disabled: read from the media, equal to the store's" test \
	"$(jq -c '[.[] | .layout.source] | unique' /tmp/media)/$(jq -c 'map_values(.layout | del(.source))' /tmp/media)" = \
	"[\"media\"]/$(jq -c 'map_values(.layout | del(.source))' /tmp/live)"
expect "--read-disabled: disabled again afterwards" test \
	"$(cd $NDBUS && for n in "${NSS[@]}"; do [ -e $n/driver ] && echo "$n"; done; true)" = ""
mv "$STORE" "$STORE.away"
answers -i > /tmp/none
mv "$STORE.away" "$STORE"
expect "disabled, no store: no layout rather than a guess" test "$(jq -c '[.[] | .layout] | unique' /tmp/none)" = '[null]'
ndctl enable-namespace all > /dev/null 2>&1

reserved=0 hyp=0
for ns in "${NSS[@]}"; do
	jq -cM --arg n "$ns" '.[$n]' /tmp/live > /tmp/one
	kernel_result "$ns" "$(jq .raw_size /tmp/one)"
	expect "$ns: enabled again with the same layout" test "$K_RESULT $K_DATAOFF" = "adopted $(jq .layout.dataoff /tmp/one)"
	expect "$ns: no media errors" test "$(jq '.badblock_areas | length' /tmp/one)" = 0
	if [ "$(jq .layout.reserve /tmp/one)" != null ]; then
		reserved=$((reserved + 1))
		[ "$(jq -r .layout.reserve.owner /tmp/one)" != hypervisor ] || hyp=$((hyp + 1))
		# Xen frames from the physical addresses, worked out here
		res=$(jq .resource /tmp/one) off=$(jq .layout.reserve.offset /tmp/one) size=$(jq .layout.reserve.size /tmp/one)
		doff=$(jq .layout.data.offset /tmp/one) dsize=$(jq .layout.data.size /tmp/one)
		expect "$ns: mgmt frames" test "$(jq -c .xen.mgmt /tmp/one)" = \
			"{\"smfn\":$(((res + off) >> 12)),\"emfn\":$(((res + off + size) >> 12))}"
		expect "$ns: data frames" test "$(jq -c .xen.data /tmp/one)" = \
			"{\"smfn\":$(((res + doff) >> 12)),\"emfn\":$(((res + doff + dsize) >> 12))}"
		need=$(((32 * (dsize >> 12) >> 12) + (8 * (dsize >> 12) >> 12)))
		expect "$ns: check_mgmt_size" test "$(jq .xen.mgmt_fits /tmp/one)" = "$([ $((size >> 12)) -ge $need ] && echo true || echo false)"
		[ "$(jq -r .layout.reserve.owner /tmp/one)" != hypervisor ] ||
			WANT_TS+=("$ns: $(jq -r .xen.setup_data /tmp/one) (management $(jq -r 'if .xen.mgmt_fits then "fits" else "too small" end' /tmp/one), $(jq .xen.mgmt_required_mfns /tmp/one) frames needed)")
		expect "$ns: setup-data command" test "$(jq -r .xen.setup_data /tmp/one)" = \
			"$(printf 'xen-ndctl setup-data %#x %#x %#x %#x' $(((res + doff) >> 12)) $(((res + doff + dsize) >> 12)) $(((res + off) >> 12)) $(((res + off + size) >> 12)))"
	fi
	fact "$(jq -cM --arg n "$ns" --arg dimm "$(ns_dimm "$ns")" --argjson rr "$(region_resource "$(ns_region "$ns")")" \
		--slurpfile s /tmp/sysfs '{case: .dev, ns: .dev, dimm: $dimm, resource, region_resource: $rr,
		size: .raw_size, mode, live: .layout, sysfs: $s[0][$n].layout}' /tmp/one)"
done
xen-toolstack > /tmp/ts
cat /tmp/ts
expect "the example client finds the $hyp namespaces reserved for the hypervisor, not the others" \
	grep -qx "$hyp namespaces reserved for the hypervisor" /tmp/ts
expect "the example client hands Xen no area recorded for the OS or another owner" test \
	"$(grep -c 'pmem_add' /tmp/ts)" = "$hyp"
for line in "${WANT_TS[@]}"; do
	expect "the example client hands Xen what list says: ${line%%:*}" grep -qxF "$line" /tmp/ts
done
expect "ten namespaces checked, seven reserved, three for the hypervisor" test "$N/$reserved/$hyp" = 10/7/3

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
	"$(jq -c '.badblock_areas' /tmp/bb)" = "[{\"offset\":$((K_DATAOFF + (1 << 20))),\"length\":4096,\"area\":\"data\"}]"
ndctl_parity "-M -n $ns" "-v -n $ns"
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
