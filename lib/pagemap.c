// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The toolstack's page map: which machine frames of the data areas are
 * free, which belong to which domain at which guest frame, and which are
 * broken.  Xen keeps the same facts as a linked list of {mfn, gfn, len,
 * broken, domain} ranges, split on map and merged on domain destroy; here
 * the ranges sit in two AVL trees so that each operation is O(log n):
 *
 *  - by_mfn, keyed by first machine frame, holding every range, each node
 *    augmented with the longest free (unowned, unbroken) range in its
 *    subtree, so first fit descends straight to the lowest-numbered free
 *    range that is long enough;
 *  - by_dom, keyed by (domid, gfn), holding the owned ranges only: the
 *    guest frame overlap check, guest frame lookups and per-domain walks.
 *
 * Canonical form (what merges): two ranges that touch, in the same area,
 * with the same broken flag, merge when both are unowned, or both belong
 * to one domain and their guest frames are contiguous too.  Every change
 * splits at most two ranges (at the ends of the span it changes) and
 * merges the changed ranges with each other and with their neighbours.
 * Two spare nodes are allocated before anything changes, so an operation
 * either fails before touching the map or completes.
 *
 * Files are not this file's business: a map attached to a state file
 * (ndctl_xen_pagemap_open) hands each change to pagemap-store.c, which
 * takes the file's lock, catches up with other processes' changes, calls
 * ndx_pm_apply() and makes the change durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "pagemap.h"
#include "private.h"

#define NO_DOMAIN NDCTL_XEN_PAGEMAP_NO_DOMAIN
/* physical addresses are 64-bit: frame numbers stay below 2^52 */
#define MFN_LIMIT (1ull << 52)

struct ndx_range {
	struct ndx_avl_node by_mfn;
	struct ndx_avl_node by_dom; /* linked only while owned */
	uint64_t mfn, nframes;
	uint64_t gfn;               /* 0 while unowned */
	uint64_t max_free;          /* longest free range in the by_mfn subtree */
	uint32_t domid;             /* NO_DOMAIN while unowned */
	uint8_t broken;
	uint8_t in_slab;            /* part of the map's slab: never freed alone */
};

struct ndx_area {
	uint64_t smfn, emfn;
};

struct ndctl_xen_pagemap {
	int refcount;
	struct ndctl_xen_ctx *ctx;
	struct ndx_avl_tree by_mfn, by_dom;
	struct ndx_area *areas; /* sorted, disjoint */
	unsigned int nareas, areas_cap;
	uint64_t frames[NDCTL_XEN_PAGEMAP_NR_STATES];
	uint64_t ranges[NDCTL_XEN_PAGEMAP_NR_STATES];
	struct ndx_range *spare[2];
	/*
	 * A loaded map's ranges, allocated at once: a CLI call that loads a
	 * map of 10^5 ranges for one update pays one allocation, not 10^5,
	 * and none to free them.  Nodes merged away stay until the map is
	 * emptied.
	 */
	struct ndx_range *slab;
	size_t slab_len;
	uint64_t heap_ranges; /* ranges in the tree that are not in the slab */
	struct ndx_store *store; /* its owner's, never followed here (NULL: none) */
	/*
	 * A part of a map (ndx_pm_sparse_begin): only the ranges a change
	 * needs are in the trees, the totals are the whole map's.  Lookups
	 * and iteration, which would see the part only, are refused.
	 */
	int sparse;
	char msg[256];
};

#define MFN_ENTRY(n) ndx_avl_entry(n, struct ndx_range, by_mfn)
#define DOM_ENTRY(n) ndx_avl_entry(n, struct ndx_range, by_dom)

static uint64_t rend(const struct ndx_range *r)
{
	return r->mfn + r->nframes;
}

static int owned(const struct ndx_range *r)
{
	return r->domid != NO_DOMAIN;
}

static int is_free(const struct ndx_range *r)
{
	return !owned(r) && !r->broken;
}

static enum ndctl_xen_pagemap_state range_state(const struct ndx_range *r)
{
	return (enum ndctl_xen_pagemap_state)((owned(r) ? 1 : 0) | (r->broken ? 2 : 0));
}

static void augment_mfn(struct ndx_avl_node *n)
{
	struct ndx_range *r = MFN_ENTRY(n);
	uint64_t m = is_free(r) ? r->nframes : 0;

	if (n->left && MFN_ENTRY(n->left)->max_free > m)
		m = MFN_ENTRY(n->left)->max_free;
	if (n->right && MFN_ENTRY(n->right)->max_free > m)
		m = MFN_ENTRY(n->right)->max_free;
	r->max_free = m;
}

/* a refusal: the message for get_error(), and the debug log */
int ndx_pm_fail(struct ndctl_xen_pagemap *map, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(map->msg, sizeof(map->msg), fmt, ap);
	va_end(ap);
	dbg(map->ctx, "%s (%s)\n", map->msg, strerror(-rc));
	return rc;
}

#define fail ndx_pm_fail

/* ---- searches ---- */

static struct ndx_range *next_range(struct ndx_range *r)
{
	struct ndx_avl_node *n = ndx_avl_next(&r->by_mfn);

	return n ? MFN_ENTRY(n) : NULL;
}

static struct ndx_range *prev_range(struct ndx_range *r)
{
	struct ndx_avl_node *n = ndx_avl_prev(&r->by_mfn);

	return n ? MFN_ENTRY(n) : NULL;
}

/* the last range starting at or below x */
static struct ndx_range *floor_mfn(struct ndctl_xen_pagemap *map, uint64_t x)
{
	struct ndx_avl_node *n = map->by_mfn.root;
	struct ndx_range *best = NULL;

