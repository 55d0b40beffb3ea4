// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page map benchmark: libndctl-xen's tree-based page map against a linked
 * list of {mfn, gfn, len, broken, domain} ranges (the hypervisor design's
 * representation, written here with the same semantics: split, merge,
 * first fit, broken frames) and against one 32-byte record per 4 KiB page.
 *
 * A 1 TiB data area (2^28 frames) is fragmented into about 100,000
 * ranges; then a mixed sequence of operations runs on both from the same
 * starting state, with the same random choices: assign given frames,
 * assign by first fit, release, mark broken, clear, look up.  The tree
 * runs all of them; the list, whose operations walk the list, runs a
 * prefix of the same sequence (its per-operation cost does not change
 * over the run, the range count being steady) and its rate is what is
 * reported.  The two agree on every return code of the prefix, or the
 * benchmark fails.  Memory is what malloc reports in use (mallinfo2)
 * before and after each structure is built, divided by its ranges.
 *
 *   bench-pagemap [OPS [LIST_OPS [RANGES]]]   defaults 1000000 20000 100000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ndctl/libndctl-xen.h>
#include "util/rand.h"

#define NONE NDCTL_XEN_PAGEMAP_NO_DOMAIN
#define AREA_FRAMES (1ull << 28) /* 1 TiB of 4 KiB frames */
#define AREA_START (1ull << 30)  /* machine frame of the area's first byte: 4 TiB */
#define NDOM 100
#define PAGE_RECORD 32           /* bytes of a per-page record */

/* ---- the list: the same operations, by walking ---- */

struct lnode {
	struct lnode *next, *prev;
	uint64_t mfn, n, gfn;
	uint32_t domid;
	uint8_t broken;
};

/* one area, which is all the benchmark needs */
struct lmap {
	struct lnode *head;
	uint64_t smfn, emfn;
	uint64_t nranges;
};

static int l_free(const struct lnode *r)
{
	return r->domid == NONE && !r->broken;
}

static struct lnode *l_at(struct lmap *m, uint64_t x)
{
	struct lnode *r;

	for (r = m->head; r; r = r->next)
		if (x < r->mfn + r->n)
			return x >= r->mfn ? r : NULL;
	return NULL;
}

static int l_mergeable(const struct lnode *a, const struct lnode *b)
{
	return a->mfn + a->n == b->mfn && a->broken == b->broken && a->domid == b->domid &&
		(a->domid == NONE || b->gfn == a->gfn + a->n);
}

static void l_unlink_free(struct lmap *m, struct lnode *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		m->head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	m->nranges--;
	free(b);
}

static int l_split(struct lmap *m, uint64_t x)
{
	struct lnode *r = l_at(m, x), *t;

	if (!r || r->mfn == x)
		return 0;
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = *r;
	t->mfn = x;
	t->n = r->mfn + r->n - x;
	t->gfn = r->domid == NONE ? 0 : r->gfn + (x - r->mfn);
	r->n = x - r->mfn;
	t->prev = r;
	t->next = r->next;
	if (r->next)
		r->next->prev = t;
	r->next = t;
	m->nranges++;
	return 0;
}

struct lchange {
	int set_owner, set_broken;
	uint32_t domid;
	uint64_t gfn;
	uint8_t broken;
};

static int l_change(struct lmap *m, uint64_t s, uint64_t e, const struct lchange *c)
{
	struct lnode *r, *first = NULL;

	if (l_split(m, s) || l_split(m, e))
		return -ENOMEM;
	for (r = m->head; r && r->mfn + r->n <= s; r = r->next)
		;
	for (; r && r->mfn < e; r = r->next) {
		if (!first)
			first = r;
		if (c->set_owner) {
			r->domid = c->domid;
			r->gfn = c->domid == NONE ? 0 : c->gfn + (r->mfn - s);
		}
		if (c->set_broken)
			r->broken = c->broken;
	}
	if (!first)
		return 0;
	/* merge from the range before the span to the one starting at its end */
	r = first->prev ? first->prev : first;
	while (r->next && r->next->mfn <= e) {
		if (l_mergeable(r, r->next)) {
			r->n += r->next->n;
			l_unlink_free(m, r->next);
		} else {
			r = r->next;
		}
	}
	return 0;
}

