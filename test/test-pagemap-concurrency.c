// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page map shared by processes through the library: NDX_CONC_PROCS
 * (default 8) processes each make NDX_CONC_OPS (default 100) calls at once
 * on one state file, each with its own map attached to it, and write down
 * what every call reported and when (CLOCK_MONOTONIC, before and after).
 * Each process owns two domains: a "hold" domain that only takes frames
 * (first fit, or given frames from a pool all processes fight over) and a
 * "churn" domain that takes frames and gives them back (release of one
 * range, release of the whole domain); any process marks random frames
 * broken.  The odd processes work as the CLI does: every call opens the
 * file sparse (NDCTL_XEN_PAGEMAP_SPARSE: a part of the map, read from a
 * 3.0 checkpoint as the call needs it), makes its one change and closes
 * it; the even ones keep their map open and catch up on the others' log.
 *
 * Then, against a fresh open of the file:
 *  - lost updates: a domain is used by one process only, so its calls,
 *    in that process's order, say exactly which frames it owns at the
 *    end; every frame where the map says otherwise is a lost update (an
 *    assignment or a release that returned 0 and is not there);
 *  - doubly-held frames: a frame given by a call while another call's
 *    grant of it was certainly still held (the second call started after
 *    the first returned, and before the release of the first began);
 *  - broken frames: every frame that ends assigned and broken has a
 *    mark_broken call that covered it and named its domain (a broken
 *    frame is never given out, so it was marked while owned).
 * Each count must be 0.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pagemap.h"
#include "util/rand.h"

#define AREA UINT64_C(0x100000)
#define FRAMES 1024u
/*
 * The frames explicit assignments fight over: at the area's end, which
 * first fit (lowest frames first) reaches last, so that the fight is
 * between the explicit assignments, and some of them win: with the pool
 * at the start, first fit used to take it all before most of them ran,
 * and "the processes did not contend" failed now and then.
 */
#define POOL 64u
#define POOL_AT (AREA + FRAMES - POOL)
#define BROKEN 512u  /* broken marks land in the first BROKEN frames */
#define MAXDOMS 8

enum { EV_ASSIGN, EV_ANY, EV_RELEASE, EV_RELEASE_DOMAIN, EV_BROKEN };

struct ev {
	int type, rc;
	uint32_t dom;
	uint64_t mfn, n;
	uint64_t t0, t1;      /* ns, around the call */
	uint64_t released_at; /* grants: t0 of the call that gave them back */
	uint32_t doms[MAXDOMS];
	size_t nd;
};

static struct ndctl_xen_ctx *ctx;

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t env_or(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 10) : def;
}

/* one process: ops calls, its journal written to jpath */
static int worker(const char *path, const char *jpath, unsigned int w, unsigned int ops)
{
	uint32_t hold = 1 + 2 * w, churn = 2 + 2 * w;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (w + 1), gfn_hold = 0, gfn_churn = 0;
	struct ndctl_xen_pagemap *map = NULL;
	struct ev *evs = calloc(ops, sizeof(*evs));
	size_t *held = calloc(ops, sizeof(*held)), nheld = 0, k;
	unsigned int i, oneshot = w % 2;
	int fd;

	if (!evs || !held || (!oneshot && (ndctl_xen_pagemap_new(ctx, &map) ||
					ndctl_xen_pagemap_open(map, path, 0))))
		return 1;
	for (i = 0; i < ops; i++) {
		struct ev *e = &evs[i];
		unsigned int pick = (unsigned int)(util_xorshift(&rng) % 100);

		e->t0 = now();
		if (oneshot && (ndctl_xen_pagemap_new(ctx, &map) ||
					ndctl_xen_pagemap_open(map, path, NDCTL_XEN_PAGEMAP_SPARSE))) {
			fprintf(stderr, "worker %u: sparse open: %s\n", w,
					map ? ndctl_xen_pagemap_get_error(map) : "out of memory");
			return 1;
		}
		if (pick < 30) {
			e->type = EV_ANY;
			e->dom = hold;
			e->n = 1 + util_xorshift(&rng) % 4;
			e->rc = ndctl_xen_pagemap_assign_any(map, hold, gfn_hold, e->n, &e->mfn);
			gfn_hold += e->n;
		} else if (pick < 45) {
			e->type = EV_ASSIGN;
			e->dom = hold;
			e->n = 1;
			e->mfn = POOL_AT + util_xorshift(&rng) % POOL;
			e->rc = ndctl_xen_pagemap_assign(map, hold, gfn_hold, e->mfn, 1);
			gfn_hold++;
		} else if (pick < 70 || (pick < 90 && !nheld)) {
			e->type = EV_ANY;
			e->dom = churn;
			e->n = 1 + util_xorshift(&rng) % 3;
			e->rc = ndctl_xen_pagemap_assign_any(map, churn, gfn_churn, e->n, &e->mfn);
			gfn_churn += e->n;
			if (!e->rc)
				held[nheld++] = i;
		} else if (pick < 85) {
			struct ev *g;

			k = util_xorshift(&rng) % nheld;
			g = &evs[held[k]];
			e->type = EV_RELEASE;
			e->dom = churn;
			e->mfn = g->mfn;
			e->n = g->n;
			e->rc = ndctl_xen_pagemap_release(map, churn, g->mfn, g->n);
			if (!e->rc) {
				g->released_at = e->t0;
				held[k] = held[--nheld];
			}
		} else if (pick < 90) {
			e->type = EV_RELEASE_DOMAIN;
			e->dom = churn;
			e->rc = ndctl_xen_pagemap_release_domain(map, churn, &e->n);
			for (k = 0; !e->rc && k < nheld; k++)
				evs[held[k]].released_at = e->t0;
			if (!e->rc)
				nheld = 0;
		} else {
			e->type = EV_BROKEN;
			e->mfn = AREA + util_xorshift(&rng) % BROKEN;
			e->n = 1;
			e->rc = ndctl_xen_pagemap_mark_broken(map, e->mfn, 1, e->doms, MAXDOMS,
					&e->nd);
		}
		if (oneshot) {
			ndctl_xen_pagemap_unref(map);
			map = NULL;
		}
		e->t1 = now();
	}
	ndctl_xen_pagemap_unref(map);
	fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, evs, ops * sizeof(*evs)) != (ssize_t)(ops * sizeof(*evs)))
		return 1;
	close(fd);
	free(evs);
	free(held);
	return 0;
}


