// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The namespace object `ndctl list` prints (ndctl 76), key for key and
 * with ndctl's meanings, so that ndctl-xen list is a superset of it: the
 * usable size of the pfn/dax/btt device, the uuid of that device (the
 * namespace's own as raw_uuid with -v), media errors as 512-byte sectors
 * from the data device's start, from the region's list.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <ndctl/libndctl.h>
#include <daxctl/libdaxctl.h>
#include <linux/ndctl.h>

#include "builtin.h"
#include "util/size.h"

/* ndctl list's sizes: numbers, or with -u as ndctl's display_size() */
static struct json_object *nd_size(uint64_t v, unsigned int flags)
{
	char buf[64];

	if (!(flags & NDJ_HUMAN) || !util_ndctl_size(v, buf, sizeof(buf)))
		return json_u64(v);
	return json_object_new_string(buf);
}

static void add_uuid(struct json_object *j, const char *key, const unsigned char *u)
{
	char buf[40];

	uuid_unparse(u, buf);
	json_object_object_add(j, key, json_object_new_string(buf));
}

/* The DIMMs a range of the region falls on, by name, as ndctl sorts them. */
static int cmp_dimm(const void *a, const void *b)
{
	int x = 0, y = 0;

	sscanf(ndctl_dimm_get_devname(*(struct ndctl_dimm *const *)a), "nmem%d", &x);
	sscanf(ndctl_dimm_get_devname(*(struct ndctl_dimm *const *)b), "nmem%d", &y);
	return x - y;
}

static struct json_object *range_dimms(struct ndctl_region *region, uint64_t addr, uint64_t len)
{
	struct ndctl_bus *bus = ndctl_region_get_bus(region);
	unsigned int ways = ndctl_region_get_interleave_ways(region), found = 0, i;
	struct ndctl_dimm **dimms = calloc(ways ? ways : 1, sizeof(*dimms)), *dimm;
	struct json_object *a = NULL;
	uint64_t end = addr + len;

	if (!dimms)
		return NULL;
	for (; found < ways && addr < end; addr += 512) {
		dimm = ndctl_bus_get_dimm_by_physical_address(bus, addr);
		for (i = 0; dimm && i < found && dimms[i] != dimm; i++)
			;
		if (dimm && i == found)
			dimms[found++] = dimm;
	}
	if (found) {
		qsort(dimms, found, sizeof(*dimms), cmp_dimm);
		a = json_object_new_array();
		for (i = 0; i < found; i++)
			json_object_array_add(a, json_object_new_string(ndctl_dimm_get_devname(dimms[i])));
	}
	free(dimms);
	return a;
}

static struct json_object *badblock_json(uint64_t offset, unsigned int len,
		struct ndctl_region *region, uint64_t addr)
{
	struct json_object *b = json_object_new_object(), *d;

	json_object_object_add(b, "offset", json_object_new_int64((int64_t)offset));
	json_object_object_add(b, "length", json_object_new_int((int)len));
	if (region && (d = range_dimms(region, addr, (uint64_t)len << 9)))
		json_object_object_add(b, "dimms", d);
	return b;
}

/*
 * The region's media errors inside a device [begin, begin + size): sectors
 * from begin (ndctl's dev_badblocks_to_json()); whole == 1: every error of
 * the region, from the region's start (a raw namespace's view).
 */
static struct json_object *region_badblocks(struct ndctl_region *region, uint64_t begin,
		uint64_t size, int whole, unsigned int *count, int list)
{
	uint64_t rbase = ndctl_region_get_resource(region), end = begin + size - 1;
	struct json_object *a = list ? json_object_new_array() : NULL;
	struct badblock *bb;
	unsigned int n = 0;

	if (rbase == ULLONG_MAX) {
		json_object_put(a);
		return NULL;
	}
	ndctl_region_badblock_foreach(region, bb) {
		uint64_t b0 = rbase + ((uint64_t)bb->offset << 9);
		uint64_t b1 = b0 + ((uint64_t)bb->len << 9) - 1, s, e;

		if (whole) {
			n += bb->len;
			if (a)
				json_object_array_add(a, badblock_json(bb->offset, bb->len, region, b0));
			continue;
		}
		if (b1 <= begin || b0 >= end)
			continue;
		s = b0 < begin ? begin : b0;
		e = b1 > end ? end : b1;
		n += (unsigned int)((e - s + 1) >> 9);
		if (a)
			json_object_array_add(a, badblock_json((s - begin) >> 9,
					(unsigned int)((e - s + 1) >> 9), region, s));
	}
	*count = n;
	if (n)
		return a;
	json_object_put(a);
	return NULL;
}

/* A raw namespace without region errors: the pmem driver's own list */
static struct json_object *disk_badblocks(struct ndctl_namespace *ndns, unsigned int *count,
		int list)
{
	struct json_object *a;
	struct badblock *bb;
	unsigned int n = 0;

	if (!list)
		return NULL;
	a = json_object_new_array();
	ndctl_namespace_badblock_foreach(ndns, bb) {
		n += bb->len;
		json_object_array_add(a, badblock_json(bb->offset, bb->len, NULL, 0));
	}
	*count = n;
	if (n)
		return a;
	json_object_put(a);
	return NULL;
}

/* -X (and -v): the device-dax region and its devices, as ndctl shows them */
static struct json_object *daxregion_json(struct daxctl_region *dr, unsigned int flags)
{
	struct json_object *r = json_object_new_object(), *devs = NULL, *d;
	unsigned long long avail = daxctl_region_get_available_size(dr);
	struct daxctl_dev *dev;
	int node;

	json_object_object_add(r, "id", json_object_new_int(daxctl_region_get_id(dr)));
	json_object_object_add(r, "size", nd_size(daxctl_region_get_size(dr), flags));
	if (avail)
		json_object_object_add(r, "available_size", nd_size(avail, flags));
	json_object_object_add(r, "align", json_object_new_int64((int64_t)daxctl_region_get_align(dr)));
	daxctl_dev_foreach(dr, dev) {
		d = json_object_new_object();
		json_object_object_add(d, "chardev", json_object_new_string(daxctl_dev_get_devname(dev)));
		json_object_object_add(d, "size", nd_size(daxctl_dev_get_size(dev), flags));
		node = daxctl_dev_get_target_node(dev);
		if (node >= 0)
			json_object_object_add(d, "target_node", json_object_new_int(node));
		if (daxctl_dev_get_align(dev))
			json_object_object_add(d, "align",
					json_object_new_int64((int64_t)daxctl_dev_get_align(dev)));
		json_object_object_add(d, "mode", json_object_new_string(
				daxctl_dev_get_memory(dev) ? "system-ram" : "devdax"));
		if (!daxctl_dev_is_enabled(dev))
			json_object_object_add(d, "state", json_object_new_string("disabled"));
		if (!devs)
			devs = json_object_new_array();
		json_object_array_add(devs, d);
	}
	if (devs)
		json_object_object_add(r, "devices", devs);
	return r;
}

void ns_claim_get(struct ndctl_namespace *ndns, struct ns_claim *c)
{
	struct ndctl_region *region = ndctl_namespace_get_region(ndns);
	char path[300], holder[64];
	ssize_t n;
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/holder",
			ndctl_namespace_get_devname(ndns));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, holder, sizeof(holder) - 1);
	close(fd);
	if (n <= 0)
		return;
	holder[n] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
	ndctl_btt_foreach(region, c->btt)
		if (strcmp(holder, ndctl_btt_get_devname(c->btt)) == 0)
			return;
	ndctl_pfn_foreach(region, c->pfn)
		if (strcmp(holder, ndctl_pfn_get_devname(c->pfn)) == 0)
			return;
	ndctl_dax_foreach(region, c->dax)
		if (strcmp(holder, ndctl_dax_get_devname(c->dax)) == 0)
			return;
}