static int l_gfn_used(struct lmap *m, uint32_t d, uint64_t gfn, uint64_t n)
{
	struct lnode *r;

	for (r = m->head; r; r = r->next)
		if (r->domid == d && r->gfn < gfn + n && gfn < r->gfn + r->n)
			return 1;
	return 0;
}

static int l_assign(void *mp, uint32_t d, uint64_t gfn, uint64_t s, uint64_t n)
{
	struct lmap *m = mp;
	struct lchange c = { .set_owner = 1, .domid = d, .gfn = gfn };
	struct lnode *r;

	if (!n || d > NDCTL_XEN_PAGEMAP_DOMID_MAX)
		return -EINVAL;
	if (s < m->smfn || s >= m->emfn || n > m->emfn - s)
		return -ERANGE;
	r = l_at(m, s);
	if (!l_free(r) || r->mfn + r->n < s + n) {
		if (l_free(r))
			r = r->next;
		return r->domid != NONE ? -EBUSY : -EHWPOISON;
	}
	if (l_gfn_used(m, d, gfn, n))
		return -EEXIST;
	return l_change(m, s, s + n, &c);
}

static int l_assign_any(void *mp, uint32_t d, uint64_t gfn, uint64_t n, uint64_t *mfn)
{
	struct lmap *m = mp;
	struct lnode *r;

	if (!n || d > NDCTL_XEN_PAGEMAP_DOMID_MAX)
		return -EINVAL;
	if (l_gfn_used(m, d, gfn, n))
		return -EEXIST;
	for (r = m->head; r; r = r->next)
		if (l_free(r) && r->n >= n)
			break;
	if (!r)
		return -ENOSPC;
	*mfn = r->mfn;
	return l_assign(m, d, gfn, r->mfn, n);
}

static int l_release(void *mp, uint32_t d, uint64_t s, uint64_t n)
{
	struct lmap *m = mp;
	struct lchange c = { .set_owner = 1, .domid = NONE };
	uint64_t expect = s;
	struct lnode *r;

	for (r = l_at(m, s); expect < s + n; r = r->next) {
		if (!r || r->mfn > expect)
			return -ERANGE;
		if (r->domid != d)
			return -EPERM;
		expect = r->mfn + r->n;
	}
	return l_change(m, s, s + n, &c);
}

static int l_mark_broken(void *mp, uint64_t s, uint64_t n, uint32_t *doms, size_t max,
		size_t *nd)
{
	struct lmap *m = mp;
	struct lchange c = { .set_broken = 1, .broken = 1 };
	struct lnode *r;
	size_t i, k = 0;

	for (r = m->head; r && r->mfn < s + n; r = r->next) {
		if (r->mfn + r->n <= s || r->domid == NONE)
			continue;
		for (i = 0; i < k && doms[i] != r->domid; i++)
			;
		if (i == k && k < max)
			doms[k++] = r->domid;
	}
	*nd = k;
	return l_change(m, s, s + n, &c);
}

static int l_clear(void *mp, uint64_t s, uint64_t n)
{
	struct lchange c = { .set_broken = 1, .broken = 0 };

	return l_change(mp, s, s + n, &c);
}

static int l_find(void *mp, uint64_t x, struct ndctl_xen_pagemap_range *out)
{
	struct lnode *r = l_at(mp, x);

	if (!r)
		return -ENOENT;
	out->mfn = r->mfn;
	out->nframes = r->n;
	out->gfn = r->gfn;
	out->domid = r->domid;
	out->state = (r->domid != NONE) | (r->broken << 1);
	return 0;
}

/* ---- the tree, through the library ---- */

static int t_assign(void *m, uint32_t d, uint64_t gfn, uint64_t s, uint64_t n)
{
	return ndctl_xen_pagemap_assign(m, d, gfn, s, n);
}

static int t_assign_any(void *m, uint32_t d, uint64_t gfn, uint64_t n, uint64_t *mfn)
{
	return ndctl_xen_pagemap_assign_any(m, d, gfn, n, mfn);
}

static int t_release(void *m, uint32_t d, uint64_t s, uint64_t n)
{
	return ndctl_xen_pagemap_release(m, d, s, n);
}

static int t_mark_broken(void *m, uint64_t s, uint64_t n, uint32_t *doms, size_t max,
		size_t *nd)
{
	return ndctl_xen_pagemap_mark_broken(m, s, n, doms, max, nd);
}

