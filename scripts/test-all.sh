#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every test: dependencies, a gcc build with warnings as errors and all
# meson suites (unit, offline, docs, kernel: the rig boots Debian's 6.1
# and 6.12 kernels under QEMU), then a clang build with libFuzzer for the
# fuzz smoke run.  Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

meson setup build --reconfigure >/dev/null 2>&1 || meson setup build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

CC=clang meson setup build-fuzz -Dfuzz=true -Ddocs=disabled --reconfigure >/dev/null 2>&1 ||
	CC=clang meson setup build-fuzz -Dfuzz=true -Ddocs=disabled
ninja -C build-fuzz
meson test -C build-fuzz --suite fuzz --print-errorlogs
