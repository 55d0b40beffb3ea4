// SPDX-License-Identifier: MIT
/*
 * A toolstack's view: find every namespace whose reserved area is recorded
 * for the hypervisor and print what Dom0 would hand it (the XENPF_pmem_add
 * fields of the 2016-2017 Xen vNVDIMM series, and the xen-ndctl command
 * lines).  An area recorded for the OS or another named consumer is not
 * Xen's; an answer that does not know the owner (sysfs alone: this host
 * has no copy of the block) is not used either.
 *
 *   cc xen-toolstack.c $(pkg-config --cflags --libs libndctl-xen) -o xen-toolstack
 */
#include <inttypes.h>
#include <stdio.h>
#include <ndctl/libndctl-xen.h>

int main(void)
{
	struct ndctl_xen_ctx *xctx;
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_namespace *ndns;
	int found = 0;

	if (ndctl_new(&ctx) < 0 || ndctl_xen_new(&xctx) < 0) {
		fprintf(stderr, "xen-toolstack: cannot open libndctl\n");
		return 1;
	}
	ndctl_bus_foreach(ctx, bus)
		ndctl_region_foreach(bus, region)
			ndctl_namespace_foreach(region, ndns) {
		struct ndctl_xen_layout *l;
		uint64_t spa, ms, me, ds, de, need;
		int fits;

		if (!ndctl_namespace_get_size(ndns) ||
				ndctl_xen_layout_from_namespace(xctx, ndns, &l) != 0)
			continue;
		if (!ndctl_xen_namespace_is_usable(ndns)) {
			/* its pfn/dax device failed to probe: no data area is in use */
			fprintf(stderr, "%s: its pfn/dax device is not bound: nothing to hand "
					"Xen\n", ndctl_namespace_get_devname(ndns));
		} else if (ndctl_xen_layout_get_unknown(l) & NDCTL_XEN_UNKNOWN_OWNER) {
			fprintf(stderr, "%s: owner of any reservation unknown (sysfs only): "
					"run ndctl-xen recover\n", ndctl_namespace_get_devname(ndns));
		} else if (ndctl_xen_layout_get_reserve_size(l) &&
				ndctl_xen_layout_get_reserve_owner(l) == NDCTL_XEN_OWNER_HYPERVISOR &&
				ndctl_xen_layout_get_xen_mgmt(l, &ms, &me) == 0 &&
				ndctl_xen_layout_get_xen_data(l, &ds, &de) == 0) {
			spa = ndctl_xen_layout_get_phys_start(l);
			printf("%s: pmem_add spa=%#" PRIx64 " size=%#" PRIx64
				" rsv_off=%#" PRIx64 " rsv_size=%#" PRIx64
				" data_off=%#" PRIx64 " data_size=%#" PRIx64 "\n",
				ndctl_namespace_get_devname(ndns), spa,
				ndctl_xen_layout_get_size(l),
				ndctl_xen_layout_get_reserve_offset(l),
				ndctl_xen_layout_get_reserve_size(l),
				ndctl_xen_layout_get_data_offset(l),
				ndctl_xen_layout_get_data_size(l));
			printf("%s: xen-ndctl setup-mgmt %#" PRIx64 " %#" PRIx64 "\n",
				ndctl_namespace_get_devname(ndns), ms, me);
			fits = ndctl_xen_layout_xen_mgmt_fits(l, &need) == 1;
			printf("%s: xen-ndctl setup-data %#" PRIx64 " %#" PRIx64
				" %#" PRIx64 " %#" PRIx64 " (management %s, %" PRIu64
				" frames needed)\n", ndctl_namespace_get_devname(ndns),
				ds, de, ms, me, fits ? "fits" : "too small", need);
			found++;
		}
		ndctl_xen_layout_unref(l);
	}
	printf("%d namespace%s reserved for the hypervisor\n", found, found == 1 ? "" : "s");
	ndctl_xen_unref(xctx);
	ndctl_unref(ctx);
	return 0;
}
