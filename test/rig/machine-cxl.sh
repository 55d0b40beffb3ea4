# machine-cxl.sh: the CXL Type 3 persistent-memory machine of the rig
# (rig.sh --machine cxl), sourced by rig.sh.  Everything that differs from
# the NVDIMM machine is here; the guest side is guest/init's cxl branch.
#
# QEMU 7.2 (q35 with cxl=on): a pxb-cxl host bridge with TWO cxl-rp root
# ports and one cxl-type3 device behind the first.  Each trap below was
# seen on Debian's 6.1.0-57 and 6.12.118 (DESIGN.md section 7):
# - one root port only: 6.1 creates the region and namespaces with rc 0
#   and no kernel message, but reads return zeros and the backing file
#   stays empty (writes are lost); a second, empty root port fixes it;
# - sn= zero: the interleave-set cookie is 0 and the region does not
#   probe at the next boot ("invalid interleave-set-cookie", -19);
# - 6.12 without pcie_ports=compat: "Failed to get interrupt for event
#   Info log" and no memdev; without -cpu max,hypervisor=off: "Failed to
#   synchronize CPU cache state", a WARNING in commit_store, no region.
# QEMU 7.2's cxl-type3 memdev= is persistent (there is no
# persistent-memdev= before 8.0): WORK/cxl.img is the device's whole
# capacity, all of it pmem, and a byte at device physical address (DPA) D
# sits at file offset D.  With one device and no interleave, DPA = HPA -
# region resource, so a namespace's byte 0 is at file offset
# (namespace resource - region resource), as on the NVDIMM machine.
# WORK/lsa.img (256 KiB) is the label storage area: the namespace labels
# that bring the namespaces back after `cxl create-region` at each boot
# (QEMU's HDM decoders do not persist).  The region's align is 16 MiB
# (its sysfs align; guest/cxl.sh checks it on both kernel lines).
CXL_DEV_SIZE=$((1 << 30))
CXL_LSA_SIZE=$((256 << 10))
CXL_WINDOW_SIZE=4G
# cxl_core and cxl_port are built in
MODULES=(cxl_acpi cxl_pci cxl_mem libnvdimm cxl_pmem nd_btt nd_pmem device_dax dax_pmem
	 crc16 mbcache jbd2 crc32c_generic ext4 virtio_pci virtio_blk)

# the backing files of a fresh run (rig.sh's boot() without --reuse-work)
cxl_new_backing_files() {
	rm -f "$work/cxl.img" "$work/lsa.img"
	truncate -s "$CXL_DEV_SIZE" "$work/cxl.img"
	truncate -s "$CXL_LSA_SIZE" "$work/lsa.img"
}
cxl_have_backing_files() { [ -f "$work/cxl.img" ] && [ -f "$work/lsa.img" ]; }
# the image behind a control-channel DIMM name (SUM/CRC requests)
cxl_image() { case $1 in cxl) echo "$work/cxl.img" ;; lsa) echo "$work/lsa.img" ;; esac; }

# QEMU's machine and devices, into MACHINE_ARGS; extra kernel options to
# KARGS; the state disk's bus to DISK_BUS
cxl_machine_args() {
	local cpu=max
	if [ "$kernel" = 6.12 ]; then
		cpu=max,hypervisor=off
		KARGS+=" pcie_ports=compat"
	fi
	MACHINE_ARGS=(-machine q35,cxl=on -cpu "$cpu" -smp 2 -m 1G
		-object memory-backend-file,id=cxlmem0,share=on,mem-path="$work/cxl.img",size=$CXL_DEV_SIZE
		-object memory-backend-file,id=cxllsa0,share=on,mem-path="$work/lsa.img",size=$CXL_LSA_SIZE
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1
		-device cxl-rp,port=0,bus=cxl.1,id=cxlrp0,chassis=0,slot=2
		-device cxl-rp,port=1,bus=cxl.1,id=cxlrp1,chassis=0,slot=3
		-device cxl-type3,bus=cxlrp0,memdev=cxlmem0,lsa=cxllsa0,id=cxlpmem0,sn=0x1d0c
		-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$CXL_WINDOW_SIZE)
	# else QEMU plugs the state disk into the pxb-cxl bus, which takes
	# only bridges
	DISK_BUS=,bus=pcie.0
}

# what the initramfs needs besides the NVDIMM machine's: Debian's cxl tool,
# and the udev rule that starts recover on a new region, which
# guest/cxl.sh matches against the kernel's uevents
cxl_initramfs() {
	copy_with_libs "$1" /usr/bin/cxl /usr/bin/cxl
	cp "$RIG_DIR/../../contrib/udev/90-ndctl-xen-recover.rules" "$1/rig/"
}
