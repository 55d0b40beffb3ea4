#!/bin/bash
# rig.sh: boot one of Debian's real kernels under QEMU (TCG) with two
# emulated NVDIMMs and run guest tests from test/rig/guest/.
#
#   test/rig/rig.sh --kernel 6.1|6.12 [--build DIR] [--work DIR]
#                   [--reuse-work] [--timeout SECONDS] [--machine cxl] TEST...
#
# --machine cxl a CXL Type 3 persistent-memory device instead of the two
#               NVDIMMs (machine-cxl.sh; backing files cxl.img and lsa.img,
#               DIMM name "cxl" on the control channel)
# --build DIR   meson build dir holding ndctl/ndctl-xen, lib/libndctl-xen.so*
#               and test/forge-infoblock (default: build)
# --work DIR    where the backing files, initramfs and console log go
#               (default: DIR/rig-work-KERNEL)
# --reuse-work  boot again on the backing files of the previous run in the
#               work dir; its namespace facts are handed to the guest as
#               /rig/prev-facts.json
# --env K=V     add K=V to the guest's /rig/config (repeatable)
# --seed N      seed for the random power-cut delays (default: random)
# --fetch-only  install the rig's packages and fetch the kernel, then exit
#               (CI does this before anything else runs apt beside the rig)
# --patched-libnvdimm  boot with libnvdimm.ko built with kernel/patches/ (the
#               info_block attribute) in place of Debian's, built by
#               kernel/build-module.sh (cached; with --fetch-only: build it)
# --xen         boot Debian's Xen 4.17 hypervisor with the kernel as its PV
#               dom0 (fetched and cached like the kernels; see xen_* below
#               and the README's "Xen dom0 machine")
#
# The guest reaches the host through a second serial port (/dev/ttyS1,
# helpers in guest/common): "SUM DIMM OFFSET LENGTH" answers the sha256 of
# that range of a backing file, "CRC DIMM OFFSET LENGTH" its CRC-32 and
# length (cksum: ten times faster, for "did a byte change by mistake"
# checks over hundreds of MiB; not a defence against a deliberate
# collision); "SYNC MARK" answers "OK" once the console log holds the
# line "RIG-SYNC <MARK>" (a barrier: everything the guest printed before
# it has reached the host); "CUT MAX_MS" answers "OK DELAY"
# and kills QEMU (SIGKILL: a power cut) DELAY ms later, DELAY uniform in
# 0..MAX_MS.  The guest syncs before every cut and before powering off, so
# nothing it printed is lost to the kill.  A boot cut that way passes if the
# guest's last RIG-SUMMARY before the cut says 0 failed; its facts replace
# facts.json (for the next --reuse-work).
#
# A third disk, WORK/state.img (ext4, virtio), is the guest's persistent
# host state: mounted at /var/lib/ndctl-xen (RIG_STATE_DIR) before any test,
# made anew with the backing files and kept by --reuse-work, so it survives
# reboots and power cuts as a real host's disk does (QEMU has written what
# the guest fsync'd before a SIGKILL can land).
#
# Exit status: 0 when every test passed; 1 on a failed test, a timeout, or a
# kernel WARNING/BUG/Oops that no test declared (RIG-EXPECT-WARN); 2 on usage.
# After the guest powers off, test/rig/host/TEST.sh (if present) runs on the
# host with host.sh's helpers to check the backing files.
#
# Kernels are fetched with apt-get download and cached in
# ${NDCTL_XEN_RIG_CACHE:-/var/cache/ndctl-xen-rig}.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NDCTL_XEN_RIG_CACHE:-/var/cache/ndctl-xen-rig}
PACKAGES=(qemu-system-x86 busybox-static kmod cpio jq xz-utils ndctl e2fsprogs util-linux gcc libc6-dev)
MODULES=(libnvdimm nfit nd_btt nd_pmem device_dax dax_pmem
	 crc16 mbcache jbd2 crc32c_generic ext4 virtio_pci virtio_blk)
