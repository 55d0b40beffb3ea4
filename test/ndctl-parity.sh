#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Option parity with Debian's ndctl: for every command ndctl-xen implements
# and ndctl has too, every option of `ndctl COMMAND -h` must be accepted by
# `ndctl-xen COMMAND` under the same long name and the same short letter,
# taking a value exactly when ndctl's does, and ndctl-xen's --help must pair
# that letter with that name.  Acceptance is checked by running the option
# before --help (getopt stores it, --help answers 0 before anything runs);
# a missing option is "unknown option" (exit 2), a wrong arity eats --help
# or is "takes no value".  The fake ndctl below catches any run that would
# reach the real one.
. "$(dirname "$0")/common"
command -v ndctl > /dev/null || skip "Debian's ndctl is not installed (apt-get install ndctl)"

# Commands whose ndctl options are still being added on another branch:
# their missing options are listed, not failed.  Empty this list once
# they are all accepted.
PENDING_COMMANDS=""

printf '#!/bin/sh\necho "fake ndctl ran: $*" >&2\nexit 99\n' > "$TMP/ndctl"
chmod +x "$TMP/ndctl"
export NDCTL_XEN_NDCTL=$TMP/ndctl

# ndctl_options CMD: "SHORT LONG ARG" per option of ndctl's -h ("-" for
# no short letter; ARG 1 when it takes a value)
ndctl_options() {
	{ ndctl "$1" -h 2>&1 || :; } | sed -nE \
		-e 's/^ +-(.), --([[:alnum:]-]+) <[^>]*>.*/\1 \2 1/p; t' \
		-e 's/^ +-(.), --([[:alnum:]-]+)( .*)?$/\1 \2 0/p; t' \
		-e 's/^ +--([[:alnum:]-]+) <[^>]*>.*/- \1 1/p; t' \
		-e 's/^ +--([[:alnum:]-]+)( .*)?$/- \1 0/p'
}

# accepts CMD WORD...: ndctl-xen CMD WORD... --help answers 0 with its usage
accepts() {
	local cmd=$1 rc=0
	shift
	timeout 20 "$NDX" "$cmd" "$@" --help > "$TMP/out" 2> "$TMP/err" || rc=$?
	[ "$rc" = 0 ] && grep -q '^usage: ndctl-xen' "$TMP/out"
}

