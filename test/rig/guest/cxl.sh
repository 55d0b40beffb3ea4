#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen on a CXL Type 3 persistent-memory region (rig.sh --machine
# cxl; test/rig/suite.sh steps cxl and cxl-reboot: two boots on the same
# backing files and state disk).  guest/init assembled the region with
# `cxl create-region` before this runs, at both boots.
# Boot 1 (fresh files): the region's add uevent matches contrib/udev's
# rule, whose recover finds nothing to do; the region's align is 16 MiB; a
# size below it (refused naming the region's align) and an align above it
# are refused with nothing written; create-namespace --reserve in fsdax
# map=dev, fsdax map=mem and devdax, each adopted by the kernel with the
# dataoff the tool gives; both ends of the reserve (through a raw view)
# and of the data device are marked with position-tagged patterns; apply creates one more
# namespace, and again changes nothing; every list --xen answer comes from
# the store, and its frames are the namespace's physical address plus the
# layout's offsets.  Then a new namespace is stopped in the middle of its
# info block (NDCTL_XEN_FAULT=stop:torn) and the host cuts the power.
# Boot 2 (--reuse-work): the region assembled again brings the namespaces
# back with the same uuids; recover on the region (what the boot unit or
# the region's udev rule runs once the region is there) removes the
# half-made one and nothing else; every answer equals boot 1's, from the
# store on the state disk; the kernel adopts each at the same dataoff; the
# data are intact.
# Each boot prints its namespaces as RIG-FACTs; host/cxl.sh checks every
# answer about an address against cxl.img after power-off.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
STORE=$RIG_STATE_DIR/blocks
LSA_SIZE=$((256 << 10))
mkdir -p /run
R=$RIG_LABEL_REGION
now_ms() { local t; t=$(< /proc/uptime); t=${t%% *}; echo $((${t%.*} * 1000 + 10#${t#*.} * 10)); }
T0=$(now_ms)
# a section's title and when it starts, for the boot's time budget
section() { echo "== $* (at $(($(now_ms) - T0)) ms)"; }
# the namespaces this test keeps, by uuid (names can change across boots)
declare -A TAG
answers() { $XEN list "$@" | jq -cM 'map(select(.raw_size > 0) | {key: .uuid, value: .}) | from_entries'; }

# provisioned NS JSON-FILE: the tool's answer is what the kernel made
provisioned() {
	local ns=$1 j=$2 size
	size=$(jq .raw_size "$j")
	kernel_result "$ns" "$size"
	[ "$K_RESULT" = adopted ] && [ "$K_DATAOFF" = "$(jq .dataoff "$j")" ] &&
		[ "$K_DEVSIZE" = $((size - K_DATAOFF)) ] &&
		[ "$K_MODE" = "$(jq -r .mode "$j")" ] && [ "$K_MAP" = "$(jq -r .map "$j")" ]
}

# keep NS JSON-FILE TAG: mark both ends of the reserve through a raw view
# and of the data device, 2 MiB each (device-dax maps at its 2M align) (R<TAG>, S<TAG>; D<TAG>, E<TAG>):
# host/cxl.sh finds each end at the frames list --xen gives (filling
# whole areas cost minutes under TCG and proves no more)
MARK=$((2 << 20))
keep() {
	local ns=$1 j=$2 tag=$3 bdev off size dev
	off=$(jq .reserve.offset "$j") size=$(jq .reserve.size "$j")
	bdev=$(raw_view "$ns")
	rigfill write "/dev/$bdev" "$off" $MARK "R$tag"
	rigfill write "/dev/$bdev" $((off + size - MARK)) $MARK "S$tag"
	probe "$ns"
	expect "$ns: adopted again after its reserve was marked" provisioned "$ns" "$j"
	dev=$(data_dev "$ns")
	rigfill write "$dev" 0 $MARK "D$tag"
	rigfill write "$dev" $((K_DEVSIZE - MARK)) $MARK "E$tag"
	TAG[$(jq -r .uuid "$j")]=$tag
}

# the frames list --xen gives for NS (one answer of answers()), worked
# out here from the namespace's physical address and its layout (one jq:
# each costs 0.1-0.3 s under TCG; addresses below 2^53 are exact in jq)
frames_agree() {
	jq -e '.resource as $r | .layout as $l |
		def frames(off; size): {smfn: (($r + off) / 4096 | floor), emfn: (($r + off + size) / 4096 | floor)};
		.xen.mgmt == frames($l.reserve.offset; $l.reserve.size) and
		.xen.data == frames($l.data.offset; $l.data.size)' <<< "$1" > /dev/null
}

# The instance of ndctl-xen-recover@.service that contrib/udev's rule asks
# systemd for, from the uevents the kernel sent while guest/init assembled
# the region (/tmp/uevents: ACTION SUBSYSTEM KERNEL): what the rule's
# ACTION, SUBSYSTEM and KERNEL (a glob, as udev's) keys match.
rule_instances() {
	local rule want_a want_s want_k unit ev_a ev_s ev_k
	rule=$(grep -v '^#' /rig/90-ndctl-xen-recover.rules)
	[[ $rule =~ ACTION==\"([^\"]*)\".*SUBSYSTEM==\"([^\"]*)\".*KERNEL==\"([^\"]*)\".*SYSTEMD_WANTS\}\+=\"([^\"]*)\" ]] || return 0
	want_a=${BASH_REMATCH[1]} want_s=${BASH_REMATCH[2]} want_k=${BASH_REMATCH[3]} unit=${BASH_REMATCH[4]}
	while read -r ev_a ev_s ev_k; do
		# shellcheck disable=SC2053
		[ "$ev_a" = "$want_a" ] && [ "$ev_s" = "$want_s" ] && [[ $ev_k == $want_k ]] && echo "${unit//%k/$ev_k}"
	done < /tmp/uevents
	return 0
}
# recover as that instance runs it (ExecStart=ndctl-xen recover -r %I)
udev_recover() {
	local units
	units=$(rule_instances)
	expect "the region's add uevent starts ndctl-xen-recover@$R.service (contrib/udev's rule)" \
		test "$units" = "ndctl-xen-recover@$R.service"
	units=${units#ndctl-xen-recover@}
	$XEN recover -r "${units%.service}" > /tmp/recover
	cat /tmp/recover
}

# facts: every kept namespace's answers (store and sysfs), for host/cxl.sh
report() {
	local u one
	answers --xen > /tmp/live
	mv "$STORE" "$STORE.away"
	answers > /tmp/sysfs
	mv "$STORE.away" "$STORE"
	for u in "${!TAG[@]}"; do
		one=$(jq -cM --arg u "$u" '.[$u]' /tmp/live)
		expect "$(jq -r .dev <<< "$one"): list --xen: mgmt and data frames from its address and layout" frames_agree "$one"
		fact "$(jq -cM --arg u "$u" --arg tag "${TAG[$u]}" --argjson rr "$(region_resource "$R")" \
			--slurpfile s /tmp/sysfs '.[$u] | {case: $tag, ns: .dev, dimm: "cxl", uuid: .uuid,
			resource, region_resource: $rr, size: .raw_size, mode, live: .layout, sysfs: $s[0][$u].layout,
			xen: {mgmt: .xen.mgmt, data: .xen.data}, tag: $tag}' /tmp/live)"
	done
}

boot1() {
	local lsa rc j spec n
	section "the region: $R (CXL $RIG_CXL_REGION)"
	udev_recover
	expect "recover on the new region: nothing to do" test "$(jq -c . /tmp/recover)" = '[]'
	expect "region align 16 MiB" test $(($(< $NDBUS/$R/align))) = $((16 << 20))
	# an align above the region's: sizes are multiples of it, and a layout
	# must leave data pages at it; refused before anything is written
	lsa=$(host_sum lsa 0 $LSA_SIZE)
	for args in "-s 256M -a 1G" "-s 1G -a 1G"; do
		rc=0
		# shellcheck disable=SC2086
		$XEN create-namespace -r "$R" $args -m fsdax --reserve=64M > /tmp/out 2> /tmp/err || rc=$?
		cat /tmp/err
		expect "$args: refused (exit 1), naming the align" \
			test "$rc:$(grep -c 'multiple of 1073741824\|align 0x40000000' /tmp/err || true)" = 1:1
	done
	# a size that --align 2M allows but the region's align does not:
	# the message names the region's align, the one that rules here
	rc=0
	$XEN create-namespace -r "$R" -s 24M -m fsdax --reserve=4M > /tmp/out 2> /tmp/err || rc=$?
	cat /tmp/err
	expect "-s 24M: refused (exit 1), naming the region's align 16 MiB" test \
		"$rc:$(grep -c "must be a multiple of 16777216: the larger of $R's align 16777216 and --align 2097152" /tmp/err || true)" = 1:1
	expect "-a 1G, -s 24M: no namespace, no label written" test \
		"$(ndctl list -N -r "$R")/$(host_sum lsa 0 $LSA_SIZE)" = "/$lsa"

	section "create-namespace --reserve"
	$XEN create-namespace -r "$R" -s 256M -m fsdax -M dev --reserve=64M > /tmp/c1
	$XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve=16M > /tmp/c2
	$XEN create-namespace -r "$R" -s 128M -m devdax -M dev -a 2M --reserve=32M > /tmp/c3
	n=0
	for j in /tmp/c1 /tmp/c2 /tmp/c3; do
		n=$((n + 1))
		expect "$(jq -r '"\(.dev): \(.mode) map=\(.map) reserve \(.reserve.size)"' $j): adopted at the tool's dataoff" \
			provisioned "$(jq -r .dev $j)" $j
		keep "$(jq -r .dev $j)" $j "CX0$n"
	done

	section "apply"
	spec="{\"namespaces\":[{\"name\":\"app0\",\"region\":\"$R\",\"size\":\"64M\",\"map\":\"mem\",\"reserve\":\"8M\"}]}"
	echo "$spec" > /tmp/spec.json
	rc=0; $XEN apply /tmp/spec.json > /tmp/apply || rc=$?
	expect "apply: app0 created (exit 0)" test "$rc:$(jq -c '[.namespaces[].result]' /tmp/apply)" = '0:["created"]'
	$XEN list -n "$(ndctl list -N | jq -r '.[] | select(.name == "app0") | .dev')" | jq -cM '.[0] |
		{dev, uuid, raw_size, mode, map: .layout.map, dataoff: .layout.dataoff, reserve: .layout.reserve}' > /tmp/c4
	expect "app0: adopted at the dataoff list gives" provisioned "$(jq -r .dev /tmp/c4)" /tmp/c4
	keep "$(jq -r .dev /tmp/c4)" /tmp/c4 CX04
	lsa=$(host_sum lsa 0 $LSA_SIZE)
	rc=0; $XEN apply /tmp/spec.json > /tmp/apply || rc=$?
	expect "apply again: unchanged (exit 0), no label written" \
		test "$rc:$(jq -c '[.namespaces[].result]' /tmp/apply):$(host_sum lsa 0 $LSA_SIZE)" = "0:[\"unchanged\"]:$lsa"

	section "list --xen"
	report
	expect "every answer from the store, verified against sysfs" test \
		"$(jq -c '[.[] | .layout | [.source, .verified, .consistent]] | unique' /tmp/live)" = '[["store",true,true]]'

	section "a power cut in the middle of a new namespace's info block"
	expect "no sanitizer report so far" sanitizer_clean
	NDCTL_XEN_FAULT=stop:torn $XEN create-namespace -r "$R" -s 64M -m fsdax -M mem --reserve=4M -n cut0 > /dev/null 2>&1 &
	local pid=$! st=
	for _ in $(seq 600); do
		st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
		case $st in T|Z|gone) break ;; esac
		sleep 0.05
	done
	expect "create-namespace stopped inside cut0's info block" test "$st" = T
	fact "{\"kind\":\"boot1\",\"ms\":$(($(now_ms) - T0))}"
	echo "boot 1 took $(($(now_ms) - T0)) ms"
	echo "RIG-SUMMARY: $PASSED passed, $FAILED failed"
	echo "cut now: $(host_cut 0)"
	while :; do sleep 1; done
}

boot2() {
	local prev=/rig/prev-facts.json u ns
	section "the region assembled again: $R (CXL $RIG_CXL_REGION)"
	jq -c '[.[] | select(.uuid != null)] | map({key: .uuid, value: .}) | from_entries' $prev > /tmp/prev
	for u in $(jq -r 'keys[]' /tmp/prev); do TAG[$u]=$(jq -r --arg u "$u" '.[$u].case' /tmp/prev); done
	expect "the half-made cut0 is there before recover, not adopted" test \
		"$(ndctl list -N -r "$R" | jq -c '[.[] | select(.name == "ndctl-xen:pending") | .mode]')" = '["raw"]'
	section "recover on the region"
	udev_recover
	expect "recover on the region: cut0 removed, every other block already in the store" test \
		"$(jq -c '[.[] | .action]' /tmp/recover)" = '["removed"]'
	expect "no half-made namespace left" test \
		"$(ndctl list -N -r "$R" | jq -c '[.[] | select(.name == "ndctl-xen:pending")]')" = '[]'
	section "the answers after the reboot"
	answers --xen > /tmp/live
	expect "the same $(jq length /tmp/prev) namespaces (uuids), enabled" test \
		"$(jq -c '[keys[]] | sort' /tmp/prev)" = "$(jq -c '[to_entries[] | select(.value.enabled) | .key] | sort' /tmp/live)"
	expect "every answer as in boot 1, from the store" test \
		"$(jq -cS --slurpfile p /tmp/prev 'with_entries(select($p[0][.key] != null)) | map_values(.layout)' /tmp/live)" = \
		"$(jq -cS 'map_values(.live)' /tmp/prev)"
	for u in $(jq -r 'keys[]' /tmp/prev); do
		ns=$(jq -r --arg u "$u" '.[$u].dev' /tmp/live)
		kernel_result "$ns" "$(ns_size "$ns")"
		expect "$ns: adopted at boot 1's dataoff" test "$K_RESULT $K_DATAOFF" = \
			"adopted $(jq --arg u "$u" '.[$u].live.dataoff' /tmp/prev)"
		expect "$ns: its data as written in boot 1 (both ends)" sh -c "rigfill check $(data_dev "$ns") 0 $MARK D${TAG[$u]} &&
			rigfill check $(data_dev "$ns") $((K_DEVSIZE - MARK)) $MARK E${TAG[$u]}"
	done
	section "list --xen"
	report
	echo "boot 2 took $(($(now_ms) - T0)) ms (boot 1: $(jq '[.[] | select(.kind == "boot1")][0].ms' $prev) ms)"
}

if [ "$RIG_REUSE" = 0 ]; then boot1; else boot2; fi
echo "cxl: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