static int t_clear(void *m, uint64_t s, uint64_t n)
{
	return ndctl_xen_pagemap_clear_broken(m, s, n);
}

static int t_find(void *m, uint64_t x, struct ndctl_xen_pagemap_range *out)
{
	return ndctl_xen_pagemap_find(m, x, out);
}

struct impl {
	const char *name;
	void *map;
	int (*assign)(void *, uint32_t, uint64_t, uint64_t, uint64_t);
	int (*assign_any)(void *, uint32_t, uint64_t, uint64_t, uint64_t *);
	int (*release)(void *, uint32_t, uint64_t, uint64_t);
	int (*mark_broken)(void *, uint64_t, uint64_t, uint32_t *, size_t, size_t *);
	int (*clear)(void *, uint64_t, uint64_t);
	int (*find)(void *, uint64_t, struct ndctl_xen_pagemap_range *);
};

/* ---- the workload ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	return util_xorshift(&rng);
}

/* what the driver assigned and may release: exact (domain, frames) */
struct held {
	uint64_t mfn, n;
	uint32_t domid;
};

struct workload {
	struct held *pool;          /* assigned: released in a random order */
	size_t npool, cap;
	struct held broken[4096];   /* marked broken: cleared in a random order */
	size_t nbroken;
	uint64_t next_gfn[NDOM];
};

static void hold(struct workload *w, uint32_t d, uint64_t mfn, uint64_t n)
{
	if (w->npool == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->pool = realloc(w->pool, w->cap * sizeof(*w->pool));
		if (!w->pool) {
			perror("realloc");
			exit(1);
		}
	}
	w->pool[w->npool++] = (struct held){ mfn, n, d };
}

