#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: each case must fail with the expected exit code and a one-line
# error naming the problem, and must leave the target image's bytes as they
# were.  Prints a table: case, exit code, error.
. "$(dirname "$0")/common"

IMG=$TMP/ns.img
truncate -s 32M "$IMG"
"$NDX" write-infoblock -o "$IMG" --reserve=4M
GOOD=$TMP/good.bin
"$NDX" write-infoblock --stdout -s 32M -M mem --reserve=8M > "$GOOD"

printf '%-44s %-4s %s\n' CASE EXIT ERROR
EXPECT_FILES=("$IMG")

forged() { "$FORGE" "$@" < "$GOOD" > "$TMP/forged"; echo "$TMP/forged"; }

# --- damaged or foreign input to read-infoblock
: > "$TMP/empty"
expect "read: empty file" 1 "empty \(0 bytes\)" "$NDX" read-infoblock -i "$TMP/empty"
head -c 100 "$GOOD" > "$TMP/short"
expect "read: truncated file" 1 "too short \(100 bytes\)" "$NDX" read-infoblock -i "$TMP/short"
head -c 6000 "$GOOD" > "$TMP/short2"
expect "read: truncated inside the block" 1 "too short \(6000 bytes\)" "$NDX" read-infoblock -i "$TMP/short2"
head -c 8192 /dev/zero > "$TMP/zero"
expect "read: zeros" 1 "no info block at byte 4096" "$NDX" read-infoblock -i "$TMP/zero"
expect "read: wrong signature" 1 "no info block" "$NDX" read-infoblock -i "$(forged signature=NVDIMM_BTT_INFO)"
expect "read -V: bad checksum" 1 "bad checksum" "$NDX" read-infoblock -V -i "$(forged checksum=0x1234)"
# without -V a bad checksum is shown as decoded and flagged, as ndctl shows it
bad=$(forged checksum=0x1234)
rc=0; "$NDX" read-infoblock -j -i "$bad" > "$TMP/bad.json" 2> "$TMP/bad.err" || rc=$?
check "read: bad checksum shown (exit $rc)" test "$rc" = 0
check "read: bad checksum flagged" test "$(jq -r '.[0].consistent, (.[0].problem | startswith("bad-checksum"))' "$TMP/bad.json" | tr '\n' ' ')" = "false true "
check "read: bad checksum: the stored value shown" test "$(jq -r '.[0].checksum' "$TMP/bad.json")" = 0x1234
check "read: bad checksum: a warning on stderr" grep -q "warning: .*bad checksum.*shown as decoded" "$TMP/bad.err"
if command -v ndctl > /dev/null; then
	check "read: bad checksum: ndctl's keys with ndctl's values" sh -c "
		ndctl read-infoblock -j -i '$bad' 2>/dev/null | jq -S '.[0] | del(.file)' > '$TMP/nd.json'
		jq -S '.[0] | with_entries(select(.key as \$k | \$nd | has(\$k))) | del(.file)' \
			--argjson nd \"\$(cat '$TMP/nd.json')\" '$TMP/bad.json' |
			cmp -s - '$TMP/nd.json'"
fi
expect "read: damaged record" 1 "record .* is damaged" "$NDX" read-infoblock -j -i "$(forged rsv_damage=1)"
expect "read: record length" 1 "record .* is damaged" "$NDX" read-infoblock -i "$(forged rsv_length=32)"
expect "read: record version 2" 1 "record version 2.x is not supported" "$NDX" read-infoblock -i "$(forged rsv_version_major=2)"
expect "read: block version 2.0" 1 "version 2.0 is not supported" "$NDX" read-infoblock -i "$(forged version_major=2 version_minor=0)"
expect "read -V: dataoff not aligned" 1 "inconsistent: dataoff-align" "$NDX" read-infoblock -V -i "$(forged dataoff=0x901000)"
expect "read -V: dataoff past the end" 1 "inconsistent: no-data-page" "$NDX" read-infoblock -V -s 32M -i "$(forged dataoff=0x10000000 npfns=0)"
expect "read -V: record overlaps data" 1 "inconsistent: reserve-place" "$NDX" read-infoblock -V -i "$(forged rsv_size=0x1000000)"
expect "read -V: npfns too large" 1 "inconsistent: npfns" "$NDX" read-infoblock -V -s 32M -i "$(forged npfns=99999999)"
expect "read: missing file" 1 "No such file" "$NDX" read-infoblock -i "$TMP/nonexistent"
expect "read: no namespace, no -i" 129 "give a namespace, or --input" "$NDX" read-infoblock
expect "read: bad --size" 129 "is not a size" "$NDX" read-infoblock -i "$GOOD" -s 1X
expect "read: --xen preset unknown" 129 "--xen=xen-huge: must be xen or xen-bigmem" "$NDX" read-infoblock -i "$GOOD" --xen=xen-huge
expect "read: bad --offset" 129 "--offset=2Q is not a size" "$NDX" read-infoblock -i "$GOOD" -O 2Q
expect "read: a file and a namespace" 129 "--input=.* and namespace 'namespace0.0': give one" "$NDX" read-infoblock -i "$GOOD" namespace0.0
expect "read: --region with a file" 129 "--region limits a namespace argument" "$NDX" read-infoblock -i "$GOOD" -r 0
expect "read: no such namespace" 1 "no namespace namespace97.3 in region 5" "$NDX" read-infoblock namespace97.3 -r 5

