// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where things go in a namespace (offsets from its base):
 *
 *   0     4K          8K                 memmap_end   rsv_offset  dataoff      end
 *   | --- | info block | OS page structs  | slack      | reserved  | data ...  |
 *
 * With no reservation dataoff is the kernel's own choice (nd_pfn_init()
 * in drivers/nvdimm/pfn_devs.c, and ndctl's write_pfn_sb()).  A
 * reservation ends at dataoff.  The format lets it start at the kernel's
 * default dataoff in map=dev (so the kernel's memmap, which it writes at
 * the start of [8K, dataoff), never touches it) and at 8 KiB in map=mem.
 * This writer starts it at the kernel's default dataoff in both maps, so
 * that any reservation moves dataoff above the default: a reader that
 * sees only dataoff (an enabled namespace, through sysfs) can then tell a
 * reservation from none.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "util/escape.h"
#include "util/size.h"

static __attribute__((format(printf, 3, 4))) int fail(struct ndx_fault *f, enum ndctl_xen_rule rule,
		const char *fmt, ...)
{
	char msg[sizeof(f->msg)];
	va_list ap;

	f->rule = rule;
	f->remedy_key = f->remedy_value = NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* sizes also in MiB/GiB, for a reader who does not think in hex */
	util_annotate_sizes(msg, f->msg, sizeof(f->msg));
	return -EINVAL;
}

/* fail()'s rc, with the setting that would satisfy the rule */
static int remedy(struct ndx_fault *f, int rc, const char *key, const char *value)
{
	f->remedy_key = key;
	f->remedy_value = value;
	return rc;
}

