#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `meson dist` makes a release tarball that stands on its own: it holds
# what git tracks at HEAD and nothing else (no build trees, no rig work
# files), and, unpacked elsewhere, configures, builds and passes the unit,
# offline and docs suites with no network (in a new network namespace when
# unshare can make one) and nothing from this checkout.
# meson dist --no-tests: its own test run would be the full suite,
# 'kernel' included (the QEMU rig); the suites are run here instead.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
start=$SECONDS
say() { printf '== test-dist [%3ds] %s\n' $((SECONDS - start)) "$*"; }

if ! git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	echo "test-dist: skipped: not a git checkout (meson dist needs one)"
	exit 0
fi
WORK=$(mktemp -d /tmp/ndx-test-dist.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "test-dist: note: uncommitted changes are not in the tarball (it is HEAD)"
fi
say "meson dist --no-tests"
meson setup "$WORK/build" -Ddocs=disabled > "$WORK/setup.log" ||
	{ cat "$WORK/setup.log"; exit 1; }
meson dist -C "$WORK/build" --no-tests --allow-dirty --formats xztar > "$WORK/dist.log" 2>&1 ||
	{ cat "$WORK/dist.log"; exit 1; }
tarball=$(ls "$WORK"/build/meson-dist/*.tar.xz)
echo "  $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB"

PASSED=0 FAILED=0
check() {
	local what=$1; shift
	if "$@"; then PASSED=$((PASSED + 1)); echo "  ok: $what"
	else FAILED=$((FAILED + 1)); echo "FAIL: $what" >&2; fi
}
top=$(tar -tJf "$tarball" | awk -F/ 'NR == 1 { print $1 }')
tar -tJf "$tarball" | sed -n "s|^$top/||p" | grep -v '/$' | grep -v '^$' | sort > "$WORK/in-tarball"
git ls-files | sort > "$WORK/tracked"
check "the tarball holds exactly the files git tracks" diff -u "$WORK/tracked" "$WORK/in-tarball"
check "no build tree or rig work files in it" \
	sh -c "! grep -E '^(build[^/]*/|test/rig/work/)|/meson-(private|logs)/' '$WORK/in-tarball'"
check "debian/, contrib/ and the man page sources are in it" sh -c \
	"grep -qx debian/control '$WORK/in-tarball' && grep -qx contrib/bash-completion/ndctl-xen '$WORK/in-tarball' &&
	 grep -qx Documentation/ndctl-xen.txt '$WORK/in-tarball'"

mkdir "$WORK/unpacked"
tar -xJf "$tarball" -C "$WORK/unpacked"
cd "$WORK/unpacked/$top"
# the unpacked tree has no .git; with root, no network either
NONET=()
if [ "$(id -u)" -eq 0 ] && unshare --net true 2> /dev/null; then
	NONET=(unshare --net)
	echo "  building and testing without network (unshare --net)"
else
	echo "  network not cut off (needs root and unshare): built as is"
fi
say "setup, build and unit/offline/docs suites of the unpacked tarball"
if "${NONET[@]}" meson setup build > "$WORK/u-setup.log" 2>&1 &&
		"${NONET[@]}" ninja -C build -j2 > "$WORK/u-build.log" 2>&1; then
	PASSED=$((PASSED + 1)); echo "  ok: the tarball configures and builds"
else
	FAILED=$((FAILED + 1)); echo "FAIL: the tarball does not build" >&2
	tail -n 40 "$WORK"/u-*.log >&2
fi
if [ -x build/ndctl/ndctl-xen ]; then
	if "${NONET[@]}" meson test -C build --suite unit --suite offline --suite docs \
			--num-processes 2 --print-errorlogs > "$WORK/u-test.log" 2>&1; then
		PASSED=$((PASSED + 1)); echo "  ok: its unit, offline and docs suites pass"
	else
		FAILED=$((FAILED + 1)); echo "FAIL: the tarball's tests" >&2
		tail -n 60 "$WORK/u-test.log" >&2
	fi
	grep -E '^(Ok|Fail|Skipped|Timeout): ' "$WORK/u-test.log" | tr -s ' ' | paste -sd ' ' | sed 's/^/  /'
fi
say "done"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
