// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where is the reserved area, whose is it, does it fit, where is the data:
 * layouts of live namespaces, image files and block devices, the areas a
 * media error falls into, and the machine frame ranges Xen's xen-ndctl
 * takes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "intent.h"
#include "private.h"
#include "store.h"

/*
 * Xen x86-64 (xen/arch/x86/include/asm/mm.h): sizeof(struct page_info) is
 * 32 bytes (its list links and owner are 32-bit pdx values), 48 with
 * CONFIG_BIGMEM (they become list_head and unsigned long); one M2P entry
 * is an 8-byte unsigned long.  check_mgmt_size() counts both per frame.
 */
#define XEN_PAGE_INFO_SIZE 32u
#define XEN_M2P_ENTRY_SIZE 8u

static int sysfs_u64(const char *dev, const char *attr, uint64_t *v)
{
	char buf[64], *end;
	int rc = ndx_sysfs_read(dev, attr, buf, sizeof(buf));

	if (rc)
		return rc;
	*v = strtoull(buf, &end, 0);
	return end == buf ? -EINVAL : 0;
}

static int live_dev_read(const char *holder, struct ndx_live_dev *d)
{
	char mode[16], u[64];

	if (sysfs_u64(holder, "resource", &d->res) || sysfs_u64(holder, "align", &d->align) ||
			sysfs_u64(holder, "size", &d->size) ||
			ndx_sysfs_read(holder, "mode", mode, sizeof(mode)) ||
			ndx_sysfs_read(holder, "uuid", u, sizeof(u)) || uuid_parse(u, d->uuid))
		return -ENXIO;
	d->mode = strncmp(holder, "dax", 3) == 0 ? NDCTL_XEN_MODE_DEVDAX : NDCTL_XEN_MODE_FSDAX;
	d->map = strcmp(mode, "pmem") == 0 ? NDCTL_XEN_MAP_DEV : NDCTL_XEN_MAP_MEM;
	return 0;
}

/*
 * The same attributes as libndctl read them when it enumerated the
 * region's pfn and dax devices (libndctl 76's ndctl_pfn_get_resource,
 * _size, _align, _location and _uuid return those values, read once; the
 * device's holder is read again by ndctl_namespace_get_pfn, so it is
 * looked up here by name).  -ENOENT when libndctl has no such device or
 * holds what an unbound device shows (resource and size unreadable:
 * ULLONG_MAX; no mode, align or uuid): the caller reads sysfs.
 */
static int live_dev_cached(struct ndctl_namespace *ndns, const char *holder,
		struct ndx_live_dev *d)
{
	struct ndctl_region *region = ndctl_namespace_get_region(ndns);
	enum ndctl_pfn_loc loc;
	struct ndctl_pfn *pfn;
	struct ndctl_dax *dax;

	if (strncmp(holder, "dax", 3) == 0) {
		ndctl_dax_foreach(region, dax)
			if (strcmp(ndctl_dax_get_devname(dax), holder) == 0)
				break;
		if (!dax)
			return -ENOENT;
		d->res = ndctl_dax_get_resource(dax);
		d->size = ndctl_dax_get_size(dax);
		d->align = ndctl_dax_get_align(dax);
		loc = ndctl_dax_get_location(dax);
		ndctl_dax_get_uuid(dax, d->uuid);
		d->mode = NDCTL_XEN_MODE_DEVDAX;
	} else {
		ndctl_pfn_foreach(region, pfn)
			if (strcmp(ndctl_pfn_get_devname(pfn), holder) == 0)
				break;
		if (!pfn)
			return -ENOENT;
		d->res = ndctl_pfn_get_resource(pfn);
		d->size = ndctl_pfn_get_size(pfn);
		d->align = ndctl_pfn_get_align(pfn);
		loc = ndctl_pfn_get_location(pfn);
		ndctl_pfn_get_uuid(pfn, d->uuid);
		d->mode = NDCTL_XEN_MODE_FSDAX;
	}
	d->map = loc == NDCTL_PFN_LOC_PMEM ? NDCTL_XEN_MAP_DEV : NDCTL_XEN_MAP_MEM;
	if (d->res == ULLONG_MAX || d->size == ULLONG_MAX || !d->align ||
			(loc != NDCTL_PFN_LOC_PMEM && loc != NDCTL_PFN_LOC_RAM) || uuid_is_null(d->uuid))
		return -ENOENT;
	return 0;
}