static int add_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/* ALIGN(v, a) for a power-of-two a, overflow-checked */
static int align_up_ok(uint64_t v, uint64_t a, uint64_t *r)
{
	uint64_t t;

	if (!add_ok(v, a - 1, &t))
		return 0;
	*r = t & ~(a - 1);
	return 1;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static int is_aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

static const char *map_name(uint32_t map)
{
	return map == NDCTL_XEN_MAP_DEV ? "dev" : "mem";
}

static int owner_ok(uint32_t owner, const char *name, struct ndx_fault *f)
{
	size_t i, len = strlen(name);
	/* the name may come from the media: shown escaped */
	char esc[4 * NDX_OWNER_NAME_MAX + 8];

	switch (owner) {
	case NDCTL_XEN_OWNER_OS:
	case NDCTL_XEN_OWNER_HYPERVISOR:
		if (len)
			return fail(f, NDCTL_XEN_RULE_OWNER,
				"owner %u takes no name, got '%s'", owner,
				util_escape(name, esc, sizeof(esc)));
		return 0;
	case NDCTL_XEN_OWNER_NAMED:
		if (len == 0 || len > NDX_OWNER_NAME_MAX)
			return fail(f, NDCTL_XEN_RULE_OWNER,
				"owner name '%s' must be 1 to %d characters",
				util_escape(name, esc, sizeof(esc)), NDX_OWNER_NAME_MAX);
		for (i = 0; i < len; i++)
			if (!isgraph((unsigned char)name[i]))
				return fail(f, NDCTL_XEN_RULE_OWNER,
					"owner name '%s' must be printable ASCII without spaces",
					util_escape(name, esc, sizeof(esc)));
		return 0;
	default:
		return fail(f, NDCTL_XEN_RULE_OWNER,
			"unknown owner %u (1 os, 2 hypervisor, 3 named)", owner);
	}
}

/*
 * The format's owner_name: NUL padding after the name (no NUL when it
 * is 16 characters), 16 NULs for os and hypervisor.
 */
static int name_padding_ok(uint32_t owner, const uint8_t b[NDX_OWNER_NAME_MAX],
		struct ndx_fault *f)
{
	size_t i = 0;

	if (owner == NDCTL_XEN_OWNER_NAMED)
		while (i < NDX_OWNER_NAME_MAX && b[i])
			i++;
	for (; i < NDX_OWNER_NAME_MAX; i++)
		if (b[i])
			return fail(f, NDCTL_XEN_RULE_OWNER,
				"owner_name byte %zu is %#x where the format requires NUL "
				"padding%s", i, b[i], owner == NDCTL_XEN_OWNER_NAMED ? ""
				: " (owner os and hypervisor take 16 NULs)");
	return 0;
}

/* Normalise the request and work out what does not depend on dataoff. */
static int layout_base(const struct ndx_layout_req *req, struct ndx_layout *l,
		struct ndx_fault *f)
{
	struct ndx_layout_req *r = &l->req;
	uint64_t end, npfns0, memmap_bytes, size_eff, last;

	memset(l, 0, sizeof(*l));
	*r = *req;
	r->owner_name[sizeof(r->owner_name) - 1] = '\0';
	if (!r->align)
		r->align = NDX_SZ_2M;
	if (!r->page_struct_size)
		r->page_struct_size = NDX_KERNEL_STRUCT_PAGE;

	if (r->mode != NDCTL_XEN_MODE_FSDAX && r->mode != NDCTL_XEN_MODE_DEVDAX)
		return fail(f, NDCTL_XEN_RULE_MODE,
			"mode %u is neither fsdax nor devdax", r->mode);
	if (r->map != NDCTL_XEN_MAP_DEV && r->map != NDCTL_XEN_MAP_MEM)
		return fail(f, NDCTL_XEN_RULE_MODE,
			"map %u is neither dev nor mem", r->map);
	/* nd_pfn_supported_alignments() on x86: PAGE_SIZE, PMD, PUD */
	if (r->align != NDX_SZ_4K && r->align != NDX_SZ_2M && r->align != NDX_SZ_1G)
		return fail(f, NDCTL_XEN_RULE_ALIGN,
			"align %#" PRIx64 " is not one the kernel supports (4K, 2M, 1G)",
			r->align);
	/* nd_pfn_validate(): page_struct_size >= sizeof(struct page); le16 */
	if (r->page_struct_size < NDX_KERNEL_STRUCT_PAGE ||
			r->page_struct_size > UINT16_MAX)
		return fail(f, NDCTL_XEN_RULE_PAGE_STRUCT_SIZE,
			"page_struct_size %u must be between %u and %u",
			r->page_struct_size, NDX_KERNEL_STRUCT_PAGE, UINT16_MAX);
	if (r->size <= NDX_SZ_8K || !is_aligned(r->size, NDX_SZ_4K))
		return fail(f, NDCTL_XEN_RULE_SIZE,
			"namespace size %#" PRIx64 " must be a multiple of 4 KiB above 8 KiB",
			r->size);
	/* nd_pfn_init(): start must be aligned to memremap_compat_align() */
	if (!is_aligned(r->phys_start, NDX_COMPAT_ALIGN))
		return fail(f, NDCTL_XEN_RULE_START_ALIGN,
			"physical start %#" PRIx64 " is not 2 MiB aligned",
			r->phys_start);
	if (!add_ok(r->phys_start, r->size, &end) || end > NDX_PHYS_LIMIT)
		return fail(f, NDCTL_XEN_RULE_SIZE,
			"start %#" PRIx64 " + size %#" PRIx64
			" passes the 52-bit physical address limit %#llx",
			r->phys_start, r->size, NDX_PHYS_LIMIT);

	l->eff_align = r->align > NDX_SZ_2M ? r->align : NDX_SZ_2M;
	l->end_trunc = end - align_down(end, l->eff_align);
	npfns0 = (r->size - NDX_SZ_8K) / NDX_SZ_4K;
	l->memmap_end = NDX_SZ_8K;
	if (r->map == NDCTL_XEN_MAP_DEV) {
		if (!mul_ok(npfns0, r->page_struct_size, &memmap_bytes) ||
				!add_ok(memmap_bytes, NDX_SZ_8K, &l->memmap_end))
			return fail(f, NDCTL_XEN_RULE_OVERFLOW,
				"memmap of %" PRIu64 " pages x %u bytes overflows 64 bits",
				npfns0, r->page_struct_size);
	}
	if (!add_ok(r->phys_start, l->memmap_end, &last) ||
			!align_up_ok(last, l->eff_align, &last))
		return fail(f, NDCTL_XEN_RULE_OVERFLOW,
			"memmap end %#" PRIx64 " aligned to %#" PRIx64 " overflows 64 bits",
			l->memmap_end, l->eff_align);
	l->base_dataoff = last - r->phys_start;
	l->floor = r->map == NDCTL_XEN_MAP_DEV ? l->base_dataoff : NDX_SZ_8K;
	l->place_floor = l->base_dataoff;

	/* Largest dataoff that leaves one aligned data page. */
	/* a namespace smaller than the alignment can be truncated away whole */
	size_eff = l->end_trunc < r->size ? r->size - l->end_trunc : 0;
	if (size_eff >= r->align) {
		last = align_down(r->phys_start + size_eff - r->align, r->align);
		if (last >= r->phys_start) {
			l->dataoff_max = last - r->phys_start;
			l->has_dataoff_max = 1;
		}
	}
	if (l->has_dataoff_max && l->dataoff_max >= l->base_dataoff)
		l->max_reserve = l->dataoff_max - l->place_floor;
	return 0;
}

static int no_data_page(const struct ndx_layout *l, uint64_t dataoff,
		struct ndx_fault *f)
{
	return fail(f, NDCTL_XEN_RULE_NO_DATA_PAGE,
		"dataoff %#" PRIx64 " leaves no aligned data page: namespace size %#"
		PRIx64 " - end_trunc %#" PRIx64 " allows dataoff up to %s%#" PRIx64
		" with align %#" PRIx64 "; the largest reserve that fits is %#" PRIx64,
		dataoff, l->req.size, l->end_trunc,
		l->has_dataoff_max ? "" : "(none) ",
		l->has_dataoff_max ? l->dataoff_max : 0, l->req.align,
		l->max_reserve);
}

uint64_t ndx_kernel_dataoff(uint64_t size, uint64_t phys_start, uint32_t map,
		uint64_t align)
{
	uint64_t a = align > NDX_SZ_2M ? align : NDX_SZ_2M, npfns0, end;

	if (size <= NDX_SZ_8K || (a & (a - 1)))
		return 0;
	npfns0 = (size - NDX_SZ_8K) / NDX_SZ_4K;
	end = phys_start + NDX_SZ_8K;
	if (map == NDCTL_XEN_MAP_DEV && !mul_ok(npfns0, NDX_KERNEL_STRUCT_PAGE, &npfns0))
		return 0;
	if (map == NDCTL_XEN_MAP_DEV && !add_ok(end, npfns0, &end))
		return 0;
	if (!align_up_ok(end, a, &end))
		return 0;
	return end - phys_start;
}

void ndx_layout_geometry(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec, struct ndx_layout *l)
{
	const struct ndx_layout_req *r = &l->req;
	uint64_t avail = 0, bytes;

	memset(l, 0, sizeof(*l));
	l->req = *req;
	l->req.owner_name[sizeof(l->req.owner_name) - 1] = '\0';
	l->eff_align = r->align > NDX_SZ_2M ? r->align : NDX_SZ_2M;
	l->end_trunc = rec->end_trunc;
	l->dataoff = rec->dataoff;
	l->npfns = rec->npfns;
	/* dataoff counts from the namespace base + start_pad */
	l->data_offset = rec->dataoff + rec->start_pad;
	if (r->size >= (uint64_t)rec->start_pad + rec->end_trunc)
		avail = r->size - rec->start_pad - rec->end_trunc;
	l->data_size = rec->dataoff < avail ? avail - rec->dataoff : 0;
	l->memmap_end = NDX_SZ_8K;
	if (r->map == NDCTL_XEN_MAP_DEV && r->size > NDX_SZ_8K &&
			mul_ok((r->size - NDX_SZ_8K) / NDX_SZ_4K, r->page_struct_size, &bytes) &&
			add_ok(bytes, NDX_SZ_8K, &bytes))
		l->memmap_end = bytes;
	l->base_dataoff = ndx_kernel_dataoff(r->size, r->phys_start, r->map, r->align);
	l->floor = l->place_floor = l->base_dataoff;
}

int ndx_kernel_check(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec,
		struct ndx_layout *l, struct ndx_fault *f)
{
	uint64_t align = req->align, size = req->size, phys = req->phys_start;
	uint64_t off = rec->dataoff, pad = rec->start_pad, floor;

	f->rule = NDCTL_XEN_RULE_NONE;
	f->msg[0] = '\0';
	ndx_layout_geometry(req, rec, l);
	if (req->map != NDCTL_XEN_MAP_DEV && req->map != NDCTL_XEN_MAP_MEM)
		return fail(f, NDCTL_XEN_RULE_MODE, "mode %u is neither RAM (1) nor PMEM (2)",
				req->map);
	if (!align && off)
		align = 1ull << (63 - __builtin_clzll(off));
	if (req->map == NDCTL_XEN_MAP_DEV && rec->page_size > NDX_SZ_4K)
		return fail(f, NDCTL_XEN_RULE_PAGE_SIZE,
			"page_size %u exceeds the kernel's 4096 in map=dev", rec->page_size);
	if (req->map == NDCTL_XEN_MAP_DEV && req->page_struct_size < NDX_KERNEL_STRUCT_PAGE)
		return fail(f, NDCTL_XEN_RULE_PAGE_STRUCT_SIZE,
			"page_struct_size %u is below sizeof(struct page) %u in map=dev",
			req->page_struct_size, NDX_KERNEL_STRUCT_PAGE);
	/* only a devdax block's align must be one the kernel maps with */
	if (req->mode == NDCTL_XEN_MODE_DEVDAX && align != NDX_SZ_4K &&
			align != NDX_SZ_2M && align != NDX_SZ_1G)
		return fail(f, NDCTL_XEN_RULE_ALIGN,
			"devdax align %#" PRIx64 " is not one the kernel supports (4K, 2M, 1G)",
			align);
	if (align > size)
		return fail(f, NDCTL_XEN_RULE_ALIGN, "align %#" PRIx64
			" exceeds the namespace size %#" PRIx64, align, size);
	if (off >= size)
		return fail(f, NDCTL_XEN_RULE_NO_DATA_PAGE, "dataoff %#" PRIx64
			" is not below the namespace size %#" PRIx64, off, size);
	/* IS_ALIGNED() as the kernel computes it, for any align */
	if ((align && ((phys + off + pad) & (align - 1))) || (off & (NDX_SZ_4K - 1)))
		return fail(f, NDCTL_XEN_RULE_DATAOFF_ALIGN,
			"dataoff %#" PRIx64 " is not a multiple of align %#" PRIx64
			" (and of 4 KiB)", off, align);
	if ((phys + pad) & (NDX_COMPAT_ALIGN - 1))
		return fail(f, NDCTL_XEN_RULE_START_ALIGN, "start %#" PRIx64
			" + start_pad %#" PRIx64 " is not 2 MiB aligned", phys, pad);
	if ((phys + size - rec->end_trunc) & (NDX_COMPAT_ALIGN - 1))
		return fail(f, NDCTL_XEN_RULE_END_TRUNC, "end %#" PRIx64
			" - end_trunc %#x is not 2 MiB aligned", phys + size, rec->end_trunc);
	/* u64 arithmetic, wrapping as the kernel's does */
	if (off >= size - pad - rec->end_trunc)
		return fail(f, NDCTL_XEN_RULE_NO_DATA_PAGE, "dataoff %#" PRIx64
			" leaves no data: size %#" PRIx64 " - start_pad %#" PRIx64
			" - end_trunc %#x", off, size, pad, rec->end_trunc);
	if (req->map == NDCTL_XEN_MAP_MEM && off < NDX_SZ_8K)
		return fail(f, NDCTL_XEN_RULE_MEMMAP,
			"map=mem dataoff %#" PRIx64 " is below 8 KiB", off);
	/*
	 * map=dev: the probe takes the memmap (64 bytes a page, in 2 MiB
	 * blocks) from [8K, dataoff); below the kernel's own default it fails
	 * (a WARNING in add_pages, -ENOMEM).
	 */
	floor = ndx_kernel_dataoff(size, phys, req->map, NDX_SZ_2M);
	if (req->map == NDCTL_XEN_MAP_DEV && off < floor)
		return fail(f, NDCTL_XEN_RULE_MEMMAP,
			"map=dev dataoff %#" PRIx64 " is below %#" PRIx64
			", the room the kernel's memmap needs", off, floor);
	return 0;
}

int ndx_layout_check(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec,
		struct ndx_layout *l, struct ndx_fault *f)
{
	const struct ndx_layout_req *r = &l->req;
	uint64_t size_eff, data_pages, rsv_end;
	int rc;

	f->rule = NDCTL_XEN_RULE_NONE;
	f->msg[0] = '\0';
	rc = layout_base(req, l, f);
	l->dataoff = rec->dataoff;
	l->npfns = rec->npfns;
	l->reserve_offset = rec->reserve_size ? rec->reserve_offset : 0;
	l->reserve_size = rec->reserve_size;
	l->owner = rec->reserve_size ? r->owner : NDCTL_XEN_OWNER_NONE;
	l->data_offset = rec->dataoff;
	if (rc)
		return rc;
	size_eff = l->end_trunc < r->size ? r->size - l->end_trunc : 0;
	l->data_size = rec->dataoff < size_eff ? size_eff - rec->dataoff : 0;

	/* nd_pfn_validate(): "bad offset ... dax disabled align" */
	if (!is_aligned(rec->dataoff, NDX_SZ_4K) ||
			!is_aligned(r->phys_start + rec->dataoff + rec->start_pad, r->align))
		return fail(f, NDCTL_XEN_RULE_DATAOFF_ALIGN,
			"dataoff %#" PRIx64 " is not a multiple of align %#" PRIx64
			" (and of 4 KiB)", rec->dataoff, r->align);
	/* nd_pfn_validate(): start/end aligned to memremap_compat_align() */
	if (rec->start_pad != 0 || rec->end_trunc != l->end_trunc)
		return fail(f, NDCTL_XEN_RULE_END_TRUNC,
			"start_pad %#x / end_trunc %#x differ from the kernel's 0 / %#"
			PRIx64 " for size %#" PRIx64, rec->start_pad, rec->end_trunc,
			l->end_trunc, r->size);
	/* nd_pfn_validate(): "pfn array size exceeds capacity" */
	if (rec->dataoff >= size_eff)
		return no_data_page(l, rec->dataoff, f);
	if (r->map == NDCTL_XEN_MAP_DEV) {
		/* __nvdimm_setup_pfn(): the memmap must fit below dataoff */
		if (rec->dataoff < l->base_dataoff)
			return fail(f, NDCTL_XEN_RULE_MEMMAP,
				"map=dev dataoff %#" PRIx64 " is below %#" PRIx64
				", what a memmap of %u bytes per page needs",
				rec->dataoff, l->base_dataoff, r->page_struct_size);
		if (rec->page_size > NDX_SZ_4K)
			return fail(f, NDCTL_XEN_RULE_PAGE_SIZE,
				"page_size %u exceeds the kernel's 4096 in map=dev",
				rec->page_size);
	} else if (rec->dataoff < NDX_SZ_8K) {
		/* __nvdimm_setup_pfn(): RAM mode offset >= info block reserve */
		return fail(f, NDCTL_XEN_RULE_MEMMAP,
			"map=mem dataoff %#" PRIx64 " is below 8 KiB", rec->dataoff);
	}
	data_pages = l->data_size / NDX_SZ_4K;
	if (rec->npfns != data_pages)
		return fail(f, NDCTL_XEN_RULE_NPFNS,
			"npfns %" PRIu64 " differs from the %" PRIu64
			" pages between dataoff %#" PRIx64 " and size %#" PRIx64
			" - end_trunc %#" PRIx64, rec->npfns, data_pages,
			rec->dataoff, r->size, l->end_trunc);
	if (!rec->reserve_size)
		return 0;
	rc = owner_ok(r->owner, r->owner_name, f);
	if (!rc && rec->has_name_bytes)
		rc = name_padding_ok(r->owner, rec->owner_name_bytes, f);
	if (rc)
		return rc;
	if (!add_ok(rec->reserve_offset, rec->reserve_size, &rsv_end) ||
			rec->reserve_offset < l->floor ||
			!is_aligned(rec->reserve_offset, NDX_SZ_4K) ||
			!is_aligned(rec->reserve_size, NDX_SZ_4K) ||
			rsv_end > rec->dataoff)
		return fail(f, NDCTL_XEN_RULE_RESERVE_PLACE,
			"reserve [%#" PRIx64 ", +%#" PRIx64 ") must be 4 KiB aligned and lie in [%#"
			PRIx64 ", dataoff %#" PRIx64 ") for map=%s",
			rec->reserve_offset, rec->reserve_size, l->floor,
			rec->dataoff, map_name(r->map));
	return 0;
}

/* Bytes a per-page consumer needs for every 4 KiB page of the namespace */
static int per_page_bytes(const struct ndx_layout_req *r, uint64_t *bytes,
		struct ndx_fault *f)
{
	uint64_t pages = r->size / NDX_SZ_4K;

	if (r->reserve_per_page > UINT32_MAX)
		return fail(f, NDCTL_XEN_RULE_RESERVE_REQUEST,
			"reserve per page %" PRIu64 " exceeds %u bytes",
			r->reserve_per_page, UINT32_MAX);
	if (!mul_ok(pages, r->reserve_per_page, bytes))
		return fail(f, NDCTL_XEN_RULE_OVERFLOW,
			"%" PRIu64 " pages x %" PRIu64 " bytes overflows 64 bits",
			pages, r->reserve_per_page);
	return 0;
}

static uint32_t align_bit(uint64_t align)
{
	switch (align) {
	case NDX_SZ_4K: return NDX_ALIGN_4K;
	case NDX_SZ_2M: return NDX_ALIGN_2M;
	case NDX_SZ_1G: return NDX_ALIGN_1G;
	}
	return 0;
}

static const char *align_list(uint32_t aligns, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", aligns & NDX_ALIGN_4K ? " 4K" : "",
			aligns & NDX_ALIGN_2M ? " 2M" : "", aligns & NDX_ALIGN_1G ? " 1G" : "");
	return buf[0] ? buf + 1 : "none";
}

