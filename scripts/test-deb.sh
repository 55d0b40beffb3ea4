#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages, end to end, as root on Debian 12:
#  1. build ndctl-xen, libndctl-xen1 and libndctl-xen-dev with
#     dpkg-buildpackage -us -uc -b in a copy of the tree under /tmp (the
#     checkout is not touched; the build runs the unit, offline and docs
#     suites);
#  2. lintian (fails on any error; its whole output is printed);
#  3. install them with apt (which pulls their runtime dependencies) into a
#     clean Debian 12 root made with debootstrap --variant=minbase, cached
#     as a tarball in /var/cache/ndctl-xen-deb (NDCTL_XEN_DEB_CACHE);
#     with --host, into this machine instead, purged again at the end;
#  4. there: ndctl-xen --version, man -w ndctl-xen-create-namespace (and
#     its old name, ndctl-create-namespace-xen) and a
#     man page for every command, bash completion, and the example client
#     built with cc $(pkg-config --cflags --libs libndctl-xen) against the
#     installed -dev package and run (no NVDIMM needed: it reports
#     "0 namespaces reserved for the hypervisor"); then the packages are purged.
# Exits non-zero if anything failed.
#   NDCTL_XEN_DEB_MIRROR  Debian mirror for debootstrap (default: the
#                         host's first bookworm source)
#   NDCTL_XEN_DEB_KEEP=1  keep the work directory (printed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
CACHE=${NDCTL_XEN_DEB_CACHE:-/var/cache/ndctl-xen-deb}
TARGET=chroot
[ "${1:-}" = --host ] && TARGET=host
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
start=$SECONDS

