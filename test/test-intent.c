// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host intent records (lib/intent.c) in a temporary state directory:
 * what the writer writes the reader reads back, and the reader refuses
 * anything else (a changed byte, a truncated or extended record, another
 * namespace's record under this one's name, a symbolic link, a record
 * directory others can write).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "harness.h"
#include "intent.h"
#include "private.h"

static char dir[256], path[512];

static void record_path(const unsigned char *uuid, uint64_t resource)
{
	char u[40];

	if (uuid_is_null(uuid)) {
		snprintf(path, sizeof(path), "%s/res-%" PRIx64 ".intent", dir, resource);
	} else {
		uuid_unparse_lower(uuid, u);
		snprintf(path, sizeof(path), "%s/%s.intent", dir, u);
	}
}

static void put_file(const char *body, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0 && write(fd, body, len) == (ssize_t)len, "write %s", path);
	if (fd >= 0)
		close(fd);
}

static size_t get_file(char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	CHECK(n > 0, "read %s", path);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

int main(void)
{
	struct ndx_intent w = { 0 }, r;
	unsigned char u[16], v[16], zero[16] = { 0 };
	char body[1024], saved[1024];
	struct stat st;
	size_t n;
	struct ndctl_xen_ctx *ctx;

	snprintf(dir, sizeof(dir), "%s/ndx-intent.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	strcat(dir, "/state");
	setenv("NDCTL_XEN_STATE_DIR", dir, 1);
	CHECK(strcmp(ndx_intent_dir(), dir) == 0, "dir %s", ndx_intent_dir());
	uuid_generate(u);
	uuid_generate(v);

	/* nothing recorded */
	CHECK_EQ(ndx_intent_read(u, 0, &r), -ENOENT);
	CHECK_EQ(ndx_intent_clear(u, 0, 1), 0);

	/* a new namespace: named by its uuid; the directory made private */
	w.op = NDX_INTENT_NEW;
	memcpy(w.uuid, u, 16);
	uuid_generate(w.tag);
	CHECK_EQ(ndx_intent_write(&w), 0);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
			"directory mode %o", (unsigned)st.st_mode);
	record_path(u, 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "record mode %o",
			(unsigned)st.st_mode);
	CHECK_EQ(ndx_intent_read(u, 0x123456, &r), 0);
	CHECK_EQ(r.op, NDX_INTENT_NEW);
	CHECK(memcmp(r.uuid, u, 16) == 0 && memcmp(r.tag, w.tag, 16) == 0, "uuid/tag read back");
	CHECK_EQ(ndx_intent_read(v, 0, &r), -ENOENT);

	/* every changed byte, a truncation, an extension: refused */
	n = get_file(saved, sizeof(saved));
	{
		size_t i, refused = 0;

		for (i = 0; i < n; i++) {
			memcpy(body, saved, n);
			body[i] ^= (body[i] == '\n') ? 0x01 : 0x20;
			put_file(body, n);
			refused += ndx_intent_read(u, 0, &r) == -EINVAL;
		}
		CHECK_EQ(refused, n);
	}
	put_file(saved, n - 10);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -EINVAL);
	memcpy(body, saved, n);
	memcpy(body + n, "op new\n", 7);
	put_file(body, n + 7);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -EINVAL);
	put_file("", 0);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -EINVAL);
	put_file(saved, n);
	CHECK_EQ(ndx_intent_read(u, 0, &r), 0);

	/* another namespace's record under this one's name */
	memcpy(w.uuid, v, 16);
	CHECK_EQ(ndx_intent_write(&w), 0);
	record_path(v, 0);
	get_file(body, sizeof(body));
	n = strlen(body);
	record_path(u, 0);
	put_file(body, n);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -EINVAL);
	CHECK_EQ(ndx_intent_clear(u, 0, 0), 0);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -ENOENT);
	CHECK_EQ(ndx_intent_clear(v, 0, 1), 0);

	/* a label-less rewrite: named by its physical start */
	memset(&w, 0, sizeof(w));
	w.op = NDX_INTENT_REWRITE;
	w.resource = 0x180000000ull;
	w.size = 128 << 20;
	uuid_generate(w.tag);
	CHECK_EQ(ndx_intent_write(&w), 0);
	CHECK_EQ(ndx_intent_read(zero, 0x180000000ull, &r), 0);
	CHECK(r.op == NDX_INTENT_REWRITE && r.resource == w.resource && r.size == w.size &&
			memcmp(r.tag, w.tag, 16) == 0, "label-less record read back");
	CHECK_EQ(ndx_intent_read(zero, 0x100000000ull, &r), -ENOENT);
	/* the same record copied under another start's name: refused */
	record_path(zero, 0x180000000ull);
	get_file(body, sizeof(body));
	record_path(zero, 0x200000000ull);
	put_file(body, strlen(body));
	CHECK_EQ(ndx_intent_read(zero, 0x200000000ull, &r), -EINVAL);
	unlink(path);

	/* a symbolic link where a record would be: not followed */
	record_path(u, 0);
	CHECK(symlink("/etc/hostname", path) == 0, "symlink");
	CHECK_EQ(ndx_intent_read(u, 0, &r), -EINVAL);
	unlink(path);

	/* a directory others can write holds no evidence */
	chmod(dir, 0777);
	w.op = NDX_INTENT_NEW;
	memcpy(w.uuid, u, 16);
	CHECK_EQ(ndx_intent_write(&w), -EPERM);
	chmod(dir, 0700);

	/* the public side */
	CHECK(ndctl_xen_new(&ctx) == 0, "ctx");
	CHECK_EQ(ndctl_xen_namespace_mark_new(ctx, zero), -EINVAL);
	CHECK_EQ(ndctl_xen_namespace_mark_new(ctx, u), 0);
	CHECK_EQ(ndx_intent_read(u, 0, &r), 0);
	CHECK_EQ(r.op, NDX_INTENT_NEW);
	CHECK_EQ(ndctl_xen_namespace_unmark(ctx, u), 0);
	CHECK_EQ(ndx_intent_read(u, 0, &r), -ENOENT);
	CHECK(strcmp(ndctl_xen_get_last_error(ctx), "") == 0, "no error yet: '%s'",
			ndctl_xen_get_last_error(ctx));
	/* a refusal hands its reason back: the directory and the errno's words */
	{
		char missing[300], want[400];

		FILE *plain;

		/* a path through a regular file: no directory can be made there */
		snprintf(missing, sizeof(missing), "%s/plain", dir);
		plain = fopen(missing, "w");
		CHECK(plain != NULL, "%s", missing);
		if (plain)
			fclose(plain);
		snprintf(missing, sizeof(missing), "%s/plain/state", dir);
		setenv("NDCTL_XEN_STATE_DIR", missing, 1);
		CHECK(ndctl_xen_namespace_mark_new(ctx, u) < 0, "no directory");
		snprintf(want, sizeof(want), "cannot write an intent record in %s: %s",
				missing, strerror(ENOTDIR));
		CHECK(strcmp(ndctl_xen_get_last_error(ctx), want) == 0, "'%s', expected '%s'",
				ndctl_xen_get_last_error(ctx), want);
		setenv("NDCTL_XEN_STATE_DIR", dir, 1);
		snprintf(missing, sizeof(missing), "%s/plain", dir);
		unlink(missing);
	}
	ndctl_xen_unref(ctx);

	/* a relative directory from the environment is not used */
	setenv("NDCTL_XEN_STATE_DIR", "state", 1);
	CHECK(strcmp(ndx_intent_dir(), "/var/lib/ndctl-xen") == 0, "dir %s", ndx_intent_dir());

	rmdir(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return h_report();
}
