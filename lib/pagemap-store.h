/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The page map's durable store (pagemap-store.c): the state file, its
 * lock, its log and durability.  It drives the map (pagemap.c) and the
 * file's format (pagemap-format.c, pagemap-sparse.c); nothing below it
 * calls it.
 */
#ifndef NDCTL_XEN_PAGEMAP_STORE_H
#define NDCTL_XEN_PAGEMAP_STORE_H

#include "pagemap.h"

/*
 * One change: made durable under the file's lock (lock, catch up, apply,
 * log) when the map is attached to a state file, else applied in memory.
 */
int ndx_store_update(struct ndctl_xen_pagemap *map, struct ndx_pm_op *op);
void ndx_store_free(struct ndx_store *store);

#endif
