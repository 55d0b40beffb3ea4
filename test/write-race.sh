#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A path that changes under write-infoblock: a symlink flipped, as fast as
# a shell can, between an image holding foreign data (an ext4-like
# superblock) and a blank image, while write-infoblock (no --force) writes
# through it again and again.  Each run checks and writes through one
# descriptor, so the foreign image must never change: 0 foreign writes.
# Both outcomes (written to the blank image, refused on the foreign one)
# must occur, or the flipping did not happen and the test proved nothing.
# NDX_RACE_RUNS sets the number of runs (default 300; under valgrind 20,
# each run there costs about a second).
. "$(dirname "$0")/common"

RUNS=${NDX_RACE_RUNS:-300}
[ -z "${NDX_VALGRIND:-}" ] || RUNS=${NDX_RACE_RUNS:-20}

FOREIGN=$TMP/foreign.img BLANK=$TMP/blank.img LINK=$TMP/target
truncate -s 32M "$FOREIGN" "$BLANK"
printf 'ext4-ish superblock' | dd of="$FOREIGN" bs=1 seek=1080 conv=notrunc status=none
printf 'user data' | dd of="$FOREIGN" bs=1 seek=6000 conv=notrunc status=none
# write-infoblock writes only the first 8 KiB: compare the first 64 KiB and the size
head -c 65536 "$FOREIGN" > "$TMP/foreign.head"
cp --sparse=always "$FOREIGN" "$TMP/foreign.orig"
foreign_unchanged() {
	[ "$(stat -c %s "$FOREIGN")" = $((32 << 20)) ] && cmp -s -n 65536 "$FOREIGN" "$TMP/foreign.head"
}
ln -s "$BLANK" "$LINK"

# flip-link: symlink + rename(2), so the path always resolves to one of the two
"$NDX_BUILD/test/flip-link" "$LINK" "$FOREIGN" "$BLANK" &
FLIPPER=$!
trap 'kill $FLIPPER 2> /dev/null || true; cleanup' EXIT

written=0 refused=0 other=0 foreign_writes=0 start=$SECONDS
for i in $(seq 1 "$RUNS"); do
	rc=0
	"$NDX" write-infoblock -o "$LINK" --reserve=4M 2> "$TMP/err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		written=$((written + 1))
	elif [ "$rc" -eq 1 ] && grep -q "not an info block; use --force" "$TMP/err"; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		fail "run $i: exit $rc: $(cat "$TMP/err")"
	fi
	# after every run, so that a write is caught at once
	if ! foreign_unchanged; then
		foreign_writes=$((foreign_writes + 1))
		[ "$foreign_writes" -gt 3 ] || fail "run $i (exit $rc): the foreign image changed"
		cp --sparse=always "$TMP/foreign.orig" "$FOREIGN"
	fi
done
kill -0 $FLIPPER 2> /dev/null || fail "flip-link stopped before the end"
kill $FLIPPER; wait $FLIPPER 2> /dev/null || true
echo "$RUNS runs in $((SECONDS - start)) s${NDX_VALGRIND:+ (under valgrind: fewer runs)}:" \
	"$written written to the blank image, $refused refused on the foreign one," \
	"$other other, $foreign_writes foreign writes"
check "0 foreign writes" test "$foreign_writes" -eq 0
check "the blank image was written (the path resolved to it)" test "$written" -gt 0
check "the foreign image was refused (the path resolved to it)" test "$refused" -gt 0
check "the blank image holds a valid block" "$NDX" read-infoblock -V -i "$BLANK" -o /dev/null
finish
