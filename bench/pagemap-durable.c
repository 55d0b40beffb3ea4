// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page map's durable updates: what one update through the library
 * costs, fdatasync included, on a state file of 10^3 ranges and on one of
 * 10^6, and how long opening the large one takes.
 *
 * A map of R ranges is one data area whose every other frame belongs to
 * one of 100 domains (each frame its own range), with 4096 free frames
 * after them; an update assigns one of those free frames or releases it
 * again, so the number of ranges stays put.  Both maps are open (attached
 * to their files) at once and take turns, ROUNDS rounds of BATCH updates
 * each, so that a machine whose load changes during the run weighs on
 * both alike; the median and the mean of the single updates are printed.
 *
 *   bench-pagemap-durable api DIR [ROUNDS [BATCH]]    defaults 20 50
 *   bench-pagemap-durable make FILE RANGES [LOG]       a map for the CLI bench;
 *                                                      prints the first free frame
 *
 * make's LOG: that many records in the file's log to start with, each a
 * frame all over the map marked broken or cleared again (the map ends as
 * it began): what a CLI call (a sparse open) replays before its change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ndctl/libndctl-xen.h>

#define AREA_START (1ull << 30)
#define TAIL 4096u
#define UPDATER_DOMAIN 500u

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* a new state file of about ranges ranges; *tail gets the first free frame */
static int make(struct ndctl_xen_ctx *ctx, const char *path, uint64_t ranges,
		uint64_t log, uint64_t *tail)
{
	uint64_t nassign = ranges / 2, i, mfn = 0;
	size_t nd;
	struct ndctl_xen_pagemap *m;
	int rc;

	if (ndctl_xen_pagemap_new(ctx, &m))
		return -ENOMEM;
	rc = ndctl_xen_pagemap_add_area(m, AREA_START, AREA_START + 2 * nassign + TAIL);
	/* frame 2i to domain i % 100 + 1 at gfn i: no two of them merge */
	for (i = 0; !rc && i < nassign; i++)
		rc = ndctl_xen_pagemap_assign(m, (uint32_t)(i % 100 + 1), i, AREA_START + 2 * i, 1);
	if (!rc) {
		unlink(path);
		rc = ndctl_xen_pagemap_create(m, path, 0);
	}
	for (i = 0; !rc && i < log + log % 2; i++) {
		if (i % 2 == 0) {
			mfn = AREA_START + (i * 2654435761u) % (2 * nassign + 1);
			rc = ndctl_xen_pagemap_mark_broken(m, mfn, 1, NULL, 0, &nd);
		} else {
			rc = ndctl_xen_pagemap_clear_broken(m, mfn, 1);
		}
	}
	if (rc)
		fprintf(stderr, "make %s: %s\n", path, ndctl_xen_pagemap_get_error(m));
	*tail = AREA_START + 2 * nassign;
	ndctl_xen_pagemap_unref(m);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct sized {
	const char *name;
	uint64_t ranges, tail, next;
	struct ndctl_xen_pagemap *map;
	double *t;
	size_t n;
};

/* one update: assign the next tail frame, or give back the one before */
static int one_update(struct sized *s)
{
	uint64_t k = s->next++;
	uint64_t mfn = s->tail + (k / 2) % TAIL;

	if (k % 2 == 0)
		return ndctl_xen_pagemap_assign(s->map, UPDATER_DOMAIN, k, mfn, 1);
	return ndctl_xen_pagemap_release(s->map, UPDATER_DOMAIN, mfn, 1);
}

static double median(double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_double);
	return n ? t[n / 2] : 0;
}

static double mean(const double *t, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += t[i];
	return n ? sum / (double)n : 0;
}

