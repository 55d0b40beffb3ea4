// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The info-block commands: write-infoblock and read-infoblock on image
 * files and block devices.  The CLI only parses, does I/O and prints;
 * every decision about the layout and the on-media bytes is the library's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <json-c/json.h>
#include <syslog.h>
#include <ndctl/libndctl.h>
#include <linux/ndctl.h>
#include <daxctl/libdaxctl.h>

#include "builtin.h"
#include "util/size.h"
#include "layout-opts.h"

#define INFOBLOCK_SPAN 8192

static int compute_or_explain(const char *cmd, struct ndctl_xen_layout *l)
{
	char msg[512];

	if (ndctl_xen_layout_compute(l) == 0)
		return 0;
	cmd_error(cmd, "%s: %s", ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
			layout_error(NULL, l, msg, sizeof(msg)));
	return EXIT_REFUSED;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = off >= 0 ? pwrite(fd, p, len, off) : write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

/*
 * Reads up to len bytes from fd's current position (the start, for a file
 * just opened, or a pipe); returns bytes read or -errno.
 */
static ssize_t read_head(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int fd_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	return -EINVAL;
}

/*
 * Something other than zeros or an info block in the first 8 KiB is a
 * user's data (a filesystem, a BTT, a partition table): keep it unless
 * forced.  A valid block is returned in *valid (NULL otherwise) so that a
 * replacement that moves the data can be refused too.
 */
static int holds_foreign_data(struct ndctl_xen_ctx *ctx, const uint8_t *head,
		size_t len, struct ndctl_xen_infoblock **valid)
{
	struct ndctl_xen_infoblock *ib;
	size_t i;

	*valid = NULL;
	for (i = 0; i < len && !head[i]; i++)
		;
	if (i == len)
		return 0;
	if (len < INFOBLOCK_SPAN)
		return 1;
	for (i = 0; i < 4096 && !head[i]; i++)
		;
	if (i < 4096)
		return 1;
	if (ndctl_xen_infoblock_decode(ctx, head, len, &ib) < 0)
		return 1;
	if (ndctl_xen_infoblock_get_status(ib) != NDCTL_XEN_BLOCK_OK) {
		ndctl_xen_infoblock_unref(ib);
		return 1;
	}
	*valid = ib;
	return 0;
}

static const char *map_name(uint32_t pfn_mode)
{
	return pfn_mode == NDCTL_XEN_MAP_DEV ? "dev" : pfn_mode == NDCTL_XEN_MAP_MEM ?
		"mem" : "none";
}

/*
 * A valid block whose data would move (dataoff), change type (fsdax and
 * devdax) or change where the page structures live (map) holds a
 * namespace's layout: replacing it loses the data as surely as
 * overwriting a filesystem, so it needs --force as create-namespace does.
 * 0, or 1 with the difference in why.
 */
static int replaces_layout(struct ndctl_xen_infoblock *ib, struct ndctl_xen_layout *l,
		char *why, size_t len)
{
	enum ndctl_xen_mode old_mode = ndctl_xen_infoblock_get_mode(ib);
	enum ndctl_xen_mode new_mode = ndctl_xen_layout_get_mode(l);
	uint32_t old_map = ndctl_xen_infoblock_get_pfn_mode(ib);
	uint32_t new_map = ndctl_xen_layout_get_map(l);
	uint64_t old_off = ndctl_xen_infoblock_get_dataoff(ib);
	uint64_t new_off = ndctl_xen_layout_get_dataoff(l);

	if (old_mode != new_mode)
		snprintf(why, len, "its valid %s info block would become %s",
				old_mode == NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax",
				new_mode == NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax");
	else if (old_map != new_map)
		snprintf(why, len, "its valid info block's map would change from %s to %s",
				map_name(old_map), map_name(new_map));
	else if (old_off != new_off)
		snprintf(why, len, "its valid info block's dataoff would move from %#" PRIx64
				" to %#" PRIx64, old_off, new_off);
	else
		return 0;
	return 1;
}

static const char *file_type(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ?
		"a character device" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ?
		"a symbolic link" : "not a regular file";
}

static void write_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen write-infoblock (NAMESPACE... | -o FILE | -c) [-s SIZE] [OPTIONS]\n\n"
"Write the first 8 KiB of a namespace (disabled; the kernel then probes it, as\n"
"create-namespace does) or of an image: 4 KiB of zeros, then a pfn (fsdax) or\n"
"dax (devdax) info block whose dataoff leaves a reserved area, recorded in\n"
"the block.\n\n"
"  -o, --output=FILE        write to FILE at offset 0 (image file or block device)\n"
"  -c, --stdout             write the 8 KiB to standard output (needs --size)\n"
"  -b, --bus=BUS            limit NAMESPACE to a bus (name or provider)\n"
"  -r, --region=REGION      limit NAMESPACE to a region (regionX or X)\n"
LAYOUT_HELP
"  -O, --offset=OFFSET      physical start of FILE's namespace (2 MiB aligned;\n"
"                           default 0)\n"
"  -u, --uuid=UUID          uuid of the info block (default: generated)\n"
"  -p, --parent-uuid=UUID   uuid of the namespace (default: all zero, label-less)\n"
"  -f, --force              overwrite data that is not an info block, replace a\n"
"                           valid block's layout, or write a --size that is not\n"
"                           FILE's\n"
"      --dry-run            print what would be written, as read-infoblock shows\n"
"                           it, with Xen's check; write nothing\n"
"  -j, --json               with --dry-run: as read-infoblock -j (JSON)\n"
"      --xen[=PRESET]       the Xen check's page_info: xen (32 B, default) or\n"
"                           xen-bigmem (48 B)\n"
"  -v, --verbose            library messages, and what was written, on stderr\n"
"  -h, --help               this text\n\n"
"Exit status: 0 written (or previewed), 1 refused by a rule (nothing written),\n"
"129 usage or a malformed value (as ndctl), 3 failed while writing (an I/O error).\n");
}

