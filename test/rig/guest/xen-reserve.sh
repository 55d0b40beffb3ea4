#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen create-namespace --reserve on a real kernel (run inside the rig:
# test/rig/rig.sh --kernel 6.1|6.12 xen-reserve, then acceptance-reboot with --reuse-work).
#
# Provisions fsdax map=dev, fsdax map=mem and devdax namespaces with
# reservations by size and by per-page bytes, reconfigures one, uses the
# label-less namespace, and checks the refusals: too large, no room for
# data, mounted, existing data without -f, active without -f, and two
# kernel refusals (fault injection) that must leave the old state behind.
# Every namespace it keeps gets a pattern in its reserved area (through a
# raw view) and over its whole data device (or an ext4 filesystem mounted
# -o dax with files), and is reported with RIG-FACT for the host check
# (host/xen-reserve.sh) and the second boot (acceptance-reboot.sh).
set -euo pipefail
. /rig/common

XEN=ndctl-xen
N=0
mkdir -p /run

R=$RIG_LABEL_REGION
ns_count() { ndctl list -N -r "$R" | jq length; }

# provisioned NS JSON-FILE: the tool's JSON agrees with what the kernel made
provisioned() {
	local ns=$1 j=$2 size
	size=$(jq .raw_size "$j")
	kernel_result "$ns" "$size"
	[ "$K_RESULT" = adopted ] &&
		[ "$K_DATAOFF" = "$(jq .dataoff "$j")" ] &&
		[ "$K_DEVSIZE" = "$(jq .size "$j")" ] &&
		[ "$K_DEVSIZE" = $((size - K_DATAOFF)) ] &&
		[ "$K_MODE" = "$(jq -r .mode "$j")" ] && [ "$K_MAP" = "$(jq -r .map "$j")" ]
}

# keep NS JSON-FILE DATA: fill the reserve through a raw view, probe back,
# then fill the data device (DATA=pattern) or put ext4 with files on it
# (DATA=ext4); report the facts.
keep() {
	local ns=$1 j=$2 data=$3 tag bdev size rsv_off rsv_size dev sum=""
	N=$((N + 1)); tag=$(printf 'X%02d' $N)
	size=$(jq .raw_size "$j")
	rsv_off=$(jq '.reserve.offset // 0' "$j"); rsv_size=$(jq '.reserve.size // 0' "$j")
	bdev=$(raw_view "$ns")
	[ "$rsv_size" -gt 0 ] && rigfill write "/dev/$bdev" "$rsv_off" "$rsv_size" "R$tag"
	local blk_sha; blk_sha=$(head -c 8192 "/dev/$bdev" | sha256sum | cut -d' ' -f1)
	probe "$ns"
	expect "$ns: adopted again after the reserve was filled" provisioned "$ns" "$j"
	dev=$(data_dev "$ns")
	if [ "$data" = ext4 ]; then
		mkfs.ext4 -q -F -b 4096 "$dev"
		mkdir -p /mnt/$ns
		mount -t ext4 -o dax "$dev" /mnt/$ns
		dd if=/dev/urandom of=/mnt/$ns/file bs=1M count=32 status=none
		sync
		sum=$(md5sum < /mnt/$ns/file | cut -d' ' -f1)
		expect "$ns: ext4 mounted -o dax" grep -q "/mnt/$ns ext4 .*dax" /proc/mounts
		umount /mnt/$ns
	else
		rigfill write "$dev" 0 "$K_DEVSIZE" "D$tag"
	fi
	fact "$(printf '{"case":"%s","ns":"%s","dimm":"%s","resource":%s,"region_resource":%s,"size":%s,"uuid":"%s","mode":"%s","map":"%s","dataoff":%s,"devsize":%s,"reserve_offset":%s,"reserve_size":%s,"rsv_tag":"R%s","data_tag":"%s","file_md5":"%s","block_sha256":"%s"}' \
		"$tag" "$ns" "$(ns_dimm "$ns")" "$(ns_resource "$ns")" "$(region_resource "$(ns_region "$ns")")" \
		"$size" "$(ns_uuid "$ns")" "$K_MODE" "$K_MAP" "$K_DATAOFF" "$K_DEVSIZE" "$rsv_off" "$rsv_size" \
		"$tag" "$([ "$data" = ext4 ] && echo ext4 || echo "D$tag")" "$sum" "$blk_sha")"
}