int ndx_store_dir(struct ndctl_xen_ctx *ctx, unsigned int flags)
{
	if (!(flags & NDCTL_XEN_QUERY_CACHED))
		return NDX_STORE_OPEN;
	if (!ctx->store_opened) {
		ctx->store_fd = ndx_state_open("blocks", 0);
		ctx->store_opened = 1;
	}
	return ctx->store_fd;
}

int ndx_ctx_store_put(struct ndctl_xen_ctx *ctx, const uint8_t block[NDX_SB_SIZE],
		const unsigned char ns_uuid[16], uint64_t ns_res)
{
	int rc = ndx_store_put(block, ns_uuid, ns_res);

	if (rc == 0 && ctx->store_opened && ctx->store_fd < 0)
		ctx->store_opened = 0;
	return rc;
}

/*
 * sysfs alone: the geometry (dataoff from the device's resource, the
 * data area from its size, the kernel's own dataoff for the gap), and
 * nothing sysfs does not show: no reservation, owner, per-page bytes or
 * page_struct_size (a map=dev dataoff above the kernel's default may be
 * a reservation or a larger page_struct_size).
 */
static int layout_from_sysfs(struct ndctl_xen_layout *l, const struct ndx_live_dev *d,
		uint64_t ns_res, uint64_t ns_size)
{
	struct ndx_recorded rec = { 0 };

	if (d->res < ns_res || d->res - ns_res >= ns_size || d->size > ns_size - (d->res - ns_res))
		return -ENXIO;
	memset(&l->req, 0, sizeof(l->req));
	l->req.size = ns_size;
	l->req.phys_start = ns_res;
	l->req.mode = d->mode;
	l->req.map = d->map;
	l->req.align = d->align;
	l->req.page_struct_size = NDX_KERNEL_STRUCT_PAGE;
	rec.dataoff = d->res - ns_res;
	rec.npfns = d->size / NDX_SZ_4K;
	rec.end_trunc = (uint32_t)(ns_size - rec.dataoff - d->size);
	ndx_layout_geometry(&l->req, &rec, &l->out);
	l->source = NDCTL_XEN_SOURCE_SYSFS;
	l->unknown = NDCTL_XEN_UNKNOWN_RESERVE | NDCTL_XEN_UNKNOWN_OWNER |
		NDCTL_XEN_UNKNOWN_PER_PAGE | NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE;
	l->verified = 1;
	l->computed = 1;
	return 0;
}

/* The host's copy of the adopted block, if it agrees with sysfs. */
static int layout_from_store(struct ndctl_xen_layout *l, int dirfd, const struct ndx_live_dev *d,
		const unsigned char ns_uuid[16], uint64_t ns_res, uint64_t ns_size)
{
	uint8_t block[NDX_SB_SIZE];
	struct ndx_pfn_info in;
	int rc;

	/* only a copy read from this namespace (store.h) */
	if (ndx_store_get_at(dirfd, ns_uuid, ns_res, d->uuid, block) ||
			ndx_pfn_sb_decode(block, &in) != NDX_SB_OK)
		return -ENOENT;
	if (memcmp(in.parent_uuid, ns_uuid, 16) != 0 ||
			(in.is_dax ? NDCTL_XEN_MODE_DEVDAX : NDCTL_XEN_MODE_FSDAX) != d->mode ||
			(in.mode == NDX_PFN_MODE_PMEM ? NDCTL_XEN_MAP_DEV : NDCTL_XEN_MAP_MEM) != d->map ||
			ndx_pfn_sb_align(&in) != d->align || d->res - ns_res != in.dataoff + in.start_pad)
		return -ESTALE;
	rc = ndx_layout_from_block(l, &in, ns_size, ns_res);
	if (rc == 0 && l->out.data_size != d->size)
		return -ESTALE;
	l->source = NDCTL_XEN_SOURCE_STORE;
	l->unknown = 0;
	l->verified = 1;
	return rc;
}

NDX_EXPORT int ndctl_xen_layout_from_file(struct ndctl_xen_ctx *ctx,
		const char *path, uint64_t offset, uint64_t size, uint64_t phys_start,
		struct ndctl_xen_layout **out)
{
	struct ndctl_xen_infoblock *ib;
	int rc = ndctl_xen_infoblock_read(ctx, path, offset, &ib);

