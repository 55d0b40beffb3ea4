#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The page map against a linked list of ranges and against 32-byte
# per-page records, over a 1 TiB data area fragmented into 100,000
# ranges: 1,000,000 mixed operations on the tree, the first 20,000 of the
# same sequence on the list (its rate is per operation and steady; a full
# run would take about 5 minutes), operations per second, bytes per
# range and the ratios.  No rig needed.
#   bench/pagemap.sh [--build DIR] [OPS [LIST_OPS [RANGES]]]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = --build ]; then
	build=$2
	shift 2
fi
ninja -C "$build" bench/bench-pagemap > /dev/null
"$build/bench/bench-pagemap" "$@"
