// SPDX-License-Identifier: LGPL-2.1-or-later
/* Host intent records (see intent.h): one writer, one reader. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		n = snprintf(buf, len, "%s/res-%" PRIx64 ".intent", ndx_intent_dir(), resource);
	} else {
		uuid_unparse_lower(uuid, u);
		n = snprintf(buf, len, "%s/%s.intent", ndx_intent_dir(), u);
	}
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int ndx_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int ndx_state_mkdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	/* records others could plant or change are no evidence of this host's */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

int ndx_write_atomic(const char *dir, const char *path, const void *buf, size_t len)
{
	char tmp[4200];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	else if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	/* rename: a cut leaves the old file or the new one, never half of one */
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return ndx_sync_dir(dir);
}

int ndx_open_private(const char *path, int *fd_out, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid()) {
		close(fd);
		return -EINVAL;
	}
	*fd_out = fd;
	return 0;
}

int ndx_intent_write(const struct ndx_intent *rec)
{
	char path[4096], body[INTENT_MAX], u[40], t[40];
	size_t len;
	int rc, n;

	rc = ndx_state_mkdir(ndx_intent_dir());
	if (!rc)
		rc = record_name(rec->uuid, rec->resource, path, sizeof(path));
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
	return ndx_write_atomic(ndx_intent_dir(), path, body, len);
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
	char path[4096], body[INTENT_MAX + 1], *line[7], *save = NULL, *p;
	char sum_line[32];
	uint64_t want;
	struct stat st;
	ssize_t n;
	size_t sum_at;
	int fd, i, rc;

	memset(rec, 0, sizeof(*rec));
	rc = record_name(uuid, resource, path, sizeof(path));
	if (rc)
		return rc;
	rc = ndx_open_private(path, &fd, &st);
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

int ndx_intent_clear(const unsigned char uuid[16], uint64_t resource)
{
	char path[4096];
	int rc = record_name(uuid, resource, path, sizeof(path));

	if (rc)
		return rc;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	return ndx_sync_dir(ndx_intent_dir());
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
	rc = ndx_intent_write(&rec);
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
	rc = ndx_intent_clear(uuid, 0);
	if (rc)
		err(ctx, "cannot remove the intent record in %s: %s\n", ndx_intent_dir(),
				strerror(-rc));
	return rc;
}