	while (n) {
		struct ndx_range *r = MFN_ENTRY(n);

		if (r->mfn <= x) {
			best = r;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static struct ndx_range *at_mfn(struct ndctl_xen_pagemap *map, uint64_t x)
{
	struct ndx_range *r = floor_mfn(map, x);

	return r && x < rend(r) ? r : NULL;
}

/* the first range that ends above x */
static struct ndx_range *from_mfn(struct ndctl_xen_pagemap *map, uint64_t x)
{
	struct ndx_range *r = floor_mfn(map, x);
	struct ndx_avl_node *first;

	if (r)
		return x < rend(r) ? r : next_range(r);
	first = ndx_avl_first(&map->by_mfn);
	return first ? MFN_ENTRY(first) : NULL;
}

static int dom_before(uint32_t d1, uint64_t g1, uint32_t d2, uint64_t g2)
{
	return d1 < d2 || (d1 == d2 && g1 < g2);
}

/*
 * The owned range with the last key at or below (domid, gfn) (floor), or
 * with the first key at or above it: a range on the wanted side is a
 * candidate, and the search goes on further that way.
 */
static struct ndx_range *search_dom(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, int floor)
{
	struct ndx_avl_node *n = map->by_dom.root;
	struct ndx_range *best = NULL;

	while (n) {
		struct ndx_range *r = DOM_ENTRY(n);
		int ok = floor ? !dom_before(domid, gfn, r->domid, r->gfn) :
			!dom_before(r->domid, r->gfn, domid, gfn);

		if (ok)
			best = r;
		n = ok == floor ? n->right : n->left;
	}
	return best;
}

static struct ndx_range *floor_dom(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn)
{
	return search_dom(map, domid, gfn, 1);
}

static struct ndx_range *ceil_dom(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn)
{
	return search_dom(map, domid, gfn, 0);
}

/* index of the area holding frame x, or -1 */
static int area_of(const struct ndctl_xen_pagemap *map, uint64_t x)
{
	unsigned int lo = 0, hi = map->nareas;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (map->areas[mid].smfn <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || x >= map->areas[lo - 1].emfn)
		return -1;
	return (int)lo - 1;
}

static int is_area_start(const struct ndctl_xen_pagemap *map, uint64_t x)
{
	int a = area_of(map, x);

	return a >= 0 && map->areas[a].smfn == x;
}

/* ---- linking, accounting, splitting, merging ---- */

static void link_mfn(struct ndctl_xen_pagemap *map, struct ndx_range *r)
{
	struct ndx_avl_node *n = map->by_mfn.root, *parent = NULL;
	int left = 0;

	map->heap_ranges += !r->in_slab;
	while (n) {
		parent = n;
		left = r->mfn < MFN_ENTRY(n)->mfn;
		n = left ? n->left : n->right;
	}
	ndx_avl_link(&map->by_mfn, &r->by_mfn, parent, left);
}

static void link_dom(struct ndctl_xen_pagemap *map, struct ndx_range *r)
{
	struct ndx_avl_node *n = map->by_dom.root, *parent = NULL;
	int left = 0;

	while (n) {
		parent = n;
		left = dom_before(r->domid, r->gfn, DOM_ENTRY(n)->domid, DOM_ENTRY(n)->gfn);
		n = left ? n->left : n->right;
	}
	ndx_avl_link(&map->by_dom, &r->by_dom, parent, left);
}

static void account(struct ndctl_xen_pagemap *map, const struct ndx_range *r, int add)
{
	enum ndctl_xen_pagemap_state s = range_state(r);

	if (add) {
		map->frames[s] += r->nframes;
		map->ranges[s]++;
	} else {
		map->frames[s] -= r->nframes;
		map->ranges[s]--;
	}
}

static void free_range(struct ndx_range *r)
{
	if (r && !r->in_slab)
		free(r);
}

static int reserve_spares(struct ndctl_xen_pagemap *map)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		/* zeroed: take_spare() keeps a spare's in_slab */
		if (!map->spare[i])
			map->spare[i] = calloc(1, sizeof(struct ndx_range));
		if (!map->spare[i])
			return fail(map, -ENOMEM, "out of memory");
	}
	return 0;
}

/* callers reserved two spares and split at most twice */
static struct ndx_range *take_spare(struct ndctl_xen_pagemap *map)
{
	struct ndx_range *r = map->spare[0] ? map->spare[0] : map->spare[1];
	uint8_t in_slab = r->in_slab;

	if (r == map->spare[0])
		map->spare[0] = NULL;
	else
		map->spare[1] = NULL;
	memset(r, 0, sizeof(*r));
	r->in_slab = in_slab;
	return r;
}

static void put_spare(struct ndctl_xen_pagemap *map, struct ndx_range *r)
{
	if (!map->spare[0])
		map->spare[0] = r;
	else if (!map->spare[1])
		map->spare[1] = r;
	else
		free_range(r);
}

/* a range boundary at x, if x falls inside a range */
static void split_at(struct ndctl_xen_pagemap *map, uint64_t x)
{
	struct ndx_range *r = at_mfn(map, x), *tail;

	if (!r || r->mfn == x)
		return;
	tail = take_spare(map);
	tail->mfn = x;
	tail->nframes = rend(r) - x;
	tail->domid = r->domid;
	tail->broken = r->broken;
	tail->gfn = owned(r) ? r->gfn + (x - r->mfn) : 0;
	account(map, r, 0);
	r->nframes = x - r->mfn;
	account(map, r, 1);
	account(map, tail, 1);
	ndx_avl_update(&map->by_mfn, &r->by_mfn);
	link_mfn(map, tail);
	if (owned(tail))
		link_dom(map, tail);
}

static int mergeable(const struct ndctl_xen_pagemap *map, const struct ndx_range *a,
		const struct ndx_range *b)
{
	if (rend(a) != b->mfn || a->broken != b->broken || a->domid != b->domid)
		return 0;
	if (owned(a) && b->gfn != a->gfn + a->nframes)
		return 0;
	return !is_area_start(map, b->mfn);
}

/* b follows a and is mergeable: a absorbs it */
static void merge(struct ndctl_xen_pagemap *map, struct ndx_range *a, struct ndx_range *b)
{
	account(map, a, 0);
	account(map, b, 0);
	ndx_avl_erase(&map->by_mfn, &b->by_mfn);
	map->heap_ranges -= !b->in_slab;
	if (owned(b))
		ndx_avl_erase(&map->by_dom, &b->by_dom);
	a->nframes += b->nframes;
	account(map, a, 1);
	ndx_avl_update(&map->by_mfn, &a->by_mfn);
	put_spare(map, b);
}

/* merge r into its predecessor when it should; returns what holds r's frames */
static struct ndx_range *merge_prev(struct ndctl_xen_pagemap *map, struct ndx_range *r)
{
	struct ndx_range *p = prev_range(r);

