// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the CLI's commands: JSON values and device filters. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "builtin.h"
#include "config.h"
#include "util/escape.h"
#include "util/size.h"

struct json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

struct json_object *json_size(uint64_t v, int human)
{
	char buf[64];

	/* as ndctl's -u: "64.00 MiB (67.11 MB)", a plain number below 5000 KiB */
	if (!human || !util_ndctl_size(v, buf, sizeof(buf)))
		return json_u64(v);
	return json_object_new_string(buf);
}

struct json_object *json_hex(uint64_t v, int human)
{
	char buf[32];

	if (!human)
		return json_u64(v);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

const char *uuid_str(const unsigned char *u, char *buf)
{
	uuid_unparse(u, buf);
	return buf;
}

const char *owner_str(enum ndctl_xen_owner owner, const char *name)
{
	/* a record's name is at most 16 bytes: 4 each when escaped */
	static char shown[4 * 32 + 1];

	if (owner != NDCTL_XEN_OWNER_NAMED)
		return ndctl_xen_owner_name(owner);
	return util_escape(name, shown, sizeof(shown));
}

int filter_match(const char *want, const char *devname, unsigned int id)
{
	char num[16];

	if (!want || strcmp(want, "all") == 0)
		return 1;
	snprintf(num, sizeof(num), "%u", id);
	return strcmp(want, devname) == 0 || strcmp(want, num) == 0;
}

int bus_match(struct ndctl_bus *bus, const char *want)
{
	return !want || strcmp(want, "all") == 0 ||
		strcmp(want, ndctl_bus_get_devname(bus)) == 0 ||
		strcmp(want, ndctl_bus_get_provider(bus)) == 0;
}

int foreach_namespace(struct ndctl_ctx *nctx, const char *bus_want, const char *region_want,
		const char *ns_want, int (*fn)(struct ndctl_namespace *ndns, void *arg), void *arg)
{
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_namespace *ndns;
	int rc;

	ndctl_bus_foreach(nctx, bus) {
		if (!bus_match(bus, bus_want))
			continue;
		ndctl_region_foreach(bus, region) {
			if (!filter_match(region_want, ndctl_region_get_devname(region),
						ndctl_region_get_id(region)))
				continue;
			ndctl_namespace_foreach(region, ndns) {
				if (ns_want && strcmp(ns_want, "all") != 0 &&
						strcmp(ns_want, ndctl_namespace_get_devname(ndns)) != 0)
					continue;
				/* unconfigured seeds are not namespaces yet */
				if (!ndctl_namespace_get_size(ndns))
					continue;
				rc = fn(ndns, arg);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

/* clip [start, end) (bytes from the namespace base) to the namespace */
static int clip_call(uint64_t start, uint64_t end, uint64_t ns_size,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg)
{
	if (start >= ns_size || end <= start)
		return 0;
	return fn(start, end > ns_size ? ns_size : end, arg);
}

/*
 * The pmem driver's list for the namespace's block device: 512-byte
 * sectors from the start of that disk (the data area for fsdax, the
 * namespace for raw).  The kernel fills it from the region's list at
 * probe, adds later reports, and clears an entry when the sectors are
 * rewritten.  1 when the namespace has such a disk (the list was used).
 */
static int disk_badblocks(struct ndctl_namespace *ndns, const struct ns_disk *disk,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg, int *rc)
{
	uint64_t ns_size = ndctl_namespace_get_size(ndns);
	unsigned long long sector;
	char path[128], list[4097], *p = list;
	size_t got = 0;
	ssize_t n;
	int fd, len, used;

	if (!disk->bdev || !disk->bdev[0])
		return 0;
	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", disk->bdev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* the kernel shows at most a page: read to the end, no stdio buffer */
	while (got < sizeof(list) - 1 && (n = read(fd, list + got, sizeof(list) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	list[got] = '\0';
	*rc = 0;
	while (!*rc && sscanf(p, "%llu %d%n", &sector, &len, &used) == 2) {
		p += used;
		if (len > 0 && sector < UINT64_MAX / 512 - disk->off)
			*rc = clip_call(disk->off + sector * 512,
					disk->off + (sector + (uint64_t)len) * 512, ns_size, fn, arg);
	}
	return 1;
}

int foreach_ns_badblock_on(struct ndctl_namespace *ndns, const struct ns_disk *disk,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg)
{
	struct ndctl_region *region = ndctl_namespace_get_region(ndns);
	uint64_t ns_off, ns_size = ndctl_namespace_get_size(ndns);
	struct badblock *bb;
	int rc = 0;

	if (disk_badblocks(ndns, disk, fn, arg, &rc))
		return rc < 0 ? rc : 0;
	ns_off = ndctl_namespace_get_resource(ndns) - ndctl_region_get_resource(region);
	ndctl_region_badblock_foreach(region, bb) {
		/* 512-byte sectors from the region's start */
		uint64_t start = bb->offset * 512, end = start + (uint64_t)bb->len * 512;

		if (end <= ns_off || start >= ns_off + ns_size)
			continue;
		rc = clip_call(start < ns_off ? 0 : start - ns_off, end - ns_off, ns_size, fn, arg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int foreach_ns_badblock(struct ndctl_namespace *ndns,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
	struct ns_disk disk = { NULL, 0 };

	if (pfn && ndctl_pfn_is_enabled(pfn)) {
		disk.bdev = ndctl_pfn_get_block_device(pfn);
		disk.off = ndctl_pfn_get_resource(pfn) - ndctl_namespace_get_resource(ndns);
	} else if (!ndctl_namespace_get_btt(ndns) && !ndctl_namespace_get_dax(ndns) &&
			ndctl_namespace_is_enabled(ndns)) {
		disk.bdev = ndctl_namespace_get_block_device(ndns);
	}
	return foreach_ns_badblock_on(ndns, &disk, fn, arg);
}

int cmd_error_quiet;

static __attribute__((format(printf, 2, 0)))
void cmd_line(const char *cmd, const char *fmt, va_list ap)
{
	/* one line whole, whatever a thread of the library logs (stdio's lock) */
	flockfile(stderr);
	fprintf(stderr, "ndctl-xen %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cmd_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (cmd_error_quiet)
		return;
	va_start(ap, fmt);
	cmd_line(cmd, fmt, ap);
	va_end(ap);
}

void cmd_step(struct ndctl_xen_ctx *ctx, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (ndctl_xen_get_log_priority(ctx) < LOG_INFO)
		return;
	va_start(ap, fmt);
	cmd_line(cmd, fmt, ap);
	va_end(ap);
}

int run_ndctl(int argc, char **argv)
{
	const char *path = secure_getenv("NDCTL_XEN_NDCTL");
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	int i;

	if (!path || !path[0])
		path = NDCTL_PATH;
	if (!args) {
		fprintf(stderr, "ndctl-xen: out of memory\n");
		return EXIT_FAILED;
	}
	args[0] = (char *)"ndctl";
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	fflush(NULL);
	execv(path, args);
	fprintf(stderr, "ndctl-xen: cannot run ndctl (%s) for '%s': %s; install ndctl, or "
			"set NDCTL_XEN_NDCTL to its path\n", path, argc ? argv[0] : "", strerror(errno));
	free(args);
	return EXIT_FAILED;
}

int option_error(const char *cmd, int c, char **argv)
{
	const char *token = argv[optind - 1];
	char name[80];

	/*
	 * A long option is the token (up to its "="); a short one is optopt,
	 * which may sit inside a cluster such as -Nq (getopt has not moved
	 * optind past a cluster it is still reading).
	 */
	int long_opt = strncmp(token, "--", 2) == 0, valued = strchr(token, '=') != NULL;

	if (long_opt && (c == ':' || !optopt || valued))
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(token, "="), token);
	else if (optopt > 0 && optopt < 0x100)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", token);
	if (c == ':')
		cmd_error(cmd, "option '%s' needs a value; see --help", name);
	else if (long_opt && optopt && valued)
		cmd_error(cmd, "option '%s' takes no value; see --help", name);
	else
		cmd_error(cmd, "unknown option '%s'; see --help", name);
	return EXIT_USAGE;
}
