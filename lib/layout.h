/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Layout arithmetic: pure functions over plain numbers, the one place
 * that decides where the memmap, the reserved area and the data go.
 * Shared by image files, live namespaces and the tests.
 */
#ifndef NDCTL_XEN_LAYOUT_H
#define NDCTL_XEN_LAYOUT_H

#include <stdint.h>
#include <ndctl/libndctl-xen.h>

#define NDX_SZ_4K 0x1000ull
#define NDX_SZ_8K 0x2000ull
#define NDX_SZ_2M 0x200000ull
#define NDX_SZ_1G 0x40000000ull
/* The kernel's MAX_STRUCT_PAGE_SIZE and memremap_compat_align() on x86 */
#define NDX_KERNEL_STRUCT_PAGE 64u
#define NDX_COMPAT_ALIGN NDX_SZ_2M
#define NDX_OWNER_NAME_MAX 16
/* x86-64's architectural limit on physical addresses (52 bits) */
#define NDX_PHYS_LIMIT (1ull << 52)

struct ndx_layout_req {
	uint64_t size;          /* namespace size in bytes */
	uint64_t phys_start;    /* namespace physical base */
	uint64_t align;         /* info block align; 0 means 2 MiB */
	uint32_t mode;          /* enum ndctl_xen_mode */
	uint32_t map;           /* enum ndctl_xen_map */
	uint32_t page_struct_size; /* 0 means 64 */
	uint64_t reserve_size;     /* requested bytes, or 0 */
	uint64_t reserve_per_page; /* bytes per 4 KiB page, or 0 */
	uint32_t owner;            /* enum ndctl_xen_owner; 0 = default */
	/* one byte longer than allowed, so that a long name is seen and refused */
	char owner_name[NDX_OWNER_NAME_MAX + 2];
	/* NDX_GIVEN_*: which of map and align the caller chose (not defaults) */
	uint32_t given;
	/* the running kernel, when known (ndctl_xen_layout_set_platform()) */
	uint32_t no_pse;        /* a Xen PV kernel: no PSE, no huge vmemmap */
	uint32_t aligns;        /* NDX_ALIGN_* it supports; 0: not known */
};

#define NDX_GIVEN_MAP (1u << 0)
#define NDX_GIVEN_ALIGN (1u << 1)
#define NDX_ALIGN_4K (1u << 0)
#define NDX_ALIGN_2M (1u << 1)
#define NDX_ALIGN_1G (1u << 2)
/* x86-64's SECTION_SIZE_BITS 27: the unit memory hotplug maps */
#define NDX_SECTION_SIZE (128ull << 20)

struct ndx_layout {
	struct ndx_layout_req req; /* normalised: align and sizes filled in */
	uint64_t eff_align;     /* max(align, 2 MiB): what the kernel pads to */
	uint64_t end_trunc;
	uint64_t memmap_end;    /* 8 KiB + page_struct_size * npfns (map=dev) */
	uint64_t base_dataoff;  /* dataoff with no reservation: the kernel's */
	uint64_t floor;         /* lowest offset a reservation may use (format rule) */
	uint64_t place_floor;   /* where this writer starts one: base_dataoff */
	uint64_t dataoff_max;   /* largest dataoff leaving an aligned data page */
	int has_dataoff_max;
	uint64_t dataoff;
	uint64_t npfns;
	uint64_t reserve_offset, reserve_size; /* 0, 0 when none */
	uint32_t owner;
	uint64_t data_offset, data_size;
	uint64_t max_reserve;
	/* what the platform changed from the plain defaults, or "" */
	char platform_choice[160];
};

struct ndx_fault {
	enum ndctl_xen_rule rule;
	char msg[320];
	/*
	 * A setting that would satisfy the rule, by the setter's name and a
	 * value ("align", "4K"), or NULL: msg does not name it, so that each
	 * caller says it in its own words (an option, a JSON key).
	 */
	const char *remedy_key, *remedy_value;
};

/* Choose a layout for a request; 0, or -EINVAL with *fault filled. */
int ndx_layout_compute(const struct ndx_layout_req *req,
		struct ndx_layout *out, struct ndx_fault *fault);

/*
 * Describe and check positions that a block records: dataoff, npfns,
 * end_trunc, start_pad and the reservation (rsv_size 0: none).  *out is
 * filled as far as possible even on failure.
 */
struct ndx_recorded {
	uint64_t dataoff, npfns;
	uint32_t start_pad, end_trunc, page_size;
	uint64_t reserve_offset, reserve_size;
	uint64_t reserve_per_page;
	/* the record's 16 owner_name bytes as stored, when read from media */
	int has_name_bytes;
	uint8_t owner_name_bytes[NDX_OWNER_NAME_MAX];
};
int ndx_layout_check(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec,
		struct ndx_layout *out, struct ndx_fault *fault);

/*
 * The kernel's own rules for a block it reads, and nothing more
 * (nd_pfn_validate() and __nvdimm_setup_pfn() in drivers/nvdimm/pfn_devs.c):
 * req has the namespace's size and start, the block's mode (signature),
 * map, page_struct_size and align as stored (0: the kernel's default,
 * 1 << ilog2(dataoff)).  ndx_layout_check() applies these and ndctl-xen's
 * stricter policy.  0, or -EINVAL with *fault; either way *out gets the
 * geometry the block gives (no reservation).
 */
int ndx_kernel_check(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec,
		struct ndx_layout *out, struct ndx_fault *fault);
/* The geometry alone: positions as recorded, no rule checked. */
void ndx_layout_geometry(const struct ndx_layout_req *req,
		const struct ndx_recorded *rec, struct ndx_layout *out);
/* The dataoff the kernel itself chooses (nd_pfn_init(), 64 bytes per page) */
uint64_t ndx_kernel_dataoff(uint64_t size, uint64_t phys_start, uint32_t map,
		uint64_t align);

/*
 * The smallest namespace size, a multiple of granule (the region's size
 * alignment; 0: the layout's effective align), whose layout for req (its
 * size ignored) leaves a data area of at least data_size bytes after the
 * memmap, the reserve and alignment.  0 with *out the layout of that size,
 * or -EINVAL with *fault (the overflow rule when no 64-bit size does, or
 * the rule the request breaks whatever the size).
 */
int ndx_layout_for_data_size(const struct ndx_layout_req *req, uint64_t data_size,
		uint64_t granule, struct ndx_layout *out, struct ndx_fault *fault);

const char *ndx_rule_name(enum ndctl_xen_rule rule);

#endif
