#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every test: dependencies, then
#  1. a gcc build with warnings as errors and all meson suites (unit,
#     offline, docs, kernel: the rig boots Debian's 6.1 and 6.12 kernels
#     under QEMU, both at once: acceptance, create-namespace, list, the
#     bad-input matrix and power cuts);
#  2. the unit, offline and kernel suites again, built with ASan and UBSan
#     (in the rig, every tool in the guest runs instrumented);
#  3. the offline suite with every ndctl-xen run under valgrind memcheck;
#  4. a clang build with libFuzzer for the fuzz smoke runs;
#  5. meson dist: the tarball builds and passes the unit, offline and docs
#     suites on its own (scripts/test-dist.sh, about 1 minute);
#  6. the Debian packages: built, lintian, installed into a clean debootstrap
#     root, checked and purged (scripts/test-deb.sh, 1.5-2.5 minutes).
# Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

setup() {
	local dir=$1; shift
	if [ -d "$dir" ]; then meson setup "$dir" --reconfigure "$@" > /dev/null
	else meson setup "$dir" "$@"; fi
}

setup build -Dtest-hooks=true
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Ddocs=disabled -Dtest-hooks=true
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --suite offline --suite kernel --print-errorlogs --num-processes 2

meson test -C build --setup valgrind --suite offline --print-errorlogs --num-processes 2

CC=clang setup build-fuzz -Dfuzz=true -Ddocs=disabled
ninja -C build-fuzz
meson test -C build-fuzz --suite fuzz --print-errorlogs

bash scripts/test-dist.sh

bash scripts/test-deb.sh