/*
 * What the running kernel can map, when the caller said which kernel that
 * is (ndctl_xen_layout_set_platform()): the defaults it can map, and a
 * refusal, before anything is written, of what its probe would refuse.
 * choice gets what changed from the plain defaults.
 */
static int platform_defaults(struct ndx_layout_req *r, char *choice, size_t len,
		struct ndx_fault *f)
{
	uint64_t align = r->align ? r->align : NDX_SZ_2M;
	char list[16];

	choice[0] = '\0';
	/*
	 * A Xen PV kernel has no PSE: map=dev over a whole memory section
	 * fails (sections_fit()).  map=mem works at any size; an OS
	 * reservation asked for by name keeps map=dev and its own check.
	 */
	if (r->no_pse && !(r->given & NDX_GIVEN_MAP) && r->owner != NDCTL_XEN_OWNER_OS &&
			r->map == NDCTL_XEN_MAP_DEV) {
		r->map = NDCTL_XEN_MAP_MEM;
		snprintf(choice, len, "map=mem (a Xen PV kernel has no PSE for a memmap on the "
				"device)");
	}
	/* nd_pfn_validate(): a devdax block's align must be a supported one */
	if (r->mode != NDCTL_XEN_MODE_DEVDAX || !r->aligns || (r->aligns & align_bit(align)))
		return 0;
	if (r->given & NDX_GIVEN_ALIGN || !(r->aligns & NDX_ALIGN_4K)) {
		int rc = fail(f, NDCTL_XEN_RULE_ALIGN,
			"devdax align %#" PRIx64 " is not one this kernel supports "
			"(supported_alignments: %s): its probe would fail (init failed, "
			"alignment mismatch)", align, align_list(r->aligns, list, sizeof(list)));

		return r->aligns & NDX_ALIGN_4K ? remedy(f, rc, "align", "4K") : rc;
	}
	r->align = NDX_SZ_4K;
	snprintf(choice + strlen(choice), len - strlen(choice), "%salign=4K "
			"(supported_alignments: %s)", choice[0] ? ", " : "",
			align_list(r->aligns, list, sizeof(list)));
	return 0;
}

