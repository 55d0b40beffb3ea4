// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the codec and the layout.  Expected numbers are worked
 * out by hand from the kernel's formulas (nd_pfn_init() in
 * drivers/nvdimm/pfn_devs.c), not taken from the code under test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "layout.h"
#include "util/size.h"
#include "pfn-sb.h"
#include "private.h"

#define K 1024ull
#define M (1024ull * K)
#define G (1024ull * M)

static struct ndx_layout_req req(uint64_t size, uint32_t map, uint64_t align)
{
	struct ndx_layout_req r;

	memset(&r, 0, sizeof(r));
	r.size = size;
	r.mode = NDCTL_XEN_MODE_FSDAX;
	r.map = map;
	r.align = align;
	return r;
}

static int run(struct ndx_layout_req r, struct ndx_layout *l, struct ndx_fault *f)
{
	return ndx_layout_compute(&r, l, f);
}

static void test_kernel_defaults(void)
{
	struct ndx_layout l;
	struct ndx_fault f;

	/* 128M map=dev: 8K + 64 * 32766 = 2105216 -> ALIGN 2M = 4M */
	CHECK(run(req(128 * M, NDCTL_XEN_MAP_DEV, 2 * M), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.memmap_end, 2105216);
	CHECK_EQ(l.dataoff, 4 * M);
	CHECK_EQ(l.npfns, (124 * M) / 4096);
	CHECK_EQ(l.end_trunc, 0);
	CHECK_EQ(l.reserve_size, 0);
	/* map=mem: ALIGN(8K, 2M) */
	CHECK(run(req(128 * M, NDCTL_XEN_MAP_MEM, 2 * M), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 2 * M);
	/* 1G map=dev: 8K + 64 * 262142 = 16785280 -> 18M */
	CHECK(run(req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 18 * M);
	/* align 4K still pads to memremap_compat_align() = 2M */
	CHECK(run(req(1 * G, NDCTL_XEN_MAP_DEV, 4 * K), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 18 * M);
	CHECK_EQ(l.req.align, 4 * K);
	/* 1G + 4K: end_trunc = 4K */
	CHECK(run(req(1 * G + 4 * K, NDCTL_XEN_MAP_DEV, 2 * M), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.end_trunc, 4 * K);
	CHECK_EQ(l.dataoff, 18 * M);
	CHECK_EQ(l.npfns, (1 * G - 18 * M) / 4096);
	/* align 1G: dataoff = 1G, and 1G namespace has no room */
	CHECK(run(req(4 * G, NDCTL_XEN_MAP_MEM, 1 * G), &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 1 * G);
	CHECK(run(req(1 * G, NDCTL_XEN_MAP_MEM, 1 * G), &l, &f) == -22, "accepted 1G/1G");
	CHECK_EQ(f.rule, NDCTL_XEN_RULE_NO_DATA_PAGE);
}

static void test_reservations(void)
{
	struct ndx_layout_req r;
	struct ndx_layout l;
	struct ndx_fault f;

	/* map=dev 4K align, 4K reserve: above the kernel's 18M */
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 4 * K);
	r.reserve_size = 4 * K;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.reserve_offset, 18 * M);
	CHECK_EQ(l.reserve_size, 4 * K);
	CHECK_EQ(l.dataoff, 18 * M + 4 * K);
	CHECK_EQ(l.owner, NDCTL_XEN_OWNER_OS);
	/* a byte rounds up to a page */
	r.reserve_size = 1;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.reserve_size, 4 * K);
	/* map=mem 64M: from the default 2M, ALIGN(2M + 64M, 2M) = 66M, reserve [2M, 66M) */
	r = req(1 * G, NDCTL_XEN_MAP_MEM, 2 * M);
	r.reserve_size = 64 * M;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 66 * M);
	CHECK_EQ(l.reserve_offset, 2 * M);
	CHECK_EQ(l.owner, NDCTL_XEN_OWNER_HYPERVISOR);
	/* map=mem: a reserve starts at the kernel's default 2M too */
	r.reserve_size = 4 * K;
	r.align = 4 * K;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 2 * M + 4 * K);
	CHECK_EQ(l.reserve_offset, 2 * M);
	/* per page: 40 bytes x 262144 pages = 10M, from 18M to ALIGN(28M) */
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	r.reserve_per_page = 40;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.reserve_size, 10 * M);
	CHECK_EQ(l.dataoff, 28 * M);
	CHECK_EQ(l.reserve_offset, 18 * M);
	/* largest reserve: dataoff at 1G - 2M, from 18M */
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.max_reserve, 1 * G - 20 * M);
	r.reserve_size = 1 * G - 20 * M;
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.dataoff, 1 * G - 2 * M);
	CHECK_EQ(l.data_size, 2 * M);
	r.reserve_size++;
	CHECK(run(r, &l, &f) == -22, "max + 1 accepted");
	CHECK_EQ(f.rule, NDCTL_XEN_RULE_NO_DATA_PAGE);
	CHECK(strstr(f.msg, "0x3ec00000") != NULL, "message lacks max: %s", f.msg);
	/* named owner */
	r = req(1 * G, NDCTL_XEN_MAP_MEM, 2 * M);
	r.reserve_size = 2 * M;
	r.owner = NDCTL_XEN_OWNER_NAMED;
	strcpy(r.owner_name, "freebsd");
	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.owner, NDCTL_XEN_OWNER_NAMED);
}

