#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bash completion covers every command of the command table and every long
# option that each command's --help names (and, for a command whose --help
# lists subcommands under "Commands:" or "Subcommands:", or as a group
# (a|b) or {a|b} on its usage line, every subcommand and its options), so a
# new command or option is covered, or this fails.
# Also: every long option the CLI's getopt tables declare is named by some
# --help, and the fixed option values complete.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
COMPLETION=$SRC/contrib/bash-completion/ndctl-xen

# the completion calls the binary by the name in COMP_WORDS[0]; not
# through valgrind (NDX_VALGRIND): this test's own --help runs are
mkdir "$TMP/bin"
ln -s "$NDX_BUILD/ndctl/ndctl-xen" "$TMP/bin/ndctl-xen"
PATH=$TMP/bin:$PATH
# shellcheck source=../contrib/bash-completion/ndctl-xen
. "$COMPLETION"
registered() { complete -p ndctl-xen | grep -q -- '-F _ndctl_xen ndctl-xen$'; }
check "completion registered for ndctl-xen" registered

# complete WORD...: COMPREPLY for the command line "WORD..." with the
# cursor at the end of the last word, as bash splits it (at "=" too)
complete_line() {
	local line="$*" w
	COMP_WORDS=()
	for w in "$@"; do
		if [[ $w == --*=* ]]; then
			COMP_WORDS+=("${w%%=*}" "=")
			[ -n "${w#*=}" ] && COMP_WORDS+=("${w#*=}")
		else
			COMP_WORDS+=("$w")
		fi
	done
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	_ndctl_xen
}
# offers WORD LINE...: the completion of LINE includes WORD
offers() {
	local want=$1 r
	shift
	complete_line "$@"
	for r in "${COMPREPLY[@]}"; do
		[ "$r" = "$want" ] && return 0
	done
	echo "'$*<TAB>' offers: ${COMPREPLY[*]:-nothing}; not $want" >&2
	return 1
}

# the long options a --help names, as the user sees them: --name or --name=
help_opts() {
	grep -oE -- '(^|[^[:alnum:]_-])--[[:alnum:]][[:alnum:]_-]*=?' | sed -E 's/^[^-]*//' | sort -u
}
help_subcmds() {
	awk -v cmd="${1:-}" '/^[[:space:]]*(Sub)?[Cc]ommands:[[:space:]]*$/ { on = 1; next }
		on && /^[[:space:]]*$/ { on = 0 }
		on && /^[[:space:]]+[[:alnum:]]/ && $1 !~ /^-/ { print $1 }
		cmd != "" && $1 == "ndctl-xen" && $2 == cmd && !seen[$3]++ { print $3 }
	/^usage:/ { for (i = 3; i <= NF; i++) if ($i ~ /^[({<][[:alnum:]][[:alnum:]-]*(\|[[:alnum:]][[:alnum:]-]*)+[)}>]$/) {
		n = split(substr($i, 2, length($i) - 2), alt, "|"); for (j = 1; j <= n; j++) print alt[j] } }'
}

cmds=$("$NDX" --list-cmds)
check "--list-cmds lists commands" test -n "$cmds"
"$NDX" --help | help_subcmds "" > "$TMP/help-cmds"
check "--list-cmds is the table --help shows" diff -u "$TMP/help-cmds" <(printf '%s\n' "$cmds")
check "top level offers --version" offers --version ndctl-xen --v

