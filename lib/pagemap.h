/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page map internals that the tests reach through the static library. */
#ifndef NDCTL_XEN_PAGEMAP_H
#define NDCTL_XEN_PAGEMAP_H

#include <stddef.h>
#include <ndctl/libndctl-xen.h>

/*
 * Every invariant of a map, checked from scratch in O(n): both trees
 * balanced and linked right, ranges sorted, non-overlapping, covering
 * every area exactly and never spanning two, canonical (no two ranges
 * that should have merged), the free-run augment exact, the domain index
 * holding exactly the owned ranges with no guest frame overlap, and the
 * totals right.  0, or -1 with the first broken invariant in why.
 */
int ndx_pagemap_check(struct ndctl_xen_pagemap *map, char *why, size_t len);

/* Bytes the map has allocated for ranges (nodes and spares), for the bench. */
size_t ndx_pagemap_node_size(void);

#endif
