#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host side of dom0 (both boots): the backing files after power-off are the
# truth.  For every namespace the guest reported, with the machine address
# of its DIMM from the firmware's NFIT (the SPA range of the DIMM's size:
# 2 GiB for the label-backed one, 128 MiB for the other):
#  - the guest's data patterns are in the backing file at the machine
#    frames list --xen gave for the data area (first and last MiB);
#  - the reserved area under list's management frames has the CRC the host
#    read before dom0 wrote any data: dom0 wrote nothing there.
set -euo pipefail
err() { echo "host/dom0: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

facts=$RIG_WORK/facts.json.boot
# the DIMMs' machine addresses: the NFIT's SPA ranges, told apart by size
spa=$(jq -c '[.[] | select(.kind == "nfit")] | last | .spa // empty' "$facts")
[ -n "$spa" ] || spa=$(jq -c '[.[] | select(.kind == "nfit")] | last | .spa // empty' "$RIG_WORK/facts.json")
[ -n "$spa" ] || { echo "host/dom0: the guest reported no NFIT ranges"; exit 1; }
base_label=$(jq --argjson n $((2 << 30)) '.[] | select(.[1] == $n) | .[0]' <<< "$spa")
base_plain=$(jq --argjson n $((128 << 20)) '.[] | select(.[1] == $n) | .[0]' <<< "$spa")
n=$(jq '[.[] | select(.kind == "dom0")] | length' "$facts")
[ "$n" -gt 0 ] || { echo "host/dom0: the guest reported no namespaces"; exit 1; }
bad=0 checked=0
while read -r f; do
	ns=$(jq -r .ns <<< "$f")
	img=$(backing_file "$RIG_WORK" "$(jq -r .dimm <<< "$f")")
	case $(jq -r .dimm <<< "$f") in label) base=$base_label ;; *) base=$base_plain ;; esac
	ds=$((($(jq .data.smfn <<< "$f") << 12) - base)) de=$((($(jq .data.emfn <<< "$f") << 12) - base))
	fill=$(jq .fill <<< "$f") tag=$(jq -r .tag <<< "$f")
	for part in "a $ds" "z $((de - fill))"; do
		set -- $part
		checked=$((checked + 1))
		if check_pattern "$img" "$2" "$fill" "$tag$1" > /dev/null; then
			echo "host: $ns: pattern $tag$1 at file offset $2, where list --xen's data frames put it"
		else
			echo "host: $ns: MISMATCH: no pattern $tag$1 at file offset $2 (data frames $(jq -c .data <<< "$f"), DIMM at $base)"
			bad=$((bad + 1))
		fi
	done
	ms=$((($(jq .mgmt.smfn <<< "$f") << 12) - base)) me=$((($(jq .mgmt.emfn <<< "$f") << 12) - base))
	crc=$(dd if="$img" bs=64K iflag=skip_bytes,count_bytes skip=$ms count=$((me - ms)) status=none | cksum | cut -d' ' -f1-2)
	checked=$((checked + 1))
	if [ "$crc" = "$(jq -r .reserve_crc <<< "$f")" ]; then
		echo "host: $ns: reserved area (file $ms-$me) unchanged since before dom0 wrote data"
	else
		echo "host: $ns: MISMATCH: reserved area (file $ms-$me) CRC $crc, was $(jq -r .reserve_crc <<< "$f")"
		bad=$((bad + 1))
	fi
done < <(jq -c '.[] | select(.kind == "dom0")' "$facts")
echo "host: $n namespaces, $((checked - bad)) of $checked checks agree with the backing files"
[ $bad -eq 0 ]