# --- write-infoblock onto the image: refused requests leave it alone
W=("$NDX" write-infoblock -o "$IMG")
expect "write: reserve larger than namespace" 1 "no-data-page: .*largest reserve that fits is 0x1c00000" "${W[@]}" --reserve=1G
max=$("$NDX" read-infoblock -j -i "$IMG" | jq '.[0].layout.max_reserve')
expect "write: max reserve + 1 byte" 1 "no-data-page" "${W[@]}" --reserve=$((max + 1))
expect "write: per-page reserve too large" 1 "no-data-page" "${W[@]}" --reserve-per-page=4096
expect "write: size 2^64-1" 1 "namespace-size" "${W[@]}" -s 18446744073709551615
expect "write: size 2^64" 129 "does not fit in 64 bits" "${W[@]}" -s 18446744073709551616
expect "write: size 2^64 by suffix" 129 "does not fit in 64 bits" "${W[@]}" -s 16777216T
expect "write: size beyond 52 bits" 1 "namespace-size: .*52-bit" "${W[@]}" -s 8192T
expect "write: reserve 2^64-1" 1 "overflow" "${W[@]}" --reserve=18446744073709551615
expect "write: reserve-per-page 2^32" 1 "reserve-request" "${W[@]}" --reserve-per-page=4294967296
expect "write: non-numeric size" 129 "--size=abc is not a size" "${W[@]}" -s abc
expect "write: unknown suffix" 129 "--size=12Q is not a size" "${W[@]}" -s 12Q
expect "write: negative size" 129 "--size=-5 is not a size" "${W[@]}" -s -5
expect "write: empty size" 129 "--size= is not a size" "${W[@]}" -s ""
expect "write: non-numeric reserve" 129 "--reserve=lots is not a size" "${W[@]}" --reserve=lots
expect "write: size not a page multiple" 1 "namespace-size" "${W[@]}" -s 1000000
expect "write: unknown mode" 129 "--mode=sector: must be fsdax or devdax" "${W[@]}" -m sector
expect "write: unknown map" 129 "--map=ram: must be dev or mem" "${W[@]}" -M ram
expect "write: unsupported align" 1 "align-supported" "${W[@]}" -a 3M
expect "write: align 0" 1 "align-supported: --align=0: align 0 is not" "${W[@]}" -a 0
expect "write: reserve and per-page" 129 "give one, not both" "${W[@]}" --reserve=4K --reserve-per-page=8
expect "write: owner name with a space" 1 "reserve-owner" "${W[@]}" --reserve=4K --reserve-owner="name:my os"
expect "write: owner name too long" 1 "reserve-owner" "${W[@]}" --reserve=4K --reserve-owner=name:abcdefghijklmnopq
# a bare word is os or hypervisor: near misses and names without name: are refused
expect "write: owner typo hypervsior" 129 "--reserve-owner=hypervsior is not an owner: did you mean hypervisor?" "${W[@]}" --reserve=4K --reserve-owner=hypervsior
expect "write: owner Hypervisor" 129 "--reserve-owner=Hypervisor is not an owner: did you mean hypervisor?" "${W[@]}" --reserve=4K --reserve-owner=Hypervisor
expect "write: owner OS" 129 "--reserve-owner=OS is not an owner: did you mean os?" "${W[@]}" --reserve=4K --reserve-owner=OS
expect "write: owner empty" 129 "--reserve-owner= is empty: give os, hypervisor or name:NAME" "${W[@]}" --reserve=4K --reserve-owner=
expect "write: owner bare name" 129 "--reserve-owner=freebsd is not an owner: .* name:freebsd" "${W[@]}" --reserve=4K --reserve-owner=freebsd
expect "write: owner name: alone" 129 "--reserve-owner=name: names no owner" "${W[@]}" --reserve=4K --reserve-owner=name:
expect "write: xen preset with map=dev" 129 "--reserve-per-page=xen reserves for the hypervisor, which takes map=mem" "${W[@]}" --reserve-per-page=xen -M dev
expect "write: xen-bigmem preset with owner os" 129 "--reserve-per-page=xen-bigmem sizes Xen's frame table and M2P: its owner is the hypervisor" "${W[@]}" --reserve-per-page=xen-bigmem --reserve-owner=os
expect "write: owner without reserve" 1 "reserve-owner: an owner needs a reservation" "${W[@]}" --reserve-owner=hypervisor
expect "write: page struct size 32" 1 "page-struct-size" "${W[@]}" --page-struct-size=32
expect "write: page struct size 0 (not silently 64)" 1 "page-struct-size: --page-struct-size=0" "${W[@]}" --page-struct-size=0
expect "write: page struct size 70000" 1 "page-struct-size: page_struct_size 70000 must be between 64 and 65535" "${W[@]}" --page-struct-size=70000
expect "write: page struct size 2^32" 1 "page-struct-size: --page-struct-size=4294967296" "${W[@]}" --page-struct-size=4294967296
expect "write: bad uuid" 129 "--uuid=xyz is not a uuid" "${W[@]}" -u xyz
expect "write: bad parent uuid" 129 "--parent-uuid=1-2 is not a uuid" "${W[@]}" -p 1-2
expect "write: unknown option" 129 "unknown option or missing value: '--frobnicate'" "${W[@]}" --frobnicate
expect "write: missing value" 129 "missing value for '-s'" "${W[@]}" -s
expect "write: --xen preset unknown" 129 "--xen=bigmem: must be xen or xen-bigmem" "${W[@]}" --dry-run --xen=bigmem
expect "write: per-page preset unknown" 129 "--reserve-per-page=xen-big is neither a byte count nor a preset" "${W[@]}" --reserve-per-page=xen-big
expect "write: page-struct-size preset below 64" 1 "page-struct-size" "${W[@]}" --page-struct-size=xen
expect "write: bad --offset" 129 "--offset=1Z is not a size" "${W[@]}" -O 1Z
expect "write: --offset not 2 MiB aligned" 1 "0x101000" "${W[@]}" -O 0x101000
expect "write: --dry-run keeps the rules" 1 "no-data-page" "${W[@]}" --dry-run --reserve=1G
expect "write: --bus without a namespace" 129 "--bus limits a namespace argument" "${W[@]}" -b nfit_test.0
expect "write: a namespace and --size" 129 "--size with namespace 'namespace0.0'" "$NDX" write-infoblock namespace0.0 -s 1G
expect "write: no such namespace" 1 "no namespace namespace97.3" "$NDX" write-infoblock namespace97.3 --dry-run
expect "write: a namespace and --output" 129 "--output with namespace 'namespace0.0'" "${W[@]}" namespace0.0
expect "write: both -o and --stdout" 129 "exactly one of" "${W[@]}" --stdout -s 1G
expect "write: --stdout without size" 129 "--stdout needs --size" "$NDX" write-infoblock --stdout
expect "write: new file without size" 129 "does not exist: give --size" "$NDX" write-infoblock -o "$TMP/new.img"
check "write: new file not created" test ! -e "$TMP/new.img"