	if (rc)
		return rc;
	if (ndctl_xen_infoblock_get_status(ib) != NDCTL_XEN_BLOCK_OK ||
			ndctl_xen_infoblock_get_record_status(ib) == NDCTL_XEN_RECORD_DAMAGED ||
			ndctl_xen_infoblock_get_record_status(ib) == NDCTL_XEN_RECORD_BAD_VERSION) {
		ndctl_xen_infoblock_unref(ib);
		return -ENXIO;
	}
	rc = ndctl_xen_infoblock_get_layout(ib, size, phys_start, out);
	ndctl_xen_infoblock_unref(ib);
	return rc;
}

/*
 * A namespace's block read now from its raw block device: kept in the
 * store, unless the caller asked for nothing to be written.
 */
static int layout_from_media(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		unsigned int flags, struct ndctl_xen_layout **out)
{
	const char *bdev = ndctl_namespace_get_block_device(ndns);
	unsigned char ns_uuid[16];
	uint8_t span[NDX_INFOBLOCK_SPAN];
	char path[64];
	int rc;

	if (!bdev || !bdev[0])
		return -ENXIO;
	snprintf(path, sizeof(path), "/dev/%s", bdev);
	rc = ndctl_xen_layout_from_file(ctx, path, 0, ndctl_namespace_get_size(ndns),
			ndctl_namespace_get_resource(ndns), out);
	if ((rc == 0 || rc == -EINVAL) && !(flags & NDCTL_XEN_QUERY_NO_STORE)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		ndctl_namespace_get_uuid(ndns, ns_uuid);
		if (fd >= 0 && pread(fd, span, sizeof(span), 0) == (ssize_t)sizeof(span) &&
				ndx_ctx_store_put(ctx, span + NDX_SB_OFFSET, ns_uuid,
					ndctl_namespace_get_resource(ndns)) == 0)
			dbg(ctx, "%s: its block is in the store\n", path);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static int bound(const char *dev)
{
	char drv[300];

	snprintf(drv, sizeof(drv), "%s/bus/nd/devices/%s/driver", ndx_sysfs_root(), dev);
	return access(drv, F_OK) == 0;
}

int ndx_dax_child_bound(const char *holder)
{
	char path[300];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "%s/bus/nd/devices/%s", ndx_sysfs_root(), holder);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, "dax", 3) || !strchr(e->d_name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/bus/nd/devices/%s/%.64s/driver",
				ndx_sysfs_root(), holder, e->d_name);
		found = access(path, F_OK) == 0;
	}
	closedir(d);
	return found;
}

/*
 * A claim device whose probe failed (pfnX.Y or daxX.Y with no driver, or
 * an nd_dax device whose daxX.Y child device_dax could not map: -12 when
 * map=dev has no room or no PSE) serves nothing, whatever the namespace's
 * info block says: ndctl shows such a device "state": "disabled".  The
 * claim device's name in holder ("" when none), read once.
 */
static int usable_holder(const char *ns, char *holder, size_t len)
{
	if (ndx_sysfs_read(ns, "holder", holder, len) || !holder[0]) {
		holder[0] = '\0';
		return bound(ns);
	}
	if (!bound(holder))
		return 0;
	return strncmp(holder, "dax", 3) != 0 || ndx_dax_child_bound(holder);
}

int ndx_namespace_usable(const char *ns)
{
	char holder[64];

	return usable_holder(ns, holder, sizeof(holder));
}

NDX_EXPORT int ndctl_xen_namespace_is_usable(struct ndctl_namespace *ndns)
{
	return ndx_namespace_usable(ndctl_namespace_get_devname(ndns));
}

/* The pfn/dax device that claims ns and serves its data, if any. */
static int live_holder(const char *ns, char *holder, size_t len)
{
	return usable_holder(ns, holder, len) && holder[0] && strncmp(holder, "btt", 3) != 0;
}

int ndx_layout_live(struct ndctl_xen_ctx *ctx, const char *ns, const char *holder,
		const struct ndx_live_dev *cached, const unsigned char ns_uuid[16],
		uint64_t ns_res, uint64_t ns_size, unsigned int flags,
		struct ndctl_xen_layout **out)
{
	struct ndx_live_dev d;
	int rc = ndctl_xen_layout_new(ctx, out);

