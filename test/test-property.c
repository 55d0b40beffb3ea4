// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Property test: random layout requests.  Every accepted layout must
 * satisfy the kernel's rules (restated here independently, in 128-bit
 * arithmetic, from nd_pfn_init()/nd_pfn_validate()) and the non-overlap
 * rules; every refusal must name a rule that the request really breaks.
 * NDX_PROP_N (default 50000) and NDX_PROP_SEED pick the run.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "layout.h"
#include "pfn-sb.h"
#include "util/rand.h"

typedef unsigned __int128 u128;
#define K 1024ull
#define M (1024ull * K)
#define G (1024ull * M)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return util_xorshift(&rng_state);
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

static u128 align_up(u128 v, u128 a)
{
	return (v + a - 1) / a * a;
}

static struct ndx_layout_req random_request(void)
{
	static const uint64_t aligns[] = { 4 * K, 2 * M, 1 * G, 4 * K, 2 * M, 8 * K, 0 };
	static const uint64_t psizes[] = { 0, 64, 64, 128, 256, 32, 65535, 65536 };
	struct ndx_layout_req r;
	uint64_t unit;

	memset(&r, 0, sizeof(r));
	switch (rnd() % 5) {
	case 0: r.size = (rnd() % 4096 + 3) * 4 * K; break;             /* tiny */
	case 1: r.size = (rnd() % 2048 + 1) * 2 * M; break;             /* <= 4G */
	case 2: r.size = (rnd() % (4 * K) + 1) * 1 * G; break;          /* <= 4T */
	case 3: r.size = (rnd() % (1ull << 28) + 3) * 4 * K; break;     /* odd */
	default: r.size = rnd() >> (rnd() % 64); break;                 /* anything */
	}
	r.phys_start = rnd() % 8 ? (rnd() % (1ull << 20)) * 2 * M : rnd() % (1ull << 40);
	r.mode = rnd() % 2 ? NDCTL_XEN_MODE_FSDAX : NDCTL_XEN_MODE_DEVDAX;
	r.map = rnd() % 2 ? NDCTL_XEN_MAP_DEV : NDCTL_XEN_MAP_MEM;
	if (rnd() % 50 == 0)
		r.map = 3;
	r.align = pick(aligns, sizeof(aligns) / sizeof(aligns[0]));
	r.page_struct_size = (uint32_t)pick(psizes, sizeof(psizes) / sizeof(psizes[0]));
	switch (rnd() % 6) {
	case 0: break;
	case 1: r.reserve_size = rnd() % (64 * M); break;
	case 2: unit = rnd() % 3 ? 4 * K : 1;
		r.reserve_size = (rnd() % (r.size / unit + 1)) * unit; break;
	case 3: r.reserve_size = rnd() >> (rnd() % 64); break;
	case 4: r.reserve_per_page = rnd() % 300; break;
	default: r.reserve_per_page = rnd() >> (rnd() % 64); break;
	}
	if (rnd() % 20 == 0)
		r.reserve_size = rnd() % (16 * M) + 1, r.reserve_per_page = rnd() % 64 + 1;
	switch (rnd() % 8) {
	case 0: r.owner = NDCTL_XEN_OWNER_OS; break;
	case 1: r.owner = NDCTL_XEN_OWNER_HYPERVISOR; break;
	case 2: r.owner = NDCTL_XEN_OWNER_NAMED;
		strcpy(r.owner_name, rnd() % 4 ? "xen" : "name with space"); break;
	default: break;
	}
	return r;
}

/* The reservation in bytes the request asks for, rounded to 4K, in 128 bits */
static u128 wanted_reserve(const struct ndx_layout_req *r)
{
	u128 b = r->reserve_per_page ? (u128)r->reserve_per_page * (r->size / 4096)
		: (u128)r->reserve_size;

	return align_up(b, 4096);
}

static unsigned int accepted, refused[32];

