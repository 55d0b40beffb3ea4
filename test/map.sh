#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ndctl-xen map without hardware (--range): a toolstack's session of
# assign, first fit, machine check, release and clear, with the expected
# frames worked out here; then bad input, where every case must exit
# with the expected code and a one-line error naming the problem, and
# leave the state file's bytes as they were.
. "$(dirname "$0")/common"

S=$TMP/map.state
M() { "$NDX" map "$@"; }
# jqs FILTER: query `map show` of the state file
jqs() { M show --state="$S" | jq -r "$1"; }
# eq DESCRIPTION EXPECTED ACTUAL
eq() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: got '$3', expected '$2'"; fi
}

# three areas: 1024 frames at 0x100000, 256 right after it (a separate
# area: no range may span the two), 256 at 0x200000
M create --state="$S" --range=0x100000-0x100400 --range=0x100400-0x100500 \
	--range=0x200000-0x200100 > "$TMP/out"
eq "areas" 3 "$(jqs '.areas | length')"
eq "all free" "1536 3" "$(jqs '"\(.totals.free.frames) \(.totals.free.ranges)"')"
eq "free bytes" 6291456 "$(jqs '.totals.free.size')"

# domain 1: 16 frames at 0x100010, guest frame 0x100
M assign --state="$S" --domain=1 --gfn=0x100 --mfn=0x100010 --frames=16 > "$TMP/out"
eq "assign reports the range" "1048592 16 1 256" "$(jq -r '"\(.mfn) \(.frames) \(.domain) \(.gfn)"' "$TMP/out")"
# contiguous in machine and guest frames: merges into one range
M assign --state="$S" --domain=1 --gfn=0x110 --mfn=0x100020 --frames=8 > /dev/null
# contiguous in machine frames only: a second range
M assign --state="$S" --domain=1 --gfn=0x200 --mfn=0x100028 --frames=8 > /dev/null
eq "domain 1's ranges" "1048592:256:24 1048616:512:8" \
	"$(M show --state="$S" --domain=1 | jq -r '[.ranges[] | "\(.mfn):\(.gfn):\(.frames)"] | join(" ")')"
# first fit for 8 frames: the lowest free run, 0x100000-0x100010, its first 8
M assign --state="$S" --domain=2 --gfn=0 --frames=8 > "$TMP/out"
eq "first fit takes the lowest run" 1048576 "$(jq .mfn "$TMP/out")"
# 17 frames: the 8 left at 0x100008 are too few; the next run starts at 0x100030
M assign --state="$S" --domain=2 --gfn=8 --frames=17 > "$TMP/out"
eq "first fit skips a short run" 1048624 "$(jq .mfn "$TMP/out")"
eq "domain 2: two ranges, not adjacent" 2 \
	"$(M show --state="$S" --domain=2 | jq '.ranges | length')"
# the last frames of area 1 and the first of area 2: two ranges, never one
M assign --state="$S" --domain=3 --gfn=0 --mfn=0x1003f0 --frames=16 > /dev/null
M assign --state="$S" --domain=3 --gfn=16 --mfn=0x100400 --frames=16 > /dev/null
eq "no range spans two areas" "1049584:16 1049600:16" \
	"$(M show --state="$S" --domain=3 | jq -r '[.ranges[] | "\(.mfn):\(.frames)"] | join(" ")')"
eq "assigned frames" 89 "$(jqs .totals.assigned.frames)"

# a machine check over bytes 0x100011800-0x100013000: frames 0x100011-0x100013
M broken --state="$S" --phys=0x100011800 --length=0x1801 > "$TMP/out"
eq "machine check names domain 1" "[1]" "$(jq -c .domains "$TMP/out")"
eq "three frames broken" 3 "$(jq .broken_frames "$TMP/out")"
eq "domain 1's broken range" "1048593:3:assigned-broken" \
	"$(M show --state="$S" --filter=assigned-broken | jq -r '.ranges[] | "\(.mfn):\(.frames):\(.state)"')"
# domain 2's last first-fit frame, 8 free frames, domain 1's first frame
M broken --state="$S" --mfn=0x100007 --frames=10 > "$TMP/out"
eq "two domains hit" "[1,2]" "$(jq -c .domains "$TMP/out")"
M broken --state="$S" --mfn=0x100100 --frames=4 > "$TMP/out"
eq "free frames hit: no domain" "[]" "$(jq -c .domains "$TMP/out")"
eq "broken frames" 17 "$(jq .broken_frames "$TMP/out")"
# 200 frames: 0x100041-0x100100 has 191, then 0x100100-0x100104 is broken
M assign --state="$S" --domain=4 --gfn=0 --frames=200 > "$TMP/out"
eq "first fit never hands out broken frames" 1048836 "$(jq .mfn "$TMP/out")"