/* The page_info size of the preview's Xen check: --xen, else a preset's, else 32 */
static uint32_t preview_page_info(uint32_t xen, const struct layout_opts *o)
{
	uint32_t p = per_page_preset(o->reserve_per_page);

	return xen ? xen : p ? p : NDCTL_XEN_XEN_PAGE_INFO_SIZE;
}

int preview_block(struct ndctl_xen_ctx *ctx, const char *cmd, struct ndctl_xen_layout *l,
		const uint8_t *buf, const char *dev, const char *path, uint32_t page_info,
		int json)
{
	struct show_opts so = {
		.cmd = cmd, .dev = dev, .path = path, .json = json,
		.size = ndctl_xen_layout_get_size(l),
		.phys_start = ndctl_xen_layout_get_phys_start(l),
		.xen_page_info = page_info,
	};

	fprintf(stderr, "ndctl-xen %s: dry run: nothing written to %s\n", cmd, dev ? dev : path);
	warn_rounding(cmd, l);
	return show_infoblock(stdout, ctx, buf, &so);
}

/*
 * A block device's size from sysfs, without opening it (--dry-run does
 * not touch the device).
 */
static int sysfs_blk_size(const struct stat *st, uint64_t *size)
{
	char p[96], line[32];
	FILE *f;
	int ok;

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/size", major(st->st_rdev),
			minor(st->st_rdev));
	f = fopen(p, "r");
	if (!f)
		return -errno;
	ok = fgets(line, sizeof(line), f) && util_parse_u64(strtok(line, "\n"), size) == 0;
	fclose(f);
	if (!ok || *size > UINT64_MAX / 512)
		return -EINVAL;
	*size *= 512;
	return 0;
}

int preview_namespace(struct ndctl_xen_ctx *ctx, const char *cmd,
		const struct layout_opts *o, struct ndctl_namespace *ndns, uint64_t size,
		const unsigned char *uuid)
{
	unsigned char parent[16] = { 0 };
	struct ndctl_xen_layout *l;
	uint8_t buf[INFOBLOCK_SPAN];
	int rc;

	if (ndctl_xen_layout_new(ctx, &l) < 0)
		return EXIT_FAILED;
	rc = apply_layout_opts(cmd, o, l);
	if (rc)
		goto out;
	/* sysfs only: the namespace's size, start and uuid */
	if (ndns) {
		size = ndctl_namespace_get_size(ndns);
		ndctl_xen_layout_set_phys_start(l, ndctl_namespace_get_resource(ndns));
		ndctl_namespace_get_uuid(ndns, parent);
	} else if (uuid) {
		memcpy(parent, uuid, sizeof(parent));
	}
	ndctl_xen_layout_set_size(l, size);
	/* provisioning would compute it for this kernel: so does the preview */
	ndctl_xen_layout_set_platform(l, ndns ? ndctl_region_get_devname(
				ndctl_namespace_get_region(ndns)) : NULL);
	rc = compute_or_explain(cmd, l);
	if (rc)
		goto out;
	if (ndctl_xen_layout_get_platform_choice(l)[0])
		fprintf(stderr, "ndctl-xen %s: note: for this kernel: %s\n", cmd,
				ndctl_xen_layout_get_platform_choice(l));
	if (ndctl_xen_layout_encode(l, NULL, parent, buf, sizeof(buf)) < 0) {
		cmd_error(cmd, "internal error: cannot encode the layout");
		rc = EXIT_FAILED;
		goto out;
	}
	rc = preview_block(ctx, cmd, l, buf, ndns ? ndctl_namespace_get_devname(ndns) :
			NULL, "(new namespace)", preview_page_info(0, o), o->json);
out:
	ndctl_xen_layout_unref(l);
	return rc;
}

struct ns_write {
	struct ndctl_xen_ctx *ctx;
	const struct layout_opts *o;
	int force, dry_run, found, rc, written, verbose;
	uint32_t page_info;
};

/* an option of ndctl-xen's own: the request is not ndctl's */
static int xen_layout_request(const struct layout_opts *o)
{
	return o->reserve || o->reserve_per_page || o->reserve_owner || o->page_struct_size;
}

/* -v: what was written, one line (the block's layout in numbers and units) */
static void print_written(struct ndctl_xen_layout *l, const char *target)
{
	char size[40], rsv[40], data[40];

	fprintf(stderr, "write-infoblock: %s: %s, map=%s, align %s: dataoff %#" PRIx64
			", reserve %s at %#" PRIx64 ", data %s\n", target,
			ndctl_xen_layout_get_mode(l) == NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax",
			ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV ? "dev" : "mem",
			util_human_size(ndctl_xen_layout_get_align(l), size, sizeof(size)),
			ndctl_xen_layout_get_data_offset(l),
			util_human_size(ndctl_xen_layout_get_reserve_size(l), rsv, sizeof(rsv)),
			ndctl_xen_layout_get_reserve_offset(l),
			util_human_size(ndctl_xen_layout_get_data_size(l), data, sizeof(data)));
}

/* ndctl's last line (cmd_write_infoblock()), after -v's account of it */
static void said_written(struct ndctl_xen_ctx *ctx, struct ndctl_xen_layout *l,
		const char *target, int count)
{
	if (ndctl_xen_get_log_priority(ctx) >= LOG_INFO)
		print_written(l, target);
	fprintf(stderr, "wrote %d infoblock%s\n", count, count == 1 ? "" : "s");
}