# --- numbers are decimal unless 0x: a leading zero never makes one octal
U=11111111-2222-3333-4444-555555555555
same_block() { cmp -s <("$NDX" write-infoblock --stdout -u $U "$@") \
	<("$NDX" write-infoblock --stdout -u $U -s 256M --reserve=64M); }
check "number: -s 0256M --reserve=064M is 256M/64M" same_block -s 0256M --reserve=064M
check "number: -s 0x10000000 --reserve=0x4000000 is 256M/64M" same_block -s 0x10000000 --reserve=0x4000000
check "number: -s 00000256M --reserve=67108864 is 256M/64M" same_block -s 00000256M --reserve=67108864
check "number: 08M and 09M are decimal (not bad octal)" cmp -s \
	<("$NDX" write-infoblock --stdout -u $U -s 256M --reserve=08M) \
	<("$NDX" write-infoblock --stdout -u $U -s 256M --reserve=8M)
check "number: --page-struct-size=0100 is 100, not 64" test "$("$NDX" write-infoblock --stdout \
	-s 256M --page-struct-size=0100 | "$NDX" read-infoblock -i - -j | jq .[0].page_struct_size)" = 100
expect "number: 0x without digits" 129 "--size=0x is not a size" "${W[@]}" -s 0x
expect "number: 0x1G0" 129 "--size=0x1G0 is not a size" "${W[@]}" -s 0x1G0
expect "number: octal-looking 0777Q" 129 "--size=0777Q is not a size" "${W[@]}" -s 0777Q
expect "number: leading space" 129 "is not a size" "${W[@]}" -s " 32M"
expect "number: plus sign" 129 "--reserve=\+4M is not a size" "${W[@]}" --reserve=+4M