static void expect_rule(struct ndx_layout_req r, enum ndctl_xen_rule rule)
{
	struct ndx_layout l;
	struct ndx_fault f;
	int rc = run(r, &l, &f);

	CHECK(rc == -22 && f.rule == rule, "rule %s, expected %s (%s)",
			ndx_rule_name(f.rule), ndx_rule_name(rule), f.msg);
	CHECK(f.msg[0] != '\0', "no message for %s", ndx_rule_name(rule));
}

static void test_refusals(void)
{
	struct ndx_layout_req r;

	expect_rule(req(1 * G, NDCTL_XEN_MAP_DEV, 8 * K), NDCTL_XEN_RULE_ALIGN);
	expect_rule(req(1 * G, NDCTL_XEN_MAP_DEV, 4 * M), NDCTL_XEN_RULE_ALIGN);
	expect_rule(req(8 * K, NDCTL_XEN_MAP_DEV, 2 * M), NDCTL_XEN_RULE_SIZE);
	expect_rule(req(1 * G + 1, NDCTL_XEN_MAP_DEV, 2 * M), NDCTL_XEN_RULE_SIZE);
	expect_rule(req(UINT64_MAX - 4095, NDCTL_XEN_MAP_DEV, 2 * M), NDCTL_XEN_RULE_SIZE);
	expect_rule(req(2 * M, NDCTL_XEN_MAP_MEM, 2 * M), NDCTL_XEN_RULE_NO_DATA_PAGE);
	expect_rule(req(1 * G, 7, 2 * M), NDCTL_XEN_RULE_MODE);
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	r.phys_start = 1 * M;
	expect_rule(r, NDCTL_XEN_RULE_START_ALIGN);
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	r.page_struct_size = 32;
	expect_rule(r, NDCTL_XEN_RULE_PAGE_STRUCT_SIZE);
	r.page_struct_size = 65536;
	expect_rule(r, NDCTL_XEN_RULE_PAGE_STRUCT_SIZE);
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	r.reserve_size = 4096;
	r.reserve_per_page = 8;
	expect_rule(r, NDCTL_XEN_RULE_RESERVE_REQUEST);
	r.reserve_per_page = 0;
	r.reserve_size = UINT64_MAX;
	expect_rule(r, NDCTL_XEN_RULE_OVERFLOW);
	r.reserve_size = UINT64_MAX - 4 * M; /* 18M + this wraps */
	expect_rule(r, NDCTL_XEN_RULE_OVERFLOW);
	r.reserve_size = 0;
	r.reserve_per_page = 1ull << 32;
	expect_rule(r, NDCTL_XEN_RULE_RESERVE_REQUEST);
	r = req(1ull << 51, NDCTL_XEN_MAP_DEV, 2 * M);
	r.reserve_per_page = UINT32_MAX;
	expect_rule(r, NDCTL_XEN_RULE_OVERFLOW);
	r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	r.owner = NDCTL_XEN_OWNER_HYPERVISOR;
	expect_rule(r, NDCTL_XEN_RULE_OWNER);
	r.reserve_size = 4096;
	r.owner = NDCTL_XEN_OWNER_NAMED;
	strcpy(r.owner_name, "a name");
	expect_rule(r, NDCTL_XEN_RULE_OWNER);
	strcpy(r.owner_name, "seventeen-chars-x");
	expect_rule(r, NDCTL_XEN_RULE_OWNER);
	r.owner = 9;
	expect_rule(r, NDCTL_XEN_RULE_OWNER);
}