say() { printf '== test-deb [%3ds] %s\n' $((SECONDS - start)) "$*"; }
die() { echo "test-deb: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (apt, debootstrap, chroot)"

WORK=$(mktemp -d /tmp/ndx-test-deb.XXXXXX)
ROOT=$WORK/root
cleanup() {
	local rc=$?
	if mountpoint -q "$ROOT/proc" 2> /dev/null; then umount "$ROOT/proc"; fi
	if [ "$TARGET" = host ] && [ -n "${HOST_INSTALLED:-}" ]; then
		apt-get purge -y -q ndctl-xen libndctl-xen1 libndctl-xen-dev > /dev/null || true
	fi
	if [ -n "${NDCTL_XEN_DEB_KEEP:-}" ]; then echo "test-deb: kept $WORK"
	else rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT

# --- tools
TOOLS=(build-essential dpkg-dev debhelper lintian debootstrap)
missing=()
for p in "${TOOLS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' || missing+=("$p")
done
apt_updated=
apt_update() { [ -n "$apt_updated" ] || apt-get update -q > /dev/null; apt_updated=1; }
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	apt_update
	apt-get install -y -q --no-install-recommends "${missing[@]}" > "$WORK/apt-tools.log" ||
		{ cat "$WORK/apt-tools.log"; die "cannot install ${missing[*]}"; }
fi

# --- 1. a copy of the tree, its build dependencies, the build
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=${version%-*}
TREE=$WORK/ndctl-xen-$upstream
mkdir "$TREE"
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	# what git tracks plus new files it does not ignore, as they are now
	git ls-files -z -c -o --exclude-standard | tar --null -cf - -T - | tar -xf - -C "$TREE"
else
	tar --exclude='./build*' --exclude=./test/rig/work -cf - . | tar -xf - -C "$TREE"
fi
if ! (cd "$TREE" && dpkg-checkbuilddeps > /dev/null 2>&1); then
	say "installing build dependencies"
	apt_update
	apt-get build-dep -y -q "$TREE" > "$WORK/apt-builddep.log" ||
		{ cat "$WORK/apt-builddep.log"; die "cannot install the build dependencies"; }
fi
say "dpkg-buildpackage -us -uc -b ($version)"
if ! (cd "$TREE" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -us -uc -b > "$WORK/build.log" 2>&1); then
	tail -n 80 "$WORK/build.log"
	die "dpkg-buildpackage failed (log above)"
fi
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$WORK/build.log" | tr -s ' ' | paste -sd ' ' |
	sed 's/^/dh_auto_test: /'
DEBS=()
for p in ndctl-xen libndctl-xen1 libndctl-xen-dev; do
	f=$(ls "$WORK/${p}_${version}_"*.deb)
	DEBS+=("$f")
	echo "  $(basename "$f") $(du -k "$f" | cut -f1) KiB"
done

# --- 2. lintian
say "lintian"
lintian_rc=0
(cd "$WORK" && lintian -I --pedantic --fail-on error ./*.changes) > "$WORK/lintian.raw" 2>&1 ||
	lintian_rc=$?
grep -v '^running with root privileges' "$WORK/lintian.raw" > "$WORK/lintian.txt" || true
if [ -s "$WORK/lintian.txt" ]; then cat "$WORK/lintian.txt"; else echo "(no lintian tags)"; fi
[ "$lintian_rc" -eq 0 ] || die "lintian reports errors"

# --- 3. a clean root
if [ "$TARGET" = chroot ]; then
	base=$CACHE/bookworm-minbase.tar.gz
	# the test's own tools are in the cached base; the packages' runtime
	# dependencies are not: apt must find them from the packages' Depends
	if [ -z "$(find "$base" -mtime -14 2> /dev/null)" ]; then
		mirror=${NDCTL_XEN_DEB_MIRROR:-$(grep -rhoE 'https?://[^ ]*/debian/?( |$)' \
			/etc/apt/sources.list /etc/apt/sources.list.d/ 2> /dev/null | head -1 | tr -d ' ' || true)}
		mirror=${mirror:-http://deb.debian.org/debian}
		say "debootstrap --variant=minbase bookworm from $mirror (cached in $CACHE)"
		mkdir -p "$CACHE" "$WORK/base"
		debootstrap --variant=minbase --include=man-db,gcc,libc6-dev,pkg-config \
			bookworm "$WORK/base" "$mirror" > "$WORK/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$WORK/debootstrap.log"; die "debootstrap failed"; }
		rm -rf "$WORK/base/var/cache/apt/archives/"*.deb "$WORK/base/var/lib/apt/lists/"*
		tar -C "$WORK/base" -czf "$base.new" . && mv "$base.new" "$base"
		rm -rf "$WORK/base"
	fi
	say "unpacking the clean root"
	mkdir "$ROOT"
	tar -C "$ROOT" -xzf "$base"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	mount -t proc proc "$ROOT/proc"
	mkdir "$ROOT/debs"
	cp "${DEBS[@]}" "$ROOT/debs/"
	cp -r "$SRC/debian/tests" "$ROOT/debs/tests"
	in_target() { chroot "$ROOT" "$@"; }
	DEBDIR=/debs TT=/tmp
else
	for p in ndctl-xen libndctl-xen1 libndctl-xen-dev; do
		if dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed'; then
			die "$p is already installed on this machine; --host would remove it"
		fi
	done
	in_target() { "$@"; }
	DEBDIR=$WORK TT=$WORK
	mkdir -p "$WORK/tests" && cp -r "$SRC/debian/tests/." "$WORK/tests/"
	apt_update
fi

# --- 4. install and check
say "apt-get install ${DEBS[*]##*/} into the $TARGET"
[ "$TARGET" = chroot ] && { in_target apt-get update -q > /dev/null || die "apt-get update in the chroot failed"; }
HOST_INSTALLED=1
in_target apt-get install -y -q --no-install-recommends \
	"$DEBDIR/$(basename "${DEBS[0]}")" "$DEBDIR/$(basename "${DEBS[1]}")" \
	"$DEBDIR/$(basename "${DEBS[2]}")" > "$WORK/apt-install.log" 2>&1 ||
	{ cat "$WORK/apt-install.log"; die "the packages do not install"; }

PASSED=0 FAILED=0
check() {
	local what=$1; shift
	if "$@" > "$WORK/check.out" 2>&1; then
		PASSED=$((PASSED + 1)); echo "  ok: $what"
	else
		FAILED=$((FAILED + 1)); echo "FAIL: $what" >&2; sed 's/^/    /' "$WORK/check.out" >&2
	fi
}
# libndctl's version (ndctl's own: the ndctl package is only recommended,
# so the clean root has the library, from libndctl6, and not the command)
check "ndctl-xen --version is libndctl's (ndctl's), then +xen$upstream" \
	in_target sh -c "v=\$(dpkg-query -W -f='\${Version}' libndctl6); test \"\$(ndctl-xen --version)\" = \"\${v%-*}+xen$upstream\""
check "man -w ndctl-xen-create-namespace" \
	in_target sh -c 'man -w ndctl-xen-create-namespace | grep -q "^/usr/share/man/man1/ndctl-xen-create-namespace.1.gz$"'
check "the old name ndctl-create-namespace-xen still opens the page" \
	in_target sh -c 'man ndctl-create-namespace-xen 2>/dev/null | grep -q "ndctl-xen-create-namespace"'
check "man -w libndctl-xen (from the -dev package)" in_target man -w 3 libndctl-xen
# the packaged tests (also autopkgtests): a man page for every command of
# the table; the example built against the -dev package through pkg-config
check "debian/tests/cli: version, a man page per command, completion" \
	in_target sh -ex "$DEBDIR/tests/cli"
check "debian/tests/build-example: cc \$(pkg-config --cflags --libs libndctl-xen), run" \
	in_target env AUTOPKGTEST_TMP="$TT" sh -ex "$DEBDIR/tests/build-example"
in_target cat "$TT/out" 2> /dev/null | sed 's/^/    xen-toolstack: /' || true
check "the example links the packaged library" \
	in_target sh -c "ldd '$TT/xen-toolstack' | grep -q 'libndctl-xen.so.1 => \(/usr\)\?/lib/.*/libndctl-xen.so.1 '"
in_target ldd "$TT/xen-toolstack" 2> /dev/null | grep libndctl | sed 's/^[[:space:]]*/    ldd: /' || true
check "bash completion offers the commands" in_target bash -c \
	'. /usr/share/bash-completion/completions/ndctl-xen; COMP_WORDS=(ndctl-xen ""); COMP_CWORD=1
	 _ndctl_xen; printf "%s\n" "${COMPREPLY[@]}" | grep -qx create-namespace'
check "the boot unit ndctl-xen-recover.service is in the ndctl-xen package" \
	in_target sh -c "dpkg -L ndctl-xen | grep -qx '\(/usr\)\?/lib/systemd/system/ndctl-xen-recover.service'"
check "installing enabled it for the next boot (sysinit.target wants it)" \
	in_target test -L /etc/systemd/system/sysinit.target.wants/ndctl-xen-recover.service
check "pkg-config --modversion libndctl-xen is $upstream" \
	in_target sh -c "test \"\$(pkg-config --modversion libndctl-xen)\" = '$upstream'"

say "apt-get purge"
check "the packages purge cleanly" \
	in_target apt-get purge -y -q ndctl-xen libndctl-xen1 libndctl-xen-dev
HOST_INSTALLED=
check "nothing of them is left" in_target sh -c \
	'! test -e /usr/bin/ndctl-xen && ! ls /usr/lib/*/libndctl-xen* /usr/include/ndctl/libndctl-xen.h 2>/dev/null'

say "done in $((SECONDS - start)) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
