#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every test, as CI runs it (.ci/run), in stages:
#   deps          scripts/install-deps.sh --all (apt on a fresh machine)
#   build         gcc, warnings as errors (the build the 6.1 rig boots)
#   build-asan    the same with ASan and UBSan (the build the 6.12 rig boots)
#   build-fuzz    clang with libFuzzer
#   kernels       the rig's packages, Debian's newest 6.1 and 6.12 kernel and Xen 4.17
#                 packages (apt-get download; before test-deb's apt runs
#                 beside the rig), and libnvdimm.ko with kernel/patches/
#                 built for each (kernel/build-module.sh, cached); it runs
#                 beside the unit stages, which wait for nothing from it
#   unit-offline  the unit, offline, docs and collection (Ansible) suites (gcc build)
#   unit-asan     the unit and offline suites under ASan/UBSan
#   kernel-6.1    the whole kernel suite (test/rig/suite.sh) on Debian's 6.1
#                 kernel with the gcc build
#   kernel-6.12   the whole kernel suite on Debian's 6.12 kernel with the
#                 ASan/UBSan build: every ndctl-xen, forge-infoblock and
#                 example run in the guest is instrumented, and a sanitizer
#                 report fails the test (README, "Sanitizers")
#   deb           the Debian packages (scripts/test-deb.sh)
#   valgrind      the offline suite with every ndctl-xen run under memcheck
#   fuzz          libFuzzer smoke runs
#   dist          the release tarball (scripts/test-dist.sh)
#   bench         every benchmark under bench/ once in its short mode
#                 (bench/all.sh): a broken benchmark fails CI; the figures
#                 are printed in the stage log, never asserted
# The two kernel stages run side by side (one QEMU per core); deb, valgrind,
# fuzz, dist and bench run one after another beside them (deb first: it mostly
# waits on apt and debootstrap).  Each stage's output goes to
# $NDX_CI_LOGS/STAGE.log (default ci-logs/) and is printed when the stage
# ends.  At the end: a table of stages with their wall times, a line
# "ci: N passed, N failed" and, if one failed, a last line naming it.
# Exits non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=${NDX_CI_LOGS:-$PWD/ci-logs}
rm -rf "$LOGS"
mkdir -p "$LOGS"
T0=$SECONDS
ORDER=()

# stage NAME CMD...: run CMD, its output to the console and LOGS/NAME.log
stage() {
	local name=$1 t0=$SECONDS rc=0; shift
	ORDER+=("$name")
	echo "=== stage $name: started at $((SECONDS - T0)) s"
	"$@" > >(tee "$LOGS/$name.log") 2>&1 || rc=$?
	wait
	echo "$name $rc $((SECONDS - t0)) $((t0 - T0))" > "$LOGS/$name.result"
	echo "=== stage $name: $([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)") in $((SECONDS - t0)) s"
	return 0
}
# bg_stage NAME CMD...: the same in the background, output printed at its end
bg_stage() {
	local name=$1 t0=$SECONDS rc=0; shift
	"$@" > "$LOGS/$name.log" 2>&1 || rc=$?
	echo "$name $rc $((SECONDS - t0)) $((t0 - T0))" > "$LOGS/$name.result"
	{
		echo "=== stage $name (started at $((t0 - T0)) s, ran beside others):"
		cat "$LOGS/$name.log"
		echo "=== stage $name: $([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)") in $((SECONDS - t0)) s"
	} | flock "$LOGS/.print" cat
}

table() {
	local name rc secs start passed=0 failed=0 failures=()
	echo
	echo "ci: stage          result  wall    started"
	for name in "${ORDER[@]}"; do
		if [ -f "$LOGS/$name.result" ]; then
			read -r _ rc secs start < "$LOGS/$name.result"
		else
			rc=- secs=- start=-
		fi
		if [ "$rc" = 0 ]; then passed=$((passed + 1)); else
			failed=$((failed + 1)); failures+=("$name"); fi
		printf 'ci: %-14s %-7s %5s s %6s s\n' "$name" \
			"$([ "$rc" = 0 ] && echo pass || { [ "$rc" = - ] && echo "not run" || echo FAIL; })" "$secs" "$start"
	done
	printf 'ci: %-14s %-7s %5s s\n' total "" $((SECONDS - T0))
	echo "ci: $passed passed, $failed failed"
	[ "$failed" = 0 ] || echo "ci: FAILED: ${failures[*]} (logs: $LOGS/STAGE.log)"
	[ "$failed" = 0 ]
}
trap 'table; exit $?' EXIT
trap 'exit 130' INT TERM

setup() {
	local dir=$1; shift
	if [ -d "$dir" ]; then meson setup "$dir" --reconfigure "$@" > /dev/null
	else meson setup "$dir" "$@"; fi
}
build() { local dir=$1; shift; setup "$dir" "$@" && ninja -C "$dir"; }
# the kernel suite of one kernel from one build dir (meson test by name)
kernel() { meson test -C "$1" --verbose "rig-$2"; }
# one test at a time: it runs beside the two QEMUs, which are the long pole
valgrind_offline() { meson test -C build --setup valgrind --suite offline --print-errorlogs --num-processes 1; }
fuzz() { meson test -C build-fuzz --suite fuzz --print-errorlogs; }

stage deps bash scripts/install-deps.sh --all
stage build build build -Dtest-hooks=true
stage build-asan build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Ddocs=disabled -Dtest-hooks=true
CC=clang stage build-fuzz build build-fuzz -Dfuzz=true -Ddocs=disabled
ORDER+=(kernels)
bg_stage kernels sh -c 'for k in 6.1 6.12; do bash test/rig/rig.sh --kernel $k --build build --xen --fetch-only --patched-libnvdimm || exit 1; done' &
KERNELS_PID=$!
stage unit-offline meson test -C build --suite unit --suite offline --suite docs --suite collection --print-errorlogs --num-processes 2
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	stage unit-asan meson test -C build-asan --suite unit --suite offline --print-errorlogs --num-processes 2

wait "$KERNELS_PID"
ORDER+=(kernel-6.1 kernel-6.12 deb valgrind fuzz dist bench)
echo "=== stages kernel-6.1, kernel-6.12 and deb, valgrind, fuzz, dist, bench (in turn) run side by side from $((SECONDS - T0)) s"
bg_stage kernel-6.1 kernel build 6.1 &
bg_stage kernel-6.12 kernel build-asan 6.12 &
{
	bg_stage deb bash scripts/test-deb.sh
	bg_stage valgrind valgrind_offline
	bg_stage fuzz fuzz
	bg_stage dist bash scripts/test-dist.sh
	bg_stage bench bash bench/all.sh
} &
wait