static void encode_layout(struct ndx_layout_req r, uint8_t *block, struct ndx_pfn_info *in)
{
	struct ndx_layout l;
	struct ndx_fault f;

	CHECK(run(r, &l, &f) == 0, "%s", f.msg);
	memset(in, 0, sizeof(*in));
	in->version_major = 1;
	in->version_minor = 4;
	in->dataoff = l.dataoff;
	in->npfns = l.npfns;
	in->mode = NDX_PFN_MODE_PMEM;
	in->end_trunc = (uint32_t)l.end_trunc;
	in->align = (uint32_t)l.req.align;
	in->page_size = 4096;
	in->page_struct_size = 64;
	memset(in->uuid, 0xab, 16);
	memset(in->parent_uuid, 0xcd, 16);
	in->rsv.version_major = 1;
	in->rsv.offset = l.reserve_offset;
	in->rsv.size = l.reserve_size;
	in->rsv.owner = l.owner;
	ndx_pfn_sb_encode(in, l.reserve_size != 0, block);
}

static void test_codec(void)
{
	uint8_t block[NDX_SB_SIZE], copy[NDX_SB_SIZE];
	struct ndx_layout_req r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	struct ndx_pfn_info in, out;
	unsigned int minor;

	/* fletcher64 of four words 1, 2, 3, 4: lo = 10, hi = 1+3+6+10 = 20 */
	{
		const uint8_t w[16] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0 };

		CHECK_EQ(ndx_fletcher64(w, sizeof(w)), (20ull << 32) | 10);
	}
	r.reserve_size = 64 * M;
	encode_layout(r, block, &in);
	/* raw offsets of the specification */
	CHECK(memcmp(block, "NVDIMM_PFN_INFO", 16) == 0, "signature");
	CHECK(memcmp(block + 4024, "NDRESERV", 8) == 0, "record magic at 4024");
	CHECK_EQ(block[56] | block[57] << 8 | block[58] << 16, (18 * M + 64 * M) & 0xffffff);
	CHECK_EQ(block[4024 + 12], 64);
	CHECK(ndx_pfn_sb_decode(block, &out) == NDX_SB_OK, "decode");
	CHECK_EQ(out.rec_status, NDX_REC_PRESENT);
	CHECK_EQ(out.dataoff, in.dataoff);
	CHECK_EQ(out.rsv.offset, 18 * M);
	CHECK_EQ(out.rsv.size, 64 * M);
	CHECK_EQ(out.rsv.owner, NDCTL_XEN_OWNER_OS);
	CHECK(memcmp(out.parent_uuid, in.parent_uuid, 16) == 0, "parent uuid");

	/* damaged record: one byte of the name without fixing its checksum */
	memcpy(copy, block, sizeof(copy));
	copy[4024 + 40] ^= 0x55;
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_BAD_CHECKSUM, "block checksum covers record");
	ndx_pfn_sb_seal(copy, 0);
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_OK, "resealed");
	CHECK_EQ(out.rec_status, NDX_REC_DAMAGED);
	/* one edited byte, block resealed, record resealed or not */
	{
		static const struct {
			unsigned int off; uint8_t val; int seal_record;
			enum ndx_rec_status want; const char *what;
		} edits[] = {
			{ 4024 + 8, 2, 0, NDX_REC_BAD_VERSION, "version 2, other checksum scheme" },
			{ 4024 + 8, 2, 1, NDX_REC_BAD_VERSION, "version 2" },
			{ 4024 + 12, 32, 1, NDX_REC_DAMAGED, "length 32" },
			{ 4024 + 16, 1, 0, NDX_REC_DAMAGED, "offset changed, checksum not" },
			{ 4024 + 0, 'X', 1, NDX_REC_ABSENT, "no magic: a future field" },
			{ 4024 + 10, 7, 1, NDX_REC_PRESENT, "minor 7 is readable" },
		};
		size_t e;

		for (e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
			memcpy(copy, block, sizeof(copy));
			copy[edits[e].off] = edits[e].val;
			ndx_pfn_sb_seal(copy, edits[e].seal_record);
			CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_OK, "%s", edits[e].what);
			CHECK(out.rec_status == edits[e].want, "%s: %s", edits[e].what,
					ndx_rec_status_name(out.rec_status));
		}
	}
	/* not an info block, bad checksum, unsupported major */
	memcpy(copy, block, sizeof(copy));
	copy[0] = 'X';
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_NOT_INFOBLOCK, "signature");
	memcpy(copy, block, sizeof(copy));
	copy[4088] ^= 1;
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_BAD_CHECKSUM, "checksum");
	memcpy(copy, block, sizeof(copy));
	copy[52] = 2;
	ndx_pfn_sb_seal(copy, 0);
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_BAD_VERSION, "major 2");
	/* a devdax signature */
	memcpy(copy, block, sizeof(copy));
	memcpy(copy, "NVDIMM_DAX_INFO", 16);
	ndx_pfn_sb_seal(copy, 0);
	CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_OK && out.is_dax, "dax");

	/* older minors: the kernel's defaults for the fields they lack */
	for (minor = 0; minor <= 4; minor++) {
		memcpy(copy, block, sizeof(copy));
		copy[54] = (uint8_t)minor;
		copy[88] = 0x00; copy[89] = 0x20; /* page_size 8192 if read */
		copy[92] = 200;                   /* page_struct_size 200 if read */
		ndx_pfn_sb_seal(copy, 0);
		CHECK(ndx_pfn_sb_decode(copy, &out) == NDX_SB_OK, "minor %u", minor);
		CHECK_EQ(out.version_minor, minor);
		CHECK_EQ(out.end_trunc, minor >= 1 ? in.end_trunc : 0);
		CHECK_EQ(out.align, minor >= 2 ? 2 * M : 0);
		CHECK_EQ(out.page_size, minor >= 4 ? 8192 : 4096);
		CHECK_EQ(out.page_struct_size, minor >= 4 ? 200 : 64);
	}
}