	if (rc)
		return rc;
	/* the kernel's own copy, where it shows one (query-kernel.c) */
	rc = ndx_layout_from_kernel(ctx, *out, holder, ns_uuid, ns_res, ns_size, flags);
	if (rc == 0 || rc == -EINVAL)
		return rc;
	if (cached) {
		d = *cached;
	} else if (live_dev_read(holder, &d)) {
		ndctl_xen_layout_unref(*out);
		*out = NULL;
		return -ENXIO;
	}
	/* the device is there, its info_block is not: a stock kernel */
	if (rc == -ENOENT)
		ctx->no_kernel_block = 1;
	rc = layout_from_store(*out, ndx_store_dir(ctx, flags), &d, ns_uuid, ns_res, ns_size);
	if (rc == 0 || rc == -EINVAL)
		return rc;
	if (rc == -ESTALE)
		info(ctx, "%s: the stored copy of block %s disagrees with sysfs: not used\n",
				ns, holder);
	return layout_from_sysfs(*out, &d, ns_res, ns_size);
}

NDX_EXPORT int ndctl_xen_layout_from_namespace_flags(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, unsigned int flags, struct ndctl_xen_layout **out)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	uint64_t ns_res = ndctl_namespace_get_resource(ndns);
	uint64_t ns_size = ndctl_namespace_get_size(ndns);
	unsigned char ns_uuid[16];
	uint8_t block[NDX_SB_SIZE];
	struct ndx_pfn_info in;
	struct ndx_live_dev d;
	char holder[64] = "";
	int rc;

	if (ns_res == ULLONG_MAX || !ns_size)
		return -ENXIO;
	ndctl_namespace_get_uuid(ndns, ns_uuid);
	/* live: the block is behind the data device */
	if (live_holder(ns, holder, sizeof(holder)))
		return ndx_layout_live(ctx, ns, holder, (flags & NDCTL_XEN_QUERY_CACHED) &&
				live_dev_cached(ndns, holder, &d) == 0 ? &d : NULL,
				ns_uuid, ns_res, ns_size, flags, out);
	if (ndctl_namespace_is_enabled(ndns))
		return layout_from_media(ctx, ndns, flags, out);
	if (flags & NDCTL_XEN_QUERY_READ_DISABLED) {
		/* asked to: bring it up raw for the read and leave it disabled */
		rc = ndctl_xen_lock(ctx, 60);
		if (rc)
			return rc;
		rc = ndctl_namespace_set_raw_mode(ndns, 1);
		if (rc >= 0)
			rc = ndctl_namespace_enable(ndns);
		rc = rc >= 0 ? layout_from_media(ctx, ndns, flags, out) : -ENXIO;
		ndctl_namespace_disable_invalidate(ndns);
		ndctl_namespace_set_raw_mode(ndns, 0);
		ndctl_xen_unlock(ctx);
		return rc;
	}
	/* disabled, read-only: the block this host last saw there, unverified */
	if (ndx_disabled_block(ndx_store_dir(ctx, flags), ns, ns_uuid, ns_res, block) ||
			ndx_pfn_sb_decode(block, &in) != NDX_SB_OK)
		return -ENXIO;
	rc = ndctl_xen_layout_new(ctx, out);
	if (rc)
		return rc;
	rc = ndx_layout_from_block(*out, &in, ns_size, ns_res);
	(*out)->source = NDCTL_XEN_SOURCE_STORE;
	(*out)->verified = 0;
	return rc;
}

NDX_EXPORT int ndctl_xen_layout_from_namespace(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout **out)
{
	return ndctl_xen_layout_from_namespace_flags(ctx, ndns, 0, out);
}

NDX_EXPORT enum ndctl_xen_source ndctl_xen_layout_get_source(struct ndctl_xen_layout *l)
{
	return l->source;
}

NDX_EXPORT unsigned int ndctl_xen_layout_get_unknown(struct ndctl_xen_layout *l)
{
	return l->unknown;
}

NDX_EXPORT unsigned int ndctl_xen_layout_get_derived(struct ndctl_xen_layout *l)
{
	return l->unknown;
}

NDX_EXPORT int ndctl_xen_layout_get_verified(struct ndctl_xen_layout *l)
{
	return l->verified;
}

NDX_EXPORT enum ndctl_xen_rule ndctl_xen_layout_get_policy_rule(struct ndctl_xen_layout *l)
{
	return l->policy.rule;
}

NDX_EXPORT const char *ndctl_xen_layout_get_policy_error(struct ndctl_xen_layout *l)
{
	return l->policy.msg;
}

NDX_EXPORT uint64_t ndctl_xen_layout_get_kernel_dataoff(struct ndctl_xen_layout *l)
{
	return ndx_kernel_dataoff(l->out.req.size, l->out.req.phys_start, l->out.req.map,
			l->out.req.align);
}

/* ---- areas ---- */

