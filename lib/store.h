/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NDCTL_XEN_STORE_H
#define NDCTL_XEN_STORE_H

#include <limits.h>
#include <stdint.h>

#include "pfn-sb.h"

/*
 * The host's copies of info blocks (the block store).  An enabled
 * namespace's info block sits behind its data device, where nothing can
 * read it without disabling the namespace; the kernel never rewrites a
 * block it adopted, and shows the adopted block's uuid as the pfn/dax
 * device's "uuid" in sysfs.  So the library keeps a copy of every valid
 * block it writes or reads from a namespace, and answers for an enabled
 * namespace from the copy whose uuid sysfs shows, once the copy's
 * dataoff, mode, map and align also agree with sysfs (query.c).
 *
 * A copy is filed under the namespace it was read from, never under the
 * uuid alone: a block's uuid is whatever its writer chose (a guest given a
 * raw namespace writes what it likes there), so a block read from one
 * namespace must never answer for another.  And only a block whose
 * parent_uuid is the namespace's own (all zero for a label-less one) is
 * kept: the kernel adopts no other there.
 *
 * In the state directory (/var/lib/ndctl-xen or $NDCTL_XEN_STATE_DIR,
 * intent.h), subdirectory blocks/, all written atomically:
 *   blocks/KEY.UUID    the 4096 bytes of block UUID as read from namespace KEY
 *   blocks/KEY         "UUID\n": the block last seen on namespace KEY
 * where KEY is ns-NSUUID (the namespace's uuid) or, for a label-less
 * namespace, res-HEX (its physical start).  The reader takes a copy only
 * if it is a regular file of the caller's with one link, exactly 4096
 * bytes, a valid block, carries the uuid it is named by and names the
 * namespace as its parent.  The directories are walked once per lookup
 * (per context with NDCTL_XEN_QUERY_CACHED), and every file is opened
 * relative to them (intent.h, ndx_state_open).
 */

/* Keep block (valid, 4096 bytes, this namespace's) as the one last seen on it. */
int ndx_store_put(const uint8_t block[NDX_SB_SIZE], const unsigned char ns_uuid[16],
		uint64_t ns_resource);
/*
 * Take back what ndx_store_put() kept of block for a namespace whose
 * probe failed: its copy, and the namespace's pointer if it names it.
 */
int ndx_store_drop(const uint8_t block[NDX_SB_SIZE], const unsigned char ns_uuid[16],
		uint64_t ns_resource);
/*
 * The readers take the blocks directory as dirfd: a descriptor the caller
 * keeps open (ndx_store_dir(), NDCTL_XEN_QUERY_CACHED), its failure to
 * open (-errno, returned as is), or NDX_STORE_OPEN: walked and checked
 * for this call alone.
 */
#define NDX_STORE_OPEN INT_MIN
/* The copy of block uuid read from the namespace: 0, -ENOENT, -EINVAL (not a copy). */
int ndx_store_get_at(int dirfd, const unsigned char ns_uuid[16], uint64_t ns_resource,
		const unsigned char uuid[16], uint8_t block[NDX_SB_SIZE]);
/* The copy last seen on the namespace: 0, -ENOENT, -EINVAL. */
int ndx_store_get_ns_at(int dirfd, const unsigned char ns_uuid[16], uint64_t ns_resource,
		uint8_t block[NDX_SB_SIZE]);

static inline int ndx_store_get(const unsigned char ns_uuid[16], uint64_t ns_resource,
		const unsigned char uuid[16], uint8_t block[NDX_SB_SIZE])
{
	return ndx_store_get_at(NDX_STORE_OPEN, ns_uuid, ns_resource, uuid, block);
}

static inline int ndx_store_get_ns(const unsigned char ns_uuid[16], uint64_t ns_resource,
		uint8_t block[NDX_SB_SIZE])
{
	return ndx_store_get_ns_at(NDX_STORE_OPEN, ns_uuid, ns_resource, block);
}

#endif