# create OUT-JSON ARGS...: ndctl-xen create-namespace, its JSON to OUT-JSON
create() { local out=$1; shift; $XEN create-namespace "$@" > "$out"; }

echo "== provisioning"
create /tmp/c1 -r "$R" -s 256M -m fsdax -M dev --reserve=64M
expect "fsdax map=dev --reserve=64M" provisioned "$(jq -r .dev /tmp/c1)" /tmp/c1
expect "owner defaults to os with map=dev" test "$(jq -r .reserve.owner /tmp/c1)" = os
expect "reserve phys range = resource + offset" test "$(jq '.reserve.phys_start == .resource + .reserve.offset' /tmp/c1)" = true
keep "$(jq -r .dev /tmp/c1)" /tmp/c1 pattern

create /tmp/c2 -r "$R" -s 256M -m fsdax -M mem --reserve=2101248
expect "fsdax map=mem --reserve=2M+4K" provisioned "$(jq -r .dev /tmp/c2)" /tmp/c2
expect "owner defaults to hypervisor with map=mem" test "$(jq -r .reserve.owner /tmp/c2)" = hypervisor
keep "$(jq -r .dev /tmp/c2)" /tmp/c2 pattern

create /tmp/c3 -r "$R" -s 256M -m devdax --reserve-per-page=40
expect "devdax map=dev --reserve-per-page=40" provisioned "$(jq -r .dev /tmp/c3)" /tmp/c3
expect "per-page reserve covers every page" test "$(jq '.reserve.size >= 40 * .raw_size / 4096' /tmp/c3)" = true
keep "$(jq -r .dev /tmp/c3)" /tmp/c3 pattern

create /tmp/c4 -r "$R" -s 256M -m devdax -M mem --reserve=64M --reserve-owner=name:xen
expect "devdax map=mem --reserve=64M owner xen" provisioned "$(jq -r .dev /tmp/c4)" /tmp/c4
expect "named owner recorded" test "$(jq -r .reserve.owner /tmp/c4)" = xen
keep "$(jq -r .dev /tmp/c4)" /tmp/c4 pattern

echo "== reconfiguration"
create /tmp/c5a -r "$R" -s 256M -m fsdax -M mem --reserve-per-page=64
ns5=$(jq -r .dev /tmp/c5a)
create /tmp/c5 -e "$ns5" -f -m fsdax -M dev --reserve=16M
expect "reconfigured $ns5 from per-page/mem to 16M/dev" provisioned "$ns5" /tmp/c5
expect "reconfiguration changed dataoff" test "$(jq .dataoff /tmp/c5a)" != "$(jq .dataoff /tmp/c5)"
create /tmp/c5z -e "$ns5" -f -m fsdax -M dev --reserve=0
ndctl create-namespace -e "$ns5" -f -m fsdax -M dev > /tmp/c5n
kernel_result "$ns5" "$(jq .raw_size /tmp/c5z)"
expect "--reserve=0 gives exactly ndctl's dataoff" test "$(jq .dataoff /tmp/c5z)" = "$K_DATAOFF"
expect "--reserve=0 records no reservation" test "$(jq 'has("reserve")' /tmp/c5z)" = false
create /tmp/c5 -e "$ns5" -f -m fsdax -M dev --reserve=16M
keep "$ns5" /tmp/c5 pattern

echo "== label-less namespace"
plain=$(ndctl list -N -r "$RIG_PLAIN_REGION" | jq -r '.[0].dev')
create /tmp/c6 -e "$plain" -f -m fsdax -M dev --reserve=4M
expect "label-less $plain fsdax --reserve=4M" provisioned "$plain" /tmp/c6
expect "label-less namespace has no raw_uuid (parent uuid zero)" test "$(jq 'has("raw_uuid")' /tmp/c6)" = false
keep "$plain" /tmp/c6 pattern

