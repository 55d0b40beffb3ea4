#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen in a real Xen dom0: Debian's Xen 4.17 with the kernel as its PV
# dom0 (test/rig/rig.sh --xen; suite.sh steps dom0, dom0-cut).  Two boots
# on the same backing files.
# Boot 1: the hypervisor is there (xl info, xl list, /sys/hypervisor); the
# regions sit at the NFIT's machine addresses and the kernel offers only
# 4K alignment (a PV dom0 has no PSE); create-namespace with a hypervisor
# reservation, fsdax and devdax, with the options that work in dom0
# today (-M mem, devdax -a 4K); list --xen's frames (machine frames:
# checked here against the NFIT, and by host/dom0.sh against the backing
# file); apply; the query API (examples/xen-toolstack); the page map from
# list's areas.  With ndctl-xen's dom0 defaults (issue 22 item 2, found by
# a --dry-run) also the defaults: a hypervisor reservation with no -M/-a,
# in fsdax and devdax, and apply without map or align.  Data patterns go
# into every data area; the host checks them, and the reserved areas' CRC,
# in the backing files.  Boot 1 ends in a power cut in the middle of a
# create-namespace (cut0's info block torn, NDCTL_XEN_FAULT=stop:torn).
# Boot 2: recover leaves cut0 absent or made; every
# namespace comes back with the frames and data of boot 1; then what the
# kernel refuses in dom0 (map=dev over a whole 128 MiB section, devdax at
# 2M: with the defaults refused before anything is written, without them
# refused by the kernel and restored) and list --xen of a devdax namespace
# whose dax device failed to probe, against ndctl list.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
R=$RIG_LABEL_REGION
LABEL_FILE=$(((2 << 30) + (2 << 20)))
mkdir -p /run
now_ms() { local t; t=$(< /proc/uptime); t=${t%% *}; echo $((${t%.*} * 1000 + 10#${t#*.} * 10)); }
T0=$(now_ms)

# --- the hypervisor's tools: xenfs, xenstored, xl
xen_up() {
	mkdir -p /proc/xen /var/run/xenstored /var/lib/xenstored /var/log/xen /var/lib/xen /etc/xen
	mount -t xenfs xenfs /proc/xen
	: > /etc/xen/xl.conf
	xenstored --pid-file=/run/xenstored.pid
	local i=0
	until [ -S /var/run/xenstored/socket ]; do
		i=$((i + 1)); [ $i -le 200 ] || { echo "xenstored did not come up"; return 1; }
		sleep 0.05
	done
	xen-init-dom0 > /tmp/init-dom0 2>&1 || { cat /tmp/init-dom0; return 1; }
}

# --- the machine's NVDIMM ranges from the firmware's NFIT (QEMU builds it;
# Xen passes it through): "BASE LENGTH" a line for every SPA range
nfit_spa() {
	local -a b
	local off len type n i
	# one od: every byte as a number (a process costs ~0.2 s under TCG)
	b=($(od -An -v -tu1 /sys/firmware/acpi/tables/NFIT))
	le() { n=0; for ((i = $1 + $2 - 1; i >= $1; i--)); do n=$((n * 256 + b[i])); done; echo $n; }
	len=$(le 4 4) off=40
	while [ $off -lt "$len" ]; do
		type=$(le $off 2)
		[ "$type" != 0 ] || echo "$(le $((off + 32)) 8) $(le $((off + 40)) 8)"
		off=$((off + $(le $((off + 2)) 2)))
	done
}

# the control channel (ttyS1: the machine's second UART, 0x2f8; Xen keeps
# only com1) answers in dom0, within a minute
ctl_ok() {
	local r=
	stty -F /dev/ttyS1 raw -echo
	exec {RIG_CTL_FD}<>/dev/ttyS1
	printf 'SUM label 0 4096\n' >&"$RIG_CTL_FD"
	read -t 60 -r -u "$RIG_CTL_FD" r || true
	[ ${#r} = 64 ]
}
section() { echo "== $* (at $(($(now_ms) - T0)) ms)"; }

# run CMD...: RC, /tmp/out, /tmp/err
run() {
	RC=0
	"$@" > /tmp/out 2> /tmp/err || RC=$?
	echo "$*: exit $RC $(head -c 400 /tmp/err)"
}
xlist() { $XEN list --xen -n "$1" | jq -cM '.[0]'; }

# fill NS TAG: position-tagged patterns in the first and last MiB of NS's
# data device (what the host then finds where list --xen says); DATA[NS]
# remembers list's answer
declare -A FILLED RCRC
FILL=$((1 << 20))
fill() {
	local ns=$1 dev size
	kernel_result "$ns" "$(ns_size "$ns")"
	dev=$(data_dev "$ns")
	size=$K_DEVSIZE
	rigfill write "$dev" 0 $FILL "$2a"
	rigfill write "$dev" $((size - FILL)) $FILL "$2z"
	sync
	FILLED[$ns]=$2
}

# reserve_crc NS: the host's CRC of the backing file under NS's management
# frames (RCRC[NS]), taken before any data is written
reserve_crc() {
	local j; j=$(xlist "$1")
	RCRC[$1]=$(host_crc "$(ns_dimm "$1")" $((($(jq .xen.mgmt.smfn <<< "$j") << 12) - $(region_resource "$(ns_region "$1")"))) \
		$((($(jq '.xen.mgmt.emfn - .xen.mgmt.smfn' <<< "$j")) << 12)))
}

# fact NS: list --xen's answer for the host (frames, reserve CRC, data tags)
ns_fact() {
	local ns=$1 j
	j=$(xlist "$ns")
	fact "$(jq -cM --arg dimm "$(ns_dimm "$ns")" --arg tag "${FILLED[$ns]:-}" --arg crc "${RCRC[$ns]}" \
		--argjson rr "$(region_resource "$(ns_region "$ns")")" --argjson fill $FILL \
		'{kind: "dom0", ns: .dev, dimm: $dimm, region_resource: $rr, resource, size: .raw_size,
		mode, enabled, map: .layout.map, align: .layout.align, owner: .layout.reserve.owner,
		mgmt: .xen.mgmt, data: .xen.data, reserve_crc: $crc, tag: $tag, fill: $fill}' <<< "$j")"
}

# check_frames NS: list --xen's frames are the machine's: resource +
# the layout's offsets, inside the NFIT range of NS's DIMM
check_frames() {
	local ns=$1 en dok mok lo hi
	# one jq (0.5 s a run under TCG): enabled, data and management frames
	# as worked out here from sysfs's resource and the layout, the range
	read -r en dok mok lo hi < <(xlist "$ns" | jq -r --argjson res "$(ns_resource "$ns")" '
		def mfns(o; s): {smfn: ((($res + o) / 4096) | floor), emfn: ((($res + o + s) / 4096) | floor)};
		[.enabled, (.xen.data == mfns(.layout.data.offset; .layout.data.size)),
		 (.xen.mgmt == mfns(.layout.reserve.offset; .layout.reserve.size)),
		 .xen.mgmt.smfn * 4096, .xen.data.emfn * 4096] | @tsv')
	expect "$ns: list --xen: enabled, data frames from the machine address of the data" test "$en $dok" = "true true"
	expect "$ns: list --xen: management frames from the reserved area's machine address" test "$mok" = true
	expect "$ns: frames inside the NFIT range of its DIMM" in_nfit "$lo" "$hi"
}
in_nfit() {
	local b l
	while read -r b l; do [ "$1" -ge "$b" ] && [ "$2" -le $((b + l)) ] && return 0; done < /tmp/spa
	return 1
}

# dom0 defaults (issue 22 item 2): does this ndctl-xen choose map=mem for
# a hypervisor reservation in dom0 when -M is not given?
defaults() {
	$XEN create-namespace -r "$R" -s 128M --reserve-per-page=xen --dry-run 2> /dev/null | grep -qx 'map: mem'
}

# What dom0's kernel refuses, and a devdax namespace whose dax device failed
# to probe.  In boot 2, after the cut's checks, so that the kernel's failed
# probes (memremap_pages failing in add_pages) come after everything whose
# outcome the cut's checks read.
refusals() {
	section "what the kernel refuses in dom0"
	local plain p_before before n0 ns
	plain=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
	p_before=$(ndctl list -n "$plain" | jq -c '.[0] | {mode, size}')
	before=$(host_crc plain 0 $((16 << 10)))
	echo "RIG-EXPECT-WARN: add_pages"
	run $XEN create-namespace -e "$plain" -f -m fsdax -M dev --reserve=8M
	echo "RIG-EXPECT-WARN-END"
	expect "map=dev over a whole 128 MiB section: refused, $plain as before" test \
		"$([ "$RC" != 0 ] && echo refused) $(ndctl list -n "$plain" | jq -c '.[0] | {mode, size}')" = "refused $p_before"
	if [ $DEFAULTS = 1 ]; then
		expect "map=dev over a section: refused by rule (exit 1) naming map=mem" test "$RC:$(grep -cE -e '(-M |--map=|map=)mem' /tmp/err)" = "1:1"
		expect "map=dev over a section: nothing written" test "$(host_crc plain 0 $((16 << 10)))" = "$before"
	else
		expect "map=dev over a section: today the kernel refuses after the write (exit 3, -12)" \
			test "$RC:$(grep -c 'error -12' /tmp/err)" = "3:1"
	fi
	n0=$(ndctl list -N -r "$R" | jq length)
	before=$(host_crc label $((LABEL_FILE - (128 << 10))) $((128 << 10)))
	run $XEN create-namespace -r "$R" -s 64M -m devdax -M mem -a 2M --reserve=4M
	expect "devdax at 2M in dom0: refused, no namespace left" test \
		"$([ "$RC" != 0 ] && echo refused) $(ndctl list -N -r "$R" | jq length)" = "refused $n0"
	if [ $DEFAULTS = 1 ]; then
		expect "devdax at 2M: refused by rule (exit 1) naming supported_alignments" test "$RC:$(grep -c supported_alignments /tmp/err)" = "1:1"
		expect "devdax at 2M: nothing written (labels)" test "$(host_crc label $((LABEL_FILE - (128 << 10))) $((128 << 10)))" = "$before"
	else
		expect "devdax at 2M: today the kernel refuses after the write (exit 3, alignment mismatch)" \
			test "$RC:$(grep -c 'alignment mismatch' /tmp/err)" = "3:1"
	fi

	section "a devdax namespace whose dax device failed to probe"
	# ndctl itself refuses 2M in dom0 (not in supported_alignments) but
	# makes devdax map=dev over the whole 128 MiB section: dax_pmem binds
	# the nd_dax device, device_dax's probe of its daxX.Y fails (-12)
	echo "RIG-EXPECT-WARN: add_pages"
	run ndctl create-namespace -e "$plain" -f -m devdax -M dev -a 4K
	echo "RIG-EXPECT-WARN-END"
	ndctl list -n "$plain" -v > /tmp/nd
	$XEN list --xen -n "$plain" > /tmp/ours || true
	cat /tmp/nd /tmp/ours
	expect "ndctl list: $plain devdax, its dax device disabled" test \
		"$(jq -c '.[0] | [.mode, .daxregion.devices[0].state]' /tmp/nd)" = '["devdax","disabled"]'
	if [ $DEFAULTS = 1 ]; then
		expect "$plain: list --xen reports it not enabled, with no data frames, as ndctl does" test \
			"$(jq -c '.[0] | [.enabled, .xen.data]' /tmp/ours)" = '[false,null]'
	else
		echo "skip: list --xen of a namespace whose dax device failed to probe (issue 22 item 4, with the dom0 defaults; today: $(jq -c '.[0] | {enabled, data: .xen.data}' /tmp/ours))"
	fi
	run ndctl create-namespace -e "$plain" -f -m raw
	expect "$plain raw again (no block to probe at the next boot)" test "$(ndctl list -n "$plain" | jq -r '.[0].mode')" = raw

}

boot1() {
	local ns j before n0 plain p_before
	section "the hypervisor"
	expect "/sys/hypervisor/type is xen" test "$(< /sys/hypervisor/type)" = xen
	expect "the host answers on ttyS1" ctl_ok
	expect "xenstored and xen-init-dom0 run" xen_up
	expect "the host still answers on ttyS1" test "$(host_sum label 0 4096 | wc -c)" = 65
	xl info > /tmp/xlinfo 2>&1 || true
	head -n 12 /tmp/xlinfo
	expect "xl info: Xen 4.17 runs this dom0" grep -qE '^xen_version +: 4\.17\.' /tmp/xlinfo
	xl list > /tmp/xllist 2>&1 || true
	cat /tmp/xllist
	expect "xl list: Domain-0, id 0, 2 vCPUs" grep -qE '^Domain-0 +0 +[0-9]+ +2 ' /tmp/xllist
	xl dmesg > /tmp/xldmesg 2>&1 || true
	expect "xl dmesg: Xen's own log" grep -q 'Xen version 4.17' /tmp/xldmesg

	section "machine addresses and alignments"
	nfit_spa > /tmp/spa
	cat /tmp/spa
	expect "the regions' resources are the NFIT's machine addresses" test \
		"$(for r in $RIG_LABEL_REGION $RIG_PLAIN_REGION; do echo "$(region_resource $r) $(($(< $NDBUS/$r/size)))"; done | sort)" = \
		"$(sort /tmp/spa | while read -r b l; do echo "$b $l"; done)"
	# the label area (QEMU's last 128K) is not mapped: the label DIMM's SPA is 2G
	fact "{\"kind\":\"nfit\",\"spa\":$(awk '{ print "[" $1 "," $2 "]" }' /tmp/spa | jq -sc .)}"
	expect "no PSE in a PV dom0: the kernel offers only 4K alignment" test \
		"$(cat $NDBUS/pfn*/supported_alignments $NDBUS/dax*/supported_alignments | tr -s ' \n' '\n\n' | sort -u | xargs)" = 4096

	section "create-namespace with a hypervisor reservation, today's dom0 options"
	run $XEN create-namespace -r "$R" -s 256M -m fsdax -M mem --reserve-per-page=xen
	expect "fsdax, -M mem, --reserve-per-page=xen: exit 0" test "$RC" = 0
	NS_X=$(jq -r .dev /tmp/out)
	run $XEN create-namespace -r "$R" -s 128M -m fsdax -M mem --reserve=16M
	expect "fsdax, -M mem, --reserve=16M: exit 0" test "$RC" = 0
	NS_F=$(jq -r .dev /tmp/out)
	run $XEN create-namespace -r "$R" -s 128M -m devdax -M mem -a 4K --reserve-per-page=40
	expect "devdax, -M mem -a 4K, --reserve-per-page=40: exit 0" test "$RC" = 0
	NS_D=$(jq -r .dev /tmp/out)
	for ns in $NS_X $NS_F $NS_D; do
		kernel_result "$ns" "$(ns_size "$ns")"
		expect "$ns: adopted by the kernel, map=mem" test "$K_RESULT $K_MAP" = "adopted mem"
		expect "$ns: the reservation is the hypervisor's" test "$(xlist "$ns" | jq -r .layout.reserve.owner)" = hypervisor
	done
	expect "$NS_D: 4K align" test "$(xlist "$NS_D" | jq .layout.align)" = 4096
	NSS=("$NS_X" "$NS_F" "$NS_D")

	section "the same with ndctl-xen's dom0 defaults (no -M, no -a)"
	if defaults; then
		DEFAULTS=1
		run $XEN create-namespace -r "$R" -s 128M --reserve-per-page=xen
		expect "defaults: fsdax --reserve-per-page=xen: exit 0" test "$RC" = 0
		NS_DX=$(jq -r .dev /tmp/out)
		run $XEN create-namespace -r "$R" -s 128M -m devdax --reserve-per-page=40 --reserve-owner=hypervisor
		expect "defaults: devdax hypervisor reservation without -M/-a: exit 0" test "$RC" = 0
		NS_DD=$(jq -r .dev /tmp/out)
		for ns in $NS_DX $NS_DD; do
			kernel_result "$ns" "$(ns_size "$ns")"
			expect "$ns: adopted by the kernel" test "$K_RESULT" = adopted
			expect "$ns: defaults: map=mem, the hypervisor's" test \
				"$(xlist "$ns" | jq -r '"\(.layout.map) \(.layout.reserve.owner)"')" = "mem hypervisor"
		done
		expect "$NS_DD: defaults: 4K align, the only one the kernel offers" test "$(xlist "$NS_DD" | jq .layout.align)" = 4096
		NSS+=("$NS_DX" "$NS_DD")
	else
		DEFAULTS=0
		echo "skip: this ndctl-xen has no dom0 defaults yet (its --dry-run of --reserve-per-page=xen does not choose map=mem; issue 22 item 2)"
	fi

	section "apply"
	printf '{"namespaces":[{"name":"xen0","region":"%s","size":"64M","map":"mem","reserve_per_page":40,"reserve_owner":"hypervisor"}%s]}' "$R" \
		"$([ $DEFAULTS = 0 ] || echo ',{"name":"xen1","region":"'"$R"'","size":"64M","mode":"devdax","reserve_per_page":40,"reserve_owner":"hypervisor"}')" > /tmp/spec.json
	run $XEN apply /tmp/spec.json
	expect "apply: exit 0, created" test "$RC:$(jq -c '[.namespaces[].result] | unique' /tmp/out)" = '0:["created"]'
	for n in $(jq -r '.namespaces[].dev' /tmp/out); do
		kernel_result "$n" "$(ns_size "$n")"
		expect "apply: $n adopted" test "$K_RESULT" = adopted
		NSS+=("$n")
	done
	run $XEN apply /tmp/spec.json
	expect "apply again: exit 0, unchanged" test "$RC:$(jq -c '[.namespaces[].result] | unique' /tmp/out)" = '0:["unchanged"]'

	section "list --xen: machine frames"
	for ns in "${NSS[@]}"; do check_frames "$ns"; done

	section "the query API (examples/xen-toolstack) and the page map"
	xen-toolstack > /tmp/ts 2>&1 || true
	cat /tmp/ts
	expect "xen-toolstack: every hypervisor reservation, none other" grep -qx "${#NSS[@]} namespaces reserved for the hypervisor" /tmp/ts
	for ns in "${NSS[@]}"; do
		expect "xen-toolstack hands Xen list's frames for $ns" grep -qxF "$ns: $(xlist "$ns" | jq -r .xen.setup_data) $(xlist "$ns" | jq -r '"(management \(if .xen.mgmt_fits then "fits" else "too small" end), \(.xen.mgmt_required_mfns) frames needed)"')" /tmp/ts
	done
	$XEN list --xen | jq -c '[.[] | select(.xen.data != null) | .xen.data] | sort_by(.smfn)' > /tmp/want-areas
	run $XEN map create --state=/tmp/pm
	expect "map create: exit 0" test "$RC" = 0
	expect "map create: one area per namespace, list --xen's data frames" test \
		"$($XEN map show --state=/tmp/pm | jq -c '[.areas[] | {smfn, emfn}] | sort_by(.smfn)')" = "$(cat /tmp/want-areas)"
	j=$($XEN map assign --state=/tmp/pm --domain=1 --gfn=0 --frames=16)
	expect "map assign: 16 machine frames of the first data area to domain 1" test \
		"$(jq .mfn <<< "$j")" = "$(jq '.[0].smfn' /tmp/want-areas)"

	section "data and reserved areas: patterns for the host"
	local i=0
	for ns in "${NSS[@]}"; do reserve_crc "$ns"; echo "$ns: reserved area CRC ${RCRC[$ns]}"; done
	for ns in "${NSS[@]}"; do i=$((i + 1)); fill "$ns" "D$i"; done

	section "facts for the host and the next boot"
	for ns in "${NSS[@]}"; do ns_fact "$ns"; done
	expect "no sanitizer report so far" sanitizer_clean

	section "a power cut in the middle of a create-namespace"
	# A fresh namespace, not a reconfiguration: in dom0 (6.1.192, Xen
	# 4.17.7) create-namespace -e of an active fsdax map=mem namespace
	# (its pages unmapped, then the raw view's memremap of the same frames)
	# WARNed in xen_mc_flush and twice ended in an Oops (README)
	local new_doff
	new_doff=$($XEN create-namespace -r "$R" -s 32M -m fsdax -M mem --reserve=2M -n cut0 --dry-run | sed -n 's/^dataoff: //p')
	fact "{\"kind\":\"cut\",\"new_dataoff\":$new_doff,\"defaults\":$DEFAULTS,\"boot1_ms\":$(($(now_ms) - T0))}"
	NDCTL_XEN_FAULT=stop:torn $XEN create-namespace -r "$R" -s 32M -m fsdax -M mem --reserve=2M -n cut0 > /dev/null 2>&1 &
	local pid=$! st=
	# a deadline, not a count: a loaded host runs the guest ten times slower
	local until=$(($(now_ms) + 600000))
	while [ "$(now_ms)" -lt $until ]; do
		st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
		case $st in T|Z|gone) break ;; esac
		sleep 0.05
	done
	expect "create-namespace stopped inside cut0's info block write" test "$st" = T
	echo "boot 1 took $(($(now_ms) - T0)) ms"
	echo "RIG-SUMMARY: $PASSED passed, $FAILED failed"
	echo "cut now: $(host_cut 0)"
	while :; do sleep 1; done
}

boot2() {
	local cut ns j want CUT_STATE
	cut=$(jq -c '[.[] | select(.kind == "cut")] | last' /rig/prev-facts.json)
	expect "xenstored and xen-init-dom0 run" xen_up
	nfit_spa > /tmp/spa
	section "after the cut"
	run $XEN recover
	cat /tmp/out
	expect "recover: exit 0" test "$RC" = 0
	# cut0 after recover: gone (the old state) or made (the new one)
	j=$(ndctl list -N -r "$R" | jq -c '[.[] | select(.name == "cut0" or .name == "ndctl-xen:pending") | .dev]')
	case $(jq length <<< "$j") in
	0) CUT_STATE=old ;;
	1) kernel_result "$(jq -r '.[0]' <<< "$j")" $((32 << 20))
	   if [ "$K_RESULT $K_DATAOFF" = "adopted $(jq .new_dataoff <<< "$cut")" ]; then CUT_STATE=new; else CUT_STATE="other: $K_RESULT $K_DATAOFF"; fi ;;
	*) CUT_STATE="other: $j" ;;
	esac
	expect "cut0 after recover: old (absent) or new (adopted, its dataoff), got $CUT_STATE" test "$CUT_STATE" = old -o "$CUT_STATE" = new
	section "every namespace of boot 1: the same frames, its data"
	NSS=()
	while read -r j; do
		ns=$(jq -r .ns <<< "$j")
		NSS+=("$ns")
		want=$(jq -c '{enabled, map, align, owner, mgmt, data}' <<< "$j")
		expect "$ns: list --xen as in boot 1" test "$(xlist "$ns" | jq -c '{enabled, map: .layout.map, align: .layout.align, owner: .layout.reserve.owner, mgmt: .xen.mgmt, data: .xen.data}')" = "$want"
		kernel_result "$ns" "$(ns_size "$ns")"
		local dev; dev=$(data_dev "$ns")
		expect "$ns: its data patterns intact" rigfill check "$dev" 0 $FILL "$(jq -r .tag <<< "$j")a"
		FILLED[$ns]=$(jq -r .tag <<< "$j") RCRC[$ns]=$(jq -r .reserve_crc <<< "$j")
		ns_fact "$ns"
	done < <(jq -c '.[] | select(.kind == "dom0")' /rig/prev-facts.json)
	expect "boot 1 left namespaces" test "${#NSS[@]}" -ge 4
	expect "the toolstack finds them all (and cut0 if made)" grep -qx "$((${#NSS[@]} + $([ "$CUT_STATE" = new ] && echo 1 || echo 0))) namespaces reserved for the hypervisor" <(xen-toolstack 2>&1)
	if defaults; then DEFAULTS=1; else DEFAULTS=0; fi
	refusals
	echo "boot 2 took $(($(now_ms) - T0)) ms (boot 1: $(jq .boot1_ms <<< "$cut") ms)"
}

if [ "$RIG_REUSE" = 0 ]; then boot1; else boot2; fi
echo "dom0: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
