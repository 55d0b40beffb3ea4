/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NDCTL_XEN_INTENT_H
#define NDCTL_XEN_INTENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Host intent records: the evidence this host leaves before it writes a
 * namespace, so that recovery after a power cut acts on what this host
 * started and never on what the media alone claim (a guest controls a
 * namespace's bytes; it cannot write the host's disk).
 *
 * One file per namespace in the state directory (/var/lib/ndctl-xen, or
 * $NDCTL_XEN_STATE_DIR read with secure_getenv), named by the namespace's
 * uuid, or by its physical start when it has none (label-less):
 *
 *   ndctl-xen-intent 1
 *   op new|rewrite
 *   uuid UUID           namespace uuid (all zero: label-less)
 *   resource 0xHEX      physical start (0 for new: not known yet)
 *   size DECIMAL        namespace size (0 for new)
 *   tag UUID            uuid of the block being written (the journal's tag)
 *   sum 0xHEX           FNV-1a 64 of the lines above
 *
 * The writer makes it durable (temporary file, fsync, rename, fsync of
 * the directory) before it returns, so it is on the host's disk before
 * the first write to the namespace; it is removed once the outcome is
 * known.  The reader accepts only a record in exactly this form.
 */
enum ndx_intent_op {
	NDX_INTENT_NEW = 1,     /* a namespace created, still NDCTL_XEN_PENDING_NAME */
	NDX_INTENT_REWRITE = 2, /* an existing namespace's info block replaced */
};

struct ndx_intent {
	enum ndx_intent_op op;
	unsigned char uuid[16];
	uint64_t resource, size;
	unsigned char tag[16];
};

/* The writer: durable when it returns 0; else -errno. */
int ndx_intent_write(const struct ndx_intent *rec);
/* The reader: 0 found, -ENOENT none, -EINVAL malformed, other -errno. */
int ndx_intent_read(const unsigned char uuid[16], uint64_t resource, struct ndx_intent *rec);
/*
 * Remove the namespace's record; 0 also when there was none.  durable: the
 * directory is fsync'd before it returns.  Without it the removal reaches
 * the disk with the file system's next commit: for a record whose outcome
 * is the new state, which recover also clears when it finds one left
 * (ndctl_xen_namespace_recover()).
 */
int ndx_intent_clear(const unsigned char uuid[16], uint64_t resource, int durable);
/* The state directory in use (for messages). */
const char *ndx_intent_dir(void);

/*
 * The state directory's helpers, shared with the block store (store.h).
 * Each directory is walked once, by ndx_state_open(); everything after
 * works relative to the descriptor it returns, so a directory swapped for
 * a symbolic link in between changes nothing.
 * ndx_state_open: the state directory (sub NULL) or its subdirectory sub,
 * made (0700) first if create and missing: a descriptor, or -EPERM unless
 * it is a directory of the caller's that nobody else can write, -ENOENT
 * when missing and !create, another -errno.
 * ndx_write_atomic_at: name (in dirfd) gets buf whole or keeps what it
 * had: a temporary file, fsync, rename, and if sync_dir an fsync of the
 * directory (without it the rename is durable after the caller's fsync of
 * dirfd: several files, one directory fsync); writers of one directory
 * take turns (flock on it), so one's temporary file is never another's.
 * ndx_open_private_at: open a regular file of the caller's with one link
 * for reading (no symlink, no FIFO, no second name elsewhere); -EINVAL for
 * anything else.
 */
struct stat;
int ndx_state_open(const char *sub, int create);
int ndx_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len,
		int sync_dir);
int ndx_open_private_at(int dirfd, const char *name, int *fd, struct stat *st);

#endif
