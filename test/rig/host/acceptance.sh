#!/bin/bash
# Host side of the acceptance and xen-reserve tests: for every namespace
# the guest left behind, the backing file still holds our info block, the
# reserved area still holds the pattern written before the data device was
# filled, and the data pattern (or xen-reserve's ext4 filesystem) starts
# exactly at dataoff.
set -euo pipefail
err() { echo "host/acceptance: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
. "$RIG_DIR/host.sh"

XEN=$RIG_BUILD/ndctl/ndctl-xen
facts=${1:-$RIG_WORK/facts.json.boot}
n=$(jq length "$facts")
[ "$n" -gt 0 ] || { echo "host/acceptance: the guest reported no namespaces"; exit 1; }
bad=0
for i in $(seq 0 $((n - 1))); do
	f=$(jq -cM ".[$i]" "$facts")
	id=$(echo "$f" | jq -r .case)
	img=$(backing_file "$RIG_WORK" "$(echo "$f" | jq -r .dimm)")
	off=$(ns_file_offset "$f")
	problems=()
	[ "$(read_infoblock "$img" "$off" | sha256sum | cut -d' ' -f1)" = "$(echo "$f" | jq -r .block_sha256)" ] ||
		problems+=(infoblock-changed)
	blk=$(read_infoblock "$img" "$off" | "$XEN" read-infoblock -i - -j | jq -cM '.[0]') || blk=null
	[ "$(echo "$blk" | jq .dataoff)" = "$(echo "$f" | jq .dataoff)" ] || problems+=(dataoff)
	[ "$(echo "$blk" | jq '.layout.reserve_size // 0')" = "$(echo "$f" | jq .reserve_size)" ] ||
		problems+=(reserve-record)
	rsv_size=$(echo "$f" | jq .reserve_size)
	if [ "$rsv_size" -gt 0 ]; then
		check_pattern "$img" $((off + $(echo "$f" | jq .reserve_offset))) "$rsv_size" \
			"$(echo "$f" | jq -r .rsv_tag)" || problems+=(reserve-changed)
	fi
	data_off=$((off + $(echo "$f" | jq .dataoff)))
	if [ "$(echo "$f" | jq -r .data_tag)" = ext4 ]; then
		# xen-reserve's ext4 case: the superblock magic 0xef53 at byte 1080
		[ "$(read_bytes "$img" "$data_off" 4096 | od -An -tx1 -j1080 -N2 | tr -d ' ')" = 53ef ] ||
			problems+=(ext4-not-at-dataoff)
	else
		check_pattern "$img" "$data_off" "$(echo "$f" | jq .devsize)" \
			"$(echo "$f" | jq -r .data_tag)" || problems+=(data)
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		printf 'host: %-34s ok (reserve %s bytes unchanged)\n' "$id" "$rsv_size"
	else
		printf 'host: %-34s FAIL: %s\n' "$id" "${problems[*]}"
		bad=$((bad + 1))
	fi
done
echo "host: $((n - bad)) of $n namespaces verified from the backing files"
[ $bad -eq 0 ]