# DIMM sizes: the label-backed one is carved into many small namespaces,
# the label-less one is a single namespace.  Sparse files: only written
# bytes take disk space.
# QEMU maps a label-backed DIMM's size minus the label area, rounded down
# to the backend's 2M align: 2G+2M maps exactly 2G, so the label-less DIMM
# after it starts on a 128M memory-section boundary (6G).  That matters:
# x86 puts a namespace's map=dev memmap on the device (altmap) only for
# whole 128M sections; partial sections get their memmap from DRAM.
LABEL_DIMM_SIZE=$(((2 << 30) + (2 << 20)))
LABEL_SIZE=$((128 << 10))
PLAIN_DIMM_SIZE=$((128 << 20))
STATE_DISK_SIZE=$((64 << 20))

err() { echo "rig: failed at line $1" >&2; exit 1; }
trap 'err $LINENO' ERR
say() { echo "rig: $*" >&2; }
die() { echo "rig: $*" >&2; exit 1; }
usage() { sed -n '3,55p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

kernel= build=build work= reuse=0 timeout=2400 seed=$RANDOM fetch_only=0 patched=0 machine=nvdimm xen=0
tests=() envs=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--reuse-work) reuse=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--fetch-only) fetch_only=1; shift ;;
	--patched-libnvdimm) patched=1; shift ;;
	--machine) machine=$2; shift 2 ;;
	--xen) xen=1; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) tests+=("$1"); shift ;;
	esac
done
case $kernel in 6.1|6.12) ;; *) usage ;; esac
case $machine in nvdimm) ;; cxl) . "$RIG_DIR/machine-cxl.sh" ;; *) usage ;; esac
[ ${#tests[@]} -gt 0 ] || [ "$fetch_only" = 1 ] || usage
for t in "${tests[@]}"; do
	[ -f "$RIG_DIR/guest/$t.sh" ] || die "no guest test $RIG_DIR/guest/$t.sh"
done
build=$(cd "$build" && pwd)
# xen-reserve and the power cuts make the tool fail on purpose
# (NDCTL_XEN_FAULT), which only a test build has
for t in "${tests[@]}"; do
	case $t in xen-reserve|powercut|apply|dom0|docs-live)
		grep -qa NDCTL_XEN_FAULT "$build"/lib/libndctl-xen.so.1 2>/dev/null ||
			die "guest test $t needs fault injection: configure $build with -Dtest-hooks=true (meson setup $build -Dtest-hooks=true, or --reconfigure)" ;;
	esac
done
# A build with ASan/UBSan: the guest exports their options and fails a test
# that leaves a report (log_path: reports survive redirected stderr).
if [ -x "$build/ndctl/ndctl-xen" ] && ldd "$build/ndctl/ndctl-xen" | grep -q libasan; then
	envs+=(RIG_SANITIZE=1
		ASAN_OPTIONS=log_path=/tmp/sanitizer:exitcode=86:detect_leaks=1:abort_on_error=0
		UBSAN_OPTIONS=log_path=/tmp/sanitizer:halt_on_error=1:print_stacktrace=1:exitcode=86)
fi
work=${work:-$build/rig-work-$kernel}
mkdir -p "$work"
work=$(cd "$work" && pwd)

# what kernel/build-module.sh needs besides apt-get download
[ "$patched" = 0 ] || PACKAGES+=(make patch gcc-12 bc flex bison libelf-dev dwarves)

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
	APT_UPDATED=1
}

# newest package name of the requested kernel line that apt knows
newest_kernel_pkg() {
	local pat
	case $kernel in
	6.1) pat='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) pat='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	esac
	apt-cache pkgnames linux-image-6. 2>/dev/null | grep -E "$pat" | sort -V | tail -n 1 || true
}

