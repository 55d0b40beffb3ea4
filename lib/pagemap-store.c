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
 *   flock(LOCK_EX) on the file (and check that its name still names the
 *   inode locked: the file may have been replaced while we waited)
 *   -> finish a checkpoint a killed process left half-written (below)
 *   -> catch up: apply the records other processes appended since this
 *      process last looked (or reload, if a new checkpoint was written)
 *   -> check and apply the change in memory (pagemap.c)
 *   -> append its record, fdatasync
 *   -> unlock
 *
 * so the lock covers reading what others changed, the change and making
 * it durable, and an update costs O(log n) plus one small write and one
 * fdatasync whatever the map's size.  When the log outgrows an eighth of
 * the checkpoint (64 KiB at least) the updater writes a new checkpoint,
 * still under the lock: compaction is amortised O(1) per update and
 * bounds the replay on open.
 *
 * A new checkpoint is written into the same file, so that its owner,
 * group and mode never need changing (a member of a group that shares
 * the map can compact it; only root could give a new file someone
 * else's owner): first whole to a journal beside it,
 * ".NAME.ndctl-xen.INODE", synced, its directory synced; then over the
 * file (cut to the checkpoint's length, written, fdatasynced); then the
 * journal is unlinked and the directory synced.  Whoever takes the lock
 * next and finds a whole journal for the file's inode copies it in again
 * (idempotent) before anything else, so a crash at any step leaves the
 * old map or the new one.  A reader that cannot write reads the journal
 * instead.  A brand-new file (create, save) is written under
 * ".NAME.ndctl-xen.new" and renamed where nothing is; a leftover of
 * either kind is removed by the next update.
 *
 * Power cuts: a record is applied only if it is whole, its checksum
 * (which also covers the map's id) holds and its sequence number is the
 * next one.  Every append is synced before the lock is released, so only
 * the last record can be torn: that one is no update at all, and the
 * next updater truncates it away under the lock; an invalid record with
 * anything after it is damage, refused.
 *
 * Format 1.0 files (a checkpoint without a log) and 2.0 files load as
 * before and are rewritten as 3.0 by their first update, atomically, with
 * the update in.  A map opened sparse (NDCTL_XEN_PAGEMAP_SPARSE, a 3.0
 * file) goes through the same steps with a view of the file instead of
 * the whole tree: apply() hands each change to pagemap-sparse.c.
 *
 * Paths: the state file must be a regular file with one name (a hard
 * link would be a second way in that the lock's name check cannot see).
 * Symlinks are followed once, at open, and the link kept; the directory
 * that holds the file is opened then, and every later step -- the
 * name check, reopening, journals, renames, unlinks, directory syncs --
 * is made relative to it (openat, fstatat, renameat2, unlinkat), so a
 * directory or symlink swapped in along the path afterwards changes
 * nothing.  Anything but a regular file is refused before it is read or
 * written, and opens are non-blocking so that a FIFO cannot hang us.
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
#include "pagemap-store.h"
#include "private.h"

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
	int dirfd;          /* the directory holding it, opened with the store */
	char *name;         /* its name in dirfd */
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
	uint64_t ckpt_seq;  /* the checkpoint's own sequence number */
	uint64_t ckpt_end;  /* the log starts here */
	uint64_t log_end;   /* the end of the last record applied */
	int from_journal;   /* read from a journal a writer has yet to finish */
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


/* names beside the file: a journal for its inode, a new file's first name */
static int journal_name(const struct ndx_store *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, ".%s.ndctl-xen.%ju", s->name, (uintmax_t)s->ino);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int new_name(const struct ndx_store *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, ".%s.ndctl-xen.new", s->name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* open the directory that holds target: every later step is relative to it */
static int open_dir(struct ndctl_xen_pagemap *map, struct ndx_store *s)
{
	char *copy = strdup(s->target), *base = strdup(s->target);
	int rc = 0;

	if (!copy || !base) {
		rc = fail(map, -ENOMEM, "out of memory");
		goto out;
	}
	s->name = strdup(basename(base));
	if (!s->name) {
		rc = fail(map, -ENOMEM, "out of memory");
		goto out;
	}
	s->dirfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		rc = fail(map, -errno, "%s: its directory: %s", s->path, strerror(errno));
out:
	free(copy);
	free(base);
	return rc;
}

/*
 * Open the store's name in its directory, never blocking, never through a
 * symlink, and only if it is a regular file with one name.
 */
static int open_in_dir(struct ndctl_xen_pagemap *map, struct ndx_store *s, int writable,
		struct stat *st)
{
	int fd, rc;

	fd = openat(s->dirfd, s->name, (writable ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY |
			O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return fail(map, -ENOMSG, "%s: not a regular file (a symlink took its place)",
				s->path);
	if (fd < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		rc = fail(map, -ENOMSG, "%s: not a regular file", s->path);
		close(fd);
		return rc;
	}
	if (st->st_nlink > 1) {
		rc = fail(map, -EMLINK, "%s: has %ju hard links: a state file must have one "
				"name (remove the others)", s->path, (uintmax_t)st->st_nlink);
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

static int do_flock(int fd, int how)
{
	while (flock(fd, how) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int sync_dir(struct ndctl_xen_pagemap *map, struct ndx_store *s, const char *what)
{
	if (fsync(s->dirfd) == 0)
		return 0;
	/* not debug-only: the step before it may not survive a power cut */
	err(ndx_pm_ctx(map), "%s: %s, but syncing its directory failed: %s\n", s->path, what,
			strerror(errno));
	return -errno;
}

/*
 * Lock the store's file; the file may have been replaced (create --force
 * of an older version, an operator's mv) while we waited, so lock, then
 * check that the name still names the inode locked, and if not start
 * again on the new one.  *reopened tells the caller its view of the file
 * is gone.
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
		if (fstatat(s->dirfd, s->name, &pst, AT_SYMLINK_NOFOLLOW) < 0) {
			/* not -ENOENT: that is the map's "nothing there" */
			rc = fail(map, errno == ENOENT ? -ESTALE : -errno, "%s: %s", s->path,
					errno == ENOENT ? "removed while open" : strerror(errno));
			flock(s->fd, LOCK_UN);
			return rc;
		}
		if (fst.st_nlink == 1 && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
			return 0;
		if (fst.st_nlink > 1 && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino) {
			flock(s->fd, LOCK_UN);
			return fail(map, -EMLINK, "%s: has %ju hard links: a state file must have "
					"one name (remove the others)", s->path,
					(uintmax_t)fst.st_nlink);
		}
		fd = open_in_dir(map, s, s->writable, &pst);
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

/* ---- the log ---- */

/* one change to the map in memory: through the sparse view if it is one */
static int apply(struct ndctl_xen_pagemap *map, struct ndx_store *s, struct ndx_pm_op *op)
{
	return s->sparse ? ndx_sparse_apply(map, s->sparse, op) : ndx_pm_apply(map, op);
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

		if (!ndx_pm_rec_valid(rec, s->id, seq)) {
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
static int load_fd(struct ndctl_xen_pagemap *map, struct ndx_store *s, int fd, off_t size)
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
	buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED)
		return fail(map, -errno, "%s: cannot map it: %s", s->path, strerror(errno));
	rc = ndx_pm_decode_header(map, s->path, buf, (size_t)size, &h);
	if (!rc && h.major == 3 && s->want_sparse && fd == s->fd)
		rc = ndx_sparse_open(map, s->path, fd, &h, &s->sparse);
	else if (!rc)
		rc = ndx_pm_decode_checkpoint(map, s->path, buf, &h);
	if (!rc) {
		s->major = h.major;
		memcpy(s->id, h.id, 16);
		s->seq = s->ckpt_seq = h.seq;
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
	s->from_journal = 0;
	if (fstat(s->fd, &st) < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	return load_fd(map, s, s->fd, st.st_size);
}

/* ---- journals: a checkpoint written over the file ---- */

/*
 * The journal for the file's inode, if one is there: its descriptor
 * (locked shared), or -ENOENT; a journal still locked is being written
 * by a live process (only a new file's, which no lock of ours covers)
 * and is left alone: -EBUSY.
 */
static int journal_open(struct ndx_store *s, const char *name)
{
	int fd = openat(s->dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		close(fd);
		return -EBUSY;
	}
	return fd;
}

/*
 * A journal's checkpoint, mapped (*buf, *len): 0 if it is a whole,
 * intact 3.0 checkpoint without a log, else -EBADMSG (a journal cut
 * short by a crash before it was synced: the file is as it was).
 */
static int journal_read(struct ndctl_xen_pagemap *map, struct ndx_store *s, int fd,
		uint8_t **buf, size_t *len)
{
	struct ndx_pm_header h;
	struct stat st;
	char why[200];
	int rc;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)PM_HEADER_3 ||
			(uint64_t)st.st_size > PM_MAX_FILE)
		return -EBADMSG;
	*len = (size_t)st.st_size;
	*buf = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (*buf == MAP_FAILED)
		return fail(map, -errno, "%s: cannot map its journal: %s", s->path,
				strerror(errno));
	rc = ndx_pm_decode_header(map, s->path, *buf, *len, &h);
	if (!rc && (h.major != 3 || h.ckpt_end != *len))
		rc = -EBADMSG;
	if (!rc)
		rc = ndx_pm_v3_verify(*buf, &h, why, sizeof(why));
	ndx_pm_clear_error(map);
	if (rc) {
		munmap(*buf, *len);
		return -EBADMSG;
	}
	return 0;
}

/* the checkpoint in buf over the file: cut, written, synced */
static int write_over(struct ndctl_xen_pagemap *map, struct ndx_store *s,
		const uint8_t *buf, size_t len)
{
	int rc = 0;

	/* cut first: the old log never follows the new checkpoint */
	if (ftruncate(s->fd, (off_t)len) < 0)
		rc = -errno;
	if (!rc)
		rc = write_at(s->fd, buf, len, 0);
	if (!rc && fdatasync(s->fd) < 0)
		rc = -errno;
	if (rc)
		return io_error(fail(map, rc, "%s: cannot write: %s", s->path, strerror(-rc)));
	return 0;
}

/* remove a journal, synced: a journal that came back would be copied in again */
static int journal_remove(struct ndctl_xen_pagemap *map, struct ndx_store *s,
		const char *name)
{
	if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
		return fail(map, -errno, "%s: cannot remove %s beside it: %s", s->path, name,
				strerror(errno));
	sync_dir(map, s, "its journal removed");
	return 0;
}

/*
 * Under the exclusive lock of a writable store: finish what a killed
 * writer left.  A whole journal for this inode is copied over the file
 * (*changed set); a journal cut short, or a new file's leftover, is
 * removed.  The common case is two failed lookups.
 */
static int recover(struct ndctl_xen_pagemap *map, struct ndx_store *s, int *changed)
{
	char name[NAME_MAX + 1];
	uint8_t *buf;
	size_t len;
	int fd, rc;

	*changed = 0;
	if (!new_name(s, name, sizeof(name))) {
		fd = journal_open(s, name);
		if (fd >= 0 || fd == -EINVAL) {
			if (fd >= 0)
				close(fd);
			info(ndx_pm_ctx(map), "%s: removing %s, left by a killed writer\n",
					s->path, name);
			unlinkat(s->dirfd, name, 0);
		}
	}
	if (journal_name(s, name, sizeof(name)))
		return 0;
	fd = journal_open(s, name);
	if (fd == -ENOENT || fd == -EBUSY)
		return 0;
	if (fd == -EINVAL)
		return journal_remove(map, s, name);
	if (fd < 0)
		return fail(map, fd, "%s: cannot read %s beside it: %s", s->path, name,
				strerror(-fd));
	rc = journal_read(map, s, fd, &buf, &len);
	close(fd);
	if (rc == -EBADMSG)
		return journal_remove(map, s, name);
	if (rc)
		return rc;
	err(ndx_pm_ctx(map), "%s: finishing a checkpoint a killed writer left in %s\n",
			s->path, name);
	rc = write_over(map, s, buf, len);
	munmap(buf, len);
	if (rc)
		return rc;
	*changed = 1;
	return journal_remove(map, s, name);
}

/*
 * Under a shared lock, for a store that cannot write: the map a whole
 * journal holds, if there is one (*used set).
 */
static int view_journal(struct ndctl_xen_pagemap *map, struct ndx_store *s, int *used)
{
	char name[NAME_MAX + 1];
	struct stat st;
	uint8_t *buf;
	size_t len;
	int fd, rc, sparse = s->want_sparse;

	*used = 0;
	if (journal_name(s, name, sizeof(name)))
		return 0;
	fd = journal_open(s, name);
	if (fd < 0)
		return 0;
	rc = journal_read(map, s, fd, &buf, &len);
	if (rc) {
		close(fd);
		return rc == -EBADMSG ? 0 : rc;
	}
	munmap(buf, len);
	ndx_pm_empty(map);
	ndx_sparse_free(s->sparse);
	s->sparse = NULL;
	s->want_sparse = 0;
	rc = fstat(fd, &st) < 0 ? fail(map, -errno, "%s: %s", s->path, strerror(errno)) :
		load_fd(map, s, fd, st.st_size);
	s->want_sparse = sparse;
	close(fd);
	if (!rc) {
		s->from_journal = 1;
		*used = 1;
	}
	return rc;
}

/*
 * After the lock: a journal left by a killed writer is finished (a
 * writable store; its lock is made exclusive for that) or read instead
 * of the file (*viewed: the map is the journal's).  *changed: the file
 * was rewritten.
 */
static int settle(struct ndctl_xen_pagemap *map, struct ndx_store *s, int how, int *changed,
		int *viewed)
{
	char name[NAME_MAX + 1], other[NAME_MAX + 1];
	int rc;

	*changed = *viewed = 0;
	if (journal_name(s, name, sizeof(name)) || new_name(s, other, sizeof(other)) ||
			(faccessat(s->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			 faccessat(s->dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) < 0))
		return 0;
	if (!s->writable)
		return view_journal(map, s, viewed);
	if (how != LOCK_EX) {
		rc = do_flock(s->fd, LOCK_EX);
		if (rc)
			return fail(map, rc, "%s: cannot lock: %s", s->path, strerror(-rc));
	}
	rc = recover(map, s, changed);
	if (how != LOCK_EX) {
		int r2 = do_flock(s->fd, how);

		if (!rc && r2)
			rc = fail(map, r2, "%s: cannot lock: %s", s->path, strerror(-r2));
	}
	return rc;
}

/*
 * Under the lock: bring the map up to what the file holds.  A writer
 * also cuts off a torn tail, whose writer is dead (it held the lock).
 */
static int catch_up(struct ndctl_xen_pagemap *map, struct ndx_store *s, int reopened)
{
	uint8_t head[PM_HEADER_2];
	uint64_t first = s->seq + 1, hseq, hend;
	unsigned int hmajor = 0;
	struct stat st;
	uint8_t *buf;
	size_t len;
	int rc;

	if (fstat(s->fd, &st) < 0)
		return fail(map, -errno, "%s: %s", s->path, strerror(errno));
	if (st.st_size >= (off_t)PM_HEADER_1 &&
			read_at(s->fd, head, st.st_size >= (off_t)PM_HEADER_2 ? PM_HEADER_2 :
				PM_HEADER_1, 0) == 0 && memcmp(head, PM_MAGIC, 8) == 0)
		hmajor = get16(head + 8);
	if (hmajor == 1 && s->major == 1 && !reopened && !s->from_journal) {
		/* a 1.0 file is never appended to: the same size is the same file */
		return (uint64_t)st.st_size == s->log_end ? 0 : reload(map, s);
	}
	if (hmajor < 2 || hmajor > 3 || st.st_size < (off_t)PM_HEADER_2 || s->major == 1 ||
			s->from_journal || memcmp(head + 64, s->id, 16))
		return reload(map, s);
	hseq = get64(head + 48);
	hend = get64(head + 16);
	if (reopened || hseq != s->ckpt_seq || hend != s->ckpt_end) {
		/*
		 * A new checkpoint of the same map, at or below where we are:
		 * its log from there.  Otherwise (or when the view is sparse,
		 * read from the old checkpoint) reload.
		 */
		if (s->sparse || hseq > s->seq || hend > (uint64_t)st.st_size ||
				hend < PM_HEADER_2)
			return reload(map, s);
		s->major = hmajor;
		s->ckpt_seq = hseq;
		s->ckpt_end = s->log_end = hend;
		first = hseq + 1;
	} else if ((uint64_t)st.st_size < s->log_end) {
		return reload(map, s); /* a shorter file is not ours */
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

/* ---- writing checkpoints ---- */

/*
 * Under the exclusive lock: the checkpoint in buf becomes the file, in
 * place (the journal above), keeping its owner, group and mode.  If the
 * journal was written but the file could not be, the journal stays: the
 * next locker finishes it, and the error says so.
 */
static int install(struct ndctl_xen_pagemap *map, struct ndx_store *s, const uint8_t *buf,
		size_t len)
{
	char name[NAME_MAX + 1];
	int fd, rc, tries;

	rc = journal_name(s, name, sizeof(name));
	if (rc)
		return fail(map, rc, "%s: its name is too long for a journal beside it", s->path);
	for (tries = 0;; tries++) {
		fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd >= 0 || errno != EEXIST || tries)
			break;
		/* a journal cut short by a crash before its sync: never used */
		unlinkat(s->dirfd, name, 0);
	}
	if (fd < 0)
		return io_error(fail(map, -errno, "%s: cannot create %s beside it: %s", s->path,
					name, strerror(errno)));
	rc = write_at(fd, buf, len, 0);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && fsync(s->dirfd) < 0)
		rc = -errno;
	close(fd);
	if (rc) {
		unlinkat(s->dirfd, name, 0);
		return io_error(fail(map, rc, "%s: cannot write %s beside it: %s", s->path, name,
					strerror(-rc)));
	}
	rc = write_over(map, s, buf, len);
	if (rc) {
		char why[200];

		snprintf(why, sizeof(why), "%s", ndctl_xen_pagemap_get_error(map));
		return fail(map, rc, "%s (the new checkpoint is whole in %s: the next update "
				"puts it in place)", why, name);
	}
	return journal_remove(map, s, name);
}

/*
 * A new file at the store's name, holding buf, where nothing is (-EEXIST
 * otherwise): written under another name, synced, renamed.  On success
 * *newfd is the file, locked exclusively.
 */
static int create_file(struct ndctl_xen_pagemap *map, struct ndx_store *s,
		const uint8_t *buf, size_t len, int *newfd)
{
	char name[NAME_MAX + 1];
	int fd, rc, tries;

	rc = new_name(s, name, sizeof(name));
	if (rc)
		return fail(map, rc, "%s: its name is too long", s->path);
	for (tries = 0;; tries++) {
		fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd >= 0 || errno != EEXIST || tries)
			break;
		/* a leftover of a killed create, unless its writer is alive */
		fd = journal_open(s, name);
		if (fd == -EBUSY)
			return fail(map, -EBUSY, "%s: another process is creating it", s->path);
		if (fd >= 0)
			close(fd);
		unlinkat(s->dirfd, name, 0);
	}
	if (fd < 0)
		return io_error(fail(map, -errno, "%s: cannot create %s beside it: %s", s->path,
					name, strerror(errno)));
	rc = do_flock(fd, LOCK_EX);
	if (!rc)
		rc = write_at(fd, buf, len, 0);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc && renameat2(s->dirfd, name, s->dirfd, s->name, RENAME_NOREPLACE) < 0) {
		rc = -errno;
		/* file systems without RENAME_NOREPLACE: link() refuses too */
		if (rc == -EINVAL && linkat(s->dirfd, name, s->dirfd, s->name, 0) == 0) {
			rc = 0;
			unlinkat(s->dirfd, name, 0);
		}
	}
	if (rc) {
		unlinkat(s->dirfd, name, 0);
		close(fd);
		if (rc == -EEXIST)
			return fail(map, rc, "%s exists", s->path);
		return io_error(fail(map, rc, "%s: cannot write: %s", s->path, strerror(-rc)));
	}
	sync_dir(map, s, "written");
	*newfd = fd;
	return 0;
}

/* after a new file or checkpoint: s describes it */
static void store_written(struct ndx_store *s, uint64_t seq, size_t len)
{
	struct stat st;

	if (fstat(s->fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	s->writable = 1;
	s->major = 3;
	s->seq = s->ckpt_seq = seq;
	s->ckpt_end = s->log_end = len;
	s->from_journal = 0;
}

/* under the lock: a new checkpoint of the whole map in memory */
static int checkpoint_store(struct ndctl_xen_pagemap *map, struct ndx_store *s,
		uint64_t seq)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = ndx_pm_encode_v3(map, s->id, seq, &buf, &len);
	if (rc)
		return rc;
	rc = install(map, s, buf, len);
	free(buf);
	if (!rc)
		store_written(s, seq, len);
	return rc;
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
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	whole.sparse = NULL;
	whole.want_sparse = 0;
	if (ndctl_xen_pagemap_new(ndx_pm_ctx(map), &full))
		return fail(map, -ENOMEM, "out of memory");
	rc = fstat(s->fd, &st) < 0 ? -errno : 0;
	if (!rc)
		rc = load_fd(full, &whole, s->fd, st.st_size);
	if (!rc)
		rc = ndx_pm_encode_v3(full, s->id, whole.seq, &buf, &len);
	if (rc) {
		fail(map, rc, "%s", ndctl_xen_pagemap_get_error(full));
		ndctl_xen_pagemap_unref(full);
		return rc;
	}
	ndctl_xen_pagemap_unref(full);
	rc = install(map, s, buf, len);
	free(buf);
	if (rc)
		return rc;
	store_written(s, whole.seq, len);
	rc = reload(map, s);
	if (rc)
		s->damaged = 1;
	return rc;
}

static int compact(struct ndctl_xen_pagemap *map, struct ndx_store *s, uint64_t seq)
{
	return s->sparse ? compact_sparse(map, s) : checkpoint_store(map, s, seq);
}

/*
 * A store for path: its target resolved (symlinks followed, once) and
 * its directory opened.
 */
static int store_new(struct ndctl_xen_pagemap *map, const char *path, int must_exist,
		struct ndx_store **out)
{
	struct ndx_store *s = calloc(1, sizeof(*s));
	int rc;

	if (s)
		s->path = strdup(path);
	if (!s || !s->path) {
		free(s);
		return fail(map, -ENOMEM, "out of memory");
	}
	s->fd = s->dirfd = -1;
	rc = resolve(map, path, must_exist, &s->target);
	if (!rc)
		rc = open_dir(map, s);
	if (rc) {
		ndx_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ndx_store_free(struct ndx_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	ndx_sparse_free(s->sparse);
	free(s->path);
	free(s->target);
	free(s->name);
	free(s);
}

/* a snapshot (load) is not attached: its updates stay in memory */
static int attached(const struct ndx_store *s)
{
	return s && s->fd >= 0;
}

/* ---- updates ---- */

/*
 * Lock (how: LOCK_SH to read, LOCK_EX to change), finish what a killed
 * writer left, and catch up; on 0 the caller holds the lock and the map
 * is the file's.
 */
static int begin(struct ndctl_xen_pagemap *map, struct ndx_store *s, int how)
{
	int rc, reopened, changed, viewed;

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
	rc = settle(map, s, how, &changed, &viewed);
	if (!rc && !viewed)
		rc = catch_up(map, s, reopened || changed);
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
		ndx_pm_encode_rec(rec, op, s->seq + 1, s->id);
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
		int changed;

		snprintf(why, sizeof(why), "%s", ndctl_xen_pagemap_get_error(map));
		if (recover(map, s, &changed) || reload(map, s))
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
		 * is not writable) the log stays valid and only grows.  An
		 * operator must hear of it: every later call replays more.
		 */
		if (compact(map, s, s->seq))
			err(ndx_pm_ctx(map), "%s: not compacted, its log grows: %s\n", s->path,
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
	int rc, reopened, changed, viewed;

	rc = store_new(map, path, 1, &s);
	if (rc)
		return rc;
	s->writable = writable;
	s->want_sparse = sparse;
	rc = open_in_dir(map, s, writable, &st);
	if (rc < 0)
		goto err;
	s->fd = rc;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	rc = lock_store(map, s, LOCK_SH, &reopened);
	if (rc)
		goto err;
	rc = settle(map, s, LOCK_SH, &changed, &viewed);
	if (!rc && fstat(s->fd, &st) < 0)
		rc = fail(map, -errno, "%s: %s", path, strerror(errno));
	if (!rc && !viewed)
		rc = load_fd(map, s, s->fd, st.st_size);
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

/*
 * The file at dest's name, if there is one: opened writable, locked
 * exclusively, a killed writer's journal finished (1); or none (0).
 */
static int lock_existing(struct ndctl_xen_pagemap *map, struct ndx_store *dest)
{
	struct stat st;
	int rc, reopened, changed;

	rc = open_in_dir(map, dest, 1, &st);
	if (rc == -ENOENT) {
		ndx_pm_clear_error(map);
		return 0;
	}
	if (rc < 0)
		return rc;
	dest->fd = rc;
	dest->writable = 1;
	dest->dev = st.st_dev;
	dest->ino = st.st_ino;
	rc = lock_store(map, dest, LOCK_EX, &reopened);
	if (!rc)
		rc = recover(map, dest, &changed);
	return rc ? rc : 1;
}

/*
 * The whole map in memory as a new checkpoint (a new id, sequence 0) at
 * dest's name: over the file there (in place, under its lock) if there is
 * one, else as a new file.  dest's fd is then the file, locked.
 */
static int write_map(struct ndctl_xen_pagemap *map, struct ndx_store *dest, int exists)
{
	uint8_t *buf;
	size_t len;
	int rc, fd;

	/* a new id: processes holding the old map open reload it whole */
	uuid_generate(dest->id);
	rc = ndx_pm_encode_v3(map, dest->id, 0, &buf, &len);
	if (rc)
		return rc;
	if (exists) {
		rc = install(map, dest, buf, len);
	} else {
		rc = create_file(map, dest, buf, len, &fd);
		if (!rc)
			dest->fd = fd;
	}
	free(buf);
	if (!rc)
		store_written(dest, 0, len);
	return rc;
}

NDX_EXPORT int ndctl_xen_pagemap_create(struct ndctl_xen_pagemap *map, const char *path,
		unsigned int flags)
{
	int replace = !!(flags & NDCTL_XEN_PAGEMAP_REPLACE);
	struct ndx_store *s, *old = ndx_pm_store(map);
	int rc, exists = 0;

	ndx_pm_clear_error(map);
	if (flags & ~NDCTL_XEN_PAGEMAP_REPLACE)
		return fail(map, -EINVAL, "unknown flags %#x", flags);
	if (attached(old))
		return fail(map, -EBUSY, "the map is already attached to %s", old->path);
	rc = store_new(map, path, 0, &s);
	if (rc)
		return rc;
	if (replace) {
		/* under the old file's lock: its updaters finish first, or see ours */
		exists = rc = lock_existing(map, s);
	} else if (faccessat(s->dirfd, s->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = fail(map, -EEXIST, "%s exists", path);
	}
	if (rc >= 0)
		rc = write_map(map, s, exists);
	if (rc < 0) {
		ndx_store_free(s);
		return rc;
	}
	unlock_store(s);
	ndx_store_free(old);
	ndx_pm_set_store(map, s);
	return 0;
}

/*
 * The snapshot API of format 1.0's days.  load reads under the shared
 * lock and remembers which file, at which point of its history, it read;
 * save writes a whole checkpoint and refuses (-ESTALE) when the file it
 * loaded was updated since, so that load, change, save from two
 * processes can lose no update: one of them is told to start again.
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
	close(s->dirfd);
	s->dirfd = -1;
	ndx_store_free(ndx_pm_store(map));
	ndx_pm_set_store(map, s);
	return 0;
}

/* the snapshot s was loaded from the file dest has locked, as it is now */
static int snapshot_current(const struct ndx_store *s, const struct ndx_store *dest)
{
	uint8_t head[PM_HEADER_2];
	struct stat st;
	uint64_t seq;

	if (fstat(dest->fd, &st) < 0 || st.st_dev != s->dev || st.st_ino != s->ino)
		return 0;
	if (s->major == 1 || s->from_journal)
		return st.st_size == s->size && !s->from_journal;
	if (st.st_size < (off_t)PM_HEADER_2 || read_at(dest->fd, head, sizeof(head), 0) ||
			memcmp(head + 64, s->id, 16) || get64(head + 16) > (uint64_t)st.st_size)
		return 0;
	/* the checkpoint's operations and the log's records */
	seq = get64(head + 48) + ((uint64_t)st.st_size - get64(head + 16)) / PM_REC;
	return seq == s->seq;
}

NDX_EXPORT int ndctl_xen_pagemap_save(struct ndctl_xen_pagemap *map, const char *path)
{
	struct ndx_store *s = ndx_pm_store(map), *dest;
	int rc, exists, same;

	ndx_pm_clear_error(map);
	if (s && s->sparse)
		return fail(map, -EOPNOTSUPP, "%s: opened sparse, the map in memory is a part: "
				"open it whole to save it elsewhere", s->path);
	rc = store_new(map, path, 0, &dest);
	if (rc)
		return rc;
	if (attached(s) && strcmp(dest->target, s->target) == 0) {
		/* its own file: a checkpoint now */
		ndx_store_free(dest);
		return ndctl_xen_pagemap_compact(map);
	}
	same = s && !attached(s) && strcmp(dest->target, s->target) == 0;
	exists = rc = lock_existing(map, dest);
	if (rc >= 0 && same && (!exists || !snapshot_current(s, dest)))
		rc = fail(map, -ESTALE, "%s was changed by another process since it was "
				"loaded: load it again, or use ndctl_xen_pagemap_open()", path);
	if (rc >= 0)
		rc = write_map(map, dest, exists);
	if (rc >= 0 && s && !attached(s)) {
		/* save again later: compared against what we wrote */
		struct stat st;

		if (fstat(dest->fd, &st) == 0) {
			free(s->target);
			s->target = dest->target;
			dest->target = NULL;
			s->dev = st.st_dev;
			s->ino = st.st_ino;
			s->size = st.st_size;
			s->major = 3;
			s->seq = 0;
			s->from_journal = 0;
			memcpy(s->id, dest->id, 16);
		}
	}
	ndx_store_free(dest);
	return rc < 0 ? rc : 0;
}