echo "== ext4 -o dax above a reserve"
create /tmp/c7 -r "$R" -s 256M -m fsdax -M mem --reserve=32M
expect "fsdax map=mem --reserve=32M for ext4" provisioned "$(jq -r .dev /tmp/c7)" /tmp/c7
keep "$(jq -r .dev /tmp/c7)" /tmp/c7 ext4

echo "== --data-size: the data device the kernel shows holds the size asked"
# data_size_case WANT MODE MAP RESERVE-OPTION: created with --data-size=WANT;
# the kernel's device is at least WANT, the size chosen is the one said on
# stderr, and one region granule less would hold less (the layout of that
# size, computed by write-infoblock, not by this script)
data_size_case() {
	local want=$1 mode=$2 map=$3 rsv=$4 ns size granule smaller
	create /tmp/cd -r "$R" --data-size="$want" -m "$mode" -M "$map" "$rsv" 2>/tmp/cd.err
	ns=$(jq -r .dev /tmp/cd); size=$(jq .raw_size /tmp/cd)
	expect "--data-size=$want $mode map=$map $rsv: provisioned" provisioned "$ns" /tmp/cd
	expect "--data-size=$want: the kernel's device ($K_DEVSIZE) holds $want" \
		test "$K_DEVSIZE" -ge "$want"
	expect "--data-size=$want: says the size chosen ($size)" \
		grep -q "namespace size .*($(printf '%#x' "$size")) in $R" /tmp/cd.err
	granule=$(( $(cat $NDBUS/$R/align) > 2097152 ? $(cat $NDBUS/$R/align) : 2097152 ))
	smaller=0
	if $XEN write-infoblock --stdout -s $((size - granule)) -m "$mode" -M "$map" "$rsv" \
			> /tmp/cd.blk 2>/dev/null; then
		smaller=$($XEN read-infoblock -i /tmp/cd.blk -s $((size - granule)) -j | jq '.[0].layout.data_size')
	fi
	expect "--data-size=$want: one granule ($granule) less holds less ($smaller)" \
		test "$smaller" -lt "$want"
	ndctl destroy-namespace -f "$ns" > /dev/null
}
data_size_case 41943040 fsdax mem --reserve=8M
data_size_case 104857600 devdax dev --reserve-per-page=40

echo "== create-namespace's JSON: ndctl's, then ndctl-xen's keys"
# paths FILE: every key path of a JSON object, array indices as numbers
paths() { jq -c '[paths(scalars) | map(tostring) | join(".")] | sort' "$1"; }
# ndctl_parity MODE: what ndctl create-namespace prints for a namespace of
# MODE, key for key (as paths), is in ndctl-xen create-namespace --reserve's
# JSON, and each of those keys holds what ndctl list -N -X (ndctl's own
# printer, ndctl's create flags) says of the namespace ndctl-xen made
ndctl_parity() {
	local mode=$1 ns missing differ
	ndctl create-namespace -r "$R" -s 64M -m "$mode" > /tmp/pn
	ndctl destroy-namespace -f "$(jq -r .dev /tmp/pn)" > /dev/null
	create /tmp/px -r "$R" -s 64M -m "$mode" --reserve=4M
	ns=$(jq -r .dev /tmp/px)
	ndctl list -N -X -n "$ns" | jq '.[0]' > /tmp/pl
	missing=$(jq -n --argjson a "$(paths /tmp/pn)" --argjson b "$(paths /tmp/px)" '$a - $b | join(" ")')
	expect "$mode: ndctl create-namespace's keys all in ndctl-xen's ($(paths /tmp/pn | jq length) keys; missing: $missing)" \
		test "$missing" = '""'
	differ=$(jq -n --slurpfile l /tmp/pl --slurpfile x /tmp/px \
		'[$l[0] | paths(scalars) as $p | select(($l[0] | getpath($p)) != ($x[0] | getpath($p))) | $p | map(tostring) | join(".")] | join(" ")')
	expect "$mode: ndctl-xen's values for ndctl's keys are ndctl list -X's (differ: $differ)" \
		test "$differ" = '""' -a "$(jq length /tmp/pl)" -gt 4
	if [ "$mode" = devdax ]; then
		expect "devdax: the character device where ndctl puts it" \
			test -c "/dev/$(jq -r '.daxregion.devices[0].chardev' /tmp/px)"
	else
		expect "fsdax: sector_size as ndctl prints it" test "$(jq .sector_size /tmp/px)" = "$(jq .sector_size /tmp/pn)"
	fi
	ndctl destroy-namespace -f "$ns" > /dev/null
}
ndctl_parity fsdax
ndctl_parity devdax

