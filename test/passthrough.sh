#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A command ndctl-xen does not implement, and a create-namespace request
# that is ndctl's (no reservation; sector or raw mode), runs ndctl with the
# same arguments (as typed: order, spaces, empty words), the same standard
# streams, and ndctl's exit status.  A fake ndctl named by NDCTL_XEN_NDCTL
# records what it got; then the real one answers a harmless request
# exactly as when run directly.
. "$(dirname "$0")/common"

FAKE=$TMP/fake-ndctl
cat > "$FAKE" <<'EOT'
#!/bin/bash
# argv one per line (NUL-separated in args), stdin copied, known output
printf '%s\0' "$@" > "$FAKE_DIR/args"
cat > "$FAKE_DIR/stdin"
echo "fake stdout"
echo "fake stderr" >&2
exit "${FAKE_RC:-42}"
EOT
chmod +x "$FAKE"
export FAKE_DIR=$TMP

# passes RC WORD...: ndctl-xen WORD... reaches the fake with exactly WORD...
passes() {
	local want=$1 rc=0
	shift
	rm -f "$TMP/args"
	printf 'in\0put\n' | FAKE_RC=$want NDCTL_XEN_NDCTL=$FAKE "$NDX" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want" >&2; return 1; }
	cmp -s "$TMP/args" <(printf '%s\0' "$@") || { echo "args: $(tr '\0' ' ' < "$TMP/args")" >&2; return 1; }
	cmp -s "$TMP/stdin" <(printf 'in\0put\n') || { echo "stdin differs" >&2; return 1; }
	[ "$(cat "$TMP/out")" = "fake stdout" ] && [ "$(cat "$TMP/err")" = "fake stderr" ]
}
check "disable-namespace all" passes 42 disable-namespace all
check "destroy-namespace -f namespace0.0 (exit 0)" passes 0 destroy-namespace -f namespace0.0
check "zero-labels with odd words" passes 3 zero-labels "nmem0 nmem1" "" '*' -b ACPI.NFIT
check "an unknown command is ndctl's to refuse" passes 1 frobnicate --x
check "ndctl's own options (--list-cmds is ours, --version too)" passes 5 --foo
check "exit 255 passes" passes 255 read-labels nmem0 -j
check "help COMMAND for an ndctl command" passes 0 help zero-labels
check "create-namespace without a reservation, as typed (not permuted)" \
	passes 0 create-namespace -s 32M -r region0 -m fsdax -M dev -a 2M -n "a name" -u 1f2b7c3e-7a6d-4e3b-9b8a-2c1d0e9f8a7b
check "create-namespace -m sector (even with -l)" passes 0 create-namespace -m sector -l 4096 -s 32M
check "create-namespace -m raw -e" passes 0 create-namespace -e namespace0.0 -f -m raw
check "create-namespace -m memory (ndctl's old name)" passes 0 create-namespace -m memory
check "create-namespace -t blk" passes 0 create-namespace -t blk
check "create-namespace --no-autorecover without a reservation" passes 0 create-namespace --no-autorecover -s 32M
check "list of regions and DIMMs (ndctl's own listing)" passes 0 list -R -D -b ACPI.NFIT
check "list -vv" passes 0 list -vv -N