static void test_check_recorded(void)
{
	struct ndx_layout_req r = req(1 * G, NDCTL_XEN_MAP_DEV, 2 * M);
	struct ndx_recorded rec = { 0 };
	struct ndx_layout l;
	struct ndx_fault f;

	rec.dataoff = 18 * M;
	rec.npfns = (1 * G - 18 * M) / 4096;
	rec.page_size = 4096;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == 0, "%s", f.msg);
	rec.dataoff = 16 * M; /* below the memmap's need */
	rec.npfns = (1 * G - 16 * M) / 4096;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_MEMMAP, "%s", f.msg);
	rec.dataoff = 18 * M + 4096; /* not a multiple of align */
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_DATAOFF_ALIGN, "%s", f.msg);
	rec.dataoff = 1 * G;
	rec.npfns = 0;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_NO_DATA_PAGE, "%s", f.msg);
	rec.dataoff = 20 * M;
	rec.npfns = (1 * G - 20 * M) / 4096;
	rec.reserve_offset = 16 * M; /* overlaps the kernel's memmap */
	rec.reserve_size = 4 * M;
	r.owner = NDCTL_XEN_OWNER_OS;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_RESERVE_PLACE, "%s", f.msg);
	rec.reserve_offset = 18 * M;
	rec.reserve_size = 4 * M; /* runs into the data */
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_RESERVE_PLACE, "%s", f.msg);
	rec.reserve_size = 2 * M;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == 0, "%s", f.msg);
	rec.npfns++;
	CHECK(ndx_layout_check(&r, &rec, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_NPFNS, "%s", f.msg);
}

/* A layout through the public API (the query functions work on it). */
static struct ndctl_xen_layout *public_layout(struct ndctl_xen_ctx *ctx, uint64_t size,
		enum ndctl_xen_map map, uint64_t reserve, uint64_t per_page)
{
	struct ndctl_xen_layout *l;

	CHECK(ndctl_xen_layout_new(ctx, &l) == 0, "layout_new");
	ndctl_xen_layout_set_size(l, size);
	ndctl_xen_layout_set_phys_start(l, 4 * G);
	ndctl_xen_layout_set_map(l, map);
	ndctl_xen_layout_set_reserve(l, reserve);
	ndctl_xen_layout_set_reserve_per_page(l, per_page);
	CHECK(ndctl_xen_layout_compute(l) == 0, "%s", ndctl_xen_layout_get_error(l));
	return l;
}

