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
expect "read: bad checksum" 1 "bad checksum" "$NDX" read-infoblock -i "$(forged checksum=0x1234)"
expect "read: damaged record" 1 "record .* is damaged" "$NDX" read-infoblock -j -i "$(forged rsv_damage=1)"
expect "read: record length" 1 "record .* is damaged" "$NDX" read-infoblock -i "$(forged rsv_length=32)"
expect "read: record version 2" 1 "record version 2.x is not supported" "$NDX" read-infoblock -i "$(forged rsv_version_major=2)"
expect "read: block version 2.0" 1 "version 2.0 is not supported" "$NDX" read-infoblock -i "$(forged version_major=2 version_minor=0)"
expect "read -V: dataoff not aligned" 1 "inconsistent: dataoff-align" "$NDX" read-infoblock -V -i "$(forged dataoff=0x901000)"
expect "read -V: dataoff past the end" 1 "inconsistent: no-data-page" "$NDX" read-infoblock -V -s 32M -i "$(forged dataoff=0x10000000 npfns=0)"
expect "read -V: record overlaps data" 1 "inconsistent: reserve-place" "$NDX" read-infoblock -V -i "$(forged rsv_size=0x1000000)"
expect "read -V: npfns too large" 1 "inconsistent: npfns" "$NDX" read-infoblock -V -s 32M -i "$(forged npfns=99999999)"
expect "read: missing file" 1 "No such file" "$NDX" read-infoblock -i "$TMP/nonexistent"
expect "read: no -i" 2 "give --input" "$NDX" read-infoblock
expect "read: bad --size" 2 "is not a size" "$NDX" read-infoblock -i "$GOOD" -s 1X

# --- write-infoblock onto the image: refused requests leave it alone
W=("$NDX" write-infoblock -o "$IMG")
expect "write: reserve larger than namespace" 1 "no-data-page: .*largest reserve that fits is 0x1c00000" "${W[@]}" --reserve=1G
max=$("$NDX" read-infoblock -j -i "$IMG" | jq '.[0].layout.max_reserve')
expect "write: max reserve + 1 byte" 1 "no-data-page" "${W[@]}" --reserve=$((max + 1))
expect "write: per-page reserve too large" 1 "no-data-page" "${W[@]}" --reserve-per-page=4096
expect "write: size 2^64-1" 1 "namespace-size" "${W[@]}" -s 18446744073709551615
expect "write: size 2^64" 2 "does not fit in 64 bits" "${W[@]}" -s 18446744073709551616
expect "write: size 2^64 by suffix" 2 "does not fit in 64 bits" "${W[@]}" -s 16777216T
expect "write: size beyond 52 bits" 1 "namespace-size: .*52-bit" "${W[@]}" -s 8192T
expect "write: reserve 2^64-1" 1 "overflow" "${W[@]}" --reserve=18446744073709551615
expect "write: reserve-per-page 2^32" 1 "reserve-request" "${W[@]}" --reserve-per-page=4294967296
expect "write: non-numeric size" 2 "--size=abc is not a size" "${W[@]}" -s abc
expect "write: unknown suffix" 2 "--size=12Q is not a size" "${W[@]}" -s 12Q
expect "write: negative size" 2 "--size=-5 is not a size" "${W[@]}" -s -5
expect "write: empty size" 2 "--size= is not a size" "${W[@]}" -s ""
expect "write: non-numeric reserve" 2 "--reserve=lots is not a size" "${W[@]}" --reserve=lots
expect "write: size not a page multiple" 1 "namespace-size" "${W[@]}" -s 1000000
expect "write: unknown mode" 2 "--mode=sector: must be fsdax or devdax" "${W[@]}" -m sector
expect "write: unknown map" 2 "--map=ram: must be dev or mem" "${W[@]}" -M ram
expect "write: unsupported align" 1 "align-supported" "${W[@]}" -a 3M
expect "write: align 0" 2 "--align=0: must be" "${W[@]}" -a 0
expect "write: reserve and per-page" 2 "give one, not both" "${W[@]}" --reserve=4K --reserve-per-page=8
expect "write: owner name with a space" 1 "reserve-owner" "${W[@]}" --reserve=4K --reserve-owner="my os"
expect "write: owner name too long" 1 "reserve-owner" "${W[@]}" --reserve=4K --reserve-owner=abcdefghijklmnopq
expect "write: owner without reserve" 1 "reserve-owner: an owner needs a reservation" "${W[@]}" --reserve-owner=hypervisor
expect "write: page struct size 32" 1 "page-struct-size" "${W[@]}" --page-struct-size=32
expect "write: bad uuid" 2 "--uuid=xyz is not a uuid" "${W[@]}" -u xyz
expect "write: bad parent uuid" 2 "--parent-uuid=1-2 is not a uuid" "${W[@]}" -p 1-2
expect "write: unknown option" 2 "unknown option or missing value: '--frobnicate'" "${W[@]}" --frobnicate
expect "write: missing value" 2 "missing value for '-s'" "${W[@]}" -s
expect "write: stray argument" 2 "unexpected argument 'namespace0.0'" "${W[@]}" namespace0.0
expect "write: both -o and --stdout" 2 "exactly one of" "${W[@]}" --stdout -s 1G
expect "write: --stdout without size" 2 "--stdout needs --size" "$NDX" write-infoblock --stdout
expect "write: new file without size" 2 "does not exist: give --size" "$NDX" write-infoblock -o "$TMP/new.img"
check "write: new file not created" test ! -e "$TMP/new.img"

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

finish