# domain destroy: its frames return, broken ones stay broken
M release --state="$S" --domain=1 > "$TMP/out"
eq "released all of domain 1" 32 "$(jq .frames "$TMP/out")"
eq "domain 1 gone" 0 "$(M show --state="$S" --domain=1 | jq '.ranges | length')"
eq "its broken frames stay broken, merged with the free broken ones" "1048584:12" \
	"$(M show --state="$S" --filter=broken | jq -r '[.ranges[] | select(.mfn < 1048600) | "\(.mfn):\(.frames)"] | join(" ")')"
# a piece of domain 2's second range
M release --state="$S" --domain=2 --mfn=0x100035 --frames=5 > /dev/null
eq "partial release splits" "1048576:0:7 1048583:7:1 1048624:8:5 1048634:18:7" \
	"$(M show --state="$S" --domain=2 | jq -r '[.ranges[] | "\(.mfn):\(.gfn):\(.frames)"] | join(" ")')"

# clear everything broken, release everyone: back to one free range per area
M clear --state="$S" --mfn=0x100000 --frames=0x100500 > /dev/null
for d in 2 3 4; do M release --state="$S" --domain=$d > /dev/null; done
eq "merged back" "3 1536" "$(jqs '"\(.ranges | length) \(.totals.free.frames)"')"
eq "no temporary files left" "map.state" "$(ls "$TMP" | grep '^map\.state' | tr '\n' ' ' | sed 's/ $//')"

# --- bad input: exit code, one line naming the problem, state unchanged
M assign --state="$S" --domain=5 --gfn=0 --mfn=0x100100 --frames=16 > /dev/null
M broken --state="$S" --mfn=0x100200 --frames=1 > /dev/null
printf '%-44s %-4s %s\n' CASE EXIT ERROR
# the state file as it was, and nothing on stdout
EXPECT_FILES=("$S")
EXPECT_NO_STDOUT=1
A=(map assign --state="$S")
expect "assign over another domain" 1 "frames 0x100108-0x100110 belong to domain 5" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=0x100108 --frames=16
expect "assign: guest frames in use" 1 "domain 5's guest frames 0x8-0x9 overlap" \
	"$NDX" "${A[@]}" --domain=5 --gfn=8 --mfn=0x100000 --frames=1
expect "assign outside every area" 1 "frame 0xfffff is outside every data area" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=0xfffff --frames=2
expect "assign across two areas" 1 "run past the end of data area 0x100000-0x100400" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=0x1003ff --frames=2
expect "assign a broken frame" 1 "frames 0x100200-0x100201 are broken" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=0x1001f0 --frames=32
expect "first fit: no run long enough" 1 "no free run of 0x400 frames" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --frames=1024
expect "assign domain 32752" 2 "--domain=32752: a guest domain id is 0 to 32751" \
	"$NDX" "${A[@]}" --domain=32752 --gfn=0 --frames=1
expect "assign 0 frames" 2 "--frames=0: must be at least 1" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --frames=0
expect "assign: mfn not a number" 2 "--mfn=12z is not a number" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=12z --frames=1
expect "assign: negative gfn" 2 "--gfn=-1 is not a number" \
	"$NDX" "${A[@]}" --domain=6 --gfn=-1 --frames=1
expect "assign: mfn beyond 64 bits" 2 "--mfn=18446744073709551616 is not a number" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=18446744073709551616 --frames=1
expect "assign: mfn + frames past 2^52" 1 "pass frame 2\^52" \
	"$NDX" "${A[@]}" --domain=6 --gfn=0 --mfn=0xfffffffffffff --frames=2
expect "assign without --gfn" 2 "give --gfn and --frames" \
	"$NDX" "${A[@]}" --domain=6 --frames=1
expect "assign without --domain" 2 "give --domain" \
	"$NDX" "${A[@]}" --gfn=0 --frames=1
expect "release another domain's frames" 1 "frames 0x100100-0x100110 are not domain 6's: they belong to domain 5" \
	"$NDX" map release --state="$S" --domain=6 --mfn=0x100100 --frames=16
