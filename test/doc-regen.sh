#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# doc-regen.sh CONSOLE_LOG: put what the rig's docs-live step printed for
# each stale live example (its "what it prints now, unmasked" lines) into
# the page, in place of the block's old output.  Only for a block of one
# command (its continuation lines included): a session of several
# commands interleaves their outputs, and is named for regenerating by
# hand.  Review the change (git diff) before committing it: this copies
# what ran, it does not judge it.
#   test/rig/rig.sh --kernel 6.12 --build build docs-live
#   test/doc-regen.sh build/rig-work-6.12/console-docs-live.log
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# = 1 ] && [ -f "$1" ] || { echo "usage: $0 CONSOLE_LOG" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# the stale blocks: "PAGE N" in $TMP/stale, their new output in $TMP/PAGE.N
tr -d '\r' < "$1" | awk -v out="$TMP/" '
	/^FAIL .* example [0-9]+ is stale/ { if (on) close(f); on = 0; page = $2; n = $4; f = out page "." n; print page, n > (out "stale"); next }
	/^  what it prints now, unmasked/ { on = (f != ""); printf "" > f; next }
	on && /^  > / { print substr($0, 5) > f; next }
	on && /^  >$/ { print "" > f; next }
	on { on = 0; close(f); f = "" }
'
[ -s "$TMP/stale" ] || { echo "no stale live example in $1"; exit 0; }
rc=0
while read -r page n; do
	p=$SRC/Documentation/$page.txt
	[ -f "$p" ] || { echo "$page: no $p" >&2; rc=1; continue; }
	if awk -v want="$n" -v new="$TMP/$page.$n" '
		/^== / { on = ($0 ~ /^== EXAMPLES?$/) }
		on && /^----$/ {
			if (!inb) { blk++; inb = 1; first = 1; print; next }
			inb = 0
			if (blk == want) { while ((getline l < new) > 0) print l; if (cmds != 1) bad = 1 }
			print; next
		}
		inb && blk == want {
			if (first || cont) { if (!cont) cmds++; first = 0; cont = ($0 ~ /\\$/); print; next }
			if ($0 ~ /^[$#] /) { cmds++; print; next }
			next
		}
		{ print }
		END { exit bad }
	' "$p" > "$TMP/page"; then
		cp "$TMP/page" "$p"
		echo "$page example $n: regenerated"
	else
		echo "$page example $n: more than one command; regenerate it by hand from the console log" >&2
		rc=1
	fi
done < "$TMP/stale"
exit $rc
