// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the layout engine: a request from the input bytes;
 * an accepted layout must satisfy the kernel's rules (nd_pfn_init(),
 * nd_pfn_validate()) restated here, and the writer's non-overlap rules; a
 * refusal must name a rule.
 */
#include <stdlib.h>
#include <string.h>

#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t take(const uint8_t **p, size_t *left)
{
	uint64_t v = 0;
	size_t n = *left < 8 ? *left : 8;

	memcpy(&v, *p, n);
	*p += n;
	*left -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t aligns[] = { 0, 4096, 2 << 20, 1 << 30, 8192 };
	typedef unsigned __int128 u128;
	struct ndx_layout_req r;
	struct ndx_layout l;
	struct ndx_fault f;
	uint64_t align, eff;
	u128 end, end_trunc, kdef, size_eff;

	memset(&r, 0, sizeof(r));
	r.size = take(&data, &size) >> (take(&data, &size) & 63);
	r.phys_start = (take(&data, &size) & 0xfffff) << 21;
	r.mode = 1 + (take(&data, &size) & 1);
	r.map = 1 + (take(&data, &size) & 1);
	r.align = aligns[take(&data, &size) % 5];
	r.page_struct_size = (uint32_t)(take(&data, &size) & 0x1ffff);
	r.reserve_size = take(&data, &size) >> (take(&data, &size) & 63);
	r.reserve_per_page = take(&data, &size) & 0x1ff;
	r.owner = (uint32_t)(take(&data, &size) & 3);
	if (r.owner == NDCTL_XEN_OWNER_NAMED)
		strcpy(r.owner_name, "fuzz");
	if (ndx_layout_compute(&r, &l, &f) != 0) {
		if (f.rule == NDCTL_XEN_RULE_NONE || !f.msg[0])
			abort();
		return 0;
	}
	align = l.req.align;
	eff = align > (2 << 20) ? align : (2 << 20);
	end = (u128)r.phys_start + r.size;
	end_trunc = end % eff;
	size_eff = r.size - end_trunc;
	kdef = r.map == NDCTL_XEN_MAP_DEV ?
		((u128)r.phys_start + 8192 + 64 * (u128)((r.size - 8192) / 4096) + eff - 1) / eff * eff
		: ((u128)r.phys_start + 8192 + eff - 1) / eff * eff;
	kdef -= r.phys_start;
	if (l.end_trunc != end_trunc || l.dataoff % 4096 ||
			((u128)r.phys_start + l.dataoff) % align ||
			(u128)l.dataoff + align > size_eff || l.dataoff < kdef ||
			l.npfns != (size_eff - l.dataoff) / 4096)
		abort();
	if (l.reserve_size && (l.reserve_offset < kdef || l.reserve_offset % 4096 ||
				l.reserve_offset + l.reserve_size != l.dataoff))
		abort();
	if (!l.reserve_size && r.page_struct_size <= 64 && l.dataoff != kdef)
		abort();
	return 0;
}
