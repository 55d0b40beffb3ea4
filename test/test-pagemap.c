// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page map against a plain per-frame array.
 *
 * Unit checks: each refusal, the first-fit policy, the merges, the
 * machine-check rounding, the badblock helper, and the state file (round
 * trip, damaged and foreign files).  Expected values are worked out by
 * hand here, not read back from the code under test.
 *
 * Model test: NDX_PAGEMAP_N (default 100000) random operations, seed
 * NDX_PAGEMAP_SEED.  The model is one record per frame; it predicts every
 * return code, first-fit answer and reported domain set on its own, and
 * after every step the map must match it frame for frame, cover every
 * area exactly, be canonical (no two neighbours the model would merge),
 * keep totals right, and pass the library's own invariant check.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pagemap.h"
#include "pfn-sb.h"
#include "private.h"
#include "util/rand.h"

#define NONE NDCTL_XEN_PAGEMAP_NO_DOMAIN
#define ALL NDCTL_XEN_PAGEMAP_MASK_ALL

static struct ndctl_xen_ctx *ctx;
static char tmpdir[64];

static struct ndctl_xen_pagemap *new_map(void)
{
	struct ndctl_xen_pagemap *m;

	if (ndctl_xen_pagemap_new(ctx, &m)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return m;
}

static void invariants(struct ndctl_xen_pagemap *m, const char *where)
{
	char why[256];

	CHECK(ndx_pagemap_check(m, why, sizeof(why)) == 0, "%s: %s", where, why);
}

/* the range holding mfn, as (start, length, domain, state) */
static void expect_range(struct ndctl_xen_pagemap *m, uint64_t mfn, uint64_t start,
		uint64_t n, uint32_t dom, uint64_t gfn, unsigned int state)
{
	struct ndctl_xen_pagemap_range r;

	CHECK(ndctl_xen_pagemap_find(m, mfn, &r) == 0, "find %#" PRIx64, mfn);
	CHECK_EQ(r.mfn, start);
	CHECK_EQ(r.nframes, n);
	CHECK_EQ(r.domid, dom);
	CHECK_EQ(r.gfn, gfn);
	CHECK_EQ(r.state, state);
}

static void test_refusals(void)
{
	struct ndctl_xen_pagemap *m = new_map();
	uint32_t doms[4];
	size_t nd;
	uint64_t mfn;

	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 1000, 2000), 0);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 2000, 2100), 0); /* touching: allowed */
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 1500, 2500), -EEXIST);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 900, 1001), -EEXIST);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 5, 5), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0, (1ull << 52) + 1), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_get_area_count(m), 2);
	CHECK(strlen(ndctl_xen_pagemap_get_error(m)) > 0, "an error message");

	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 999, 2), -ERANGE);   /* starts outside */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 1990, 20), -ERANGE); /* crosses areas */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 2100, 1), -ERANGE);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 1000, 0), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 0x7ff0, 0, 1000, 1), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, UINT64_MAX, 2), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, UINT64_MAX, 1000, 2), -EINVAL);

	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 100, 1010, 10), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 0, 1015, 1), -EBUSY);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 0, 1005, 6), -EBUSY);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 105, 1100, 1), -EEXIST); /* gfn clash */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 95, 1100, 5), 0);         /* ends at 100 */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 90, 1200, 6), -EEXIST);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 110, 1200, 1), 0);         /* starts at 110 */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 100, 1300, 10), 0);        /* other domain */

	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 1400, 2, NULL, 0, &nd), 0);
	CHECK_EQ(nd, 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 3, 0, 1399, 2), -EHWPOISON);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 3000, 2, NULL, 0, &nd), -ERANGE);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 1000, 0, NULL, 0, &nd), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_clear_broken(m, 3000, 2), -ERANGE);

	CHECK_EQ(ndctl_xen_pagemap_release(m, 2, 1010, 1), -EPERM);
	CHECK_EQ(ndctl_xen_pagemap_release(m, 1, 1009, 2), -EPERM); /* 1009 unowned */
	CHECK_EQ(ndctl_xen_pagemap_release(m, 1, 990, 20), -ERANGE);
	CHECK_EQ(ndctl_xen_pagemap_release_domain(m, 7, NULL), -ENOENT);

	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 3, 0, 2000, &mfn), -ENOSPC);
	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 3, 0, 0, &mfn), -EINVAL);
	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 1, 100, 1, &mfn), -EEXIST);

	/* the machine check hits domains 1 and 2 and the broken frames */
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 1015, 400, doms, 1, &nd), 0);
	CHECK_EQ(nd, 2);
	CHECK_EQ(doms[0], 1);
	invariants(m, "refusals");
	ndctl_xen_pagemap_unref(m);
}