/*
 * vmemmap_populate() (arch/x86/mm/init_64.c): the memmap of a whole
 * 128 MiB section with an altmap (map=dev) needs PSE; without it ("no cpu
 * support for altmap allocations") the probe fails with -ENOMEM.  Less
 * than a section takes base pages and works.  The kernel maps
 * [start + start_pad, end - end_trunc).
 */
static int sections_fit(const struct ndx_layout *l, struct ndx_fault *f)
{
	const struct ndx_layout_req *r = &l->req;
	uint64_t end = r->phys_start + r->size - l->end_trunc, first, first_end;

	if (!r->no_pse || r->map != NDCTL_XEN_MAP_DEV ||
			!align_up_ok(r->phys_start, NDX_SECTION_SIZE, &first) ||
			!add_ok(first, NDX_SECTION_SIZE, &first_end) || first_end > end)
		return 0;
	return remedy(f, fail(f, NDCTL_XEN_RULE_PLATFORM,
		"map=dev over [%#" PRIx64 ", %#" PRIx64 ") covers the whole 128 MiB memory "
		"section at %#" PRIx64 ": a Xen PV kernel has no PSE and cannot keep its "
		"memmap on the device (vmemmap_populate: no cpu support for altmap "
		"allocations; the probe fails with -12)",
		r->phys_start, end, first), "map", "mem");
}

