#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Power cuts during ndctl-xen create-namespace (driven by test/rig/powercut.sh,
# one cut per boot; every boot after the first runs on the same backing files).
#
# Boot 0 sets up three targets, each with two layouts (A and B) it switches
# between, and fills every target's whole namespace past 8 KiB with a
# pattern through a raw view:
#   t1  label-backed 64M   A: fsdax dev --reserve=4M   B: fsdax dev --reserve=12M
#   t2  label-backed 64M   A: devdax mem --reserve=8M  B: devdax dev --reserve=2M
#   t3  label-less 128M    A: fsdax dev --reserve=4M   B: fsdax mem --reserve=16M
# Each boot then
#   1. (after a cut) classifies what the cut left, before and after
#      `ndctl-xen recover`: the target must be in its old or its new state
#      (never a third), a refused reconfiguration must leave the old one, an
#      adopted block must carry a record that agrees with the dataoff the
#      kernel uses (read-infoblock -V through a raw view), every other target
#      is unchanged, and every target's data area (past the larger dataoff)
#      has the same sha256 in the backing file (asked of the host);
#   2. prints its state as a RIG-FACT for the next boot and its checks as
#      RIG-SUMMARY, then runs operation PC_SCHEDULE[i] and has the host cut
#      the power: at a random moment (":random", uniform over 1.25x the
#      operation's measured duration) or exactly where the tool stopped
#      itself (NDCTL_XEN_FAULT=stop:POINT: raw, journal, torn, block,
#      restore-torn, ...).
# Operations: reconf1/2/3 (-e TARGET -f to its other layout), fresh
# (a new 32M fsdax namespace with --reserve=4M) and refused (t1 to its other
# layout with NDCTL_XEN_FAULT=dataoff, which the kernel refuses; ndctl-xen
# puts the old block back).
set -euo pipefail
. /rig/common

XEN=ndctl-xen
mkdir -p /run
R=$RIG_LABEL_REGION
IFS=, read -r -a SCHED <<< "${PC_SCHEDULE:-}"
now_ms() { local t; t=$(< /proc/uptime); t=${t%% *}; echo $((${t%.*} * 1000 + 10#${t#*.} * 10)); }

declare -A ARGS=(
	[t1A]="-m fsdax -M dev --reserve=4M" [t1B]="-m fsdax -M dev --reserve=12M"
	[t2A]="-m devdax -M mem --reserve=8M" [t2B]="-m devdax -M dev --reserve=2M"
	[t3A]="-m fsdax -M dev --reserve=4M" [t3B]="-m fsdax -M mem --reserve=16M"
)
FRESH_ARGS="-s 32M -m fsdax -M dev --reserve=4M"

# state (RIG-FACT {"kind":"pc",...} of the previous boot)
declare -A NS DIMM CUR DOFF_A DOFF_B MODE_A MODE_B MAP_A MAP_B TAIL_OFF TAIL_LEN TAIL_SUM
T_FRESH=0 T_RECONF=0 FRESH_DOFF=0 INDEX=0 KEPT=""

# the layout name (A, B) NS is in now, "raw" or "other"
layout_of() {
	local t=$1
	kernel_result "${NS[$t]}" "$(ns_size "${NS[$t]}")"
	if [ "$K_RESULT" != adopted ]; then echo raw; return; fi
	if [ "$K_DATAOFF" = "${DOFF_A[$t]}" ] && [ "$K_MODE" = "${MODE_A[$t]}" ] && [ "$K_MAP" = "${MAP_A[$t]}" ]; then echo A
	elif [ "$K_DATAOFF" = "${DOFF_B[$t]}" ] && [ "$K_MODE" = "${MODE_B[$t]}" ] && [ "$K_MAP" = "${MAP_B[$t]}" ]; then echo B
	else echo other; fi
}
other() { [ "$1" = A ] && echo B || echo A; }
# old (the layout before the cut), new (the other one), raw or other
old_or_new() {
	local l; l=$(layout_of "$1")
	case $l in "${CUR[$1]}") echo old ;; A|B) echo new ;; *) echo "$l" ;; esac
}

