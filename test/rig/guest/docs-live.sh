#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages' examples that need a live host (marked "// example:
# live:"; test/doc-examples.sh skips them), run on the rig's emulated
# NVDIMMs and compared with the page as the offline ones are compared:
# the same reader and comparer (test/doc-sessions, with the pages in
# /rig/docs).  Each page's live blocks run in order in a directory of
# their own, after their "// example: setup:" lines, on a host put back
# to the rig's empty state first (reset_host), which is also how it is
# left for the next test of the boot.  The pages name the rig's regions
# as the kernel numbers them (region1 label-backed at 4 GiB, region0
# label-less at 6 GiB); a boot that numbered them otherwise fails here,
# saying so, rather than comparing examples with another machine.  A
# "random:" mark says what may differ; nothing else does.
set -euo pipefail
. /rig/common
. /rig/docs/doc-sessions
mkdir -p /run
read -r T0 _ < /proc/uptime

expect "the label-backed region is region1, as the pages say (it is $RIG_LABEL_REGION)" \
	test "$RIG_LABEL_REGION:$RIG_PLAIN_REGION" = region1:region0

# rig_cut STOP CMD...: for a setup mark, a power cut in the middle of CMD
# as far as the namespace sees one: CMD runs with NDCTL_XEN_FAULT=STOP
# until it stops itself there (SIGSTOP), then is killed (SIGKILL); what it
# wrote stays, nothing after
rig_cut() {
	local pid st= i
	NDCTL_XEN_FAULT=$1 "${@:2}" > /dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)
		case $st in T|Z|gone) break ;; esac
		sleep 0.05
	done
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	[ "$st" = T ] || { echo "rig_cut: ${*:2} never stopped at $1 (state $st)"; return 1; }
}
export -f rig_cut

# the rig's empty state, as its init leaves it at a first boot: the
# label-backed region enabled, no namespace label in it and none of its
# namespace devices but the seed (their numbers start at .0 again), the
# label-less region's namespace raw, no block store or intent record.
# Checked through sysfs first: ndctl costs most of a second a run under
# TCG.
LN=namespace${RIG_LABEL_REGION#region} PN=namespace${RIG_PLAIN_REGION#region}.0
host_is_empty() {
	local d
	[ -e $NDBUS/$RIG_LABEL_REGION/driver ] || return 1
	for d in $NDBUS/$LN.*; do
		[ "${d##*/}" = $LN.0 ] && [ "$(< $d/size)" = 0 ] || return 1
	done
	[ -z "$(ns_holder $PN)" ] &&
		[ -z "$(find "$RIG_STATE_DIR" -mindepth 1 -maxdepth 1 ! -name lost+found)" ]
}
reset_host() {
	host_is_empty && return 0
	# destroying deletes the labels; the region's driver unbound and bound
	# again (ndctl disable-region and enable-region, without their cost)
	# drops the namespace devices and makes the seed namespaceN.0 anew
	ndctl destroy-namespace all -r "$RIG_LABEL_REGION" -f > /dev/null 2>&1 || true
	echo "$RIG_LABEL_REGION" > /sys/bus/nd/drivers/nd_region/unbind
	echo "$RIG_LABEL_REGION" > /sys/bus/nd/drivers/nd_region/bind
	: "$(< $NDBUS_DEV/wait_probe)"
	[ -z "$(ns_holder $PN)" ] || ndctl create-namespace -e $PN -f -m raw > /dev/null 2>&1
	find "$RIG_STATE_DIR" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
	host_is_empty || { echo "RIG-ERR: cannot put the host back to empty"; return 1; }
}

RAN=0
for page in /rig/docs/*.txt; do
	name=$(basename "$page" .txt)
	blocks=/tmp/docs/$name dir=/tmp/docs/run-$name
	mkdir -p "$blocks" "$dir"
	doc_blocks "$page" "$blocks"
	reset=0 n=0
	while [ -e "$blocks/$((n + 1))" ]; do
		n=$((n + 1))
		b=$blocks/$n
		doc_marked live "$b" || continue
		if ! doc_is_session "$b"; then
			bad "$name example $n: marked live but not a session (# or \$ commands)"
			continue
		fi
		[ $reset = 1 ] || { reset_host; reset=1; }
		RAN=$((RAN + 1))
		if ! doc_run "$b" "$dir"; then
			bad "$name example $n: its setup failed:"
			sed 's/^/  | /' "$b.setup" "$b.setup.out"
			continue
		fi
		if doc_compare "$b"; then
			ok "$name example $n: as the page shows"
		else
			bad "$name example $n is stale (- the page, + what it prints on $RIG_KVER):"
			cat "$b.diff"
			echo "  what it prints now, unmasked (to regenerate the page from):"
			sed 's/^/  > /' "$b.got.raw"
		fi
	done
done
expect "some live examples ran ($RAN)" test "$RAN" -gt 0
reset_host
read -r T1 _ < /proc/uptime
echo "RIG-SUMMARY-DOCS-LIVE: $PASSED passed, $FAILED failed in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }') s"
[ "$FAILED" = 0 ]
