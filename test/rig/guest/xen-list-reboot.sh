#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xen-list-reboot: the second boot on xen-list's backing files and state
# disk (rig.sh --reuse-work).  The kernel enabled every namespace at boot;
# the block store kept on the state disk still answers for each of them
# exactly as before the reboot.  recover, as the boot unit runs it, has
# nothing to store; with the store gone, answers fall back to sysfs (the
# same nulls and geometry as in the first boot), and recover fills the
# store again for every idle namespace.  Facts go to host/xen-list.sh.
set -euo pipefail
. /rig/common

XEN=ndctl-xen
STORE=$RIG_STATE_DIR/blocks
mkdir -p /run
prev=/rig/prev-facts.json
N=$(jq length $prev)
[ "$N" -gt 0 ] || { echo "xen-list-reboot: no facts from the first boot"; exit 1; }

# the namespaces by physical address (numbers may change across boots)
jq -c 'map({key: (.resource | tostring), value: .}) | from_entries' $prev > /tmp/prev
# same WHAT GOT WANT: an expect that shows both sides when they differ
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; echo "  got:  $2"; echo "  want: $3"; fi; }
answers() { $XEN list "$@" | jq -cM 'map({key: (.resource | tostring), value: .}) | from_entries'; }

$XEN recover > /tmp/recover
expect "recover at boot: every block already in the store, nothing to do" test "$(jq -c . /tmp/recover)" = '[]'
answers > /tmp/live
expect "after the reboot: the same $N namespaces, enabled" test \
	"$(jq -c '[keys[]] | sort' /tmp/prev)/$(jq -c '[.[] | .enabled] | unique' /tmp/live)" = \
	"$(jq -c '[to_entries[] | select(.value.enabled) | .key] | sort' /tmp/live)/[true]"
same "after the reboot: every answer from the store, as in the first boot" \
	"$(jq -cS --slurpfile p /tmp/prev 'with_entries(select($p[0][.key] != null)) | map_values(.layout)' /tmp/live)" \
	"$(jq -cS 'map_values(.live)' /tmp/prev)"

rm -rf "$STORE"
answers > /tmp/sysfs
same "store removed: sysfs answers, as in the first boot" \
	"$(jq -cS --slurpfile p /tmp/prev 'with_entries(select($p[0][.key] != null)) | map_values(.layout)' /tmp/sysfs)" \
	"$(jq -cS 'map_values(.sysfs)' /tmp/prev)"
$XEN recover > /tmp/recover
expect "recover fills the store again for all $N namespaces" test \
	"$(jq -c '[.[] | .action] | unique' /tmp/recover)/$(jq length /tmp/recover)" = "[\"stored\"]/$N"
answers > /tmp/again
same "refilled: the answers of the first boot again" \
	"$(jq -cS --slurpfile p /tmp/prev 'with_entries(select($p[0][.key] != null)) | map_values(.layout)' /tmp/again)" \
	"$(jq -cS 'map_values(.live)' /tmp/prev)"
for key in $(jq -r 'keys[]' /tmp/prev); do
	ns=$(jq -r --arg k "$key" '.[$k].dev' /tmp/again)
	kernel_result "$ns" "$(ns_size "$ns")"
	expect "$ns: adopted after recover's read, same dataoff" test "$K_RESULT $K_DATAOFF" = \
		"adopted $(jq --arg k "$key" '.[$k].live.dataoff' /tmp/prev)"
	fact "$(jq -cM --arg k "$key" --slurpfile s /tmp/sysfs --slurpfile p /tmp/prev '.[$k] |
		{case: .dev, ns: .dev, dimm: $p[0][$k].dimm, resource, region_resource: $p[0][$k].region_resource,
		size: .raw_size, mode, live: .layout, sysfs: $s[0][$k].layout}' /tmp/again)"
done
echo "xen-list-reboot: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
