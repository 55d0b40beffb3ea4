// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's own answer.  With the patch in kernel/patches/ (libnvdimm's
 * pfn_devs.c), a bound pfn or dax device shows the info block it adopted
 * as the root-only binary attribute "info_block": the copy nd_pfn_init()
 * keeps while the device is bound, ENXIO when it is not.  A stock kernel
 * has no such attribute, and query.c falls back to the block store and
 * sysfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "config.h"
#include "private.h"
#include "store.h"

NDX_EXPORT int ndctl_xen_layout_get_store_disagrees(struct ndctl_xen_layout *l)
{
	return l->store_disagrees;
}

/* 0; -ENOENT: no info_block (a stock kernel); -ENXIO: unbound; -errno */
static int kernel_block(const char *holder, uint8_t block[NDX_SB_SIZE])
{
	char path[4200];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/nd/devices/%s/info_block", ndx_sysfs_root(), holder);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < NDX_SB_SIZE) {
		n = read(fd, block + got, NDX_SB_SIZE - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	n = n < 0 ? -errno : 0;
	close(fd);
	if (n)
		return (int)n;
	return got == NDX_SB_SIZE ? 0 : -EIO;
}

int ndx_layout_from_kernel(struct ndctl_xen_ctx *ctx, struct ndctl_xen_layout *l,
		const char *holder, const unsigned char ns_uuid[16], uint64_t ns_res,
		uint64_t ns_size, unsigned int flags)
{
	uint8_t block[NDX_SB_SIZE], stored[NDX_SB_SIZE];
	struct ndx_pfn_info in;
	char u[40];
	int rc = ctx->no_kernel_block ? -ENOENT : kernel_block(holder, block);

	if (rc) {
		if (rc != -ENOENT)
			dbg(ctx, "%s: no info_block from the kernel: %s\n", holder, strerror(-rc));
		return rc;
	}
	/*
	 * nd_pfn_validate() rewrites fields a block older than minor 4 lacks
	 * in the kernel's copy, after checking the checksum: such a copy does
	 * not decode, and the store or sysfs answer instead.
	 */
	if (ndx_pfn_sb_decode(block, &in) != NDX_SB_OK || memcmp(in.parent_uuid, ns_uuid, 16)) {
		info(ctx, "%s: the kernel's copy of its block does not decode as this namespace's: not used\n",
				holder);
		return -ESTALE;
	}
	rc = ndx_layout_from_block(l, &in, ns_size, ns_res);
	l->source = NDCTL_XEN_SOURCE_KERNEL;
	l->unknown = 0;
	l->verified = 1;
	l->store_disagrees = 0;
	uuid_unparse_lower(in.uuid, u);
	switch (ndx_store_get_at(ndx_store_dir(ctx, flags), ns_uuid, ns_res, in.uuid, stored)) {
	case 0:
		if (memcmp(stored, block, NDX_SB_SIZE) == 0)
			break;
		l->store_disagrees = 1;
		ndx_log_cond(ctx, LOG_WARNING,
				"%s: the stored copy of block %s disagrees with the kernel's: not used\n",
				holder, u);
		break;
	case -ENOENT:
		/* keep it: the answer when the namespace is disabled later */
		if (!(flags & NDCTL_XEN_QUERY_NO_STORE) &&
				ndx_ctx_store_put(ctx, block, ns_uuid, ns_res) == 0)
			dbg(ctx, "%s: the kernel's block %s is in the store\n", holder, u);
		break;
	default:
		break;
	}
	return rc;
}

/* The stored block with the uuid DEV shows, if it belongs to the namespace. */
static int stored_block_of(int dirfd, const char *dev, const unsigned char ns_uuid[16],
		uint64_t ns_res, uint8_t block[NDX_SB_SIZE])
{
	struct ndx_pfn_info in;
	unsigned char u[16];
	char text[64];

	if (ndx_sysfs_read(dev, "uuid", text, sizeof(text)) || uuid_parse(text, u) ||
			uuid_is_null(u) || ndx_store_get_at(dirfd, ns_uuid, ns_res, u, block) ||
			ndx_pfn_sb_decode(block, &in) != NDX_SB_OK ||
			memcmp(in.parent_uuid, ns_uuid, 16) != 0)
		return -ENOENT;
	return 0;
}

int ndx_disabled_block(int dirfd, const char *ns, const unsigned char ns_uuid[16],
		uint64_t ns_res, uint8_t block[NDX_SB_SIZE])
{
	char holder[64];

	/* the block this host last saw on the namespace */
	if (ndx_store_get_ns_at(dirfd, ns_uuid, ns_res, block) == 0)
		return 0;
	/*
	 * A device that still claims it, unbound, keeps the adopted block's
	 * uuid.  (ndctl disable-namespace clears the claim, and the kernel's
	 * nd_detach_and_reset() deletes the device or resets its uuid.)
	 */
	if (ndx_sysfs_read(ns, "holder", holder, sizeof(holder)) == 0 && holder[0] &&
			strncmp(holder, "btt", 3) != 0)
		return stored_block_of(dirfd, holder, ns_uuid, ns_res, block);
	return -ENOENT;
}