int ndx_layout_compute(const struct ndx_layout_req *req,
		struct ndx_layout *l, struct ndx_fault *f)
{
	struct ndx_layout_req r = *req;
	struct ndx_recorded rec = { 0 };
	uint64_t rsv, want, dataoff;
	char choice[sizeof(l->platform_choice)];
	int rc;

	f->rule = NDCTL_XEN_RULE_NONE;
	f->msg[0] = '\0';
	rc = platform_defaults(&r, choice, sizeof(choice), f);
	if (rc) {
		memset(l, 0, sizeof(*l));
		l->req = r;
		return rc;
	}
	rc = layout_base(&r, l, f);
	if (rc)
		return rc;
	r = l->req;
	if (r.reserve_size && r.reserve_per_page)
		return fail(f, NDCTL_XEN_RULE_RESERVE_REQUEST,
			"ask for a reserve by size (%" PRIu64 ") or per page (%" PRIu64
			"), not both", r.reserve_size, r.reserve_per_page);
	rsv = r.reserve_size;
	if (r.reserve_per_page) {
		rc = per_page_bytes(&r, &rsv, f);
		if (rc)
			return rc;
	}
	if (!align_up_ok(rsv, NDX_SZ_4K, &rsv))
		return fail(f, NDCTL_XEN_RULE_OVERFLOW,
			"reserve %#" PRIx64 " rounded to 4 KiB overflows 64 bits", rsv);