/* A namespace image at an offset inside a file, read back through the API */
static void test_from_file(struct ndctl_xen_ctx *ctx)
{
	char path[] = "/tmp/ndx-unit-XXXXXX";
	struct ndctl_xen_layout *l = public_layout(ctx, 1 * G, NDCTL_XEN_MAP_MEM, 8 * M, 0);
	struct ndctl_xen_layout *back = NULL;
	uint8_t buf[8192];
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	CHECK(ndctl_xen_layout_encode(l, NULL, NULL, buf, sizeof(buf)) == 0, "encode");
	CHECK(pwrite(fd, buf, sizeof(buf), 1 * M) == (ssize_t)sizeof(buf), "pwrite");
	close(fd);
	CHECK(ndctl_xen_layout_from_file(ctx, path, 1 * M, 1 * G, 4 * G, &back) == 0, "from_file");
	if (back) {
		CHECK_EQ(ndctl_xen_layout_get_source(back), NDCTL_XEN_SOURCE_INFOBLOCK);
		CHECK_EQ(ndctl_xen_layout_get_derived(back), 0);
		CHECK_EQ(ndctl_xen_layout_get_dataoff(back), ndctl_xen_layout_get_dataoff(l));
		CHECK_EQ(ndctl_xen_layout_get_reserve_offset(back), ndctl_xen_layout_get_reserve_offset(l));
		CHECK_EQ(ndctl_xen_layout_get_reserve_size(back), 8 * M);
		CHECK_EQ(ndctl_xen_layout_get_reserve_owner(back), NDCTL_XEN_OWNER_HYPERVISOR);
		CHECK_EQ(ndctl_xen_layout_get_phys_start(back), 4 * G);
		ndctl_xen_layout_unref(back);
	}
	/* at the wrong offset there is no info block */
	CHECK(ndctl_xen_layout_from_file(ctx, path, 0, 1 * G, 0, &back) == -ENXIO, "offset 0");
	CHECK(ndctl_xen_layout_from_file(ctx, "/nonexistent", 0, 0, 0, &back) == -ENOENT, "missing");
	unlink(path);
	ndctl_xen_layout_unref(l);
}

static void test_query(void)
{
	struct ndctl_xen_ctx *ctx;
	struct ndctl_xen_layout *l;
	uint64_t end, pages, s, e, need;

	CHECK(ndctl_xen_new(&ctx) == 0, "ctx");
	/* 1G map=dev, 64M reserve: memmap [8K, 16785280), slack to 18M,
	 * reserve [18M, 82M), data [82M, 1G) */
	l = public_layout(ctx, 1 * G, NDCTL_XEN_MAP_DEV, 64 * M, 0);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 0, &end), NDCTL_XEN_AREA_INFOBLOCK);
	CHECK_EQ(end, 8 * K);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 8 * K, &end), NDCTL_XEN_AREA_MEMMAP);
	CHECK_EQ(end, 16785280);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 16785280, &end), NDCTL_XEN_AREA_SLACK);
	CHECK_EQ(end, 18 * M);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 18 * M, &end), NDCTL_XEN_AREA_RESERVE);
	CHECK_EQ(end, 82 * M);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 82 * M - 1, &end), NDCTL_XEN_AREA_RESERVE);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 82 * M, &end), NDCTL_XEN_AREA_DATA);
	CHECK_EQ(end, 1 * G);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 1 * G, &end), NDCTL_XEN_AREA_OUTSIDE);
	/* 64M covers 64M / 40 pages; the namespace has 262144 */
	CHECK_EQ(ndctl_xen_layout_reserve_fits(l, 40, &pages), 1);
	CHECK_EQ(pages, 64 * M / 40);
	CHECK_EQ(ndctl_xen_layout_reserve_fits(l, 512, &pages), 0);
	CHECK_EQ(pages, 131072);
	CHECK(ndctl_xen_layout_reserve_fits(l, 0, NULL) == -22, "0 bytes per page");
	/* Xen: base 4G = mfn 0x100000; reserve from +18M = 0x1200 frames */
	CHECK(ndctl_xen_layout_get_xen_mgmt(l, &s, &e) == 0, "mgmt");
	CHECK_EQ(s, 0x100000 + 0x1200);
	CHECK_EQ(e, 0x100000 + 0x1200 + 0x4000);
	CHECK(ndctl_xen_layout_get_xen_data(l, &s, &e) == 0, "data");
	CHECK_EQ(s, 0x100000 + 0x5200);
	CHECK_EQ(e, 0x100000 + 0x40000);
	/* N = (1G - 82M) / 4K = 241152 data frames: 32N>>12 + 8N>>12 = 1884 + 471 */
	CHECK_EQ(ndctl_xen_layout_xen_mgmt_fits(l, &need), 1);
	CHECK_EQ(need, 2355);
	ndctl_xen_layout_unref(l);

	/* map=mem, a 4K reserve: no memmap area; dataoff ALIGN(2M + 4K, 2M) = 4M;
	 * slack [8K, 4M - 4K); far too small for Xen */
	l = public_layout(ctx, 1 * G, NDCTL_XEN_MAP_MEM, 4 * K, 0);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 8 * K, &end), NDCTL_XEN_AREA_SLACK);
	CHECK_EQ(end, 4 * M - 4 * K);
	CHECK_EQ(ndctl_xen_layout_area_at(l, 4 * M - 4 * K, &end), NDCTL_XEN_AREA_RESERVE);
	CHECK_EQ(end, 4 * M);
	CHECK_EQ(ndctl_xen_layout_xen_mgmt_fits(l, NULL), 0);
	ndctl_xen_layout_unref(l);

	/* sized per page for Xen (40 bytes): check_mgmt_size() passes */
	l = public_layout(ctx, 16 * G, NDCTL_XEN_MAP_MEM, 0, 40);
	CHECK_EQ(ndctl_xen_layout_xen_mgmt_fits(l, NULL), 1);
	CHECK_EQ(ndctl_xen_layout_reserve_fits(l, 40, NULL), 1);
	/* no reservation: no management range */
	ndctl_xen_layout_unref(l);
	l = public_layout(ctx, 1 * G, NDCTL_XEN_MAP_DEV, 0, 0);
	CHECK(ndctl_xen_layout_get_xen_mgmt(l, &s, &e) == -ENOENT, "no mgmt");
	CHECK_EQ(ndctl_xen_layout_area_at(l, 1 * G - 1, &end), NDCTL_XEN_AREA_DATA);
	ndctl_xen_layout_unref(l);
	test_from_file(ctx);
	ndctl_xen_unref(ctx);
}

