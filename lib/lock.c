// SPDX-License-Identifier: LGPL-2.1-or-later
/* The host-wide provisioning lock (ndctl_xen_lock()). */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#define LOCK_PATH "/run/ndctl-xen.lock"

/* ---- one provisioning at a time on this host ---- */

/*
 * The lock lives in /run, which only root can write: a user who could
 * create (or pre-create) it could hold it and stop every provisioning and
 * recover run, so there is no fallback to a world-writable directory.
 * O_NOFOLLOW and the owner check refuse a lock file someone else planted.
 */
static int lock_open(void)
{
	struct stat st;
	int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
			(st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return -EEXIST;
	}
	return fd;
}

NDX_EXPORT int ndctl_xen_lock(struct ndctl_xen_ctx *ctx, int wait_seconds)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int fd, waited = 0;

	if (ctx->lock_fd >= 0) {
		ctx->lock_depth++;
		return 0;
	}
	fd = lock_open();
	if (fd < 0)
		return fd;
	/* poll with a deadline rather than block forever */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || waited >= wait_seconds * 20) {
			int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;

			close(fd);
			return rc;
		}
		if (waited == 0)
			info(ctx, "waiting for another ndctl-xen (%s)\n", LOCK_PATH);
		nanosleep(&tick, NULL);
		waited++;
	}
	ctx->lock_fd = fd;
	ctx->lock_depth = 1;
	return 0;
}

NDX_EXPORT const char *ndctl_xen_lock_error(int rc)
{
	switch (rc) {
	case -EBUSY:
		return "another ndctl-xen is still provisioning (lock " LOCK_PATH ")";
	case -EACCES:
	case -EPERM:
		return "permission denied: provisioning needs root (it takes "
			LOCK_PATH ", writes sysfs and the namespace)";
	case -ELOOP:
		return "the lock " LOCK_PATH " is a symbolic link: refusing to follow it";
	case -EEXIST:
		return "the lock " LOCK_PATH " is not a regular file of this user "
			"(root) writable only by it: refusing to share it";
	case -ENOENT:
		return "cannot take the lock " LOCK_PATH ": /run does not exist";
	default:
		return "cannot take the lock " LOCK_PATH;
	}
}

NDX_EXPORT void ndctl_xen_unlock(struct ndctl_xen_ctx *ctx)
{
	if (ctx->lock_fd < 0 || --ctx->lock_depth > 0)
		return;
	close(ctx->lock_fd);
	ctx->lock_fd = -1;
}