int main(void)
{
	unsigned int procs = (unsigned int)env_or("NDX_CONC_PROCS", 8);
	unsigned int ops = (unsigned int)env_or("NDX_CONC_OPS", 100);
	uint64_t counts[5] = { 0 }, refusals[5] = { 0 }, lost = 0, doubles = 0,
		unnamed = 0, double_end = 0, t_start, f;
	uint32_t *expect = calloc(FRAMES, sizeof(*expect));
	struct ev **journals = calloc(procs, sizeof(*journals));
	/* per frame, the grants of it: at most every call of every process */
	const struct ev ***grants = calloc(FRAMES, sizeof(*grants));
	size_t *ngrants = calloc(FRAMES, sizeof(*ngrants));
	struct ndctl_xen_pagemap *map;
	char dir[] = "/tmp/ndx-pagemap-conc.XXXXXX", path[96], jpath[96], why[256];
	unsigned int w, i;
	int status, bad = 0;

	if (!expect || !journals || !grants || !ngrants || procs > 16 || !procs || !ops ||
			!mkdtemp(dir) || ndctl_xen_new(&ctx))
		return 1;
	snprintf(path, sizeof(path), "%s/map", dir);
	CHECK_EQ(ndctl_xen_pagemap_new(ctx, &map), 0);
	CHECK_EQ(ndctl_xen_pagemap_add_area(map, AREA, AREA + FRAMES), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(map, path, 0), 0);
	/*
	 * A log nearly long enough to be compacted (64 KiB: 1170 records),
	 * of changes that change nothing, so that one of the workers'
	 * updates compacts it while the others run.
	 */
	for (i = 0; i < 1150; i++)
		CHECK_EQ(ndctl_xen_pagemap_clear_broken(map, AREA, 1), 0);
	ndctl_xen_pagemap_unref(map);

	t_start = now();
	for (w = 0; w < procs; w++) {
		pid_t pid = fork();

		if (pid == 0) {
			snprintf(jpath, sizeof(jpath), "%s/journal.%u", dir, w);
			_exit(worker(path, jpath, w, ops));
		}
		CHECK(pid > 0, "fork");
	}
	for (w = 0; w < procs; w++) {
		CHECK(wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"a worker failed");
	}

	/* the journals; each domain's calls replayed in its process's order */
	for (w = 0; w < procs && !h_failed; w++) {
		struct ev *evs = calloc(ops, sizeof(*evs));
		int fd;

		snprintf(jpath, sizeof(jpath), "%s/journal.%u", dir, w);
		fd = open(jpath, O_RDONLY);
		CHECK(evs && fd >= 0 && read(fd, evs, ops * sizeof(*evs)) ==
				(ssize_t)(ops * sizeof(*evs)), "journal %u", w);
		if (fd >= 0)
			close(fd);
		journals[w] = evs;
		for (i = 0; evs && i < ops; i++) {
			const struct ev *e = &evs[i];

			counts[e->type] += e->rc == 0;
			refusals[e->type] += e->rc != 0;
			if (e->rc)
				continue;
			for (f = e->mfn - AREA; (e->type == EV_ASSIGN || e->type == EV_ANY) &&
					f < e->mfn - AREA + e->n; f++) {
				if (!grants[f])
					grants[f] = calloc((size_t)procs * ops, sizeof(**grants));
				grants[f][ngrants[f]++] = e;
				if (!e->released_at && expect[f])
					double_end++;
				if (!e->released_at)
					expect[f] = e->dom;
			}
		}
	}

	CHECK_EQ(ndctl_xen_pagemap_new(ctx, &map), 0);
	CHECK_EQ(ndctl_xen_pagemap_open(map, path, NDCTL_XEN_PAGEMAP_RDONLY), 0);
	CHECK(ndx_pagemap_check(map, why, sizeof(why)) == 0, "invariants: %s", why);
	for (f = 0; f < FRAMES && !h_failed; f++) {
		struct ndctl_xen_pagemap_range r;
		uint32_t owner;
		size_t a, b, k;

		CHECK_EQ(ndctl_xen_pagemap_find(map, AREA + f, &r), 0);
		owner = r.domid == NDCTL_XEN_PAGEMAP_NO_DOMAIN ? 0 : r.domid;
		if (owner != expect[f]) {
			lost++;
			if (lost <= 5)
				fprintf(stderr, "frame %#" PRIx64 ": the map says domain %u, the calls "
						"say %u\n", AREA + f, owner, expect[f]);
		}
		/* given while another grant was certainly held */
		for (a = 0; a < ngrants[f]; a++)
			for (b = 0; b < ngrants[f]; b++) {
				const struct ev *x = grants[f][a], *y = grants[f][b];

				if (a != b && y->t0 > x->t1 &&
						(!x->released_at || y->t1 < x->released_at)) {
					doubles++;
					a = b = ngrants[f];
				}
			}
		if (r.state != NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN)
			continue;
		/* some broken call covered it and named its owner */
		for (w = 0; w < procs; w++)
			for (i = 0; i < ops; i++) {
				const struct ev *e = &journals[w][i];

				if (e->type != EV_BROKEN || e->rc || e->mfn != AREA + f)
					continue;
				for (k = 0; k < e->nd && k < MAXDOMS; k++)
					if (e->doms[k] == r.domid)
						goto named;
			}
		unnamed++;
named:
		;
	}
	ndctl_xen_pagemap_unref(map);

	printf("API: %u processes x %u calls on one state file in %.2f s\n", procs, ops,
			(double)(now() - t_start) / 1e9);
	printf("  succeeded: assign %" PRIu64 ", first fit %" PRIu64 ", release %" PRIu64
			", release domain %" PRIu64 ", broken %" PRIu64 "\n", counts[EV_ASSIGN],
			counts[EV_ANY], counts[EV_RELEASE], counts[EV_RELEASE_DOMAIN],
			counts[EV_BROKEN]);
	printf("  refused:   assign %" PRIu64 ", first fit %" PRIu64 ", release %" PRIu64
			", release domain %" PRIu64 ", broken %" PRIu64 "\n", refusals[EV_ASSIGN],
			refusals[EV_ANY], refusals[EV_RELEASE], refusals[EV_RELEASE_DOMAIN],
			refusals[EV_BROKEN]);
	printf("  lost updates %" PRIu64 ", doubly-held frames %" PRIu64 " (at the end %"
			PRIu64 "), broken frames assigned without their domain named %" PRIu64 "\n",
			lost, doubles, double_end, unnamed);
	CHECK_EQ(lost, 0);
	CHECK_EQ(doubles, 0);
	CHECK_EQ(double_end, 0);
	CHECK_EQ(unnamed, 0);
	/* a compaction ran among the updates: the checkpoint holds some of them */
	{
		uint8_t head[56];
		uint64_t seq = 0;
		int hfd = open(path, O_RDONLY);

		CHECK(hfd >= 0 && read(hfd, head, sizeof(head)) == (ssize_t)sizeof(head),
				"read the header");
		if (hfd >= 0)
			close(hfd);
		memcpy(&seq, head + 48, 8);
		seq = le64toh(seq);
		printf("  the checkpoint holds the first %" PRIu64 " updates, format %u.0\n", seq,
				head[8]);
		CHECK(seq > 1150, "no compaction ran among the workers' updates");
	}
	/* the test means something only if the calls fought */
	CHECK(refusals[EV_ASSIGN] > 0 && counts[EV_ASSIGN] > 0 && counts[EV_RELEASE] > 0,
			"the processes did not contend");

	snprintf(jpath, sizeof(jpath), "rm -rf '%s'", dir);
	if (system(jpath) != 0)
		bad = 1;
	for (w = 0; w < procs; w++)
		free(journals[w]);
	for (f = 0; f < FRAMES; f++)
		free(grants[f]);
	free(journals);
	free(grants);
	free(ngrants);
	free(expect);
	ndctl_xen_unref(ctx);
	return h_report() || bad;
}