static int write_one_namespace(struct ndctl_namespace *ndns, void *arg)
{
	const char *cmd = "write-infoblock", *devname = ndctl_namespace_get_devname(ndns);
	struct ns_write *w = arg;
	struct ndctl_xen_layout *l = NULL;
	char why[2048];
	int rc;

	w->found++;
	/* ndctl's namespace_rw_infoblock() refuses an active namespace */
	if (ndctl_namespace_is_active(ndns)) {
		cmd_error(cmd, "%s is active: disable it first (ndctl-xen disable-namespace %s), "
				"or reconfigure it with create-namespace -e %s -f", devname,
				devname, devname);
		w->rc = EXIT_REFUSED;
		return 0;
	}
	if (w->dry_run) {
		rc = preview_namespace(w->ctx, cmd, w->o, ndns, 0, NULL);
		goto out;
	}
	if (ndctl_xen_layout_new(w->ctx, &l) < 0) {
		w->rc = EXIT_FAILED;
		return 0;
	}
	rc = apply_layout_opts(cmd, w->o, l);
	if (rc)
		goto out;
	rc = ndctl_xen_namespace_provision(w->ctx, ndns, l,
			w->force ? NDCTL_XEN_PROVISION_FORCE : 0, why, sizeof(why));
	if (rc) {
		cmd_error(cmd, "%s: %s", devname, why);
		rc = rc == -EINVAL || rc == -EEXIST || rc == -EBUSY || rc == -EACCES ||
			rc == -EPERM ? EXIT_REFUSED : EXIT_FAILED;
		goto out;
	}
	warn_rounding(cmd, l);
	w->written++;
	if (w->verbose)
		print_written(l, devname);
out:
	if (rc && !w->rc)
		w->rc = rc;
	ndctl_xen_layout_unref(l);
	return 0;
}

