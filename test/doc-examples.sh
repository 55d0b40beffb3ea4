#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages' EXAMPLE sections are run and their output compared with
# the page, so that a stale example fails.  In each Documentation/*.txt,
# every ---- block under "== EXAMPLE" is a shell session: "$ COMMAND"
# lines (a trailing backslash continues one), each followed by what it
# prints (stdout and stderr, as a terminal shows them).  The commands of a
# page run in order in one scratch directory, with this build's ndctl-xen
# first on PATH.  An asciidoc comment line just before a block says what
# the test cannot do with it:
#   // example: live: WHY      needs a live host (NVDIMMs, root): skipped, saying why
#   // example: not run: WHY   not a shell session (C code, a program's output)
#   // example: needs: PROGRAM  runs only where PROGRAM is installed
#   // example: random: uuid   a uuid (and the checksum over it) the command
#                              generates: compared with any uuid/checksum
# A block without one of those that is not a "$ " session fails.  Also:
# every rendered page's EXIT STATUS is a list (each status on a line of
# its own), when the pages are built.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
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

# blocks PAGE: each EXAMPLE block as "MARK\tLINE" records, blocks ended by \f
blocks() {
	awk '
		/^== / { on = ($0 ~ /^== EXAMPLES?$/); next }
		!on { next }
		/^\/\/ example: / { mark = substr($0, 13); next }
		/^----$/ {
			if (inb) { printf "\f\n"; inb = 0; mark = "" }
			else { inb = 1; printf "%s\n", (mark == "" ? "-" : mark) }
			next
		}
		inb { print }
		!inb && !/^[[:space:]]*$/ && !/^\/\// { mark = "" }
	' "$1"
}

# run_block DIR: the session on stdin; the expected output into
# $TMP/want, the commands as one script (so that "echo $?" sees the
# command before it) run in DIR, stdout and stderr together, into $TMP/got
run_block() {
	local dir=$1 line cont=
	: > "$TMP/want"; : > "$TMP/script"
	while IFS= read -r line; do
		if [ -n "$cont" ]; then
			printf '%s\n' "$line" >> "$TMP/script"
		elif [[ $line == '$ '* ]]; then
			printf '%s\n' "${line#\$ }" >> "$TMP/script"
		else
			printf '%s\n' "$line" >> "$TMP/want"
			continue
		fi
		[[ $line == *\\ ]] && cont=1 || cont=
	done
	(cd "$dir" && PATH=$TMP/bin:$PATH bash "$TMP/script" > "$TMP/got" 2>&1) || :
}

random_mask() {
	sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' \
		-e 's/("?checksum"?[:=]? *"?)0x[0-9a-f]+/\1CHECKSUM/'
}

for page in "$SRC"/Documentation/*.txt; do
	name=$(basename "$page" .txt)
	dir=$TMP/run-$name
	mkdir "$dir"
	n=0
	blocks "$page" > "$TMP/blocks"
	[ -s "$TMP/blocks" ] || continue
	# split at \f: one file per block, its first line the mark
	mkdir "$TMP/blocks-$name"
	awk -v out="$TMP/blocks-$name/" 'BEGIN { n = 1; f = out n } /^\f$/ { close(f); n++; f = out n; next } { print > f }' "$TMP/blocks"
	for b in $(ls "$TMP/blocks-$name/" | sort -n); do
		b=$TMP/blocks-$name/$b
		[ -s "$b" ] || continue
		n=$((n + 1))
		mark=$(head -n1 "$b")
		case $mark in
		live:*|"not run:"*)
			echo "$name example $n: skipped (${mark%%:*}:${mark#*:})"
			SKIPPED=$((SKIPPED + 1))
			continue ;;
		"needs: "*)
			if ! command -v "${mark#needs: }" > /dev/null; then
				echo "$name example $n: skipped (needs ${mark#needs: }, not installed)"
				SKIPPED=$((SKIPPED + 1))
				continue
			fi ;;
		esac
		if ! sed -n 2p "$b" | grep -q '^\$ '; then
			fail_example "$name example $n: not a \$ session and not marked live or not run"
			continue
		fi
		tail -n +2 "$b" | run_block "$dir"
		if [ "$mark" = "random: uuid" ]; then
			random_mask < "$TMP/want" > "$TMP/want.m"; mv "$TMP/want.m" "$TMP/want"
			random_mask < "$TMP/got" > "$TMP/got.m"; mv "$TMP/got.m" "$TMP/got"
		fi
		if diff -au "$TMP/want" "$TMP/got" > "$TMP/diff"; then
			pass
		else
			fail_example "$name example $n is stale (- the page, + what it prints now):"
			cat "$TMP/diff" >&2
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
