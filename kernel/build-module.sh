#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build-module.sh: build libnvdimm.ko with the patch series in
# kernel/patches/ for one of Debian's kernels, out of tree, from Debian's
# linux-source-X.Y and linux-headers-KVER packages.
#
#   kernel/build-module.sh [--cache DIR] [--stock FILE] [--out FILE] KVER
#
# KVER          the kernel release, as uname -r prints it (6.1.0-57-amd64,
#               6.12.118+deb12-amd64)
# --cache DIR   where the .deb files and finished builds are kept (default
#               $NDCTL_XEN_RIG_CACHE or /var/cache/ndctl-xen-rig): one build
#               per kernel release and patch series, reused after that
# --stock FILE  Debian's own libnvdimm.ko for KVER, to check that the
#               build's vermagic and symbol CRCs match it (default: the one
#               in /lib/modules/KVER, else in the rig's unpacked kernel)
# --out FILE    also copy the module there
#
# Prints the path of the built module on stdout (everything else goes to
# stderr).  Needs apt-get (the first time for each kernel), dpkg-deb, xz,
# patch, make, gcc-12, bc, flex, bison, libelf-dev, and pahole (dwarves)
# where the headers ship vmlinux (6.12): without pahole the module is built
# without BTF.  The headers are unpacked with dpkg -x, not installed, so
# nothing outside the cache changes.
set -euo pipefail

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "build-module: $*" >&2; }
die() { echo "build-module: $*" >&2; exit 1; }
usage() { sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cache=${NDCTL_XEN_RIG_CACHE:-/var/cache/ndctl-xen-rig} stock= out= kver=
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--stock) stock=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$kver" ] || usage; kver=$1; shift ;;
	esac
done
[ -n "$kver" ] || usage
[[ $kver =~ ^([0-9]+\.[0-9]+)[.-][0-9A-Za-z.+~-]+$ ]] ||
	die "'$kver' is not a kernel release (uname -r, e.g. 6.1.0-57-amd64)"
line=${BASH_REMATCH[1]}
patches=("$KDIR"/patches/0[0-9][0-9][1-9]-*.patch)
[ -f "${patches[0]}" ] || die "no patches in $KDIR/patches"
start=$SECONDS

debs=$cache/kmod-debs
mkdir -p "$debs"

