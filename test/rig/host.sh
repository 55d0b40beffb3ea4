# host.sh: helpers (sourced) to read what a guest left in the NVDIMM backing
# files after power-off.  The backing file is ground truth: namespace byte 0
# sits at file offset (namespace resource - region resource), and QEMU keeps
# the label area in the last label-size bytes of the label-backed file.
#
# The guest prints one line per namespace it leaves behind:
#   RIG-FACT {"case":..,"ns":"namespace1.3","dimm":"label"|"plain",
#             "resource":N,"region_resource":N,"size":N,"uuid":"..",
#             "mode":"fsdax"|"devdax","map":"dev"|"mem","dataoff":N,
#             "devsize":N,"reserve_offset":N,"reserve_size":N,
#             "rsv_tag":"R001","data_tag":"D001","block_sha256":".."}

HOST_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# facts_from_console LOG: the RIG-FACT objects of a console log as a JSON array
facts_from_console() { sed -n 's/^RIG-FACT //p' "$1" | tr -d '\r' | jq -s .; }

# backing_file WORK DIMM: the image behind the label-backed or label-less DIMM
backing_file() {
	case $2 in label) echo "$1/label.img" ;; plain) echo "$1/plain.img" ;; cxl) echo "$1/cxl.img" ;;
	*) echo "host.sh: unknown dimm $2" >&2; return 1 ;; esac
}

# ns_file_offset FACT-JSON: file offset of the namespace's byte 0
ns_file_offset() { echo "$1" | jq '.resource - .region_resource'; }

# read_bytes IMG OFFSET LENGTH: raw bytes to stdout (4 KiB granular offsets)
read_bytes() {
	dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$((($3 + 4095) / 4096)) status=none |
		head -c "$3"
}

# read_infoblock IMG NS-OFFSET: the 8 KiB image (4K pad + info block)
read_infoblock() { read_bytes "$1" "$2" 8192; }

# read_reserve / read_data IMG FACT-JSON: the reserved area / the data area
read_reserve() {
	local off; off=$(ns_file_offset "$2")
	read_bytes "$1" $((off + $(echo "$2" | jq .reserve_offset))) "$(echo "$2" | jq .reserve_size)"
}
read_data() {
	local off; off=$(ns_file_offset "$2")
	read_bytes "$1" $((off + $(echo "$2" | jq .dataoff))) "$(echo "$2" | jq .devsize)"
}

# rigfill_host: path of a host build of the pattern tool
rigfill_host() {
	local bin=${RIG_WORK:-/tmp}/rigfill-host
	[ "$bin" -nt "$HOST_SH_DIR/rigfill.c" ] ||
		cc -O2 -o "$bin" "$HOST_SH_DIR/rigfill.c"
	echo "$bin"
}

# check_pattern IMG OFFSET LENGTH TAG: the guest's rigfill pattern is there
check_pattern() { "$(rigfill_host)" check "$1" "$2" "$3" "$4"; }

# file_layout XEN FACT-JSON: what the namespace's info block in the backing
# file says, in the fields ndctl-xen list answers (answer_layout)
file_layout() {
	local img
	img=$(backing_file "$RIG_WORK" "$(echo "$2" | jq -r .dimm)")
	read_infoblock "$img" "$(ns_file_offset "$2")" |
		"$1" read-infoblock -V -s "$(echo "$2" | jq .size)" -i - -j | jq -cM '.[0] |
		(.reserve.owner // null) as $o | {
		dataoff, map, align, page_struct_size,
		reserve_offset: (.reserve.offset // null), reserve_size: (.reserve.size // null),
		owner: $o, owner_name: (if $o == null or $o == "os" or $o == "hypervisor" then null else $o end),
		per_page_bytes: (.reserve.per_page_bytes // null),
		data_offset: .layout.data_offset, data_size: .layout.data_size}'
}
# answer_layout LAYOUT-JSON: the same fields of a list answer's layout
answer_layout() {
	echo "$1" | jq -cM '{dataoff, map, align, page_struct_size,
		reserve_offset: (.reserve.offset // null), reserve_size: (.reserve.size // null),
		owner: (.reserve.owner // null), owner_name: (.reserve.owner_name // null),
		per_page_bytes: (.reserve.per_page_bytes // null),
		data_offset: .data.offset, data_size: .data.size}'
}
# boot_facts TEST: this boot's RIG-FACT objects, one a line; fails (with
# a message) when the guest reported none
boot_facts() {
	local facts=$RIG_WORK/facts.json.boot
	[ "$(jq length "$facts")" -gt 0 ] || { echo "host/$1: the guest reported no namespaces"; return 1; }
	jq -cM '.[]' "$facts"
}
