#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# prepare-source.sh: the source tree libnvdimm.ko is built from, out of
# tree: drivers/nvdimm (and the ABI file the series touches) from Debian's
# kernel source, the patch series applied, and a Kbuild file that builds
# libnvdimm as a module.  Used by build-module.sh and by the DKMS package.
#
#   kernel/prepare-source.sh SOURCE DEST
#
# SOURCE  Debian's linux-source-X.Y package (.deb) or the tarball it installs
#         (/usr/src/linux-source-X.Y.tar.xz)
# DEST    an empty or missing directory; the module directory is
#         DEST/drivers/nvdimm
set -euo pipefail

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "prepare-source: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 linux-source-X.Y_*.deb|linux-source-X.Y.tar.xz DEST"
src=$1 dest=$2
patches=("$KDIR"/patches/0[0-9][0-9][1-9]-*.patch)
[ -f "${patches[0]}" ] || die "no patches in $KDIR/patches"
[ -f "$src" ] || die "no such file: $src"

# the tarball's name gives its top directory, linux-source-X.Y
case $src in
*.deb)
	tarball=$(dpkg-deb --fsys-tarfile "$src" | tar -t | grep -m1 -E '^\./usr/src/linux-source-[0-9.]+\.tar\.xz$') ||
		die "$src holds no /usr/src/linux-source-X.Y.tar.xz"
	top=$(basename "$tarball" .tar.xz)
	unpack() { dpkg-deb --fsys-tarfile "$src" | tar -xO "$tarball" | xz -dc; } ;;
*.tar.xz)
	top=$(basename "$src" .tar.xz)
	unpack() { xz -dc "$src"; } ;;
*) die "$src is neither a .deb nor a .tar.xz" ;;
esac
[[ $top =~ ^linux-source-[0-9]+\.[0-9]+$ ]] || die "$src is not Debian's linux-source-X.Y"

mkdir -p "$dest"
[ -z "$(ls -A "$dest")" ] || die "$dest is not empty"
unpack | tar -x -C "$dest" --strip-components=1 --wildcards \
	"$top/drivers/nvdimm/*" "$top/Documentation/ABI/testing/sysfs-bus-nvdimm"
for p in "${patches[@]}"; do
	patch -p1 -s -f --no-backup-if-mismatch -d "$dest" < "$p" ||
		die "$(basename "$p") does not apply to $top"
done
# drivers/nvdimm/Makefile's object lists, and libnvdimm as a module (its
# obj- lines name built-in parts and other modules this build leaves alone)
m=$dest/drivers/nvdimm
{ grep -v '^obj-' "$m/Makefile"; echo 'obj-m += libnvdimm.o'; } > "$m/Kbuild"
