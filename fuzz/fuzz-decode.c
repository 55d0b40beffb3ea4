// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the info-block decoder: any 8 KiB, decoded and,
 * when valid, turned into a layout against a namespace size taken from
 * bytes of the input's first (padding) page, which also choose whether
 * the checksums are made valid first.  A decoded layout that the checker
 * accepts must satisfy the basic invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ndctl/libndctl-xen.h>

#include "pfn-sb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndctl_xen_ctx *ctx;
	struct ndctl_xen_infoblock *ib;
	struct ndctl_xen_layout *l;
	uint8_t buf[8192 + 8];
	uint64_t ns_size = 0;

	if (!ctx && ndctl_xen_new(&ctx) < 0)
		abort();
	memset(buf, 0, sizeof(buf));
	/* short inputs are placed at the block, long ones cover both pages */
	if (size <= 4096 + 8)
		memcpy(buf + 4096, data, size);
	else
		memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	/*
	 * The first 4 KiB are padding the decoder ignores: byte 0 chooses
	 * whether the block's (bit 0) and the record's (bit 1) checksums are
	 * made valid first, so that mutations reach the version, record and
	 * layout checks instead of stopping at a checksum; bytes 8-15 give
	 * the namespace size.
	 */
	memcpy(&ns_size, buf + 8, sizeof(ns_size));
	if (buf[0] & 1)
		ndx_pfn_sb_seal(buf + 4096, buf[0] & 2);
	if (ndctl_xen_infoblock_decode(ctx, buf, 8192, &ib) < 0)
		abort();
	if (ndctl_xen_infoblock_get_status(ib) == NDCTL_XEN_BLOCK_OK) {
		int rc = ndctl_xen_infoblock_get_layout(ib, ns_size & ~4095ull, 0, &l);

		if (rc == 0) {
			uint64_t dataoff = ndctl_xen_layout_get_dataoff(l);

			/* the data starts at dataoff from the namespace base + start_pad */
			if (dataoff % 4096 || dataoff >= ndctl_xen_layout_get_size(l) ||
					ndctl_xen_layout_get_data_offset(l) != dataoff +
					ndctl_xen_infoblock_get_start_pad(ib))
				abort();
			if (ndctl_xen_layout_get_reserve_size(l) &&
					ndctl_xen_layout_get_reserve_offset(l) +
					ndctl_xen_layout_get_reserve_size(l) > dataoff)
				abort();
		}
		if (rc == 0 || rc == -22)
			ndctl_xen_layout_unref(l);
		(void)ndctl_xen_infoblock_get_reserve_owner_name(ib);
	}
	ndctl_xen_infoblock_unref(ib);
	return 0;
}
