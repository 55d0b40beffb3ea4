#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen apply and the Ansible module on real namespaces, two boots on
# the same backing files (test/rig/suite.sh steps apply, apply-cut).
# The backing files' hash (asked of the host: the label DIMM's first
# 160 MiB, where these namespaces live, and its label area) shows what
# was written.
# Boot 1 (from empty): apply creates xen0 and os0 (exit 0); again: exit
# 4, unchanged, backing files identical; a changed reservation (56 bytes a
# page instead of 40) is refused (exit 1, nothing written) then applied
# with --force (exit 0, reconfigured); the Ansible module, run as Ansible
# runs it (python3 MODULE ARGS.json), in check mode (changed, nothing
# written), for real (changed: ans0 created), again (not changed, backing
# files identical); the block store's keying and a dry run that writes
# nothing (guest/store-keying.sh); then an apply that creates cut0 and reconfigures xen0
# back to 40, stopped (NDCTL_XEN_FAULT=stop:torn) in the middle of cut0's
# info block, and the host cuts the power.
# Boot 2: before recover cut0 is unfinished and xen0 still the old one;
# apply refuses until recover ran; after recover apply finishes (exit 0),
# and again changes nothing (exit 4).
set -euo pipefail
. /rig/common

XEN=ndctl-xen
R=$RIG_LABEL_REGION
LABEL_FILE=$(((2 << 30) + (2 << 20)))
MODULE=/rig/ansible/plugins/modules/ndctl_xen.py
mkdir -p /run
now_ms() { local t; t=$(< /proc/uptime); t=${t%% *}; echo $((${t%.*} * 1000 + 10#${t#*.} * 10)); }
T0=$(now_ms)

backing() { echo "$(host_sum label 0 $((160 << 20))) $(host_sum label $((LABEL_FILE - (128 << 10))) $((128 << 10)))"; }
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
# the module as Ansible runs it: python3 MODULE ARGS-FILE; /tmp/mod
module() {
	printf '{"ANSIBLE_MODULE_ARGS": {"namespaces": %s, "_ansible_check_mode": %s, "_ansible_diff": true}}' \
		"$1" "$2" > /tmp/args.json
	local t0; t0=$(now_ms)
	MRC=0
	python3 "$MODULE" /tmp/args.json > /tmp/mod 2> /tmp/mod.err || MRC=$?
	echo "module (check $2): exit $MRC in $(($(now_ms) - t0)) ms: $(head -c 400 /tmp/mod) $(head -c 300 /tmp/mod.err)"
}

boot1() {
	local before
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
	expect "again: exit 4 (nothing to do)" test "$RC" = 4
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
	run --dry-run --force "$(spec 56)"
	expect "dry run with --force: exit 5 (changes planned), nothing written" \
		test "$RC:$(results):$(backing)" = "5:[\"not-run\",\"unchanged\"]:$before"
	run --force "$(spec 56)"
	expect "--force: exit 0, xen0 reconfigured" test "$RC:$(results)" = '0:["reconfigured","unchanged"]'
	expect "xen0 live: 896 KiB for 56 bytes a page" test "$(live xen0)" = "fsdax mem 917504 hypervisor 56 store"
	expect "xen0 adopted again" adopted xen0
	run "$(spec 56)"
	expect "after --force, again: exit 4" test "$RC:$(results)" = '4:["unchanged","unchanged"]'

	echo "== the Ansible module"
	before=$(backing)
	module "$(spec 56 "$ANS0")" true
	expect "check mode: changed, ans0 planned" test \
		"$MRC:$(jq -c '[.changed, .exit_status, [.namespaces[].action]]' /tmp/mod)" = '0:[true,5,["none","none","create"]]'
	expect "check mode: the diff shows ans0 to be created" test "$(jq -c '.diff.after' /tmp/mod)" = '{"name=ans0":"created"}'
	expect "check mode: backing files identical" test "$(backing)" = "$before"
	module "$(spec 56 "$ANS0")" false
	expect "first run: changed, ans0 created" test \
		"$MRC:$(jq -c '[.changed, [.namespaces[].result]]' /tmp/mod)" = '0:[true,["unchanged","unchanged","created"]]'
	expect "ans0 adopted" adopted ans0
	before=$(backing)
	module "$(spec 56 "$ANS0")" false
	expect "second run: not changed" test \
		"$MRC:$(jq -c '[.changed, .exit_status, [.namespaces[].result]]' /tmp/mod)" = '0:[false,4,["unchanged","unchanged","unchanged"]]'
	expect "second run: backing files identical" test "$(backing)" = "$before"
	module "[{\"name\":\"ans0\",\"region\":\"$R\",\"size\":\"32M\"}]" false
	expect "a size apply does not change: failed with the tool's message" test \
		"$MRC:$(jq -c '[.failed, (.msg | test("refused: .* raw size 16777216, 33554432 wanted"))]' /tmp/mod)" = '1:[true,true]'
	expect "failed: backing files identical" test "$(backing)" = "$before"

	# the block store's keying and a dry run's hands-off (store-keying.sh)
	. /rig/tests/store-keying.sh
	store_keying

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
	expect "and again: exit 4, all unchanged, backing files identical" \
		test "$RC:$(results):$(backing)" = "4:[\"unchanged\",\"unchanged\",\"unchanged\",\"unchanged\"]:$before"
	echo "boot 2 took $(($(now_ms) - T0)) ms (boot 1: $(jq .boot1_ms <<< "$prev") ms)"
}

if [ "$RIG_REUSE" = 0 ]; then boot1; else boot2; fi
echo "RIG-SUMMARY-APPLY: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