# --- bytes from the media are escaped: crafted owner names, valid checksums
# (ESC [2J clears a terminal; ff and a lone c3 are not UTF-8; 9b is C1 CSI)
for hex in 1b5b324a1b5d303b70776e6564 41ff42c3 9b33316d5c0a07; do
	f=$(forged rsv_owner=3 rsv_owner_name_hex=$hex)
	"$NDX" read-infoblock -i "$f" > "$TMP/text" 2> /dev/null || true
	"$NDX" read-infoblock -j -i "$f" > "$TMP/json" 2> /dev/null || true
	"$NDX" read-infoblock -V -i "$f" -o /dev/null 2> "$TMP/verr" || true
	check "media $hex: text output has only printable ASCII" \
		sh -c "! LC_ALL=C grep -q '[^[:print:][:space:]]' '$TMP/text' && ! LC_ALL=C grep -q \$'\\r' '$TMP/text'"
	check "media $hex: the owner is shown escaped" grep -q 'reserve.owner: .*\\x' "$TMP/text"
	check "media $hex: JSON is valid UTF-8" iconv -f UTF-8 -t UTF-8 -o /dev/null "$TMP/json"
	check "media $hex: JSON parses, owner escaped" sh -c "jq -er '.[0].reserve.owner' '$TMP/json' | grep -q '\\\\x'"
	check "media $hex: the -V message is escaped and one line" sh -c \
		"grep -q 'owner name .*\\\\x' '$TMP/verr' && ! LC_ALL=C grep -q '[^[:print:][:space:]]' '$TMP/verr' && [ \$(wc -l < '$TMP/verr') = 1 ]"
done

# --- targets write-infoblock must not write or wait on (even with --force)
mkfifo "$TMP/fifo"
expect "target: a FIFO" 1 "fifo is a FIFO: .*regular file or a block device" \
	timeout 20 "$NDX" write-infoblock -o "$TMP/fifo" -s 32M
expect "target: a FIFO, forced" 1 "is a FIFO" timeout 20 "$NDX" write-infoblock -f -o "$TMP/fifo" -s 32M
expect "target: a character device, forced" 1 "/dev/null is a character device" \
	"$NDX" write-infoblock -f -o /dev/null -s 32M
expect "target: a directory" 1 "is a directory: write-infoblock writes only" "$NDX" write-infoblock -f -o "$TMP" -s 32M
ln -s "$TMP/dangling-target" "$TMP/dangling"
expect "target: a dangling symlink is not created through" 1 "dangling: a symbolic link to a missing file" \
	"$NDX" write-infoblock -o "$TMP/dangling" -s 32M
check "target: nothing created behind the dangling symlink" test ! -e "$TMP/dangling-target"

# --- sizes checked against the target; a valid block's layout kept
expect "size: -s larger than the image" 1 "--size=64M \(67108864 bytes\) differs from the image .* \(33554432 bytes\); use --force" \
	"${W[@]}" -s 64M --reserve=4M
expect "size: -s smaller than the image" 1 "differs from the image" "${W[@]}" -s 16M --reserve=4M
expect "layout: valid block would become devdax" 1 "valid fsdax info block would become devdax; use --force" \
	"${W[@]}" -m devdax --reserve=4M
expect "layout: valid block's map would change" 1 "map would change from dev to mem; use --force" \
	"${W[@]}" -M mem --reserve=4M
expect "layout: valid block's dataoff would move" 1 "dataoff would move from 0x[0-9a-f]+ to 0x[0-9a-f]+; use --force" \
	"${W[@]}" --reserve=8M
cp "$IMG" "$TMP/saved.img"
check "layout: the same layout is rewritten without --force" "${W[@]}" --reserve=4M
check "size: --force writes a 64M block onto the 32M image" "${W[@]}" -f -s 64M --reserve=4M
check "layout: --force replaces the layout" "${W[@]}" -f -m devdax --reserve=4M
cp "$TMP/saved.img" "$IMG"
: > "$TMP/empty.img"
check "size: an empty file takes -s" "$NDX" write-infoblock -o "$TMP/empty.img" -s 32M