int ns_claim_active(struct ndctl_namespace *ndns, const struct ns_claim *c)
{
	if (c->btt)
		return ndctl_btt_is_enabled(c->btt);
	if (c->pfn)
		return ndctl_pfn_is_enabled(c->pfn);
	if (c->dax)
		return ndctl_dax_is_enabled(c->dax);
	return ndctl_namespace_is_enabled(ndns);
}

struct json_object *ndctl_namespace_json(struct ndctl_namespace *ndns,
		const struct ns_claim *claim, unsigned int flags, struct ns_disk *disk)
{
	static const char *const loc_name[] = {
		[NDCTL_PFN_LOC_NONE] = "none", [NDCTL_PFN_LOC_RAM] = "mem",
		[NDCTL_PFN_LOC_PMEM] = "dev",
	};
	struct json_object *j = json_object_new_object(), *bbs = NULL;
	struct ns_claim own;
	const struct ns_claim *c = claim ? claim : (ns_claim_get(ndns, &own), &own);
	struct ndctl_btt *btt = c->btt;
	struct ndctl_pfn *pfn = c->pfn;
	struct ndctl_dax *dax = c->dax;
	struct ndctl_region *region = ndctl_namespace_get_region(ndns);
	enum ndctl_namespace_mode mode = ndctl_namespace_get_mode(ndns);
	enum ndctl_pfn_loc loc = NDCTL_PFN_LOC_NONE;
	unsigned long long size = ULLONG_MAX;
	unsigned int sector_size = UINT_MAX, count = 0;
	int verbose = flags & NDJ_VERBOSE, errors = flags & (NDJ_MEDIA_ERRORS | NDJ_VERBOSE);
	const char *mode_str = NULL, *bdev = NULL, *name;
	unsigned long align = 0;
	unsigned char u[16];
	int node;

	json_object_object_add(j, "dev", json_object_new_string(ndctl_namespace_get_devname(ndns)));
	switch (mode) {
	case NDCTL_NS_MODE_FSDAX:
		size = pfn ? ndctl_pfn_get_size(pfn) : ndctl_namespace_get_size(ndns);
		loc = pfn ? ndctl_pfn_get_location(pfn) : NDCTL_PFN_LOC_RAM;
		mode_str = "fsdax";
		break;
	case NDCTL_NS_MODE_DEVDAX:
		if (dax) {
			size = ndctl_dax_get_size(dax);
			loc = ndctl_dax_get_location(dax);
		}
		mode_str = "devdax";
		break;
	case NDCTL_NS_MODE_SECTOR:
		if (btt)
			size = ndctl_btt_get_size(btt);
		mode_str = "sector";
		break;
	case NDCTL_NS_MODE_RAW:
		size = ndctl_namespace_get_size(ndns);
		mode_str = "raw";
		break;
	default:
		break;
	}
	if (mode_str)
		json_object_object_add(j, "mode", json_object_new_string(mode_str));
	if (mode != NDCTL_NS_MODE_SECTOR && mode != NDCTL_NS_MODE_RAW && loc <= NDCTL_PFN_LOC_PMEM)
		json_object_object_add(j, "map", json_object_new_string(loc_name[loc]));
	if (size < ULLONG_MAX)
		json_object_object_add(j, "size", nd_size(size, flags));

	if (btt || pfn || dax) {
		if (btt) {
			ndctl_btt_get_uuid(btt, u);
			bdev = ndctl_btt_get_block_device(btt);
		} else if (pfn) {
			ndctl_pfn_get_uuid(pfn, u);
			align = ndctl_pfn_get_align(pfn);
			bdev = ndctl_pfn_get_block_device(pfn);
		} else {
			ndctl_dax_get_uuid(dax, u);
			align = ndctl_dax_get_align(dax);
		}
		add_uuid(j, "uuid", u);
		ndctl_namespace_get_uuid(ndns, u);
		if (verbose && !uuid_is_null(u))
			add_uuid(j, "raw_uuid", u);
		if (dax) {
			struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
			struct daxctl_dev *dev = dr ? daxctl_dev_get_first(dr) : NULL;

			if (dr && (flags & (NDJ_DAX | NDJ_VERBOSE)))
				json_object_object_add(j, "daxregion", daxregion_json(dr, flags));
			else if (dev)
				json_object_object_add(j, "chardev",
						json_object_new_string(daxctl_dev_get_devname(dev)));
		}
	} else {
		if (ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_IO) {
			ndctl_namespace_get_uuid(ndns, u);
			add_uuid(j, "uuid", u);
		}
		bdev = ndctl_namespace_get_block_device(ndns);
	}
	if (btt) {
		sector_size = ndctl_btt_get_sector_size(btt);
	} else if (!dax) {
		sector_size = ndctl_namespace_get_sector_size(ndns);
		/* the kernel's default for label-less or pre-1.2-label namespaces */
		if (!sector_size || sector_size == UINT_MAX)
			sector_size = 512;
	}
	if (sector_size < UINT_MAX)
		json_object_object_add(j, "sector_size", json_object_new_int((int)sector_size));
	if (align)
		json_object_object_add(j, "align", json_object_new_int64((int64_t)align));
	if (bdev && bdev[0])
		json_object_object_add(j, "blockdev", json_object_new_string(bdev));
	if (disk && (flags & NDJ_ACTIVE) && (pfn || (!btt && !dax))) {
		/* active with a pfn claim: the pfn is the enabled device */
		disk->bdev = bdev;
		disk->off = pfn ? ndctl_pfn_get_resource(pfn) - ndctl_namespace_get_resource(ndns) : 0;
	}
	if (!(flags & NDJ_ACTIVE))
		json_object_object_add(j, "state", json_object_new_string("disabled"));
	name = ndctl_namespace_get_alt_name(ndns);
	if (name && name[0])
		json_object_object_add(j, "name", json_object_new_string(name));
	node = ndctl_namespace_get_numa_node(ndns);
	if (node >= 0 && verbose)
		json_object_object_add(j, "numa_node", json_object_new_int(node));
	node = ndctl_namespace_get_target_node(ndns);
	if (node >= 0 && verbose)
		json_object_object_add(j, "target_node", json_object_new_int(node));

	if (pfn && ndctl_pfn_get_resource(pfn) != ULLONG_MAX)
		bbs = region_badblocks(region, ndctl_pfn_get_resource(pfn), ndctl_pfn_get_size(pfn),
				0, &count, errors);
	else if (pfn)
		bbs = disk_badblocks(ndns, &count, errors);
	else if (dax && ndctl_dax_get_resource(dax) != ULLONG_MAX)
		bbs = region_badblocks(region, ndctl_dax_get_resource(dax), ndctl_dax_get_size(dax),
				0, &count, errors);
	else if (btt)
		region_badblocks(region, ndctl_namespace_get_resource(ndns),
				ndctl_namespace_get_size(ndns), 0, &count, 0);
	else if (!dax && !(bbs = region_badblocks(region, 0, 0, 1, &count, errors)))
		bbs = disk_badblocks(ndns, &count, errors);
	if (count)
		json_object_object_add(j, "badblock_count", json_object_new_int((int)count));
	if (errors && bbs)
		json_object_object_add(j, "badblocks", bbs);
	else
		json_object_put(bbs);
	return j;
}
