// SPDX-License-Identifier: LGPL-2.1-or-later
/* The block store (see store.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "intent.h"
#include "store.h"

static void ns_key(const unsigned char ns_uuid[16], uint64_t res, char *key, size_t len)
{
	char u[40];

	if (uuid_is_null(ns_uuid)) {
		snprintf(key, len, "res-%" PRIx64, res);
	} else {
		uuid_unparse_lower(ns_uuid, u);
		snprintf(key, len, "ns-%s", u);
	}
}

/*
 * Up to len bytes of blocks/name, in dirfd (NDX_STORE_OPEN: opened now):
 * 0 with *got, or -errno (-ENOENT: none)
 */
static int read_exact(int dirfd, const char *name, void *buf, size_t len, size_t *got)
{
	struct stat st;
	ssize_t n;
	int fd, rc, own = dirfd == NDX_STORE_OPEN;

	if (own)
		dirfd = ndx_state_open("blocks", 0);
	if (dirfd < 0)
		return dirfd;
	rc = ndx_open_private_at(dirfd, name, &fd, &st);
	if (own)
		close(dirfd);
	if (rc)
		return rc;
	n = read(fd, buf, len);
	rc = n < 0 ? -errno : 0;
	close(fd);
	*got = n > 0 ? (size_t)n : 0;
	return rc;
}

/* KEY.UUID: the copy of block UUID read from the namespace KEY names */
static void block_name(char *buf, size_t len, const unsigned char ns_uuid[16], uint64_t res,
		const unsigned char uuid[16])
{
	char key[64], u[40];

	ns_key(ns_uuid, res, key, sizeof(key));
	uuid_unparse_lower(uuid, u);
	snprintf(buf, len, "%s.%s", key, u);
}

/*
 * The kernel adopts a block only on the namespace its parent_uuid names
 * (all zero: a label-less one), so a block whose parent_uuid is another
 * namespace's is never this one's, whatever its uuid says.
 */
static int block_of(const struct ndx_pfn_info *info, const unsigned char ns_uuid[16])
{
	return memcmp(info->parent_uuid, ns_uuid, 16) == 0;
}

int ndx_store_put(const uint8_t block[NDX_SB_SIZE], const unsigned char ns_uuid[16],
		uint64_t ns_resource)
{
	char name[128], u[40], key[64], line[40];
	struct ndx_pfn_info info;
	int rc, dirfd;

	if (ndx_pfn_sb_decode(block, &info) != NDX_SB_OK || !block_of(&info, ns_uuid))
		return -EINVAL;
	dirfd = ndx_state_open("blocks", 1);
	if (dirfd < 0)
		return dirfd;
	block_name(name, sizeof(name), ns_uuid, ns_resource, info.uuid);
	/* both renames made durable by one fsync of the directory */
	rc = ndx_write_atomic_at(dirfd, name, block, NDX_SB_SIZE, 0);
	if (!rc) {
		ns_key(ns_uuid, ns_resource, key, sizeof(key));
		uuid_unparse_lower(info.uuid, u);
		memcpy(line, u, 36);
		line[36] = '\n';
		line[37] = '\0';
		rc = ndx_write_atomic_at(dirfd, key, line, strlen(line), 0);
	}
	if (!rc && fsync(dirfd) < 0)
		rc = -errno;
	close(dirfd);
	return rc;
}

int ndx_store_get_at(int dirfd, const unsigned char ns_uuid[16], uint64_t ns_resource,
		const unsigned char uuid[16], uint8_t block[NDX_SB_SIZE])
{
	uint8_t buf[NDX_SB_SIZE + 1];
	struct ndx_pfn_info info;
	char name[128];
	size_t got;
	int rc;

	block_name(name, sizeof(name), ns_uuid, ns_resource, uuid);
	rc = read_exact(dirfd, name, buf, sizeof(buf), &got);
	if (rc)
		return rc;
	if (got != NDX_SB_SIZE || ndx_pfn_sb_decode(buf, &info) != NDX_SB_OK ||
			memcmp(info.uuid, uuid, 16) != 0 || !block_of(&info, ns_uuid))
		return -EINVAL;
	memcpy(block, buf, NDX_SB_SIZE);
	return 0;
}

int ndx_store_get_ns_at(int dirfd, const unsigned char ns_uuid[16], uint64_t ns_resource,
		uint8_t block[NDX_SB_SIZE])
{
	char key[64], line[40];
	unsigned char u[16];
	size_t got;
	int rc;

	ns_key(ns_uuid, ns_resource, key, sizeof(key));
	rc = read_exact(dirfd, key, line, sizeof(line) - 1, &got);
	if (rc)
		return rc;
	if (got != 37 || line[36] != '\n')
		return -EINVAL;
	line[36] = '\0';
	if (uuid_parse(line, u))
		return -EINVAL;
	return ndx_store_get_at(dirfd, ns_uuid, ns_resource, u, block);
}

int ndx_store_drop(const uint8_t block[NDX_SB_SIZE], const unsigned char ns_uuid[16],
		uint64_t ns_resource)
{
	char name[128], key[64], line[40], u[40];
	struct ndx_pfn_info info;
	size_t got;
	int rc = 0, dirfd;

	if (ndx_pfn_sb_decode(block, &info) != NDX_SB_OK)
		return -EINVAL;
	dirfd = ndx_state_open("blocks", 0);
	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	block_name(name, sizeof(name), ns_uuid, ns_resource, info.uuid);
	ns_key(ns_uuid, ns_resource, key, sizeof(key));
	uuid_unparse_lower(info.uuid, u);
	/* the namespace's pointer only while it still names this block */
	if (read_exact(dirfd, key, line, sizeof(line) - 1, &got) == 0 && got == 37 &&
			memcmp(line, u, 36) == 0 && unlinkat(dirfd, key, 0) < 0 && errno != ENOENT)
		rc = -errno;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && !rc)
		rc = -errno;
	if (fsync(dirfd) < 0 && !rc)
		rc = -errno;
	close(dirfd);
	return rc;
}