static void test_merges_and_first_fit(void)
{
	struct ndctl_xen_pagemap *m = new_map();
	struct ndctl_xen_pagemap_range r;
	uint64_t mfn = 0, cursor, n;
	uint32_t doms[4], d;
	size_t nd;

	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0, 100), 0);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 100, 200), 0);
	/* contiguous in machine and guest frames: one range */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 0, 10), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 10, 10, 10), 0);
	expect_range(m, 5, 0, 20, 1, 0, NDCTL_XEN_PAGEMAP_ASSIGNED);
	/* guest frames not contiguous: two ranges */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 500, 20, 5), 0);
	expect_range(m, 20, 20, 5, 1, 500, NDCTL_XEN_PAGEMAP_ASSIGNED);
	/* never across the area boundary at 100 */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 1000, 90, 10), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 1010, 100, 10), 0);
	expect_range(m, 95, 90, 10, 1, 1000, NDCTL_XEN_PAGEMAP_ASSIGNED);
	expect_range(m, 100, 100, 10, 1, 1010, NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK(ndctl_xen_pagemap_find_gfn(m, 1, 1015, &r) == 0 && r.mfn == 100, "gfn lookup");
	CHECK_EQ(ndctl_xen_pagemap_find_gfn(m, 1, 30, &r), -ENOENT);
	CHECK_EQ(ndctl_xen_pagemap_find_gfn(m, 2, 5, &r), -ENOENT);

	/* first fit: the lowest free run long enough, its first frames */
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 0, 30, 5), 0);   /* free: 25-30, 35-90, 110-200 */
	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 3, 0, 5, &mfn), 0);
	CHECK_EQ(mfn, 25);
	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 3, 5, 60, &mfn), 0);
	CHECK_EQ(mfn, 110);
	CHECK_EQ(ndctl_xen_pagemap_assign_any(m, 3, 65, 55, &mfn), 0);
	CHECK_EQ(mfn, 35);

	/* broken: reported, kept through release, refused, then cleared */
	CHECK_EQ(ndctl_xen_pagemap_mark_broken_phys(m, 0x1fff, 2, doms, 4, &nd), 0);
	CHECK_EQ(nd, 1);
	CHECK_EQ(doms[0], 1);
	expect_range(m, 1, 1, 2, 1, 1, NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN);
	expect_range(m, 0, 0, 1, 1, 0, NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK_EQ(ndctl_xen_pagemap_get_frames(m, NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN), 2);
	CHECK_EQ(ndctl_xen_pagemap_release_domain(m, 1, &n), 0);
	CHECK_EQ(n, 20 + 5 + 20);
	expect_range(m, 1, 1, 2, NONE, 0, NDCTL_XEN_PAGEMAP_BROKEN);
	expect_range(m, 0, 0, 1, NONE, 0, NDCTL_XEN_PAGEMAP_FREE);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 4, 0, 0, 5), -EHWPOISON);
	CHECK_EQ(ndctl_xen_pagemap_clear_broken(m, 0, 200), 0);
	expect_range(m, 0, 0, 25, NONE, 0, NDCTL_XEN_PAGEMAP_FREE);
	CHECK_EQ(ndctl_xen_pagemap_get_ranges(m, NDCTL_XEN_PAGEMAP_BROKEN), 0);

	/* iteration by state and by domain, and the domain list */
	cursor = 0;
	n = 0;
	while (ndctl_xen_pagemap_next(m, NDCTL_XEN_PAGEMAP_MASK(NDCTL_XEN_PAGEMAP_ASSIGNED),
				&cursor, &r) == 0)
		n += r.nframes;
	CHECK_EQ(n, 5 + 5 + 60 + 55);
	cursor = 0;
	CHECK(ndctl_xen_pagemap_domain_next(m, 3, &cursor, &r) == 0 && r.gfn == 0 && r.mfn == 25,
			"domain 3 first");
	CHECK(ndctl_xen_pagemap_domain_next(m, 3, &cursor, &r) == 0 && r.gfn == 5 && r.mfn == 110,
			"domain 3 second");
	CHECK(ndctl_xen_pagemap_domain_next(m, 3, &cursor, &r) == 0 && r.gfn == 65 && r.mfn == 35,
			"domain 3 third");
	CHECK_EQ(ndctl_xen_pagemap_domain_next(m, 3, &cursor, &r), -ENOENT);
	CHECK(ndctl_xen_pagemap_next_domain(m, 0, &d) == 0 && d == 2, "first domain 2");
	CHECK(ndctl_xen_pagemap_next_domain(m, 3, &d) == 0 && d == 3, "then 3");
	CHECK_EQ(ndctl_xen_pagemap_next_domain(m, 4, &d), -ENOENT);

	/* a partial release splits the domain's range */
	CHECK_EQ(ndctl_xen_pagemap_release(m, 3, 120, 10), 0);
	expect_range(m, 115, 110, 10, 3, 5, NDCTL_XEN_PAGEMAP_ASSIGNED);
	expect_range(m, 135, 130, 40, 3, 25, NDCTL_XEN_PAGEMAP_ASSIGNED);
	invariants(m, "merges");
	ndctl_xen_pagemap_unref(m);
}

static void test_badblock_frames(void)
{
	struct ndctl_xen_layout *l;
	uint64_t s = 0, e = 0;

	CHECK_EQ(ndctl_xen_layout_new(ctx, &l), 0);
	/* 128M map=dev at 4G: dataoff 4M (8K + 64 * 32766 rounded up to 2M) */
	ndctl_xen_layout_set_size(l, 128ull << 20);
	ndctl_xen_layout_set_phys_start(l, 1ull << 32);
	ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_FSDAX);
	ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_DEV);
	ndctl_xen_layout_set_align(l, 2ull << 20);
	CHECK_EQ(ndctl_xen_layout_compute(l), 0);
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, (4ull << 20) + 512, 512, &s, &e), 0);
	CHECK_EQ(s, 0x100400);
	CHECK_EQ(e, 0x100401);
	/* starts in the memmap, ends two sectors into the data */
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, (4ull << 20) - 4096, 5120, &s, &e), 0);
	CHECK_EQ(s, 0x100400);
	CHECK_EQ(e, 0x100401);
	/* straddles a frame boundary: two frames */
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, (4ull << 20) + 3584, 1024, &s, &e), 0);
	CHECK_EQ(s, 0x100400);
	CHECK_EQ(e, 0x100402);
	/* the last sector of the namespace */
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, (128ull << 20) - 512, 512, &s, &e), 0);
	CHECK_EQ(s, 0x107fff);
	CHECK_EQ(e, 0x108000);
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, 0, 8192, &s, &e), -ENOENT);
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, 128ull << 20, 512, &s, &e), -ENOENT);
	CHECK_EQ(ndctl_xen_layout_badblock_frames(l, 0, 0, &s, &e), -EINVAL);
	ndctl_xen_layout_unref(l);
}

/* ---- the state file ---- */

static int write_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, buf, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

static size_t read_bytes(const char *path, uint8_t *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, max);
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

static int load_rc(const char *path)
{
	struct ndctl_xen_pagemap *m = new_map();
	int rc = ndctl_xen_pagemap_load(m, path);

	/* a refused load leaves the map empty */
	if (rc)
		CHECK_EQ(ndctl_xen_pagemap_get_area_count(m), 0);
	ndctl_xen_pagemap_unref(m);
	return rc;
}

static void reseal(uint8_t *buf, size_t len)
{
	uint64_t sum;

	memset(buf + 56, 0, 8);
	sum = htole64(ndx_fletcher64(buf, len));
	memcpy(buf + 56, &sum, 8);
}

/* test_state_file's 3.0 map: its body starts here, one chunk */
#define RANGES_AT (256 + 2 * 16 + 8)

static void reseal3(uint8_t *buf, size_t len)
{
	uint64_t sum = htole64(ndx_fletcher64(buf + RANGES_AT, len - RANGES_AT));

	memcpy(buf + RANGES_AT - 8, &sum, 8);
	reseal(buf, RANGES_AT);
}