expect "release free frames" 1 "frames 0x100000-0x100100 are not domain 5's: they are unowned" \
	"$NDX" map release --state="$S" --domain=5 --mfn=0x100000 --frames=0x110
# a domain-destroy hook that runs twice: nothing held, nothing to do, done
before=$(sha256sum < "$S")
rc=0
"$NDX" map release --state="$S" --domain=9 > "$TMP/out" 2> "$TMP/err" || rc=$?
eq "release a domain without frames: exit 0" 0 "$rc"
check "it says so ($(cat "$TMP/err"))" grep -q "domain 9 holds no frames: nothing to release" "$TMP/err"
eq "and in its JSON" "9 0" "$(jq -r '"\(.domain) \(.frames)"' "$TMP/out")"
eq "and writes nothing" "$before" "$(sha256sum < "$S")"
expect "release: --mfn without --frames" 2 "give --mfn and --frames together" \
	"$NDX" map release --state="$S" --domain=5 --mfn=0x100100
expect "release: --gfn is not its option" 2 "--gfn is not an option of map release" \
	"$NDX" map release --state="$S" --domain=5 --gfn=0
expect "broken outside every area" 1 "no frame of 0x300000-0x300002 lies in a data area" \
	"$NDX" map broken --state="$S" --mfn=0x300000 --frames=2
expect "broken: --mfn and --phys" 2 "give exactly one of" \
	"$NDX" map broken --state="$S" --mfn=0x100000 --frames=1 --phys=0 --length=4K
expect "broken: --phys without --length" 2 "give exactly one of" \
	"$NDX" map broken --state="$S" --phys=0x100000000
expect "broken: --length 0" 2 "--length=0 is not a size above 0" \
	"$NDX" map broken --state="$S" --phys=0x100000000 --length=0
expect "broken: phys range overflows" 1 "overflow 64 bits" \
	"$NDX" map broken --state="$S" --phys=0xffffffffffffff00 --length=4K
expect "clear outside every area" 1 "no frame of 0x10-0x20 lies in a data area" \
	"$NDX" map clear --state="$S" --mfn=0x10 --frames=16
expect "show: unknown state" 2 "--filter=free,bent: 'bent' is not a state" \
	"$NDX" map show --state="$S" --filter=free,bent
# no --state: $NDCTL_XEN_PAGEMAP, else /var/lib/ndctl-xen/pagemap
eq "no --state: \$NDCTL_XEN_PAGEMAP" "$(jqs .totals.assigned.frames)" \
	"$(NDCTL_XEN_PAGEMAP="$S" "$NDX" map show | jq .totals.assigned.frames)"
if [ ! -e /var/lib/ndctl-xen/pagemap ]; then
	expect "no --state: the default file" 1 "^ndctl-xen map show: /var/lib/ndctl-xen/pagemap: No such file" \
		env -u NDCTL_XEN_PAGEMAP "$NDX" map show
	expect "no --state: an empty \$NDCTL_XEN_PAGEMAP" 1 "/var/lib/ndctl-xen/pagemap: No such file" \
		env NDCTL_XEN_PAGEMAP= "$NDX" map show
fi
check "help names the default" bash -c '"$0" map --help | grep -q "/var/lib/ndctl-xen/pagemap"' "$NDX"
expect "no subcommand" 2 "give a subcommand" "$NDX" map
expect "unknown subcommand" 2 "'frob' is not a subcommand" "$NDX" map frob --state="$S"
expect "unknown option" 2 "unknown option or missing value: '--frobnicate'" \
	"$NDX" map show --state="$S" --frobnicate
expect "stray argument" 2 "unexpected argument 'extra'" "$NDX" map show --state="$S" extra
expect "create over an existing map" 1 "map.state exists: it may hold assignments; use --force" \
	"$NDX" map create --state="$S" --range=0x100000-0x100400
expect "create: empty range" 1 "area 0x5-0x5 is empty" \
	"$NDX" map create --state="$TMP/new.state" --range=5-5
expect "create: overlapping ranges" 1 "area 0x80-0x180 overlaps area 0-0x100" \
	"$NDX" map create --state="$TMP/new.state" --range=0-0x100 --range=0x80-0x180
expect "create: malformed range" 2 "--range=0x100: give SMFN-EMFN" \
	"$NDX" map create --state="$TMP/new.state" --range=0x100
