// SPDX-License-Identifier: LGPL-2.1-or-later
/* Host intent records (see intent.h): one writer, one reader. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "intent.h"
#include "private.h"

#define INTENT_DIR "/var/lib/ndctl-xen"
#define INTENT_MAGIC "ndctl-xen-intent 1\n"
#define INTENT_MAX 512

const char *ndx_intent_dir(void)
{
	/* secure_getenv: a set-uid or file-capable caller's environment is ignored */
	const char *d = secure_getenv("NDCTL_XEN_STATE_DIR");

	return d && d[0] == '/' ? d : INTENT_DIR;
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* named by the uuid; by the physical start only when there is none (label-less) */
static int record_name(const unsigned char uuid[16], uint64_t resource, char *buf, size_t len)
{
	char u[40];
	int n;

	if (uuid_is_null(uuid)) {
		n = snprintf(buf, len, "res-%" PRIx64 ".intent", resource);
	} else {
		uuid_unparse_lower(uuid, u);
		n = snprintf(buf, len, "%s.intent", u);
	}
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* records others could plant or change are no evidence of this host's */
static int private_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

static int open_dir_at(int at, const char *path, int create)
{
	int fd, rc;

	if (create && mkdirat(at, path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	rc = private_dir(fd);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int ndx_state_open(const char *sub, int create)
{
	int fd = open_dir_at(AT_FDCWD, ndx_intent_dir(), create), subfd;

	if (fd < 0 || !sub)
		return fd;
	subfd = open_dir_at(fd, sub, create);
	close(fd);
	return subfd;
}

int ndx_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len,
		int sync_dir)
{
	char tmp[300];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* one writer at a time in this directory: the temporary name is shared */
	if (flock(dirfd, LOCK_EX) < 0)
		return -errno;
	/* a temporary file a killed writer left */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, buf, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	else if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	/* rename: a cut leaves the old file or the new one, never half of one */
	if (!rc && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc)
		unlinkat(dirfd, tmp, 0);
	else if (sync_dir && fsync(dirfd) < 0)
		rc = -errno;
out:
	flock(dirfd, LOCK_UN);
	return rc;
}

int ndx_open_private_at(int dirfd, const char *name, int *fd_out, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	/* a second name could be changed from wherever it lives */
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
			st->st_nlink != 1) {
		close(fd);
		return -EINVAL;
	}
	*fd_out = fd;
	return 0;
}

int ndx_intent_write(const struct ndx_intent *rec)
{
	char name[128], body[INTENT_MAX], u[40], t[40];
	size_t len;
	int rc, n, dirfd;

	rc = record_name(rec->uuid, rec->resource, name, sizeof(name));
	if (rc)
		return rc;
	uuid_unparse_lower(rec->uuid, u);
	uuid_unparse_lower(rec->tag, t);
	n = snprintf(body, sizeof(body), INTENT_MAGIC "op %s\nuuid %s\nresource %#" PRIx64
			"\nsize %" PRIu64 "\ntag %s\n",
			rec->op == NDX_INTENT_NEW ? "new" : "rewrite", u, rec->resource,
			rec->size, t);
	len = (size_t)n;
	n = snprintf(body + len, sizeof(body) - len, "sum %#" PRIx64 "\n", fnv1a(body, len));
	len += (size_t)n;
	dirfd = ndx_state_open(NULL, 1);
	if (dirfd < 0)
		return dirfd;
	rc = ndx_write_atomic_at(dirfd, name, body, len, 1);
	close(dirfd);
	return rc;
}

static int parse_uuid(const char *line, const char *key, unsigned char out[16])
{
	char u[37];
	size_t k = strlen(key);

	if (strncmp(line, key, k) || line[k] != ' ' || strlen(line + k + 1) != 36)
		return -EINVAL;
	memcpy(u, line + k + 1, 36);
	u[36] = '\0';
	return uuid_parse(u, out) ? -EINVAL : 0;
}

static int parse_u64(const char *line, const char *key, int base, uint64_t *out)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(line, key, k) || line[k] != ' ' || !line[k + 1])
		return -EINVAL;
	errno = 0;
	*out = strtoull(line + k + 1, &end, base);
	return errno || *end ? -EINVAL : 0;
}