# the block the kernel adopted agrees with itself and with the dataoff in use
record_agrees() {
	local ns=$1 want=$2 bdev j rc=0
	bdev=$(raw_view "$ns")
	j=$($XEN read-infoblock -i "/dev/$bdev" -V -j 2>/tmp/pc-rib) || rc=1
	probe "$ns"
	[ $rc = 0 ] || { echo "read-infoblock -V: $(cat /tmp/pc-rib)"; return 1; }
	[ "$(jq '.[0].dataoff' <<< "$j")" = "$want" ] || { echo "block dataoff $(jq '.[0].dataoff' <<< "$j") != $want"; return 1; }
	jq -e '.[0] | .consistent and (.layout.reserve_offset + .layout.reserve_size <= .dataoff)' <<< "$j" > /dev/null
}

tail_sum() { host_sum "${DIMM[$1]}" "${TAIL_OFF[$1]}" "${TAIL_LEN[$1]}"; }

# fresh-op namespaces: the one named NAME, or a pending one
fresh_state() {
	local name=$1 j
	j=$(ndctl list -N -r "$R" | jq -c --arg n "$name" '[.[] | select(.name == $n or .name == "ndctl-xen:pending")]')
	case $(jq length <<< "$j") in
	0) echo absent ;;
	1)
		if [ "$(jq -r '.[0].name' <<< "$j")" = ndctl-xen:pending ]; then echo pending; return; fi
		kernel_result "$(jq -r '.[0].dev' <<< "$j")" $((32 << 20))
		if [ "$K_RESULT" = adopted ] && [ "$K_DATAOFF" = "$FRESH_DOFF" ] && [ "$K_MODE" = fsdax ]; then
			echo "new:$(jq -r '.[0].dev' <<< "$j")"
		else echo "other:$K_RESULT"; fi ;;
	*) echo "other:$(jq length <<< "$j") namespaces" ;;
	esac
}

setup() {
	local t ns j bdev size t0 off
	echo "== setup"
	t0=$(now_ms)
	$XEN create-namespace -r "$R" -s 64M ${ARGS[t1A]} > /tmp/j
	T_FRESH=$(($(now_ms) - t0))
	NS[t1]=$(jq -r .dev /tmp/j)
	NS[t2]=$($XEN create-namespace -r "$R" -s 64M ${ARGS[t2A]} | jq -r .dev)
	NS[t3]=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
	$XEN create-namespace -e "${NS[t3]}" -f ${ARGS[t3A]} > /dev/null
	for t in t1 t2 t3; do
		ns=${NS[$t]}
		kernel_result "$ns" "$(ns_size "$ns")"
		DOFF_A[$t]=$K_DATAOFF MODE_A[$t]=$K_MODE MAP_A[$t]=$K_MAP
		t0=$(now_ms)
		$XEN create-namespace -e "$ns" -f ${ARGS[${t}B]} > /dev/null
		T_RECONF=$(( $(now_ms) - t0 > T_RECONF ? $(now_ms) - t0 : T_RECONF ))
		kernel_result "$ns" "$(ns_size "$ns")"
		DOFF_B[$t]=$K_DATAOFF MODE_B[$t]=$K_MODE MAP_B[$t]=$K_MAP
		$XEN create-namespace -e "$ns" -f ${ARGS[${t}A]} > /dev/null
		expect "$t ($ns): layout A again after A -> B -> A" test "$(layout_of "$t")" = A
		# the data every later boot checks: a pattern over everything past 8 KiB
		size=$(ns_size "$ns")
		bdev=$(raw_view "$ns")
		rigfill write "/dev/$bdev" 8192 $((size - 8192)) "PC${t#t}"
		probe "$ns"
		expect "$t: adopted again after the fill" test "$(layout_of "$t")" = A
		CUR[$t]=A DIMM[$t]=$(ns_dimm "$ns")
		off=$(( DOFF_A[$t] > DOFF_B[$t] ? DOFF_A[$t] : DOFF_B[$t] ))
		TAIL_OFF[$t]=$(( $(ns_resource "$ns") - $(region_resource "$(ns_region "$ns")") + off ))
		TAIL_LEN[$t]=$((size - off))
		TAIL_SUM[$t]=$(tail_sum "$t")
		echo "$t: $ns ${DIMM[$t]} A=${DOFF_A[$t]} ${MODE_A[$t]}/${MAP_A[$t]} B=${DOFF_B[$t]} ${MODE_B[$t]}/${MAP_B[$t]} data ${TAIL_SUM[$t]:0:16}"
	done
	# the fresh operation's dataoff, from one uncut run
	j=$($XEN create-namespace -r "$R" $FRESH_ARGS -n pc-probe)
	kernel_result "$(jq -r .dev <<< "$j")" $((32 << 20))
	FRESH_DOFF=$K_DATAOFF
	KEPT="$(jq -r .dev <<< "$j"):$FRESH_DOFF"
	echo "durations: fresh ${T_FRESH} ms, reconfigure ${T_RECONF} ms; fresh dataoff $FRESH_DOFF"
}