# what stays ndctl-xen's: its commands, a reservation, its checks first
nofake() {
	local rc=0
	rm -f "$TMP/args"
	NDCTL_XEN_NDCTL=$FAKE "$NDX" "$@" > "$TMP/out" 2> "$TMP/err" < /dev/null || rc=$?
	[ ! -e "$TMP/args" ] || { echo "ndctl ran: $(tr '\0' ' ' < "$TMP/args")" >&2; return 1; }
	echo "$rc $(head -n1 "$TMP/err")"
}
out=$(nofake create-namespace -m sector --reserve=4M)
check "a reservation in sector mode: a usage error naming it ($out)" grep -q '^129 .*--mode=sector' <<< "$out"
out=$(nofake create-namespace -m memory --reserve=4M --no-autorecover)
check "--no-autorecover with a reservation: refused ($out)" grep -q '^129 .*--no-autorecover' <<< "$out"
out=$(nofake create-namespace -n ndctl-xen:pending)
check "the pending name is refused before ndctl ($out)" grep -q '^129 .*unfinished' <<< "$out"
out=$(nofake create-namespace --frobnicate)
check "an unknown option is a usage error, exit 129 as ndctl's ($out)" grep -q "^129 .*unknown option '--frobnicate'" <<< "$out"
out=$(nofake -v)
check "-v is the version ($out)" test "$out" = "0 "
check "-v prints the version" sh -c "'$NDX' -v | grep -qx '$("$NDX" --version)'"
# a script reading ndctl's version through the alias reads ndctl's number
version=$("$NDX" --version)
if command -v ndctl > /dev/null; then
	check "--version is ndctl's, then +xen and ndctl-xen's ($version)" \
		test "${version%+xen*}" = "$(ndctl --version)"
fi
check "--version's leading number is a number (as scripts cut it)" \
	sh -c "'$NDX' --version | grep -Eq '^[0-9]+(\.[0-9]+)*\+xen[0-9]+\.[0-9]+\.[0-9]+\$'"

# a typo'd command: ndctl's words and status, and the nearest command
out=$(nofake aply)
check "a typo'd command exits 1 as ndctl's unknown command ($out)" test "$out" = "1 Unknown command: 'aply'"
check "a typo'd command names the nearest" sh -c "'$NDX' aply 2>&1 | grep -q \"Did you mean 'apply'?\""
out=$(nofake write-infoblok)
check "a typo'd command does not reach ndctl ($out)" test "$out" = "1 Unknown command: 'write-infoblok'"

# help COMMAND: the command's man page (Documentation/meson.build's names)
mkdir "$TMP/manbin"
printf '#!/bin/sh\necho "man $*"\n' > "$TMP/manbin/man"
chmod +x "$TMP/manbin/man"
for pair in create-namespace:ndctl-xen-create-namespace list:ndctl-xen-list map:ndctl-xen-map \
		read-infoblock:ndctl-xen-read-infoblock write-infoblock:ndctl-xen-write-infoblock \
		recover:ndctl-xen-recover; do
	cmd=${pair%%:*} page=${pair#*:}
	out=$(PATH=$TMP/manbin:$PATH "$NDX" help "$cmd" 2>&1)
	check "help $cmd opens $page ($out)" test "$out" = "man $page"
	check "$page is a page the build makes" grep -q "'$page'" "$(dirname "$0")/../Documentation/meson.build"
done

# ndctl missing: a clear error, the failed class
rc=0
NDCTL_XEN_NDCTL=$TMP/no-such-ndctl "$NDX" zero-labels all > "$TMP/out" 2> "$TMP/err" || rc=$?
check "missing ndctl: exit 3 ($rc)" test "$rc" = 3
check "missing ndctl: names the path" grep -q "cannot run ndctl ($TMP/no-such-ndctl)" "$TMP/err"

# the real ndctl, a harmless request: the same bytes and status as ndctl itself
if command -v ndctl > /dev/null; then
	for req in "zero-labels -h" "disable-region -h" "frobnicate" "version"; do
		rc1=0 rc2=0
		# shellcheck disable=SC2086
		ndctl $req > "$TMP/o1" 2> "$TMP/e1" || rc1=$?
		# shellcheck disable=SC2086
		NDCTL_XEN_NDCTL=$(command -v ndctl) "$NDX" $req > "$TMP/o2" 2> "$TMP/e2" || rc2=$?
		[ "$req" = version ] && { check "'version' is ndctl-xen's" cmp -s "$TMP/o2" <("$NDX" -v); continue; }
		check "real ndctl: '$req' same exit ($rc1 $rc2), stdout and stderr" \
			sh -c "[ $rc1 = $rc2 ] && cmp -s '$TMP/o1' '$TMP/o2' && cmp -s '$TMP/e1' '$TMP/e2'"
	done
else
	echo "skipped the real-ndctl comparison: ndctl is not installed"
fi
finish