static double now(void)
{
	struct timespec ts;

	/* CPU time: the machine may be shared; both sides are measured alike */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * ops operations on impl, from a seed and a copy of the starting pool;
 * each return code goes to rcs (if not NULL).  Returns the seconds taken.
 */
enum { K_FIND, K_GIVEN, K_FIT, K_RELEASE, K_BROKEN, K_CLEAR, K_NR };
static const char *const kind_name[K_NR] = { "lookup", "assign given", "first fit",
	"release", "mark broken", "clear" };

static double run(const struct impl *im, const struct workload *start, uint64_t seed,
		uint64_t ops, int *rcs, uint64_t kinds[K_NR])
{
	struct workload w = *start;
	struct ndctl_xen_pagemap_range r;
	uint32_t doms[NDOM];
	size_t nd;
	uint64_t i, mfn, n, pick;
	double t0;
	uint32_t d;
	int rc;

	w.pool = malloc(w.cap * sizeof(*w.pool));
	if (!w.pool) {
		perror("malloc");
		exit(1);
	}
	memcpy(w.pool, start->pool, w.npool * sizeof(*w.pool));
	rng = seed;
	t0 = now();
	for (i = 0; i < ops; i++) {
		unsigned int op = rnd() % 100;

		d = rnd() % NDOM;
		mfn = AREA_START + rnd() % AREA_FRAMES;
		n = 1 + rnd() % 64;
		/* releases keep the assigned ranges near where they started */
		if (op >= 60 && op < 95 && w.npool < start->npool)
			op = 25 + op % 35;
		if (op < 25) {
			kinds[K_FIND]++;
			rc = im->find(im->map, mfn, &r);
		} else if (op < 45) {
			kinds[K_GIVEN]++;
			/* given frames: a piece of the free range under a random frame */
			rc = im->find(im->map, mfn, &r);
			if (!rc && r.state == NDCTL_XEN_PAGEMAP_FREE) {
				n = n < r.mfn + r.nframes - mfn ? n : r.mfn + r.nframes - mfn;
				rc = im->assign(im->map, d, w.next_gfn[d], mfn, n);
			} else {
				rc = im->assign(im->map, d, w.next_gfn[d], mfn, 1);
			}
			if (!rc) {
				hold(&w, d, mfn, r.state == NDCTL_XEN_PAGEMAP_FREE ? n : 1);
				w.next_gfn[d] += n + 1;
			}
		} else if (op < 60) {
			kinds[K_FIT]++;
			rc = im->assign_any(im->map, d, w.next_gfn[d], n, &mfn);
			if (!rc) {
				hold(&w, d, mfn, n);
				w.next_gfn[d] += n + 1;
			}
		} else if (op < 95) {
			kinds[K_RELEASE]++;
			rc = -ENOENT;
			if (w.npool) {
				pick = rnd() % w.npool;
				rc = im->release(im->map, w.pool[pick].domid, w.pool[pick].mfn,
						w.pool[pick].n);
				w.pool[pick] = w.pool[--w.npool];
			}
		} else if (op < 97 || !w.nbroken) {
			kinds[K_BROKEN]++;
			rc = im->mark_broken(im->map, mfn, 1 + n % 4, doms, NDOM, &nd);
			if (!rc && w.nbroken < sizeof(w.broken) / sizeof(w.broken[0]))
				w.broken[w.nbroken++] = (struct held){ mfn, 1 + n % 4, 0 };
		} else {
			kinds[K_CLEAR]++;
			pick = rnd() % w.nbroken;
			rc = im->clear(im->map, w.broken[pick].mfn, w.broken[pick].n);
			w.broken[pick] = w.broken[--w.nbroken];
		}
		if (rcs)
			rcs[i] = rc;
	}
	free(w.pool);
	return now() - t0;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * The starting state, the same every time: an assigned range near the
 * start of each of nassigned equal slices, free frames between them.
 */
static struct ndctl_xen_pagemap *build_tree(struct ndctl_xen_ctx *ctx, uint64_t nassigned,
		struct workload *start)
{
	uint64_t spacing = AREA_FRAMES / nassigned, i, n, mfn;
	struct ndctl_xen_pagemap *tree;
	uint32_t d;

	free(start->pool);
	memset(start, 0, sizeof(*start));
	if (ndctl_xen_pagemap_new(ctx, &tree) ||
			ndctl_xen_pagemap_add_area(tree, AREA_START, AREA_START + AREA_FRAMES))
		exit(1);
	rng = 42;
	for (i = 0; i < nassigned; i++) {
		n = 1 + rnd() % (spacing / 2);
		mfn = AREA_START + i * spacing + 1;
		d = (uint32_t)(i % NDOM);
		if (ndctl_xen_pagemap_assign(tree, d, start->next_gfn[d], mfn, n)) {
			fprintf(stderr, "setup: %s\n", ndctl_xen_pagemap_get_error(tree));
			exit(1);
		}
		hold(start, d, mfn, n);
		start->next_gfn[d] += n + 1;
	}
	return tree;
}

static uint64_t total_ranges(struct ndctl_xen_pagemap *m)
{
	uint64_t n = 0;
	unsigned int s;

	for (s = 0; s < NDCTL_XEN_PAGEMAP_NR_STATES; s++)
		n += ndctl_xen_pagemap_get_ranges(m, s);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	uint64_t list_ops = argc > 2 ? strtoull(argv[2], NULL, 0) : 20000;
	uint64_t want_ranges = argc > 3 ? strtoull(argv[3], NULL, 0) : 100000;
	struct ndctl_xen_pagemap_range r;
	struct ndctl_xen_pagemap *tree;
	struct ndctl_xen_ctx *ctx;
	struct workload start = { 0 };
	struct lmap list = { 0 };
	struct lnode *tail = NULL, *node;
	size_t heap0, heap1, heap2;
	uint64_t i, cursor = 0, ranges0;
	double t_tree, t_list, tree_ops, list_rate, tree_bpr, list_bpr, page_bytes;
	int *rcs_tree, *rcs_list;
	uint64_t tree_kinds[K_NR] = { 0 }, list_kinds[K_NR] = { 0 }, prefix_kinds[K_NR] = { 0 };
	unsigned int k;

	if (list_ops > ops)
		list_ops = ops;
	if (ndctl_xen_new(&ctx))
		return 1;
	/* the tree, fragmented through the API */
	heap0 = heap_in_use();
	tree = build_tree(ctx, want_ranges / 2, &start);
	heap1 = heap_in_use();
	ranges0 = total_ranges(tree);
	/* the list: the same ranges, copied in order */
	while (ndctl_xen_pagemap_next(tree, NDCTL_XEN_PAGEMAP_MASK_ALL, &cursor, &r) == 0) {
		node = calloc(1, sizeof(*node));
		if (!node)
			return 1;
		node->mfn = r.mfn;
		node->n = r.nframes;
		node->gfn = r.gfn;
		node->domid = r.domid;
		node->broken = (r.state & 2) != 0;
		node->prev = tail;
		if (tail)
			tail->next = node;
		else
			list.head = node;
		tail = node;
		list.nranges++;
	}
	heap2 = heap_in_use();
	list.smfn = AREA_START;
	list.emfn = AREA_START + AREA_FRAMES;

	struct impl ti = { "tree", tree, t_assign, t_assign_any, t_release, t_mark_broken,
		t_clear, t_find };
	struct impl li = { "list", &list, l_assign, l_assign_any, l_release, l_mark_broken,
		l_clear, l_find };

	rcs_tree = calloc(list_ops ? list_ops : 1, sizeof(int));
	rcs_list = calloc(list_ops ? list_ops : 1, sizeof(int));
	if (!rcs_tree || !rcs_list)
		return 1;
	t_list = run(&li, &start, 7, list_ops, rcs_list, list_kinds);
	/* the tree's prefix doubles as the check that both agree */
	(void)run(&ti, &start, 7, list_ops, rcs_tree, prefix_kinds);
	for (i = 0; i < list_ops; i++)
		if (rcs_tree[i] != rcs_list[i]) {
			fprintf(stderr, "operation %" PRIu64 ": tree %d, list %d: the two disagree\n",
					i, rcs_tree[i], rcs_list[i]);
			return 1;
		}
	/* the full run, on a tree rebuilt from the same start */
	ndctl_xen_pagemap_unref(tree);
	tree = build_tree(ctx, want_ranges / 2, &start);
	ti.map = tree;
	t_tree = run(&ti, &start, 7, ops, NULL, tree_kinds);

	tree_ops = ops / t_tree;
	list_rate = list_ops / t_list;
	tree_bpr = (double)(heap1 - heap0) / ranges0;
	list_bpr = (double)(heap2 - heap1) / ranges0;
	page_bytes = (double)AREA_FRAMES * PAGE_RECORD;
	printf("data area: 2^28 frames (1 TiB), %" PRIu64 " ranges at the start, %" PRIu64
			" after the tree's run\n", ranges0, total_ranges(tree));
	printf("operations run (tree / list):");
	for (k = 0; k < K_NR; k++)
		printf("%s %s %" PRIu64 " / %" PRIu64, k ? "," : "", kind_name[k], tree_kinds[k],
				list_kinds[k]);
	printf("\n");
	printf("tree: %" PRIu64 " operations in %.3f s of CPU: %.0f ops/s\n", ops, t_tree, tree_ops);
	printf("list: %" PRIu64 " operations (the same sequence's first %" PRIu64
			", same return codes) in %.3f s of CPU: %.0f ops/s\n", list_ops, list_ops, t_list,
			list_rate);
	if (heap1 <= heap0 || heap2 <= heap1) {
		/* a sanitizer's allocator does not report through mallinfo2 */
		printf("memory: not measurable here (malloc reports nothing in use); "
				"per-page records (32 B x 2^28) %.0f MiB\n", page_bytes / 1048576.0);
		printf("ratio ops/s tree/list: %.0f\n", tree_ops / list_rate);
	} else {
		printf("memory per range: tree %.1f bytes, list %.1f bytes (malloc in use)\n",
				tree_bpr, list_bpr);
		printf("memory for the area: tree %.2f MiB, list %.2f MiB, per-page records "
				"(32 B x 2^28) %.0f MiB\n", tree_bpr * ranges0 / 1048576.0,
				list_bpr * ranges0 / 1048576.0, page_bytes / 1048576.0);
		printf("ratio ops/s tree/list: %.0f\n", tree_ops / list_rate);
		printf("ratio memory per-page records/tree: %.0f\n",
				page_bytes / (tree_bpr * ranges0));
		printf("ratio memory tree/list: %.2f\n", tree_bpr / list_bpr);
	}

	while (list.head) {
		node = list.head->next;
		free(list.head);
		list.head = node;
	}
	free(rcs_tree);
	free(rcs_list);
	free(start.pool);
	ndctl_xen_pagemap_unref(tree);
	ndctl_xen_unref(ctx);
	return 0;
}
