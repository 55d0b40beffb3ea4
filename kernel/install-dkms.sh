#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# install-dkms.sh: register the patched libnvdimm.ko with DKMS, which builds
# it for every installed kernel (and each new one) from the matching
# linux-source-X.Y package and installs it in /lib/modules/KVER/updates/dkms.
#
#   kernel/install-dkms.sh [-k KVER]      add, build and install (default:
#                                         the running kernel)
#   kernel/install-dkms.sh --remove       remove it from every kernel
#
# Needs: dkms, linux-headers-KVER, linux-source-X.Y of the same Debian
# version, make, patch, gcc-12, and dwarves (pahole) for 6.12's module BTF.
# Run as root.  See kernel/README.md for the taint and Secure Boot.
set -euo pipefail
KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "install-dkms: $*" >&2; exit 1; }
name=ndctl-xen-libnvdimm
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$KDIR/../meson.build" | head -n 1)
[ -n "$version" ] || die "no version in meson.build"
dest=/usr/src/$name-$version
command -v dkms > /dev/null || die "dkms is not installed (apt-get install dkms)"
kver=$(uname -r)
case ${1:-} in
--remove)
	dkms remove -m "$name" -v "$version" --all || true
	rm -rf "$dest"
	echo "install-dkms: removed; run update-initramfs -u -k all to drop it from the initramfs"
	exit 0 ;;
-k) kver=${2:?-k needs a kernel release} ;;
'') ;;
*) die "usage: $0 [-k KVER] | --remove" ;;
esac
rm -rf "$dest"
mkdir -p "$dest/patches"
sed "s/@VERSION@/$version/" "$KDIR/dkms/dkms.conf" > "$dest/dkms.conf"
install -m 0755 "$KDIR/dkms/dkms-source.sh" "$KDIR/prepare-source.sh" "$dest/"
install -m 0644 "$KDIR"/patches/0*.patch "$dest/patches/"
dkms add -m "$name" -v "$version"
dkms install -m "$name" -v "$version" -k "$kver"
echo "install-dkms: installed for $kver; run update-initramfs -u -k $kver, then reboot"