# the version of the headers package, from apt or, offline, the cache
hdr_pkg=linux-headers-$kver
version=$(apt-cache show "$hdr_pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
	f=$(ls "$debs/${hdr_pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
	[ -n "$f" ] || die "apt knows no package $hdr_pkg and none is in $debs"
	version=$(dpkg-deb -f "$f" Version)
fi

# fetch PKG VERSION: the .deb into the cache (once); prints its path
fetch() {
	local f
	f=$(ls "$debs/${1}_${2/:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$f" ]; then
		say "downloading $1 $2"
		(cd "$debs" && apt-get download "$1=$2" >/dev/null 2>&1) ||
			die "apt-get download $1=$2 failed"
		f=$(ls "$debs/${1}_${2/:/%3a}_"*.deb | head -n 1)
	fi
	echo "$f"
}
hdr_deb=$(fetch "$hdr_pkg" "$version")
# the common headers and kbuild packages the arch headers depend on
deps=$(dpkg-deb -f "$hdr_deb" Depends | tr ',|' '\n\n' | awk '{ print $1 }')
common_pkg=$(grep -E '^linux-headers-.*-common$' <<< "$deps") ||
	die "$hdr_deb depends on no linux-headers-*-common"
kbuild_pkg=$(grep -E '^linux-kbuild-' <<< "$deps") ||
	die "$hdr_deb depends on no linux-kbuild-*"
common_deb=$(fetch "$common_pkg" "$version")
kbuild_deb=$(fetch "$kbuild_pkg" "$version")
src_deb=$(fetch "linux-source-$line" "$version")

# one build per kernel release and patch series
key=$(cat "${patches[@]}" "$0" "$KDIR/prepare-source.sh" | sha256sum | cut -c1-12)
dest=$cache/kmod/$kver-$key
if [ -f "$dest/libnvdimm.ko" ]; then
	say "reusing $dest/libnvdimm.ko"
else
	work=$cache/kmod/.$kver-$key.tmp
	rm -rf "$work"
	mkdir -p "$work/root" "$work/src"
	for f in "$hdr_deb" "$common_deb" "$kbuild_deb"; do dpkg -x "$f" "$work/root"; done
	hdr=$work/root/usr/src/linux-headers-$kver
	# the arch headers' Makefile includes the common one by its installed
	# (absolute) path: point it at the unpacked copy
	sed -i "s|^include /usr/src/|include $work/root/usr/src/|" "$hdr/Makefile"
	grep -q "^include $work/root/" "$hdr/Makefile" ||
		die "$hdr/Makefile does not include the common headers as expected"
	say "unpacking drivers/nvdimm from linux-source-$line $version, applying kernel/patches"
	bash "$KDIR/prepare-source.sh" "$src_deb" "$work/src"
	m=$work/src/drivers/nvdimm
	btf=()
	if [ -f "$hdr/vmlinux" ] && ! command -v pahole >/dev/null; then
		say "no pahole (package dwarves): building without module BTF"
		btf=(CONFIG_DEBUG_INFO_BTF_MODULES=)
	fi
	say "building libnvdimm.ko for $kver"
	make -s -C "$hdr" M="$m" -j"$(nproc)" "${btf[@]}" modules >&2 ||
		die "the module build failed"
	# the exports and their CRCs must be those of Debian's build
	awk '$3 ~ /drivers\/nvdimm\/libnvdimm$/ { print $1, $2 }' "$hdr/Module.symvers" |
		sort > "$work/exports.debian"
	awk '{ print $1, $2 }' "$m/Module.symvers" | sort > "$work/exports.built"
	[ -s "$work/exports.debian" ] && cmp -s "$work/exports.debian" "$work/exports.built" ||
		die "the exported symbols or their CRCs differ from Debian's Module.symvers: $(diff "$work/exports.debian" "$work/exports.built" | head -n 5 | tr '\n' ' ')"
	say "exports: $(wc -l < "$work/exports.built") symbols, CRCs as in Debian's Module.symvers"
	mkdir -p "$dest"
	cp "$m/libnvdimm.ko" "$dest/"
	rm -rf "$work"
fi
ko=$dest/libnvdimm.ko

# it must load into Debian's kernel as Debian's own module does
magic=$(modinfo -F vermagic "$ko")
[[ $magic == "$kver "* ]] || die "vermagic '$magic' is not for $kver"
if [ -z "$stock" ]; then
	for f in /lib/modules/"$kver"/kernel/drivers/nvdimm/libnvdimm.ko \
			"$cache/linux-image-$kver/lib/modules/$kver/kernel/drivers/nvdimm/libnvdimm.ko"; do
		[ -f "$f" ] && { stock=$f; break; }
	done
fi
if [ -n "$stock" ]; then
	[ "$(modinfo -F vermagic "$stock")" = "$magic" ] ||
		die "vermagic '$magic' differs from $stock's '$(modinfo -F vermagic "$stock")'"
	# every symbol both import must carry the same CRC; exports likewise
	bad=$(join <(modprobe --dump-modversions "$stock" | awk '{ print $2, $1 }' | sort) \
		<(modprobe --dump-modversions "$ko" | awk '{ print $2, $1 }' | sort) |
		awk '$2 != $3 { print $1 }')
	[ -z "$bad" ] || die "import CRCs differ from $stock's: $bad"
	say "vermagic and import CRCs match $stock"
else
	say "no stock libnvdimm.ko for $kver to compare with: vermagic '$magic' only"
fi
[ -z "$out" ] || cp "$ko" "$out"
say "done in $((SECONDS - start))s"
echo "$ko"
