// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where is the reserved area, whose is it, does it fit, where is the data:
 * layouts of live namespaces, image files and block devices, the areas a
 * media error falls into, and the machine frame ranges Xen's xen-ndctl
 * takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* Xen x86-64: sizeof(struct page_info) and one M2P entry (check_mgmt_size()) */
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

/*
 * An enabled fsdax/devdax namespace: its info block is behind the data
 * device, so derive the layout from sysfs (the pfn/dax device's resource,
 * mode and align) and the layout rules.  The record is not readable: a
 * dataoff above the kernel's default means a reservation, reported as the
 * whole space between that default and dataoff, owner by map, both marked
 * derived.  (A block written elsewhere could place a map=mem reservation
 * below the default; only its record tells.)
 */
static int layout_from_sysfs(struct ndctl_xen_layout *l, const char *ns,
		const char *holder, uint64_t ns_res, uint64_t ns_size)
{
	struct ndx_recorded rec = { 0 };
	struct ndx_layout base;
	char mode[16];
	uint64_t res, align, dev_size;
	int rc;

	if (sysfs_u64(holder, "resource", &res) || sysfs_u64(holder, "align", &align) ||
			sysfs_u64(holder, "size", &dev_size) ||
			ndx_sysfs_read(holder, "mode", mode, sizeof(mode)))
		return -ENXIO;
	if (res < ns_res)
		return -ENXIO;
	l->req.size = ns_size;
	l->req.phys_start = ns_res;
	l->req.mode = strncmp(holder, "dax", 3) == 0 ? NDCTL_XEN_MODE_DEVDAX
		: NDCTL_XEN_MODE_FSDAX;
	l->req.map = strcmp(mode, "pmem") == 0 ? NDCTL_XEN_MAP_DEV : NDCTL_XEN_MAP_MEM;
	l->req.align = align;
	l->req.page_struct_size = NDX_KERNEL_STRUCT_PAGE;
	l->source = NDCTL_XEN_SOURCE_SYSFS;
	l->derived = NDCTL_XEN_DERIVED_PAGE_STRUCT_SIZE;
	rec.dataoff = res - ns_res;
	rec.page_size = NDX_SZ_4K;

	/* the kernel's own numbers for this namespace, to place a reserve */
	{
		struct ndx_layout_req r = l->req;
		struct ndx_fault f;

		rc = ndx_layout_compute(&r, &base, &f);
		if (rc)
			memset(&base, 0, sizeof(base));
	}
	rec.end_trunc = (uint32_t)base.end_trunc;
	rec.npfns = rec.dataoff < ns_size - base.end_trunc ?
		(ns_size - base.end_trunc - rec.dataoff) / NDX_SZ_4K : 0;
	if (!rc && rec.dataoff > base.base_dataoff) {
		/* ndctl-xen places a reservation in [base_dataoff, dataoff) */
		rec.reserve_offset = base.place_floor;
		rec.reserve_size = rec.dataoff - base.place_floor;
		l->req.reserve_size = rec.reserve_size;
		l->req.owner = l->req.map == NDCTL_XEN_MAP_DEV ? NDCTL_XEN_OWNER_OS
			: NDCTL_XEN_OWNER_HYPERVISOR;
		l->derived |= NDCTL_XEN_DERIVED_RESERVE | NDCTL_XEN_DERIVED_OWNER;
	}
	rc = ndx_layout_check(&l->req, &rec, &l->out, &l->fault);
	if (!rc && l->out.data_size != dev_size) {
		snprintf(l->fault.msg, sizeof(l->fault.msg),
			"%s: %s is %llu bytes, the layout rules give %llu", ns, holder,
			(unsigned long long)dev_size, (unsigned long long)l->out.data_size);
		l->fault.rule = NDCTL_XEN_RULE_NPFNS;
		rc = -EINVAL;
	}
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
	if (rc == 0 || rc == -EINVAL)
		(*out)->source = NDCTL_XEN_SOURCE_INFOBLOCK;
	return rc;
}

NDX_EXPORT int ndctl_xen_layout_from_namespace(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout **out)
{
	const char *ns = ndctl_namespace_get_devname(ndns);
	uint64_t ns_res = ndctl_namespace_get_resource(ndns);
	uint64_t ns_size = ndctl_namespace_get_size(ndns);
	char holder[64] = "", drv[300], path[64];
	const char *bdev;
	int rc;

	if (ns_res == ULLONG_MAX || !ns_size)
		return -ENXIO;
	/* live: a pfn/dax device bound to its driver claims the namespace */
	if (ndx_sysfs_read(ns, "holder", holder, sizeof(holder)) == 0 && holder[0] &&
			strncmp(holder, "btt", 3) != 0) {
		snprintf(drv, sizeof(drv), "/sys/bus/nd/devices/%s/driver", holder);
		if (access(drv, F_OK) == 0) {
			rc = ndctl_xen_layout_new(ctx, out);
			if (rc)
				return rc;
			rc = layout_from_sysfs(*out, ns, holder, ns_res, ns_size);
			(*out)->computed = rc == 0;
			return rc;
		}
	}
	if (ndctl_namespace_is_enabled(ndns)) {
		/* raw and enabled: the info block is readable through the block device */
		bdev = ndctl_namespace_get_block_device(ndns);
		snprintf(path, sizeof(path), "/dev/%s", bdev ? bdev : "");
		rc = bdev && bdev[0] ? ndctl_xen_layout_from_file(ctx, path, 0, ns_size,
				ns_res, out) : -ENXIO;
	} else {
		/* disabled: bring it up raw for the read and leave it disabled */
		rc = ndctl_xen_lock(ctx, 60);
		if (!rc) {
			rc = ndctl_namespace_set_raw_mode(ndns, 1);
			if (rc >= 0)
				rc = ndctl_namespace_enable(ndns);
			bdev = rc >= 0 ? ndctl_namespace_get_block_device(ndns) : NULL;
			snprintf(path, sizeof(path), "/dev/%s", bdev ? bdev : "");
			rc = bdev && bdev[0] ? ndctl_xen_layout_from_file(ctx, path, 0,
					ns_size, ns_res, out) : -ENXIO;
			ndctl_namespace_disable_invalidate(ndns);
			ndctl_namespace_set_raw_mode(ndns, 0);
			ndctl_xen_unlock(ctx);
		}
	}
	return rc;
}

NDX_EXPORT enum ndctl_xen_source ndctl_xen_layout_get_source(struct ndctl_xen_layout *l)
{
	return l->source;
}

NDX_EXPORT unsigned int ndctl_xen_layout_get_derived(struct ndctl_xen_layout *l)
{
	return l->derived;
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

NDX_EXPORT int ndctl_xen_layout_xen_mgmt_fits(struct ndctl_xen_layout *l,
		uint64_t *required_mfns)
{
	uint64_t n = l->out.data_size >> 12, need;

	/* Xen's check_mgmt_size(): page_info and M2P entries for N data frames */
	need = ((XEN_PAGE_INFO_SIZE * (unsigned __int128)n) >> 12) +
		((XEN_M2P_ENTRY_SIZE * (unsigned __int128)n) >> 12);
	if (required_mfns)
		*required_mfns = need;
	return (l->out.reserve_size >> 12) >= need;
}