echo "== refusals"
before=$(ns_count)
expect "too large: refused" sh -c "! $XEN create-namespace -r $R -s 128M --reserve=1G 2>/tmp/e"
expect "too large: names the rule" grep -q no-data-page /tmp/e
max=$($XEN write-infoblock --stdout -s 128M -M mem --reserve=4K | $XEN read-infoblock -i - -j | jq ".[0].layout.max_reserve")
expect "no room for data (max + 1): refused" sh -c "! $XEN create-namespace -r $R -s 128M -M mem --reserve=$((max + 1)) 2>/tmp/e"
expect "no room for data: names the rule" grep -q no-data-page /tmp/e
expect "refusals leave no namespace behind" test "$(ns_count)" = "$before"
create /tmp/c8 -r "$R" -s 128M -m fsdax -M mem --reserve=$max
expect "the largest reserve leaves one aligned data page" test "$(jq .size /tmp/c8)" = 2097152
ns8=$(jq -r .dev /tmp/c8)
ndctl destroy-namespace -f "$ns8" > /dev/null

ns1=$(jq -r .dev /tmp/c1)
expect "active namespace without -f: refused" sh -c "! $XEN create-namespace -e $ns1 --reserve=4M 2>/tmp/e"
expect "active: says so" grep -q "is active; use --force" /tmp/e

ns7=$(jq -r .dev /tmp/c7)
kernel_result "$ns7" "$(jq .raw_size /tmp/c7)"; dev7=$(data_dev "$ns7")
mount -t ext4 -o dax "$dev7" /mnt/$ns7
expect "mounted namespace, even with -f: refused" sh -c "! $XEN create-namespace -e $ns7 -f --reserve=4M 2>/tmp/e"
expect "mounted: says in use" grep -q "in use" /tmp/e
umount /mnt/$ns7
expect "mounted: layout untouched" provisioned "$ns7" /tmp/c7

ndctl create-namespace -r "$R" -s 64M -m raw > /tmp/r4
ns4=$(jq -r .dev /tmp/r4)
mkfs.ext4 -q -F "/dev/$(jq -r .blockdev /tmp/r4)"
sum4=$(head -c 1048576 "/dev/$(jq -r .blockdev /tmp/r4)" | md5sum)
ndctl disable-namespace "$ns4" > /dev/null
expect "existing ext4 without -f: refused" sh -c "! $XEN create-namespace -e $ns4 --reserve=4M 2>/tmp/e"
expect "existing ext4: names the signature" grep -q "ext4 signature; use --force" /tmp/e
ndctl enable-namespace "$ns4" > /dev/null
expect "existing ext4: first MiB unchanged" test "$(head -c 1048576 "/dev/$(jq -r .blockdev /tmp/r4)" | md5sum)" = "$sum4"
ndctl destroy-namespace -f "$ns4" > /dev/null

echo "== kernel refusals restore the old state (NDCTL_XEN_FAULT)"
ndctl create-namespace -r "$R" -s 64M -m raw > /tmp/r6
ns6=$(jq -r .dev /tmp/r6); b6=/dev/$(jq -r .blockdev /tmp/r6)
rigfill write "$b6" 0 $((64 << 20)) F06
expect "wrong parent uuid: refused" sh -c "! NDCTL_XEN_FAULT=parent-uuid $XEN create-namespace -e $ns6 -f --reserve=4M 2>/tmp/e"
expect "wrong parent uuid: not adopted, restored" grep -q "did not bring up a pfn device.*restored to its previous state" /tmp/e
kernel_result "$ns6" $((64 << 20))
expect "wrong parent uuid: namespace raw again" test "$K_RESULT" = ignored
expect "wrong parent uuid: every byte as before" rigfill check "$b6" 0 $((64 << 20)) F06
ndctl destroy-namespace -f "$ns6" > /dev/null