expect "create: range and filters" 2 "exclude each other" \
	"$NDX" map create --state="$TMP/new.state" --range=0-1 -r region0
check "create: nothing left behind" test ! -e "$TMP/new.state"

# damaged and foreign state files: refused by name, left as they were
head -c 100 "$S" > "$TMP/short.state"
echo "not a map at all" > "$TMP/text.state"
cp "$S" "$TMP/v4.state"
printf '\x04' | dd of="$TMP/v4.state" bs=1 seek=8 conv=notrunc status=none
cp "$S" "$TMP/flip.state"
printf '\x55' | dd of="$TMP/flip.state" bs=1 seek=100 conv=notrunc status=none
# a flipped byte in the body (the first range): its chunk's checksum, read
# whole (show) or sparse (a change reads the chunk it needs)
cp "$S" "$TMP/body.state"
body=$(( 256 + 16 * $(od -An -tu4 -j24 -N4 "$S" | tr -d ' ') + 8 * $(od -An -tu8 -j88 -N8 "$S" | tr -d ' ') ))
printf '\x55' | dd of="$TMP/body.state" bs=1 seek=$((body + 9)) conv=notrunc status=none
EXPECT_FILES=("$S" "$TMP"/flip.state "$TMP"/short.state "$TMP"/text.state "$TMP"/v4.state
	"$TMP"/body.state)
expect "damaged: a flipped byte" 1 "flip.state: damaged: bad checksum" \
	"$NDX" map assign --state="$TMP/flip.state" --domain=6 --gfn=0 --frames=1
expect "damaged body: show" 1 "body.state: damaged: checkpoint chunk 0 .* has a bad checksum" \
	"$NDX" map show --state="$TMP/body.state"
expect "damaged body: a change" 1 "body.state: damaged: checkpoint chunk 0 .* has a bad checksum" \
	"$NDX" map assign --state="$TMP/body.state" --domain=6 --gfn=0 --frames=1
expect "damaged: truncated" 1 "short.state: damaged: the header says [0-9]+ bytes, the file has 100" \
	"$NDX" map show --state="$TMP/short.state"
expect "foreign: a text file" 1 "text.state: not an ndctl-xen page map" \
	"$NDX" map release --state="$TMP/text.state" --domain=5
expect "foreign: format version 4" 1 "v4.state: page map version 4.0 is not supported" \
	"$NDX" map show --state="$TMP/v4.state"
expect "missing state file" 1 "nothing.state: No such file or directory" \
	"$NDX" map show --state="$TMP/nothing.state"

# damage inside the log is not a torn tail: eight assigns, log records 3
# and 4 (56 bytes each) zeroed: refused, never cut off, so domains 3 to 8
# keep their frames; a torn last record is still dropped
L=$TMP/log.state
M create --state="$L" --range=0x1000-0x2000 > /dev/null
for d in 1 2 3 4 5 6 7 8; do M assign --state="$L" --domain=$d --gfn=0 --frames=16 > /dev/null; done
logat=$(( $(stat -c %s "$L") - 8 * 56 ))
cp "$L" "$TMP/log-intact.state"
dd if=/dev/zero of="$L" bs=1 seek=$((logat + 2 * 56)) count=112 conv=notrunc status=none
saved_files=("${EXPECT_FILES[@]}")
EXPECT_FILES=("$L")
expect "log damage: show" 1 "log.state: damaged: log record 3 at byte $((logat + 112)) is not valid" \
	"$NDX" map show --state="$L"
expect "log damage: a change" 1 "log.state: damaged: log record 3 at byte $((logat + 112)) is not valid" \
	"$NDX" map assign --state="$L" --domain=9 --gfn=0 --frames=16
EXPECT_FILES=("${saved_files[@]}")
cp "$TMP/log-intact.state" "$L"
dd if=/dev/zero of="$L" bs=1 seek=$((logat + 7 * 56)) count=56 conv=notrunc status=none
eq "a torn last record: dropped" "1 2 3 4 5 6 7" \
	"$(M show --state="$L" | jq -r '[.ranges[] | select(.domain) | .domain] | join(" ")')"
M assign --state="$L" --domain=8 --gfn=0 --frames=16 > /dev/null
eq "and the next change replaces it" $((logat + 8 * 56)) "$(stat -c %s "$L")"