: > "$TMP/all-opts"
# sub_help CMD SUB: when CMD's help has a usage line per subcommand
# ("ndctl-xen CMD SUB ..."), SUB's lines and the option lines; else all
sub_help() {
	"$NDX" "$1" "$2" --help | awk -v cmd="$1" -v want="$2" '
		$1 == "ndctl-xen" && $2 == cmd { per = 1 } { l[NR] = $0; w1[NR] = $1; w2[NR] = $2; w3[NR] = $3 }
		END { for (i = 1; i <= NR; i++)
			if (!per || (w1[i] == "ndctl-xen" && w2[i] == cmd && w3[i] == want) || l[i] ~ /^[[:space:]]+-/) print l[i] }'
}
# check_options WORD...: each long option of "ndctl-xen WORD... --help"
# (of the subcommand's usage line, for one) completes
check_options() {
	local where="$*" help opts o name
	if [ $# = 2 ]; then
		"$NDX" "$@" --help > /dev/null || { fail "'ndctl-xen $where --help' exits non-zero"; return; }
		help=$(sub_help "$@")
		# every option of the command's help is some subcommand's
		"$NDX" "$1" "$2" --help | help_opts >> "$TMP/all-opts"
	else
		help=$("$NDX" "$@" --help) || { fail "'ndctl-xen $where --help' exits non-zero"; return; }
	fi
	opts=$(printf '%s\n' "$help" | help_opts)
	check "'$where --help' names --help" grep -qx -- --help <<< "$opts"
	for o in $opts; do
		name=${o%=}
		echo "$name" >> "$TMP/all-opts"
		# the whole name, and from "--"; "--name=" when it takes a value
		if grep -qxF -- "$name=" <<< "$opts"; then o=$name=; fi
		check "ndctl-xen $where $name<TAB>" offers "$o" ndctl-xen "$@" "$name"
		check "ndctl-xen $where --<TAB> offers $o" offers "$o" ndctl-xen "$@" --
	done
}

for cmd in $cmds; do
	check "ndctl-xen <TAB> offers $cmd" offers "$cmd" ndctl-xen ""
	check "ndctl-xen ${cmd:0:2}<TAB> offers $cmd" offers "$cmd" ndctl-xen "${cmd:0:2}"
	check_options "$cmd"
	subs=$("$NDX" "$cmd" --help | help_subcmds "$cmd")
	for sub in $subs; do
		check "ndctl-xen $cmd <TAB> offers $sub" offers "$sub" ndctl-xen "$cmd" ""
		check_options "$cmd" "$sub"
	done
done

# every long option in the getopt tables is named by some --help (so it
# completes); the tables are the { "name", *_argument, ... } rows
grep -ohE '\{ *"[[:alnum:]_-]+", *(no|required|optional)_argument' "$SRC"/ndctl/*.[ch] |
	sed -E 's/^\{ *"([^"]*)".*/--\1/' | sort -u > "$TMP/table-opts"
sort -u "$TMP/all-opts" > "$TMP/help-opts"
check "getopt tables hold long options" test -s "$TMP/table-opts"
missing=$(comm -23 "$TMP/table-opts" "$TMP/help-opts")
check "every getopt long option is in a --help${missing:+ (missing: $missing)}" test -z "$missing"

# a subcommand is offered its own options, not every subcommand's
# offers_not WORD LINE...: the completion of LINE does not include WORD
offers_not() {
	local nope=$1 r
	shift
	complete_line "$@"
	for r in "${COMPREPLY[@]}"; do
		[ "$r" = "$nope" ] && { echo "'$*<TAB>' offers $nope" >&2; return 1; }
	done
	return 0
}
if grep -qx map <<< "$cmds"; then
	check "map <TAB> offers show" offers show ndctl-xen map ""
	check "map show -- does not offer assign's --gfn=" offers_not --gfn= ndctl-xen map show --
	check "map assign -- offers --gfn=" offers --gfn= ndctl-xen map assign --
	check "map show --filter= offers assigned-broken" offers assigned-broken ndctl-xen map show --filter=
	check "map show --filter=free,bro offers free,broken" offers free,broken ndctl-xen map show --filter=free,bro
fi
check "create-namespace -m <TAB> offers sector" offers sector ndctl-xen create-namespace -m ""
check "create-namespace --mode <TAB> offers devdax" offers devdax ndctl-xen create-namespace --mode ""
check "create-namespace --type= offers blk" offers blk ndctl-xen create-namespace --type=
check "create-namespace -l <TAB> offers 4096" offers 4096 ndctl-xen create-namespace -l ""
check "list --mode= offers raw" offers raw ndctl-xen list --mode=
check "write-infoblock --reserve-per-page= offers xen-bigmem" offers xen-bigmem ndctl-xen write-infoblock --reserve-per-page=
check "create-namespace --reserve-per-page= offers xen" offers xen ndctl-xen create-namespace --reserve-per-page=
check "help <TAB> offers map" offers map ndctl-xen help ""
if command -v ndctl > /dev/null; then
	# ndctl's commands, which ndctl-xen runs ndctl for, and their options
	check "ndctl-xen <TAB> offers ndctl's zero-labels" offers zero-labels ndctl-xen ""
	check "ndctl-xen destroy-namespace -- offers --force" offers --force ndctl-xen destroy-namespace --
fi

# values
if grep -qx write-infoblock <<< "$cmds"; then
	check "--mode= offers devdax" offers devdax ndctl-xen write-infoblock --mode=
	check "--mode=fs offers fsdax" offers fsdax ndctl-xen write-infoblock --mode=fs
	check "--map= offers mem" offers mem ndctl-xen write-infoblock --map=
	check "--reserve-owner=h offers hypervisor" offers hypervisor ndctl-xen write-infoblock --reserve-owner=h
	check "--reserve-owner=n offers name: (a named owner)" offers name: ndctl-xen write-infoblock --reserve-owner=n
	touch "$TMP/image.raw"
	check "--output= offers files" offers "$TMP/image.raw" ndctl-xen write-infoblock "--output=$TMP/ima"
fi
finish
