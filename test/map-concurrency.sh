#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen map from many processes at once on one state file: first-fit
# assigns, assigns of the same frames, releases racing assigns, machine
# checks racing assigns.  Every call's exit code and JSON are kept and
# checked against the final map: every exit 0 is in it (no lost update),
# no frame was reported to two calls (no doubly-held frame), the
# contested frames went to exactly one caller, and every frame that ends
# assigned and broken was named by the broken call that covered it.
# The file is format 3.0, so every change goes through a sparse open (a
# part of the map read as the call needs it; test-pagemap-concurrency
# runs such one-shot processes against processes that keep the map open).
# Under valgrind (NDX_VALGRIND) every call is a valgrind run, so fewer
# calls run at once; the test says how many.
. "$(dirname "$0")/common"

N_ANY=120 N_SAME=40 N_REL=30 N_BROKEN=30
if [ -n "${NDX_VALGRIND:-}" ]; then
	full=$((N_ANY + N_SAME + 2 * N_REL + 2 * N_BROKEN))
	N_ANY=8 N_SAME=4 N_REL=2 N_BROKEN=2
	echo "map-concurrency: under valgrind (each call is a valgrind run):" \
		"$((N_ANY + N_SAME + 2 * N_REL + 2 * N_BROKEN)) calls instead of $full"
fi
S=$TMP/conc.state
"$NDX" map create --state="$S" --range=0x100000-0x101000 > /dev/null
check "a new map is format 3.0 (the calls below open it sparse)" \
	test "$(od -An -tu2 -j8 -N2 "$S" | tr -d ' ')" = 3