	if (!rsv && r.owner != NDCTL_XEN_OWNER_NONE)
		return fail(f, NDCTL_XEN_RULE_OWNER,
			"an owner needs a reservation (a reserve size, or one per page)");
	if (rsv && r.owner == NDCTL_XEN_OWNER_NONE)
		r.owner = r.map == NDCTL_XEN_MAP_DEV ? NDCTL_XEN_OWNER_OS
			: NDCTL_XEN_OWNER_HYPERVISOR;

	dataoff = l->base_dataoff;
	if (rsv) {
		if (!add_ok(r.phys_start, l->place_floor, &want) ||
				!add_ok(want, rsv, &want) ||
				!align_up_ok(want, r.align, &want))
			return fail(f, NDCTL_XEN_RULE_OVERFLOW,
				"reserve %#" PRIx64 " above offset %#" PRIx64
				" overflows 64 bits", rsv, l->place_floor);
		want -= r.phys_start;
		if (want > dataoff)
			dataoff = want;
	}
	if (!l->has_dataoff_max || dataoff > l->dataoff_max) {
		l->dataoff = dataoff;
		return no_data_page(l, dataoff, f);
	}

	rec.dataoff = dataoff;
	rec.end_trunc = (uint32_t)l->end_trunc;
	rec.page_size = NDX_SZ_4K;
	rec.npfns = (r.size - l->end_trunc - dataoff) / NDX_SZ_4K;
	rec.reserve_size = rsv;
	rec.reserve_offset = dataoff - rsv;
	rec.reserve_per_page = r.reserve_per_page;
	/* Everything chosen above must pass the same checks a reader applies. */
	rc = ndx_layout_check(&r, &rec, l, f);
	if (!rc)
		rc = sections_fit(l, f);
	snprintf(l->platform_choice, sizeof(l->platform_choice), "%s", choice);
	return rc;
}

