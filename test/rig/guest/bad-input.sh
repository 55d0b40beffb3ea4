#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bad-input matrix on a real kernel: command-line values against real
# namespaces, and namespaces in states ndctl-xen must refuse to touch
# (active, mounted, held open, BTT, foreign or damaged info block, an info
# block with a wrong parent uuid, an existing filesystem, a region without
# labels), and an ordinary user.  Every case must exit non-zero with one
# line of error that names the problem, and leave the device's bytes as
# they were: the host hashes the backing files' used span and the label
# area (see rig.sh's ctl channel) before and after each case.
# Prints the matrix between RIG-TABLE and RIG-MATRIX lines.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
R=$RIG_LABEL_REGION P=$RIG_PLAIN_REGION
mkdir -p /run /mnt/ro

# ---- namespaces in unexpected states (map=mem: enabling a map=dev
# namespace rewrites its memmap on the device, which is not our doing)
mk() { $XEN create-namespace -r "$R" -s 32M "$@" | jq -r .dev; }
ACT=$(mk -m fsdax -M mem --reserve=4M)
MNT=$(mk -m fsdax -M mem --reserve=4M)
kernel_result "$MNT" $((32 << 20))
MNTDEV=$(data_dev "$MNT")
mkfs.ext4 -q -F -b 4096 "$MNTDEV"
mount -t ext4 -o ro,dax "$MNTDEV" /mnt/ro
HELD=$(mk -m devdax -M mem --reserve=2M)
kernel_result "$HELD" $((32 << 20))
sh -c 'exec 8< "$1"; exec sleep 100000' holder "$(data_dev "$HELD")" &
HOLDER=$!
# wait (with a deadline) until the holder really has the device open
for _ in $(seq 200); do [ -e /proc/$HOLDER/fd/8 ] && [ "$(readlink /proc/$HOLDER/fd/8)" = "$(data_dev "$HELD")" ] && break; sleep 0.05; done
[ "$(readlink /proc/$HOLDER/fd/8)" = "$(data_dev "$HELD")" ] || { echo "RIG-ERR: the holder never opened $(data_dev "$HELD")"; exit 1; }
BTT=$(ndctl create-namespace -r "$R" -s 32M -m sector | jq -r .dev)
BTTOFF=$(ndctl create-namespace -r "$R" -s 32M -m sector | jq -r .dev)
ndctl disable-namespace "$BTTOFF" > /dev/null
raw_ns() { ndctl create-namespace -r "$R" -s 32M -m raw | jq -r .dev; }
# an info block the kernel ignores: another namespace's parent uuid
WRONGP=$(raw_ns)
$XEN write-infoblock -o "/dev/$(ns_blockdev "$WRONGP")" -s 32M -M mem --reserve=4M \
	-p "$(cat /proc/sys/kernel/random/uuid)" > /dev/null
probe "$WRONGP"
kernel_result "$WRONGP" $((32 << 20))
[ "$K_RESULT" = ignored ] || { echo "RIG-ERR: $WRONGP: the kernel did not ignore a wrong parent uuid ($K_RESULT)"; exit 1; }
# a damaged info block (bad checksum) with this namespace's parent uuid
DAMAGED=$(raw_ns)
$XEN write-infoblock --stdout -s 32M -M mem --reserve=4M -p "$(ns_uuid "$DAMAGED")" |
	forge-infoblock checksum=0x1234 | dd of="/dev/$(ns_blockdev "$DAMAGED")" bs=8192 oflag=direct status=none
probe "$DAMAGED"
EXT4=$(raw_ns)
mkfs.ext4 -q -F -b 4096 "/dev/$(ns_blockdev "$EXT4")"
# an enabled raw namespace: write-infoblock's size check against a device
BLK=$(raw_ns)
# disabled, so that the content check (not the active check) answers
for ns in "$WRONGP" "$DAMAGED" "$EXT4"; do ndctl disable-namespace "$ns" > /dev/null; done
PLAIN=$(ndctl list -N -r "$P" | jq -r '.[0].dev')
$XEN create-namespace -e "$PLAIN" -f -M mem --reserve=4M > /dev/null
echo "states: active $ACT, mounted $MNT, held $HELD, btt $BTT, btt-disabled $BTTOFF," \
	"wrong-parent $WRONGP, damaged $DAMAGED, ext4 $EXT4, label-less $PLAIN, raw $BLK"