# an ordinary user cannot update a root-owned map (mode 644)
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 755 "$TMP"
	chmod 644 "$S"
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NDX"; then
		expect "assign as an ordinary user" 1 "map.state: Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$NDX" "${A[@]}" --domain=6 --gfn=0 --frames=1
	fi
fi

# --- state file paths: only regular files, never waited on; links kept;
# owner, group and mode kept; format 1.0 carried over
EXPECT_FILES=()
mkfifo "$TMP/fifo"
expect "show: a FIFO" 1 "fifo: not a regular file" \
	timeout 10 "$NDX" map show --state="$TMP/fifo"
expect "assign: a FIFO" 1 "fifo: not a regular file" \
	timeout 10 "$NDX" map assign --state="$TMP/fifo" --domain=1 --gfn=0 --frames=1
expect "create --force over a FIFO" 1 "fifo: not a regular file" \
	timeout 10 "$NDX" map create --state="$TMP/fifo" --range=0-16 --force
check "the FIFO is still a FIFO" test -p "$TMP/fifo"
expect "create --force over /dev/null" 1 "/dev/null: not a regular file" \
	"$NDX" map create --state=/dev/null --range=0-16 --force
check "/dev/null is still a device" test -c /dev/null
expect "create --force over a directory" 1 "not a regular file" \
	"$NDX" map create --state="$TMP" --range=0-16 --force
# a second name (a hard link): refused, by name, on any subcommand
ln "$S" "$TMP/second-name.state"
expect "a state file with two names: show" 1 "map.state: has 2 hard links: a state file must have one name" \
	"$NDX" map show --state="$S"
expect "a state file with two names: a change" 1 "second-name.state: has 2 hard links" \
	"$NDX" map assign --state="$TMP/second-name.state" --domain=1 --gfn=0 --frames=1
rm "$TMP/second-name.state"
ln -s map.state "$TMP/link.state"
M assign --state="$TMP/link.state" --domain=7 --gfn=010 --mfn=0x100300 --frames=2 > "$TMP/out"
eq "a leading zero is decimal" 10 "$(jq .gfn "$TMP/out")"
check "an update through a symlink keeps the link" test -L "$TMP/link.state"
eq "and changes its target" 7 "$(M show --state="$S" --domain=7 | jq '.ranges[0].domain')"
chmod 640 "$S"
if [ "$(id -u)" = 0 ]; then chown 65534:65534 "$S"; fi
before=$(stat -c '%u:%g:%a' "$S")
M compact --state="$TMP/link.state" > /dev/null
check "compact through the link keeps it" test -L "$TMP/link.state"
eq "compact keeps owner, group and mode" "$before" "$(stat -c '%u:%g:%a' "$S")"
M create --state="$TMP/link.state" --range=0x100000-0x100400 --force > /dev/null
check "create --force through the link keeps it" test -L "$TMP/link.state"
eq "create --force keeps owner, group and mode" "$before" "$(stat -c '%u:%g:%a' "$S")"
eq "and replaced the map" 0 "$(jqs .totals.assigned.frames)"
# format 1.0 (a file of an earlier version): read, then carried over by
# the first change, with the change in
V1=$TMP/v1.state
tail -c +2 "$(dirname "$0")/corpus/pagemap/a-intact" > "$V1"
eq "a 1.0 file reads" "1 1024" "$(M show --state="$V1" | jq -r '"\(.areas | length) \(.totals.free.frames)"')"
eq "it is 1.0" 1 "$(od -An -tu2 -j8 -N2 "$V1" | tr -d ' ')"
M assign --state="$V1" --domain=3 --gfn=0 --frames=4 > /dev/null
eq "its first change makes it 3.0" 3 "$(od -An -tu2 -j8 -N2 "$V1" | tr -d ' ')"
eq "with the change in" 4 "$(M show --state="$V1" --domain=3 | jq '.ranges[0].frames')"
eq "no temporary file left" "v1.state" "$(ls "$TMP" | grep '^v1' | tr '\n' ' ' | sed 's/ $//')"
# format 2.0 (a checkpoint and a log, what the last version wrote): the same
V2=$TMP/v2.state
tail -c +2 "$(dirname "$0")/corpus/pagemap/c-v2-log" > "$V2"
eq "it is 2.0" 2 "$(od -An -tu2 -j8 -N2 "$V2" | tr -d ' ')"
before=$(M show --state="$V2" | jq -c '[.totals, .ranges]')
M assign --state="$V2" --domain=77 --gfn=0 --frames=1 > "$TMP/out"
eq "a 2.0 file's first change makes it 3.0" 3 "$(od -An -tu2 -j8 -N2 "$V2" | tr -d ' ')"
M release --state="$V2" --domain=77 > /dev/null
eq "with its log and the change in (then undone)" "$before" \
	"$(M show --state="$V2" | jq -c '[.totals, .ranges]')"

