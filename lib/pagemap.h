/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page map internals: what the layers above the map (pagemap-format.c,
 * pagemap-sparse.c, pagemap-store.c, pagemap-ops.c) and the tests reach.
 * pagemap.c owns the ranges and their trees, knows nothing of files and
 * calls none of them; they change the map only through ndx_pm_apply(),
 * ndx_pm_build() and the sparse part's calls below.
 */
#ifndef NDCTL_XEN_PAGEMAP_H
#define NDCTL_XEN_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>
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

/*
 * One change, as the log records it.  The numbering is the log's on-disk
 * op code: never renumber.
 */
enum ndx_pm_op_type {
	NDX_OP_ADD_AREA = 1,       /* mfn, nframes */
	NDX_OP_ASSIGN = 2,         /* domid, gfn, mfn, nframes */
	NDX_OP_ASSIGN_ANY = 3,     /* domid, gfn, nframes: becomes NDX_OP_ASSIGN */
	NDX_OP_RELEASE = 4,        /* domid, mfn, nframes */
	NDX_OP_RELEASE_DOMAIN = 5, /* domid */
	NDX_OP_MARK_BROKEN = 6,    /* mfn, nframes */
	NDX_OP_CLEAR_BROKEN = 7,   /* mfn, nframes */
};

struct ndx_pm_op {
	enum ndx_pm_op_type type;
	uint32_t domid;
	uint64_t gfn, mfn, nframes;
	/* results, for the caller only (never logged) */
	uint32_t *domids;  /* mark_broken: the owners hit, up to max */
	size_t max;
	size_t ndomains;
	uint64_t released; /* release_domain: frames taken back */
};

/*
 * Apply op to the map in memory: checks first, then the change, so a
 * refusal (-errno, message set) leaves the map as it was.  First fit
 * turns into the explicit assignment it made (op->type, op->mfn), which
 * is what a log must replay.
 */
int ndx_pm_apply(struct ndctl_xen_pagemap *map, struct ndx_pm_op *op);

/* A range as the state file stores it. */
struct ndx_pm_rec {
	uint64_t mfn, nframes, gfn;
	uint32_t domid;
	uint8_t broken;
};

/*
 * Fill an empty map in O(n) from areas (smfn, emfn pairs, nareas of them)
 * and nranges ranges in frame order, which get(arg, i, &rec, why, len)
 * gives one by one (0, or -EBADMSG with why set); by_dom lists the owned
 * ranges' places in frame order in (domid, gfn) order, or is NULL to have
 * them sorted here.  Every invariant is checked on the way: 0, or
 * -EBADMSG (why says which) or -ENOMEM, and the map is left empty.
 */
typedef int (*ndx_pm_get_rec)(void *arg, uint64_t i, struct ndx_pm_rec *rec, char *why,
		size_t len);
int ndx_pm_build(struct ndctl_xen_pagemap *map, const uint64_t *areas, uint64_t nareas,
		ndx_pm_get_rec get, void *arg, uint64_t nranges, const uint64_t *by_dom,
		uint64_t nowned, char *why, size_t len);
/* Back to no areas and no ranges. */
void ndx_pm_empty(struct ndctl_xen_pagemap *map);

/*
 * For writing a checkpoint, in O(n): range_fn for every range in frame
 * order, then dom_fn for every owned range in (domid, gfn) order with its
 * place in the first walk (0 is the first).  A callback returns 0 to go
 * on.
 */
uint64_t ndx_pm_nranges(struct ndctl_xen_pagemap *map);
uint64_t ndx_pm_nowned(struct ndctl_xen_pagemap *map);
int ndx_pm_walk(struct ndctl_xen_pagemap *map,
		int (*range_fn)(const struct ndx_pm_rec *r, void *arg),
		int (*dom_fn)(uint64_t index, void *arg), void *arg);

/*
 * Parts of a map, for a sparse open (pagemap-sparse.c): sparse_begin
 * gives an empty map its areas and the whole map's totals and marks it a
 * part; insert links one range of it (checked against its area and the
 * neighbours already in, not counted again in the totals).  Changes then
 * work as on a whole map as long as the part holds every range they
 * touch and those next to them; lookups and iteration return
 * -EOPNOTSUPP.  first_fit: the lowest range of the part that is free
 * and n frames long; longest_free: the part's longest free range.
 */
int ndx_pm_sparse_begin(struct ndctl_xen_pagemap *map, const uint64_t *areas,
		uint64_t nareas, const uint64_t *frames, const uint64_t *ranges, char *why,
		size_t len);
int ndx_pm_insert(struct ndctl_xen_pagemap *map, const struct ndx_pm_rec *rec, char *why,
		size_t len);
int ndx_pm_first_fit(struct ndctl_xen_pagemap *map, uint64_t n, uint64_t *mfn);
uint64_t ndx_pm_longest_free(struct ndctl_xen_pagemap *map);
/* the part's ranges of domid, as n (mfn, end) pairs in a new array */
int ndx_pm_domain_spans(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t **spans,
		size_t *n);

/* The map's error message and context, for the store. */
int ndx_pm_fail(struct ndctl_xen_pagemap *map, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ndx_pm_clear_error(struct ndctl_xen_pagemap *map);
struct ndctl_xen_ctx *ndx_pm_ctx(struct ndctl_xen_pagemap *map);

/*
 * The durable store a map is attached to (NULL: memory only): kept for
 * the store, which owns it; the map never follows it.
 */
struct ndx_store;
struct ndx_store *ndx_pm_store(struct ndctl_xen_pagemap *map);
void ndx_pm_set_store(struct ndctl_xen_pagemap *map, struct ndx_store *store);

/* a reference dropped: 1 if it was the last (then destroy, store freed first) */
int ndx_pm_put(struct ndctl_xen_pagemap *map);
void ndx_pm_destroy(struct ndctl_xen_pagemap *map);

#endif