/*
 * Layout for size units * granule: 1 when its data area holds data_size,
 * 0 when too small (no data page, or too little data), -EINVAL for any
 * other refusal (the request's own fault, whatever the size).
 */
static int data_fits(const struct ndx_layout_req *req, uint64_t units, uint64_t granule,
		uint64_t data_size, struct ndx_layout *l, struct ndx_fault *f)
{
	struct ndx_layout_req r = *req;
	int rc;

	if (!mul_ok(units, granule, &r.size))
		return fail(f, NDCTL_XEN_RULE_OVERFLOW, "no namespace size below 2^64 "
			"holds %#" PRIx64 " bytes of data", data_size);
	rc = ndx_layout_compute(&r, l, f);
	if (rc)
		return f->rule == NDCTL_XEN_RULE_NO_DATA_PAGE ? 0 : rc;
	return l->data_size >= data_size;
}

int ndx_layout_for_data_size(const struct ndx_layout_req *req, uint64_t data_size,
		uint64_t granule, struct ndx_layout *out, struct ndx_fault *f)
{
	uint64_t lo, hi, step = 1, mid;
	int rc;

	f->rule = NDCTL_XEN_RULE_NONE;
	f->msg[0] = '\0';
	/* the kernel pads the data to max(align, 2 MiB) whatever the size */
	if (!granule)
		granule = req->align > NDX_COMPAT_ALIGN ? req->align : NDX_COMPAT_ALIGN;
	if (!data_size)
		return fail(f, NDCTL_XEN_RULE_RESERVE_REQUEST, "a data size of 0 bytes");
	/* at least the data itself: the first candidate */
	lo = data_size / granule + (data_size % granule != 0);
	/* galloping: lo fails, hi fits (or the request is refused outright) */
	hi = lo;
	for (;;) {
		rc = data_fits(req, hi, granule, data_size, out, f);
		if (rc < 0)
			return rc;
		if (rc)
			break;
		lo = hi + 1;
		if (!add_ok(hi, step, &hi))
			return fail(f, NDCTL_XEN_RULE_OVERFLOW, "no namespace size below 2^64 "
				"holds %#" PRIx64 " bytes of data", data_size);
		step *= 2;
	}
	/*
	 * The smallest fitting multiple in [lo, hi]: the data area grows with
	 * the size (a granule more of namespace moves dataoff by at most one
	 * align unit, and only when the memmap or a per-page reserve crosses
	 * one), which the unit test checks against a scan of every multiple.
	 */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		rc = data_fits(req, mid, granule, data_size, out, f);
		if (rc < 0)
			return rc;
		if (rc)
			hi = mid;
		else
			lo = mid + 1;
	}
	rc = data_fits(req, hi, granule, data_size, out, f);
	return rc < 0 ? rc : 0;
}