# a write that fails (here the file-size limit: EFBIG) is exit 3, not a
# refusal, and leaves the map as before the call
F=$TMP/full.state
M create --state="$F" --range=0x100000-0x200000 > /dev/null
rc=0 i=0
while [ $rc = 0 ] && [ $i -lt 200 ]; do
	i=$((i + 1))
	bash -c 'ulimit -f 1; trap "" XFSZ; exec "$@"' sh "$NDX" map assign --state="$F" \
		--domain=1 --gfn=$i --frames=1 > /dev/null 2> "$TMP/err" || rc=$?
done
eq "assign past the file-size limit: exit 3" 3 "$rc"
check "it says why ($(head -n1 "$TMP/err"))" grep -q 'cannot write: File too large' "$TMP/err"
eq "the calls before it kept, that one not" $((i - 1)) \
	"$(M show --state="$F" | jq '.totals.assigned.frames')"

# a map a group shares (directory root:group 2770, file root:group 0660):
# a member compacts it, and it stays root's, the group's, 0660, with
# nothing left beside it
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	G=$TMP/shared
	mkdir "$G"
	chmod 755 "$TMP"
	chown 0:65533 "$G"
	chmod 2770 "$G"
	M create --state="$G/m" --range=0x100000-0x100400 > /dev/null
	chown 0:65533 "$G/m"
	chmod 0660 "$G/m"
	member() { setpriv --reuid=65534 --regid=65534 --groups=65533 "$NDX" map "$@"; }
	if member show --state="$G/m" > /dev/null 2>&1; then
		for i in 1 2 3 4 5 6 7 8; do
			member assign --state="$G/m" --domain=1 --gfn=$i --frames=1 > /dev/null
		done
		size=$(stat -c %s "$G/m")
		rc=0
		member compact --state="$G/m" > /dev/null 2> "$TMP/err" || rc=$?
		eq "a group member compacts ($(head -n1 "$TMP/err")): exit" 0 "$rc"
		check "the log is folded in" test "$(stat -c %s "$G/m")" -lt "$size"
		eq "owner, group and mode kept" "0:65533:660" "$(stat -c '%u:%g:%a' "$G/m")"
		eq "nothing left beside it" "m" "$(ls -A "$G" | tr '\n' ' ' | sed 's/ $//')"
		eq "the map as before" 8 "$(member show --state="$G/m" | jq .totals.assigned.frames)"
	else
		echo "map: user 65534 cannot run $NDX here: the shared-map case is not run"
	fi
fi

# a full file system (ENOSPC) is exit 3 as well, the map as before the
# call: a 64 KiB tmpfs, filled up, in a user and mount namespace of our
# own (none: said, and the rest of the test still counts)
if unshare -rm true 2> /dev/null; then
	mkdir "$TMP/full"
	read -r rc n frames before after < <(unshare -rm bash -c '
		mount -t tmpfs -o size=64k ndx-full "$1" || exit 1
		"$2" map create --state="$1/m" --range=0x100000-0x200000 > /dev/null || exit 1
		dd if=/dev/zero of="$1/fill" bs=4k 2> /dev/null
		rc=0 i=0
		while [ $rc = 0 ] && [ $i -lt 500 ]; do
			i=$((i + 1))
			before=$(stat -c %s "$1/m")
			"$2" map assign --state="$1/m" --domain=1 --gfn=$i --frames=1 \
				> /dev/null 2> "$1.err" || rc=$?
		done
		echo "$rc $((i - 1)) $("$2" map show --state="$1/m" | jq .totals.assigned.frames)" \
			"$before $(stat -c %s "$1/m")"' sh "$TMP/full" "$NDX")
	eq "assign on a full file system: exit 3" 3 "$rc"
	check "it says why ($(head -n1 "$TMP/full.err"))" grep -q 'No space left on device' "$TMP/full.err"
	eq "the calls before it kept, that one not" "$n" "$frames"
	eq "the file as before that call" "$before" "$after"
else
	echo "map: no user namespaces here: the full file system case is not run"
fi

finish