load_state() {
	local s t
	s=$(jq -c '[.[] | select(.kind == "pc")] | last' /rig/prev-facts.json)
	[ "$s" != null ] || { echo "RIG-ERR: no pc state in prev-facts.json"; exit 1; }
	INDEX=$(($(jq .index <<< "$s") + 1)) T_FRESH=$(jq .t_fresh <<< "$s") T_RECONF=$(jq .t_reconf <<< "$s")
	FRESH_DOFF=$(jq .fresh_doff <<< "$s") KEPT=$(jq -r .kept <<< "$s")
	for t in t1 t2 t3; do
		eval "$(jq -r --arg t "$t" '.t[$t] | "NS[\($t)]=\(.ns) DIMM[\($t)]=\(.dimm) CUR[\($t)]=\(.cur) DOFF_A[\($t)]=\(.doff_a) DOFF_B[\($t)]=\(.doff_b) MODE_A[\($t)]=\(.mode_a) MODE_B[\($t)]=\(.mode_b) MAP_A[\($t)]=\(.map_a) MAP_B[\($t)]=\(.map_b) TAIL_OFF[\($t)]=\(.tail_off) TAIL_LEN[\($t)]=\(.tail_len) TAIL_SUM[\($t)]=\(.tail_sum)"' <<< "$s")"
	done
	CUT=$(jq -c .cut <<< "$s")
}

save_state() {
	local t ts=""
	for t in t1 t2 t3; do
		ts+=$(printf '%s"%s":{"ns":"%s","dimm":"%s","cur":"%s","doff_a":%s,"doff_b":%s,"mode_a":"%s","mode_b":"%s","map_a":"%s","map_b":"%s","tail_off":%s,"tail_len":%s,"tail_sum":"%s"}' \
			"${ts:+,}" "$t" "${NS[$t]}" "${DIMM[$t]}" "${CUR[$t]}" "${DOFF_A[$t]}" "${DOFF_B[$t]}" \
			"${MODE_A[$t]}" "${MODE_B[$t]}" "${MAP_A[$t]}" "${MAP_B[$t]}" "${TAIL_OFF[$t]}" "${TAIL_LEN[$t]}" "${TAIL_SUM[$t]}")
	done
	fact "$(printf '{"kind":"pc","index":%s,"t_fresh":%s,"t_reconf":%s,"fresh_doff":%s,"kept":"%s","t":{%s},"cut":%s}' \
		"$INDEX" "$T_FRESH" "$T_RECONF" "$FRESH_DOFF" "$KEPT" "$ts" "$1")"
}

# what the previous boot's cut left
verify() {
	local op stop target name pre post rec t want k ns d
	op=$(jq -r .op <<< "$CUT") stop=$(jq -r .stop <<< "$CUT") target=$(jq -r .target <<< "$CUT")
	name=$(jq -r .name <<< "$CUT")
	echo "== after cut $((INDEX - 1)): $op:$stop"
	[ "$(jq .reached <<< "$CUT")" != false ] || bad "cut $((INDEX - 1)): the tool never reached stop:$stop"
	if [ "$op" = fresh ]; then pre=$(fresh_state "$name"); else pre=$(old_or_new "$target"); fi
	rec=$($XEN recover | jq -c '[.[] | "\(.dev):\(.action)"] | join(" ")') || bad "ndctl-xen recover failed"
	if [ "$op" = fresh ]; then
		post=$(fresh_state "$name")
		case $post in
		absent) post=old ;;
		new:*) KEPT+=" ${post#new:}:$FRESH_DOFF"; post=new ;;
		esac
	else
		post=$(old_or_new "$target")
		[ "$post" != new ] || CUR[$target]=$(other "${CUR[$target]}")
	fi
	host_line "RIG-CUT-OUTCOME {\"index\":$((INDEX - 1)),\"op\":\"$op\",\"stop\":\"$stop\",\"pre\":\"$pre\",\"recover\":$rec,\"post\":\"$post\"}"
	expect "cut $((INDEX - 1)) ($op:$stop): old or new state after recovery, got '$post' (before recovery '$pre')" \
		test "$post" = old -o "$post" = new
	[ "$op" != refused ] || expect "cut $((INDEX - 1)): a refused reconfiguration never leaves the new layout" test "$post" = old
}

