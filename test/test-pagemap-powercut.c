// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power cuts in the page map's state file, offline: the library's
 * objects are linked into this test with the write path wrapped
 * (-Wl,--wrap: pwrite, fsync, fdatasync, ftruncate, renameat2, linkat,
 * unlinkat), and a child process making one update
 * is stopped dead at its k-th step -- a pwrite is cut after half its
 * bytes, a torn write -- for k = 1, 2, ... until the update completes
 * uncut.  After every cut the file must load as exactly the map before
 * the update or exactly the map after it (worked out in memory, without
 * the store), and the next update from another process must succeed on
 * top of it and leave nothing else beside the file (a killed
 * compaction's journal is finished or removed by it).  The production library has no hook: only this executable
 * carries the wrappers.
 *
 * Updates cut: an append to the log, an append that triggers compaction,
 * the first update of a format 1.0 file (its migration), an explicit
 * compaction, and create --force over an existing map; then the append,
 * the compacting append and the compaction again from a map opened
 * sparse (NDCTL_XEN_PAGEMAP_SPARSE, as the CLI opens a 3.0 file: a part
 * of the map, and a compaction that loads the whole file beside it).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pagemap.h"
#include "pfn-sb.h"

#define CUT_EXIT 42

static long cut_at, steps;

/* stop here, as a power cut would, when this is the step to cut */
static void step(void)
{
	if (cut_at && ++steps == cut_at)
		_exit(CUT_EXIT);
}

ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	if (cut_at && steps + 1 == cut_at) {
		/* torn: half the bytes reach the file */
		if (__real_pwrite64(fd, buf, n / 2, off) < 0)
			_exit(1);
		_exit(CUT_EXIT);
	}
	step();
	return __real_pwrite64(fd, buf, n, off);
}

#define WRAP1(ret, name, t1) \
	ret __real_##name(t1 a); ret __wrap_##name(t1 a); \
	ret __wrap_##name(t1 a) { step(); return __real_##name(a); }
#define WRAP2(ret, name, t1, t2) \
	ret __real_##name(t1 a, t2 b); ret __wrap_##name(t1 a, t2 b); \
	ret __wrap_##name(t1 a, t2 b) { step(); return __real_##name(a, b); }
#define WRAP3(ret, name, t1, t2, t3) \
	ret __real_##name(t1 a, t2 b, t3 c); ret __wrap_##name(t1 a, t2 b, t3 c); \
	ret __wrap_##name(t1 a, t2 b, t3 c) { step(); return __real_##name(a, b, c); }

WRAP1(int, fsync, int)
WRAP1(int, fdatasync, int)
WRAP2(int, ftruncate64, int, off_t)
WRAP3(int, unlinkat, int, const char *, int)

int __real_linkat(int a, const char *b, int c, const char *d, int e);
int __wrap_linkat(int a, const char *b, int c, const char *d, int e);
int __wrap_linkat(int a, const char *b, int c, const char *d, int e)
{
	step();
	return __real_linkat(a, b, c, d, e);
}

int __real_renameat2(int a, const char *b, int c, const char *d, unsigned int e);
int __wrap_renameat2(int a, const char *b, int c, const char *d, unsigned int e);
int __wrap_renameat2(int a, const char *b, int c, const char *d, unsigned int e)
{
	step();
	return __real_renameat2(a, b, c, d, e);
}

static struct ndctl_xen_ctx *ctx;
static char dir[64];

static struct ndctl_xen_pagemap *new_map(void)
{
	struct ndctl_xen_pagemap *m;

	if (ndctl_xen_pagemap_new(ctx, &m))
		exit(1);
	return m;
}

/* a map as text: every range, for comparing */
static char *dump(struct ndctl_xen_pagemap *m)
{
	struct ndctl_xen_pagemap_range r;
	uint64_t cursor = 0;
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		exit(1);
	while (ndctl_xen_pagemap_next(m, NDCTL_XEN_PAGEMAP_MASK_ALL, &cursor, &r) == 0)
		fprintf(f, "%" PRIx64 "+%" PRIx64 " %u %" PRIx64 " %u\n", r.mfn, r.nframes,
				r.domid, r.gfn, r.state);
	fclose(f);
	return buf;
}

static char *dump_file(const char *path, int *rc)
{
	struct ndctl_xen_pagemap *m = new_map();
	char why[256], *d;

	*rc = ndctl_xen_pagemap_load(m, path);
	if (!*rc && ndx_pagemap_check(m, why, sizeof(why)))
		*rc = -EUCLEAN;
	d = *rc ? NULL : dump(m);
	ndctl_xen_pagemap_unref(m);
	return d;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	if (system(cmd) != 0)
		exit(1);
}

/* the directory's entries other than the base and the map: leftovers */
static int leftovers(char *names, size_t len)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	names[0] = '\0';
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
				!strcmp(e->d_name, "base") || !strcmp(e->d_name, "map"))
			continue;
		n++;
		snprintf(names + strlen(names), len - strlen(names), " %s", e->d_name);
	}
	closedir(d);
	return n;
}

