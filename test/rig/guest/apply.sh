#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen apply and the Ansible module on real namespaces, two boots on
# the same backing files (test/rig/suite.sh steps apply, apply-cut).
# The backing files' hash (asked of the host: the label DIMM's first
# 160 MiB, where these namespaces live, and its label area) shows what
# was written.
# Boot 1 (from empty): apply creates xen0 and os0 (exit 0); again: exit
# 0, unchanged, backing files identical; a changed reservation (56 bytes a
# page instead of 40) is refused (exit 1, nothing written), planned
# (--dry-run --detailed-exitcode: 5; -j: the planned layouts as JSON) then
# applied with --force (--detailed-exitcode: 5, reconfigured; again: 0);
# the Ansible modules, run as Ansible runs them (python3 MODULE
# ARGS.json): ndctl_xen in check mode (changed, the planned layout in the
# diff, nothing written), for real (changed: ans0 created), again (not
# changed, backing files identical); ndctl_xen_info (xen0's reservation
# and Xen frame ranges); state=absent refused for os0 while its dax device
# is open (nothing destroyed), in check mode for ans0 (nothing written),
# for real (ans0 destroyed), and ans0 made again; the block store's keying
# and a dry run that writes nothing (guest/store-keying.sh); dat0 made by
# data_size (the pmem device at least that large, the report's raw_size
# the namespace's and the dry run's plan, a step of the region's align
# smaller too small, converged again, refused when
# asked for a byte more than it holds); then an apply that
# creates cut0 and reconfigures xen0 back to 40, stopped
# (NDCTL_XEN_FAULT=stop:torn) in the middle of xen0's info block, and the
# host cuts the power.
# Boot 2: before recover cut0 is unfinished and xen0 still the old one;
# apply refuses until recover ran; after recover apply finishes (exit 0),
# and again changes nothing (--detailed-exitcode: 0).
set -euo pipefail
. /rig/common

