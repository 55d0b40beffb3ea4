#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The global lock (/run/ndctl-xen.lock) is one nobody else can hold: a
# symbolic link, a FIFO, a file of another user or one others can write
# is refused (not followed, not shared), and there is no fallback to a
# world-writable directory when /run cannot take it.  Runs in a private
# mount namespace with a tmpfs on /run, so the host's /run is not touched;
# needs root and unshare(1).  create-namespace takes the lock before it
# looks for regions; -r nosuchregion then matches nothing on any machine
# (--reserve: a request without one is ndctl's, which takes no lock).
. "$(dirname "$0")/common"

[ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace with a tmpfs on /run)"
unshare -m true 2> /dev/null || skip "unshare -m does not work here (no CAP_SYS_ADMIN?)"
# under fakeroot uid 0 is pretended: chown to another user would not stick
: > "$TMP/probe"; chown 65534 "$TMP/probe" 2> /dev/null && [ "$(stat -c %u "$TMP/probe")" = 65534 ] ||
	skip "uid 0 is not really root here (fakeroot?)"

cat > "$TMP/in-ns.sh" <<'EOT'
set -u
mount -t tmpfs -o mode=755 none /run
L=/run/ndctl-xen.lock
run() { timeout 20 "$NDX" create-namespace -r nosuchregion -s 32M --reserve=4M > /dev/null 2> "$TMP/err"; echo "rc=$? $(head -n1 "$TMP/err")"; }
ln -s "$TMP/planted" "$L"; echo "symlink: $(run)"; rm -f "$L"
echo "planted created: $([ -e "$TMP/planted" ] && echo yes || echo no)"
mkfifo "$L"; echo "fifo: $(run)"; rm -f "$L"
: > "$L"; chown 65534 "$L"; chmod 600 "$L"; echo "other user: $(run)"; rm -f "$L"
: > "$L"; chmod 666 "$L"; echo "world-writable: $(run)"; rm -f "$L"
echo "free: $(run)"
echo "mode: $(stat -c '%a %u %F' "$L")"
rm -f "$L"; mount -o remount,ro /run
echo "read-only /run: $(run)"
echo "tmp fallback: $([ -e /tmp/ndctl-xen.lock ] && echo yes || echo no)"
EOT
# /tmp/ndctl-xen.lock may exist from an older ndctl-xen: note it, look for a new one
old_tmp_lock=no; [ -e /tmp/ndctl-xen.lock ] && old_tmp_lock=yes
NDX=$NDX TMP=$TMP unshare -m --propagation private bash "$TMP/in-ns.sh" > "$TMP/log" 2>&1 || true
cat "$TMP/log"
line() { sed -n "s/^$1: //p" "$TMP/log"; }
check "a symbolic link is refused" sh -c "sed -n 's/^symlink: //p' '$TMP/log' | grep -q '^rc=1 .*lock /run/ndctl-xen.lock is a symbolic link'"
check "nothing created through the link" test "$(line 'planted created')" = no
check "a FIFO is refused without waiting" sh -c "sed -n 's/^fifo: //p' '$TMP/log' | grep -q '^rc=1 .*not a regular file of this user'"
check "another user's lock file is refused" sh -c "sed -n 's/^other user: //p' '$TMP/log' | grep -q '^rc=1 .*not a regular file of this user'"
check "a world-writable lock file is refused" sh -c "sed -n 's/^world-writable: //p' '$TMP/log' | grep -q '^rc=1 .*writable only by it'"
check "a free lock is taken (the command gets past it)" sh -c "sed -n 's/^free: //p' '$TMP/log' | grep -q '^rc=1 .*no namespace created'"
check "the lock file is root's, mode 600, a regular file" test "$(line mode)" = "600 0 regular empty file"
check "read-only /run: refused, names the lock" sh -c "sed -n 's/^read-only \/run: //p' '$TMP/log' | grep -q '^rc=1 .*cannot take the lock /run/ndctl-xen.lock'"
[ "$old_tmp_lock" = yes ] && echo "note: /tmp/ndctl-xen.lock existed before the test (an older ndctl-xen)" ||
	check "no fallback lock in /tmp" test "$(line 'tmp fallback')" = no
finish