enum what { APPEND, COMPACTING_APPEND, MIGRATE, COMPACT, REPLACE,
	SPARSE_APPEND, SPARSE_COMPACTING_APPEND, SPARSE_COMPACT, NR_WHAT };

static const char *const what_name[] = {
	"an append to the log", "an append that compacts", "the first update of a 1.0 file",
	"an explicit compaction", "create --force over a map",
	"a sparse append", "a sparse append that compacts", "a sparse compaction",
};

/* the sparse scenarios are the whole ones, from a map opened sparse */
static enum what plain(enum what w)
{
	return w == SPARSE_APPEND ? APPEND : w == SPARSE_COMPACTING_APPEND ?
		COMPACTING_APPEND : w == SPARSE_COMPACT ? COMPACT : w;
}

/* the update each scenario makes (in the child, or in memory for "after") */
static int update(struct ndctl_xen_pagemap *m, enum what w, const char *path)
{
	struct ndctl_xen_pagemap *fresh;
	int rc;

	switch (plain(w)) {
	case APPEND:
	case COMPACTING_APPEND:
	case MIGRATE:
		return ndctl_xen_pagemap_assign(m, 77, 0x500, 0x10100, 3);
	case COMPACT:
		return ndctl_xen_pagemap_compact(m);
	default:
		fresh = new_map();
		rc = ndctl_xen_pagemap_add_area(fresh, 0x30000, 0x30100);
		if (!rc)
			rc = ndctl_xen_pagemap_assign(fresh, 5, 0, 0x30010, 2);
		if (!rc)
			rc = ndctl_xen_pagemap_create(fresh, path, NDCTL_XEN_PAGEMAP_REPLACE);
		ndctl_xen_pagemap_unref(fresh);
		return rc;
	}
}

/* the starting file of a scenario */
static void make_base(enum what w, const char *base)
{
	struct ndctl_xen_pagemap *m = new_map();
	uint64_t i;
	int fd;

	w = plain(w);
	CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x10000, 0x11000), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 1, 0, 0x10010, 8), 0);
	CHECK_EQ(ndctl_xen_pagemap_mark_broken(m, 0x10012, 1, NULL, 0, NULL), 0);
	if (w == MIGRATE) {
		/* format 1.0, as its writer laid it out: header, areas, ranges */
		static const uint8_t v1[64 + 16 + 5 * 32] = {
			'N', 'D', 'X', 'P', 'G', 'M', 'A', 'P', 1, 0, 0, 0, 64, 0, 0, 0,
			240, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 32, 0, 0, 0, 5,
		};
		/* mfn, nframes, gfn, owned by domain 1, broken */
		static const uint64_t ranges[5][5] = {
			{ 0x10000, 0x10, 0, 0, 0 }, { 0x10010, 2, 0, 1, 0 }, { 0x10012, 1, 2, 1, 1 },
			{ 0x10013, 5, 3, 1, 0 }, { 0x10018, 0xfe8, 0, 0, 0 },
		};
		uint8_t buf[sizeof(v1)];
		uint64_t v;
		uint32_t d;

		memcpy(buf, v1, sizeof(buf));
		v = htole64(0x10000);
		memcpy(buf + 64, &v, 8);
		v = htole64(0x11000);
		memcpy(buf + 72, &v, 8);
		for (i = 0; i < 5; i++) {
			uint8_t *p = buf + 80 + 32 * i;
			int own = ranges[i][3] != 0;

			v = htole64(ranges[i][0]);
			memcpy(p, &v, 8);
			v = htole64(ranges[i][1]);
			memcpy(p + 8, &v, 8);
			v = htole64(own ? ranges[i][2] : 0);
			memcpy(p + 16, &v, 8);
			d = htole32(own ? 1 : NDCTL_XEN_PAGEMAP_NO_DOMAIN);
			memcpy(p + 24, &d, 4);
			d = htole32((uint32_t)ranges[i][4]);
			memcpy(p + 28, &d, 4);
		}
		v = htole64(ndx_fletcher64(buf, sizeof(buf)));
		memcpy(buf + 56, &v, 8);
		fd = open(base, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write");
		close(fd);
		ndctl_xen_pagemap_unref(m);
		return;
	}
	CHECK_EQ(ndctl_xen_pagemap_create(m, base, 0), 0);
	CHECK_EQ(ndctl_xen_pagemap_assign(m, 2, 0, 0x10100, 1), 0);
	CHECK_EQ(ndctl_xen_pagemap_release(m, 2, 0x10100, 1), 0);
	/* just under the compaction threshold: 64 KiB of log */
	for (i = 0; w == COMPACTING_APPEND && i < (64 << 10) / 56 - 2; i++)
		CHECK_EQ(i % 2 ? ndctl_xen_pagemap_release(m, 3, 0x10200, 1) :
				ndctl_xen_pagemap_assign(m, 3, i, 0x10200, 1), 0);
	ndctl_xen_pagemap_unref(m);
}