static void check_accepted(const struct ndx_layout_req *r, const struct ndx_layout *l)
{
	uint64_t align = r->align ? r->align : 2 * M;
	uint64_t eff = align > 2 * M ? align : 2 * M;
	uint64_t psize = r->page_struct_size ? r->page_struct_size : 64;
	uint64_t npfns0 = (r->size - 8 * K) / (4 * K);
	u128 start = r->phys_start, end = start + r->size;
	u128 end_trunc = end - end / eff * eff;
	u128 kdef, pdef, size_eff = r->size - end_trunc, rsv = wanted_reserve(r);

	/* nd_pfn_init()'s default, with the kernel's 64 bytes per page */
	if (r->map == NDCTL_XEN_MAP_DEV) {
		kdef = align_up(start + 8 * K + 64 * (u128)npfns0, eff) - start;
		pdef = align_up(start + 8 * K + psize * (u128)npfns0, eff) - start;
	} else {
		kdef = pdef = align_up(start + 8 * K, eff) - start;
	}
	accepted++;
	CHECK(r->phys_start % (2 * M) == 0, "start %#" PRIx64, r->phys_start);
	CHECK(align == 4 * K || align == 2 * M || align == 1 * G, "align %#" PRIx64, align);
	CHECK(end <= (u128)1 << 52, "end beyond 52 bits");
	CHECK_EQ(l->end_trunc, (uint64_t)end_trunc);
	CHECK(l->dataoff % 4096 == 0 && (start + l->dataoff) % align == 0,
			"dataoff %#" PRIx64 " align %#" PRIx64, l->dataoff, align);
	CHECK((u128)l->dataoff + align <= size_eff, "no aligned data page: dataoff %#"
			PRIx64 " size %#" PRIx64, l->dataoff, r->size);
	CHECK(l->dataoff >= kdef && l->dataoff >= pdef, "dataoff %#" PRIx64
			" below the memmap's need", l->dataoff);
	CHECK(l->dataoff >= 8 * K, "dataoff below 8K");
	CHECK_EQ(l->npfns, (uint64_t)((size_eff - l->dataoff) / 4096));
	CHECK_EQ(l->data_offset, l->dataoff);
	CHECK_EQ(l->data_size, (uint64_t)(size_eff - l->dataoff));
	if (!rsv) {
		CHECK_EQ(l->dataoff, (uint64_t)pdef);
		CHECK_EQ(l->reserve_size, 0);
		return;
	}
	CHECK_EQ(l->reserve_size, (uint64_t)rsv);
	CHECK(l->reserve_offset % 4096 == 0, "reserve offset %#" PRIx64, l->reserve_offset);
	/* above the kernel's default dataoff in both maps (the writer's rule) */
	CHECK(l->reserve_offset >= pdef && l->reserve_offset >= kdef,
			"reserve %#" PRIx64 " below the default dataoff", l->reserve_offset);
	CHECK(l->dataoff > pdef, "a reserve leaves dataoff at the default");
	CHECK(l->reserve_offset >= l->memmap_end, "reserve below memmap end");
	CHECK((u128)l->reserve_offset + l->reserve_size <= l->dataoff,
			"reserve overlaps data");
	CHECK(l->owner != NDCTL_XEN_OWNER_NONE, "no owner");
}

static void check_refused(const struct ndx_layout_req *r, const struct ndx_fault *f,
		const struct ndx_layout *l)
{
	uint64_t align = r->align ? r->align : 2 * M;
	uint64_t eff = align > 2 * M ? align : 2 * M;
	uint64_t psize = r->page_struct_size ? r->page_struct_size : 64;
	u128 end = (u128)r->phys_start + r->size, size_eff, need;

	CHECK(f->rule != NDCTL_XEN_RULE_NONE && f->msg[0], "refused without a rule");
	refused[f->rule & 31]++;
	switch (f->rule) {
	case NDCTL_XEN_RULE_ALIGN:
		CHECK(align != 4 * K && align != 2 * M && align != 1 * G, "align %#" PRIx64, align);
		break;
	case NDCTL_XEN_RULE_SIZE:
		CHECK(r->size <= 8 * K || r->size % 4096 || end > (u128)1 << 52,
				"size %#" PRIx64, r->size);
		break;
	case NDCTL_XEN_RULE_START_ALIGN:
		CHECK(r->phys_start % (2 * M), "start %#" PRIx64, r->phys_start);
		break;
	case NDCTL_XEN_RULE_PAGE_STRUCT_SIZE:
		CHECK(psize < 64 || psize > 65535, "psize %" PRIu64, psize);
		break;
	case NDCTL_XEN_RULE_MODE:
		CHECK(r->map != NDCTL_XEN_MAP_DEV && r->map != NDCTL_XEN_MAP_MEM, "map");
		break;
	case NDCTL_XEN_RULE_RESERVE_REQUEST:
		CHECK((r->reserve_size && r->reserve_per_page) ||
				r->reserve_per_page > UINT32_MAX, "reserve request");
		break;
	case NDCTL_XEN_RULE_OWNER:
		CHECK(!wanted_reserve(r) || r->owner == NDCTL_XEN_OWNER_NAMED, "owner");
		break;
	case NDCTL_XEN_RULE_OVERFLOW:
		CHECK(wanted_reserve(r) + r->size + r->phys_start > UINT64_MAX, "overflow");
		break;
	case NDCTL_XEN_RULE_NO_DATA_PAGE:
		/* the smallest dataoff this request could get leaves no aligned page */
		size_eff = end - end / eff * eff;
		size_eff = size_eff < r->size ? r->size - size_eff : 0;
		need = r->map == NDCTL_XEN_MAP_DEV ?
			align_up(r->phys_start + 8 * K + psize * (u128)((r->size - 8 * K) / 4096), eff)
			: align_up(r->phys_start + 8 * K, eff);
		if (wanted_reserve(r))
			need = align_up(need + wanted_reserve(r), align);
		CHECK(need - r->phys_start + align > size_eff, "refused but fits: size %#"
				PRIx64 " dataoff %#" PRIx64, r->size, l->dataoff);
		break;
	default:
		CHECK(0, "unexpected rule %s: %s", ndx_rule_name(f->rule), f->msg);
	}
}