# bg NAME ARGS...: ndctl-xen map ARGS in the background; NAME.out, .err, .rc
bg() {
	local name=$1
	shift
	( rc=0; "$NDX" map "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || rc=$?
	  echo "$rc" > "$TMP/$name.rc" ) &
}
rc_of() { cat "$TMP/$1.rc"; }
# granted PREFIX N: "domain mfn" of each call PREFIX1..N that exited 0 (one jq)
granted() {
	local files=() i
	for i in $(seq 1 "$2"); do
		[ "$(rc_of "$1$i")" != 0 ] || files+=("$TMP/$1$i.out")
	done
	[ ${#files[@]} -eq 0 ] || jq -r '"\(.domain) \(.mfn)"' "${files[@]}"
}
# owners: "mfn domain" for every assigned frame of the final map, decimal
owners() {
	"$NDX" map show --state="$S" --filter=assigned,assigned-broken |
		jq -r '.ranges[] | "\(.mfn) \(.frames) \(.domain)"' |
		awk '{ for (k = 0; k < $2; k++) print $1 + k, $3 }' | sort -n > "$TMP/owners"
}
# missing FILE: lines "domain mfn" of FILE whose frame the domain does not own
missing() {
	awk 'NR == FNR { own[$1] = $2; next } own[$2] != $1' "$TMP/owners" "$1" | wc -l
}
owner_of() { awk -v m="$1" '$1 == m { print $2 }' "$TMP/owners"; }

# 1. first fit, one frame each, domains 1..N_ANY at once
for i in $(seq 1 $N_ANY); do
	bg any$i assign --state="$S" --domain="$i" --gfn=0 --frames=1
done
wait
# 2. the same four frames, domains 1001.. at once (0x100f00 is decimal 1052416)
for i in $(seq 1 $N_SAME); do
	bg same$i assign --state="$S" --domain=$((1000 + i)) --gfn=0 --mfn=0x100f00 --frames=4
done
wait
owners

granted any "$N_ANY" > "$TMP/granted"
ok=$(wc -l < "$TMP/granted")
lost=$(missing "$TMP/granted")
doubles=$(awk '{ print $2 }' "$TMP/granted" | sort | uniq -d | wc -l)
check "all $N_ANY first-fit assigns succeeded (got $ok)" test "$ok" = "$N_ANY"
granted same "$N_SAME" > "$TMP/same"
winners=$(wc -l < "$TMP/same")
check "one of $N_SAME assigns of the same frames won (got $winners)" test "$winners" = 1
for i in $(seq 1 $N_SAME); do
	[ "$(rc_of same$i)" = 0 ] || grep -q "belong to domain" "$TMP/same$i.err" ||
		fail "same$i: refused for another reason: $(cat "$TMP/same$i.err")"
done
winner=$(awk '{ print $1 }' "$TMP/same")
for f in 1052416 1052417 1052418 1052419; do
	[ "$(owner_of $f)" = "$winner" ] || lost=$((lost + 1))
done

# 3. releases of domains 1..N_REL racing first-fit assigns of domains 2001..
for i in $(seq 1 $N_REL); do
	bg rel$i release --state="$S" --domain="$i"
	bg new$i assign --state="$S" --domain=$((2000 + i)) --gfn=0 --frames=1
done
wait
owners
for i in $(seq 1 $N_REL); do
	[ "$(rc_of rel$i)" = 0 ] || fail "release $i: $(cat "$TMP/rel$i.err")"
done
released=$(granted rel "$N_REL" | wc -l)
check "$N_REL releases exit 0 (got $released)" test "$released" = "$N_REL"
check "each gave back its frame" test "$(cat "$TMP"/rel*.out | jq -s 'map(.frames) | add')" = "$N_REL"
# the released domains own nothing now
lost=$((lost + $(awk -v n="$N_REL" '$2 >= 1 && $2 <= n' "$TMP/owners" | wc -l)))
granted new "$N_REL" > "$TMP/new"
check "$N_REL assigns racing them exit 0" test "$(wc -l < "$TMP/new")" = "$N_REL"
lost=$((lost + $(missing "$TMP/new")))
# a frame given to a new domain may be one a released domain had: only
# frames held at the end count twice
held_twice=$(awk '{ print $1 }' "$TMP/owners" | uniq -d | wc -l)

# 4. machine checks on held frames (and the next one) racing first-fit
# assigns of domains 3001..
: > "$TMP/brk.args"
for i in $(seq 1 $N_BROKEN); do
	mfn=$(awk -v d=$((N_REL + i)) '$1 == d { print $2 }' "$TMP/granted")
	echo "$i $mfn" >> "$TMP/brk.args"
	bg brk$i broken --state="$S" --mfn="$mfn" --frames=2
	bg late$i assign --state="$S" --domain=$((3000 + i)) --gfn=0 --frames=1
done
wait
owners
for i in $(seq 1 $N_BROKEN); do
	[ "$(rc_of brk$i)" = 0 ] || fail "broken $i: $(cat "$TMP/brk$i.err")"
done
# "first-mfn domain,domain..." of each broken call, then each assigned
# and broken frame must lie in a call's two frames that named its owner
for i in $(seq 1 $N_BROKEN); do
	echo "$(awk -v i="$i" '$1 == i { print $2 }' "$TMP/brk.args") $(jq -r '.domains | join(",")' "$TMP/brk$i.out")"
done > "$TMP/named"
unnamed=$("$NDX" map show --state="$S" --filter=assigned-broken |
	jq -r '.ranges[] | "\(.mfn) \(.frames) \(.domain)"' |
	awk 'NR == FNR { n++; from[n] = $1; doms[n] = "," $2 ","; next }
	     { for (k = 0; k < $2; k++) {
		 ok = 0
		 for (j = 1; j <= n; j++)
			 if ($1 + k >= from[j] && $1 + k < from[j] + 2 && index(doms[j], "," $3 ","))
				 ok = 1
		 if (!ok) bad++
	     } }
	     END { print bad + 0 }' "$TMP/named" -)
granted late "$N_BROKEN" > "$TMP/late"
check "$N_BROKEN assigns racing the machine checks exit 0" test "$(wc -l < "$TMP/late")" = "$N_BROKEN"
lost=$((lost + $(missing "$TMP/late")))
held_twice=$((held_twice + $(awk '{ print $1 }' "$TMP/owners" | uniq -d | wc -l)))
total=$("$NDX" map show --state="$S" | jq '.totals | .free.frames + .assigned.frames +
	.broken.frames + ."assigned-broken".frames')
check "every frame is in one state" test "$total" = 4096

calls=$((N_ANY + N_SAME + 2 * N_REL + 2 * N_BROKEN))
echo "map-concurrency: $calls calls ($N_ANY first fit, $N_SAME of the same frames," \
	"$N_REL releases racing $N_REL assigns, $N_BROKEN broken racing $N_BROKEN assigns):" \
	"lost updates $lost, doubly-held frames $((doubles + held_twice))," \
	"broken frames assigned without their domain named $unnamed"
check "no lost update" test "$lost" = 0
check "no doubly-held frame" test "$((doubles + held_twice))" = 0
check "every broken assigned frame was named" test "$unnamed" = 0
finish