static void test_state_file(void)
{
	struct ndctl_xen_pagemap *m = new_map(), *m2;
	struct ndctl_xen_pagemap_range a, b;
	char path[128], bad[128];
	uint8_t buf[4096], copy[4096];
	uint64_t c1 = 0, c2 = 0, v;
	size_t len, nd;
	int rc1, rc2;

	snprintf(path, sizeof(path), "%s/map", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad", tmpdir);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x100000, 0x100400), 0);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x200000, 0x200100), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 7, 0x40, 0x100010, 0x20), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 9, 0, 0x200000, 0x10), 0);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 0x100018, 4, NULL, 0, &nd), 0);
	CHECK_EQ(ndctl_xen_pagemap_save(m, path), 0);
	/*
	 * format 3.0: header 256, areas 2 x 16, one chunk's checksum; the
	 * body (RANGES_AT on): ranges: free, 7, 7 broken, 7, free | 9, free;
	 * the domain index: 4 owned ranges; the first-fit index: 1 entry; no
	 * log yet
	 */
	len = read_bytes(path, buf, sizeof(buf));
	CHECK_EQ(len, RANGES_AT + 7 * 32 + 4 * 8 + 8);
	CHECK(memcmp(buf, "NDXPGMAP", 8) == 0, "magic");

	m2 = new_map();
	CHECK_EQ(ndctl_xen_pagemap_load(m2, path), 0);
	invariants(m2, "loaded");
	for (;;) {
		rc1 = ndctl_xen_pagemap_next(m, ALL, &c1, &a);
		rc2 = ndctl_xen_pagemap_next(m2, ALL, &c2, &b);
		CHECK_EQ(rc1, rc2);
		if (rc1 || rc2)
			break;
		CHECK(memcmp(&a, &b, sizeof(a)) == 0, "range at %#" PRIx64 " differs", a.mfn);
	}
	CHECK_EQ(ndctl_xen_pagemap_load(m2, path), -EBUSY);
	ndctl_xen_pagemap_unref(m2);
	/* a missing file, and saving into a missing directory */
	snprintf(bad, sizeof(bad), "%s/nodir/map", tmpdir);
	CHECK_EQ(load_rc(bad), -ENOENT);
	CHECK_EQ(ndctl_xen_pagemap_save(m, bad), -ENOENT);
	snprintf(bad, sizeof(bad), "%s/bad", tmpdir);

	/* foreign files */
	CHECK(write_bytes(bad, "", 0) == 0, "write");
	CHECK_EQ(load_rc(bad), -ENOMSG);
	CHECK(write_bytes(bad, "hello, world\n", 13) == 0, "write");
	CHECK_EQ(load_rc(bad), -ENOMSG);
	CHECK_EQ(load_rc(tmpdir), -ENOMSG);
	/* damaged: truncated, a flipped bit, a wrong length, another version */
	CHECK(write_bytes(bad, buf, 40) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	CHECK(write_bytes(bad, buf, len - 1) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	memcpy(copy, buf, len);
	copy[100] ^= 4;
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	/* a flipped bit in the body: its chunk's checksum, loaded whole or sparse */
	memcpy(copy, buf, len);
	copy[RANGES_AT + 40] ^= 1;
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	m2 = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(m2, bad, NDCTL_XEN_PAGEMAP_SPARSE), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m2, 3, 0, 0x100000, 1), -EBADMSG);
	CHECK(strstr(ndctl_xen_pagemap_get_error(m2), "checksum") != NULL, "says why: %s",
			ndctl_xen_pagemap_get_error(m2));
	ndctl_xen_pagemap_unref(m2);
	memcpy(copy, buf, len);
	copy[8] = 4;
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EPROTONOSUPPORT);
	/* sealed with a good checksum but breaking an invariant */
	memcpy(copy, buf, len);
	v = htole64(0x11); /* the first range's length: it overlaps the next */
	memcpy(copy + RANGES_AT + 8, &v, 8);
	reseal3(copy, len);
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	memcpy(copy, buf, len);
	copy[RANGES_AT + 32 + 28] = 2; /* unknown flag */
	reseal3(copy, len);
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	memcpy(copy, buf, len);
	copy[RANGES_AT + 4 * 32 + 28] = 1; /* the free range after domain 7 turns broken: fine */
	reseal3(copy, len);
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), 0);
	memcpy(copy, buf, len);
	copy[RANGES_AT + 3 * 32 + 28] = 1; /* domain 7's last part turns broken: should merge */
	reseal3(copy, len);
	CHECK(write_bytes(bad, copy, len) == 0, "write");
	CHECK_EQ(load_rc(bad), -EBADMSG);
	/* the original is intact and no temporary file was left */
	CHECK_EQ(load_rc(path), 0);
	ndctl_xen_pagemap_unref(m);
}

/* ---- the shared state file: two maps on one file, its log, its paths ---- */

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* the state of frame mfn in m */
static unsigned int state_at(struct ndctl_xen_pagemap *m, uint64_t mfn, uint32_t *dom)
{
	struct ndctl_xen_pagemap_range r = { 0 };

	CHECK_EQ(ndctl_xen_pagemap_find(m, mfn, &r), 0);
	if (dom)
		*dom = r.domid;
	return r.state;
}

/* every range of a and b is the same */
static void same_maps(struct ndctl_xen_pagemap *a, struct ndctl_xen_pagemap *b,
		const char *where)
{
	struct ndctl_xen_pagemap_range x, y;
	uint64_t c1 = 0, c2 = 0;
	int rc1, rc2;

	for (;;) {
		rc1 = ndctl_xen_pagemap_next(a, ALL, &c1, &x);
		rc2 = ndctl_xen_pagemap_next(b, ALL, &c2, &y);
		CHECK(rc1 == rc2, "%s: one map ends first", where);
		if (rc1 || rc2)
			break;
		if (memcmp(&x, &y, sizeof(x)) != 0) {
			CHECK(0, "%s: ranges at %#" PRIx64 " and %#" PRIx64 " differ", where, x.mfn,
					y.mfn);
			break;
		}
	}
	invariants(a, where);
	invariants(b, where);
}

/* a format 1.0 file of m, written here from the format's description */
/*
 * m in an older format, written here byte by byte as those versions did:
 * 1.0 (no log, no domain index) or 2.0 (a 96-byte header with the owned
 * ranges' count, a sequence number and an id, the domain index after the
 * ranges, the log after that).
 */
static void write_old(struct ndctl_xen_pagemap *m, const char *path, unsigned int major)
{
	static uint8_t buf[96 + 16 * 4 + 40 * 64];
	struct ndctl_xen_pagemap_range r, owned[64];
	uint64_t smfn, emfn, cursor = 0, v, n = 0, at[64], nown = 0, j, k;
	uint8_t *p = buf + (major == 1 ? 64 : 96);
	unsigned int i, na = ndctl_xen_pagemap_get_area_count(m);
	uint32_t w;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "NDXPGMAP", 8);
	buf[8] = (uint8_t)major;
	buf[12] = major == 1 ? 64 : 96;
	buf[28] = 32;
	memcpy(buf + 64, "an old map's id.", 16);
	for (i = 0; ndctl_xen_pagemap_get_area(m, i, &smfn, &emfn) == 0; i++, p += 16) {
		v = htole64(smfn);
		memcpy(p, &v, 8);
		v = htole64(emfn);
		memcpy(p + 8, &v, 8);
	}
	while (ndctl_xen_pagemap_next(m, ALL, &cursor, &r) == 0 && n < 64) {
		v = htole64(r.mfn);
		memcpy(p, &v, 8);
		v = htole64(r.nframes);
		memcpy(p + 8, &v, 8);
		v = htole64(r.gfn);
		memcpy(p + 16, &v, 8);
		w = htole32(r.domid);
		memcpy(p + 24, &w, 4);
		w = htole32(r.state & NDCTL_XEN_PAGEMAP_BROKEN ? 1 : 0);
		memcpy(p + 28, &w, 4);
		p += 32;
		if (r.domid != NDCTL_XEN_PAGEMAP_NO_DOMAIN) {
			owned[nown] = r;
			at[nown++] = n;
		}
		n++;
	}
	/* 2.0's domain index: the owned ranges' places, in (domid, gfn) order */
	for (j = 0; major == 2 && j < nown; j++, p += 8) {
		for (k = j + 1; k < nown; k++)
			if (owned[k].domid < owned[j].domid || (owned[k].domid == owned[j].domid &&
						owned[k].gfn < owned[j].gfn)) {
				r = owned[j], owned[j] = owned[k], owned[k] = r;
				v = at[j], at[j] = at[k], at[k] = v;
			}
		v = htole64(at[j]);
		memcpy(p, &v, 8);
	}
	v = htole64(major == 2 ? nown : 0);
	memcpy(buf + 40, &v, 8);
	v = htole64((uint64_t)(p - buf));
	memcpy(buf + 16, &v, 8);
	w = htole32(na);
	memcpy(buf + 24, &w, 4);
	v = htole64(n);
	memcpy(buf + 32, &v, 8);
	reseal(buf, (size_t)(p - buf));
	CHECK(write_bytes(path, buf, (size_t)(p - buf)) == 0, "write %s", path);
}