int ndx_intent_read(const unsigned char uuid[16], uint64_t resource, struct ndx_intent *rec)
{
	char name[128], body[INTENT_MAX + 1], *line[7], *save = NULL, *p;
	char sum_line[32];
	uint64_t want;
	struct stat st;
	ssize_t n;
	size_t sum_at;
	int fd, i, rc, dirfd;

	memset(rec, 0, sizeof(*rec));
	rc = record_name(uuid, resource, name, sizeof(name));
	if (rc)
		return rc;
	dirfd = ndx_state_open(NULL, 0);
	if (dirfd < 0)
		return dirfd;
	rc = ndx_open_private_at(dirfd, name, &fd, &st);
	close(dirfd);
	if (rc)
		return rc;
	n = read(fd, body, INTENT_MAX);
	close(fd);
	if (n <= 0 || (size_t)n >= INTENT_MAX || body[n - 1] != '\n')
		return -EINVAL;
	body[n] = '\0';
	if (strncmp(body, INTENT_MAGIC, strlen(INTENT_MAGIC)) != 0 || memchr(body, '\0', (size_t)n))
		return -EINVAL;
	p = strstr(body, "\nsum ");
	if (!p)
		return -EINVAL;
	sum_at = (size_t)(p + 1 - body);
	want = fnv1a(body, sum_at);
	for (i = 0, p = strtok_r(body, "\n", &save); p && i < 7; i++, p = strtok_r(NULL, "\n", &save))
		line[i] = p;
	if (i != 7 || p)
		return -EINVAL;
	/* compared as text: "0X" or "A" for "a" is not the writer's record */
	snprintf(sum_line, sizeof(sum_line), "sum %#" PRIx64, want);
	if (strcmp(line[6], sum_line) != 0)
		return -EINVAL;
	if (strcmp(line[1], "op new") == 0)
		rec->op = NDX_INTENT_NEW;
	else if (strcmp(line[1], "op rewrite") == 0)
		rec->op = NDX_INTENT_REWRITE;
	else
		return -EINVAL;
	if (parse_uuid(line[2], "uuid", rec->uuid) || parse_u64(line[3], "resource", 16, &rec->resource) ||
			parse_u64(line[4], "size", 10, &rec->size) || parse_uuid(line[5], "tag", rec->tag))
		return -EINVAL;
	/* the record must be the one this namespace's name says */
	if (memcmp(rec->uuid, uuid, 16) != 0 || (uuid_is_null(uuid) && rec->resource != resource))
		return -EINVAL;
	return 0;
}

int ndx_intent_clear(const unsigned char uuid[16], uint64_t resource, int durable)
{
	char name[128];
	int rc = record_name(uuid, resource, name, sizeof(name)), dirfd;

	if (rc)
		return rc;
	dirfd = ndx_state_open(NULL, 0);
	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	if (unlinkat(dirfd, name, 0) < 0)
		rc = errno == ENOENT ? 0 : -errno;
	else if (durable && fsync(dirfd) < 0)
		rc = -errno;
	close(dirfd);
	return rc;
}

/* ---- the public side: a client marks a namespace before creating it ---- */

NDX_EXPORT int ndctl_xen_namespace_mark_new(struct ndctl_xen_ctx *ctx,
		const unsigned char uuid[16])
{
	struct ndx_intent rec = { .op = NDX_INTENT_NEW };
	int rc;

	if (uuid_is_null(uuid))
		return -EINVAL;
	memcpy(rec.uuid, uuid, 16);
	info(ctx, "recording the intent for a new namespace (file, fsync, directory fsync)\n");
	rc = ndx_intent_write(&rec);
	if (!rc)
		memcpy(ctx->marked, uuid, 16);
	if (rc) {
		snprintf(ctx->last_error, sizeof(ctx->last_error), "cannot write an intent "
				"record in %s: %s", ndx_intent_dir(), strerror(-rc));
		err(ctx, "%s\n", ctx->last_error);
	}
	return rc;
}

NDX_EXPORT int ndctl_xen_namespace_unmark(struct ndctl_xen_ctx *ctx,
		const unsigned char uuid[16])
{
	int rc;

	if (uuid_is_null(uuid))
		return -EINVAL;
	rc = ndx_intent_clear(uuid, 0, 1);
	if (rc)
		err(ctx, "cannot remove the intent record in %s: %s\n", ndx_intent_dir(),
				strerror(-rc));
	return rc;
}
