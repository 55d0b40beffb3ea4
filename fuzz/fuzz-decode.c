// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the info-block decoder: any 8 KiB, decoded and,
 * when valid, turned into a layout against a namespace size taken from
 * the input's last bytes.  A decoded layout that the checker accepts
 * must satisfy the basic invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ndctl/libndctl-xen.h>

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
	memcpy(&ns_size, buf + 8192, sizeof(ns_size));
	if (ndctl_xen_infoblock_decode(ctx, buf, 8192, &ib) < 0)
		abort();
	if (ndctl_xen_infoblock_get_status(ib) == NDCTL_XEN_BLOCK_OK) {
		int rc = ndctl_xen_infoblock_get_layout(ib, ns_size & ~4095ull, 0, &l);

		if (rc == 0) {
			uint64_t dataoff = ndctl_xen_layout_get_dataoff(l);

			if (dataoff % 4096 || dataoff >= ndctl_xen_layout_get_size(l) ||
					ndctl_xen_layout_get_data_offset(l) != dataoff)
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