expect "bad dataoff: refused" sh -c "! NDCTL_XEN_FAULT=dataoff $XEN create-namespace -e $ns1 -f --reserve=8M 2>/tmp/e"
cat /tmp/e
expect "bad dataoff: the kernel's reason is reported" grep -q "bad offset" /tmp/e
expect "bad dataoff: restored" grep -q "restored to its previous state" /tmp/e
expect "bad dataoff: old layout back" provisioned "$ns1" /tmp/c1
expect "bad dataoff: data intact" rigfill check "$(data_dev "$ns1")" 0 "$K_DEVSIZE" DX01

# A new namespace: its intent record is written while the command looks
# for a region, its store copy while the kernel probes.  Refused before a
# label, or refused by the kernel (deleted again), it leaves neither.
state() { ls -A "$RIG_STATE_DIR" "$RIG_STATE_DIR/blocks" 2>/dev/null | sort; }
count_ns() { ndctl list -N -r "$R" | jq -s 'flatten | length'; }
state > /tmp/st-before; n_before=$(count_ns)
expect "new namespace, no room: refused" sh -c "! $XEN create-namespace -r $R -s 1T --reserve=4M 2>/tmp/e"
cat /tmp/e
state > /tmp/st-after
expect "new namespace, no room: no intent record left" cmp -s /tmp/st-before /tmp/st-after
expect "new namespace, bad dataoff: refused" sh -c "! NDCTL_XEN_FAULT=dataoff $XEN create-namespace -r $R -s 64M --reserve=4M 2>/tmp/e"
cat /tmp/e
expect "new namespace, bad dataoff: the kernel's reason" grep -q "bad offset" /tmp/e
expect "new namespace, bad dataoff: deleted again" test "$(count_ns)" = "$n_before"
state > /tmp/st-after
expect "new namespace, bad dataoff: no store copy or intent record left" cmp -s /tmp/st-before /tmp/st-after
diff /tmp/st-before /tmp/st-after || true

echo "== previews and the infoblock commands on live namespaces"
# --dry-run reads sysfs only: no namespace, label or byte changes (the
# host checks every kept namespace's block, reserve and data afterwards)
ndctl list -N -r "$R" > /tmp/pv-before
$XEN create-namespace -r "$R" -s 64M -M mem --reserve=4M --dry-run > /tmp/pv1 2>/tmp/e
expect "create --dry-run on a live region: previewed" grep -q '^areas: |' /tmp/pv1
expect "create --dry-run: says nothing written" grep -q 'dry run: nothing written' /tmp/e
expect "create --dry-run: Xen's check shown" grep -q '^xen: check_mgmt_size' /tmp/pv1
$XEN create-namespace -r "$R" -s 64M -M mem --reserve=4M --dry-run -j > /tmp/pv1j 2>/dev/null
expect "create --dry-run -j: the planned layout as JSON" \
	test "$(jq '.[0] | .layout.size == 67108864 and .reserve.size == 4194304 and (.areas | length) > 2' /tmp/pv1j)" = true
$XEN create-namespace -e "$ns1" -f -M mem --reserve=8M --dry-run > /tmp/pv2 2>/dev/null
expect "create -e --dry-run on an active namespace: previewed" grep -q "^dev: $ns1\$" /tmp/pv2
ndctl list -N -r "$R" > /tmp/pv-after
expect "create --dry-run: the region's namespaces as they were" cmp -s /tmp/pv-before /tmp/pv-after
expect "create --dry-run: $ns1 keeps its layout" provisioned "$ns1" /tmp/c1

# an active namespace: ndctl refuses both commands, and so do we (exit 1)
expect "ndctl read-infoblock refuses active $ns1" sh -c "! ndctl read-infoblock $ns1 -j > /tmp/nd-act 2>&1"
expect "ndctl write-infoblock refuses active $ns1" sh -c "! ndctl write-infoblock $ns1 > /dev/null 2>&1"
rc=0; $XEN read-infoblock "$ns1" -j > /dev/null 2>/tmp/e || rc=$?
expect "read-infoblock NAMESPACE: active refused (exit 1)" test "$rc" = 1
expect "read-infoblock: says active" grep -q "$ns1 is active" /tmp/e
rc=0; $XEN write-infoblock "$ns1" --reserve=4M -f 2>/tmp/e || rc=$?
expect "write-infoblock NAMESPACE: active refused (exit 1)" test "$rc" = 1
expect "active refusals: $ns1 keeps its layout" provisioned "$ns1" /tmp/c1