# --- an ordinary user: a clear permission error, nothing written
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 755 "$TMP"
	AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	# under fakeroot uid 0 is pretended: uid 65534 could still write anything
	: > "$TMP/root-only"; chmod 644 "$TMP/root-only"
	if "${AS_USER[@]}" sh -c ': >> "$1"' sh "$TMP/root-only" 2> /dev/null; then
		echo "bad-input: uid 0 is not really root here (fakeroot?): permission cases not run"
	elif "${AS_USER[@]}" test -x "$NDX"; then
		expect "write as an ordinary user" 1 "ns.img: Permission denied" "${AS_USER[@]}" "${W[@]}" --reserve=4K
		expect "write as an ordinary user, forced" 1 "Permission denied" "${AS_USER[@]}" "${W[@]}" -f --reserve=4K
	else
		echo "bad-input: $NDX is not reachable by uid 65534: permission cases not run"
	fi
else
	echo "bad-input: not root or no setpriv: permission cases not run"
fi

# --- user data is kept without --force
cp "$IMG" "$TMP/saved.img"
printf 'ext4-ish superblock' | dd of="$IMG" bs=1 seek=1080 conv=notrunc status=none
expect "write: foreign data without -f" 1 "not an info block; use --force" "${W[@]}" --reserve=4K
check "write: -f overwrites foreign data" "${W[@]}" -f --reserve=4K
check "write: result is valid" "$NDX" read-infoblock -V -i "$IMG" -o /dev/null
cp "$TMP/saved.img" "$IMG"

# --- list: ndctl list's options, values checked before anything is read
expect "list: unknown mode" 129 "--mode=bogus: not a namespace mode" "$NDX" list -m bogus
expect "list: unknown region type" 129 "--type=nvme: a region type is pmem or blk" "$NDX" list -t nvme
expect "list: numa node not a number" 129 "--numa-node=x1: not a NUMA node number" "$NDX" list -U x1
expect "list: a value missing" 129 "'--region' needs a value" "$NDX" list --region
expect "list: --xen with an ndctl-only listing" 129 "--xen and --read-disabled add to namespace listings" "$NDX" list -R --xen
expect "list: a stray argument" 129 "unexpected argument 'namespace0.0'" "$NDX" list namespace0.0
expect "list: an unknown letter in a cluster names it" 129 "unknown option '-q'" "$NDX" list -Nq
expect "list: a value for a flag" 129 "option '--xen' takes no value" "$NDX" list --xen=1

# --- create-namespace: option values checked before any device (and
# before ndctl: a request that is ndctl's would run it, here a fake)
printf '#!/bin/sh\necho "ndctl ran: $*" >&2\nexit 99\n' > "$TMP/no-ndctl"
chmod +x "$TMP/no-ndctl"
CN=(env NDCTL_XEN_NDCTL="$TMP/no-ndctl" "$NDX" create-namespace)
expect "create: --reserve without a value" 129 "option '--reserve' needs a value" "${CN[@]}" --reserve
expect "create: -e without a value" 129 "option '-e' needs a value" "${CN[@]}" -e
expect "create: unknown option" 129 "unknown option '--frobnicate'" "${CN[@]}" --frobnicate
expect "create: --sector-size=lots" 129 "--sector-size=lots is not a size" "${CN[@]}" -l lots --reserve=4M
expect "create: --sector-size=0" 129 "--sector-size=0 is not a sector size" "${CN[@]}" -l 0 --reserve=4M
expect "create: --type=nvme" 129 "--type=nvme: must be pmem or blk" "${CN[@]}" -t nvme --reserve=4M
expect "create: --type=blk with a reservation" 129 "--type=blk: a reserved area needs" "${CN[@]}" -t blk --reserve=4M
expect "create: -m sector with a reservation" 129 "--mode=sector: a reserved area needs" "${CN[@]}" -m sector --reserve=4M
expect "create: -m safe (ndctl's sector) with a reservation" 129 "--mode=sector: a reserved area needs" "${CN[@]}" -m safe --reserve=4M
expect "create: -m bogus" 129 "--mode=bogus: must be fsdax or devdax" "${CN[@]}" -m bogus --reserve=4M
expect "create: --no-autorecover with a reservation" 129 "--no-autorecover: ndctl-xen always restores" "${CN[@]}" --no-autorecover --reserve=4M
expect "create: -e with --size, no --force" 1 "re-create the namespace, losing its data: use --force" "${CN[@]}" -e namespace0.0 -s 64M --reserve=4M
expect "create: -e with --continue" 129 "--reconfig and --continue" "${CN[@]}" -e namespace0.0 -c --reserve=4M
expect "create: the pending name, even for ndctl" 129 "marks an unfinished namespace" "${CN[@]}" -n ndctl-xen:pending
expect "create: a stray argument" 129 "unexpected argument 'extra'" "${CN[@]}" -s 32M extra
finish
