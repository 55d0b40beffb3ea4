#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages' EXAMPLE sections are run and their output compared with
# the page, so that a stale example fails.  How a page's sessions are
# read, run and compared, and the marks that say what not to run here
# (live, not run, needs) or what may differ (random), is in
# test/doc-sessions, which the rig's docs-live step shares to run the
# blocks marked live.  The sessions of a page run in order in one scratch
# directory, with this build's ndctl-xen first on PATH.  A block without
# one of those marks that is not a "$ " session fails.  Also: every
# rendered page's EXIT STATUS is a list (each status on a line of its
# own), when the pages are built.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/test/doc-sessions"
mkdir "$TMP/bin"
ln -s "$NDX" "$TMP/bin/ndctl-xen"
SKIPPED=0
# Pages whose examples another branch is rewriting (the infoblock
# commands' output): their failures are listed, not failed.  Empty this
# list once that branch is in.
PENDING_PAGES=""
# fail_example MESSAGE: a failure, or a pending one on a PENDING_PAGES page
fail_example() {
	if [[ " $PENDING_PAGES " == *" $name "* ]]; then
		echo "PENDING: $*"
		PENDING_FAILED=$((PENDING_FAILED + 1))
	else
		fail "$*"
	fi
}
PENDING_FAILED=0

for page in "$SRC"/Documentation/*.txt; do
	name=$(basename "$page" .txt)
	dir=$TMP/run-$name
	mkdir "$dir" "$TMP/blocks-$name"
	doc_blocks "$page" "$TMP/blocks-$name"
	n=0
	while [ -e "$TMP/blocks-$name/$((n + 1))" ]; do
		n=$((n + 1))
		b=$TMP/blocks-$name/$n
		if why=$(doc_mark live "$b"); then
			echo "$name example $n: skipped (live: $why)"
			SKIPPED=$((SKIPPED + 1))
			continue
		fi
		if why=$(doc_mark "not run" "$b"); then
			echo "$name example $n: skipped (not run: $why)"
			SKIPPED=$((SKIPPED + 1))
			continue
		fi
		if prog=$(doc_mark needs "$b") && ! command -v "$prog" > /dev/null; then
			echo "$name example $n: skipped (needs $prog, not installed)"
			SKIPPED=$((SKIPPED + 1))
			continue
		fi
		if ! doc_is_session "$b"; then
			fail_example "$name example $n: not a \$ session and not marked live or not run"
			continue
		fi
		if doc_marked setup "$b"; then
			fail_example "$name example $n: a setup mark on a block not marked live"
			continue
		fi
		PATH=$TMP/bin:$PATH doc_run "$b" "$dir"
		if doc_compare "$b"; then
			pass
		else
			fail_example "$name example $n is stale (- the page, + what it prints now):"
			cat "$b.diff" >&2
		fi
	done
done
echo "$SKIPPED examples skipped (marked); $PENDING_FAILED failures on pending pages ($PENDING_PAGES)"

# EXIT STATUS as a list in every built page
pages=$(ls "$NDX_BUILD"/Documentation/*.[137] 2> /dev/null || :)
if [ -n "$pages" ] && command -v man > /dev/null; then
	for p in $pages; do
		MANWIDTH=80 man -l "$p" 2> /dev/null | awk '/^EXIT STATUS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' > "$TMP/exit"
		[ -s "$TMP/exit" ] || continue
		# a list: "       0" alone on a line, its text indented below;
		# garbled: "*1*::" or two statuses run together in one paragraph
		check "$(basename "$p"): EXIT STATUS renders as a list" \
			sh -c "grep -Eq '^ +[0-9]+\$' '$TMP/exit' && ! grep -Eq '\\*[0-9]\\*|[^0-9]::' '$TMP/exit'"
	done
else
	echo "EXIT STATUS rendering not checked: pages not built or man missing"
fi
finish