static void scenario(enum what w)
{
	char base[128], path[128], other[128], names[512], *before, *after, *got, *again;
	struct ndctl_xen_pagemap *m;
	long k, nbefore = 0, nafter = 0, damaged = 0;
	struct stat st;
	off_t base_size;
	int rc, status;

	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(path, sizeof(path), "%s/map", dir);
	make_base(w, base);
	before = dump_file(base, &rc);
	CHECK(rc == 0, "%s: the base loads (%d)", what_name[w], rc);
	base_size = stat(base, &st) == 0 ? st.st_size : 0;
	/* after: the update applied to a snapshot, in memory */
	m = new_map();
	CHECK_EQ(ndctl_xen_pagemap_load(m, base), 0);
	if (w == REPLACE) {
		ndctl_xen_pagemap_unref(m);
		m = new_map();
		CHECK_EQ(ndctl_xen_pagemap_add_area(m, 0x30000, 0x30100), 0);
		CHECK_EQ(ndctl_xen_pagemap_assign(m, 5, 0, 0x30010, 2), 0);
	} else if (plain(w) != COMPACT) {
		CHECK_EQ(update(m, w, NULL), 0);
	}
	after = dump(m);
	ndctl_xen_pagemap_unref(m);
	CHECK(strcmp(before, after) != 0 || plain(w) == COMPACT, "%s changes the map",
			what_name[w]);

	for (k = 1; !h_failed; k++) {
		pid_t pid;

		copy_file(base, path);
		pid = fork();
		if (pid == 0) {
			m = new_map();
			/* opened uncut: the cut is in the update */
			if (w != REPLACE && ndctl_xen_pagemap_open(m, path, w == plain(w) ? 0 :
						NDCTL_XEN_PAGEMAP_SPARSE))
				_exit(1);
			cut_at = k;
			steps = 0;
			rc = update(m, w, path);
			cut_at = 0;
			_exit(rc ? 2 : 0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
		rc = WEXITSTATUS(status);
		CHECK(rc == 0 || rc == CUT_EXIT, "%s, cut at step %ld: the child exited %d",
				what_name[w], k, rc);
		got = dump_file(path, &rc);
		if (got && strcmp(got, before) == 0)
			nbefore++;
		else if (got && strcmp(got, after) == 0)
			nafter++;
		else
			damaged++;
		CHECK(got && (strcmp(got, before) == 0 || strcmp(got, after) == 0),
				"%s, cut at step %ld: the map is neither before nor after (load %d)",
				what_name[w], k, rc);
		/* the next updater carries on from whatever the cut left */
		m = new_map();
		CHECK_EQ(ndctl_xen_pagemap_open(m, path, 0), 0);
		CHECK_EQ(ndctl_xen_pagemap_assign(m, 88, 0, 0x10ff0, 1), w == REPLACE &&
				got && strcmp(got, after) == 0 ? -ERANGE : 0);
		ndctl_xen_pagemap_unref(m);
		/* and nothing a killed writer left stays beside the file */
		CHECK(leftovers(names, sizeof(names)) == 0, "%s, cut at step %ld: left beside "
				"the map after the next update:%s", what_name[w], k, names);
		m = new_map();
		CHECK_EQ(ndctl_xen_pagemap_load(m, path), 0);
		again = dump(m);
		CHECK(strcmp(again, got ? got : "") != 0 || (w == REPLACE && got &&
					strcmp(got, after) == 0), "%s, cut at step %ld: the next "
				"update is not in the file", what_name[w], k);
		free(again);
		ndctl_xen_pagemap_unref(m);
		free(got);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break; /* the update ran to its end: every step was cut once */
	}
	if (plain(w) == COMPACTING_APPEND) {
		/* the uncut run did compact: a smaller file than the base */
		CHECK(stat(path, &st) == 0 && st.st_size < base_size, "%s: compacted (%lld "
				"bytes, base %lld)", what_name[w], (long long)st.st_size,
				(long long)base_size);
	}
	printf("power cuts in %s: cut at each of its %ld steps, then run uncut; the map "
			"as before %ld, as after %ld, damaged %ld\n", what_name[w], k - 1, nbefore,
			nafter, damaged);
	/* a compaction changes no range: every cut reads as "before" */
	CHECK(plain(w) == COMPACT || (nbefore > 0 && nafter > 0), "%s: cuts land on both sides",
			what_name[w]);
	CHECK_EQ(damaged, 0);
	snprintf(other, sizeof(other), "rm -f '%s'/*", dir);
	if (system(other) != 0)
		CHECK(0, "clean %s", dir);
	free(before);
	free(after);
}

int main(void)
{
	char cmd[96];
	int w;

	if (ndctl_xen_new(&ctx))
		return 1;
	/* tmpfs if there is one: what survives a killed process is the file */
	snprintf(dir, sizeof(dir), "%s/ndx-powercut.XXXXXX",
			access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	for (w = APPEND; w < NR_WHAT && !h_failed; w++)
		scenario((enum what)w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	ndctl_xen_unref(ctx);
	return h_report();
}
