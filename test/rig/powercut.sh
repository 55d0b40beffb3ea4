#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# powercut.sh: cut the power (SIGKILL QEMU) while ndctl-xen create-namespace
# runs, boot again on the same backing files, and check what is left
# (guest/powercut.sh does the guest side; one cut per boot).
#
#   test/rig/powercut.sh --kernel 6.1|6.12 [--build DIR] [--work DIR]
#                        [--cuts N | --schedule LIST] [--seed N]
#
# --schedule LIST  comma-separated OP:STOP items (default: the CI schedule,
#                  every targeted cut point plus random cuts of each kind)
# --cuts N         N random cuts instead, cycling over the operations
# Prints one line per cut and the outcome counts (old / new / third state);
# exits non-zero if any boot failed or any cut left a third state.
set -euo pipefail
RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

CI_SCHEDULE=fresh:raw,reconf1:torn,reconf2:random,reconf1:journal,refused:block,refused:restore-torn,fresh:random,reconf3:torn,reconf1:block,reconf3:random,refused:random
kernel= build=build work= schedule=$CI_SCHEDULE seed=$RANDOM
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--schedule) schedule=$2; shift 2 ;;
	--cuts)
		ops=(reconf1 reconf2 reconf3 fresh refused) schedule=
		for ((i = 0; i < $2; i++)); do schedule+="${schedule:+,}${ops[i % 5]}:random"; done
		shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $kernel in 6.1|6.12) ;; *) usage ;; esac
work=${work:-$build/rig-$kernel/powercut}
IFS=, read -r -a items <<< "$schedule"
n=${#items[@]}
rm -rf "$work"
mkdir -p "$work"

# outcome_lines CONSOLE: the guest's RIG-CUT-OUTCOME objects, one per line;
# a line that is not JSON is named on stderr and left out (the count of
# verified cuts then fails the run, with the reason in the log)
outcome_lines() {
	tr -d '\r' < "$1" | sed -n 's/^RIG-CUT-OUTCOME //p' | while IFS= read -r line; do
		jq -ce . <<< "$line" 2> /dev/null || echo "powercut: $(basename "$1"): unreadable outcome line: $line" >&2
	done
}

start=$SECONDS rc=0 retries=0
echo "powercut: kernel $kernel, $n cuts, seed $seed"
for ((i = 0; i <= n; i++)); do
	reuse=() t0=$SECONDS
	[ $i = 0 ] || reuse=(--reuse-work)
	for try in 1 2; do
		r=0
		bash "$RIG_DIR/rig.sh" --kernel "$kernel" --build "$build" --work "$work" "${reuse[@]}" \
			--seed $((seed + i)) --env "PC_SCHEDULE=$schedule" powercut > "$work/rig-$i.log" 2>&1 || r=$?
		cp "$work/console-powercut.log" "$work/console-$i.log"
		# A kernel that dies before init runs (TCG now and then hits an
		# int3 during boot-time text patching with -smp 2) has not touched
		# the backing files: boot once more, and say so.
		[ $r != 0 ] && ! grep -q RIG-TEST-BEGIN "$work/console-$i.log" || break
		retries=$((retries + 1))
		cp "$work/console-$i.log" "$work/died-$i.log"
		echo "powercut: boot $i: the kernel died before init ($(tr -d '\r' < "$work/console-$i.log" |
			grep -m1 -oE '(Oops|BUG|Kernel panic)[^[]*' || echo no report)); booting again"
	done
	delay=$(cat "$work/cut.log" 2>/dev/null || echo -)
	if [ $r != 0 ]; then
		rc=1
		echo "powercut: boot $i FAILED ($((SECONDS - t0))s); see $work/rig-$i.log and console-$i.log"
		tr -d '\r' < "$work/console-$i.log" | grep -E '^FAIL|RIG-ERR|^rig:' | head -20 | sed 's/^/powercut:   /'
		break
	fi
	outcome_lines "$work/console-$i.log" |
		jq -r '"powercut: cut \(.index) \(.op):\(.stop) -> before recovery \(.pre), recover [\(.recover)], after \(.post)"'
	[ $i = $n ] || echo "powercut: boot $i: cut ${items[i]} after ${delay} ms ($((SECONDS - t0))s)"
done
outcomes=$(for f in "$work"/console-[0-9]*.log; do outcome_lines "$f"; done | jq -s .)
echo "powercut: kernel $kernel: $(jq length <<< "$outcomes") cuts verified:" \
	"$(jq '[.[] | select(.post == "old")] | length' <<< "$outcomes") old," \
	"$(jq '[.[] | select(.post == "new")] | length' <<< "$outcomes") new," \
	"$(jq '[.[] | select(.post != "old" and .post != "new")] | length' <<< "$outcomes") third;" \
	"$(jq '[.[] | select(.pre == "raw" or .pre == "pending")] | length' <<< "$outcomes") needed recover" \
	"($(jq '[.[] | select(.recover | test("journal"))] | length' <<< "$outcomes") journal," \
	"$(jq '[.[] | select(.recover | test("removed"))] | length' <<< "$outcomes") removed);" \
	"$retries boots repeated (kernel died before init)"
[ "$(jq length <<< "$outcomes")" = "$n" ] || rc=1
[ "$(jq '[.[] | select(.post != "old" and .post != "new")] | length' <<< "$outcomes")" = 0 ] || rc=1
echo "powercut: kernel $kernel $([ $rc = 0 ] && echo PASS || echo FAIL) in $((SECONDS - start))s"
exit $rc
