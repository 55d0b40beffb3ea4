#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DKMS PRE_BUILD (dkms.conf): unpack drivers/nvdimm for kernel KVER from
# /usr/src/linux-source-X.Y.tar.xz and apply the patches, into ./src.
# The source must be the same Debian version as the kernel: libnvdimm's
# structures are shared with nd_pmem, dax_pmem and the rest of the kernel.
set -euo pipefail
kver=${1:?usage: dkms-source.sh KVER}
die() { echo "ndctl-xen-libnvdimm: $*" >&2; exit 1; }
[[ $kver =~ ^([0-9]+\.[0-9]+)[.-] ]] || die "'$kver' is not a kernel release"
line=${BASH_REMATCH[1]}
tarball=/usr/src/linux-source-$line.tar.xz
[ -f "$tarball" ] || die "no $tarball: apt-get install linux-source-$line"
have=$(dpkg-query -W -f='${Version}' "linux-source-$line" 2>/dev/null || true)
want=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
[ -n "$want" ] || die "linux-headers-$kver is not installed"
[ "$have" = "$want" ] ||
	die "linux-source-$line is $have, the kernel $kver is $want: apt-get install linux-source-$line=$want"
rm -rf src
bash ./prepare-source.sh "$tarball" src