static int write_namespaces(struct ndctl_xen_ctx *ctx, int argc, char **argv,
		const char *bus, const char *region, int verbose, struct ns_write *w)
{
	const char *cmd = "write-infoblock";
	struct ndctl_ctx *nctx = NULL;
	int i, rc = ndctl_new(&nctx);

	if (rc < 0) {
		cmd_error(cmd, "cannot open libndctl: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	if (verbose)
		ndctl_set_log_priority(nctx, LOG_DEBUG);
	w->ctx = ctx;
	for (i = 0; i < argc; i++) {
		int before = w->found;

		foreach_namespace(nctx, bus, region, argv[i], write_one_namespace, w);
		if (w->found == before) {
			cmd_error(cmd, "no namespace %s%s%s%s%s", argv[i],
					bus ? " on bus " : "", bus ? bus : "",
					region ? " in region " : "", region ? region : "");
			if (!w->rc)
				w->rc = EXIT_REFUSED;
		}
	}
	ndctl_unref(nctx);
	/*
	 * ndctl's last line (cmd_write_infoblock()); ndctl prints it after
	 * an error too, ndctl-xen's error stays the one line a script reads
	 */
	if (!w->dry_run && w->written)
		fprintf(stderr, "wrote %d infoblock%s\n", w->written, w->written == 1 ? "" : "s");
	return w->rc;
}

int cmd_write_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "stdout", no_argument, NULL, 'c' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "parent-uuid", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "offset", required_argument, NULL, 'O' },
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "xen", optional_argument, NULL, OPT_XEN },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		LAYOUT_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "write-infoblock", *output = NULL, *offset_str = NULL;
	const char *bus = NULL, *region = NULL;
	int dry_run = 0, verbose = 0;
	uint32_t xen = 0;
	uint64_t phys_start = 0;
	const char *uuid_str = NULL, *parent_str = NULL;
	struct layout_opts o = { 0 };
	struct ndctl_xen_layout *l = NULL;
	unsigned char uuid[16], parent[16];
	uint8_t buf[INFOBLOCK_SPAN], head[INFOBLOCK_SPAN];
	int c, to_stdout = 0, force = 0, fd = -1, rc;
	int is_blk = 0, exists = 0;
	uint64_t size = 0, new_size;
	ssize_t head_len = 0;
	struct ndctl_xen_infoblock *old_ib = NULL;
	char why[256];
	struct stat st;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:cs:m:M:a:u:p:fO:b:r:vjh", longopts, NULL)) != -1) {
		if (layout_opt(c, &o))
			continue;
		switch (c) {
		case 'O': offset_str = optarg; break;
		case 'b': bus = optarg; break;
		case 'r': region = optarg; break;
		case 'v': verbose = 1; break;
		case OPT_DRY_RUN: dry_run = 1; break;
		case OPT_XEN:
			xen = optarg ? per_page_preset(optarg) : NDCTL_XEN_XEN_PAGE_INFO_SIZE;
			if (!xen) {
				cmd_error(cmd, "--xen=%s: must be xen or xen-bigmem", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': output = optarg; break;
		case 'c': to_stdout = 1; break;
		case 'u': uuid_str = optarg; break;
		case 'p': parent_str = optarg; break;
		case 'f': force = 1; break;
		case 'j': o.json = 1; break;
		case 'h': write_usage(stdout); return 0;
		default: return bad_option(cmd, argv);
		}
	}
	if (verbose && getenv("NDCTL_XEN_LOG") == NULL)
		ndctl_xen_set_log_priority(ctx, LOG_INFO);
	if (offset_str && parse_size_opt(cmd, "offset", offset_str, &phys_start))
		return EXIT_USAGE;
	if (optind < argc) {
		struct ns_write w = { .o = &o, .force = force, .dry_run = dry_run,
			.verbose = verbose,
			.page_info = preview_page_info(xen, &o) };
		const char *bad = output ? "--output" : to_stdout ? "--stdout" :
			o.size ? "--size" : offset_str ? "--offset" : uuid_str ? "--uuid" :
			parent_str ? "--parent-uuid" : NULL;

		/* a namespace brings its own size, start and uuid */
		if (bad) {
			cmd_error(cmd, "%s with namespace '%s': a namespace's block takes its "
					"size, start and uuid from the namespace", bad, argv[optind]);
			return EXIT_USAGE;
		}
		return write_namespaces(ctx, argc - optind, argv + optind, bus, region,
				verbose, &w);
	}
	if (bus || region) {
		cmd_error(cmd, "--%s limits a namespace argument; none given",
				bus ? "bus" : "region");
		return EXIT_USAGE;
	}
	if (!!output == !!to_stdout) {
		cmd_error(cmd, "give exactly one of --output=FILE or --stdout");
		return EXIT_USAGE;
	}
	if (to_stdout && !o.size) {
		cmd_error(cmd, "--stdout needs --size");
		return EXIT_USAGE;
	}
	if (uuid_str && uuid_parse(uuid_str, uuid)) {
		cmd_error(cmd, "--uuid=%s is not a uuid", uuid_str);
		return EXIT_USAGE;
	}
	if (parent_str && uuid_parse(parent_str, parent)) {
		cmd_error(cmd, "--parent-uuid=%s is not a uuid", parent_str);
		return EXIT_USAGE;
	}

	/*
	 * One open per path: every check below (type, size, contents) and the
	 * write go through this descriptor, so a symlink or rename flipped in
	 * between cannot point the write at something that was not checked.
	 * O_NONBLOCK: a FIFO or a terminal opens without waiting for a peer
	 * (and is refused below); O_EXCL: a block device that is mounted or
	 * held (dm, md, swap) fails with EBUSY.
	 */
	if (output && dry_run) {
		/* the preview reads no device: its size comes from stat and sysfs */
		if (stat(output, &st) == 0) {
			exists = 1;
			if (S_ISREG(st.st_mode))
				size = (uint64_t)st.st_size;
			else if (!S_ISBLK(st.st_mode) || sysfs_blk_size(&st, &size) < 0) {
				cmd_error(cmd, "%s is %s: write-infoblock writes only to a regular "
						"file or a block device", output, S_ISBLK(st.st_mode) ?
						"a block device whose size sysfs does not give" :
						file_type(st.st_mode));
				return EXIT_REFUSED;
			}
		} else if (errno != ENOENT) {
			cmd_error(cmd, "%s: %s", output, strerror(errno));
			return EXIT_REFUSED;
		} else if (!o.size) {
			cmd_error(cmd, "%s does not exist: give --size", output);
			return EXIT_USAGE;
		}
	} else if (output) {
		fd = open(output, O_RDWR | O_NONBLOCK | O_NOCTTY | O_EXCL | O_CLOEXEC);
		if (fd >= 0) {
			exists = 1;
			if (fstat(fd, &st) < 0) {
				cmd_error(cmd, "%s: %s", output, strerror(errno));
				rc = EXIT_FAILED;
				goto out;
			}
			if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
				cmd_error(cmd, "%s is %s: write-infoblock writes only to a regular "
						"file or a block device (even with --force)",
						output, file_type(st.st_mode));
				rc = EXIT_REFUSED;
				goto out;
			}
			is_blk = S_ISBLK(st.st_mode);
			if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
					fd_size(fd, &st, &size) < 0) {
				cmd_error(cmd, "%s: cannot read its size: %s", output,
						strerror(errno));
				rc = EXIT_FAILED;
				goto out;
			}
			head_len = read_head(fd, head, sizeof(head));
			if (head_len < 0) {
				cmd_error(cmd, "%s: read: %s", output, strerror((int)-head_len));
				rc = EXIT_FAILED;
				goto out;
			}
		} else if (errno == EBUSY) {
			cmd_error(cmd, "%s: in use (mounted or held by another user)", output);
			return EXIT_REFUSED;
		} else if (errno == EISDIR) {
			cmd_error(cmd, "%s is a directory: write-infoblock writes only to a "
					"regular file or a block device (even with --force)", output);
			return EXIT_REFUSED;
		} else if (errno != ENOENT) {
			cmd_error(cmd, "%s: %s", output, strerror(errno));
			return errno == EACCES || errno == EPERM || errno == EROFS ?
				EXIT_REFUSED : EXIT_FAILED;
		} else if (!o.size) {
			cmd_error(cmd, "%s does not exist: give --size", output);
			return EXIT_USAGE;
		}
	}

	if (ndctl_xen_layout_new(ctx, &l) < 0) {
		cmd_error(cmd, "out of memory");
		rc = EXIT_FAILED;
		goto out;
	}
	ndctl_xen_layout_set_size(l, size);
	ndctl_xen_layout_set_phys_start(l, phys_start);
	rc = apply_layout_opts(cmd, &o, l);
	if (rc)
		goto out;
	rc = compute_or_explain(cmd, l);
	if (rc)
		goto out;
	if (ndctl_xen_layout_encode(l, uuid_str ? uuid : NULL,
				parent_str ? parent : NULL, buf, sizeof(buf)) < 0) {
		cmd_error(cmd, "internal error: cannot encode the layout");
		rc = EXIT_FAILED;
		goto out;
	}

	if (to_stdout && !dry_run) {
		rc = write_all(STDOUT_FILENO, buf, sizeof(buf), -1);
		if (rc) {
			cmd_error(cmd, "stdout: %s", strerror(-rc));
			rc = EXIT_FAILED;
		} else {
			warn_rounding(cmd, l);
			said_written(ctx, l, "stdout", 1);
		}
		goto out;
	}
	new_size = ndctl_xen_layout_get_size(l);
	/*
	 * Without an option of ndctl-xen's the request is ndctl's, and
	 * ndctl write-infoblock writes over whatever the image holds: so
	 * does this (the checks below guard ndctl-xen's own requests).
	 */
	if (!xen_layout_request(&o) && !xen)
		force = 1;
	/* a block sized for another namespace puts dataoff where no data is */
	if (exists && !force && is_blk && new_size > size) {
		cmd_error(cmd, "--size=%s (%" PRIu64 " bytes) is larger than the block device "
				"%s (%" PRIu64 " bytes); use --force to write it anyway",
				o.size, new_size, output, size);
		rc = EXIT_REFUSED;
		goto out;
	}
	/* an empty file is no image yet: it takes the size asked for */
	if (exists && !force && !is_blk && size && new_size != size) {
		cmd_error(cmd, "--size=%s (%" PRIu64 " bytes) differs from the image %s "
				"(%" PRIu64 " bytes); use --force to write it anyway",
				o.size, new_size, output, size);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (exists && !force && holds_foreign_data(ctx, head, (size_t)head_len, &old_ib)) {
		cmd_error(cmd, "%s holds data in its first 8 KiB that is not an info block; "
				"use --force to overwrite it", output);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (old_ib && replaces_layout(old_ib, l, why, sizeof(why))) {
		cmd_error(cmd, "%s: %s; use --force to replace it", output, why);
		rc = EXIT_REFUSED;
		goto out;
	}
	/* the checks above need no device read: the preview stops here */
	if (dry_run) {
		rc = preview_block(ctx, cmd, l, buf, NULL, output ? output : "-",
				preview_page_info(xen, &o), o.json);
		goto out;
	}
	if (!exists) {
		/*
		 * O_EXCL with O_CREAT refuses any name that appeared since, a
		 * symbolic link included, rather than writing through it.
		 */
		fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			struct stat lst;
			int e = errno;

			cmd_error(cmd, "%s: %s", output, e != EEXIST ? strerror(e) :
					lstat(output, &lst) == 0 && S_ISLNK(lst.st_mode) ?
					"a symbolic link to a missing file: not created through it" :
					"appeared while being checked; nothing written");
			errno = e;
			rc = errno == EEXIST || errno == EACCES || errno == EPERM ||
				errno == EROFS ? EXIT_REFUSED : EXIT_FAILED;
			goto out;
		}
	}
	rc = write_all(fd, buf, sizeof(buf), 0);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (rc) {
		cmd_error(cmd, "%s: write: %s", output, strerror(-rc));
		rc = EXIT_FAILED;
	} else {
		warn_rounding(cmd, l);
		said_written(ctx, l, output, 1);
	}
out:
	if (fd >= 0)
		close(fd);
	ndctl_xen_infoblock_unref(old_ib);
	ndctl_xen_layout_unref(l);
	return rc;
}