# Sets KROOT (unpacked package), KVER, VMLINUZ.
fetch_kernel() {
	local pkg tmp
	pkg=$(newest_kernel_pkg)
	if [ -z "$pkg" ] && [ -z "${APT_UPDATED:-}" ]; then
		apt-get update -qq
		pkg=$(newest_kernel_pkg)
	fi
	if [ -z "$pkg" ]; then
		# no package lists (offline?): fall back to the newest cached one
		pkg=$(ls "$CACHE" 2>/dev/null | grep "^linux-image-$kernel[.-]" | sort -V | tail -n 1 || true)
		[ -n "$pkg" ] || die "apt knows no linux-image-$kernel package and none is cached"
	fi
	KROOT=$CACHE/$pkg
	if [ ! -e "$KROOT/.ready" ]; then
		say "fetching $pkg into $CACHE"
		tmp=$CACHE/.$pkg.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp/deb"
		(cd "$tmp/deb" && apt-get download "$pkg" >/dev/null 2>&1) ||
			die "apt-get download $pkg failed"
		mkdir "$tmp/root"
		dpkg -x "$tmp"/deb/*.deb "$tmp/root"
		KVER=$(ls "$tmp/root/lib/modules")
		# 6.12 ships xz-compressed modules and neither ships modules.dep
		find "$tmp/root/lib/modules" -name '*.ko.xz' -print0 | xargs -0 -r -P "$(nproc)" -n 64 xz -d
		depmod -b "$tmp/root" "$KVER"
		rm -rf "$KROOT"
		mv "$tmp/root" "$KROOT"
		mv "$tmp/deb"/*.deb "$CACHE/"
		rm -rf "$tmp"
		touch "$KROOT/.ready"
	fi
	KVER=$(ls "$KROOT/lib/modules")
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || die "no $VMLINUZ"
}

# copy a host binary and every shared library it needs into $1
copy_with_libs() {
	local root=$1 bin=$2 dest=${3:-$2} lib
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$bin" "$root$dest"
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		case $lib in
		"$build"/*) ;;	# the project's own libraries are copied separately
		*) [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; } ;;
		esac
	done
}

build_initramfs() {
	local root=$work/initramfs m f t
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,proc,sys,dev,tmp,rig/tests,etc}
	cp /bin/busybox "$root/bin/busybox"
	for f in /usr/bin/ndctl /usr/bin/daxctl /usr/bin/jq /bin/bash /bin/dd; do
		copy_with_libs "$root" "$f" "/usr/bin/$(basename "$f")"
	done
	ln -s /usr/bin/bash "$root/bin/bash"
	# ext4 on a dax namespace, and flock(1) for the lock tests
	copy_with_libs "$root" /usr/sbin/mke2fs /usr/sbin/mke2fs
	ln -s mke2fs "$root/usr/sbin/mkfs.ext4"
	cp /etc/mke2fs.conf "$root/etc/"
	copy_with_libs "$root" /usr/bin/flock /usr/bin/flock
	# setpriv(1) for the ordinary-user cases
	copy_with_libs "$root" /usr/bin/setpriv /usr/bin/setpriv
	# strace(1) for bench-list's system call counts
	[ -x /usr/bin/strace ] && copy_with_libs "$root" /usr/bin/strace /usr/bin/strace
	# the project's freshly built binaries
	for f in ndctl/ndctl-xen test/forge-infoblock examples/xen-toolstack; do
		if [ -x "$build/$f" ]; then
			copy_with_libs "$root" "$build/$f" "/usr/bin/$(basename "$f")"
		else
			say "note: $build/$f not built; tests that need it will fail"
		fi
	done
	for f in "$build"/lib/libndctl-xen.so*; do
		[ -e "$f" ] && cp -a "$f" "$root/usr/lib/"
	done
	# libblkid, which the library loads (dlopen) when a write first checks
	# the media for foreign content: ldd does not list it
	# (awk reads all of ldconfig's output: an early exit would kill
	# ldconfig with SIGPIPE, and pipefail and set -e this script with it)
	f=$(ldconfig -p | awk '$1 == "libblkid.so.1" && /x86-64/ && !f { f = $NF } END { print f }')
	[ -n "$f" ] && copy_with_libs "$root" "$f" || say "note: no libblkid.so.1; writes will refuse to overwrite unchecked content"
	cc -static -O2 -o "$root/usr/bin/rigfill" "$RIG_DIR/rigfill.c"
	[ "$machine" = nvdimm ] || "${machine}_initramfs" "$root"
	[ "$xen" = 0 ] || xen_initramfs "$root"
	# what a test adds to the initramfs: guest/TEST.initramfs, sourced here
	for t in "${tests[@]}"; do
		[ ! -f "$RIG_DIR/guest/$t.initramfs" ] || . "$RIG_DIR/guest/$t.initramfs"
	done
	# modules, dependencies first, decompressed (busybox insmod takes plain .ko)
	: > "$root/rig/modules.list"
	for m in "${MODULES[@]}"; do
		modprobe -C /dev/null -d "$KROOT" -S "$KVER" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r f; do
		t=${f#"$KROOT"}
		mkdir -p "$root$(dirname "$t")"
		cp "$f" "$root$t"
		echo "$t" >> "$root/rig/modules.list"
	done
	cp "$KROOT/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$KVER/" 2>/dev/null || true
	if [ -n "${PATCHED_KO:-}" ]; then
		cp "$PATCHED_KO" "$root/lib/modules/$KVER/kernel/drivers/nvdimm/libnvdimm.ko"
		envs+=(RIG_PATCHED_LIBNVDIMM=1)
	fi
	depmod -b "$root" "$KVER"
	# tests and their configuration
	cp "$RIG_DIR/guest/init" "$root/init"
	cp "$RIG_DIR"/guest/*.sh "$root/rig/tests/"
	cp "$RIG_DIR/guest/common" "$RIG_DIR/guest/cases" "$root/rig/"
	chmod +x "$root/init" "$root"/rig/tests/*.sh
	printf '%s\n' "${tests[@]}" > "$root/rig/tests.list"
	cat > "$root/rig/config" <<-EOF
	RIG_KERNEL=$kernel
	RIG_KVER=$KVER
	RIG_REUSE=$reuse
	RIG_MACHINE=$machine
	RIG_XEN=$xen
	EOF
	printf '%s\n' "${envs[@]}" >> "$root/rig/config"
	[ "$reuse" = 1 ] && cp "$work/facts.json" "$root/rig/prev-facts.json"
	(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"
}

# console_has TEXT SECONDS: wait (with a deadline) until the console log
# holds TEXT.  QEMU appends what the guest's serial port sends; polling the
# file is how the host learns that a line has arrived.
console_has() {
	local until=$((SECONDS + $2))
	until grep -qF -- "$1" "$console"; do
		[ $SECONDS -lt $until ] || return 1
		sleep 0.05
	done
}

# The host end of the guest's /dev/ttyS1 (see the header); runs until
# QEMU's end of the pipe goes away or it cuts the power.
ctl_server() {
	local qpid=$1 cmd a b c reply delay img
	exec 5<> "$work/ctl.out" 6<> "$work/ctl.in"
	RANDOM=$seed
	while read -r -u 5 cmd a b c; do
		case $cmd in
		SUM|CRC)
			case $machine:$a in nvdimm:label) img=$work/label.img ;; nvdimm:plain) img=$work/plain.img ;;
			nvdimm:*) img= ;; *) img=$("${machine}_image" "$a") ;; esac
			if [ -n "$img" ] && [[ $b =~ ^[0-9]+$ && $c =~ ^[0-9]+$ ]]; then
				reply=$(dd if="$img" bs=64K iflag=skip_bytes,count_bytes skip="$b" \
					count="$c" status=none | if [ "$cmd" = SUM ]; then sha256sum | cut -c1-64
					else cksum | cut -d' ' -f1-2; fi) || reply="ERR read $img"
			else
				reply="ERR bad $cmd request: $a $b $c"
			fi ;;
		SYNC)
			if console_has "RIG-SYNC <$a>" 120; then reply=OK
			else reply="ERR the console never showed RIG-SYNC <$a> (120 s)"; fi ;;
		CUT)
			delay=$(( (RANDOM * 32768 + RANDOM) % (${a:-0} + 1) ))
			printf 'OK %s\n' "$delay" >&6
			sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
			kill -9 "$qpid" 2>/dev/null && echo "$delay" > "$work/cut.log"
			return 0 ;;
		*) reply="ERR unknown request: $cmd" ;;
		esac
		printf '%s\n' "$reply" >&6
	done
}

# run qemu in the background; kill it by pid at the deadline
boot() {
	local qpid deadline status=0
	if [ "$reuse" = 0 ]; then
		if [ "$machine" = nvdimm ]; then
			rm -f "$work/label.img" "$work/plain.img"
			truncate -s "$LABEL_DIMM_SIZE" "$work/label.img"
			truncate -s "$PLAIN_DIMM_SIZE" "$work/plain.img"
		else
			"${machine}_new_backing_files"
		fi
		rm -f "$work/state.img"
		truncate -s "$STATE_DISK_SIZE" "$work/state.img"
		mke2fs -q -F -t ext4 -L rig-state "$work/state.img"
	fi
	if [ "$machine" = nvdimm ]; then
		[ -f "$work/label.img" ] && [ -f "$work/plain.img" ]
	else
		"${machine}_have_backing_files"
	fi && [ -f "$work/state.img" ] || die "no backing files in $work"
	: > "$console"
	ln -sf "$(basename "$console")" "$work/console.log"
	rm -f "$work/ctl.in" "$work/ctl.out" "$work/cut.log"
	mkfifo "$work/ctl.in" "$work/ctl.out"
	local MACHINE_ARGS=(-machine pc,nvdimm=on -cpu max -smp 2 -m 1G,slots=4,maxmem=8G
		-object memory-backend-file,id=m1,share=on,mem-path="$work/label.img",size=$LABEL_DIMM_SIZE,align=2M
		-device nvdimm,memdev=m1,id=nv1,label-size=$LABEL_SIZE
		-object memory-backend-file,id=m2,share=on,mem-path="$work/plain.img",size=$PLAIN_DIMM_SIZE,align=2M
		-device nvdimm,memdev=m2,id=nv2) KARGS=$KARGS DISK_BUS=
	[ "$machine" = nvdimm ] || "${machine}_machine_args"
	local BOOT_ARGS=(-kernel "$VMLINUZ" -initrd "$work/initramfs.cpio"
		-append "console=ttyS0 panic=-1 loglevel=6 rdinit=/init $KARGS")
	[ "$xen" = 0 ] || xen_boot_args
	qemu-system-x86_64 "${MACHINE_ARGS[@]}" -nographic -no-reboot \
		"${BOOT_ARGS[@]}" \
		-drive file="$work/state.img",format=raw,if=none,id=state,cache=writeback \
		-device virtio-blk-pci,drive=state$DISK_BUS \
		-serial mon:stdio -serial pipe:"$work/ctl" \
		< /dev/null > "$console" 2>&1 &
	qpid=$!
	ctl_server "$qpid" &
	local spid=$! wpid finished=
	# the deadline: a sleeper, so that waiting on QEMU costs no polling
	sleep "$timeout" &
	wpid=$!
	{ wait -n -p finished "$qpid" "$wpid"; } 2>/dev/null || status=$?
	if [ "$finished" != "$qpid" ]; then
		say "timeout after ${timeout}s: killing qemu (pid $qpid)"
		kill "$spid" 2>/dev/null || true
		kill "$qpid" 2>/dev/null || true
		{ timeout 10 tail --pid="$qpid" -f /dev/null; } 2>/dev/null || kill -9 "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		return 1
	fi
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	if [ -f "$work/cut.log" ]; then
		say "power cut $(cat "$work/cut.log") ms after the guest asked"
		return 0
	fi
	[ "$status" = 0 ] || say "qemu exited with status $status"
	return "$status"
}

# Scan the console log for kernel warnings.  A WARNING is allowed only
# between "RIG-EXPECT-WARN: FUNC" and "RIG-EXPECT-WARN-END" lines printed
# by a test, and only if FUNC shows up in its report (the call trace).
check_kernel_log() {
	tr -d '\r' < "$console" | awk '
	/RIG-EXPECT-WARN-END/ { expect = ""; next }
	/RIG-EXPECT-WARN: / { expect = $NF; next }
	!/^\[ *[0-9]+\.[0-9]+\]/ { next }	# only kernel lines, not test output quoting them
	/WARNING:|BUG:|Oops|Kernel panic/ {
		if (pending) { print "rig: unexpected kernel report: " pending; bad = 1 }
		if ($0 ~ /WARNING:/ && expect != "") { pending = $0; seen = 0; left = 40; next }
		print "rig: unexpected kernel report: " $0; bad = 1; next
	}
	pending != "" {
		if (index($0, expect)) { print "rig: expected kernel warning: " pending; pending = "" }
		else if (--left == 0) { print "rig: unexpected kernel report: " pending; pending = ""; bad = 1 }
	}
	END { if (pending != "") { print "rig: unexpected kernel report: " pending; bad = 1 }; exit bad }
	'
}

# --- Xen dom0 mode (--xen) ---
# Debian's Xen 4.17 hypervisor boots the same kernel as a PV dom0 on the
# same machine.  QEMU's multiboot loader takes xen (the package's gzipped
# image, unpacked once into the cache) as -kernel with Xen's command line
# as -append, and the dom0 kernel with its command line plus the initramfs
# as the two modules of -initrd.  Xen's console is com1 (the console log,
# as for a bare kernel), and dom0's console is hvc0, which Xen writes to
# com1 too.  smap=0: without it dom0 dies in its first instructions under
# QEMU 7.2 TCG (#PF, "Hardware Dom0 crashed"; a QEMU IRET/SMAP bug fixed
# upstream after 7.2).  dom0 gets 512M of the machine's 1G.
XEN_PACKAGES=(xen-hypervisor-4.17-amd64 xen-utils-4.17 libxencall1 libxenevtchn1
	libxenforeignmemory1 libxengnttab1 libxenmisc4.17 libxenstore4 libxentoollog1
	libxendevicemodel1 libxenhypfs1 libxentoolcore1 libyajl2)
XEN_MODULES=(xen-evtchn xenfs xen-privcmd xen-gntdev)
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=2 smap=0"

# Sets XROOT: the unpacked Xen packages, with boot/xen the plain image.
xen_fetch() {
	local ver tmp
	ver=$(apt-cache show --no-all-versions "${XEN_PACKAGES[0]}" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	if [ -z "$ver" ]; then
		# no package lists (offline?): the newest cached one
		ver=$(ls "$CACHE" 2>/dev/null | sed -n 's/^xen-4\.17-//p' | sort -V | tail -n 1)
		[ -n "$ver" ] || die "apt knows no ${XEN_PACKAGES[0]} and none is cached"
	fi
	XROOT=$CACHE/xen-4.17-$ver
	[ -e "$XROOT/.ready" ] && return 0
	say "fetching Xen $ver (${XEN_PACKAGES[*]}) into $CACHE"
	tmp=$CACHE/.xen-4.17-$ver.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/deb" "$tmp/root"
	(cd "$tmp/deb" && apt-get download "${XEN_PACKAGES[@]}" >/dev/null 2>&1) ||
		die "apt-get download ${XEN_PACKAGES[*]} failed"
	for f in "$tmp"/deb/*.deb; do dpkg -x "$f" "$tmp/root"; done
	zcat "$tmp"/root/boot/xen-4.17-amd64.gz > "$tmp/root/boot/xen"
	rm -rf "$XROOT"
	mv "$tmp/root" "$XROOT"
	rm -rf "$tmp"
	touch "$XROOT/.ready"
}

# xen_initramfs ROOT: xl and xenstored (the C one) with their libraries,
# and the dom0 modules (/dev/xen/evtchn, /proc/xen, privcmd, gntdev)
xen_initramfs() {
	local root=$1 lib=$XROOT/usr/lib/x86_64-linux-gnu f
	MODULES+=("${XEN_MODULES[@]}")
	mkdir -p "$root/usr/lib/xen-4.17/bin"
	cp -a "$lib"/lib*.so* "$root/usr/lib/"
	for f in xl xenstored xen-init-dom0; do
		cp "$XROOT/usr/lib/xen-4.17/bin/$f" "$root/usr/lib/xen-4.17/bin/$f"
		ln -sf "../lib/xen-4.17/bin/$f" "$root/usr/sbin/$f"
		# the system libraries they need (the Xen ones are in $lib)
		for l in $(LD_LIBRARY_PATH=$lib ldd "$XROOT/usr/lib/xen-4.17/bin/$f" |
				awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
			case $l in "$XROOT"/*) continue ;; esac
			[ -e "$root$l" ] || { mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"; }
		done
	done
}

xen_boot_args() {
	BOOT_ARGS=(-kernel "$XROOT/boot/xen" -append "$XEN_CMDLINE"
		-initrd "$VMLINUZ console=hvc0 earlyprintk=xen panic=-1 loglevel=6 rdinit=/init $KARGS,$work/initramfs.cpio")
}

# the hypervisor's own reports: a panic, a crashed dom0, a BUG or WARN
xen_check_log() {
	! tr -d '\r' < "$console" | grep -E '^\(XEN\) .*(Panic on CPU|Dom0 crashed|Xen BUG|Xen WARN|Assertion)' |
		sed 's/^/rig: Xen reported: /' | grep .
}

# TCG on a busy host starves the guest: no_timer_check skips the IO-APIC
# timer check that then panics ("IO-APIC + timer doesn't work!"), and
# nosoftlockup keeps the soft-lockup watchdog from reporting a vCPU that
# the host did not run (seen with five CPU-bound jobs on two cores).
KARGS="no_timer_check nosoftlockup"
# with the patched libnvdimm: poison freed slab objects, so that a read of
# the info block copy after its device let it go returns 0x6b bytes
[ "$patched" = 0 ] || KARGS+=" slub_debug=FZP"

# one console log per boot, named after its first test; console.log links
# to the latest
console=$work/console-${tests[0]:-none}.log

main() {
	local start=$SECONDS rc=0 t summary
	# two rigs may start together (meson runs the kernels in parallel)
	mkdir -p "$CACHE"
	exec 9> "$CACHE/.lock"
	flock 9
	ensure_packages
	fetch_kernel
	if [ "$patched" = 1 ]; then
		local t0=$SECONDS
		PATCHED_KO=$(bash "$RIG_DIR/../../kernel/build-module.sh" --cache "$CACHE" \
			--stock "$KROOT/lib/modules/$KVER/kernel/drivers/nvdimm/libnvdimm.ko" "$KVER") ||
			die "cannot build the patched libnvdimm.ko for $KVER"
		say "patched libnvdimm.ko for $KVER ready in $((SECONDS - t0))s: $PATCHED_KO"
	fi
	[ "$xen" = 0 ] || xen_fetch
	flock -u 9
	if [ "$fetch_only" = 1 ]; then say "kernel $KVER ready in $KROOT"; return 0; fi
	say "kernel $KVER, work dir $work"
	build_initramfs
	[ "$reuse" = 0 ] || [ -f "$work/facts.json" ] || die "--reuse-work: no $work/facts.json"
	boot || rc=1
	# A kernel that died before init ran has not touched the backing files
	# (TCG now and then hits an int3 in boot-time text patching): boot once
	# more, and say so.
	if ! grep -q RIG-TEST-BEGIN "$console" && [ ! -f "$work/cut.log" ] &&
			tr -d '\r' < "$console" | grep -qE '^\[ *[0-9.]+\] (Kernel panic|Oops)'; then
		cp "$console" "$console.died"
		say "the kernel died before init ($(tr -d '\r' < "$console" |
			grep -m1 -oE '(Kernel panic|Oops)[^[]*')); booting once more (log: $console.died)"
		rc=0
		boot || rc=1
	fi
	say "guest ran for $((SECONDS - start))s"
	# facts for host checks and for a later --reuse-work boot
	sed -n 's/^RIG-FACT //p' "$console" | tr -d '\r' | jq -s . > "$work/facts.json.new"
	mv "$work/facts.json.new" "$work/facts.json.boot"
	[ "$reuse" = 1 ] && [ ! -f "$work/cut.log" ] || cp "$work/facts.json.boot" "$work/facts.json"
	summary=$(tr -d '\r' < "$console" | sed -n 's/^RIG-SUMMARY: //p' | tail -n 1)
	if [ -z "$summary" ]; then
		say "no test summary on the console"; rc=1
	else
		say "guest: $summary"
		echo "$summary" | grep -q ' 0 failed$' || rc=1
	fi
	# the matrix table(s) and per-test lines, for the test log
	tr -d '\r' < "$console" | sed -n -e '/^RIG-TABLE/,/^RIG-MATRIX/p' -e '/^RIG-REBOOT/p' -e '/^RIG-TEST-END/p'
	check_kernel_log || rc=1
	[ "$xen" = 0 ] || xen_check_log || rc=1
	for t in "${tests[@]}"; do
		[ -f "$RIG_DIR/host/$t.sh" ] || continue
		say "host checks for $t"
		RIG_WORK=$work RIG_BUILD=$build RIG_DIR=$RIG_DIR RIG_KERNEL=$kernel \
			bash "$RIG_DIR/host/$t.sh" || rc=1
	done
	say "kernel $kernel: $([ $rc = 0 ] && echo PASS || echo FAIL) in $((SECONDS - start))s (log: $console)"
	return $rc
}

main