static void check_block(const struct ndx_layout *l)
{
	uint8_t block[NDX_SB_SIZE];
	struct ndx_pfn_info in, out;

	memset(&in, 0, sizeof(in));
	in.version_major = 1;
	in.version_minor = 4;
	in.dataoff = l->dataoff;
	in.npfns = l->npfns;
	in.mode = l->req.map;
	in.end_trunc = (uint32_t)l->end_trunc;
	in.align = (uint32_t)l->req.align;
	in.rsv.version_major = 1;
	in.rsv.offset = l->reserve_offset;
	in.rsv.size = l->reserve_size;
	in.rsv.owner = l->owner;
	ndx_pfn_sb_encode(&in, l->reserve_size != 0, block);
	CHECK(ndx_pfn_sb_decode(block, &out) == NDX_SB_OK, "decode");
	CHECK_EQ(out.dataoff, l->dataoff);
	CHECK_EQ(out.rec_status, l->reserve_size ? NDX_REC_PRESENT : NDX_REC_ABSENT);
	CHECK_EQ(out.rsv.offset, l->reserve_size ? l->reserve_offset : 0);
	CHECK_EQ(out.rsv.size, l->reserve_size);
}

/*
 * ndx_layout_for_data_size() against a scan of every granule multiple
 * from the data size up: the same smallest size.  The scan is bounded,
 * so requests whose overhead spans many granules are checked one granule
 * down only.
 */
static unsigned int data_size_checked;
static void check_for_data_size(const struct ndx_layout_req *req, const struct ndx_layout *have)
{
	struct ndx_layout_req r = *req;
	struct ndx_layout l, scan;
	struct ndx_fault f;
	uint64_t want = have->data_size, g = have->eff_align, size, found = 0;
	unsigned int steps;

	if (!want)
		return;
	if (ndx_layout_for_data_size(&r, want, 0, &l, &f) != 0) {
		CHECK(0, "for_data_size(%#" PRIx64 "): %s", want, f.msg);
		return;
	}
	data_size_checked++;
	CHECK(l.data_size >= want, "data %#" PRIx64 " < %#" PRIx64, l.data_size, want);
	CHECK(l.req.size % g == 0, "size %#" PRIx64 " not a multiple of %#" PRIx64,
			l.req.size, g);
	for (size = (want + g - 1) / g * g, steps = 0; steps < 4096 && size <= l.req.size;
			size += g, steps++) {
		r.size = size;
		if (ndx_layout_compute(&r, &scan, &f) == 0 && scan.data_size >= want) {
			found = size;
			break;
		}
	}
	if (found || steps < 4096)
		CHECK_EQ(found, l.req.size);
}

int main(void)
{
	const char *n_env = getenv("NDX_PROP_N"), *seed_env = getenv("NDX_PROP_SEED");
	unsigned long n = n_env ? strtoul(n_env, NULL, 0) : 50000, i, maxed = 0;
	struct ndx_layout_req r;
	struct ndx_layout l, l2;
	struct ndx_fault f;
	int rule;

	rng_state = seed_env ? strtoull(seed_env, NULL, 0) : 0x6e646374786e21ull;
	printf("seed %#" PRIx64 ", %lu requests\n", rng_state, n);
	for (i = 0; i < n; i++) {
		r = random_request();
		if (ndx_layout_compute(&r, &l, &f) != 0) {
			check_refused(&r, &f, &l);
			continue;
		}
		check_accepted(&r, &l);
		check_block(&l);
		if (i % 16 == 0)
			check_for_data_size(&r, &l);
		/* max_reserve is accepted; 4K more is refused */
		if (i % 4 == 0 && l.max_reserve && l.max_reserve < UINT64_MAX - 4096) {
			r.reserve_per_page = 0;
			r.reserve_size = l.max_reserve;
			CHECK(ndx_layout_compute(&r, &l2, &f) == 0, "max %#" PRIx64 ": %s",
					l.max_reserve, f.msg);
			if (f.rule == NDCTL_XEN_RULE_NONE)
				check_accepted(&r, &l2);
			r.reserve_size += 4096;
			CHECK(ndx_layout_compute(&r, &l2, &f) == -22 &&
					f.rule == NDCTL_XEN_RULE_NO_DATA_PAGE,
					"max + 4K: %s", ndx_rule_name(f.rule));
			maxed++;
		}
	}
	printf("accepted %u, max-reserve probes %lu, data-size searches %u, refused:",
			accepted, maxed, data_size_checked);
	for (rule = 0; rule < 32; rule++)
		if (refused[rule])
			printf(" %s %u", ndx_rule_name(rule), refused[rule]);
	printf("\n");
	return h_report();
}
