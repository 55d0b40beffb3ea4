#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what ndctl-xen needs on a fresh Debian 12 machine.  Run as root.
# Skips apt when all are present.
#   scripts/install-deps.sh         building it and running the main job
#                                   (scripts/demo.sh; the emulated run's QEMU
#                                   and kernel tools are installed by the rig)
#   scripts/install-deps.sh --all   also everything the tests use
#                                   (scripts/test-all.sh, CI)
set -euo pipefail

PKGS=(
	gcc libc6-dev meson ninja-build pkg-config
	libndctl-dev libdaxctl-dev libjson-c-dev uuid-dev libkmod-dev libblkid-dev
	ndctl jq
)
case "${1:-}" in
'') ;;
--all)
	PKGS+=(clang libclang-rt-14-dev daxctl xxd asciidoctor groff-base valgrind strace
		qemu-system-x86 busybox-static kmod cpio xz-utils git e2fsprogs util-linux
		python3 ansible-core
		python3-venv python3-voluptuous python3-pycodestyle yamllint
		make patch gcc-12 bc flex bison libelf-dev dwarves) ;;
*)
	echo "install-deps: unknown argument '$1' (none: build and the main job; --all: every test's too)" >&2
	exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
