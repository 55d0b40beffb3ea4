// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The page map's changes, as the API offers them: each one an operation
 * (pagemap.h's struct ndx_pm_op) that goes through the state file the
 * map is attached to (pagemap-store.c: lock, catch up, apply, log), or
 * straight to the map in memory (pagemap.c) when there is none.  Here,
 * above both, so that the map in memory never calls the store.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pagemap.h"
#include "pagemap-store.h"
#include "private.h"

NDX_EXPORT void ndctl_xen_pagemap_unref(struct ndctl_xen_pagemap *map)
{
	if (!map || !ndx_pm_put(map))
		return;
	ndx_store_free(ndx_pm_store(map));
	ndx_pm_destroy(map);
}

/* memory only, or through the state file the map is attached to */
static int run(struct ndctl_xen_pagemap *map, struct ndx_pm_op *op)
{
	ndx_pm_clear_error(map);
	return ndx_store_update(map, op);
}

NDX_EXPORT int ndctl_xen_pagemap_add_area(struct ndctl_xen_pagemap *map,
		uint64_t smfn, uint64_t emfn)
{
	struct ndx_pm_op op = { .type = NDX_OP_ADD_AREA, .mfn = smfn };

	/* an empty or reversed area is refused by insert_area, by its ends */
	op.nframes = emfn - smfn;
	return run(map, &op);
}

NDX_EXPORT int ndctl_xen_pagemap_add_layout(struct ndctl_xen_pagemap *map,
		struct ndctl_xen_layout *l)
{
	uint64_t smfn, emfn;

	ndx_pm_clear_error(map);
	if (ndctl_xen_layout_get_xen_data(l, &smfn, &emfn))
		return ndx_pm_fail(map, -ENOENT, "the layout has no data area");
	return ndctl_xen_pagemap_add_area(map, smfn, emfn);
}

NDX_EXPORT int ndctl_xen_pagemap_mark_broken_phys(struct ndctl_xen_pagemap *map,
		uint64_t addr, uint64_t len, uint32_t *domids, size_t max, size_t *ndomains)
{
	uint64_t s, e;

	ndx_pm_clear_error(map);
	if (!len)
		return ndx_pm_fail(map, -EINVAL, "no bytes");
	if (len - 1 > UINT64_MAX - addr)
		return ndx_pm_fail(map, -EINVAL, "bytes %#llx + %#llx overflow 64 bits",
				(unsigned long long)addr, (unsigned long long)len);
	/* 4 KiB frames, rounded outward */
	s = addr >> 12;
	e = ((addr + (len - 1)) >> 12) + 1;
	return ndctl_xen_pagemap_mark_broken(map, s, e - s, domids, max, ndomains);
}

NDX_EXPORT int ndctl_xen_pagemap_assign(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, uint64_t mfn, uint64_t nframes)
{
	struct ndx_pm_op op = { .type = NDX_OP_ASSIGN, .domid = domid, .gfn = gfn,
		.mfn = mfn, .nframes = nframes };

	return run(map, &op);
}

NDX_EXPORT int ndctl_xen_pagemap_assign_any(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, uint64_t nframes, uint64_t *mfn)
{
	struct ndx_pm_op op = { .type = NDX_OP_ASSIGN_ANY, .domid = domid, .gfn = gfn,
		.nframes = nframes };
	int rc = run(map, &op);

	if (!rc && mfn)
		*mfn = op.mfn;
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_release(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t mfn, uint64_t nframes)
{
	struct ndx_pm_op op = { .type = NDX_OP_RELEASE, .domid = domid, .mfn = mfn,
		.nframes = nframes };

	return run(map, &op);
}

NDX_EXPORT int ndctl_xen_pagemap_release_domain(struct ndctl_xen_pagemap *map,
		uint32_t domid, uint64_t *nframes)
{
	struct ndx_pm_op op = { .type = NDX_OP_RELEASE_DOMAIN, .domid = domid };
	int rc = run(map, &op);

	if (nframes)
		*nframes = rc ? 0 : op.released;
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_mark_broken(struct ndctl_xen_pagemap *map, uint64_t mfn,
		uint64_t nframes, uint32_t *domids, size_t max, size_t *ndomains)
{
	struct ndx_pm_op op = { .type = NDX_OP_MARK_BROKEN, .mfn = mfn, .nframes = nframes,
		.domids = domids, .max = domids ? max : 0 };
	int rc = run(map, &op);

	if (!rc && ndomains)
		*ndomains = op.ndomains;
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_clear_broken(struct ndctl_xen_pagemap *map, uint64_t mfn,
		uint64_t nframes)
{
	struct ndx_pm_op op = { .type = NDX_OP_CLEAR_BROKEN, .mfn = mfn, .nframes = nframes };

	return run(map, &op);
}
