#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen apply without a kernel: a malformed desired state is refused
# before any device is looked at (exit 2, one line naming the entry's
# key path, the value as the file has it and the rule, nothing on stdout,
# no intent record written), and the plan and exit codes on a host without
# NVDIMMs, data_size's chosen size among them (the rig runs the rest:
# test/rig/guest/apply.sh).
. "$(dirname "$0")/common"

STATE=$TMP/state
mkdir "$STATE"
export NDCTL_XEN_STATE_DIR=$STATE
SPEC=$TMP/spec.json
EXPECT_FILES=("$SPEC")
EXPECT_NO_STDOUT=1
printf '%-44s %-4s %s\n' CASE EXIT ERROR

bad() {
	local name=$1 pattern=$2 text=$3
	printf '%s' "$text" > "$SPEC"
	expect "$name" 2 "$pattern" "$NDX" apply ${DRY:+--dry-run} "$SPEC"
}
ns() { printf '{"namespaces":[%s]}' "$1"; }

DRY=1 bad "malformed: cut short (--dry-run)" "not JSON: the text ends inside a value" '{"namespaces":[{"name":"a"'
DRY=1 bad "duplicate names (--dry-run)" 'namespaces\[0\] and \[1\]: the same name "a"' '{"namespaces":[{"name":"a","size":"64M"},{"name":"a","size":"64M"}]}'
DRY=1 bad "impossible size (--dry-run)" 'cannot hold this layout' '{"namespaces":[{"name":"a","size":"64M","reserve":"1G"}]}'
bad "malformed: cut short" "not JSON: the text ends inside a value" '{"namespaces":[{"name":"a"'
bad "malformed: not JSON" "not JSON: .* at byte" '{namespaces: []}'
bad "malformed: text after the value" "not JSON: text after the value at byte 18" '{"namespaces":[]} x'
bad "not an object" "is an object" '[]'
bad "unknown top-level key" 'unknown key "namespace" at the top' '{"namespace":[]}'
bad "namespaces not an array" '"namespaces" must be an array' '{"namespaces":{}}'
bad "entry not an object" 'namespaces\[0\]: an entry is an object, not "a"' "$(ns '"a"')"
bad "unknown key" 'namespaces\[1\]: unknown key "reserv"' "$(ns '{"name":"a","size":"64M"},{"name":"b","size":"64M","reserv":"4M"}')"
bad "no identity" 'namespaces\[0\]: say which namespace' "$(ns '{"size":"64M"}')"
bad "no size" 'namespaces\[0\]: no size \(a "size", "rest" for the rest of the region, or a "data_size"\)$' "$(ns '{"name":"a"}')"
# a value refused is named by its key path and as the file writes it, then the rule
bad "size not a size" 'apply: namespaces\[0\].size: "64Q" is not a size \(a number of bytes, or a string with an optional K, M, G or T suffix\)$' "$(ns '{"name":"a","size":"64Q"}')"
bad "size 256MB" 'apply: namespaces\[0\].size: "256MB" is not a size \(a number of bytes' "$(ns '{"name":"a","size":"256MB"}')"
bad "size 0" 'apply: namespaces\[0\].size: 0: give a size larger than 0, or "rest"$' "$(ns '{"name":"a","size":0}')"
bad "size and data_size" 'apply: namespaces\[0\]: "size": "64M" and "data_size": 60000000: give one, not both$' "$(ns '{"name":"a","size":"64M","data_size":60000000}')"
bad "rest and data_size" 'apply: namespaces\[0\]: "size": "rest" and "data_size": "1G": give one, not both$' "$(ns '{"name":"a","size":"rest","data_size":"1G"}')"
bad "data_size not a size" 'apply: namespaces\[0\].data_size: "lots" is not a size \(a number of bytes, or a string' "$(ns '{"name":"a","data_size":"lots"}')"
bad "data_size 0" 'apply: namespaces\[0\].data_size: "0K": give a data size larger than 0$' "$(ns '{"name":"a","data_size":"0K"}')"
bad "data_size overflows" 'apply: namespaces\[0\].data_size: "99999999999T" does not fit in 64 bits$' "$(ns '{"name":"a","data_size":"99999999999T"}')"
bad "data_size no size holds" 'apply: namespaces\[0\].data_size: 18446744073709551615: no namespace holds this layout with that much data: overflow' "$(ns '{"name":"a","data_size":18446744073709551615}')"
bad "data_size not a string or number" 'namespaces\[0\].data_size: true is not a string or a non-negative integer' "$(ns '{"name":"a","data_size":true}')"
bad "size negative" 'namespaces\[0\].size: -64: is negative' "$(ns '{"name":"a","size":-64}')"
# ambiguous input json-c would resolve silently (the last key wins, a string
# ends at its NUL, a number is clamped): refused, naming the key path and
# the value as written
bad "a key twice in an entry" 'namespaces\[1\].size: "size": a key given twice' "$(ns '{"name":"a","size":"64M"},{"name":"b","size":"64M","size":"32M"}')"
bad "a key twice, one escaped" 'namespaces\[0\].size: .*a key given twice' "$(ns '{"name":"a","\u0073ize":"64M","size":"32M"}')"
bad "a key twice at the top" 'namespaces: "namespaces": a key given twice' '{"namespaces":[],"namespaces":[{"name":"a","size":"64M"}]}'
bad "a NUL in a string" 'namespaces\[0\].name: "a\\u0000b": holds a NUL' "$(ns '{"name":"a\u0000b","size":"64M"}')"
bad "a number above 2^64 - 1" 'namespaces\[0\].size: 18446744073709551616: is larger than 2\^64 - 1' "$(ns '{"name":"a","size":18446744073709551616}')"
bad "a number far above 2^64" 'namespaces\[0\].reserve: 99999999999999999999999: is larger' "$(ns '{"name":"a","size":"64M","reserve":99999999999999999999999}')"
bad "a negative beyond int64" 'namespaces\[0\].size: -99999999999999999999: is negative' "$(ns '{"name":"a","size":-99999999999999999999}')"
bad "single quotes (json-c takes them)" "not JSON \\(RFC 8259\\): the top level: unexpected ''' at byte 1" "{'namespaces':[]}"
bad "NaN (json-c takes it)" "not JSON \\(RFC 8259\\): namespaces\[0\].size: unexpected 'N'" "$(ns '{"name":"a","size":NaN}')"
bad "size not a number" 'namespaces\[0\].size: 6.4 is not' "$(ns '{"name":"a","size":6.4}')"
bad "size overflows" 'apply: namespaces\[0\].size: "99999999999T" does not fit in 64 bits$' "$(ns '{"name":"a","size":"99999999999T"}')"
bad "impossible: reserve > size" 'apply: namespaces\[0\].size: "64M" cannot hold this layout: no-data-page' "$(ns '{"name":"a","size":"64M","reserve":"1G"}')"
bad "impossible: per-page > size" 'cannot hold this layout' "$(ns '{"name":"a","size":"16M","reserve_per_page":4096}')"
bad "impossible: tiny size" 'cannot hold this layout: namespace-size' "$(ns '{"name":"a","size":"4K"}')"
bad "both reserve kinds" 'apply: namespaces\[0\]: "reserve": "4M" and "reserve_per_page": 40: give one, not both$' "$(ns '{"name":"a","size":"rest","reserve":"4M","reserve_per_page":40}')"
bad "bad mode" 'apply: namespaces\[0\].mode: "fsdaxx" is not one of "fsdax", "devdax"$' "$(ns '{"name":"a","size":"64M","mode":"fsdaxx"}')"
bad "bad map" 'apply: namespaces\[0\].map: "disk" is not one of "dev", "mem"$' "$(ns '{"name":"a","size":"64M","map":"disk"}')"
bad "bad align" 'apply: namespaces\[0\].align: "2MB" is not a size \(a number of bytes' "$(ns '{"name":"a","size":"64M","align":"2MB"}')"
bad "bad reserve" 'apply: namespaces\[0\].reserve: "4 M" is not a size \(a number of bytes' "$(ns '{"name":"a","size":"64M","reserve":"4 M"}')"
bad "bad page_struct_size" 'apply: namespaces\[0\].page_struct_size: "sixty" is neither a byte count nor a preset' "$(ns '{"name":"a","size":"64M","page_struct_size":"sixty"}')"
bad "page_struct_size 0" 'page-struct-size: namespaces\[0\].page_struct_size: 0: page_struct_size must be between 64 and 65535$' "$(ns '{"name":"a","size":"64M","page_struct_size":0}')"
bad "align 0" 'align-supported: namespaces\[0\].align: 0: align 0 is not one the kernel supports' "$(ns '{"name":"a","size":"64M","align":0}')"
bad "bad per-page" 'apply: namespaces\[0\].reserve_per_page: "forty" is neither a byte count nor a preset' "$(ns '{"name":"a","size":"64M","reserve_per_page":"forty"}')"
bad "bad owner" 'apply: namespaces\[0\].reserve_owner: "hypervsor" is not an owner: did you mean hypervisor' "$(ns '{"name":"a","size":"64M","reserve":"4M","reserve_owner":"hypervsor"}')"
bad "empty owner" 'apply: namespaces\[0\].reserve_owner: "" is empty' "$(ns '{"name":"a","size":"64M","reserve":"4M","reserve_owner":""}')"
bad "preset with owner os" 'apply: namespaces\[0\].reserve_per_page: "xen" sizes Xen.s frame table and M2P: its owner is the hypervisor, not "reserve_owner": "os"$' "$(ns '{"name":"a","size":"64M","reserve_per_page":"xen","reserve_owner":"os"}')"
bad "preset with map dev" 'drop "map": "dev", or give a byte count with "reserve_owner": "os"$' "$(ns '{"name":"a","size":"64M","reserve_per_page":"xen","map":"dev"}')"
bad "bad uuid" 'apply: namespaces\[0\].uuid: "1234" is not a uuid$' "$(ns '{"uuid":"1234","size":"64M"}')"
bad "pending name" 'marks an unfinished namespace' "$(ns '{"name":"ndctl-xen:pending","size":"64M"}')"
bad "name too long" 'a label name has 1 to 63 bytes' "$(ns "{\"name\":\"$(printf 'n%.0s' {1..64})\",\"size\":\"64M\"}")"
bad "duplicate names" 'namespaces\[0\] and \[2\]: the same name "a"' "$(ns '{"name":"a","size":"64M"},{"name":"b","size":"64M"},{"name":"a","size":"32M"}')"
bad "duplicate uuids (any case)" 'the same uuid' "$(ns '{"uuid":"0f0e0d0c-0b0a-0908-0706-050403020100","size":"64M"},{"uuid":"0F0E0D0C-0B0A-0908-0706-050403020100","size":"64M"}')"
bad "one region twice" "both mean region region1's only namespace" "$(ns '{"region":"region1","size":"rest"},{"region":"region1","size":"rest"}')"
printf 'x' > "$SPEC"
expect "no FILE" 2 "no FILE" "$NDX" apply
expect "two FILEs" 2 "one FILE, not more" "$NDX" apply "$SPEC" "$SPEC"
expect "missing FILE" 2 "No such file" "$NDX" apply "$TMP/none.json"
expect "unknown option" 2 "unknown option '--dryrun'" "$NDX" apply --dryrun "$SPEC"
expect "-j without --dry-run" 2 "-j goes with --dry-run" "$NDX" apply -j "$SPEC"
printf '{"namespaces":[]}\0' > "$SPEC"
expect "NUL byte" 2 "holds a NUL byte" "$NDX" apply "$SPEC"
check "no intent record was written" test -z "$(ls -A "$STATE")"

