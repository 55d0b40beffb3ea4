#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The block store on a real kernel (issue 23 item 11): a block read from
# one namespace never answers for another, and apply --dry-run writes
# nothing on the host.  CI runs it inside the apply step's first boot
# (guest/apply.sh sources this file and calls store_keying); alone:
#   test/rig/rig.sh --kernel 6.1|6.12 store-keying
# A: made by ndctl-xen (fsdax, map=mem, 2 MiB for the hypervisor), its
# block in the store.  B: a raw namespace of the same size, as a guest
# would be given it, on which that guest writes a valid block carrying A's
# block uuid, A's namespace uuid as parent and A's geometry, with the
# reservation another owner's.  The host then reads B (ndctl-xen list,
# as apply and recover do): A's answer must still be its own block.
# Then B gets a valid block of its own that the store has not seen, and a
# dry run of apply must leave the state directory byte for byte as it was.

store_keying() {
	local r=$RIG_LABEL_REGION a b a_pfn a_uuid b_uuid b_blk b_res want got state rc t0
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "== the block store: a block from one namespace never answers for another"
	a=$(ndctl-xen create-namespace -r "$r" -s 16M -m fsdax -M mem --reserve=2M \
		--reserve-owner=hypervisor | jq -r .dev)
	b=$(ndctl create-namespace -r "$r" -s 16M -m raw | jq -r .dev)
	a_pfn=$(< "/sys/bus/nd/devices/$(< "/sys/bus/nd/devices/$a/holder")/uuid")
	a_uuid=$(< "/sys/bus/nd/devices/$a/uuid")
	b_uuid=$(< "/sys/bus/nd/devices/$b/uuid")
	b_blk=$(ndctl list -n "$b" | jq -r '.[0].blockdev')
	b_res=$(($(< "/sys/bus/nd/devices/$b/resource")))
	answer() { ndctl-xen list -n "$1" | jq -c '.[0].layout | [.source, .reserve.owner, .reserve.size]'; }
	want='["store","hypervisor",2097152]'
	expect "A ($a) answers from its stored block" test "$(answer "$a")" = "$want"
	# the guest's write: A's uuids and geometry, another owner
	ndctl-xen write-infoblock -o "/dev/$b_blk" -s 16M -m fsdax -M mem --reserve=2M \
		--reserve-owner=name:guest -u "$a_pfn" -p "$a_uuid" -O "$b_res" > /dev/null
	got=$(ndctl-xen list -n "$b" | jq -c '.[0].layout.reserve.owner')
	expect "B ($b, raw) is read from its media: the guest's block" test "$got" = '"guest"'
	got=$(answer "$a")
	expect "A still answers from its own block, not B's" test "$got" = "$want"
	echo "A after B was read: $got"

	echo "== apply --dry-run writes nothing on the host"
	# a valid block of B's own (parent B), which the store has not seen
	ndctl-xen write-infoblock -o "/dev/$b_blk" -s 16M -m fsdax -M mem -p "$b_uuid" \
		-O "$b_res" -f > /dev/null
	# every name, its type, size, mode and inode (an atomic rewrite is a new
	# inode), and every file's bytes (busybox: no find -printf)
	state() { (cd "$RIG_STATE_DIR" && find . | sort | xargs stat -c '%n %F %s %a %i %Y' &&
		find . -type f | sort | xargs sha256sum); }
	state=$(state)
	echo "{\"namespaces\":[{\"uuid\":\"$b_uuid\",\"size\":\"16M\",\"map\":\"mem\"}]}" > /tmp/spec-b.json
	rc=0
	ndctl-xen apply --dry-run /tmp/spec-b.json > /tmp/out-b 2>&1 || rc=$?
	expect "dry run: exit 0: $rc" test "$rc" = 0
	expect "dry run: the state directory is byte for byte as it was" test "$(state)" = "$state"
	[ "$(state)" = "$state" ] || diff <(echo "$state") <(state) | head -20 || true
	ndctl destroy-namespace -f "$a" > /dev/null
	ndctl destroy-namespace -f "$b" > /dev/null
	echo "store keying took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
}

# run alone (rig.sh store-keying), not sourced by apply.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	. /rig/common
	mkdir -p /run
	store_keying
	echo "RIG-SUMMARY-STORE-KEYING: $PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
fi
