// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The running kernel, as far as it decides what a namespace can be: a Xen
 * PV kernel runs without PSE (a PV dom0's supported_alignments is 4096
 * alone, 4096 2097152 1073741824 on the same machine without Xen), so
 * memory hotplug
 * cannot put a whole section's memmap on the device (map=dev), and the
 * pfn/dax devices' supported_alignments (nd_pfn_supported_alignments():
 * PAGE_SIZE, plus the PMD and PUD sizes only with transparent huge pages,
 * which need PSE) says which devdax align its probe accepts.
 *
 * What a PV dom0 shows (drivers/xen/sys-hypervisor.c): /sys/hypervisor/type
 * "xen" and /sys/hypervisor/guest_type "PV" (an HVM or PVH guest says
 * "HVM" or "PVH" and keeps PSE).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "private.h"

const char *ndx_sysfs_root(void)
{
#if NDX_TEST_HOOKS
	/* a test build reads a fake sysfs; secure_getenv: never a set-uid caller's */
	const char *root = secure_getenv("NDCTL_XEN_SYSFS_ROOT");

	if (root && root[0])
		return root;
#endif
	return "/sys";
}

int ndx_sysfs_read_path(const char *rel, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s%s", ndx_sysfs_root(), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* 1 in a Xen PV domain (a PV dom0 is one), else 0 */
static int xen_pv(void)
{
	char type[32], guest[32];

	return ndx_sysfs_read_path("/hypervisor/type", type, sizeof(type)) == 0 &&
		strcmp(type, "xen") == 0 &&
		ndx_sysfs_read_path("/hypervisor/guest_type", guest, sizeof(guest)) == 0 &&
		strcmp(guest, "PV") == 0;
}

/* "4096 2097152 1073741824" as NDX_ALIGN_* bits; 0 when none is known */
static uint32_t parse_aligns(const char *list)
{
	uint32_t bits = 0;
	char *end;

	while (*list) {
		unsigned long long a = strtoull(list, &end, 0);

		if (end == list)
			break;
		bits |= a == NDX_SZ_4K ? NDX_ALIGN_4K : a == NDX_SZ_2M ? NDX_ALIGN_2M :
			a == NDX_SZ_1G ? NDX_ALIGN_1G : 0;
		list = end;
		while (*list == ' ')
			list++;
	}
	return bits;
}

/*
 * supported_alignments of the region's dax seed (devdax) or pfn seed
 * (fsdax); with no region, of the first such device on the bus: the list
 * is the kernel's, the same for every region.
 */
static uint32_t supported_aligns(const char *region, int dax)
{
	const char *seed_attr = dax ? "dax_seed" : "pfn_seed";
	char seed[64] = "", list[128], rel[256];
	struct dirent *e;
	DIR *d;

	if (region && ndx_sysfs_read(region, seed_attr, seed, sizeof(seed)) == 0 && seed[0] &&
			ndx_sysfs_read(seed, "supported_alignments", list, sizeof(list)) == 0)
		return parse_aligns(list);
	snprintf(rel, sizeof(rel), "%s/bus/nd/devices", ndx_sysfs_root());
	d = opendir(rel);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, dax ? "dax" : "pfn", 3) != 0 ||
				!strchr(e->d_name, '.'))
			continue;
		if (ndx_sysfs_read(e->d_name, "supported_alignments", list, sizeof(list)) == 0)
			break;
	}
	closedir(d);
	return e ? parse_aligns(list) : 0;
}

NDX_EXPORT int ndctl_xen_layout_set_platform(struct ndctl_xen_layout *l, const char *region)
{
	int pv = xen_pv();

	l->req.no_pse = pv;
	l->req.aligns = supported_aligns(region, l->req.mode == NDCTL_XEN_MODE_DEVDAX);
	l->computed = 0;
	dbg(l->ctx, "platform: %s, supported aligns %#x\n", pv ? "Xen PV (no PSE)" : "not Xen PV",
			l->req.aligns);
	return pv;
}

NDX_EXPORT const char *ndctl_xen_layout_get_platform_choice(struct ndctl_xen_layout *l)
{
	return l->computed ? l->out.platform_choice : "";
}
