// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The page map's durable store: a state file that several processes
 * update at once.
 *
 * A state file (format 3.0, pagemap-sparse.c; 2.0 before it) is a
 * checkpoint -- the whole map, as format 1.0 stored it, plus the domain
 * index and a sequence number (3.0: and a first-fit index, chunk
 * checksums and the totals) -- followed by an append-only log of the
 * operations made since, one checksummed 56-byte record each.  An update
 * is:
 *
 *   flock(LOCK_EX) on the file (and check that the path still names the
 *   inode locked: a compaction renames a new file over it)
 *   -> catch up: apply the records other processes appended since this
 *      process last looked (or reload, if the file was replaced)
 *   -> check and apply the change in memory (pagemap.c)
 *   -> append its record, fdatasync
 *   -> unlock
 *
 * so the lock covers reading what others changed, the change and making
 * it durable, and an update costs O(log n) plus one small write and one
 * fdatasync whatever the map's size.  When the log outgrows an eighth of
 * the checkpoint (64 KiB at least) the updater writes a new checkpoint
 * beside the file, fsyncs it, renames it over the file and fsyncs the
 * directory, still under the lock: compaction is amortised O(1) per
 * update and bounds the replay on open.
 *
 * Power cuts: a record is applied only if it is whole, its checksum
 * (which also covers the map's id) holds and its sequence number is the
 * next one, so a torn append is no update at all; the next updater
 * truncates it away under the lock.  A checkpoint is only ever written to
 * a new file and renamed, so a cut leaves the old file or the new one.
 *
 * Format 1.0 files (a checkpoint without a log) and 2.0 files load as
 * before and are rewritten as 3.0 by their first update, atomically, with
 * the update in.  A map opened sparse (NDCTL_XEN_PAGEMAP_SPARSE, a 3.0
 * file) goes through the same steps with a view of the file instead of
 * the whole tree: apply() hands each change to pagemap-sparse.c.
 *
 * Paths: the state file must be a regular file (symlinks are followed and
 * the link kept: the target is what is locked, appended to and replaced);
 * anything else is refused before it is opened for reading or writing,
 * and the open is non-blocking so that a FIFO swapped in cannot hang us.
 * A new checkpoint gets the old file's owner, group and mode.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "pagemap-file.h"
#include "private.h"

/*
 * Format 1.0, all fields little-endian:
 *   header, 64 bytes:
 *     0  magic "NDXPGMAP"          8  le16 version major (1), le16 minor (0)
 *    12  le32 header size (64)    16  le64 file size
 *    24  le32 number of areas     28  le32 range record size (32)
 *    32  le64 number of ranges    40  16 bytes zero
 *    56  le64 checksum: fletcher64 of the whole file with this field zero
 *   areas, 16 bytes each, in frame order: le64 smfn, le64 emfn
 *   ranges, 32 bytes each, in frame order, covering every area:
 *     le64 mfn, le64 nframes, le64 gfn, le32 domid, le32 flags (bit 0 broken)
 *
 * Format 2.0: a checkpoint, then the log.
 *   header, 96 bytes:
 *     0  magic "NDXPGMAP"          8  le16 version major (2), le16 minor (0)
 *    12  le32 header size (96)    16  le64 checkpoint size (where the log starts)
 *    24  le32 number of areas     28  le32 range record size (32)
 *    32  le64 number of ranges    40  le64 number of owned ranges
 *    48  le64 sequence number: operations the checkpoint includes
 *    56  le64 checksum: fletcher64 of the checkpoint with this field zero
 *    64  map id, 16 bytes: random at creation, kept by compaction
 *    80  16 bytes zero
 *   areas and ranges as in 1.0
 *   domain index: le64 place of each owned range in the ranges (0 is
 *     the first), in (domid, gfn) order (so a load builds both trees in
 *     O(n), without a sort or a search)
 *   log records, 56 bytes each, from the checkpoint's end to the file's:
 *     0  magic "NDXL"      4  le16 operation, le16 flags (0)
 *     8  le64 sequence number (the checkpoint's + 1, + 2, ...)
 *    16  le64 mfn         24  le64 nframes      32  le64 gfn
 *    40  le32 domid       44  le32 zero
 *    48  le64 checksum: fletcher64 of bytes 0-47 followed by the map id
 *
 * Format 3.0: a 256-byte header (the 2.0 fields at the same places, the
 * checksum over the head only, then chunk size, fan-out, number of
 * chunks, the totals), the areas, the body's chunk checksums, the body
 * (ranges, domain index, first-fit index) and the log as in 2.0; see
 * pagemap-sparse.c and libndctl-xen(3).
 */
/* a state file larger than this is not ours (2^25 ranges and their log) */
#define PM_MAX_FILE (PM_HEADER_3 + (1ull << 32))
/*
 * Compact when the log passes an eighth of the checkpoint, 64 KiB at
 * least: amortised O(1) per update for processes that hold the map open.
 * A sparse view replays the whole log on every open, so an update made
 * through one compacts when the log passes 32 KiB (585 records, a few ms
 * to replay): its O(n) compaction is amortised over 585 updates.
 */
#define PM_LOG_MIN (64u << 10)
#define PM_LOG_SPARSE (32u << 10)

struct ndx_store {
	char *path;         /* as the caller gave it, for messages */
	char *target;       /* the regular file it names, symlinks followed */
	int fd;             /* -1: a loaded snapshot, not attached */
	int writable;
	dev_t dev;
	ino_t ino;
	off_t size;         /* a snapshot's file size when loaded (stale check) */
	unsigned int major; /* 1, 2 or 3 */
	int want_sparse;    /* opened with NDCTL_XEN_PAGEMAP_SPARSE */
	struct ndx_sparse *sparse; /* a 3.0 file opened sparse: the map is a part */
	uint8_t id[16];
	uint64_t seq;       /* operations applied */
	uint64_t ckpt_end;  /* the log starts here */
	uint64_t log_end;   /* the end of the last record applied */
	int damaged;        /* memory no longer matches the file: refuse */
};

#define fail ndx_pm_fail

/* ---- paths and descriptors ---- */

/*
 * The regular file path names, symlinks followed.  A path that does not
 * exist yet (must_exist 0) resolves to its directory's real path plus its
 * name; a dangling symlink is refused rather than created through.
 */
static int resolve(struct ndctl_xen_pagemap *map, const char *path, int must_exist,
		char **target)
{
	char *copy = NULL, *dir, *base, *real;
	struct stat st;
	int rc;

	real = realpath(path, NULL);
	if (real) {
		if (stat(real, &st) < 0) {
			rc = fail(map, -errno, "%s: %s", path, strerror(errno));
			free(real);
			return rc;
		}
		if (!S_ISREG(st.st_mode)) {
			free(real);
			return fail(map, -ENOMSG, "%s: not a regular file", path);
		}
		*target = real;
		return 0;
	}
	if (errno != ENOENT || must_exist)
		return fail(map, -errno, "%s: %s", path, strerror(errno));
	if (lstat(path, &st) == 0)
		return fail(map, -ENOENT, "%s: a symlink to a missing file", path);
	copy = strdup(path);
	base = copy ? strdup(path) : NULL;
	if (!base) {
		free(copy);
		return fail(map, -ENOMEM, "out of memory");
	}
	dir = realpath(dirname(copy), NULL);
	rc = dir ? 0 : fail(map, -errno, "%s: %s", path, strerror(errno));
	if (!rc && asprintf(target, "%s/%s", strcmp(dir, "/") ? dir : "",
				basename(base)) < 0)
		rc = fail(map, -ENOMEM, "out of memory");
	free(dir);
	free(copy);
	free(base);
	return rc;
}

/* open target, never blocking, and only if it is a regular file */
static int open_regular(struct ndctl_xen_pagemap *map, const char *path,
		const char *target, int writable, struct stat *st)
{
	int fd, rc;

	fd = open(target, (writable ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(map, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		rc = fail(map, -ENOMSG, "%s: not a regular file", path);
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * A write's error as the store returns it: -ENOSPC is the map's own "no
 * free run" (a refusal), so a full file system is -EIO, the message
 * (strerror of the real error) saying which.
 */
static int io_error(int rc)
{
	return rc == -ENOSPC ? -EIO : rc;
}

static int read_at(int fd, uint8_t *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t r = pread(fd, buf, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG;
		buf += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

static int write_at(int fd, const uint8_t *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, buf, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static int fsync_dir_of(const char *target)
{
	char *copy = strdup(target);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

static int do_flock(int fd, int how)
{
	while (flock(fd, how) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Lock the store's file; a compaction or a replacement may have renamed
 * a new file over the path while we waited, so lock, then check that the
 * path still names the inode locked, and if not start again on the new
 * one.  *reopened tells the caller its view of the file is gone.
 */
static int lock_store(struct ndctl_xen_pagemap *map, struct ndx_store *s, int how,
		int *reopened)
{
	struct stat fst, pst;
	int rc, fd;

	*reopened = 0;
	for (;;) {
		rc = do_flock(s->fd, how);
		if (rc)
			return fail(map, rc, "%s: cannot lock: %s", s->path, strerror(-rc));
		if (fstat(s->fd, &fst) < 0)
			return fail(map, -errno, "%s: %s", s->path, strerror(errno));
		if (stat(s->target, &pst) < 0) {
			rc = fail(map, -errno, "%s: %s", s->path, strerror(errno));
			flock(s->fd, LOCK_UN);
			return rc;
		}
		if (fst.st_nlink && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
			return 0;
		if (!S_ISREG(pst.st_mode)) {
			/* something else was put in its place: not opened at all */
			flock(s->fd, LOCK_UN);
			return fail(map, -ENOMSG, "%s: not a regular file", s->path);
		}
		fd = open_regular(map, s->path, s->target, s->writable, &pst);
		if (fd < 0) {
			flock(s->fd, LOCK_UN);
			return fd;
		}
		close(s->fd); /* and its lock */
		s->fd = fd;
		s->dev = pst.st_dev;
		s->ino = pst.st_ino;
		*reopened = 1;
	}
}

static void unlock_store(struct ndx_store *s)
{
	flock(s->fd, LOCK_UN);
}

/* ---- checkpoints ---- */

uint64_t ndx_pm_checksum_at56(uint8_t *buf, size_t len)
{
	uint8_t saved[8];
	uint64_t sum;

	memcpy(saved, buf + PM_CHECKSUM_AT, 8);
	memset(buf + PM_CHECKSUM_AT, 0, 8);
	sum = ndx_fletcher64(buf, len);
	memcpy(buf + PM_CHECKSUM_AT, saved, 8);
	return sum;
}

/*
 * The header of a 1.0, 2.0 or 3.0 file of len bytes, checksum included
 * (1.0, 2.0: of the whole checkpoint; 3.0: of its head, the chunks are
 * checked where they are read).
 */
static int check_header(struct ndctl_xen_pagemap *map, const char *path,
		uint8_t *buf, size_t len, struct ndx_pm_header *h)
{
	static const unsigned int hsizes[] = { 0, PM_HEADER_1, PM_HEADER_2, PM_HEADER_3 };
	uint64_t hsize, sum_len;

	memset(h, 0, sizeof(*h));
	if (len < 8 || memcmp(buf, PM_MAGIC, 8) != 0)
		return fail(map, -ENOMSG, "%s: not an ndctl-xen page map (no %s magic)",
				path, PM_MAGIC);
	if (len < PM_HEADER_1)
		return fail(map, -EBADMSG, "%s: damaged: %zu bytes, shorter than the %u-byte "
				"header", path, len, PM_HEADER_1);
	h->major = get16(buf + 8);
	if (h->major < 1 || h->major > 3)
		return fail(map, -EPROTONOSUPPORT, "%s: page map version %u.%u is not "
				"supported (only 1.x, 2.x and 3.x)", path, get16(buf + 8),
				get16(buf + 10));
	hsize = hsizes[h->major];
	h->ckpt_end = get64(buf + 16);
	/* 1.0: the size is the file's; 2.0, 3.0: the checkpoint's, the log follows */
	if (h->major == 1 ? h->ckpt_end != len : h->ckpt_end > len || h->ckpt_end < hsize)
		return fail(map, -EBADMSG, "%s: damaged: the header says %llu bytes, the file "
				"has %zu", path, (unsigned long long)h->ckpt_end, len);
	h->nareas = get32(buf + 24);
	h->nranges = get64(buf + 32);
	if (h->major >= 2) {
		h->nowned = get64(buf + 40);
		h->seq = get64(buf + 48);
		memcpy(h->id, buf + 64, 16);
	}
	if (get32(buf + 12) != hsize || get32(buf + 28) != PM_RANGE)
		return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
				"file's size", path);
	if (h->major == 3) {
		if (ndx_pm_v3_parse(buf, h->ckpt_end, h))
			return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
					"file's size", path);
		sum_len = h->head_len;
	} else {
		h->areas_at = hsize;
		h->ranges_at = hsize + h->nareas * PM_AREA;
		h->dom_at = h->ranges_at + h->nranges * PM_RANGE;
		if (h->nranges > (h->ckpt_end - hsize) / PM_RANGE || h->nowned > h->nranges ||
				h->nareas > (h->ckpt_end - hsize) / PM_AREA ||
				h->dom_at + h->nowned * PM_DOM != h->ckpt_end)
			return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
					"file's size", path);
		sum_len = h->ckpt_end;
	}
	if (get64(buf + PM_CHECKSUM_AT) != ndx_pm_checksum_at56(buf, sum_len))
		return fail(map, -EBADMSG, "%s: damaged: bad checksum %#llx, expected %#llx",
				path, (unsigned long long)get64(buf + PM_CHECKSUM_AT),
				(unsigned long long)ndx_pm_checksum_at56(buf, sum_len));
	return 0;
}

struct rec_src {
	const char *path;
	const uint8_t *ranges;
};

/* range i of a checkpoint, straight from the file's bytes */
static int get_rec(void *arg, uint64_t i, struct ndx_pm_rec *rec, char *why, size_t len)
{
	const struct rec_src *src = arg;
	int rc = ndx_pm_decode_range(src->ranges + i * PM_RANGE, rec);

	if (rc)
		snprintf(why, len, "range %llu (frame %#llx) has unknown flags",
				(unsigned long long)i, (unsigned long long)rec->mfn);
	return rc;
}

/* the checkpoint's records into the (empty) map */
static int load_checkpoint(struct ndctl_xen_pagemap *map, const char *path,
		const uint8_t *buf, const struct ndx_pm_header *h)
{
	const uint8_t *p = buf + h->areas_at;
	struct rec_src src = { path, buf + h->ranges_at };
	uint64_t *areas, *by_dom = NULL, i;
	char why[200];
	int rc;

	if (h->major == 3) {
		rc = ndx_pm_v3_verify(buf, h, why, sizeof(why));
		if (rc)
			return fail(map, rc, "%s: damaged: %s", path, why);
	}
	areas = calloc(h->nareas ? 2 * h->nareas : 1, sizeof(*areas));
	if (h->major >= 2)
		by_dom = calloc(h->nowned ? h->nowned : 1, sizeof(*by_dom));
	if (!areas || (h->major >= 2 && !by_dom)) {
		rc = fail(map, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < h->nareas; i++, p += PM_AREA) {
		areas[2 * i] = get64(p);
		areas[2 * i + 1] = get64(p + 8);
	}
	p = buf + h->dom_at;
	for (i = 0; by_dom && i < h->nowned; i++, p += PM_DOM)
		by_dom[i] = get64(p);
	rc = ndx_pm_build(map, areas, h->nareas, get_rec, &src, h->nranges, by_dom,
			h->nowned, why, sizeof(why));
	if (rc == -EBADMSG)
		fail(map, rc, "%s: damaged: %s", path, why);
	else if (rc)
		fail(map, rc, "%s: %s", path, why);
out:
	free(areas);
	free(by_dom);
	return rc;
}

/* ---- the log ---- */

/* one change to the map in memory: through the sparse view if it is one */
static int apply(struct ndctl_xen_pagemap *map, struct ndx_store *s, struct ndx_pm_op *op)
{
	return s->sparse ? ndx_sparse_apply(map, s->sparse, op) : ndx_pm_apply(map, op);
}

static uint64_t rec_checksum(const uint8_t *rec, const uint8_t *id)
{
	uint8_t buf[48 + 16];

	memcpy(buf, rec, 48);
	memcpy(buf + 48, id, 16);
	return ndx_fletcher64(buf, sizeof(buf));
}

static void encode_rec(uint8_t *rec, const struct ndx_pm_op *op, uint64_t seq,
		const uint8_t *id)
{
	memset(rec, 0, PM_REC);
	memcpy(rec, PM_REC_MAGIC, 4);
	put16(rec + 4, (uint16_t)op->type);
	put64(rec + 8, seq);
	put64(rec + 16, op->mfn);
	put64(rec + 24, op->nframes);
	put64(rec + 32, op->gfn);
	put32(rec + 40, op->domid);
	put64(rec + 48, rec_checksum(rec, id));
}

/* a whole record of this map with the expected sequence number */
static int rec_valid(const uint8_t *rec, const uint8_t *id, uint64_t seq)
{
	return memcmp(rec, PM_REC_MAGIC, 4) == 0 && get64(rec + 8) == seq &&
		get64(rec + 48) == rec_checksum(rec, id);
}

/*
 * Apply the records in buf (the file from offset off on), those with a
 * sequence number above s->seq.  Every append is synced before the lock
 * is released, so a crash can tear only the last record: bytes after the
 * last whole record (fewer than a record), or a last whole record that
 * is not valid, are a torn append, no update, and s->log_end stops before
 * them.  An invalid record with anything after it is damage inside the
 * log (a zeroed block hides 73 records): refused, never cut off.
 */
static int replay(struct ndctl_xen_pagemap *map, struct ndx_store *s, const uint8_t *buf,
		size_t len, uint64_t off, uint64_t first_seq)
{
	uint64_t seq = first_seq;
	size_t at = 0;
	int rc;

	for (; at + PM_REC <= len; at += PM_REC, seq++) {
		const uint8_t *rec = buf + at;
		struct ndx_pm_op op = { 0 };

		if (!rec_valid(rec, s->id, seq)) {
			if (at + PM_REC < len)
				return fail(map, -EBADMSG, "%s: damaged: log record %llu at byte "
						"%llu is not valid and %llu bytes follow it (only "
						"the last record can be torn by a crash)", s->path,
						(unsigned long long)seq,
						(unsigned long long)(off + at),
						(unsigned long long)(len - at - PM_REC));
			break;
		}
		if (seq <= s->seq)
			continue; /* already in the map: read again after a compaction */
		op.type = (enum ndx_pm_op_type)get16(rec + 4);
		op.mfn = get64(rec + 16);
		op.nframes = get64(rec + 24);
		op.gfn = get64(rec + 32);
		op.domid = get32(rec + 40);
		if (op.type == NDX_OP_ASSIGN_ANY || get16(rec + 6) || get32(rec + 44))
			return fail(map, -EBADMSG, "%s: damaged: log record %llu has an unknown "
					"operation or flags", s->path, (unsigned long long)seq);
		rc = apply(map, s, &op);
		if (rc == -EBADMSG)
			return rc; /* the sparse view's checkpoint is damaged: said so */
		if (rc) {
			char why[256];

			snprintf(why, sizeof(why), "%s", ndctl_xen_pagemap_get_error(map));
			return fail(map, -EBADMSG, "%s: damaged: log record %llu does not apply: "
					"%s", s->path, (unsigned long long)seq, why);
		}
		s->seq = seq;
	}
	s->log_end = off + at;
	return 0;
}

/* ---- whole files ---- */

/* read all of fd (size bytes) and load it into the empty map */
static int load_fd(struct ndctl_xen_pagemap *map, struct ndx_store *s, off_t size)
{
	struct ndx_pm_header h;
	uint8_t *buf;
	int rc;

	if ((uint64_t)size > PM_MAX_FILE)
		return fail(map, -ENOMSG, "%s: %llu bytes is too large for a page map", s->path,
				(unsigned long long)size);
	/*
	 * Mapped, not read: a million ranges are 40 MiB that need not be
	 * copied; private and writable because the checksum is computed with
	 * its own field zeroed in place (one page copied).  An empty file
	 * cannot be mapped, and is not a page map either.
	 */
	if (!size)
		return fail(map, -ENOMSG, "%s: not an ndctl-xen page map (no %s magic)",
				s->path, PM_MAGIC);
	buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, s->fd, 0);
	if (buf == MAP_FAILED)
		return fail(map, -errno, "%s: cannot map it: %s", s->path, strerror(errno));
	rc = 0;
	if (!rc)
		rc = check_header(map, s->path, buf, (size_t)size, &h);
	if (!rc && h.major == 3 && s->want_sparse)
		rc = ndx_sparse_open(map, s->path, s->fd, &h, &s->sparse);
	else if (!rc)
		rc = load_checkpoint(map, s->path, buf, &h);
	if (!rc) {
		s->major = h.major;
		memcpy(s->id, h.id, 16);
		s->seq = h.seq;
		s->ckpt_end = h.ckpt_end;
		rc = replay(map, s, buf + h.ckpt_end, (size_t)size - h.ckpt_end, h.ckpt_end,
				h.seq + 1);
	}
	if (rc) {
		ndx_pm_empty(map);
		ndx_sparse_free(s->sparse);
		s->sparse = NULL;
	}
	munmap(buf, (size_t)size);
	return rc;
}

static int reload(struct ndctl_xen_pagemap *map, struct ndx_store *s)
{
	struct stat st;

	ndx_pm_empty(map);
	ndx_sparse_free(s->sparse);
	s->sparse = NULL;
	if (fstat(s->fd, &st) < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	return load_fd(map, s, st.st_size);
}

/*
 * Under the lock: bring the map up to what the file holds.  A writer
 * also cuts off a torn tail, whose writer is dead (it held the lock).
 */
static int catch_up(struct ndctl_xen_pagemap *map, struct ndx_store *s, int reopened)
{
	uint8_t head[PM_HEADER_2];
	uint64_t first = s->seq + 1;
	struct stat st;
	uint8_t *buf;
	size_t len;
	int rc;

	if (fstat(s->fd, &st) < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	if (reopened) {
		/*
		 * The same map compacted: its log from where we are; else (or
		 * when the view is sparse, mapped from the old file) reload.
		 */
		if (s->major == 1 || s->sparse || st.st_size < (off_t)PM_HEADER_2 ||
				read_at(s->fd, head, sizeof(head), 0) ||
				memcmp(head, PM_MAGIC, 8) || get16(head + 8) < 2 ||
				get16(head + 8) > 3 ||
				memcmp(head + 64, s->id, 16) || get64(head + 48) > s->seq ||
				get64(head + 16) > (uint64_t)st.st_size)
			return reload(map, s);
		s->major = get16(head + 8);
		s->ckpt_end = get64(head + 16);
		s->log_end = s->ckpt_end;
		first = get64(head + 48) + 1;
	} else if (s->major == 1 || (uint64_t)st.st_size < s->log_end) {
		/* a 1.0 file is never appended to; a shorter file is not ours */
		if (s->major == 1 && (uint64_t)st.st_size == s->log_end)
			return 0;
		return reload(map, s);
	}
	if ((uint64_t)st.st_size > s->log_end) {
		len = (size_t)((uint64_t)st.st_size - s->log_end);
		buf = malloc(len);
		if (!buf)
			return fail(map, -ENOMEM, "out of memory");
		rc = read_at(s->fd, buf, len, (off_t)s->log_end);
		if (rc)
			fail(map, rc, "%s: read failed: %s", s->path, strerror(-rc));
		else
			rc = replay(map, s, buf, len, s->log_end, first);
		free(buf);
		if (rc)
			return rc;
	}
	if (s->writable && (uint64_t)st.st_size > s->log_end &&
			ftruncate(s->fd, (off_t)s->log_end) < 0)
		return fail(map, -errno, "%s: cannot cut off a torn update: %s", s->path,
				strerror(errno));
	return 0;
}

/*
 * Write the map as a 2.0 checkpoint to a new file beside s->target and
 * rename it over the target (replace) or only where nothing is (no
 * replace: -EEXIST).  The new file takes the old one's owner, group and
 * mode (old: its fstat, or NULL for a new file) and is locked before it
 * is visible, so no one updates it before we are done.  On success
 * *newfd is the new file, locked, open read-write.
 */
static int write_checkpoint(struct ndctl_xen_pagemap *map, const char *path,
		const char *target, const struct stat *old, const uint8_t *id, uint64_t seq,
		int replace, int *newfd, uint64_t *ckpt_end)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t len;
	char *tmp;
	int fd, rc;

	rc = ndx_pm_encode_v3(map, id, seq, &buf, &len);
	if (rc)
		return rc;
	if (asprintf(&tmp, "%s.XXXXXX", target) < 0) {
		free(buf);
		return fail(map, -ENOMEM, "out of memory");
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(map, -errno, "%s: cannot create a temporary file beside it: %s",
				path, strerror(errno));
		free(tmp);
		free(buf);
		return rc;
	}
	rc = do_flock(fd, LOCK_EX);
	/*
	 * A toolstack group that shares the map must keep its access: the new
	 * file gets the old one's owner and group (ours, or a setgid
	 * directory's, otherwise), and its mode.
	 */
	if (!rc && old && fstat(fd, &st) < 0)
		rc = -errno;
	if (!rc && old && (st.st_uid != old->st_uid || st.st_gid != old->st_gid) &&
			fchown(fd, old->st_uid, old->st_gid) < 0)
		rc = -errno;
	if (!rc && old && fchmod(fd, old->st_mode & 07777) < 0)
		rc = -errno;
	if (rc) {
		fail(map, rc, "%s: cannot give the new file the old one's owner, group and "
				"mode: %s", path, strerror(-rc));
		goto out;
	}
	rc = write_at(fd, buf, len, 0);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && replace && rename(tmp, target) < 0)
		rc = -errno;
	if (!rc && !replace && renameat2(AT_FDCWD, tmp, AT_FDCWD, target,
				RENAME_NOREPLACE) < 0) {
		rc = -errno;
		/* file systems without RENAME_NOREPLACE: link() refuses too */
		if (rc == -EINVAL && link(tmp, target) == 0) {
			rc = 0;
			unlink(tmp);
		}
	}
	if (rc) {
		fail(map, rc, rc == -EEXIST ? "%s exists" : "%s: cannot write: %s", path,
				strerror(-rc));
		rc = io_error(rc);
		goto out;
	}
	/*
	 * The rename is done and visible: from here the new file is the map,
	 * so a failing directory sync is only logged (the caller's view must
	 * follow the file, not the other way round).
	 */
	rc = fsync_dir_of(target);
	if (rc)
		dbg(ndx_pm_ctx(map), "%s: written, but syncing its directory failed: %s\n",
				path, strerror(-rc));
	*newfd = fd;
	*ckpt_end = len;
	free(tmp);
	free(buf);
	return 0;
out:
	unlink(tmp);
	close(fd);
	free(tmp);
	free(buf);
	return rc;
}

/* under the lock: a new checkpoint, s moved onto it */
static int checkpoint_store(struct ndctl_xen_pagemap *map, struct ndx_store *s,
		uint64_t seq)
{
	uint64_t ckpt_end;
	struct stat st;
	int fd, rc;

	if (fstat(s->fd, &st) < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	rc = write_checkpoint(map, s->path, s->target, &st, s->id, seq, 1, &fd, &ckpt_end);
	if (rc)
		return rc;
	if (fstat(fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	close(s->fd); /* the old inode's lock: waiters find the path moved */
	s->fd = fd;
	s->writable = 1;
	s->major = 3;
	s->seq = seq;
	s->ckpt_end = s->log_end = ckpt_end;
	return 0;
}

/*
 * Under the lock: a new checkpoint of a sparse view's file.  The view
 * holds a part of the map only, so the whole map is loaded (file and
 * log) beside it, written, and the view opened again on the new file.
 */
static int compact_sparse(struct ndctl_xen_pagemap *map, struct ndx_store *s)
{
	struct ndctl_xen_pagemap *full;
	struct ndx_store whole = *s;
	struct stat st;
	int rc;

	whole.sparse = NULL;
	whole.want_sparse = 0;
	if (ndctl_xen_pagemap_new(ndx_pm_ctx(map), &full))
		return fail(map, -ENOMEM, "out of memory");
	rc = fstat(s->fd, &st) < 0 ? -errno : 0;
	if (!rc)
		rc = load_fd(full, &whole, st.st_size);
	if (!rc)
		rc = checkpoint_store(full, &whole, whole.seq);
	if (rc) {
		fail(map, rc, "%s", ndctl_xen_pagemap_get_error(full));
		ndctl_xen_pagemap_unref(full);
		return rc;
	}
	ndctl_xen_pagemap_unref(full);
	/* checkpoint_store closed s->fd: the view follows the new file */
	s->fd = whole.fd;
	s->dev = whole.dev;
	s->ino = whole.ino;
	s->major = 3;
	rc = reload(map, s);
	if (rc)
		s->damaged = 1;
	return rc;
}

static int compact(struct ndctl_xen_pagemap *map, struct ndx_store *s, uint64_t seq)
{
	return s->sparse ? compact_sparse(map, s) : checkpoint_store(map, s, seq);
}

static struct ndx_store *store_new(struct ndctl_xen_pagemap *map, const char *path,
		char *target)
{
	struct ndx_store *s = calloc(1, sizeof(*s));

	if (s)
		s->path = strdup(path);
	if (!s || !s->path) {
		free(s);
		free(target);
		fail(map, -ENOMEM, "out of memory");
		return NULL;
	}
	s->target = target;
	s->fd = -1;
	return s;
}

void ndx_store_free(struct ndx_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ndx_sparse_free(s->sparse);
	free(s->path);
	free(s->target);
	free(s);
}

/* a snapshot (load) is not attached: its updates stay in memory */
static int attached(const struct ndx_store *s)
{
	return s && s->fd >= 0;
}

/* ---- updates ---- */

/*
 * Lock (how: LOCK_SH to read, LOCK_EX to change) and catch up; on 0 the
 * caller holds the lock and the map is the file's.
 */
static int begin(struct ndctl_xen_pagemap *map, struct ndx_store *s, int how)
{
	int rc, reopened;

	if (!attached(s))
		return fail(map, -EBADF, "the map is not attached to a state file");
	if (how == LOCK_EX && !s->writable)
		return fail(map, -EBADF, "%s: opened read-only", s->path);
	if (s->damaged)
		return fail(map, -EIO, "%s: the map could not be brought up to date; open "
				"it again", s->path);
	rc = lock_store(map, s, how, &reopened);
	if (rc)
		return rc;
	rc = catch_up(map, s, reopened);
	if (rc) {
		/* memory may hold half a catch-up: never update or read from it */
		s->damaged = 1;
		unlock_store(s);
	}
	return rc;
}

int ndx_store_update(struct ndctl_xen_pagemap *map, struct ndx_pm_op *op)
{
	struct ndx_store *s = ndx_pm_store(map);
	uint8_t rec[PM_REC];
	int rc;

	if (!attached(s))
		return ndx_pm_apply(map, op);
	rc = begin(map, s, LOCK_EX);
	if (rc)
		return rc;
	rc = apply(map, s, op);
	if (rc)
		goto out; /* refused: nothing changed, nothing written */
	if (s->major != 3) {
		/*
		 * The first update of a 1.0 or 2.0 file (loaded whole): carried
		 * over as 3.0, with it, atomically.
		 */
		if (s->major == 1)
			uuid_generate(s->id);
		rc = checkpoint_store(map, s, s->seq + 1);
	} else {
		encode_rec(rec, op, s->seq + 1, s->id);
		rc = write_at(s->fd, rec, PM_REC, (off_t)s->log_end);
		if (!rc && fdatasync(s->fd) < 0)
			rc = -errno;
		if (rc) {
			fail(map, rc, "%s: cannot write: %s", s->path, strerror(-rc));
			rc = io_error(rc);
			/* never leave an update others could read but we refused */
			if (ftruncate(s->fd, (off_t)s->log_end) == 0)
				(void)fdatasync(s->fd);
		} else {
			s->seq++;
			s->log_end += PM_REC;
		}
	}
	if (rc) {
		/* memory has the change the file has not: read the file again */
		char why[256];

		snprintf(why, sizeof(why), "%s", ndctl_xen_pagemap_get_error(map));
		if (reload(map, s))
			s->damaged = 1;
		fail(map, rc, "%s", why);
		goto out;
	}
	if (s->sparse ? s->log_end - s->ckpt_end > PM_LOG_SPARSE :
			s->log_end - s->ckpt_end > PM_LOG_MIN &&
			s->log_end - s->ckpt_end > s->ckpt_end / 8) {
		/*
		 * Compaction is housekeeping: the update is already durable,
		 * and if the checkpoint cannot be written (say, the directory
		 * is not ours) the log stays valid and only grows.
		 */
		if (compact(map, s, s->seq))
			dbg(ndx_pm_ctx(map), "%s: not compacted: %s\n", s->path,
					ndctl_xen_pagemap_get_error(map));
		ndx_pm_clear_error(map);
	}
out:
	unlock_store(s);
	return rc;
}

/* ---- the API ---- */

static int open_store(struct ndctl_xen_pagemap *map, const char *path, int writable,
		int sparse, struct ndx_store **out)
{
	struct ndx_store *s;
	struct stat st;
	char *target;
	int rc, reopened;

	rc = resolve(map, path, 1, &target);
	if (rc)
		return rc;
	s = store_new(map, path, target);
	if (!s)
		return -ENOMEM;
	s->writable = writable;
	s->want_sparse = sparse;
	rc = open_regular(map, path, s->target, writable, &st);
	if (rc < 0)
		goto err;
	s->fd = rc;
	rc = lock_store(map, s, LOCK_SH, &reopened);
	if (rc)
		goto err;
	if (fstat(s->fd, &st) < 0)
		rc = fail(map, -errno, "%s: %s", path, strerror(errno));
	else
		rc = load_fd(map, s, st.st_size);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	unlock_store(s);
	if (rc)
		goto err;
	*out = s;
	return 0;
err:
	ndx_store_free(s);
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_open(struct ndctl_xen_pagemap *map, const char *path,
		unsigned int flags)
{
	struct ndx_store *s;
	int rc;

	ndx_pm_clear_error(map);
	if (flags & ~(NDCTL_XEN_PAGEMAP_RDONLY | NDCTL_XEN_PAGEMAP_SPARSE))
		return fail(map, -EINVAL, "unknown flags %#x", flags);
	if (ndctl_xen_pagemap_get_area_count(map) || attached(ndx_pm_store(map)))
		return fail(map, -EBUSY, "%s: the map to open into is not empty", path);
	rc = open_store(map, path, !(flags & NDCTL_XEN_PAGEMAP_RDONLY),
			!!(flags & NDCTL_XEN_PAGEMAP_SPARSE), &s);
	if (rc)
		return rc;
	ndx_store_free(ndx_pm_store(map));
	ndx_pm_set_store(map, s);
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_refresh(struct ndctl_xen_pagemap *map)
{
	struct ndx_store *s = ndx_pm_store(map);
	int rc;

	ndx_pm_clear_error(map);
	rc = begin(map, s, LOCK_SH);
	if (!rc)
		unlock_store(s);
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_compact(struct ndctl_xen_pagemap *map)
{
	struct ndx_store *s = ndx_pm_store(map);
	int rc;

	ndx_pm_clear_error(map);
	rc = begin(map, s, LOCK_EX);
	if (rc)
		return rc;
	if (s->major == 1)
		uuid_generate(s->id);
	rc = compact(map, s, s->seq);
	unlock_store(s);
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_create(struct ndctl_xen_pagemap *map, const char *path,
		unsigned int flags)
{
	int replace = !!(flags & NDCTL_XEN_PAGEMAP_REPLACE);
	struct ndx_store *s, *old = ndx_pm_store(map);
	struct stat st, *have = NULL;
	uint64_t ckpt_end;
	int rc, fd, lockfd = -1;
	char *target;

	ndx_pm_clear_error(map);
	if (flags & ~NDCTL_XEN_PAGEMAP_REPLACE)
		return fail(map, -EINVAL, "unknown flags %#x", flags);
	if (attached(old))
		return fail(map, -EBUSY, "the map is already attached to %s", old->path);
	rc = resolve(map, path, 0, &target);
	if (rc)
		return rc;
	if (replace) {
		/* hold the old file's lock: its updaters finish first, or see ours */
		lockfd = open_regular(map, path, target, 0, &st);
		if (lockfd == -ENOENT) {
			lockfd = -1;
			ndx_pm_clear_error(map);
		} else if (lockfd < 0)
			rc = lockfd;
		else if ((rc = do_flock(lockfd, LOCK_EX)) != 0)
			fail(map, rc, "%s: cannot lock: %s", path, strerror(-rc));
		else
			have = &st;
	}
	s = rc ? NULL : store_new(map, path, target);
	if (!s) {
		if (rc)
			free(target);
		rc = rc ? rc : -ENOMEM;
		goto out;
	}
	uuid_generate(s->id);
	rc = write_checkpoint(map, path, s->target, have, s->id, 0, replace, &fd, &ckpt_end);
	if (rc) {
		ndx_store_free(s);
		goto out;
	}
	s->fd = fd;
	s->writable = 1;
	s->major = 3;
	s->ckpt_end = s->log_end = ckpt_end;
	if (fstat(fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	unlock_store(s);
	ndx_store_free(old);
	ndx_pm_set_store(map, s);
out:
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/*
 * The snapshot API of format 1.0's days.  load reads under the shared
 * lock and remembers which file, at which size, it read; save writes a
 * whole checkpoint and refuses (-ESTALE) when the file it loaded was
 * updated since, so that load, change, save from two processes can lose
 * no update: one of them is told to start again.
 */
NDX_EXPORT int ndctl_xen_pagemap_load(struct ndctl_xen_pagemap *map, const char *path)
{
	struct ndx_store *s;
	int rc;

	ndx_pm_clear_error(map);
	if (ndctl_xen_pagemap_get_area_count(map))
		return fail(map, -EBUSY, "%s: the map to load into is not empty", path);
	rc = open_store(map, path, 0, 0, &s);
	if (rc)
		return rc;
	close(s->fd);
	s->fd = -1;
	ndx_store_free(ndx_pm_store(map));
	ndx_pm_set_store(map, s);
	return 0;
}

NDX_EXPORT int ndctl_xen_pagemap_save(struct ndctl_xen_pagemap *map, const char *path)
{
	struct ndx_store *s = ndx_pm_store(map);
	struct stat st, *have = NULL;
	uint64_t ckpt_end;
	uint8_t id[16];
	char *target;
	int rc, fd, lockfd = -1;

	ndx_pm_clear_error(map);
	if (s && s->sparse)
		return fail(map, -EOPNOTSUPP, "%s: opened sparse, the map in memory is a part: "
				"open it whole to save it elsewhere", s->path);
	rc = resolve(map, path, 0, &target);
	if (rc)
		return rc;
	if (attached(s) && strcmp(target, s->target) == 0) {
		/* its own file: a checkpoint now */
		free(target);
		return ndctl_xen_pagemap_compact(map);
	}
	lockfd = open_regular(map, path, target, 0, &st);
	if (lockfd == -ENOENT) {
		lockfd = -1;
		ndx_pm_clear_error(map);
	} else if (lockfd < 0) {
		rc = lockfd;
	} else if ((rc = do_flock(lockfd, LOCK_EX)) != 0) {
		fail(map, rc, "%s: cannot lock: %s", path, strerror(-rc));
	} else {
		/* the lock is on what the path named when opened: still so? */
		struct stat now;

		if (stat(target, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev)
			rc = fail(map, -ESTALE, "%s changed while saving; try again", path);
		have = &st;
	}
	if (!rc && s && !attached(s) && strcmp(target, s->target) == 0 &&
			(!have || have->st_dev != s->dev || have->st_ino != s->ino ||
			 have->st_size != s->size))
		rc = fail(map, -ESTALE, "%s was changed by another process since it was "
				"loaded: load it again, or use ndctl_xen_pagemap_open()", path);
	if (!rc) {
		/* a new id: processes holding the old file open reload it whole */
		uuid_generate(id);
		rc = write_checkpoint(map, path, target, have, id, 0, 1, &fd, &ckpt_end);
	}
	if (!rc) {
		/* save again later: compared against what we wrote */
		if (s && !attached(s) && fstat(fd, &st) == 0) {
			free(s->target);
			s->target = target;
			target = NULL;
			s->dev = st.st_dev;
			s->ino = st.st_ino;
			s->size = st.st_size;
			s->major = 3;
			memcpy(s->id, id, 16);
		}
		close(fd);
	}
	if (lockfd >= 0)
		close(lockfd);
	free(target);
	return rc;
}