const char *ndx_rule_name(enum ndctl_xen_rule rule)
{
	static const char *const names[] = {
		[NDCTL_XEN_RULE_NONE] = "none",
		[NDCTL_XEN_RULE_SIZE] = "namespace-size",
		[NDCTL_XEN_RULE_START_ALIGN] = "start-align",
		[NDCTL_XEN_RULE_ALIGN] = "align-supported",
		[NDCTL_XEN_RULE_MODE] = "mode",
		[NDCTL_XEN_RULE_PAGE_STRUCT_SIZE] = "page-struct-size",
		[NDCTL_XEN_RULE_RESERVE_REQUEST] = "reserve-request",
		[NDCTL_XEN_RULE_OWNER] = "reserve-owner",
		[NDCTL_XEN_RULE_OVERFLOW] = "overflow",
		[NDCTL_XEN_RULE_NO_DATA_PAGE] = "no-data-page",
		[NDCTL_XEN_RULE_DATAOFF_ALIGN] = "dataoff-align",
		[NDCTL_XEN_RULE_MEMMAP] = "memmap",
		[NDCTL_XEN_RULE_RESERVE_PLACE] = "reserve-place",
		[NDCTL_XEN_RULE_NPFNS] = "npfns",
		[NDCTL_XEN_RULE_END_TRUNC] = "end-trunc",
		[NDCTL_XEN_RULE_PAGE_SIZE] = "page-size",
		[NDCTL_XEN_RULE_PLATFORM] = "platform",
	};

	if ((unsigned)rule < sizeof(names) / sizeof(names[0]) && names[rule])
		return names[rule];
	return "unknown";
}