XEN=ndctl-xen
R=$RIG_LABEL_REGION
LABEL_FILE=$(((2 << 30) + (2 << 20)))
MODULE=/rig/ansible/plugins/modules/ndctl_xen.py
INFO_MODULE=/rig/ansible/plugins/modules/ndctl_xen_info.py
mkdir -p /run
now_ms() { local t; t=$(< /proc/uptime); t=${t%% *}; echo $((${t%.*} * 1000 + 10#${t#*.} * 10)); }
T0=$(now_ms)

backing() { echo "$(host_sum label 0 $((160 << 20))) $(host_sum label $((LABEL_FILE - (128 << 10))) $((128 << 10)))"; }
# the host's own state (block store, intent records): a dry run writes none of it
statesum() { find "$RIG_STATE_DIR" -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-16; }
# spec XEN0_PER_PAGE [ENTRY...]: the desired state as JSON
spec() {
	local extra="" e
	for e in "${@:2}"; do extra+=",$e"; done
	printf '[{"name":"xen0","region":"%s","size":"64M","map":"mem","reserve_per_page":%s,"reserve_owner":"hypervisor"},{"name":"os0","region":"%s","size":"32M","mode":"devdax","reserve":"4M"}%s]' \
		"$R" "$1" "$R" "$extra"
}
ANS0="{\"name\":\"ans0\",\"region\":\"$R\",\"size\":\"16M\",\"reserve\":\"2M\"}"
CUT0="{\"name\":\"cut0\",\"region\":\"$R\",\"size\":\"16M\",\"map\":\"mem\",\"reserve\":\"1M\"}"
# run [OPTIONS] JSON: ndctl-xen apply; RC, /tmp/out, /tmp/err, RESULTS,
# DEV[name] (one jq a run: 0.5 s each under TCG)
declare -A DEV
run() {
	local j=${*: -1} s
	echo "{\"namespaces\":$j}" > /tmp/spec.json
	RC=0 RESULTS=
	"$XEN" apply "${@:1:$#-1}" /tmp/spec.json > /tmp/out 2> /tmp/err || RC=$?
	s=$(jq -r '(.namespaces[] | select(.dev and .name) | "DEV[\(.name)]=\(.dev)"),
		"RESULTS=\([.namespaces[].result] | tojson | @sh)"' /tmp/out 2>/dev/null) || true
	eval "$s"
	echo "apply ${*:1:$#-1}: exit $RC: $RESULTS $(head -c 300 /tmp/err)"
}
results() { echo "$RESULTS"; }
dev_of() {
	[ -z "${DEV[$1]:-}" ] || { echo "${DEV[$1]}"; return; }
	ndctl list -N -r "$R" | jq -r --arg n "$1" '.[] | select(.name == $n) | .dev'
}
# the live answer for namespace NAME: mode map reserve-size owner per-page
live() {
	$XEN list -n "$(dev_of "$1")" | jq -r '.[0] | "\(.mode) \(.layout.map) \(.layout.reserve.size) \(.layout.reserve.owner) \(.layout.reserve.per_page_bytes) \(.layout.source)"'
}
adopted() {
	local ns; ns=$(dev_of "$1")
	kernel_result "$ns" "$(ns_size "$ns")"
	[ "$K_RESULT" = adopted ]
}
# the module as Ansible runs it: python3 MODULE ARGS-FILE; /tmp/mod.
# module NAMESPACES CHECK [MORE ARGUMENTS (JSON members)]
module() {
	printf '{"ANSIBLE_MODULE_ARGS": {"namespaces": %s, "_ansible_check_mode": %s, "_ansible_diff": true%s}}' \
		"$1" "$2" "${3:+, $3}" > /tmp/args.json
	local t0; t0=$(now_ms)
	MRC=0
	python3 "${MODULE_PY:-$MODULE}" /tmp/args.json > /tmp/mod 2> /tmp/mod.err || MRC=$?
	echo "module (check $2${3:+, $3}): exit $MRC in $(($(now_ms) - t0)) ms: $(head -c 400 /tmp/mod) $(head -c 300 /tmp/mod.err)"
}

# data_size: the kernel's device holds at least that much; converged as long
# as it does; a step smaller would not have held it
data_size() {
	local want=$((20 << 20)) dev raw blk bytes dsize spec step planned
	echo "== data_size"
	spec="{\"name\":\"dat0\",\"region\":\"$R\",\"data_size\":\"20M\",\"reserve\":\"1M\"}"
	# sizes go in steps of the region's align (16 MiB here), 2 MiB at least
	step=$(($(< "$NDBUS/$R/align")))
	[ "$step" -ge $((2 << 20)) ] || step=$((2 << 20))
	echo "{\"namespaces\":$(spec 56 "$ANS0" "$spec")}" > /tmp/spec.json
	"$XEN" apply --dry-run -j /tmp/spec.json > /tmp/plan 2> /dev/null || true
	planned=$(jq '.[3].layout.size' /tmp/plan)
	run --detailed-exitcode "$(spec 56 "$ANS0" "$spec")"
	expect "data_size: exit 5, dat0 created" test "$RC:$(results)" = '5:["unchanged","unchanged","unchanged","created"]'
	dev=$(dev_of dat0)
	raw=$(jq '.namespaces[3].raw_size' /tmp/out)
	expect "data_size: the report's raw_size is the namespace's ($raw)" test "$raw" = "$(ns_size "$dev")"
	expect "data_size: the dry run planned that size ($planned)" test "$planned" = "$raw"
	expect "data_size: a multiple of the region's step ($step)" test $((raw % step)) = 0
	expect "dat0 adopted" adopted dat0
	blk=$(ndctl list -N -n "$dev" | jq -r '.[0].blockdev')
	# the kernel's size of the pmem disk (blockdev --getsize64 reads the same)
	bytes=$(($(< "/sys/block/$blk/size") * 512))
	echo "dat0: $dev raw $raw, /dev/$blk $bytes bytes, $want wanted"
	expect "data_size: /dev/$blk holds it ($bytes >= $want)" test "$bytes" -ge "$want"
	dsize=$($XEN list -n "$dev" | jq '.[0].layout.data.size')
	expect "data_size: list's data area is the device ($dsize)" test "$dsize" = "$bytes"
	# the same layout a step smaller, planned by size: less data
	run --dry-run "[{\"name\":\"probe\",\"region\":\"$R\",\"size\":$((raw - step)),\"reserve\":\"1M\"}]"
	"$XEN" apply --dry-run -j /tmp/spec.json > /tmp/plan 2> /dev/null || true
	expect "data_size: $((raw - step)) bytes would hold less" \
		test "$(jq '.[0].layout.data.size' /tmp/plan)" -lt "$want"
	run --detailed-exitcode "$(spec 56 "$ANS0" "$spec")"
	expect "data_size again: exit 0, unchanged" test "$RC:$(results)" = '0:["unchanged","unchanged","unchanged","unchanged"]'
	run "[{\"name\":\"dat0\",\"region\":\"$R\",\"data_size\":$((dsize + 1)),\"reserve\":\"1M\"}]"
	expect "data_size a byte more than it holds: refused, naming data_size" test \
		"$RC:$(results):$(jq -c '[.namespaces[0].differs[].key]' /tmp/out)" = '1:["refused"]:["data_size"]'
}

boot1() {
	local before state
	echo "== apply from empty"
	run "$(spec 40)"
	expect "from empty: exit 0 (changed)" test "$RC" = 0
	expect "from empty: both created" test "$(results)" = '["created","created"]'
	expect "from empty: changed true" test "$(jq .changed /tmp/out)" = true
	expect "xen0 adopted by the kernel" adopted xen0
	expect "os0 adopted by the kernel" adopted os0
	expect "xen0 live: fsdax, map=mem, 640 KiB for 40 bytes a page, hypervisor's" \
		test "$(live xen0)" = "fsdax mem 655360 hypervisor 40 store"
	expect "os0 live: devdax, map=dev, 4 MiB, the OS's" test "$(live os0)" = "devdax dev 4194304 os 0 store"

	echo "== again: nothing to do"
	before=$(backing)
	run "$(spec 40)"
	expect "again: exit 0 (converged already)" test "$RC" = 0
	expect "again: both unchanged, changed false" test "$(results) $(jq .changed /tmp/out)" = '["unchanged","unchanged"] false'
	expect "again: backing files identical" test "$(backing)" = "$before"

	echo "== a changed reservation: refused, then --force"
	run --dry-run "$(spec 56)"
	expect "dry run, 56 bytes a page: exit 1, xen0 refused" test "$RC:$(results)" = '1:["refused","unchanged"]'
	expect "the refusal names what differs" test \
		"$(jq -c '.namespaces[0].differs | map(select(.key == "reserve" or .key == "reserve_per_page")) | map([.key, .want, .have])' /tmp/out)" = \
		'[["reserve",917504,655360],["reserve_per_page",56,40]]'
	run "$(spec 56)"
	expect "56 bytes a page without --force: exit 1, refused" test "$RC:$(results)" = '1:["refused","unchanged"]'
	expect "refused: one line on stderr naming xen0's namespace" grep -q "refused: $(dev_of xen0) differs" /tmp/err
	expect "refused: backing files identical" test "$(backing)" = "$before"
	run --dry-run --force --detailed-exitcode "$(spec 56)"
	expect "dry run with --force --detailed-exitcode: exit 5 (changes planned), nothing written" \
		test "$RC:$(results):$(backing)" = "5:[\"not-run\",\"unchanged\"]:$before"
	RC=0
	"$XEN" apply --dry-run -j --force /tmp/spec.json > /tmp/plan 2> /tmp/err || RC=$?
	echo "apply --dry-run -j --force: exit $RC: $(jq -c . /tmp/plan | head -c 600)"
	expect "dry run -j: exit 0, the plan: xen0 reconfigured to 896 KiB, os0 as it is" test \
		"$RC:$(jq -c 'map([.name, .dev, .action, .layout.reserve.size, .layout.reserve.per_page_bytes, .layout.reserve.owner])' /tmp/plan)" = \
		"0:[[\"xen0\",\"$(dev_of xen0)\",\"reconfigure\",917504,56,\"hypervisor\"],[\"os0\",\"$(dev_of os0)\",\"none\",4194304,0,\"os\"]]"
	expect "dry run -j: os0's planned dataoff is its live one" test \
		"$(jq '.[1].layout.dataoff' /tmp/plan)" = "$($XEN list -n "$(dev_of os0)" | jq '.[0].layout.dataoff')"
	expect "dry run -j: nothing written" test "$(backing)" = "$before"
	run --force --detailed-exitcode "$(spec 56)"
	expect "--force --detailed-exitcode: exit 5, xen0 reconfigured" test "$RC:$(results)" = '5:["reconfigured","unchanged"]'
	expect "xen0 live: 896 KiB for 56 bytes a page" test "$(live xen0)" = "fsdax mem 917504 hypervisor 56 store"
	expect "xen0 adopted again" adopted xen0
	run --detailed-exitcode "$(spec 56)"
	expect "after --force, again, --detailed-exitcode: exit 0" test "$RC:$(results)" = '0:["unchanged","unchanged"]'

	echo "== the Ansible module"
	before=$(backing) state=$(statesum)
	module "$(spec 56 "$ANS0")" true
	expect "check mode: changed, ans0 planned" test \
		"$MRC:$(jq -c '[.changed, .exit_status, [.namespaces[].action]]' /tmp/mod)" = '0:[true,5,["none","none","create"]]'
	expect "check mode: the diff shows ans0's planned layout, none before" test \
		"$(jq -c '[.diff.before["name=ans0"], (.diff.after["name=ans0"] | [.mode, .raw_size, .map, .reserve.size])]' /tmp/mod)" = \
		'[null,["fsdax",16777216,"dev",2097152]]'
	expect "check mode: the diff shows xen0 as it is" test \
		"$(jq -c '[.diff.before["name=xen0"] == .diff.after["name=xen0"], .diff.after["name=xen0"].reserve.size]' /tmp/mod)" = '[true,917504]'
	expect "check mode: backing files identical" test "$(backing)" = "$before"
	expect "check mode: the host's state files identical" test "$(statesum)" = "$state"
	module "$(spec 56 "$ANS0")" false
	expect "first run: changed, ans0 created" test \
		"$MRC:$(jq -c '[.changed, [.namespaces[].result]]' /tmp/mod)" = '0:[true,["unchanged","unchanged","created"]]'
	expect "ans0 adopted" adopted ans0
	before=$(backing)
	module "$(spec 56 "$ANS0")" false
	expect "second run: not changed" test \
		"$MRC:$(jq -c '[.changed, .exit_status, [.namespaces[].result]]' /tmp/mod)" = '0:[false,0,["unchanged","unchanged","unchanged"]]'
	expect "second run: backing files identical" test "$(backing)" = "$before"
	module "[{\"name\":\"ans0\",\"region\":\"$R\",\"size\":\"32M\"}]" false
	expect "a size apply does not change: failed with the tool's message" test \
		"$MRC:$(jq -c '[.failed, (.msg | test("refused: .* raw size 16777216, 33554432 wanted"))]' /tmp/mod)" = '1:[true,true]'
	expect "failed: backing files identical" test "$(backing)" = "$before"

	echo "== ndctl_xen_info"
	printf '{"ANSIBLE_MODULE_ARGS": {"region": "%s"}}' "$R" > /tmp/args.json
	MRC=0
	python3 "$INFO_MODULE" /tmp/args.json > /tmp/mod 2> /tmp/mod.err || MRC=$?
	echo "info: exit $MRC: $(head -c 400 /tmp/mod) $(head -c 300 /tmp/mod.err)"
	expect "info: xen0's reservation: 896 KiB, the hypervisor's, 56 bytes a page" test \
		"$MRC:$(jq -c --arg d "$(dev_of xen0)" '.reservations[] | select(.dev == $d) | [.size, .owner, .per_page_bytes]' /tmp/mod)" = \
		'0:[917504,"hypervisor",56]'
	expect "info: xen0's Xen frame ranges, as ndctl-xen list --xen says" test \
		"$(jq -c --arg d "$(dev_of xen0)" '.xen[] | select(.dev == $d) | [.mgmt, .data, .setup_mgmt]' /tmp/mod)" = \
		"$($XEN list --xen -n "$(dev_of xen0)" | jq -c '.[0].xen | [.mgmt, .data, .setup_mgmt]')"
	expect "info: not changed, three namespaces" test "$(jq -c '[.changed, (.namespaces | length)]' /tmp/mod)" = '[false,3]'

	echo "== state=absent"
	local chardev
	chardev=$(ndctl list -N -n "$(dev_of os0)" | jq -r '.[0].chardev')
	exec 9< "/dev/$chardev"
	module "[{\"name\":\"os0\"},{\"name\":\"ans0\"}]" false '"state": "absent", "force": true'
	exec 9<&-
	expect "absent while os0's dax device is open: refused, nothing destroyed" test \
		"$MRC:$(jq -c '[.changed, [.namespaces[].result], (.msg | test("/dev/'"$chardev"' is open by process [0-9]+"))]' /tmp/mod)" = \
		'1:[false,["refused","not-run"],true]'
	expect "refused absent: backing files identical" test "$(backing)" = "$before"
	module "[{\"name\":\"ans0\"}]" true '"state": "absent", "force": true'
	expect "absent, check mode: changed, nothing written" test \
		"$MRC:$(jq -c '[.changed, [.namespaces[].result]]' /tmp/mod):$(backing)" = "0:[true,[\"not-run\"]]:$before"
	module "[{\"name\":\"ans0\"}]" false '"state": "absent", "force": true'
	expect "absent: ans0 destroyed" test \
		"$MRC:$(jq -c '[.changed, [.namespaces[].result], .diff.after["name=ans0"]]' /tmp/mod):$(dev_of ans0)" = '0:[true,["destroyed"],null]:'
	module "[{\"name\":\"ans0\"}]" false '"state": "absent", "force": true'
	expect "absent again: not changed" test "$MRC:$(jq -c '[.changed, [.namespaces[].result]]' /tmp/mod)" = '0:[false,["absent"]]'
	module "$(spec 56 "$ANS0")" false
	expect "ans0 made again" test "$MRC:$(jq -c '[.changed, [.namespaces[].result]]' /tmp/mod)" = '0:[true,["unchanged","unchanged","created"]]'
	expect "ans0 adopted again" adopted ans0

	# the block store's keying and a dry run's hands-off (store-keying.sh)
	. /rig/tests/store-keying.sh
	store_keying

	data_size


	echo "== a power cut in the middle of an apply"
	fact "{\"kind\":\"apply\",\"xen0_dataoff\":$(jq '.[0].layout.dataoff' <(ndctl-xen list -n "$(dev_of xen0)")),\"boot1_ms\":$(($(now_ms) - T0))}"
	expect "no sanitizer report so far" sanitizer_clean
	echo "{\"namespaces\":$(spec 40 "$ANS0" "$CUT0")}" > /tmp/spec.json
	NDCTL_XEN_FAULT=stop:torn $XEN apply --force /tmp/spec.json > /dev/null 2>&1 &
	local pid=$! st=
	for _ in $(seq 600); do
		st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
		case $st in T|Z|gone) break ;; esac
		sleep 0.05
	done
	expect "apply stopped inside xen0's info block write" test "$st" = T
	echo "boot 1 took $(($(now_ms) - T0)) ms"
	echo "RIG-SUMMARY: $PASSED passed, $FAILED failed"
	echo "cut now: $(host_cut 0)"
	while :; do sleep 1; done
}

boot2() {
	local prev before
	prev=$(jq -c '[.[] | select(.kind == "apply")] | last' /rig/prev-facts.json)
	echo "== after the cut"
	expect "xen0 torn by the cut: not adopted" test "$(adopted xen0 && echo adopted)" = ""
	expect "cut0 not made yet" test "$(dev_of cut0)$(dev_of ndctl-xen:pending)" = ""
	run --force "$(spec 40 "$ANS0" "$CUT0")"
	expect "apply again: exit 0" test "$RC" = 0
	expect "apply again: xen0's old block put back first (its journal)" \
		test "$(jq -c '[.recovered[] | .action]' /tmp/out)" = '["journal"]'
	expect "apply again: xen0 reconfigured, os0 and ans0 unchanged, cut0 created" \
		test "$(results)" = '["reconfigured","unchanged","unchanged","created"]'
	expect "xen0 live: 40 bytes a page again" test "$(live xen0)" = "fsdax mem 655360 hypervisor 40 store"
	expect "xen0 adopted" adopted xen0
	expect "cut0 adopted" adopted cut0
	before=$(backing)
	run "$(spec 40 "$ANS0" "$CUT0")"
	expect "and again: exit 0, changed false" test "$RC:$(jq .changed /tmp/out)" = "0:false"
	run --detailed-exitcode "$(spec 40 "$ANS0" "$CUT0")"
	expect "and again, --detailed-exitcode: exit 0, all unchanged, backing files identical" \
		test "$RC:$(results):$(backing)" = "0:[\"unchanged\",\"unchanged\",\"unchanged\",\"unchanged\"]:$before"
	echo "boot 2 took $(($(now_ms) - T0)) ms (boot 1: $(jq .boot1_ms <<< "$prev") ms)"
}

if [ "$RIG_REUSE" = 0 ]; then boot1; else boot2; fi
echo "RIG-SUMMARY-APPLY: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