static int api(struct ndctl_xen_ctx *ctx, const char *dir, unsigned int rounds,
		unsigned int batch)
{
	struct sized sz[2] = { { "10^3", 1000, 0, 0, NULL, NULL, 0 },
		{ "10^6", 1000000, 0, 0, NULL, NULL, 0 } };
	double opens[3], open_cpu[3], t0, c0, mean_s[2], med_s[2];
	char path[2][512];
	struct stat st;
	unsigned int r, b, i;
	int rc;

	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/bench-%s.state", dir, i ? "1e6" : "1e3");
		t0 = now();
		rc = make(ctx, path[i], sz[i].ranges, 0, &sz[i].tail);
		if (rc)
			return 1;
		fprintf(stderr, "made %s (%" PRIu64 " ranges) in %.1f s\n", path[i],
				sz[i].ranges, now() - t0);
	}
	/* opening the large one, from the page cache (median of 3) */
	for (i = 0; i < 3; i++) {
		struct ndctl_xen_pagemap *m;

		if (ndctl_xen_pagemap_new(ctx, &m))
			return 1;
		t0 = now();
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		rc = ndctl_xen_pagemap_open(m, path[1], NDCTL_XEN_PAGEMAP_RDONLY);
		opens[i] = now() - t0;
		open_cpu[i] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (rc) {
			fprintf(stderr, "open: %s\n", ndctl_xen_pagemap_get_error(m));
			return 1;
		}
		if (i == 0)
			sz[1].ranges = ndctl_xen_pagemap_get_ranges(m, 0) +
				ndctl_xen_pagemap_get_ranges(m, 1) +
				ndctl_xen_pagemap_get_ranges(m, 2) +
				ndctl_xen_pagemap_get_ranges(m, 3);
		ndctl_xen_pagemap_unref(m);
	}
	for (i = 0; i < 2; i++) {
		if (ndctl_xen_pagemap_new(ctx, &sz[i].map) ||
				ndctl_xen_pagemap_open(sz[i].map, path[i], 0))
			return 1;
		sz[i].t = calloc((size_t)rounds * batch, sizeof(double));
		if (!sz[i].t)
			return 1;
	}
	for (r = 0; r < rounds; r++)
		for (i = 0; i < 2; i++)
			for (b = 0; b < batch; b++) {
				t0 = now();
				rc = one_update(&sz[i]);
				sz[i].t[sz[i].n++] = now() - t0;
				if (rc) {
					fprintf(stderr, "update: %s\n",
							ndctl_xen_pagemap_get_error(sz[i].map));
					return 1;
				}
			}
	for (i = 0; i < 2; i++) {
		mean_s[i] = mean(sz[i].t, sz[i].n);
		med_s[i] = median(sz[i].t, sz[i].n);
	}
	stat(path[1], &st);
	printf("durable update through the API (fdatasync included), %u updates each, "
			"taking turns:\n", rounds * batch);
	printf("  %-28s %12s %12s\n", "", "10^3 ranges", "10^6 ranges");
	printf("  %-28s %9.3f ms %9.3f ms   ratio %.2f (target <= 1.5)\n", "median",
			med_s[0] * 1e3, med_s[1] * 1e3, med_s[1] / med_s[0]);
	printf("  %-28s %9.3f ms %9.3f ms   ratio %.2f\n", "mean", mean_s[0] * 1e3,
			mean_s[1] * 1e3, mean_s[1] / mean_s[0]);
	printf("open of the 10^6-range map (%" PRIu64 " ranges, %.1f MiB): %.3f s, %.3f s of "
			"CPU (medians of 3; target well under 1 s)\n", sz[1].ranges,
			(double)st.st_size / 1048576.0, median(opens, 3), median(open_cpu, 3));
	for (i = 0; i < 2; i++) {
		ndctl_xen_pagemap_unref(sz[i].map);
		free(sz[i].t);
		unlink(path[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ndctl_xen_ctx *ctx;
	uint64_t tail;
	int rc = 2;

	if (ndctl_xen_new(&ctx))
		return 1;
	if (argc >= 3 && strcmp(argv[1], "api") == 0)
		rc = api(ctx, argv[2], argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 20,
				argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 10) : 50);
	else if ((argc == 4 || argc == 5) && strcmp(argv[1], "make") == 0) {
		rc = make(ctx, argv[2], strtoull(argv[3], NULL, 10),
				argc == 5 ? strtoull(argv[4], NULL, 10) : 0, &tail) ? 1 : 0;
		if (!rc)
			printf("%" PRIu64 "\n", tail);
	} else {
		fprintf(stderr, "usage: bench-pagemap-durable api DIR [ROUNDS [BATCH]] | make "
				"FILE RANGES [LOG]\n");
	}
	ndctl_xen_unref(ctx);
	return rc;
}