/* ---- read-infoblock ---- */

/* ndctl's util_json_object_hex(): a number, or with -u "%#llx" ("0" for 0) */
static struct json_object *nd_hex(uint64_t v, int human)
{
	char buf[32];

	if (!human)
		return json_u64(v);
	snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	return json_object_new_string(buf);
}

/*
 * ndctl read-infoblock's keys first, with its names, types and values
 * (pfn_parse() in ndctl/namespace.c: "dev" for a namespace, "file" for
 * a file, "mode" the pfn mode number); ndctl-xen's own after them.
 */
static struct json_object *infoblock_json(struct ndctl_xen_infoblock *ib,
		struct ndctl_xen_layout *l, const char *dev, const char *path, int human,
		const char *problem, uint32_t xen_page_info)
{
	struct json_object *j = json_object_new_object(), *r, *lj;
	unsigned char u[16];
	char s[40];

#define ADD(key, val) json_object_object_add(j, key, val)
	if (dev)
		ADD("dev", json_object_new_string(dev));
	else
		ADD("file", json_object_new_string(path));
	ADD("signature", json_object_new_string(ndctl_xen_infoblock_get_signature(ib)));
	ndctl_xen_infoblock_get_uuid(ib, u);
	ADD("uuid", json_object_new_string(uuid_str(u, s)));
	ndctl_xen_infoblock_get_parent_uuid(ib, u);
	ADD("parent_uuid", json_object_new_string(uuid_str(u, s)));
	ADD("flags", nd_hex(ndctl_xen_infoblock_get_flags(ib), human));
	snprintf(s, sizeof(s), "%u.%u", ndctl_xen_infoblock_get_version_major(ib),
			ndctl_xen_infoblock_get_version_minor(ib));
	ADD("version", json_object_new_string(s));
	ADD("dataoff", nd_hex(ndctl_xen_infoblock_get_dataoff(ib), human));
	ADD("npfns", nd_hex(ndctl_xen_infoblock_get_npfns(ib), human));
	ADD("mode", json_u64(ndctl_xen_infoblock_get_pfn_mode(ib)));
	ADD("start_pad", nd_hex(ndctl_xen_infoblock_get_start_pad(ib), human));
	ADD("end_trunc", nd_hex(ndctl_xen_infoblock_get_end_trunc(ib), human));
	ADD("align", nd_hex(ndctl_xen_infoblock_get_align(ib), human));
	ADD("page_size", nd_hex(ndctl_xen_infoblock_get_page_size(ib), human));
	ADD("page_struct_size", nd_hex(ndctl_xen_infoblock_get_page_struct_size(ib), human));
	/* ndctl-xen's own keys */
	ADD("namespace_mode", json_object_new_string(ndctl_xen_infoblock_get_mode(ib) ==
				NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax"));
	ADD("map", json_object_new_string(map_name(ndctl_xen_infoblock_get_pfn_mode(ib))));
	ADD("pfn_mode", json_u64(ndctl_xen_infoblock_get_pfn_mode(ib)));
	snprintf(s, sizeof(s), "%#" PRIx64, ndctl_xen_infoblock_get_checksum(ib));
	ADD("checksum", json_object_new_string(s));
	ADD("record", json_object_new_string(ndctl_xen_record_status_name(
				ndctl_xen_infoblock_get_record_status(ib))));
	if (ndctl_xen_infoblock_get_record_status(ib) == NDCTL_XEN_RECORD_PRESENT) {
		r = json_object_new_object();
		snprintf(s, sizeof(s), "%u.%u",
				ndctl_xen_infoblock_get_record_version_major(ib),
				ndctl_xen_infoblock_get_record_version_minor(ib));
		json_object_object_add(r, "version", json_object_new_string(s));
		json_object_object_add(r, "offset",
				json_hex(ndctl_xen_infoblock_get_reserve_offset(ib), human));
		json_object_object_add(r, "size",
				json_size(ndctl_xen_infoblock_get_reserve_size(ib), human));
		json_object_object_add(r, "owner", json_object_new_string(owner_str(
				ndctl_xen_infoblock_get_reserve_owner(ib),
				ndctl_xen_infoblock_get_reserve_owner_name(ib))));
		json_object_object_add(r, "per_page_bytes",
				json_u64(ndctl_xen_infoblock_get_reserve_per_page(ib)));
		ADD("reserve", r);
	}
	if (l) {
		lj = json_object_new_object();
#define LADD(key, val) json_object_object_add(lj, key, val)
		LADD("size", json_size(ndctl_xen_layout_get_size(l), human));
		LADD("memmap_end", json_hex(ndctl_xen_layout_get_memmap_end(l), human));
		LADD("reserve_offset", json_hex(ndctl_xen_layout_get_reserve_offset(l), human));
		LADD("reserve_size", json_size(ndctl_xen_layout_get_reserve_size(l), human));
		LADD("data_offset", json_hex(ndctl_xen_layout_get_data_offset(l), human));
		LADD("data_size", json_size(ndctl_xen_layout_get_data_size(l), human));
		LADD("max_reserve", json_size(ndctl_xen_layout_get_max_reserve(l), human));
		LADD("kernel_dataoff", json_hex(ndctl_xen_layout_get_kernel_dataoff(l), human));
		LADD("rounding_loss", json_size(layout_rounding_loss(l), human));
		ADD("layout", lj);
		ADD("areas", areas_json(l, human));
#undef LADD
		if (xen_page_info)
			ADD("xen", xen_json(l, xen_page_info, human));
	}
	ADD("consistent", json_object_new_boolean(problem == NULL));
	if (problem)
		ADD("problem", json_object_new_string(problem));
	if (l) {
		/* the kernel's rules, and ndctl-xen's stricter ones, apart */
		enum ndctl_xen_rule pr = ndctl_xen_layout_get_policy_rule(l);

		ADD("kernel", json_object_new_string(problem && pr == NDCTL_XEN_RULE_NONE ?
					"refuses" : "accepts"));
		if (pr != NDCTL_XEN_RULE_NONE) {
			r = json_object_new_object();
			json_object_object_add(r, "rule", json_object_new_string(
					ndctl_xen_rule_name(pr)));
			json_object_object_add(r, "problem", json_object_new_string(
					ndctl_xen_layout_get_policy_error(l)));
			ADD("policy", r);
		} else {
			ADD("policy", NULL);
		}
	}
#undef ADD
	return j;
}

/* The same facts as text: "key: value", nested keys joined with '.'. */
static void print_text(FILE *out, struct json_object *j, const char *prefix)
{
	json_object_object_foreach(j, key, val) {
		if (json_object_is_type(val, json_type_object)) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%s%s.", prefix, key);
			print_text(out, val, sub);
		} else if (json_object_is_type(val, json_type_array)) {
			/* the areas: drawn after the keys */
			continue;
		} else {
			/* JSON null (no policy problem, say) */
			fprintf(out, "%s%s: %s\n", prefix, key, val ? json_object_get_string(val) : "none");
		}
	}
}

int show_infoblock(FILE *out, struct ndctl_xen_ctx *ctx, const uint8_t *buf,
		const struct show_opts *so)
{
	const char *cmd = so->cmd, *name = so->dev ? so->dev : so->path;
	struct ndctl_xen_infoblock *ib = NULL;
	struct ndctl_xen_layout *l = NULL;
	const char *problem = NULL;
	char problem_buf[512];
	struct json_object *j;
	int rc;

	if (ndctl_xen_infoblock_decode(ctx, buf, INFOBLOCK_SPAN, &ib) < 0) {
		cmd_error(cmd, "out of memory");
		return EXIT_FAILED;
	}
	switch (ndctl_xen_infoblock_get_status(ib)) {
	case NDCTL_XEN_BLOCK_OK:
		break;
	case NDCTL_XEN_BLOCK_NOT_INFOBLOCK:
		cmd_error(cmd, "%s: no info block at byte 4096 (signature is neither "
				"NVDIMM_PFN_INFO nor NVDIMM_DAX_INFO)", name);
		rc = EXIT_REFUSED;
		goto out;
	case NDCTL_XEN_BLOCK_BAD_CHECKSUM:
		snprintf(problem_buf, sizeof(problem_buf), "bad-checksum: stored %#" PRIx64
				" does not match the block's contents; the kernel refuses it",
				ndctl_xen_infoblock_get_checksum(ib));
		/* -V fails on it (ndctl's -V passes it); otherwise shown as decoded */
		if (so->verify) {
			cmd_error(cmd, "%s: %s info block has a bad checksum (stored %#" PRIx64
					" does not match its contents)", name,
					ndctl_xen_infoblock_get_signature(ib),
					ndctl_xen_infoblock_get_checksum(ib));
			rc = EXIT_REFUSED;
			goto out;
		}
		cmd_error(cmd, "warning: %s: %s info block has a bad checksum (stored %#" PRIx64
				" does not match its contents): shown as decoded, not valid",
				name, ndctl_xen_infoblock_get_signature(ib),
				ndctl_xen_infoblock_get_checksum(ib));
		problem = problem_buf;
		break;
	case NDCTL_XEN_BLOCK_BAD_VERSION:
		cmd_error(cmd, "%s: info block version %u.%u is not supported (major must be 1)",
				name, ndctl_xen_infoblock_get_version_major(ib),
				ndctl_xen_infoblock_get_version_minor(ib));
		rc = EXIT_REFUSED;
		goto out;
	}
	/* a block with a bad checksum: its fields as they are, nothing derived */
	if (problem)
		goto show;
	switch (ndctl_xen_infoblock_get_record_status(ib)) {
	case NDCTL_XEN_RECORD_DAMAGED:
		cmd_error(cmd, "%s: the reservation record (block bytes 4024-4087) is damaged: "
				"its checksum or length does not match", name);
		rc = EXIT_REFUSED;
		goto out;
	case NDCTL_XEN_RECORD_BAD_VERSION:
		cmd_error(cmd, "%s: reservation record version %u.x is not supported (major must be 1)",
				name, ndctl_xen_infoblock_get_record_version_major(ib));
		rc = EXIT_REFUSED;
		goto out;
	default:
		break;
	}

	rc = ndctl_xen_infoblock_get_layout(ib, so->size, so->phys_start, &l);
	if (rc == -EINVAL) {
		snprintf(problem_buf, sizeof(problem_buf), "%s: %s",
				ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
				ndctl_xen_layout_get_error(l));
		problem = problem_buf;
	} else if (rc < 0) {
		cmd_error(cmd, "%s: cannot derive the layout: %s", name, strerror(-rc));
		rc = EXIT_FAILED;
		goto out;
	}
show:
	rc = 0;

	j = infoblock_json(ib, l, so->dev, so->path, so->human, problem, so->xen_page_info);
	if (so->json) {
		struct json_object *arr = json_object_new_array();

		json_object_array_add(arr, j);
		fprintf(out, "%s\n", json_object_to_json_string_ext(arr,
					JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		print_text(out, j, "");
		if (l && !problem)
			print_drawing(out, l);
		if (l && !problem && so->xen_page_info)
			print_xen_check(out, l, so->xen_page_info);
		json_object_put(j);
	}
	if (problem && so->verify) {
		cmd_error(cmd, "%s: inconsistent: %s", name, problem);
		rc = EXIT_REFUSED;
	}
out:
	ndctl_xen_layout_unref(l);
	ndctl_xen_infoblock_unref(ib);
	return rc;
}

/* -V's checks and messages, without the output */
static int verify_quietly(struct ndctl_xen_ctx *ctx, const uint8_t *buf,
		const struct show_opts *so)
{
	FILE *null = fopen("/dev/null", "w");
	int rc;

	if (!null) {
		cmd_error(so->cmd, "/dev/null: %s", strerror(errno));
		return EXIT_FAILED;
	}
	rc = show_infoblock(null, ctx, buf, so);
	fclose(null);
	return rc;
}

static void read_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen read-infoblock [NAMESPACE...] [-i FILE] [-o FILE] [-j] [-u] [-V]\n"
"                                [-b BUS] [-r REGION] [-v] [-s SIZE] [-O OFFSET]\n"
"                                [--xen[=PRESET]]\n\n"
"Decode the info block at byte 4096 of a namespace (disabled; read through a\n"
"raw view and left disabled), or of FILE (an image, a block device, or - for\n"
"standard input): its reservation record, the layout drawn to scale.\n\n"
"  -i, --input=FILE   image file, block device or - instead of a namespace\n"
"  -o, --output=FILE  write the raw 8 KiB to FILE (with -j or -u: the JSON)\n"
"  -j, --json         print JSON (ndctl's keys, then ndctl-xen's)\n"
"  -u, --human        sizes and offsets in human-readable form (implies --json)\n"
"  -V, --verify       fail (exit 1) when the kernel would refuse the block, or\n"
"                     its reservation record breaks the format's rules;\n"
"                     ndctl-xen's stricter policy for blocks it writes is\n"
"                     reported under \"policy\" and does not fail\n"
"  -b, --bus=BUS      limit NAMESPACE to a bus (name or provider)\n"
"  -r, --region=REGION limit NAMESPACE to a region (regionX or X)\n"
"  -v, --verbose      library messages on stderr\n"
"  -s, --size=SIZE    namespace size (default: the namespace's or FILE's size\n"
"                     when larger than 8 KiB, else derived from the block)\n"
"  -O, --offset=OFFSET physical start of FILE's namespace, for --xen frames\n"
"                     (default 0; a namespace's own start otherwise)\n"
"      --xen[=PRESET] Xen's management and data frame ranges and its\n"
"                     check_mgmt_size() fit: xen (page_info 32 B, default) or\n"
"                     xen-bigmem (48 B); plus an 8 B M2P entry a frame\n"
"  -h, --help         this text\n\n"
"Exit status: 0 decoded, 1 no valid block, an active namespace or (with -V)\n"
"inconsistent, 129 usage (as ndctl), 3 failed (a read error).\n");
}

/* ndctl's closing line on stderr, for the blocks read and shown */
static void read_count(int n)
{
	fflush(stdout);	/* after what was shown, as a terminal shows it */
	if (n)
		fprintf(stderr, "read %d infoblock%s\n", n, n == 1 ? "" : "s");
}

struct ns_read {
	struct ndctl_xen_ctx *ctx;
	const char *want;
	FILE *out;
	int raw, found, read, rc;
	struct show_opts so;
};

static int read_one_namespace(struct ndctl_namespace *ndns, void *arg)
{
	struct ns_read *r = arg;
	uint8_t buf[INFOBLOCK_SPAN];
	char why[512];
	int rc;

	r->found++;
	rc = ndctl_xen_namespace_read_head(r->ctx, ndns, buf, why, sizeof(why));
	if (rc) {
		cmd_error(r->so.cmd, "%s: %s", ndctl_namespace_get_devname(ndns), why);
		r->rc = rc == -EBUSY || rc == -EACCES || rc == -EPERM ? EXIT_REFUSED : EXIT_FAILED;
		return 0;
	}
	r->so.dev = ndctl_namespace_get_devname(ndns);
	if (!r->so.size_given)
		r->so.size = ndctl_namespace_get_size(ndns);
	if (!r->so.offset_given)
		r->so.phys_start = ndctl_namespace_get_resource(ndns);
	if (r->raw) {
		rc = r->so.verify ? verify_quietly(r->ctx, buf, &r->so) : 0;
		if (rc) {
			r->rc = rc;
			return 0;
		}
		rc = write_all(fileno(r->out), buf, sizeof(buf), -1);
		if (rc) {
			cmd_error(r->so.cmd, "write: %s", strerror(-rc));
			r->rc = EXIT_FAILED;
		} else {
			r->read++;
		}
		return 0;
	}
	rc = show_infoblock(r->out, r->ctx, buf, &r->so);
	if (rc && !r->rc)
		r->rc = rc;
	else if (!rc)
		r->read++;
	return 0;
}

int cmd_read_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "human", no_argument, NULL, 'u' },
		{ "verify", no_argument, NULL, 'V' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'O' },
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "xen", optional_argument, NULL, OPT_XEN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "read-infoblock", *path = NULL, *size_str = NULL;
	const char *outpath = NULL, *offset_str = NULL, *bus = NULL, *region = NULL;
	struct show_opts so = { .cmd = cmd };
	FILE *out = stdout;
	int c, verbose = 0, fd, rc = 0, i;
	uint8_t buf[INFOBLOCK_SPAN];
	uint64_t file_size = 0;
	ssize_t got;
	struct stat st;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:o:juVs:O:b:r:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': path = optarg; break;
		case 'o': outpath = optarg; break;
		case 'j': so.json = 1; break;
		case 'u': so.human = so.json = 1; break;
		case 'V': so.verify = 1; break;
		case 's': size_str = optarg; break;
		case 'O': offset_str = optarg; break;
		case 'b': bus = optarg; break;
		case 'r': region = optarg; break;
		case 'v': verbose = 1; break;
		case OPT_XEN:
			so.xen_page_info = optarg ? per_page_preset(optarg) :
				NDCTL_XEN_XEN_PAGE_INFO_SIZE;
			if (!so.xen_page_info) {
				cmd_error(cmd, "--xen=%s: must be xen or xen-bigmem", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': read_usage(stdout); return 0;
		default: return bad_option(cmd, argv);
		}
	}
	if (path && optind < argc) {
		cmd_error(cmd, "--input=%s and namespace '%s': give one, not both", path,
				argv[optind]);
		return EXIT_USAGE;
	}
	if (!path && optind == argc) {
		cmd_error(cmd, "give a namespace, or --input=FILE (- for standard input)");
		return EXIT_USAGE;
	}
	if (path && (bus || region)) {
		cmd_error(cmd, "--%s limits a namespace argument; --input=%s is a file",
				bus ? "bus" : "region", path);
		return EXIT_USAGE;
	}
	if (size_str) {
		if (parse_size_opt(cmd, "size", size_str, &so.size))
			return EXIT_USAGE;
		so.size_given = 1;
	}
	if (offset_str) {
		if (parse_size_opt(cmd, "offset", offset_str, &so.phys_start))
			return EXIT_USAGE;
		so.offset_given = 1;
	}
	if (verbose && getenv("NDCTL_XEN_LOG") == NULL)
		ndctl_xen_set_log_priority(ctx, LOG_INFO);

	if (!path) {
		struct ndctl_ctx *nctx = NULL;
		struct ns_read r = { .ctx = ctx, .so = so, .raw = outpath && !so.json };

		rc = ndctl_new(&nctx);
		if (rc < 0) {
			cmd_error(cmd, "cannot open libndctl: %s", strerror(-rc));
			return EXIT_FAILED;
		}
		if (verbose)
			ndctl_set_log_priority(nctx, LOG_DEBUG);
		r.out = stdout;
		if (outpath && !(r.out = fopen(outpath, "w"))) {
			cmd_error(cmd, "%s: %s", outpath, strerror(errno));
			ndctl_unref(nctx);
			return EXIT_REFUSED;
		}
		for (i = optind; i < argc; i++) {
			int before = r.found;

			foreach_namespace(nctx, bus, region, argv[i], read_one_namespace, &r);
			if (r.found == before) {
				cmd_error(cmd, "no namespace %s%s%s%s%s", argv[i],
						bus ? " on bus " : "", bus ? bus : "",
						region ? " in region " : "", region ? region : "");
				if (!r.rc)
					r.rc = EXIT_REFUSED;
			}
		}
		if (r.out != stdout && fclose(r.out) != 0) {
			cmd_error(cmd, "%s: %s", outpath, strerror(errno));
			r.rc = EXIT_FAILED;
		}
		ndctl_unref(nctx);
		read_count(r.read);
		return r.rc;
	}

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cmd_error(cmd, "%s: %s", path, strerror(errno));
			return EXIT_REFUSED;
		}
		if (fstat(fd, &st) == 0 && fd_size(fd, &st, &file_size) < 0)
			file_size = 0;
	}
	got = read_head(fd, buf, sizeof(buf));
	if (fd != STDIN_FILENO)
		close(fd);
	if (got < 0) {
		cmd_error(cmd, "%s: read: %s", path, strerror((int)-got));
		return EXIT_FAILED;
	}
	if (got < INFOBLOCK_SPAN) {
		cmd_error(cmd, "%s: %s (%zd bytes): an info block needs the first %d bytes",
				path, got ? "too short" : "empty", got, INFOBLOCK_SPAN);
		return EXIT_REFUSED;
	}
	if (!so.size_given && file_size > INFOBLOCK_SPAN)
		so.size = file_size;
	so.path = path;

	if (outpath) {
		out = fopen(outpath, "w");
		if (!out) {
			cmd_error(cmd, "%s: %s", outpath, strerror(errno));
			return EXIT_REFUSED;
		}
	}
	/* ndctl's -o without -j: the 8 KiB as read (with -V: once they pass) */
	if (outpath && !so.json) {
		rc = so.verify ? verify_quietly(ctx, buf, &so) : 0;
		if (!rc && write_all(fileno(out), buf, sizeof(buf), -1)) {
			cmd_error(cmd, "%s: write: %s", outpath, strerror(errno));
			rc = EXIT_FAILED;
		}
	} else {
		rc = show_infoblock(out, ctx, buf, &so);
	}
	if (out != stdout && fclose(out) != 0) {
		cmd_error(cmd, "%s: %s", outpath, strerror(errno));
		rc = EXIT_FAILED;
	}
	read_count(rc == 0);
	return rc;
}