NDX_EXPORT const char *ndctl_xen_area_name(enum ndctl_xen_area area)
{
	switch (area) {
	case NDCTL_XEN_AREA_INFOBLOCK: return "infoblock";
	case NDCTL_XEN_AREA_MEMMAP: return "memmap";
	case NDCTL_XEN_AREA_SLACK: return "slack";
	case NDCTL_XEN_AREA_RESERVE: return "reserve";
	case NDCTL_XEN_AREA_DATA: return "data";
	case NDCTL_XEN_AREA_TRUNCATED: return "truncated";
	case NDCTL_XEN_AREA_OUTSIDE: return "outside";
	}
	return "unknown";
}

NDX_EXPORT enum ndctl_xen_area ndctl_xen_layout_area_at(struct ndctl_xen_layout *l,
		uint64_t offset, uint64_t *area_end)
{
	const struct ndx_layout *o = &l->out;
	uint64_t rsv_end = o->reserve_offset + o->reserve_size;
	uint64_t data_end = o->data_offset + o->data_size;
	uint64_t memmap_end = l->out.req.map == NDCTL_XEN_MAP_DEV ? o->memmap_end : NDX_SZ_8K;
	enum ndctl_xen_area a;
	uint64_t end;

	if (offset >= o->req.size) {
		a = NDCTL_XEN_AREA_OUTSIDE, end = UINT64_MAX;
	} else if (offset < NDX_SZ_8K) {
		a = NDCTL_XEN_AREA_INFOBLOCK, end = NDX_SZ_8K;
	} else if (offset >= data_end) {
		a = NDCTL_XEN_AREA_TRUNCATED, end = o->req.size;
	} else if (offset >= o->data_offset) {
		a = NDCTL_XEN_AREA_DATA, end = data_end;
	} else if (o->reserve_size && offset >= o->reserve_offset && offset < rsv_end) {
		a = NDCTL_XEN_AREA_RESERVE, end = rsv_end;
	} else if (offset < memmap_end) {
		a = NDCTL_XEN_AREA_MEMMAP, end = memmap_end;
	} else {
		a = NDCTL_XEN_AREA_SLACK;
		end = o->reserve_size && offset < o->reserve_offset ? o->reserve_offset
			: o->data_offset;
	}
	if (area_end)
		*area_end = end;
	return a;
}

/* ---- consumers ---- */

NDX_EXPORT int ndctl_xen_layout_reserve_fits(struct ndctl_xen_layout *l,
		uint32_t bytes_per_page, uint64_t *pages)
{
	uint64_t covered, all = l->out.req.size / NDX_SZ_4K;

	if (!bytes_per_page)
		return -EINVAL;
	covered = l->out.reserve_size / bytes_per_page;
	if (pages)
		*pages = covered;
	return covered >= all;
}

NDX_EXPORT int ndctl_xen_layout_get_xen_mgmt(struct ndctl_xen_layout *l,
		uint64_t *smfn, uint64_t *emfn)
{
	if (!l->out.reserve_size)
		return -ENOENT;
	*smfn = (l->out.req.phys_start + l->out.reserve_offset) >> 12;
	*emfn = *smfn + (l->out.reserve_size >> 12);
	return 0;
}

NDX_EXPORT int ndctl_xen_layout_get_xen_data(struct ndctl_xen_layout *l,
		uint64_t *smfn, uint64_t *emfn)
{
	if (!l->out.data_size)
		return -ENOENT;
	*smfn = (l->out.req.phys_start + l->out.data_offset) >> 12;
	*emfn = *smfn + (l->out.data_size >> 12);
	return 0;
}

NDX_EXPORT int ndctl_xen_layout_xen_mgmt_fits_page_info(struct ndctl_xen_layout *l,
		uint32_t page_info_size, uint64_t *required_mfns)
{
	uint64_t n = l->out.data_size >> 12, need;

	if (!page_info_size)
		return -EINVAL;
	/* Xen's check_mgmt_size(): page_info and M2P entries for N data frames */
	need = ((page_info_size * (unsigned __int128)n) >> 12) +
		((XEN_M2P_ENTRY_SIZE * (unsigned __int128)n) >> 12);
	if (required_mfns)
		*required_mfns = need;
	return (l->out.reserve_size >> 12) >= need;
}

NDX_EXPORT int ndctl_xen_layout_xen_mgmt_fits(struct ndctl_xen_layout *l,
		uint64_t *required_mfns)
{
	return ndctl_xen_layout_xen_mgmt_fits_page_info(l, XEN_PAGE_INFO_SIZE, required_mfns);
}