/* the journal: a tagged, resealed copy that opens to the exact block */
static void test_journal(void)
{
	uint8_t block[NDX_SB_SIZE], jrnl[NDX_SB_SIZE], back[NDX_SB_SIZE], tag[16];
	const uint8_t want_tag[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct ndx_layout_req r = req(256 * M, NDCTL_XEN_MAP_MEM, 2 * M);
	struct ndx_pfn_info in, out;

	r.reserve_size = 8 * M;
	encode_layout(r, block, &in);
	CHECK(ndx_pfn_sb_journal_make(block, want_tag, jrnl) == 0, "journal of a valid block");
	CHECK(memcmp(jrnl + 3968, "NDXJRNL1", 8) == 0, "tag magic at 3968");
	CHECK(memcmp(jrnl + 3976, want_tag, 16) == 0, "tag uuid at 3976");
	CHECK(memcmp(jrnl, block, 3968) == 0 && memcmp(jrnl + 4000, block + 4000, 88) == 0,
			"the rest of the block is copied");
	CHECK(ndx_pfn_sb_decode(jrnl, &out) == NDX_SB_OK, "the journal is a valid block itself");
	CHECK(ndx_pfn_sb_journal_open(jrnl, back, tag) == 0, "journal opens");
	CHECK(memcmp(back, block, NDX_SB_SIZE) == 0, "opens to the block byte for byte");
	CHECK(memcmp(tag, want_tag, 16) == 0, "and its tag");
	CHECK(ndx_pfn_sb_journal_open(block, back, tag) != 0, "a plain block is not a journal");
	jrnl[100] ^= 1;
	CHECK(ndx_pfn_sb_journal_open(jrnl, back, tag) != 0, "a damaged journal does not open");
	block[3970] = 1;
	ndx_pfn_sb_seal(block, 0);
	CHECK(ndx_pfn_sb_journal_make(block, want_tag, jrnl) != 0, "no journal over bytes in use");
	memset(block, 0, sizeof(block));
	CHECK(ndx_pfn_sb_journal_make(block, want_tag, jrnl) != 0, "no journal of no block");
}

/* messages: hex sizes also in units */
static void test_annotate_sizes(void)
{
	char out[160];

	util_annotate_sizes("the largest reserve that fits is 0xf800000", out, sizeof(out));
	CHECK(strcmp(out, "the largest reserve that fits is 0xf800000 (248 MiB)") == 0, "%s", out);
	util_annotate_sizes("size 0x40000000 - end_trunc 0 with align 0x200000; at 0x1001",
			out, sizeof(out));
	CHECK(strcmp(out, "size 0x40000000 (1 GiB) - end_trunc 0 with align 0x200000 (2 MiB); "
				"at 0x1001") == 0, "%s", out);
	/* not a whole MiB, below 1 MiB, more than 64 bits, part of a word: as written */
	util_annotate_sizes("0x100001 0x80000 0x100000000000000000 0x100000g", out, sizeof(out));
	CHECK(strcmp(out, "0x100001 0x80000 0x100000000000000000 0x100000g") == 0, "%s", out);
	/* a short buffer: cut, terminated */
	util_annotate_sizes("is 0xf800000", out, 16);
	CHECK(strlen(out) == 15 && strncmp(out, "is 0xf800000 (2", 15) == 0, "%s", out);
}

/* --data-size: the smallest namespace whose data area holds the size asked */
static void test_for_data_size(void)
{
	struct ndx_layout_req r = req(0, NDCTL_XEN_MAP_MEM, 2 * M);
	struct ndx_layout l, l2;
	struct ndx_fault f;

	/* map=mem, 64 MiB reserved: dataoff 2 MiB + 64 MiB, the data 1 GiB exactly */
	r.reserve_size = 64 * M;
	CHECK(ndx_layout_for_data_size(&r, 1 * G, 0, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.req.size, 1 * G + 66 * M);
	CHECK_EQ(l.data_size, 1 * G);
	/* one byte more takes one granule more */
	CHECK(ndx_layout_for_data_size(&r, 1 * G + 1, 0, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.req.size, 1 * G + 68 * M);
	/* a region's granule: 16 MiB multiples */
	CHECK(ndx_layout_for_data_size(&r, 1 * G, 16 * M, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.req.size, 1 * G + 80 * M);
	/* map=dev: the memmap grows with the size; one granule less does not hold it */
	r = req(0, NDCTL_XEN_MAP_DEV, 2 * M);
	r.reserve_per_page = 40;
	CHECK(ndx_layout_for_data_size(&r, 16 * G, 0, &l, &f) == 0, "%s", f.msg);
	CHECK(l.data_size >= 16 * G, "data %#" PRIx64, l.data_size);
	r.size = l.req.size - 2 * M;
	CHECK(ndx_layout_compute(&r, &l2, &f) == 0 && l2.data_size < 16 * G,
			"size - 2 MiB: data %#" PRIx64, l2.data_size);
	/* align 1G: granule 1 GiB */
	r = req(0, NDCTL_XEN_MAP_DEV, 1 * G);
	CHECK(ndx_layout_for_data_size(&r, 3 * G, 0, &l, &f) == 0, "%s", f.msg);
	CHECK_EQ(l.req.size, 4 * G);
	/* no 64-bit (or 52-bit) size holds it: refused, no wrap-around */
	r = req(0, NDCTL_XEN_MAP_MEM, 2 * M);
	CHECK(ndx_layout_for_data_size(&r, UINT64_MAX - 1, 0, &l, &f) == -22 &&
			(f.rule == NDCTL_XEN_RULE_OVERFLOW || f.rule == NDCTL_XEN_RULE_SIZE),
			"rule %s", ndx_rule_name(f.rule));
	CHECK(ndx_layout_for_data_size(&r, UINT64_MAX, 16 * M, &l, &f) == -22,
			"rule %s", ndx_rule_name(f.rule));
	CHECK(ndx_layout_for_data_size(&r, 0, 0, &l, &f) == -22, "0 bytes");
	/* the request's own fault is returned whatever the size */
	r.reserve_size = 4 * M;
	r.reserve_per_page = 8;
	CHECK(ndx_layout_for_data_size(&r, 1 * G, 0, &l, &f) == -22 &&
			f.rule == NDCTL_XEN_RULE_RESERVE_REQUEST, "rule %s", ndx_rule_name(f.rule));
}

int main(void)
{
	test_for_data_size();
	test_annotate_sizes();
	test_journal();
	test_query();
	test_kernel_defaults();
	test_reservations();
	test_refusals();
	test_codec();
	test_check_recorded();
	return h_report();
}