# a disabled namespace: previewed, written (adopted), read back
ndctl create-namespace -r "$R" -s 64M -m raw > /tmp/r10
ns10=$(jq -r .dev /tmp/r10)
ndctl disable-namespace "$ns10" > /dev/null
$XEN write-infoblock "$ns10" -M mem --reserve=4M --dry-run > /tmp/pv10 2>/dev/null
expect "write-infoblock NAMESPACE --dry-run leaves it disabled" test "$(ndctl list -N -n "$ns10" -i | jq -r '.[0].state // "enabled"')" = disabled
$XEN write-infoblock "$ns10" -M mem --reserve=4M
kernel_result "$ns10" $((64 << 20))
expect "write-infoblock NAMESPACE: the kernel adopted it" test "$K_RESULT" = adopted
ndctl disable-namespace "$ns10" > /dev/null
$XEN read-infoblock "$ns10" --xen > /tmp/rd10
expect "read-infoblock NAMESPACE: the dataoff the kernel used" grep -q "^dataoff: $K_DATAOFF\$" /tmp/rd10
expect "the preview showed what was written (but the new uuid and checksum)" \
	bash -c "diff <(grep -v -e ^uuid: -e ^checksum: /tmp/pv10) <(grep -v -e ^uuid: -e ^checksum: /tmp/rd10)"
expect "read-infoblock NAMESPACE leaves it disabled" test "$(ndctl list -N -n "$ns10" -i | jq -r '.[0].state // "enabled"')" = disabled
ndctl read-infoblock "$ns10" -j > /tmp/nd10.json 2>/dev/null
$XEN read-infoblock "$ns10" -j > /tmp/x10.json
expect "read-infoblock NAMESPACE -j: ndctl's keys, types and values" test \
	"$(jq -cS '.[0]' /tmp/nd10.json)" = "$(jq -cS --argjson nd "$(jq -cS '.[0]' /tmp/nd10.json)" '.[0] | with_entries(select(.key as $k | $nd | has($k)))' /tmp/x10.json)"
ndctl read-infoblock "$ns10" -o /tmp/nd10.raw 2>/dev/null
$XEN read-infoblock "$ns10" -o /tmp/x10.raw
expect "read-infoblock NAMESPACE -o: ndctl's raw 8 KiB" cmp -s /tmp/nd10.raw /tmp/x10.raw
ndctl destroy-namespace -f "$ns10" > /dev/null

echo "== one provisioning at a time"
lock=/run/ndctl-xen.lock
# the holder keeps the lock until this test lets it go (no fixed sleep):
# it says so once it holds the lock, then blocks reading a FIFO
rm -f /tmp/lock-release /tmp/lock-held
mkfifo /tmp/lock-release
flock "$lock" sh -c 'echo held > /tmp/lock-held; read x < /tmp/lock-release' &
holder=$!
for _ in $(seq 200); do [ -s /tmp/lock-held ] && break; sleep 0.05; done
[ -s /tmp/lock-held ] || { echo "RIG-ERR: the lock holder never took $lock"; exit 1; }
create /tmp/c9 -r "$R" -s 64M -m fsdax --reserve=4M -v 2>/tmp/e &
creator=$!
# release the lock only once the second ndctl-xen says it is waiting for it
for _ in $(seq 600); do grep -q "waiting for another" /tmp/e 2>/dev/null && break; sleep 0.05; done
echo go > /tmp/lock-release
wait $holder
wait $creator
expect "second ndctl-xen waited for the lock" grep -q "waiting for another ndctl-xen" /tmp/e
expect "and then provisioned" provisioned "$(jq -r .dev /tmp/c9)" /tmp/c9
ndctl destroy-namespace -f "$(jq -r .dev /tmp/c9)" > /dev/null

echo "xen-reserve: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