total=0
for cmd in create-namespace list read-infoblock write-infoblock; do
	ndctl_options "$cmd" > "$TMP/opts"
	check "ndctl $cmd -h lists options" test -s "$TMP/opts"
	help=$("$NDX" "$cmd" --help)
	missing=
	while read -r short long arg; do
		total=$((total + 1))
		ok=1
		if [ "$arg" = 1 ]; then
			accepts "$cmd" "--$long=1" || ok=0
			[ "$short" = - ] || accepts "$cmd" "-$short" 1 || ok=0
		else
			accepts "$cmd" "--$long" || ok=0
			[ "$short" = - ] || accepts "$cmd" "-$short" || ok=0
		fi
		# the letter is this name's (not another option's with the same letter)
		if [ "$short" != - ] && ! grep -Eq -- "(^|[ ,])-$short, --$long([=, ]|$)" <<< "$help"; then
			ok=0
		fi
		[ $ok = 1 ] || missing="$missing ${short/#-/}${short:+/}--$long"
	done < "$TMP/opts"
	missing=${missing# }
	if [ -n "$missing" ] && [[ " $PENDING_COMMANDS " == *" $cmd "* ]]; then
		echo "PENDING: ndctl $cmd options ndctl-xen does not accept yet: $missing"
		pass
	else
		check "ndctl-xen $cmd accepts every option of ndctl $cmd -h${missing:+ (missing: $missing)}" \
			test -z "$missing"
	fi
done
echo "$total ndctl options checked"

# --- behaviour: a request with no ndctl-xen option gets ndctl's answer
# same_as_ndctl NAME SETUP CMD...: SETUP (a shell line making "img" in a
# fresh directory) then CMD run by ndctl and by ndctl-xen: the same exit
# status, the same last line of stderr (only the status with EXIT_ONLY=1:
# for a usage error ndctl-xen's line names the value and the rule where
# ndctl prints its usage), the same bytes in img
same_as_ndctl() {
	local name=$1 setup=$2 side rc
	shift 2
	for side in ndctl ndctl-xen; do
		# in-SIDE: not $TMP/ndctl-xen, which under valgrind is the wrapper
		rm -rf "$TMP/in-$side"; mkdir "$TMP/in-$side"
		(cd "$TMP/in-$side" && eval "$setup")
		rc=0
		if [ "$side" = ndctl ]; then
			(cd "$TMP/in-$side" && ndctl "$@") > "$TMP/$side.out" 2> "$TMP/$side.err" || rc=$?
		else
			(cd "$TMP/in-$side" && NDCTL_XEN_NDCTL=$(command -v ndctl) "$NDX" "$@") \
				> "$TMP/$side.out" 2> "$TMP/$side.err" || rc=$?
		fi
		if [ "${EXIT_ONLY:-}" = 1 ]; then
			echo "$rc" > "$TMP/$side.status"
		else
			echo "$rc $(tail -n1 "$TMP/$side.err")" > "$TMP/$side.status"
		fi
	done
	check "$name: exit and last line as ndctl's ($(cat "$TMP/ndctl.status") / $(cat "$TMP/ndctl-xen.status"))" \
		cmp -s "$TMP/ndctl.status" "$TMP/ndctl-xen.status"
	if [ -e "$TMP/in-ndctl/img" ]; then
		check "$name: the image's bytes as ndctl's" cmp -s "$TMP/in-ndctl/img" "$TMP/in-ndctl-xen/img"
	fi
}
U=(-u 11111111-2222-3333-4444-555555555555)
same_as_ndctl "write-infoblock over an empty image" "truncate -s 128M img" \
	write-infoblock -o img "${U[@]}"
same_as_ndctl "write-infoblock -s other than the image's" "truncate -s 128M img" \
	write-infoblock -o img -s 256M "${U[@]}"
same_as_ndctl "write-infoblock over data that is not an info block" \
	"truncate -s 128M img; printf 'not an info block%.0s' \$(seq 1000) | dd of=img conv=notrunc status=none" \
	write-infoblock -o img "${U[@]}"
same_as_ndctl "write-infoblock over another layout's block" \
	"truncate -s 128M img; ndctl write-infoblock -o img -M mem -a 4K 2>/dev/null" \
	write-infoblock -o img -M dev "${U[@]}"
same_as_ndctl "write-infoblock devdax map=mem" "truncate -s 64M img" \
	write-infoblock -o img -m devdax -M mem "${U[@]}"
for cmd in create-namespace list read-infoblock write-infoblock; do
	EXIT_ONLY=1 same_as_ndctl "$cmd: an unknown option's exit" ":" "$cmd" --frobnicate
done
EXIT_ONLY=1 same_as_ndctl "write-infoblock: a size that is not a number" ":" write-infoblock -o img -s lots
EXIT_ONLY=1 same_as_ndctl "write-infoblock: an unknown mode" ":" write-infoblock -o img -s 16M -m sector
EXIT_ONLY=1 same_as_ndctl "a mistyped command's exit" ":" aply
same_as_ndctl "read-infoblock -j of a valid block" "truncate -s 128M img; ndctl write-infoblock -o img ${U[*]} 2>/dev/null" \
	read-infoblock -i img -j
# a block whose checksum is bad: shown (exit 0) by both, ndctl's keys with ndctl's values
BAD="truncate -s 128M img; ndctl write-infoblock -o img ${U[*]} 2>/dev/null; printf '\\377' | dd of=img bs=1 seek=4296 conv=notrunc status=none"
EXIT_ONLY=1 same_as_ndctl "read-infoblock -j of a bad-checksum block" "$BAD" read-infoblock -i img -j
check "read-infoblock -j of a bad-checksum block: ndctl's keys and values in ndctl-xen's ($(jq -c '.[0] | keys | length' "$TMP/ndctl.out") keys)" \
	test "$(jq -n --slurpfile n "$TMP/ndctl.out" --slurpfile x "$TMP/ndctl-xen.out" \
		'[$n[0][0] | paths(scalars) as $p | select(($n[0][0] | getpath($p)) != ($x[0][0] | getpath($p)))] | length')" = 0
v=$("$NDX" --version)
check "--version reads as ndctl's for a script ($v: before +xen, $(ndctl --version))" \
	test "${v%%+xen*}" = "$(ndctl --version)"
check "no run reached ndctl" sh -c "! grep -q 'fake ndctl ran' '$TMP/err'"
finish