# ---- the device's bytes: used span of the label-backed file, its label
# area, and the whole label-less file
span=0
for ns in $(ndctl list -N -r "$R" | jq -r '.[].dev'); do
	end=$(( $(ns_resource "$ns") - $(region_resource "$R") + $(ns_size "$ns") ))
	[ $end -le $span ] || span=$end
done
LABEL_FILE_SIZE=$(((2 << 30) + (2 << 20)))
# (CRC-32s, taken by the host: hundreds of MiB twice a case.)  Nothing
# runs between two cases, so a case's "before" is the last one's "after".
device_sum() {
	echo "$(host_crc label 0 "$span") $(host_crc label $((LABEL_FILE_SIZE - (128 << 10))) $((128 << 10)))" \
		"$(host_crc plain 0 $((128 << 20)))"
}
LAST_SUM=
# sums_before, then the case, then sums_after: sets bytes to unchanged or
# CHANGED
sums_before() { [ -n "$LAST_SUM" ] || LAST_SUM=$(device_sum); BEFORE=$LAST_SUM; }
sums_after() {
	LAST_SUM=$(device_sum)
	[ "$BEFORE" = "$LAST_SUM" ] && bytes=unchanged || bytes=CHANGED
}

N=0
echo "RIG-TABLE bad-input"
printf '%-3s %-58s %-4s %-9s %s\n' "#" INPUT EXIT BYTES ERROR
# case NAME CODE PATTERN CMD...: exits CODE, one line of stderr matching
# PATTERN, the device's bytes unchanged
case_() {
	local name=$1 code=$2 pattern=$3 rc=0 bytes lines
	shift 3
	N=$((N + 1))
	sums_before
	"$@" > /tmp/out 2> /tmp/err || rc=$?
	sums_after
	lines=$(wc -l < /tmp/err)
	printf '%-3s %-58s %-4s %-9s %s\n' "$N" "$name" "$rc" "$bytes" "$(head -n1 /tmp/err)"
	if [ "$rc" = "$code" ] && [ "$lines" = 1 ] && grep -Eq -- "$pattern" /tmp/err &&
			[ $bytes = unchanged ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		echo "FAIL: case $N ($name): exit $rc (want $code), $lines error lines" \
			"(want 1 matching /$pattern/), bytes $bytes"
	fi
}
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
cn() { $XEN create-namespace "$@"; }

# namespaces in unexpected states
case_ "active namespace, no --force" 1 "is active; use --force" cn -e "$ACT" -M mem --reserve=8M
case_ "mounted (ext4 -o dax), even with --force" 1 "in use: .* mounted" cn -e "$MNT" -f -M mem --reserve=8M
case_ "devdax held open by a process, even with --force" 1 "in use: a process has /dev/dax" cn -e "$HELD" -f -m devdax -M mem --reserve=4M
case_ "BTT (sector mode), active, no --force" 1 "is active; use --force" cn -e "$BTT" -M mem --reserve=4M
case_ "BTT (sector mode), disabled, no --force" 1 "holds a BTT" cn -e "$BTTOFF" -M mem --reserve=4M
case_ "info block with a wrong parent uuid, no --force" 1 "holds a valid fsdax info block; use --force" cn -e "$WRONGP" -M mem --reserve=4M
case_ "damaged info block (bad checksum), no --force" 1 "holds a damaged info block" cn -e "$DAMAGED" -M mem --reserve=4M
case_ "existing ext4 on a raw namespace, no --force" 1 "holds a ext4 signature" cn -e "$EXT4" -M mem --reserve=4M
case_ "region without labels: new namespace" 1 "no label-backed pmem region|no idle namespace" cn -r "$P" -s 16M -M mem --reserve=4M
case_ "label-less namespace, active, no --force" 1 "is active; use --force" cn -e "$PLAIN" -M mem --reserve=8M
case_ "no such namespace" 1 "no namespace namespace9.9" cn -e namespace9.9 -f -M mem --reserve=4M
case_ "no such region" 1 "no namespace created|no label-backed" cn -r region99 -s 32M -M mem --reserve=4M
# layouts the namespace cannot hold
case_ "--reserve larger than the namespace" 1 "no-data-page|reserve" cn -e "$ACT" -f -M mem --reserve=64M
case_ "--reserve leaves no data page" 1 "no-data-page" cn -e "$ACT" -f -M mem --reserve=31M
case_ "--reserve-per-page too large" 1 "no-data-page|reserve" cn -e "$ACT" -f -M mem --reserve-per-page=4096
case_ "new namespace --size larger than the region" 1 "available" cn -r "$R" -s 64G -M mem --reserve=4M
case_ "new namespace --size not a multiple of 16M" 1 "must be a multiple" cn -r "$R" -s 24M -M mem --reserve=4M
case_ "new namespace too small for its reserve" 1 "no-data-page|reserve" cn -r "$R" -s 16M -M mem --reserve=16M
# command-line values
case_ "--reserve=garbage" 129 "garbage" cn -e "$ACT" -f --reserve=garbage
case_ "--reserve=-1" 129 "-1" cn -e "$ACT" -f --reserve=-1
case_ "--reserve=16E (overflows)" 129 "16E" cn -e "$ACT" -f --reserve=16E
case_ "--reserve=4M and --reserve-per-page=8" 129 "reserve" cn -e "$ACT" -f --reserve=4M --reserve-per-page=8
case_ "--reserve-per-page=x" 129 "x" cn -e "$ACT" -f --reserve-per-page=x
case_ "--align=3K" 1 "align-supported: align 0xc00" cn -e "$ACT" -f -a 3K --reserve=4M
case_ "--align=4M (not 4K, 2M or 1G)" 1 "align-supported: align 0x400000" cn -e "$ACT" -f -a 4M --reserve=4M
case_ "--mode=sector" 129 "sector" cn -e "$ACT" -f -m sector --reserve=4M
case_ "--mode=raw" 129 "raw" cn -e "$ACT" -f -m raw --reserve=4M
case_ "--map=foo" 129 "foo" cn -e "$ACT" -f -M foo --reserve=4M
case_ "--reserve-owner longer than 16 bytes" 1 "reserve-owner: .*1 to 16" cn -e "$ACT" -f --reserve=4M --reserve-owner=name:a-very-long-owner-name
case_ "--page-struct-size=65536" 1 "page-struct-size: page_struct_size 65536 must be between 64 and 65535" cn -e "$ACT" -f --reserve=4M --page-struct-size=65536
case_ "--page-struct-size=lots" 129 "lots" cn -e "$ACT" -f --reserve=4M --page-struct-size=lots
case_ "--uuid=not-a-uuid" 129 "not-a-uuid" cn -r "$R" -s 32M -u not-a-uuid -M mem --reserve=4M
case_ "--name of 64 bytes" 129 "at most 63" cn -r "$R" -s 32M -n "$(printf 'n%.0s' $(seq 64))" -M mem --reserve=4M
case_ "--name=ndctl-xen:pending (reserved, even for ndctl)" 129 "unfinished" cn -r "$R" -s 32M -n ndctl-xen:pending
case_ "--size=12Q" 129 "12Q" cn -r "$R" -s 12Q -M mem --reserve=4M
case_ "--sector-size=77" 1 "sector-size=77: .*does not support" cn -r "$R" -s 32M -l 77 -M mem --reserve=4M
case_ "--sector-size=lots" 129 "lots" cn -r "$R" -s 32M -l lots -M mem --reserve=4M
case_ "--type=blk with a reservation" 129 "type=blk: a reserved area needs" cn -r "$R" -s 32M -t blk --reserve=4M
case_ "--no-autorecover with a reservation" 129 "no-autorecover" cn -r "$R" -s 32M --no-autorecover --reserve=4M
case_ "-e with --size, no --force (ndctl would re-create it)" 1 "re-create the namespace.*use --force" cn -e "$ACT" -s 64M -M mem --reserve=4M
case_ "--reserve without a value" 129 "option '--reserve' needs a value" cn -e "$ACT" -f --reserve
case_ "unknown option" 129 "unknown option|--frobnicate" cn --frobnicate
case_ "stray argument" 129 "unexpected argument 'extra'" cn -e "$ACT" extra
case_ "-e without a value" 129 "option '-e' needs a value" cn -e
case_ "recover: unknown option" 2 "unknown option" $XEN recover --frobnicate
case_ "recover: two namespaces" 2 "unexpected argument" $XEN recover "$ACT" "$MNT"
case_ "list: unknown option" 129 "unknown option" $XEN list --frobnicate
# requests that are ndctl's (no reservation, sector or raw mode, not a
# command of ndctl-xen): ndctl's answer exactly, and still a clear error
# and no write
like_ndctl() {
	local name=$1 rc1=0 rc2=0 bytes
	shift
	N=$((N + 1))
	sums_before
	ndctl "$@" > /tmp/out1 2> /tmp/err1 || rc1=$?
	$XEN "$@" > /tmp/out2 2> /tmp/err2 || rc2=$?
	sums_after
	printf '%-3s %-58s %-4s %-9s %s\n' "$N" "$name (as ndctl)" "$rc2" "$bytes" "$(head -n1 /tmp/err2)"
	if [ "$rc1" = "$rc2" ] && [ "$rc2" != 0 ] && [ -s /tmp/err2 ] && cmp -s /tmp/err1 /tmp/err2 &&
			cmp -s /tmp/out1 /tmp/out2 && [ $bytes = unchanged ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		echo "FAIL: case $N ($name): ndctl exit $rc1, ndctl-xen exit $rc2, stderr" \
			"$(cmp -s /tmp/err1 /tmp/err2 && echo same || echo differs), bytes $bytes"
	fi
}
T_NDCTL=$SECONDS
like_ndctl "no such namespace" create-namespace -e namespace9.9 -f
like_ndctl "no such region" create-namespace -r region99 -s 32M
like_ndctl "--uuid=not-a-uuid" create-namespace -r "$R" -s 32M -u not-a-uuid
like_ndctl "--size=12Q" create-namespace -r "$R" -s 12Q
like_ndctl "--size not a multiple of the alignment" create-namespace -r "$R" -s 24M -m fsdax
like_ndctl "-e an active namespace with --size, no --force" create-namespace -e "$ACT" -s 64M
like_ndctl "--mode=sector with --sector-size=77" create-namespace -r "$R" -s 32M -m sector -l 77
like_ndctl "not a command of either" frobnicate
like_ndctl "destroy-namespace of no such namespace" destroy-namespace -f namespace9.9
T_NDCTL=$((SECONDS - T_NDCTL))
# write-infoblock against real devices
case_ "write-infoblock: -s larger than the block device" 1 "larger than the block device" \
	$XEN write-infoblock -o "/dev/$(ns_blockdev "$BLK")" -s 64M -M mem --reserve=4M
case_ "write-infoblock: a mounted device, even with --force" 1 "in use \(mounted" \
	$XEN write-infoblock -o "$MNTDEV" -f -M mem --reserve=4M
# an ordinary user
case_ "ordinary user: reconfigure" 1 "[Pp]ermission denied|root" as_user $XEN create-namespace -e "$ACT" -f -M mem --reserve=8M
case_ "ordinary user: new namespace" 1 "[Pp]ermission denied|root" as_user $XEN create-namespace -r "$R" -s 32M -M mem --reserve=4M
case_ "ordinary user: recover" 1 "[Pp]ermission denied|root" as_user $XEN recover "$WRONGP"
echo "RIG-MATRIX: bad-input: $N cases, $PASSED as expected, $FAILED not"

T_NDCTL2=$SECONDS
# ---- create-namespace requests that are ndctl's give ndctl's namespace
# (the same JSON but for the new names and uuids); -e with --size and
# --name and a reservation has ndctl re-create it, keeping what is not given
norm() { jq -cS 'del(.dev, .uuid, .blockdev, .chardev)'; }
for args in "-m fsdax -M mem" "-m sector -l 4096" "-m raw"; do
	# shellcheck disable=SC2086
	j1=$(ndctl create-namespace -r "$R" -s 32M $args)
	# shellcheck disable=SC2086
	j2=$($XEN create-namespace -r "$R" -s 32M $args)
	echo "ndctl: $(jq -c . <<< "$j1") ndctl-xen: $(jq -c . <<< "$j2")"
	expect "create-namespace $args without a reservation: ndctl's answer" \
		test "$(norm <<< "$j1")" = "$(norm <<< "$j2")" -a "$(jq -r .dev <<< "$j2")" != null
	ndctl destroy-namespace -f "$(jq -r .dev <<< "$j1")" > /dev/null 2>&1
	ndctl destroy-namespace -f "$(jq -r .dev <<< "$j2")" > /dev/null 2>&1
done
MERGE=$(raw_ns)
MERGE=$(ndctl create-namespace -e "$MERGE" -f -m raw -n before-merge | jq -r .dev)
j=$($XEN create-namespace -e "$MERGE" -f -s 64M -M mem --reserve=4M) || j='{}'
echo "merge: $(jq -c . <<< "$j")"
expect "-e with --size and a reservation: the size asked, the name kept, the reserve" \
	test "$(jq -r '[.raw_size, .name, .reserve.size, .mode] | @tsv' <<< "$j")" = \
		"$((64 << 20))	before-merge	$((4 << 20))	fsdax"
echo "time: ndctl's requests: $T_NDCTL s in the matrix, $((SECONDS - T_NDCTL2)) s for the creations and the merge"

# ---- recover acts only on this host's intent records, never on the media
# or a label name alone (issue 14).  A raw namespace whose first MiB a
# guest wrote: a valid journal (a real one, left by two reconfigurations:
# the first block, tagged with the second block's uuid) in bytes 0..4095,
# that second block torn at 4096, user data after.
GUEST=$(raw_ns)
$XEN create-namespace -e "$GUEST" -f -M mem --reserve=4M > /dev/null
$XEN create-namespace -e "$GUEST" -f -M mem --reserve=8M > /dev/null
gdev=$(raw_view "$GUEST")
head -c 2048 /dev/urandom | dd of="/dev/$gdev" bs=2048 seek=3 conv=notrunc oflag=direct status=none
head -c $((1016 << 10)) /dev/urandom | dd of="/dev/$gdev" bs=8192 seek=1 conv=notrunc oflag=direct status=none
probe "$GUEST"
kernel_result "$GUEST" $((32 << 20))
goff=$(( $(ns_resource "$GUEST") - $(region_resource "$R") ))
# a namespace plain ndctl named like an unfinished one
PEND=$(ndctl create-namespace -r "$R" -s 32M -m raw -n ndctl-xen:pending | jq -r .dev)
puuid=$(ns_uuid "$PEND")
poff=$(( $(ns_resource "$PEND") - $(region_resource "$R") ))
head -c $((1 << 20)) /dev/urandom | dd of="/dev/$(ns_blockdev "$PEND")" bs=1M oflag=direct status=none
gsum=$(host_sum label "$goff" $((1 << 20))) psum=$(host_sum label "$poff" $((1 << 20)))
echo "crafted: journal + torn block on $GUEST (the kernel: $K_RESULT), ndctl-named pending $PEND"
expect "crafted journal: the kernel leaves $GUEST raw before recover" test "$K_RESULT" = ignored -o "$K_RESULT" = refused
rc=0; $XEN recover all > /tmp/rec.json 2> /tmp/rec.err || rc=$?
echo "recover all: exit $rc, $(tr -d ' \n' < /tmp/rec.json) $(head -n1 /tmp/rec.err)"
expect "recover all on crafted media: exit 0" test "$rc" = 0
expect "recover all: no action on $GUEST or $PEND" sh -c "! grep -Eq '\"($GUEST|$PEND)\"' /tmp/rec.json"
expect "crafted journal: first MiB of $GUEST unchanged" test "$(host_sum label "$goff" $((1 << 20)))" = "$gsum"
expect "crafted journal: $GUEST still raw (no pfn/dax device)" test -z "$(ns_holder "$GUEST")"
expect "ndctl's ndctl-xen:pending namespace $PEND left alone" \
	test "$(ns_uuid "$PEND")" = "$puuid" -a "$(ndctl list -n "$PEND" | jq -r '.[0].name')" = ndctl-xen:pending
expect "ndctl's ndctl-xen:pending: first MiB unchanged" test "$(host_sum label "$poff" $((1 << 20)))" = "$psum"
echo "RIG-MATRIX: recover on media this host did not write: $PASSED passed, $FAILED failed in all"

kill "$HOLDER" 2>/dev/null || true
umount /mnt/ro
[ "$FAILED" = 0 ]
