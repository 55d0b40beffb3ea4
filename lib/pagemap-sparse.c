// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sparse opens of format 3.0 checkpoints (the format itself:
 * pagemap-format.c).
 *
 * A sparse view keeps the checkpoint mapped and a part of the map in the
 * trees (pagemap.c's ndx_pm_sparse_begin/insert): before each change (a
 * log record replayed, or the caller's) it inserts every checkpoint range
 * the change can touch or merge with and is not in yet: the ranges of its
 * span and one on each side; for a guest frame check, the domain's range
 * at or below the key that is not in yet; for release_domain, all the
 * domain's; for first fit, the lowest free range long enough that is not
 * in yet, if it is below the part's own.  A range that is in has its
 * current state in the trees, one that is not is as the checkpoint says
 * (only changes change ranges, and they touch ranges that are in), so
 * the change then runs in pagemap.c exactly as on the whole map, at a
 * cost of O(log n) reads of the mapped file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pagemap-file.h"
#include "private.h"

#define NONE UINT64_MAX

/* ---- the sparse view ---- */

struct ndx_sparse {
	const char *path;
	uint8_t *base;          /* the checkpoint, mapped read-only */
	size_t size;
	struct ndx_pm_header h;
	uint64_t ff_at[PM_FF_LEVELS], ff_len[PM_FF_LEVELS];
	unsigned int nlevels;
	uint8_t *checked;       /* a bit per body chunk */
	uint8_t *in;            /* a bit per checkpoint range: in the trees */
	char why[200];
};

static int bit(const uint8_t *set, uint64_t i)
{
	return set[i / 8] >> (i % 8) & 1;
}

static void set_bit(uint8_t *set, uint64_t i)
{
	set[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* len bytes of the body at off, their chunks checked */
static const uint8_t *body(struct ndx_sparse *sp, uint64_t off, uint64_t len)
{
	uint64_t c;

	for (c = off / PM_CHUNK; c <= (off + len - 1) / PM_CHUNK; c++) {
		if (bit(sp->checked, c))
			continue;
		if (ndx_pm_v3_check_chunk(sp->base, &sp->h, c, sp->why, sizeof(sp->why)))
			return NULL;
		set_bit(sp->checked, c);
	}
	return sp->base + sp->h.body_at + off;
}

static int get_range(struct ndx_sparse *sp, uint64_t i, struct ndx_pm_rec *rec)
{
	const uint8_t *p = body(sp, i * PM_RANGE, PM_RANGE);

	if (!p)
		return -EBADMSG;
	if (ndx_pm_decode_range(p, rec)) {
		snprintf(sp->why, sizeof(sp->why), "range %llu (frame %#llx) has unknown flags",
				(unsigned long long)i, (unsigned long long)rec->mfn);
		return -EBADMSG;
	}
	return 0;
}

/* domain index entry j: the place of an owned range, and that range */
static int get_owned(struct ndx_sparse *sp, uint64_t j, uint64_t *i, struct ndx_pm_rec *rec)
{
	const uint8_t *p = body(sp, sp->h.nranges * PM_RANGE + j * PM_DOM, PM_DOM);
	int rc;

	if (!p)
		return -EBADMSG;
	*i = get64(p);
	if (*i >= sp->h.nranges) {
		snprintf(sp->why, sizeof(sp->why), "domain index entry %llu names range %llu "
				"of %llu", (unsigned long long)j, (unsigned long long)*i,
				(unsigned long long)sp->h.nranges);
		return -EBADMSG;
	}
	rc = get_range(sp, *i, rec);
	if (!rc && rec->domid == NDCTL_XEN_PAGEMAP_NO_DOMAIN) {
		snprintf(sp->why, sizeof(sp->why), "domain index entry %llu names an unowned "
				"range", (unsigned long long)j);
		rc = -EBADMSG;
	}
	return rc;
}

/* the place of the last range starting at or below x, or NONE */
static int floor_range(struct ndx_sparse *sp, uint64_t x, uint64_t *at)
{
	uint64_t lo = 0, hi = sp->h.nranges;
	struct ndx_pm_rec rec;
	int rc;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		rc = get_range(sp, mid, &rec);
		if (rc)
			return rc;
		if (rec.mfn <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo ? lo - 1 : NONE;
	return 0;
}

/* the number of domain index entries whose key is below (domid, gfn) (or at it: incl) */
static int dom_rank(struct ndx_sparse *sp, uint32_t domid, uint64_t gfn, int incl,
		uint64_t *rank)
{
	uint64_t lo = 0, hi = sp->h.nowned, i;
	struct ndx_pm_rec rec;
	int rc;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int below;

		rc = get_owned(sp, mid, &i, &rec);
		if (rc)
			return rc;
		below = rec.domid < domid || (rec.domid == domid &&
				(rec.gfn < gfn || (incl && rec.gfn == gfn)));
		if (below)
			lo = mid + 1;
		else
			hi = mid;
	}
	*rank = lo;
	return 0;
}

static int insert(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp, uint64_t i)
{
	struct ndx_pm_rec rec;
	int rc;

	if (bit(sp->in, i))
		return 0;
	rc = get_range(sp, i, &rec);
	if (!rc)
		rc = ndx_pm_insert(map, &rec, sp->why, sizeof(sp->why));
	if (!rc)
		set_bit(sp->in, i);
	return rc;
}

static uint64_t area_bound(const struct ndx_sparse *sp, uint64_t k, int end)
{
	return get64(sp->base + sp->h.areas_at + k * PM_AREA + (end ? 8 : 0));
}

/*
 * Checkpoint range i (its record rec) and the next meet: the next starts
 * where it ends, or it ends its area and the next starts the following
 * one; the first starts the first area and the last ends the last.  The
 * trees trust that the ranges tile the areas (a frame inside an area is
 * in a range); a whole load checks it for every range, a sparse one for
 * every pair of ranges it loads, so a checkpoint that breaks it is
 * damaged wherever a change looks.
 */
static int joined(struct ndx_sparse *sp, uint64_t i, const struct ndx_pm_rec *rec)
{
	uint64_t end = rec->mfn + rec->nframes, na = sp->h.nareas, lo = 0, hi = na;
	struct ndx_pm_rec next;
	int rc;

	if (i == 0 && (!na || rec->mfn != area_bound(sp, 0, 0)))
		goto bad;
	if (i + 1 == sp->h.nranges) {
		if (na && end == area_bound(sp, na - 1, 1))
			return 0;
		goto bad;
	}
	rc = get_range(sp, i + 1, &next);
	if (rc || next.mfn == end)
		return rc;
	/* the area that ends where range i does, if any */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (area_bound(sp, mid, 1) < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo + 1 < na && area_bound(sp, lo, 1) == end && next.mfn == area_bound(sp, lo + 1, 0))
		return 0;
bad:
	snprintf(sp->why, sizeof(sp->why), "range %llu (frame %#llx) leaves a gap or overlaps "
			"a neighbour", (unsigned long long)i, (unsigned long long)rec->mfn);
	return -EBADMSG;
}

/* every checkpoint range of [s, e), and one on each side */
static int need_span(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp, uint64_t s,
		uint64_t e)
{
	struct ndx_pm_rec rec;
	uint64_t first, last, i;
	int rc;

	if (e <= s)
		return 0;
	rc = floor_range(sp, s, &first);
	if (!rc)
		rc = floor_range(sp, e - 1, &last);
	if (rc)
		return rc;
	first = first == NONE || first == 0 ? 0 : first - 1;
	last = last == NONE ? 0 : last + 1;
	for (i = first; i <= last && i < sp->h.nranges; i++) {
		rc = get_range(sp, i, &rec);
		if (!rc)
			rc = joined(sp, i, &rec);
		if (!rc)
			rc = insert(map, sp, i);
		if (rc)
			return rc;
	}
	return 0;
}

static int need_range(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp,
		const struct ndx_pm_rec *rec)
{
	return need_span(map, sp, rec->mfn, rec->mfn + rec->nframes);
}

/* domid's range with the highest key at or below gfn that is not in yet */
static int need_dom_floor(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp,
		uint32_t domid, uint64_t gfn)
{
	struct ndx_pm_rec rec;
	uint64_t j, i;
	int rc;

	rc = dom_rank(sp, domid, gfn, 1, &j);
	while (!rc && j-- > 0) {
		rc = get_owned(sp, j, &i, &rec);
		if (rc || rec.domid != domid)
			break;
		if (!bit(sp->in, i))
			return need_range(map, sp, &rec);
	}
	return rc;
}

static int need_domain(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp, uint32_t domid)
{
	uint64_t j, i, *spans = NULL;
	struct ndx_pm_rec rec;
	size_t n = 0, k;
	int rc;

	rc = dom_rank(sp, domid, 0, 0, &j);
	for (; !rc && j < sp->h.nowned; j++) {
		rc = get_owned(sp, j, &i, &rec);
		if (rc || rec.domid != domid)
			break;
		if (!bit(sp->in, i))
			rc = need_range(map, sp, &rec);
	}
	/* and the neighbours of every range of it in the trees, loaded or changed */
	if (!rc)
		rc = ndx_pm_domain_spans(map, domid, &spans, &n);
	if (rc == -ENOMEM)
		snprintf(sp->why, sizeof(sp->why), "out of memory");
	for (k = 0; !rc && k < n; k++)
		rc = need_span(map, sp, spans[2 * k], spans[2 * k + 1]);
	free(spans);
	return rc;
}

/* entry j of first-fit level k (k < 0: range j itself, 0 unless free) */
static int ff_value(struct ndx_sparse *sp, int k, uint64_t j, uint64_t *v)
{
	struct ndx_pm_rec rec;
	const uint8_t *p;
	int rc;

	if (k < 0) {
		rc = get_range(sp, j, &rec);
		*v = !rc && rec.domid == NDCTL_XEN_PAGEMAP_NO_DOMAIN && !rec.broken ?
			rec.nframes : 0;
		return rc;
	}
	p = body(sp, sp->ff_at[k] + j * 8, 8);
	if (!p)
		return -EBADMSG;
	*v = get64(p);
	return 0;
}

/* the first entry of level k at or after from that is n or more: *found, or its length */
static int ff_search(struct ndx_sparse *sp, int k, uint64_t from, uint64_t n, uint64_t *found)
{
	uint64_t len = k < 0 ? sp->h.nranges : sp->ff_len[k], end, j, v, up;
	int rc;

	*found = len;
	while (from < len) {
		end = (from / PM_FANOUT + 1) * PM_FANOUT;
		if (end > len)
			end = len;
		for (j = from; j < end; j++) {
			rc = ff_value(sp, k, j, &v);
			if (rc)
				return rc;
			if (v >= n) {
				*found = j;
				return 0;
			}
		}
		if (end == len || k + 1 >= (int)sp->nlevels)
			return 0;
		rc = ff_search(sp, k + 1, end / PM_FANOUT, n, &up);
		if (rc || up >= sp->ff_len[k + 1])
			return rc;
		from = up * PM_FANOUT;
	}
	return 0;
}

/* first fit: the checkpoint's lowest fitting free range not in yet, if below the part's */
static int need_first_fit(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp, uint64_t n)
{
	struct ndx_pm_rec rec;
	uint64_t from = 0, i, mine;
	int rc, have = ndx_pm_first_fit(map, n, &mine) == 0;

	for (;;) {
		rc = ff_search(sp, -1, from, n, &i);
		if (rc)
			return rc;
		if (i >= sp->h.nranges) {
			if (!have)
				return 0;
			goto found;
		}
		if (!bit(sp->in, i))
			break;
		from = i + 1;
	}
	rc = get_range(sp, i, &rec);
	if (rc)
		return rc;
	if (!have || rec.mfn < mine)
		mine = rec.mfn;
found:
	/* the span it takes and its neighbours, wherever it was found */
	return need_span(map, sp, mine, mine + n);
}

/* the longest free range of the whole map: for the message of a first fit that failed */
static int longest_free(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp, uint64_t *max)
{
	struct ndx_pm_rec rec;
	uint64_t i;
	int rc;

	*max = ndx_pm_longest_free(map);
	for (i = 0; i < sp->h.nranges; i++) {
		if (bit(sp->in, i))
			continue;
		rc = get_range(sp, i, &rec);
		if (rc)
			return rc;
		if (rec.domid == NDCTL_XEN_PAGEMAP_NO_DOMAIN && !rec.broken && rec.nframes > *max)
			*max = rec.nframes;
	}
	return 0;
}

/* what op needs in the trees; -EBADMSG with sp->why on a damaged checkpoint */
static int prepare(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp,
		const struct ndx_pm_op *op)
{
	uint64_t e = op->mfn + op->nframes;
	int spans = op->nframes && e > op->mfn;
	int gfns = op->nframes && op->gfn + op->nframes > op->gfn;
	int rc = 0;

	switch (op->type) {
	case NDX_OP_ADD_AREA:
		break;
	case NDX_OP_ASSIGN:
		if (gfns)
			rc = need_dom_floor(map, sp, op->domid, op->gfn + op->nframes - 1);
		if (!rc && spans)
			rc = need_span(map, sp, op->mfn, e);
		break;
	case NDX_OP_ASSIGN_ANY:
		if (gfns)
			rc = need_dom_floor(map, sp, op->domid, op->gfn + op->nframes - 1);
		if (!rc && op->nframes)
			rc = need_first_fit(map, sp, op->nframes);
		break;
	case NDX_OP_RELEASE_DOMAIN:
		rc = need_domain(map, sp, op->domid);
		break;
	case NDX_OP_RELEASE:
	case NDX_OP_MARK_BROKEN:
	case NDX_OP_CLEAR_BROKEN:
		if (spans)
			rc = need_span(map, sp, op->mfn, e);
		break;
	}
	return rc;
}

int ndx_sparse_apply(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp,
		struct ndx_pm_op *op)
{
	uint64_t max;
	int rc = prepare(map, sp, op);

	if (rc == -EBADMSG)
		return ndx_pm_fail(map, rc, "%s: damaged: %s", sp->path, sp->why);
	if (rc)
		return ndx_pm_fail(map, rc, "%s: %s", sp->path, sp->why);
	rc = ndx_pm_apply(map, op);
	if (rc == -ENOSPC && op->type == NDX_OP_ASSIGN_ANY) {
		/* the part's longest run is not the map's */
		if (longest_free(map, sp, &max))
			return ndx_pm_fail(map, -EBADMSG, "%s: damaged: %s", sp->path, sp->why);
		return ndx_pm_fail(map, rc, "no free run of %#llx frames (the longest is %#llx)",
				(unsigned long long)op->nframes, (unsigned long long)max);
	}
	return rc;
}

int ndx_sparse_open(struct ndctl_xen_pagemap *map, const char *path, int fd,
		const struct ndx_pm_header *h, struct ndx_sparse **out)
{
	uint64_t lens[PM_FF_LEVELS], ff, at, *areas = NULL, i;
	struct ndx_sparse *sp = calloc(1, sizeof(*sp));
	unsigned int k;
	int rc = -ENOMEM;

	if (!sp)
		return ndx_pm_fail(map, -ENOMEM, "out of memory");
	sp->path = path;
	sp->h = *h;
	sp->size = h->ckpt_end;
	sp->nlevels = ndx_pm_v3_ff_levels(h->nranges, lens, &ff);
	for (at = h->nranges * PM_RANGE + h->nowned * PM_DOM, k = 0; k < sp->nlevels; k++) {
		sp->ff_at[k] = at;
		sp->ff_len[k] = lens[k];
		at += lens[k] * 8;
	}
	sp->base = mmap(NULL, sp->size, PROT_READ, MAP_SHARED, fd, 0);
	if (sp->base == MAP_FAILED) {
		rc = ndx_pm_fail(map, -errno, "%s: cannot map it: %s", path, strerror(errno));
		sp->base = NULL;
		goto err;
	}
	/* sparse: pages of them are touched only where ranges are read */
	sp->checked = calloc(h->nchunks / 8 + 1, 1);
	sp->in = calloc(h->nranges / 8 + 1, 1);
	areas = calloc(h->nareas ? 2 * h->nareas : 1, sizeof(*areas));
	if (!sp->checked || !sp->in || !areas) {
		ndx_pm_fail(map, rc, "out of memory");
		goto err;
	}
	for (i = 0; i < h->nareas; i++) {
		areas[2 * i] = get64(sp->base + h->areas_at + i * PM_AREA);
		areas[2 * i + 1] = get64(sp->base + h->areas_at + i * PM_AREA + 8);
	}
	rc = ndx_pm_sparse_begin(map, areas, h->nareas, h->frames, h->ranges, sp->why,
			sizeof(sp->why));
	if (!rc && h->nranges < h->nareas) {
		/* every area is one range at least */
		snprintf(sp->why, sizeof(sp->why), "%llu ranges cannot cover %llu areas",
				(unsigned long long)h->nranges, (unsigned long long)h->nareas);
		rc = -EBADMSG;
	}
	if (rc) {
		ndx_pm_fail(map, rc, "%s: damaged: %s", path, sp->why);
		goto err;
	}
	free(areas);
	*out = sp;
	return 0;
err:
	free(areas);
	ndx_sparse_free(sp);
	return rc;
}

void ndx_sparse_free(struct ndx_sparse *sp)
{
	if (!sp)
		return;
	if (sp->base)
		munmap(sp->base, sp->size);
	free(sp->checked);
	free(sp->in);
	free(sp);
}