# every target and every kept fresh namespace is as the state says
check_all() {
	local t l k ns d
	for t in t1 t2 t3; do
		l=$(layout_of "$t")
		expect "$t (${NS[$t]}): in layout ${CUR[$t]} (found $l)" test "$l" = "${CUR[$t]}"
		if [ "$l" = A ] || [ "$l" = B ]; then
			[ "$l" = A ] && d=${DOFF_A[$t]} || d=${DOFF_B[$t]}
			expect "$t: the adopted block's record agrees with dataoff $d" record_agrees "${NS[$t]}" "$d"
		fi
		expect "$t: data area unchanged in the backing file" test "$(tail_sum "$t")" = "${TAIL_SUM[$t]}"
	done
	for k in $KEPT; do
		ns=${k%%:*} d=${k#*:}
		kernel_result "$ns" $((32 << 20))
		expect "$ns (created earlier): still adopted at dataoff $d" test "$K_RESULT:$K_DATAOFF" = "adopted:$d"
	done
}

# run schedule item INDEX and have the host cut the power
arm() {
	local item=${SCHED[$INDEX]} op stop target="" name="" args fault="" max pid st reached=true rec
	op=${item%%:*} stop=${item#*:}
	case $op in
	reconf[123]) target=t${op#reconf}; args="-e ${NS[$target]} -f ${ARGS[$target$(other "${CUR[$target]}")]}"; max=$T_RECONF ;;
	refused) target=t1; args="-e ${NS[t1]} -f ${ARGS[t1$(other "${CUR[t1]}")]}"; fault=dataoff; max=$((T_RECONF * 2)) ;;
	fresh) name=pc$INDEX; args="-r $R $FRESH_ARGS -n $name"; max=$T_FRESH ;;
	*) echo "RIG-ERR: unknown operation $op"; exit 1 ;;
	esac
	rec=$(printf '{"op":"%s","stop":"%s","target":"%s","name":"%s","args":"%s"' "$op" "$stop" "$target" "$name" "$args")
	echo "== cut $INDEX: $op:$stop: ndctl-xen create-namespace $args"
	expect "no sanitizer report so far" sanitizer_clean
	if [ "$stop" = random ]; then
		save_state "$rec,\"reached\":true}"
		echo "RIG-SUMMARY: $PASSED passed, $FAILED failed"
		max=$((max * 5 / 4))
		echo "cut within $max ms: $(host_cut "$max")"
		NDCTL_XEN_FAULT=$fault $XEN create-namespace $args > /dev/null 2>&1 || true
		echo "RIG-CUT-DONE: the operation finished before the cut"
	else
		NDCTL_XEN_FAULT="${fault:+$fault,}stop:$stop" $XEN create-namespace $args > /dev/null 2>&1 &
		pid=$!
		# wait (with a deadline) until the tool has stopped itself at the cut point
		for _ in $(seq 600); do
			st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
			case $st in T|Z|gone) break ;; esac
			sleep 0.05
		done
		[ "$st" = T ] || reached=false
		save_state "$rec,\"reached\":$reached}"
		echo "RIG-SUMMARY: $PASSED passed, $FAILED failed"
		echo "stopped at $stop ($st): cut now: $(host_cut 0)"
	fi
	while :; do sleep 1; done
}

if [ "$RIG_REUSE" = 0 ]; then
	setup
else
	load_state
	verify
fi
check_all
if [ "$INDEX" -lt "${#SCHED[@]}" ]; then
	arm
fi
echo "== no cut left: $INDEX cuts verified"
save_state null
[ "$FAILED" = 0 ]