/*
 * A map in format 1.0 or 2.0 (a copy of a, which must have frames
 * mfn-mfn+8 free and no domain dom or dom + 1) loads; two processes open
 * it, a third sparse; the first update carries it over to 3.0, the
 * others follow.
 */
static void carry_over(struct ndctl_xen_pagemap *a, unsigned int major, uint64_t mfn,
		uint32_t dom)
{
	struct ndctl_xen_pagemap *c, *d, *e;
	uint8_t buf[16];
	char path[128];

	snprintf(path, sizeof(path), "%s/v%u", tmpdir, major);
	write_old(a, path, major);
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_load(c, path), 0);
	same_maps(a, c, "an old format loaded");
	ndctl_xen_pagemap_unref(c);
	c = new_map();
	d = new_map();
	e = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, path, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_open(d, path, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_open(e, path, NDCTL_XEN_PAGEMAP_SPARSE), 0);
	CHECK(read_bytes(path, buf, sizeof(buf)) > 10 && buf[8] == major,
			"still %u.0 when opened", major);
	CHECK_EQ(ndctl_xen_pagemap_assign(c, dom, 0, mfn, 4), 0);
	CHECK(read_bytes(path, buf, sizeof(buf)) > 10 && buf[8] == 3,
			"%u.0 is 3.0 after an update", major);
	CHECK_EQ(ndctl_xen_pagemap_assign(d, dom + 1, 0, mfn, 4), -EBUSY);
	CHECK_EQ(ndctl_xen_pagemap_assign(e, dom + 1, 0, mfn, 4), -EBUSY);
	CHECK_EQ(ndctl_xen_pagemap_assign(e, dom + 1, 0, mfn + 4, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(a, dom, 0, mfn, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(a, dom + 1, 0, mfn + 4, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_refresh(c), 0);
	CHECK_EQ(ndctl_xen_pagemap_refresh(d), 0);
	same_maps(a, c, "an old format carried over");
	same_maps(a, d, "an old format carried over, the other map");
	/* a sparse map holds a part: no lookups, no save elsewhere */
	CHECK_EQ(ndctl_xen_pagemap_find(e, mfn, NULL), -EOPNOTSUPP);
	CHECK_EQ(ndctl_xen_pagemap_save(e, "/nonexistent"), -EOPNOTSUPP);
	CHECK_EQ(ndctl_xen_pagemap_get_frames(e, NDCTL_XEN_PAGEMAP_ASSIGNED),
			ndctl_xen_pagemap_get_frames(a, NDCTL_XEN_PAGEMAP_ASSIGNED));
	ndctl_xen_pagemap_unref(c);
	ndctl_xen_pagemap_unref(d);
	ndctl_xen_pagemap_unref(e);
}

static void test_store(void)
{
	struct ndctl_xen_pagemap *a = new_map(), *b = new_map(), *c;
	char path[128], other[128], link[160], fifo[128];
	uint64_t mfn = 0, size, n, i;
	uint8_t buf[4096], rec[56];
	uint32_t dom, doms[4];
	struct stat st;
	size_t nd;
	int fd;

	snprintf(path, sizeof(path), "%s/shared", tmpdir);
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	CHECK_EQ(ndctl_xen_pagemap_add_area(a, 0x1000, 0x2000), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(a, path, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(a, other, 0), -EBUSY);
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_add_area(c, 0x1000, 0x1100), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(c, path, 0), -EEXIST);
	ndctl_xen_pagemap_unref(c);
	CHECK_EQ(ndctl_xen_pagemap_open(b, path, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_open(b, path, 0), -EBUSY);
	size = file_size(path);

	/* b sees a's change before making its own: no frame given twice */
	CHECK_EQ(ndctl_xen_pagemap_assign(a, 1, 0, 0x1000, 16), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign_any(b, 2, 0, 16, &mfn), 0);
	CHECK_EQ(mfn, 0x1010);
	CHECK_EQ(ndctl_xen_pagemap_assign(b, 3, 0, 0x1008, 1), -EBUSY);
	CHECK_EQ(file_size(path), size + 2 * 56);
	/* a reads its own view until it refreshes */
	CHECK_EQ(state_at(a, 0x1010, NULL), NDCTL_XEN_PAGEMAP_FREE);
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	CHECK_EQ(state_at(a, 0x1010, &dom), NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK_EQ(dom, 2);
	/* a machine check from a names the domain b gave the frames to */
	CHECK_EQ(ndctl_xen_pagemap_assign(b, 4, 0, 0x1100, 1), 0);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(a, 0x1100, 1, doms, 4, &nd), 0);
	CHECK(nd == 1 && doms[0] == 4, "broken names domain 4 (nd %zu)", nd);
	CHECK_EQ(ndctl_xen_pagemap_release_domain(b, 4, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(state_at(b, 0x1100, NULL), NDCTL_XEN_PAGEMAP_BROKEN);
	CHECK_EQ(state_at(a, 0x1100, NULL), NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN);
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	same_maps(a, b, "after catching up");

	/* a read-only map reads, and refuses changes */
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, path, NDCTL_XEN_PAGEMAP_RDONLY), 0);
	same_maps(a, c, "read-only open");
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 5, 0, 0x1800, 1), -EBADF);
	CHECK_EQ(ndctl_xen_pagemap_compact(c), -EBADF);
	ndctl_xen_pagemap_unref(c);

	/* a snapshot saved over a file updated since it was loaded: refused */
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_load(c, path), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 6, 0, 0x1900, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(a, 7, 0, 0x1a00, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_save(c, path), -ESTALE);
	CHECK_EQ(state_at(b, 0x1900, NULL), NDCTL_XEN_PAGEMAP_FREE);
	ndctl_xen_pagemap_unref(c);
	/* loaded again, it saves; the attached maps reload the new file */
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_load(c, path), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 6, 0, 0x1900, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_save(c, path), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 6, 4, 0x1904, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_save(c, path), 0);
	CHECK_EQ(ndctl_xen_pagemap_refresh(b), 0);
	same_maps(b, c, "after a snapshot's save");
	CHECK_EQ(ndctl_xen_pagemap_release(a, 6, 0x1902, 1), 0);
	CHECK_EQ(state_at(a, 0x1900, &dom), NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK_EQ(ndctl_xen_pagemap_save(c, path), -ESTALE);
	ndctl_xen_pagemap_unref(c);

	/* a torn append: the opener ignores it, the next update cuts it off */
	size = file_size(path);
	memset(rec, 0, sizeof(rec));
	memcpy(rec, "NDXL", 4);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, rec, 30) == 30, "append a torn record");
	close(fd);
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, path, 0), 0);
	same_maps(a, c, "with a torn tail");
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 8, 0, 0x1b00, 1), 0);
	CHECK_EQ(file_size(path), size + 56);
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	same_maps(a, c, "after the torn tail was cut");
	/* a damaged record with records after it: damage, not a torn tail */
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 8, 1, 0x1b01, 1), 0);
	size = read_bytes(path, buf, sizeof(buf));
	CHECK(size == file_size(path), "the file fits the buffer");
	buf[size - 2 * 56 + 20] ^= 1;
	CHECK(write_bytes(other, buf, size) == 0, "write");
	CHECK_EQ(load_rc(other), -EBADMSG);
	ndctl_xen_pagemap_unref(c);

	/* compaction: the log stays small, every map keeps up with it */
	size = file_size(path);
	for (i = 0; i < 3000 && !h_failed; i++) {
		struct ndctl_xen_pagemap *m = i % 3 ? a : b;

		if (i % 2 == 0)
			CHECK_EQ(ndctl_xen_pagemap_assign(m, 9, i, 0x1c00 + i / 2 % 0x200, 1), 0);
		else
			CHECK_EQ(ndctl_xen_pagemap_release(m, 9, 0x1c00 + i / 2 % 0x200, 1), 0);
	}
	CHECK(file_size(path) < size + (64 << 10) + 2 * 56, "compacted: %" PRIu64 " bytes",
			file_size(path));
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	CHECK_EQ(ndctl_xen_pagemap_refresh(b), 0);
	same_maps(a, b, "after compactions");
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, path, 0), 0);
	same_maps(a, c, "reopened after compactions");
	ndctl_xen_pagemap_unref(c);

	/* owner, group and mode survive a new checkpoint; so does a symlink */
	CHECK(chmod(path, 0640) == 0, "chmod");
	if (geteuid() == 0)
		CHECK(chown(path, 65534, 65534) == 0, "chown");
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	CHECK(symlink("shared", link) == 0, "symlink");
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, link, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_compact(c), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(c, 10, 0, 0x1e00, 1), 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept: %o",
			st.st_mode & 07777);
	if (geteuid() == 0)
		CHECK(st.st_uid == 65534 && st.st_gid == 65534, "owner kept: %u:%u",
				st.st_uid, st.st_gid);
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	CHECK_EQ(state_at(a, 0x1e00, &dom), NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK_EQ(dom, 10);
	ndctl_xen_pagemap_unref(c);

	/* not regular files: refused at once, even when replacing */
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, fifo, 0), -ENOMSG);
	CHECK_EQ(ndctl_xen_pagemap_load(c, fifo), -ENOMSG);
	CHECK_EQ(ndctl_xen_pagemap_add_area(c, 0x1000, 0x1100), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(c, fifo, NDCTL_XEN_PAGEMAP_REPLACE), -ENOMSG);
	CHECK_EQ(ndctl_xen_pagemap_save(c, fifo), -ENOMSG);
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is still a FIFO");
	CHECK_EQ(ndctl_xen_pagemap_create(c, "/dev/null", NDCTL_XEN_PAGEMAP_REPLACE), -ENOMSG);
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is a device");
	CHECK_EQ(ndctl_xen_pagemap_create(c, tmpdir, NDCTL_XEN_PAGEMAP_REPLACE), -ENOMSG);
	/* replacing a map others hold open: they reload it */
	CHECK_EQ(ndctl_xen_pagemap_create(c, path, NDCTL_XEN_PAGEMAP_REPLACE), 0);
	CHECK_EQ(ndctl_xen_pagemap_refresh(a), 0);
	same_maps(a, c, "after a replacement");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept by replace");
	ndctl_xen_pagemap_unref(c);

	CHECK_EQ(ndctl_xen_pagemap_assign(a, 11, 0x40, 0x1010, 8), 0);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(a, 0x1012, 2, NULL, 0, &nd), 0);
	carry_over(a, 1, 0x1020, 12);
	carry_over(a, 2, 0x1030, 14);
	ndctl_xen_pagemap_unref(a);
	ndctl_xen_pagemap_unref(b);
}