# The plan on this host (no NVDIMM regions, unless the machine has some)
if [ -d /sys/bus/nd/devices ] && ls /sys/bus/nd/devices | grep -q '^region'; then
	echo "apply: this host has NVDIMM regions: the plan cases run in the rig only"
else
	ns '' > "$SPEC"
	rc=0; "$NDX" apply "$SPEC" > "$TMP/out" 2> "$TMP/err" || rc=$?
	check "empty desired state: exit 0 (converged)" test "$rc" = 0
	check "empty desired state: changed false" test "$(jq .changed "$TMP/out")" = false
	rc=0; "$NDX" apply --detailed-exitcode "$SPEC" > /dev/null 2>&1 || rc=$?
	check "empty desired state, --detailed-exitcode: 0 (nothing changed)" test "$rc" = 0
	rc=0; "$NDX" apply --dry-run --detailed-exitcode "$SPEC" > /dev/null 2>&1 || rc=$?
	check "empty desired state, --dry-run --detailed-exitcode: 0 (nothing planned)" test "$rc" = 0
	rc=0; "$NDX" apply --dry-run -j "$SPEC" > "$TMP/out" 2>&1 || rc=$?
	check "empty desired state, --dry-run -j: exit 0, an empty array" test "$rc:$(jq -c . "$TMP/out")" = "0:[]"
	ns '{"name":"a","size":"64M","map":"mem","reserve_per_page":40},{"region":"region7","size":"rest"}' > "$SPEC"
	rc=0; "$NDX" apply --dry-run "$SPEC" > "$TMP/out" 2> "$TMP/err" || rc=$?
	check "dry run, nowhere to create: exit 1" test "$rc" = 1
	check "dry run: both refused, naming the region" test "$(jq -c '[.namespaces[] | .result, .reason]' "$TMP/out")" = \
		'["refused","no writable pmem region with room for it","refused","no writable pmem region region7 with room for it"]'
	check "dry run: changed false, two planned" test "$(jq -c '[.dry_run, .changed]' "$TMP/out")" = '[true,false]'
	check "dry run: one error line per refusal" test "$(wc -l < "$TMP/err")" = 2
	rc=0; "$NDX" apply --dry-run --json "$SPEC" > "$TMP/out" 2> "$TMP/err" || rc=$?
	check "dry run -j: exit 1, an array of two plans" test "$rc:$(jq -c 'type, length' "$TMP/out" | tr '\n' ' ')" = '1:"array" 2 '
	check "dry run -j: snake_case keys" test "$(jq -c '.[0] | keys' "$TMP/out")" = \
		'["action","dev","differs","index","layout","name","reason","region","uuid"]'
	# 64 MiB, map=mem, 40 bytes a page: 16384 pages x 40 = 640 KiB reserved
	# below a 2 MiB-aligned dataoff of 4 MiB (the library's layout, as numbers)
	check "dry run -j: the planned layout, numbers as numbers" test \
		"$(jq -c '.[0] | [.action, .layout.size, .layout.map, .layout.dataoff, .layout.reserve.size, .layout.reserve.per_page_bytes, .layout.reserve.owner, .layout.resource]' "$TMP/out")" = \
		'["refuse",67108864,"mem",4194304,655360,40,"hypervisor",null]'
	check "dry run -j: a rest entry with no region has no layout" test "$(jq -c '.[1].layout' "$TMP/out")" = null
	check "dry run -j: one error line per refusal" test "$(wc -l < "$TMP/err")" = 2
	# data_size: the smallest namespace, in steps of the layout's align (2 MiB
	# at least), whose data area holds it.  The planned size's own layout
	# (asked for by size) holds it; a step smaller does not.
	for c in '104857600 "100M"' '104857601 104857601,"map":"mem","reserve_per_page":"xen"' \
			'1073741824 "1G","reserve":"64M","align":"1G"' \
			'314572800 "300M","mode":"devdax","page_struct_size":128'; do
		want=${c%% *} rest=${c#* }
		d="\"data_size\":$rest" extra=${rest#"${rest%%,*}"}
		ns "{\"name\":\"d\",$d}" > "$SPEC"
		rc=0; "$NDX" apply --dry-run -j "$SPEC" > "$TMP/out" 2> /dev/null || rc=$?
		size=$(jq '.[0].layout.size' "$TMP/out")
		step=$(jq '.[0].layout.align | if . > 2097152 then . else 2097152 end' "$TMP/out")
		check "data_size {$d}: planned (size $size, exit $rc)" test "$size" -gt 0
		check "data_size {$d}: the data area holds $want" test "$(jq '.[0].layout.data.size' "$TMP/out")" -ge "$want"
		check "data_size {$d}: size a multiple of $step" test $((size % step)) = 0
		ns "{\"name\":\"d\",\"size\":$size$extra}" > "$TMP/sized.json"
		"$NDX" apply --dry-run -j "$TMP/sized.json" > "$TMP/sized" 2> /dev/null || true
		check "data_size {$d}: size $size gives the same layout" test \
			"$(jq -c '.[0].layout' "$TMP/sized")" = "$(jq -c '.[0].layout' "$TMP/out")"
		ns "{\"name\":\"d\",\"size\":$((size - step))$extra}" > "$TMP/sized.json"
		"$NDX" apply --dry-run -j "$TMP/sized.json" > "$TMP/sized" 2> "$TMP/err" || true
		# no data at all: the entry is refused as too small for its layout
		smaller=$(jq '.[0].layout.data.size // 0' "$TMP/sized")
		[ -s "$TMP/sized" ] || ! grep -q 'cannot hold this layout: no-data-page' "$TMP/err" || smaller=0
		check "data_size {$d}: size $((size - step)) holds less ($smaller)" test "$smaller" -lt "$want"
	done
fi
check "still no intent record" test -z "$(ls -A "$STATE")"
finish