	if (p && mergeable(map, p, r)) {
		merge(map, p, r);
		return p;
	}
	return r;
}

struct change {
	int set_owner, set_broken;
	uint32_t domid;
	uint64_t gfn; /* the guest frame for the span's first frame */
	uint8_t broken;
};

/*
 * Apply c to every range in [s, e): split at both ends, change each range
 * in place, then merge along the span and with the neighbours.  The
 * caller has validated the change and reserved spares.
 */
static void change_span(struct ndctl_xen_pagemap *map, uint64_t s, uint64_t e,
		const struct change *c)
{
	struct ndx_range *r, *next, *last = NULL;

	split_at(map, s);
	split_at(map, e);
	for (r = from_mfn(map, s); r && r->mfn < e; r = next) {
		account(map, r, 0);
		if (c->set_owner) {
			if (owned(r))
				ndx_avl_erase(&map->by_dom, &r->by_dom);
			r->domid = c->domid;
			r->gfn = c->domid == NO_DOMAIN ? 0 : c->gfn + (r->mfn - s);
			if (owned(r))
				link_dom(map, r);
		}
		if (c->set_broken)
			r->broken = c->broken;
		account(map, r, 1);
		ndx_avl_update(&map->by_mfn, &r->by_mfn);
		next = next_range(r);
		last = merge_prev(map, r);
	}
	if (last) {
		next = next_range(last);
		if (next && mergeable(map, last, next))
			merge(map, last, next);
	}
}

static void fill(const struct ndx_range *r, struct ndctl_xen_pagemap_range *out)
{
	if (!out)
		return;
	out->mfn = r->mfn;
	out->nframes = r->nframes;
	out->gfn = r->gfn;
	out->domid = r->domid;
	out->state = range_state(r);
}

/* ---- object ---- */

NDX_EXPORT int ndctl_xen_pagemap_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_xen_pagemap **out)
{
	struct ndctl_xen_pagemap *map = calloc(1, sizeof(*map));

	if (!map)
		return -ENOMEM;
	map->refcount = 1;
	map->ctx = ndctl_xen_ref(ctx);
	map->by_mfn.augment = augment_mfn;
	*out = map;
	return 0;
}

NDX_EXPORT struct ndctl_xen_pagemap *ndctl_xen_pagemap_ref(struct ndctl_xen_pagemap *map)
{
	if (map)
		map->refcount++;
	return map;
}

/* back to a map with no areas: every range freed without rebalancing */
static void free_subtree(struct ndx_avl_node *n)
{
	while (n) {
		struct ndx_avl_node *right = n->right;

		free_subtree(n->left);
		free_range(MFN_ENTRY(n));
		n = right;
	}
}

static void free_spares(struct ndctl_xen_pagemap *map)
{
	free_range(map->spare[0]);
	free_range(map->spare[1]);
	map->spare[0] = map->spare[1] = NULL;
}

static void empty_map(struct ndctl_xen_pagemap *map)
{
	/* a loaded map nobody changed much: nothing to walk */
	if (map->heap_ranges)
		free_subtree(map->by_mfn.root);
	map->heap_ranges = 0;
	if (map->slab) {
		/* spares may be slab nodes too */
		free_spares(map);
		munmap(map->slab, map->slab_len);
		map->slab = NULL;
	}
	map->by_mfn.root = map->by_dom.root = NULL;
	free(map->areas);
	map->areas = NULL;
	map->nareas = map->areas_cap = 0;
	memset(map->frames, 0, sizeof(map->frames));
	memset(map->ranges, 0, sizeof(map->ranges));
	map->sparse = 0;
}

int ndx_pm_put(struct ndctl_xen_pagemap *map)
{
	return --map->refcount == 0;
}

void ndx_pm_destroy(struct ndctl_xen_pagemap *map)
{
	empty_map(map);
	free_spares(map);
	ndctl_xen_unref(map->ctx);
	free(map);
}

NDX_EXPORT const char *ndctl_xen_pagemap_get_error(struct ndctl_xen_pagemap *map)
{
	return map->msg;
}

NDX_EXPORT const char *ndctl_xen_pagemap_state_name(enum ndctl_xen_pagemap_state state)
{
	switch (state) {
	case NDCTL_XEN_PAGEMAP_FREE: return "free";
	case NDCTL_XEN_PAGEMAP_ASSIGNED: return "assigned";
	case NDCTL_XEN_PAGEMAP_BROKEN: return "broken";
	case NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN: return "assigned-broken";
	}
	return "unknown";
}

/* ---- areas ---- */