/* ---- the model ---- */

#define NAREAS 4
static const uint64_t area_s[NAREAS] = { 100, 1100, 1600, 3000 };
static const uint64_t area_e[NAREAS] = { 1100, 1600, 1700, 4000 };
#define FRAMES 4200
#define NDOM 6

struct frame {
	uint32_t dom; /* NONE when unowned */
	uint64_t gfn;
	int broken;
	int in_area, area_start;
};
static struct frame model[FRAMES];
static uint64_t rng;

static uint64_t rnd(void)
{
	return util_xorshift(&rng);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static int model_free(uint64_t f)
{
	return model[f].in_area && model[f].dom == NONE && !model[f].broken;
}

static int model_area(uint64_t f)
{
	unsigned int i;

	for (i = 0; i < NAREAS; i++)
		if (f >= area_s[i] && f < area_e[i])
			return (int)i;
	return -1;
}

static int model_gfn_used(uint32_t dom, uint64_t gfn, uint64_t n)
{
	uint64_t f;

	for (f = 0; f < FRAMES; f++)
		if (model[f].dom == dom && model[f].gfn >= gfn && model[f].gfn < gfn + n)
			return 1;
	return 0;
}

static int model_assign(uint32_t dom, uint64_t gfn, uint64_t s, uint64_t n)
{
	uint64_t f;
	int a;

	if (dom > NDCTL_XEN_PAGEMAP_DOMID_MAX || !n)
		return -EINVAL;
	a = model_area(s);
	if (a < 0 || s + n > area_e[a])
		return -ERANGE;
	for (f = s; f < s + n; f++)
		if (!model_free(f))
			return model[f].dom != NONE ? -EBUSY : -EHWPOISON;
	if (model_gfn_used(dom, gfn, n))
		return -EEXIST;
	for (f = s; f < s + n; f++) {
		model[f].dom = dom;
		model[f].gfn = gfn + (f - s);
	}
	return 0;
}

/* the lowest free run of n frames within one area, or 0 */
static uint64_t model_first_fit(uint64_t n)
{
	uint64_t f, run = 0, start = 0;

	for (f = 0; f < FRAMES; f++) {
		if (!model_free(f) || model[f].area_start)
			run = 0;
		if (!model_free(f))
			continue;
		if (!run)
			start = f;
		if (++run >= n) {
			/* the whole run must be at least n: first fit takes the run's start */
			return start;
		}
	}
	return 0;
}

static int model_release(uint32_t dom, uint64_t s, uint64_t n)
{
	uint64_t f;

	if (dom > NDCTL_XEN_PAGEMAP_DOMID_MAX || !n)
		return -EINVAL;
	for (f = s; f < s + n; f++) {
		if (f >= FRAMES || !model[f].in_area)
			return -ERANGE;
		if (model[f].dom != dom)
			return -EPERM;
	}
	for (f = s; f < s + n; f++) {
		model[f].dom = NONE;
		model[f].gfn = 0;
	}
	return 0;
}

static int model_set_broken(uint64_t s, uint64_t n, int broken, uint32_t *doms, size_t *nd)
{
	int seen[NDOM] = { 0 }, any = 0;
	uint64_t f;
	unsigned int d;

	if (!n)
		return -EINVAL;
	for (f = s; f < s + n && f < FRAMES; f++) {
		if (!model[f].in_area)
			continue;
		any = 1;
		if (model[f].dom != NONE)
			seen[model[f].dom] = 1;
	}
	if (!any)
		return -ERANGE;
	for (f = s; f < s + n && f < FRAMES; f++)
		if (model[f].in_area)
			model[f].broken = broken;
	*nd = 0;
	for (d = 0; d < NDOM; d++)
		if (seen[d])
			doms[(*nd)++] = d;
	return 0;
}

static unsigned int model_state(uint64_t f)
{
	return (model[f].dom != NONE ? 1 : 0) | (model[f].broken ? 2 : 0);
}

/* the map must equal the model, frame for frame, and be canonical */
static int compare(struct ndctl_xen_pagemap *m, uint64_t step)
{
	uint64_t cursor = 0, covered = 0, f, frames[4] = { 0 };
	struct ndctl_xen_pagemap_range r, prev = { 0 };
	int have_prev = 0, bad = 0;
	char why[256];
	unsigned int s;

	if (ndx_pagemap_check(m, why, sizeof(why))) {
		CHECK(0, "step %" PRIu64 ": %s", step, why);
		return -1;
	}
	while (ndctl_xen_pagemap_next(m, ALL, &cursor, &r) == 0) {
		for (f = r.mfn; f < r.mfn + r.nframes; f++) {
			if (f >= FRAMES || !model[f].in_area || model[f].dom != r.domid ||
					model_state(f) != r.state ||
					(r.domid != NONE && model[f].gfn != r.gfn + (f - r.mfn)) ||
					(f > r.mfn && model[f].area_start)) {
				bad = 1;
				break;
			}
		}
		/* neighbours the model would merge: same state, owner, contiguous gfn */
		if (have_prev && prev.mfn + prev.nframes == r.mfn && !model[r.mfn].area_start &&
				prev.state == r.state && prev.domid == r.domid &&
				(r.domid == NONE || prev.gfn + prev.nframes == r.gfn))
			bad = 2;
		if (bad) {
			CHECK(0, "step %" PRIu64 ": range %#" PRIx64 "+%#" PRIx64 " dom %u %s",
					step, r.mfn, r.nframes, r.domid,
					bad == 1 ? "differs from the model" : "should have merged");
			return -1;
		}
		covered += r.nframes;
		prev = r;
		have_prev = 1;
	}
	for (f = 0; f < FRAMES; f++)
		if (model[f].in_area)
			frames[model_state(f)]++;
	for (s = 0; s < 4; s++)
		if (ndctl_xen_pagemap_get_frames(m, s) != frames[s]) {
			CHECK(0, "step %" PRIu64 ": %s total %" PRIu64 ", model %" PRIu64, step,
					ndctl_xen_pagemap_state_name(s),
					ndctl_xen_pagemap_get_frames(m, s), frames[s]);
			return -1;
		}
	if (covered != frames[0] + frames[1] + frames[2] + frames[3]) {
		CHECK(0, "step %" PRIu64 ": ranges cover %" PRIu64 " frames", step, covered);
		return -1;
	}
	return 0;
}

/* each domain's ranges in guest frame order match the model */
static int compare_domains(struct ndctl_xen_pagemap *m, uint64_t step)
{
	struct ndctl_xen_pagemap_range r;
	uint64_t cursor, owned, f, last_gfn;
	uint32_t d;

	for (d = 0; d < NDOM; d++) {
		owned = 0;
		for (f = 0; f < FRAMES; f++)
			owned += model[f].dom == d;
		cursor = 0;
		last_gfn = 0;
		while (ndctl_xen_pagemap_domain_next(m, d, &cursor, &r) == 0) {
			if (r.domid != d || r.gfn < last_gfn || model[r.mfn].dom != d ||
					model[r.mfn].gfn != r.gfn) {
				CHECK(0, "step %" PRIu64 ": domain %u's walk is wrong at gfn %#"
						PRIx64, step, d, r.gfn);
				return -1;
			}
			last_gfn = r.gfn + r.nframes;
			owned -= r.nframes;
		}
		if (owned) {
			CHECK(0, "step %" PRIu64 ": domain %u's walk misses frames", step, d);
			return -1;
		}
	}
	return 0;
}

/*
 * shared: two maps attached to one state file take turns at random, so
 * every step first replays the other's changes from the log (and, as the
 * log fills, the checkpoints compaction writes); the "reload" step opens
 * one of them again from the file.
 */
static void test_model(uint64_t steps, uint64_t seed, int shared)
{
	struct ndctl_xen_pagemap *m = new_map(), *m2, *maps[2] = { NULL, NULL }, *upd, *one;
	struct ndctl_xen_pagemap_range r;
	uint64_t step, s, n, gfn, mfn, fit, counts[10] = { 0 }, okays = 0;
	uint32_t dom, doms[NDOM], mdoms[NDOM];
	size_t nd, mnd;
	char path[128];
	unsigned int i, op;
	int rc, want;

	snprintf(path, sizeof(path), "%s/model-map", tmpdir);
	rng = seed ? seed : 1;
	memset(model, 0, sizeof(model));
	for (i = 0; i < FRAMES; i++) {
		model[i].dom = NONE;
		model[i].in_area = model_area(i) >= 0;
	}
	for (i = 0; i < NAREAS; i++) {
		model[area_s[i]].area_start = 1;
		CHECK_EQ(ndctl_xen_pagemap_add_area(m, area_s[i], area_e[i]), 0);
	}
	if (shared) {
		snprintf(path, sizeof(path), "%s/model-shared", tmpdir);
		CHECK_EQ(ndctl_xen_pagemap_create(m, path, 0), 0);
		maps[0] = m;
		maps[1] = new_map();
		CHECK_EQ(ndctl_xen_pagemap_open(maps[1], path, 0), 0);
	}
	for (step = 0; step < steps && !h_failed; step++) {
		unsigned int which = shared ? (unsigned int)below(2) : 0;

		if (shared)
			m = maps[which];
		op = (unsigned int)below(100);
		/*
		 * A third of the changes to a shared file come from a process
		 * that opens it sparse for one change, as the CLI does; the map
		 * that saw none of it then catches up and must match the model.
		 */
		upd = m;
		one = NULL;
		if (shared && op < 87 && below(3) == 0) {
			one = new_map();
			rc = ndctl_xen_pagemap_open(one, path, NDCTL_XEN_PAGEMAP_SPARSE);
			CHECK(rc == 0, "step %" PRIu64 ": sparse open: %s", step,
					ndctl_xen_pagemap_get_error(one));
			upd = one;
		}
		dom = below(50) ? (uint32_t)below(NDOM) : 0x7ff0;
		n = below(20) ? 1 + below(48) : below(400);
		gfn = below(2000);
		s = below(FRAMES + 100);
		if (op < 30) {
			/* given frames: often right at a free frame */
			for (i = 0; i < 8 && !model_free(s % FRAMES); i++)
				s = below(FRAMES);
			want = model_assign(dom, gfn, s, n);
			/* model_assign changed the model only when it returned 0 */
			rc = ndctl_xen_pagemap_assign(upd, dom, gfn, s, n);
			CHECK(rc == want, "step %" PRIu64 ": assign(%u, %#" PRIx64 ", %#" PRIx64
					", %" PRIu64 ") = %d, model %d", step, dom, gfn, s, n, rc, want);
			counts[0]++;
		} else if (op < 50) {
			fit = n ? model_first_fit(n) : 0;
			if (dom > NDCTL_XEN_PAGEMAP_DOMID_MAX || !n)
				want = -EINVAL;
			else if (model_gfn_used(dom, gfn, n))
				want = -EEXIST;
			else if (!fit)
				want = -ENOSPC;
			else
				want = model_assign(dom, gfn, fit, n);
			mfn = 0;
			rc = ndctl_xen_pagemap_assign_any(upd, dom, gfn, n, &mfn);
			CHECK(rc == want, "step %" PRIu64 ": assign_any(%u, %" PRIu64 ") = %d, model %d",
					step, dom, n, rc, want);
			if (!rc && !want)
				CHECK(mfn == fit, "step %" PRIu64 ": first fit gave %#" PRIx64
						", model %#" PRIx64, step, mfn, fit);
			counts[1]++;
		} else if (op < 72) {
			/* release: mostly a piece of something owned */
			if (dom < NDOM && ndctl_xen_pagemap_next_domain(m, 0, &dom) == 0 && below(4)) {
				if (ndctl_xen_pagemap_find(m, s, &r) == 0 && r.domid != NONE) {
					dom = r.domid;
					s = r.mfn + below(r.nframes);
					n = 1 + below(r.mfn + r.nframes - s + (below(8) ? 0 : 3));
				}
			}
			want = model_release(dom, s, n);
			rc = ndctl_xen_pagemap_release(upd, dom, s, n);
			CHECK(rc == want, "step %" PRIu64 ": release(%u, %#" PRIx64 ", %" PRIu64
					") = %d, model %d", step, dom, s, n, rc, want);
			counts[2]++;
		} else if (op < 75) {
			uint64_t total = 0, f;

			want = dom > NDCTL_XEN_PAGEMAP_DOMID_MAX ? -EINVAL : 0;
			for (f = 0; !want && f < FRAMES; f++)
				if (model[f].dom == dom) {
					model[f].dom = NONE;
					model[f].gfn = 0;
					total++;
				}
			if (!want && !total)
				want = -ENOENT;
			rc = ndctl_xen_pagemap_release_domain(upd, dom, &n);
			CHECK(rc == want && (rc || n == total), "step %" PRIu64 ": release_domain(%u)"
					" = %d (%" PRIu64 " frames), model %d (%" PRIu64 ")", step, dom,
					rc, n, want, total);
			counts[3]++;
		} else if (op < 82) {
			n = below(10) ? 1 + below(6) : below(300);
			want = model_set_broken(s, n, 1, mdoms, &mnd);
			if (below(2)) {
				rc = ndctl_xen_pagemap_mark_broken(upd, s, n, doms, NDOM, &nd);
			} else {
				/* as a machine check: bytes, rounded out to the same frames */
				uint64_t off = n ? below(4096) : 0;

				rc = ndctl_xen_pagemap_mark_broken_phys(upd, s * 4096 + off,
						n ? n * 4096 - off - below(4096 - off) : 0, doms,
						NDOM, &nd);
				if (n == 0)
					want = -EINVAL;
			}
			CHECK(rc == want, "step %" PRIu64 ": mark_broken(%#" PRIx64 ", %" PRIu64
					") = %d, model %d", step, s, n, rc, want);
			if (!rc && !want)
				CHECK(nd == mnd && memcmp(doms, mdoms, nd * sizeof(*doms)) == 0,
						"step %" PRIu64 ": broken owners differ", step);
			counts[4]++;
		} else if (op < 87) {
			n = below(300);
			want = model_set_broken(s, n, 0, mdoms, &mnd);
			rc = ndctl_xen_pagemap_clear_broken(upd, s, n);
			CHECK(rc == want, "step %" PRIu64 ": clear_broken(%#" PRIx64 ", %" PRIu64
					") = %d, model %d", step, s, n, rc, want);
			counts[5]++;
		} else if (op < 99) {
			/* lookups read this process's view: bring it up to date */
			if (shared)
				CHECK_EQ(ndctl_xen_pagemap_refresh(m), 0);
			rc = ndctl_xen_pagemap_find(m, s, &r);
			want = s < FRAMES && model[s].in_area ? 0 : -ENOENT;
			CHECK(rc == want && (rc || (s >= r.mfn && s < r.mfn + r.nframes)),
					"step %" PRIu64 ": find(%#" PRIx64 ") = %d", step, s, rc);
			if (dom < NDOM) {
				uint64_t f, hit = FRAMES;

				for (f = 0; f < FRAMES && hit == FRAMES; f++)
					if (model[f].dom == dom && model[f].gfn == gfn)
						hit = f;
				rc = ndctl_xen_pagemap_find_gfn(m, dom, gfn, &r);
				CHECK(hit == FRAMES ? rc == -ENOENT : (rc == 0 && r.mfn + (gfn - r.gfn) ==
							hit), "step %" PRIu64 ": find_gfn(%u, %#" PRIx64 ")",
						step, dom, gfn);
			}
			counts[6]++;
		} else if (shared) {
			/* the other map catches up: the two must agree */
			CHECK_EQ(ndctl_xen_pagemap_refresh(maps[!which]), 0);
			if (compare(maps[!which], step))
				break;
			/* and one starts again from the file */
			m2 = new_map();
			rc = ndctl_xen_pagemap_open(m2, path, 0);
			CHECK(rc == 0, "step %" PRIu64 ": open: %s", step,
					ndctl_xen_pagemap_get_error(m2));
			ndctl_xen_pagemap_unref(m);
			m = maps[which] = m2;
			counts[7]++;
		} else {
			/* through the state file and back */
			CHECK_EQ(ndctl_xen_pagemap_save(m, path), 0);
			m2 = new_map();
			rc = ndctl_xen_pagemap_load(m2, path);
			CHECK(rc == 0, "step %" PRIu64 ": reload: %s", step,
					ndctl_xen_pagemap_get_error(m2));
			if (rc == 0) {
				ndctl_xen_pagemap_unref(m);
				m = m2;
			} else {
				ndctl_xen_pagemap_unref(m2);
			}
			counts[7]++;
		}
		if (one) {
			ndctl_xen_pagemap_unref(one);
			CHECK_EQ(ndctl_xen_pagemap_refresh(m), 0);
			counts[8]++;
		}
		okays += rc == 0;
		if (compare(m, step))
			break;
		if (step % 64 == 0 && compare_domains(m, step))
			break;
	}
	printf("model%s: %" PRIu64 " steps (seed %" PRIu64 "): assign %" PRIu64 ", first fit %"
			PRIu64 ", release %" PRIu64 ", release domain %" PRIu64 ", broken %" PRIu64
			", clear %" PRIu64 ", lookups %" PRIu64 ", reloads %" PRIu64 ", sparse %" PRIu64
			"; %" PRIu64
			" succeeded; ranges at the end %" PRIu64 "\n", shared ? " (two maps, one "
			"shared state file)" : "", step, seed, counts[0],
			counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
			counts[8], okays, ndctl_xen_pagemap_get_ranges(m, 0) + ndctl_xen_pagemap_get_ranges(m, 1)
			+ ndctl_xen_pagemap_get_ranges(m, 2) + ndctl_xen_pagemap_get_ranges(m, 3));
	CHECK_EQ(step, steps);
	if (shared) {
		ndctl_xen_pagemap_unref(maps[0]);
		ndctl_xen_pagemap_unref(maps[1]);
	} else {
		ndctl_xen_pagemap_unref(m);
	}
}

/* every file name in d, sorted, space-separated, dot-files included */
static void dir_names(const char *d, char *out, size_t len)
{
	char cmd[300];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | tr '\n' ' '", d);
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	pclose(f);
}

static char logged[1024];

static __attribute__((format(printf, 6, 0)))
void capture(struct ndctl_xen_ctx *c, int priority, const char *file, int line,
		const char *fn, const char *format, va_list args)
{
	size_t at = strlen(logged);

	(void)c; (void)file; (void)line; (void)fn;
	if (priority <= LOG_ERR && at < sizeof(logged) - 1)
		vsnprintf(logged + at, sizeof(logged) - at, format, args);
}

/*
 * Files and directories under the store (issue 23, items 2, 3, 5): the
 * directory is the one opened with the store, whatever is swapped in
 * along the path later; a second name is refused; a compaction that
 * cannot be made is logged at err, where an operator sees it.
 */
static void test_paths(void)
{
	char a[128], a2[128], b[128], path[160], bmap[512], other[160], names[512];
	struct ndctl_xen_pagemap *m, *c;
	uint8_t before[4096], now[4096];
	size_t blen;
	uint32_t dom;
	int i;

	snprintf(a, sizeof(a), "%s/paths-a", tmpdir);
	snprintf(a2, sizeof(a2), "%s/paths-a2", tmpdir);
	snprintf(b, sizeof(b), "%s/paths-b", tmpdir);
	snprintf(path, sizeof(path), "%s/m", a);
	snprintf(bmap, sizeof(bmap), "%s/m", b);
	CHECK(mkdir(a, 0755) == 0 && mkdir(b, 0700) == 0, "mkdir");
	m = new_map();
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x1000, 0x2000), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(m, path, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 0x1000, 4), 0);
	/*
	 * The directory swapped for a symlink to another one (say root's),
	 * holding a copy of the map: the store keeps to the directory it
	 * opened, and writes nothing in the other.
	 */
	CHECK(rename(a, a2) == 0 && symlink(b, a) == 0, "swap the directory for a symlink");
	snprintf(other, sizeof(other), "%s/m", a2);
	blen = read_bytes(other, before, sizeof(before));
	CHECK(write_bytes(bmap, before, blen) == 0, "a copy in the other directory");
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 0, 0x1100, 4), 0);
	CHECK_EQ(ndctl_xen_pagemap_compact(m), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 3, 0, 0x1200, 4), 0);
	dir_names(b, names, sizeof(names));
	CHECK(strcmp(names, "m ") == 0, "nothing new in the swapped-in directory: %s", names);
	CHECK(read_bytes(bmap, now, sizeof(now)) == blen && memcmp(before, now, blen) == 0,
			"the copy there is untouched");
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, other, NDCTL_XEN_PAGEMAP_RDONLY), 0);
	CHECK_EQ(state_at(c, 0x1200, &dom), NDCTL_XEN_PAGEMAP_ASSIGNED);
	CHECK_EQ(dom, 3);
	ndctl_xen_pagemap_unref(c);
	ndctl_xen_pagemap_unref(m);

	/* a second name: refused on open and by a map already open */
	m = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(m, other, 0), 0);
	snprintf(path, sizeof(path), "%s/hardlink", a2);
	CHECK(link(other, path) == 0, "link");
	c = new_map();
	CHECK_EQ(ndctl_xen_pagemap_open(c, path, 0), -EMLINK);
	CHECK(strstr(ndctl_xen_pagemap_get_error(c), "has 2 hard links: a state file must "
				"have one name") != NULL, "says why: %s", ndctl_xen_pagemap_get_error(c));
	CHECK_EQ(ndctl_xen_pagemap_open(c, other, 0), -EMLINK);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 4, 0, 0x1300, 1), -EMLINK);
	CHECK(unlink(path) == 0, "unlink");
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 4, 0, 0x1300, 1), 0);
	ndctl_xen_pagemap_unref(c);
	ndctl_xen_pagemap_unref(m);

	/*
	 * A compaction that cannot be made (no room for a journal's name
	 * beside a 240-character one): the updates go on, the failure is
	 * logged at err.
	 */
	memset(names, 'n', 240);
	names[240] = '\0';
	snprintf(bmap, sizeof(bmap), "%s/%s", a2, names);
	m = new_map();
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x1000, 0x2000), 0);
	CHECK_EQ(ndctl_xen_pagemap_create(m, bmap, 0), 0);
	ndctl_xen_set_log_fn(ctx, capture);
	for (i = 0; i < 1300 && !logged[0] && !h_failed; i++)
		CHECK_EQ(i % 2 ? ndctl_xen_pagemap_release(m, 5, 0x1000, 1) :
				ndctl_xen_pagemap_assign(m, 5, 0, 0x1000, 1), 0);
	ndctl_xen_set_log_fn(ctx, NULL);
	CHECK(strstr(logged, "not compacted, its log grows") != NULL,
			"a failed compaction is logged at err: '%s'", logged);
	ndctl_xen_pagemap_unref(m);
}

int main(void)
{
	const char *env;
	uint64_t steps = 100000, seed = 0x5eed;
	char cmd[96];

	if (ndctl_xen_new(&ctx))
		return 1;
	/*
	 * tmpfs when there is one: thousands of fdatasyncs of the store's
	 * tests cost nothing there (what they check is what the file holds)
	 */
	snprintf(tmpdir, sizeof(tmpdir), "%s/ndx-pagemap-test.XXXXXX",
			access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	env = getenv("NDX_PAGEMAP_N");
	if (env)
		steps = strtoull(env, NULL, 0);
	env = getenv("NDX_PAGEMAP_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);

	test_refusals();
	test_merges_and_first_fit();
	test_badblock_frames();
	test_state_file();
	test_store();
	test_paths();
	test_model(steps, seed, 0);
	/* a tenth of the steps: each one is a locked, logged, synced update */
	test_model(steps / 10, seed + 1, 1);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	ndctl_xen_unref(ctx);
	return h_report();
}
