#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A production build (meson's default options) carries no fault injection:
# the strings of the built library and binary hold none of the hook's names
# or its environment variable.  A -Dtest-hooks=true build (the rig's and
# the power-cut tests') cannot pass this check by design: there the test
# checks that the detector does find the hooks (so that it can fail), and
# is then skipped with the reason.  CI runs the real check in the default
# builds of scripts/test-dist.sh (the release tarball) and
# scripts/test-deb.sh (the Debian packages' build-time tests).
. "$(dirname "$0")/common"

LIB=$(ls "$NDX_BUILD"/lib/libndctl-xen.so.1.*.* 2> /dev/null | grep -v '\.p$' | head -n 1)
[ -n "$LIB" ] && [ -f "$LIB" ] || { echo "$TEST_NAME: no libndctl-xen.so.1.x.y in $NDX_BUILD/lib" >&2; exit 1; }
command -v strings > /dev/null || { echo "$TEST_NAME: strings (binutils) not installed" >&2; exit 1; }
# the real binary, not the valgrind wrapper common may put in $NDX
BIN=$NDX_BUILD/ndctl/ndctl-xen
PATTERN='NDCTL_XEN_FAULT|fault_(wanted|stop|spoil|torn)|ndx_pfn_sb_spoil|stop:(raw|journal|torn|block)'

hooks=$(sed -n 's/^#define NDX_TEST_HOOKS \([01]\)$/\1/p' "$NDX_BUILD/config.h")
[ -n "$hooks" ] || { echo "$TEST_NAME: $NDX_BUILD/config.h has no NDX_TEST_HOOKS" >&2; exit 1; }

for f in "$LIB" "$BIN"; do
	found=$(strings -a "$f" | grep -E "$PATTERN" | sort -u | paste -sd ' ' || true)
	if [ "$hooks" = 1 ]; then
		# the detector must see the hooks where they are
		[ "$f" = "$BIN" ] || check "test-hooks build: the detector finds the hooks in $(basename "$f")" \
			test -n "$found"
	elif [ -n "$found" ]; then
		fail "$(basename "$f") carries test hooks: $found"
	else
		pass
		echo "  ok: $(basename "$f"): no NDCTL_XEN_FAULT, no fault_* names"
	fi
done
if [ "$hooks" = 1 ]; then
	finish > /dev/null || { finish; exit 1; }
	skip "this build has -Dtest-hooks=true (the detector found them, as it must);" \
		"the production check runs on default builds (scripts/test-dist.sh, scripts/test-deb.sh)"
fi
finish