static int insert_area(struct ndctl_xen_pagemap *map, uint64_t smfn, uint64_t emfn)
{
	unsigned int i;
	struct ndx_range *r;

	if (smfn >= emfn)
		return fail(map, -EINVAL, "area %#llx-%#llx is empty", (unsigned long long)smfn,
				(unsigned long long)emfn);
	if (emfn > MFN_LIMIT)
		return fail(map, -EINVAL, "area %#llx-%#llx ends beyond frame 2^52",
				(unsigned long long)smfn, (unsigned long long)emfn);
	for (i = 0; i < map->nareas && map->areas[i].smfn < smfn; i++)
		;
	if ((i > 0 && map->areas[i - 1].emfn > smfn) ||
			(i < map->nareas && map->areas[i].smfn < emfn)) {
		const struct ndx_area *o = &map->areas[i > 0 && map->areas[i - 1].emfn > smfn ?
			i - 1 : i];

		return fail(map, -EEXIST, "area %#llx-%#llx overlaps area %#llx-%#llx",
				(unsigned long long)smfn, (unsigned long long)emfn,
				(unsigned long long)o->smfn, (unsigned long long)o->emfn);
	}
	if (map->nareas == map->areas_cap) {
		unsigned int cap = map->areas_cap ? 2 * map->areas_cap : 4;
		struct ndx_area *a = realloc(map->areas, cap * sizeof(*a));

		if (!a)
			return fail(map, -ENOMEM, "out of memory");
		map->areas = a;
		map->areas_cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail(map, -ENOMEM, "out of memory");
	memmove(&map->areas[i + 1], &map->areas[i], (map->nareas - i) * sizeof(*map->areas));
	map->areas[i].smfn = smfn;
	map->areas[i].emfn = emfn;
	map->nareas++;
	r->mfn = smfn;
	r->nframes = emfn - smfn;
	r->domid = NO_DOMAIN;
	link_mfn(map, r);
	account(map, r, 1);
	return 0;
}

NDX_EXPORT unsigned int ndctl_xen_pagemap_get_area_count(struct ndctl_xen_pagemap *map)
{
	return map->nareas;
}

NDX_EXPORT int ndctl_xen_pagemap_get_area(struct ndctl_xen_pagemap *map,
		unsigned int index, uint64_t *smfn, uint64_t *emfn)
{
	if (index >= map->nareas)
		return -ENOENT;
	*smfn = map->areas[index].smfn;
	*emfn = map->areas[index].emfn;
	return 0;
}

/* ---- checks shared by the operations ---- */

static int check_span(struct ndctl_xen_pagemap *map, uint64_t s, uint64_t n)
{
	if (!n)
		return fail(map, -EINVAL, "no frames");
	if (s >= MFN_LIMIT || n > MFN_LIMIT - s)
		return fail(map, -EINVAL, "frames %#llx + %#llx pass frame 2^52",
				(unsigned long long)s, (unsigned long long)n);
	return 0;
}

static int check_domid(struct ndctl_xen_pagemap *map, uint32_t domid)
{
	if (domid > NDCTL_XEN_PAGEMAP_DOMID_MAX)
		return fail(map, -EINVAL, "domain %u is not a guest domain id (0 to %u)",
				domid, NDCTL_XEN_PAGEMAP_DOMID_MAX);
	return 0;
}

/* domid's guest frames [gfn, gfn + n) are unused */
static int check_gfn(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t gfn, uint64_t n)
{
	struct ndx_range *r;

	if (n > UINT64_MAX - gfn)
		return fail(map, -EINVAL, "guest frames %#llx + %#llx overflow 64 bits",
				(unsigned long long)gfn, (unsigned long long)n);
	r = floor_dom(map, domid, gfn + n - 1);
	if (r && r->domid == domid && r->gfn + r->nframes > gfn)
		return fail(map, -EEXIST, "domain %u's guest frames %#llx-%#llx overlap its "
				"guest frames %#llx-%#llx (machine frame %#llx)", domid,
				(unsigned long long)gfn, (unsigned long long)(gfn + n),
				(unsigned long long)r->gfn,
				(unsigned long long)(r->gfn + r->nframes),
				(unsigned long long)r->mfn);
	return 0;
}

/* [s, e) inside one area, all free */
static int check_free(struct ndctl_xen_pagemap *map, uint64_t s, uint64_t e)
{
	int a = area_of(map, s);
	struct ndx_range *r, *bad;

	if (a < 0)
		return fail(map, -ERANGE, "frame %#llx is outside every data area",
				(unsigned long long)s);
	if (e > map->areas[a].emfn)
		return fail(map, -ERANGE, "frames %#llx-%#llx run past the end of data area "
				"%#llx-%#llx", (unsigned long long)s, (unsigned long long)e,
				(unsigned long long)map->areas[a].smfn,
				(unsigned long long)map->areas[a].emfn);
	r = at_mfn(map, s);
	if (is_free(r) && rend(r) >= e)
		return 0;
	/* canonical: a free range is followed by a range that is not free */
	bad = is_free(r) ? next_range(r) : r;
	if (owned(bad))
		return fail(map, -EBUSY, "frames %#llx-%#llx belong to domain %u",
				(unsigned long long)(bad->mfn > s ? bad->mfn : s),
				(unsigned long long)(rend(bad) < e ? rend(bad) : e), bad->domid);
	return fail(map, -EHWPOISON, "frames %#llx-%#llx are broken",
			(unsigned long long)(bad->mfn > s ? bad->mfn : s),
			(unsigned long long)(rend(bad) < e ? rend(bad) : e));
}

/* ---- operations ---- */

/* c over [s, e) once the checks said rc == 0, spares reserved first */
static int checked_change(struct ndctl_xen_pagemap *map, int rc, uint64_t s, uint64_t e,
		const struct change *c)
{
	if (!rc)
		rc = reserve_spares(map);
	if (!rc)
		change_span(map, s, e, c);
	return rc;
}

static int mem_assign(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t gfn,
		uint64_t mfn, uint64_t nframes)
{
	struct change c = { .set_owner = 1, .domid = domid, .gfn = gfn };
	int rc;

	rc = check_domid(map, domid);
	if (!rc)
		rc = check_span(map, mfn, nframes);
	if (!rc)
		rc = check_free(map, mfn, mfn + nframes);
	if (!rc)
		rc = check_gfn(map, domid, gfn, nframes);
	return checked_change(map, rc, mfn, mfn + nframes, &c);
}

/* the lowest-numbered free range of at least n frames */
static struct ndx_range *first_fit(struct ndctl_xen_pagemap *map, uint64_t n)
{
	struct ndx_avl_node *node = map->by_mfn.root;

	if (!node || MFN_ENTRY(node)->max_free < n)
		return NULL;
	while (node) {
		struct ndx_range *r = MFN_ENTRY(node);

		if (node->left && MFN_ENTRY(node->left)->max_free >= n)
			node = node->left;
		else if (is_free(r) && r->nframes >= n)
			return r;
		else
			node = node->right;
	}
	return NULL;
}

static int mem_assign_any(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t gfn,
		uint64_t nframes, uint64_t *mfn)
{
	struct ndx_range *r;
	int rc;

	rc = check_domid(map, domid);
	if (!rc && !nframes)
		rc = fail(map, -EINVAL, "no frames");
	if (!rc)
		rc = check_gfn(map, domid, gfn, nframes);
	if (rc)
		return rc;
	r = first_fit(map, nframes);
	if (!r)
		return fail(map, -ENOSPC, "no free run of %#llx frames (the longest is %#llx)",
				(unsigned long long)nframes, (unsigned long long)(map->by_mfn.root ?
					MFN_ENTRY(map->by_mfn.root)->max_free : 0));
	*mfn = r->mfn;
	return mem_assign(map, domid, gfn, r->mfn, nframes);
}

static int mem_release(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t mfn,
		uint64_t nframes)
{
	struct change c = { .set_owner = 1, .domid = NO_DOMAIN };
	uint64_t e = mfn + nframes, expect = mfn;
	struct ndx_range *r;
	int rc;

	rc = check_domid(map, domid);
	if (!rc)
		rc = check_span(map, mfn, nframes);
	if (rc)
		return rc;
	for (r = at_mfn(map, mfn); expect < e; r = next_range(r)) {
		if (!r || r->mfn > expect)
			return fail(map, -ERANGE, "frame %#llx is outside every data area",
					(unsigned long long)expect);
		if (r->domid != domid) {
			uint64_t to = rend(r) < e ? rend(r) : e;

			if (!owned(r))
				return fail(map, -EPERM, "frames %#llx-%#llx are not domain %u's: "
						"they are unowned", (unsigned long long)expect,
						(unsigned long long)to, domid);
			return fail(map, -EPERM, "frames %#llx-%#llx are not domain %u's: they "
					"belong to domain %u", (unsigned long long)expect,
					(unsigned long long)to, domid, r->domid);
		}
		expect = rend(r);
	}
	rc = reserve_spares(map);
	if (rc)
		return rc;
	change_span(map, mfn, e, &c);
	return 0;
}

static int mem_release_domain(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t *nframes)
{
	struct change c = { .set_owner = 1, .domid = NO_DOMAIN };
	struct ndx_range *r;
	uint64_t total = 0;
	int rc;

	*nframes = 0;
	rc = check_domid(map, domid);
	if (!rc && !((r = ceil_dom(map, domid, 0)) && r->domid == domid))
		rc = fail(map, -ENOENT, "domain %u owns no frames", domid);
	if (!rc)
		rc = reserve_spares(map);
	if (rc)
		return rc;
	/* whole ranges: no split, so the spares stay */
	while ((r = ceil_dom(map, domid, 0)) && r->domid == domid) {
		total += r->nframes;
		change_span(map, r->mfn, rend(r), &c);
	}
	*nframes = total;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* something of [s, e) lies in an area */
static int check_touches(struct ndctl_xen_pagemap *map, uint64_t s, uint64_t e)
{
	struct ndx_range *r = from_mfn(map, s);

	if (!r || r->mfn >= e)
		return fail(map, -ERANGE, "no frame of %#llx-%#llx lies in a data area",
				(unsigned long long)s, (unsigned long long)e);
	return 0;
}

static int mem_mark_broken(struct ndctl_xen_pagemap *map, uint64_t mfn, uint64_t nframes,
		uint32_t *domids, size_t max, size_t *ndomains)
{
	struct change c = { .set_broken = 1, .broken = 1 };
	uint64_t e = mfn + nframes;
	uint32_t *found = NULL, *grown;
	size_t nfound = 0, cap = 0, i, n;
	struct ndx_range *r;
	int rc;

	rc = check_span(map, mfn, nframes);
	if (!rc)
		rc = check_touches(map, mfn, e);
	if (rc)
		return rc;
	/* the owners, before anything changes */
	for (r = from_mfn(map, mfn); r && r->mfn < e; r = next_range(r)) {
		if (!owned(r))
			continue;
		if (nfound == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(found, cap * sizeof(*found));
			if (!grown) {
				free(found);
				return fail(map, -ENOMEM, "out of memory");
			}
			found = grown;
		}
		found[nfound++] = r->domid;
	}
	rc = reserve_spares(map);
	if (rc) {
		free(found);
		return rc;
	}
	change_span(map, mfn, e, &c);
	n = 0;
	if (nfound) {
		qsort(found, nfound, sizeof(*found), cmp_u32);
		for (i = 0; i < nfound; i++) {
			if (i && found[i] == found[i - 1])
				continue;
			if (n < max && domids)
				domids[n] = found[i];
			n++;
		}
	}
	free(found);
	*ndomains = n;
	return 0;
}

static int mem_clear_broken(struct ndctl_xen_pagemap *map, uint64_t mfn, uint64_t nframes)
{
	struct change c = { .set_broken = 1, .broken = 0 };
	int rc;

	rc = check_span(map, mfn, nframes);
	if (!rc)
		rc = check_touches(map, mfn, mfn + nframes);
	return checked_change(map, rc, mfn, mfn + nframes, &c);
}

int ndx_pm_apply(struct ndctl_xen_pagemap *map, struct ndx_pm_op *op)
{
	int rc;

	switch (op->type) {
	case NDX_OP_ADD_AREA:
		/* the ends as add_area got them (the sum wraps back to emfn) */
		return insert_area(map, op->mfn, op->mfn + op->nframes);
	case NDX_OP_ASSIGN:
		return mem_assign(map, op->domid, op->gfn, op->mfn, op->nframes);
	case NDX_OP_ASSIGN_ANY:
		rc = mem_assign_any(map, op->domid, op->gfn, op->nframes, &op->mfn);
		if (!rc)
			op->type = NDX_OP_ASSIGN;
		return rc;
	case NDX_OP_RELEASE:
		return mem_release(map, op->domid, op->mfn, op->nframes);
	case NDX_OP_RELEASE_DOMAIN:
		return mem_release_domain(map, op->domid, &op->released);
	case NDX_OP_MARK_BROKEN:
		return mem_mark_broken(map, op->mfn, op->nframes, op->domids, op->max,
				&op->ndomains);
	case NDX_OP_CLEAR_BROKEN:
		return mem_clear_broken(map, op->mfn, op->nframes);
	}
	return fail(map, -EINVAL, "unknown operation %d", (int)op->type);
}

NDX_EXPORT int ndctl_xen_layout_badblock_frames(struct ndctl_xen_layout *l,
		uint64_t offset, uint64_t len, uint64_t *smfn, uint64_t *emfn)
{
	uint64_t data_off = ndctl_xen_layout_get_data_offset(l);
	uint64_t data_end = data_off + ndctl_xen_layout_get_data_size(l);
	uint64_t base = ndctl_xen_layout_get_phys_start(l), end;

	if (!len || len > UINT64_MAX - offset)
		return -EINVAL;
	end = offset + len;
	if (end <= data_off || offset >= data_end)
		return -ENOENT;
	if (offset < data_off)
		offset = data_off;
	if (end > data_end)
		end = data_end;
	*smfn = (base + offset) >> 12;
	*emfn = ((base + end - 1) >> 12) + 1;
	return 0;
}

/* ---- lookups and iteration ---- */

NDX_EXPORT int ndctl_xen_pagemap_find(struct ndctl_xen_pagemap *map, uint64_t mfn,
		struct ndctl_xen_pagemap_range *range)
{
	struct ndx_range *r = at_mfn(map, mfn);

	if (map->sparse)
		return -EOPNOTSUPP;

	if (!r)
		return -ENOENT;
	fill(r, range);
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_find_gfn(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, struct ndctl_xen_pagemap_range *range)
{
	struct ndx_range *r = floor_dom(map, domid, gfn);

	if (map->sparse)
		return -EOPNOTSUPP;

	if (!r || r->domid != domid || gfn - r->gfn >= r->nframes)
		return -ENOENT;
	fill(r, range);
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_next(struct ndctl_xen_pagemap *map, unsigned int state_mask,
		uint64_t *cursor, struct ndctl_xen_pagemap_range *range)
{
	struct ndx_range *r = from_mfn(map, *cursor);

	if (map->sparse)
		return -EOPNOTSUPP;

	while (r && !(state_mask & NDCTL_XEN_PAGEMAP_MASK(range_state(r))))
		r = next_range(r);
	if (!r)
		return -ENOENT;
	fill(r, range);
	*cursor = rend(r);
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_domain_next(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t *cursor, struct ndctl_xen_pagemap_range *range)
{
	struct ndx_range *r = floor_dom(map, domid, *cursor);
	struct ndx_avl_node *n;

	if (map->sparse)
		return -EOPNOTSUPP;

	if (!r || r->domid != domid || r->gfn + r->nframes <= *cursor) {
		if (r) {
			n = ndx_avl_next(&r->by_dom);
		} else {
			n = ndx_avl_first(&map->by_dom);
		}
		r = n ? DOM_ENTRY(n) : NULL;
	}
	if (!r || r->domid != domid)
		return -ENOENT;
	fill(r, range);
	*cursor = r->gfn + r->nframes;
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_next_domain(struct ndctl_xen_pagemap *map, uint32_t from,
		uint32_t *domid)
{
	struct ndx_range *r = ceil_dom(map, from, 0);

	if (map->sparse)
		return -EOPNOTSUPP;

	if (!r)
		return -ENOENT;
	*domid = r->domid;
	return 0;
}

NDX_EXPORT uint64_t ndctl_xen_pagemap_get_frames(struct ndctl_xen_pagemap *map,
		enum ndctl_xen_pagemap_state state)
{
	return (unsigned int)state < NDCTL_XEN_PAGEMAP_NR_STATES ? map->frames[state] : 0;
}

NDX_EXPORT uint64_t ndctl_xen_pagemap_get_ranges(struct ndctl_xen_pagemap *map,
		enum ndctl_xen_pagemap_state state)
{
	return (unsigned int)state < NDCTL_XEN_PAGEMAP_NR_STATES ? map->ranges[state] : 0;
}

/* ---- bulk loading and walks, for the store ---- */

static int dom_cmp(const void *a, const void *b)
{
	const struct ndx_range *x = DOM_ENTRY(*(struct ndx_avl_node *const *)a);
	const struct ndx_range *y = DOM_ENTRY(*(struct ndx_avl_node *const *)b);

	if (dom_before(x->domid, x->gfn, y->domid, y->gfn))
		return -1;
	return dom_before(y->domid, y->gfn, x->domid, x->gfn);
}

/* what is wrong with a range record starting in area a, or NULL */
static const char *rec_invalid(const struct ndctl_xen_pagemap *map, unsigned int a,
		const struct ndx_pm_rec *q)
{
	if (!q->nframes || q->nframes > map->areas[a].emfn - q->mfn)
		return "is empty or runs past the end of its area";
	if (q->domid == NO_DOMAIN ? q->gfn != 0 : q->domid > NDCTL_XEN_PAGEMAP_DOMID_MAX)
		return "has an invalid domain or a guest frame without one";
	if (q->domid != NO_DOMAIN && q->nframes > UINT64_MAX - q->gfn)
		return "has guest frames past 2^64";
	return NULL;
}

#define WHY(...) do { snprintf(why, len, __VA_ARGS__); rc = -EBADMSG; goto out; } while (0)

int ndx_pm_build(struct ndctl_xen_pagemap *map, const uint64_t *areas, uint64_t nareas,
		ndx_pm_get_rec get, void *arg, uint64_t nranges, const uint64_t *by_dom,
		uint64_t nowned, char *why, size_t len)
{
	struct ndx_avl_node **nodes = NULL, **owners = NULL;
	struct ndx_range *r, *prev = NULL;
	uint64_t i, expect = 0, nown = 0;
	unsigned int a = 0;
	int rc = -ENOMEM;

	if (map->nareas || map->by_mfn.root) {
		snprintf(why, len, "the map is not empty");
		return -EBUSY;
	}
	if (nareas > UINT32_MAX / 2 || nranges > SIZE_MAX / sizeof(*nodes)) {
		snprintf(why, len, "%llu areas, %llu ranges: too many",
				(unsigned long long)nareas, (unsigned long long)nranges);
		return -EBADMSG;
	}
	map->areas = calloc(nareas ? nareas : 1, sizeof(*map->areas));
	nodes = calloc(nranges ? nranges : 1, sizeof(*nodes));
	owners = calloc(nranges ? nranges : 1, sizeof(*owners));
	/* populated at once: one batch of page allocations, not a fault per page */
	map->slab_len = (nranges ? nranges : 1) * sizeof(struct ndx_range);
	map->slab = mmap(NULL, map->slab_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (map->slab == MAP_FAILED)
		map->slab = NULL;
	if (!map->areas || !nodes || !owners || !map->slab) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	map->areas_cap = (unsigned int)(nareas ? nareas : 1);
	for (i = 0; i < nareas; i++) {
		uint64_t s = areas[2 * i], e = areas[2 * i + 1];

		if (s >= e || e > MFN_LIMIT || (i && s < map->areas[i - 1].emfn))
			WHY("area %llu (%#llx-%#llx) is empty, too high, or not after the one "
					"before", (unsigned long long)i, (unsigned long long)s,
					(unsigned long long)e);
		map->areas[i].smfn = s;
		map->areas[i].emfn = e;
		map->nareas++;
	}
	if (nareas)
		expect = map->areas[0].smfn;
	for (i = 0; i < nranges; i++) {
		struct ndx_pm_rec rec, *q = &rec;
		const char *bad = NULL;

		rc = get(arg, i, &rec, why, len);
		if (rc)
			goto out;
		rc = -ENOMEM;

		if (a >= nareas)
			bad = "lies past the last area";
		else if (q->mfn != expect)
			bad = "leaves a gap or overlaps the range before";
		else
			bad = rec_invalid(map, a, q);
		if (bad)
			WHY("range %llu (frame %#llx) %s", (unsigned long long)i,
					(unsigned long long)q->mfn, bad);
		r = &map->slab[i];
		r->in_slab = 1;
		r->mfn = q->mfn;
		r->nframes = q->nframes;
		r->gfn = q->gfn;
		r->domid = q->domid;
		r->broken = !!q->broken;
		nodes[i] = &r->by_mfn;
		if (prev && mergeable(map, prev, r))
			WHY("range %llu (frame %#llx) should have merged with the one before",
					(unsigned long long)i, (unsigned long long)r->mfn);
		account(map, r, 1);
		if (owned(r))
			owners[nown++] = &r->by_dom;
		prev = r;
		expect = q->mfn + q->nframes;
		if (expect == map->areas[a].emfn && ++a < nareas)
			expect = map->areas[a].smfn;
	}
	if (a < nareas)
		WHY("the ranges do not cover area %u (%#llx-%#llx)", a,
				(unsigned long long)map->areas[a].smfn,
				(unsigned long long)map->areas[a].emfn);
	if (by_dom) {
		if (nowned != nown)
			WHY("the domain index has %llu entries for %llu owned ranges",
					(unsigned long long)nowned, (unsigned long long)nown);
		for (i = 0; i < nowned; i++) {
			uint64_t at = by_dom[i];

			if (at >= nranges || !owned(MFN_ENTRY(nodes[at])))
				WHY("domain index entry %llu (range %llu) is not an owned range",
						(unsigned long long)i, (unsigned long long)at);
			owners[i] = &MFN_ENTRY(nodes[at])->by_dom;
		}
	} else {
		qsort(owners, nown, sizeof(*owners), dom_cmp);
	}
	/* in key order, no two alike, no guest frame shared: a bijection */
	for (i = 1; i < nown; i++) {
		const struct ndx_range *p = DOM_ENTRY(owners[i - 1]), *q = DOM_ENTRY(owners[i]);

		if (!dom_before(p->domid, p->gfn, q->domid, q->gfn))
			WHY("domain index out of order at domain %u guest frame %#llx",
					q->domid, (unsigned long long)q->gfn);
		if (p->domid == q->domid && p->gfn + p->nframes > q->gfn)
			WHY("range at frame %#llx overlaps the domain's guest frames",
					(unsigned long long)q->mfn);
	}
	rc = 0;
out:
	if (rc) {
		/* nodes not yet in a tree: all in the slab */
		if (map->slab)
			munmap(map->slab, map->slab_len);
		map->slab = NULL;
		free(map->areas);
		map->areas = NULL;
		map->nareas = map->areas_cap = 0;
		memset(map->frames, 0, sizeof(map->frames));
		memset(map->ranges, 0, sizeof(map->ranges));
	} else {
		ndx_avl_build(&map->by_mfn, nodes, nranges);
		ndx_avl_build(&map->by_dom, owners, nown);
	}
	free(nodes);
	free(owners);
	return rc;
}

void ndx_pm_empty(struct ndctl_xen_pagemap *map)
{
	empty_map(map);
}

uint64_t ndx_pm_nranges(struct ndctl_xen_pagemap *map)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < NDCTL_XEN_PAGEMAP_NR_STATES; i++)
		n += map->ranges[i];
	return n;
}

uint64_t ndx_pm_nowned(struct ndctl_xen_pagemap *map)
{
	return map->ranges[NDCTL_XEN_PAGEMAP_ASSIGNED] +
		map->ranges[NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN];
}

/* every augment again, bottom up: after ndx_pm_walk borrowed max_free */
static void restore_augment(struct ndx_avl_node *n)
{
	if (!n)
		return;
	restore_augment(n->left);
	restore_augment(n->right);
	augment_mfn(n);
}

int ndx_pm_walk(struct ndctl_xen_pagemap *map,
		int (*range_fn)(const struct ndx_pm_rec *r, void *arg),
		int (*dom_fn)(uint64_t index, void *arg), void *arg)
{
	struct ndx_avl_node *n;
	uint64_t index = 0;
	int rc = 0;

	/*
	 * The domain index names ranges by their place in frame order.
	 * Rather than grow every range by a field used only here, the walk
	 * numbers the ranges in max_free, and puts the augment back after.
	 */
	for (n = ndx_avl_first(&map->by_mfn); n && !rc; n = ndx_avl_next(n)) {
		struct ndx_range *r = MFN_ENTRY(n);
		struct ndx_pm_rec q = { r->mfn, r->nframes, r->gfn, r->domid, r->broken };

		r->max_free = index++;
		rc = range_fn(&q, arg);
	}
	for (n = ndx_avl_first(&map->by_dom); n && !rc; n = ndx_avl_next(n))
		rc = dom_fn(DOM_ENTRY(n)->max_free, arg);
	restore_augment(map->by_mfn.root);
	return rc;
}

void ndx_pm_clear_error(struct ndctl_xen_pagemap *map)
{
	map->msg[0] = '\0';
}

struct ndctl_xen_ctx *ndx_pm_ctx(struct ndctl_xen_pagemap *map)
{
	return map->ctx;
}

struct ndx_store *ndx_pm_store(struct ndctl_xen_pagemap *map)
{
	return map->store;
}

void ndx_pm_set_store(struct ndctl_xen_pagemap *map, struct ndx_store *store)
{
	map->store = store;
}
/* ---- parts of a map, for sparse opens (pagemap-sparse.c) ---- */

int ndx_pm_sparse_begin(struct ndctl_xen_pagemap *map, const uint64_t *areas,
		uint64_t nareas, const uint64_t *frames, const uint64_t *ranges, char *why,
		size_t len)
{
	uint64_t i;

	if (map->nareas || map->by_mfn.root) {
		snprintf(why, len, "the map is not empty");
		return -EBUSY;
	}
	if (nareas > UINT32_MAX / 2) {
		snprintf(why, len, "%llu areas: too many", (unsigned long long)nareas);
		return -EBADMSG;
	}
	map->areas = calloc(nareas ? nareas : 1, sizeof(*map->areas));
	if (!map->areas) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	map->areas_cap = (unsigned int)(nareas ? nareas : 1);
	for (i = 0; i < nareas; i++) {
		uint64_t s = areas[2 * i], e = areas[2 * i + 1];

		if (s >= e || e > MFN_LIMIT || (i && s < map->areas[i - 1].emfn)) {
			snprintf(why, len, "area %llu (%#llx-%#llx) is empty, too high, or not "
					"after the one before", (unsigned long long)i,
					(unsigned long long)s, (unsigned long long)e);
			empty_map(map);
			return -EBADMSG;
		}
		map->areas[i].smfn = s;
		map->areas[i].emfn = e;
		map->nareas++;
	}
	memcpy(map->frames, frames, sizeof(map->frames));
	memcpy(map->ranges, ranges, sizeof(map->ranges));
	map->sparse = 1;
	return 0;
}

int ndx_pm_insert(struct ndctl_xen_pagemap *map, const struct ndx_pm_rec *q, char *why,
		size_t len)
{
	struct ndx_range *r, *prev, *next;
	int a = area_of(map, q->mfn);
	const char *bad = NULL;

	prev = floor_mfn(map, q->mfn);
	next = prev ? next_range(prev) : from_mfn(map, 0);
	if (a < 0)
		bad = "lies outside every area";
	else
		bad = rec_invalid(map, (unsigned int)a, q);
	if (!bad && ((prev && rend(prev) > q->mfn) || (next && next->mfn < q->mfn + q->nframes)))
		bad = "overlaps another range";
	if (bad) {
		snprintf(why, len, "range at frame %#llx %s", (unsigned long long)q->mfn, bad);
		return -EBADMSG;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	r->mfn = q->mfn;
	r->nframes = q->nframes;
	r->gfn = q->gfn;
	r->domid = q->domid;
	r->broken = !!q->broken;
	if ((prev && mergeable(map, prev, r)) || (next && mergeable(map, r, next))) {
		free(r);
		snprintf(why, len, "range at frame %#llx should have merged with a neighbour",
				(unsigned long long)q->mfn);
		return -EBADMSG;
	}
	/* counted in the totals already: the part only gains its node */
	link_mfn(map, r);
	if (owned(r))
		link_dom(map, r);
	return 0;
}

int ndx_pm_first_fit(struct ndctl_xen_pagemap *map, uint64_t n, uint64_t *mfn)
{
	struct ndx_range *r = first_fit(map, n);

	if (!r)
		return -ENOSPC;
	*mfn = r->mfn;
	return 0;
}

int ndx_pm_domain_spans(struct ndctl_xen_pagemap *map, uint32_t domid, uint64_t **spans,
		size_t *n)
{
	struct ndx_range *r = ceil_dom(map, domid, 0);
	struct ndx_avl_node *node;
	size_t cap = 0;
	uint64_t *grown;

	*spans = NULL;
	*n = 0;
	for (; r && r->domid == domid; r = node ? DOM_ENTRY(node) : NULL) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(*spans, cap * 2 * sizeof(**spans));
			if (!grown) {
				free(*spans);
				*spans = NULL;
				return -ENOMEM;
			}
			*spans = grown;
		}
		(*spans)[2 * *n] = r->mfn;
		(*spans)[2 * *n + 1] = rend(r);
		(*n)++;
		node = ndx_avl_next(&r->by_dom);
	}
	return 0;
}

uint64_t ndx_pm_longest_free(struct ndctl_xen_pagemap *map)
{
	return map->by_mfn.root ? MFN_ENTRY(map->by_mfn.root)->max_free : 0;
}

/* ---- invariants, for the tests ---- */

static int check_augment(const struct ndx_avl_node *n, uint64_t *max)
{
	const struct ndx_range *r;
	uint64_t l = 0, rr = 0, m;

	if (!n) {
		*max = 0;
		return 0;
	}
	r = MFN_ENTRY(n);
	if (check_augment(n->left, &l) || check_augment(n->right, &rr))
		return -1;
	m = is_free(r) ? r->nframes : 0;
	m = l > m ? l : m;
	m = rr > m ? rr : m;
	*max = m;
	return r->max_free == m ? 0 : -1;
}

#define BAD(...) do { snprintf(why, len, __VA_ARGS__); return -1; } while (0)

int ndx_pagemap_check(struct ndctl_xen_pagemap *map, char *why, size_t len)
{
	uint64_t frames[NDCTL_XEN_PAGEMAP_NR_STATES] = { 0 };
	uint64_t ranges[NDCTL_XEN_PAGEMAP_NR_STATES] = { 0 };
	uint64_t nowned = 0, ndom = 0, expect = 0, max;
	const struct ndx_range *prev = NULL, *r;
	struct ndx_avl_node *n;
	unsigned int a = 0, i;

	if (ndx_avl_check(&map->by_mfn) || ndx_avl_check(&map->by_dom))
		BAD("a tree is unbalanced or mislinked");
	if (check_augment(map->by_mfn.root, &max))
		BAD("a max_free augment is stale");
	for (i = 1; i < map->nareas; i++)
		if (map->areas[i].smfn < map->areas[i - 1].emfn)
			BAD("areas %u and %u overlap or are out of order", i - 1, i);
	if (map->nareas)
		expect = map->areas[0].smfn;
	for (n = ndx_avl_first(&map->by_mfn); n; n = ndx_avl_next(n)) {
		r = MFN_ENTRY(n);
		if (a >= map->nareas)
			BAD("range at %#llx lies past the last area", (unsigned long long)r->mfn);
		if (r->mfn != expect)
			BAD("range at %#llx: expected one at %#llx", (unsigned long long)r->mfn,
					(unsigned long long)expect);
		if (!r->nframes || rend(r) > map->areas[a].emfn)
			BAD("range at %#llx is empty or crosses its area's end",
					(unsigned long long)r->mfn);
		if (!owned(r) && r->gfn)
			BAD("unowned range at %#llx has gfn %#llx", (unsigned long long)r->mfn,
					(unsigned long long)r->gfn);
		if (prev && mergeable(map, prev, r))
			BAD("ranges at %#llx and %#llx should have merged",
					(unsigned long long)prev->mfn, (unsigned long long)r->mfn);
		frames[range_state(r)] += r->nframes;
		ranges[range_state(r)]++;
		nowned += owned(r);
		prev = r;
		expect = rend(r);
		if (expect == map->areas[a].emfn && ++a < map->nareas)
			expect = map->areas[a].smfn;
	}
	if (a < map->nareas)
		BAD("area %u is not covered", a);
	prev = NULL;
	for (n = ndx_avl_first(&map->by_dom); n; n = ndx_avl_next(n)) {
		r = DOM_ENTRY(n);
		if (!owned(r))
			BAD("unowned range at %#llx in the domain index", (unsigned long long)r->mfn);
		if (prev && prev->domid == r->domid && prev->gfn + prev->nframes > r->gfn)
			BAD("domain %u's guest frames overlap at %#llx", r->domid,
					(unsigned long long)r->gfn);
		if (prev && !dom_before(prev->domid, prev->gfn, r->domid, r->gfn))
			BAD("domain index out of order at domain %u gfn %#llx", r->domid,
					(unsigned long long)r->gfn);
		if (at_mfn(map, r->mfn) != r)
			BAD("domain index entry at %#llx is not in the frame tree",
					(unsigned long long)r->mfn);
		ndom++;
		prev = r;
	}
	if (ndom != nowned)
		BAD("domain index has %llu ranges, %llu are owned", (unsigned long long)ndom,
				(unsigned long long)nowned);
	for (i = 0; i < NDCTL_XEN_PAGEMAP_NR_STATES; i++)
		if (frames[i] != map->frames[i] || ranges[i] != map->ranges[i])
			BAD("totals for %s are %llu frames in %llu ranges, counted %llu in %llu",
					ndctl_xen_pagemap_state_name(i),
					(unsigned long long)map->frames[i],
					(unsigned long long)map->ranges[i],
					(unsigned long long)frames[i], (unsigned long long)ranges[i]);
	return 0;
}

size_t ndx_pagemap_node_size(void)
{
	return sizeof(struct ndx_range);
}
