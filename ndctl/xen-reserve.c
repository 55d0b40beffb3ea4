// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * create-namespace: a namespace with a reserved area on a live host.
 * The CLI only parses, does I/O and prints; every decision about the
 * layout and the on-media bytes is the library's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <strings.h>
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
#include "apply.h"

/* ---- create-namespace ---- */

struct create_params {
	struct ndctl_xen_ctx *ctx;
	const char *bus, *region, *reconfig, *uuid, *name, *sector_size, *type;
	int force, greedy, verbose, dry_run;
	/* -L/--no-autolabel, -R/--no-autorecover: -1 when not given */
	int autolabel, autorecover;
	uint64_t lbasize;
	struct layout_opts o;
	/* --data-size: the data area asked for, the namespace size chosen */
	const char *data_size;
	uint64_t data_bytes;
	/* the first new namespace's intent record, begun early (NULL: none) */
	struct early_mark *mark;
};

/*
 * A new namespace's intent record costs a file, its fsync and the
 * directory's: written by a thread while the command looks for a region
 * (sysfs reads and layout arithmetic), it is durable before the label is
 * written all the same, which is all recover needs (new_namespace() waits
 * for it).  A record no namespace took is removed (mark_end()).
 */
struct early_mark {
	struct ndctl_xen_ctx *ctx;
	uuid_t uuid;
	pthread_t thread;
	int started, rc;
};

static void *mark_thread(void *arg)
{
	struct early_mark *m = arg;

	m->rc = ndctl_xen_namespace_mark_new(m->ctx, m->uuid);
	return NULL;
}

/*
 * Only for a uuid made here: a --uuid given may be one a record already
 * names (a cut rewrite's, which recover needs), and is recorded only once
 * the namespace is about to take it, as before.
 */
static void mark_begin(struct early_mark *m, struct ndctl_xen_ctx *ctx)
{
	m->ctx = ctx;
	uuid_generate(m->uuid);
	m->started = pthread_create(&m->thread, NULL, mark_thread, m) == 0;
}

/* the early record's status with its uuid, or 1 when there is none to take */
static int mark_take(struct early_mark *m, uuid_t uuid)
{
	if (!m || !m->started)
		return 1;
	pthread_join(m->thread, NULL);
	m->started = 0;
	uuid_copy(uuid, m->uuid);
	return m->rc;
}

static void mark_end(struct early_mark *m)
{
	uuid_t uuid;

	if (mark_take(m, uuid) == 0)
		ndctl_xen_namespace_unmark(m->ctx, uuid);
}


struct found {
	const char *dev;
	struct ndctl_namespace *ndns;
};

static int match_dev(struct ndctl_namespace *ndns, void *arg)
{
	struct found *f = arg;

	if (strcmp(ndctl_namespace_get_devname(ndns), f->dev) != 0)
		return 0;
	f->ndns = ndns;
	return 1;
}

static struct ndctl_namespace *find_namespace(struct ndctl_ctx *nctx,
		const struct create_params *p)
{
	struct found f = { p->reconfig, NULL };

	foreach_namespace(nctx, p->bus, p->region, NULL, match_dev, &f);
	return f.ndns;
}

/*
 * What ndctl create-namespace prints (ndctl's printer with its -X flags,
 * human sizes on a terminal, as ndctl does), then ndctl-xen's keys: the
 * namespace's own uuid, its physical base and raw size, the data offset
 * and the reserved area.
 */
static struct json_object *namespace_json(struct ndctl_namespace *ndns,
		struct ndctl_xen_layout *l, int human)
{
	struct json_object *j = ndctl_namespace_json(ndns, NULL, NDJ_DAX | NDJ_ACTIVE |
			(human ? NDJ_HUMAN : 0), NULL), *r;
	uint64_t base = ndctl_namespace_get_resource(ndns);
	unsigned char u[16];
	char s[40];

#define ADD(key, val) json_object_object_add(j, key, val)
	ndctl_namespace_get_uuid(ndns, u);
	if (!uuid_is_null(u))
		ADD("raw_uuid", json_object_new_string(uuid_str(u, s)));
	ADD("resource", json_hex(base, human));
	ADD("raw_size", json_size(ndctl_xen_layout_get_size(l), human));
	ADD("dataoff", json_size(ndctl_xen_layout_get_dataoff(l), human));
	if (ndctl_xen_layout_get_reserve_size(l)) {
		uint64_t off = ndctl_xen_layout_get_reserve_offset(l);
		uint64_t size = ndctl_xen_layout_get_reserve_size(l);

		r = json_object_new_object();
		json_object_object_add(r, "offset", json_size(off, human));
		json_object_object_add(r, "size", json_size(size, human));
		json_object_object_add(r, "owner", json_object_new_string(owner_str(
				ndctl_xen_layout_get_reserve_owner(l),
				ndctl_xen_layout_get_reserve_owner_name(l))));
		json_object_object_add(r, "per_page_bytes",
				json_u64(ndctl_xen_layout_get_reserve_per_page(l)));
		json_object_object_add(r, "phys_start", json_hex(base + off, human));
		json_object_object_add(r, "phys_end", json_hex(base + off + size - 1, human));
		ADD("reserve", r);
	}
#undef ADD
	return j;
}

static void create_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen create-namespace [-r REGION] [-b BUS] [-e NAMESPACE] [OPTIONS]\n\n"
"Create (or with -e reconfigure) an fsdax or devdax namespace whose info block\n"
"leaves a reserved area below the data, on an unmodified kernel.\n\n"
"  -r, --region=REGION      limit to a region (regionX or X)\n"
"  -b, --bus=BUS            limit to a bus (name or provider)\n"
"  -e, --reconfig=NAMESPACE reconfigure an existing namespace (needs -f if active)\n"
"  -u, --uuid=UUID          uuid of a new namespace (default: generated)\n"
"  -n, --name=NAME          free-form name of a new namespace\n"
LAYOUT_HELP
"      --data-size=SIZE     instead of --size: the smallest namespace whose data\n"
"                           area holds SIZE after the memmap, the reserve and\n"
"                           alignment (the size chosen is said on stderr)\n"
"  -f, --force              reconfigure an active namespace, overwrite an info\n"
"                           block, BTT or filesystem (never a mounted one)\n"
"  -c, --continue           create namespaces while the filters allow\n"
"  -l, --sector-size=BYTES  logical sector size of the namespace (512 or 4096)\n"
"  -t, --type=TYPE          pmem (the only type with a reserved area) or blk\n"
"  -L, --autolabel, --no-autolabel\n"
"                           with -e on a label-less region: -L has ndctl\n"
"                           initialise its labels first (ndctl's default);\n"
"                           without -L ndctl-xen keeps it label-less\n"
"  -R, --autorecover, --no-autorecover\n"
"                           restore the old state on failure (always done;\n"
"                           --no-autorecover only for ndctl's own requests)\n"
"  -v, --verbose            progress and library messages on stderr\n"
"      --dry-run            print the info block it would write, as read-infoblock\n"
"                           shows it, with Xen's check; change nothing\n"
"  -j, --json               with --dry-run: as read-infoblock -j (JSON); the\n"
"                           created namespace is always printed as JSON\n"
"  -h, --help               this text\n\n"
"A request without --reserve, --reserve-per-page, --reserve-owner,\n"
"--page-struct-size or --data-size, or for sector or raw mode or a blk namespace, is ndctl's:\n"
"ndctl-xen runs 'ndctl create-namespace' with the same arguments.\n"
"-m memory and -m dax are ndctl's old names for fsdax and devdax.\n"
"With -e, --size, --name, --uuid, --sector-size (and -L on a label-less\n"
"region) have ndctl re-create the namespace (raw, needs --force) before its\n"
"info block is written; what is not given is kept, as ndctl does.\n\n"
"Exit status: 0 created, 1 refused by a rule (nothing written), 129 usage or a\n"
"malformed value (as ndctl), 3 failed while doing it (the old state restored, or the\n"
"message says it could not be).\n");
}

/* A new namespace from a region's seed, sized as asked or as large as possible. */
/*
 * The request's layout for a namespace of size bytes (at a 2 MiB-aligned
 * base) fits; *mode gets its claim (fsdax: pfn, devdax: dax)
 */
static int layout_fits(const struct create_params *p, struct ndctl_region *region,
		uint64_t size, enum ndctl_namespace_mode *mode, char *why, size_t len)
{
	struct ndctl_xen_layout *l;
	char msg[512];
	int fits = 0;

	if (ndctl_xen_layout_new(p->ctx, &l) < 0)
		return 0;
	if (apply_layout_opts("create-namespace", &p->o, l) == 0) {
		ndctl_xen_layout_set_size(l, size);
		/* the kernel's limits too (a Xen PV dom0), at a section-aligned base */
		ndctl_xen_layout_set_platform(l, ndctl_region_get_devname(region));
		fits = ndctl_xen_layout_compute(l) == 0;
		*mode = ndctl_xen_layout_get_mode(l) == NDCTL_XEN_MODE_DEVDAX ?
			NDCTL_NS_MODE_DEVDAX : NDCTL_NS_MODE_FSDAX;
		if (!fits)
			snprintf(why, len, "%s: %s",
				ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
				layout_error(&p->o.from, l, msg, sizeof(msg)));
	}
	ndctl_xen_layout_unref(l);
	return fits;
}

static int sector_size_supported(struct ndctl_namespace *ndns, uint64_t lbasize)
{
	int i, n = ndctl_namespace_get_num_sector_sizes(ndns);

	for (i = 0; i < n; i++)
		if ((uint64_t)ndctl_namespace_get_supported_sector_size(ndns, i) == lbasize)
			return 1;
	/* a kernel without the attribute has 512-byte sectors only */
	return n <= 0 && lbasize == 512;
}

/*
 * --data-size: the smallest size, a multiple of size_align, whose layout
 * leaves p->data_bytes of data (lib/layout.c); said on stderr.  0 with why.
 */
static uint64_t size_for_data(const struct create_params *p, struct ndctl_region *region,
		uint64_t size_align, char *why, size_t len)
{
	struct ndctl_xen_layout *l = NULL;
	uint64_t size = 0;
	char a[200], b[40], c[40], msg[512];

	if (ndctl_xen_layout_new(p->ctx, &l) < 0) {
		snprintf(why, len, "out of memory");
		return 0;
	}
	if (apply_layout_opts("create-namespace", &p->o, l) == 0) {
		if (ndctl_xen_layout_compute_for_data_size(l, p->data_bytes, size_align) == 0) {
			size = ndctl_xen_layout_get_size(l);
			/* apply says the size in its report */
			if (!p->o.from.path)
				fprintf(stderr, "ndctl-xen create-namespace: --data-size=%s: namespace "
					"size %s (%#" PRIx64 ") in %s: data %s after the memmap, "
					"a reserve of %s and alignment\n", p->data_size,
					util_human_size(size, a, sizeof(a)), size,
					ndctl_region_get_devname(region),
					util_human_size(ndctl_xen_layout_get_data_size(l), b, sizeof(b)),
					util_human_size(ndctl_xen_layout_get_reserve_size(l), c, sizeof(c)));
		} else {
			snprintf(why, len, "%s: %s: %s", opt_subject(&p->o.from, "data-size",
						p->data_size, a, sizeof(a)),
					ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
					layout_error(&p->o.from, l, msg, sizeof(msg)));
		}
	} else {
		snprintf(why, len, "%s: the layout options are refused",
				opt_subject(&p->o.from, "data-size", p->data_size, a, sizeof(a)));
	}
	ndctl_xen_layout_unref(l);
	return size;
}

/* A new namespace's size in region (size 0: the largest), or 0 with why. */
static uint64_t new_size(const struct create_params *p, struct ndctl_region *region,
		uint64_t size, uint64_t align, char *why, size_t len)
{
	uint64_t region_align = ndctl_region_get_align(region);
	uint64_t size_align = align > region_align ? align : region_align;
	uint64_t avail = ndctl_region_get_max_available_extent(region);
	unsigned int ways = ndctl_region_get_interleave_ways(region);

	size_align *= ways;
	if (p->data_bytes) {
		size = size_for_data(p, region, size_align, why, len);
		if (!size)
			return 0;
	}
	if (!size)
		size = avail / size_align * size_align;
	/*
	 * The region's align is the kernel's (nd_region align: 16 MiB on a
	 * CXL region, where --align 2M is below it): say which one rules.
	 */
	if (size % size_align) {
		char dec[24], s[200];

		snprintf(dec, sizeof(dec), "%llu", (unsigned long long)size);
		snprintf(why, len, "%s must be a multiple of %llu: the larger of "
				"%s's align %llu and %s %llu, times %u interleave ways",
				opt_subject(&p->o.from, "size", dec, s, sizeof(s)),
				(unsigned long long)size_align,
				ndctl_region_get_devname(region), (unsigned long long)region_align,
				p->o.from.path ? "\"align\"" : "--align", (unsigned long long)align, ways);
		return 0;
	}
	if (!size || size > avail) {
		snprintf(why, len, "%s has %llu bytes available in one extent, %llu asked",
				ndctl_region_get_devname(region), (unsigned long long)avail,
				(unsigned long long)size);
		return 0;
	}
	return size;
}

/*
 * The layout options checked (their error line printed), *align their
 * align or the default 2 MiB: 0, or apply_layout_opts()'s exit status.
 */
static int opts_align(struct ndctl_xen_ctx *ctx, const char *cmd, const struct layout_opts *o,
		uint64_t *align)
{
	struct ndctl_xen_layout *l;
	int rc;

	if (ndctl_xen_layout_new(ctx, &l) < 0)
		return EXIT_FAILED;
	rc = apply_layout_opts(cmd, o, l);
	*align = ndctl_xen_layout_get_align(l) ? ndctl_xen_layout_get_align(l) : 2 << 20;
	ndctl_xen_layout_unref(l);
	return rc;
}

uint64_t size_for_data_in(struct ndctl_xen_ctx *ctx, struct ndctl_region *region,
		const struct layout_opts *o, uint64_t data_size, char *why, size_t len)
{
	struct create_params p = { .ctx = ctx, .o = *o, .data_bytes = data_size };
	uint64_t align;
	char dec[24];

	snprintf(dec, sizeof(dec), "%llu", (unsigned long long)data_size);
	p.data_size = dec;
	if (opts_align(ctx, "apply", o, &align)) {
		snprintf(why, len, "the layout options are refused");
		return 0;
	}
	return new_size(&p, region, 0, align, why, len);
}

static struct ndctl_namespace *new_namespace(struct ndctl_region *region,
		const struct create_params *p, uint64_t size, uint64_t align,
		char *why, size_t len, int *refused)
{
	struct ndctl_namespace *ndns = ndctl_region_get_namespace_seed(region);
	enum ndctl_namespace_mode mode;
	uuid_t uuid;
	int rc;

	if (!ndns || !ndctl_namespace_is_configuration_idle(ndns)) {
		snprintf(why, len, "%s has no idle namespace seed",
				ndctl_region_get_devname(region));
		return NULL;
	}
	size = new_size(p, region, size, align, why, len);
	if (!size)
		return NULL;
	/* refuse a layout that cannot fit before a label is written */
	if (!layout_fits(p, region, size, &mode, why, len)) {
		*refused = 1;
		return NULL;
	}
	if (p->lbasize && !sector_size_supported(ndns, p->lbasize)) {
		snprintf(why, len, "--sector-size=%s: %s does not support that logical "
				"sector size (ndctl list -R -v shows the ones it does)",
				p->sector_size, ndctl_region_get_devname(region));
		*refused = 1;
		return NULL;
	}
	/*
	 * The host's record first: recover deletes an unfinished namespace
	 * only if this host marked it, never for its label name alone.
	 */
	rc = mark_take(p->mark, uuid);
	if (rc == 1) {
		if (p->uuid)
			uuid_parse(p->uuid, uuid);
		else
			uuid_generate(uuid);
		rc = ndctl_xen_namespace_mark_new(p->ctx, uuid);
	}
	if (rc < 0) {
		snprintf(why, len, "cannot record the new namespace's intent on this host "
				"(recover needs it after a power cut): %s",
				ndctl_xen_get_last_error(p->ctx));
		return NULL;
	}
	/* renamed to p->name once its info block is complete (power cuts) */
	cmd_step(p->ctx, "create-namespace", "%s: configuring its uuid, name, mode and size "
			"(the label)", ndctl_namespace_get_devname(ndns));
	if (ndctl_namespace_set_uuid(ndns, uuid) < 0 ||
			ndctl_namespace_set_alt_name(ndns, NDCTL_XEN_PENDING_NAME) < 0)
		goto fail;
	/*
	 * The claim class (holder_class), as ndctl records it, but before the
	 * size: without a size nothing is written to the label yet, and the
	 * size's label update carries it, so the probe after the info block
	 * needs no label update for it.  Like ndctl, a kernel without it is
	 * no error (the library sets it again at the probe then).
	 */
	ndctl_namespace_set_enforce_mode(ndns, mode);
	if (ndctl_namespace_set_size(ndns, size) < 0 ||
			(p->lbasize && ndctl_namespace_set_sector_size(ndns, (int)p->lbasize) < 0))
		goto fail;
	return ndns;
fail:
	snprintf(why, len, "cannot configure %s", ndctl_namespace_get_devname(ndns));
	if (ndctl_namespace_delete(ndns) == 0)
		ndctl_xen_namespace_unmark(p->ctx, uuid);
	return NULL;
}

/*
 * The library's answer as an exit class: a rule, data or a user in the
 * way, or permissions refuse (nothing written); anything else failed
 * while doing it (an I/O error, the kernel did not adopt the block).
 */
static int lib_exit(int rc)
{
	switch (rc) {
	case -EINVAL: case -EEXIST: case -EBUSY: case -EACCES: case -EPERM:
		return EXIT_REFUSED;
	default:
		return EXIT_FAILED;
	}
}

/* out NULL: the namespace's JSON is printed */
static int provision_one(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		const struct create_params *p, int fresh, struct json_object **out)
{
	const char *cmd = "create-namespace";
	struct ndctl_xen_layout *l;
	struct json_object *j;
	char why[2048];
	int rc;

	if (ndctl_xen_layout_new(ctx, &l) < 0)
		return EXIT_FAILED;
	rc = apply_layout_opts(cmd, &p->o, l);
	if (rc)
		goto out;
	if (fresh)
		rc = ndctl_xen_namespace_provision_new(ctx, ndns, l,
				p->force ? NDCTL_XEN_PROVISION_FORCE : 0, p->name,
				why, sizeof(why));
	else
		rc = ndctl_xen_namespace_provision(ctx, ndns, l,
				p->force ? NDCTL_XEN_PROVISION_FORCE : 0, why, sizeof(why));
	if (rc) {
		cmd_error(cmd, "%s: %s", ndctl_namespace_get_devname(ndns), why);
		if (fresh && rc != -ENOTRECOVERABLE) {
			unsigned char u[16];

			ndctl_namespace_get_uuid(ndns, u);
			ndctl_namespace_disable_safe(ndns);
			ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
			/* the record goes once the namespace is gone, not before */
			if (ndctl_namespace_delete(ndns) == 0)
				ndctl_xen_namespace_unmark(ctx, u);
		}
		rc = lib_exit(rc);
		goto out;
	}
	if (ndctl_xen_layout_get_platform_choice(l)[0])
		fprintf(stderr, "ndctl-xen %s: note: for this kernel: %s\n", cmd,
				ndctl_xen_layout_get_platform_choice(l));
	/*
	 * The kernel made new pfn/dax devices: libndctl read the region's
	 * devices again when it enabled the namespace (after the bus's
	 * probes), and ndns is still the namespace's object.
	 */
	cmd_step(ctx, cmd, "%s: its devices for the output", ndctl_namespace_get_devname(ndns));
	j = namespace_json(ndns, l, !out && isatty(STDOUT_FILENO));
	if (out) {
		*out = j;
		goto out;
	}
	printf("%s\n", json_object_to_json_string_ext(j,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
out:
	ndctl_xen_layout_unref(l);
	return rc;
}

int create_namespace_one(struct ndctl_xen_ctx *ctx, struct ndctl_region *region,
		struct ndctl_namespace *ndns, const struct create_request *req,
		struct json_object **out)
{
	struct create_params p = { .ctx = ctx, .uuid = req->uuid, .name = req->name,
		.force = req->force, .autolabel = -1, .autorecover = -1, .o = *req->o };
	uint64_t align;
	char why[512] = "", dec[24];
	int refused = 0, fresh = !ndns;

	if (req->data_size) {
		snprintf(dec, sizeof(dec), "%llu", (unsigned long long)req->data_size);
		p.data_size = dec;
		p.data_bytes = req->data_size;
	}
	if (fresh) {
		int rc = opts_align(ctx, req->cmd, &p.o, &align);

		if (rc)
			return rc;
		ndns = new_namespace(region, &p, req->size, align, why, sizeof(why), &refused);
		if (!ndns) {
			cmd_error(req->cmd, "%s", why);
			return EXIT_REFUSED;
		}
	}
	return provision_one(ctx, ndns, &p, fresh, out);
}

/*
 * The -e merge (ndctl's namespace_reconfig): ndctl re-creates the
 * namespace raw with the --size, --name, --uuid, --sector-size and -L
 * given, keeping what is not, and prints it; the name of the namespace it
 * made, in buf, or NULL after its error (on stderr, as ndctl wrote it).
 */
static const char *ndctl_recreate_raw(const struct create_params *p, char *buf, size_t len)
{
	char *args[24];
	char out[8192];
	struct json_object *j, *dev;
	size_t n = 0, got = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	args[n++] = (char *)"create-namespace";
	args[n++] = (char *)"-e";
	args[n++] = (char *)p->reconfig;
	args[n++] = (char *)"--force";
	args[n++] = (char *)"--mode=raw";
#define ARG(opt, val) do { if (val) { args[n++] = (char *)(opt); args[n++] = (char *)(val); } } while (0)
	ARG("--bus", p->bus);
	ARG("--region", p->region);
	ARG("--size", p->o.size);
	ARG("--name", p->name);
	ARG("--uuid", p->uuid);
	ARG("--sector-size", p->sector_size);
#undef ARG
	if (p->autolabel >= 0)
		args[n++] = (char *)(p->autolabel ? "--autolabel" : "--no-autolabel");
	if (pipe(fds) < 0)
		return NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(EXIT_FAILED);
		close(fds[1]);
		_exit(run_ndctl((int)n, args));
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 && (r = read(fds[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	out[got] = 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	j = json_tokener_parse(out);
	if (!j || !json_object_object_get_ex(j, "dev", &dev) ||
			!json_object_is_type(dev, json_type_string)) {
		json_object_put(j);
		return NULL;
	}
	snprintf(buf, len, "%s", json_object_get_string(dev));
	json_object_put(j);
	return buf;
}

/* ndctl's mode names, its old ones too ("memory", "dax", "safe"), as ours */
static const char *ndctl_mode(const char *mode)
{
	if (!mode)
		return NULL;
	if (strcasecmp(mode, "fsdax") == 0 || strcasecmp(mode, "memory") == 0)
		return "fsdax";
	if (strcasecmp(mode, "devdax") == 0 || strcasecmp(mode, "dax") == 0)
		return "devdax";
	if (strcasecmp(mode, "sector") == 0 || strcasecmp(mode, "safe") == 0)
		return "sector";
	return mode;
}

static int dry_run_create(struct ndctl_xen_ctx *ctx, struct ndctl_ctx *nctx,
		const struct create_params *p, uint64_t size, uint64_t align)
{
	const char *cmd = "create-namespace";
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;
	char why[512] = "no label-backed pmem region matches";

	if (p->reconfig) {
		ndns = find_namespace(nctx, p);
		if (!ndns) {
			cmd_error(cmd, "no namespace %s", p->reconfig);
			return EXIT_REFUSED;
		}
		if (ndctl_namespace_is_active(ndns) && !p->force) {
			cmd_error(cmd, "%s is active; use --force to reconfigure it", p->reconfig);
			return EXIT_REFUSED;
		}
		return preview_namespace(ctx, cmd, &p->o, ndns, 0, NULL);
	}
	/* the region create-namespace would take first */
	ndctl_bus_foreach(nctx, bus) {
		if (!bus_match(bus, p->bus))
			continue;
		ndctl_region_foreach(bus, region) {
			uint64_t n;

			if (!filter_match(p->region, ndctl_region_get_devname(region),
						ndctl_region_get_id(region)) ||
					ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM ||
					ndctl_region_get_ro(region))
				continue;
			n = new_size(p, region, size, align, why, sizeof(why));
			if (n) {
				unsigned char u[16];

				if (p->uuid)
					uuid_parse(p->uuid, u);
				return preview_namespace(ctx, cmd, &p->o, NULL, n,
						p->uuid ? u : NULL);
			}
		}
	}
	cmd_error(cmd, "no namespace would be created: %s", why);
	return EXIT_REFUSED;
}

int cmd_create_namespace(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	enum { OPT_NO_AUTOLABEL = 0x200, OPT_NO_AUTORECOVER, OPT_DATA_SIZE };
	static const struct option longopts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "reconfig", required_argument, NULL, 'e' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "sector-size", required_argument, NULL, 'l' },
		{ "type", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "continue", no_argument, NULL, 'c' },
		{ "autolabel", no_argument, NULL, 'L' },
		{ "no-autolabel", no_argument, NULL, OPT_NO_AUTOLABEL },
		{ "autorecover", no_argument, NULL, 'R' },
		{ "no-autorecover", no_argument, NULL, OPT_NO_AUTORECOVER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "data-size", required_argument, NULL, OPT_DATA_SIZE },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		LAYOUT_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "create-namespace";
	struct create_params p = { .ctx = ctx, .autolabel = -1, .autorecover = -1 };
	struct early_mark mark;
	struct ndctl_ctx *nctx = NULL;
	struct ndctl_namespace *ndns;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	uint64_t size = 0, align;
	uuid_t tmp;
	char why[512] = "", recreated[64];
	/* getopt permutes argv: ndctl gets the words as they were typed */
	char **typed = calloc((size_t)argc + 1, sizeof(*typed));
	int c, rc, created = 0, tried = 0, refused = 0, xen_request, merge, own_option = 0;

	if (!typed) {
		cmd_error(cmd, "out of memory");
		return EXIT_FAILED;
	}
	memcpy(typed, argv, (size_t)argc * sizeof(*argv));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:r:e:u:n:l:t:fcLRvjhs:m:M:a:", longopts, NULL)) != -1) {
		/* a long option without a letter that is not ndctl's: ndctl-xen's request */
		if (c >= 0x100 && c != OPT_NO_AUTOLABEL && c != OPT_NO_AUTORECOVER)
			own_option = 1;
		if (layout_opt(c, &p.o))
			continue;
		switch (c) {
		case 'b': p.bus = optarg; break;
		case 'r': p.region = optarg; break;
		case 'e': p.reconfig = optarg; break;
		case 'u': p.uuid = optarg; break;
		case 'n': p.name = optarg; break;
		case 'l': p.sector_size = optarg; break;
		case 't': p.type = optarg; break;
		case 'f': p.force = 1; break;
		case 'c': p.greedy = 1; break;
		case 'L': p.autolabel = 1; break;
		case OPT_NO_AUTOLABEL: p.autolabel = 0; break;
		case 'R': p.autorecover = 1; break;
		case OPT_NO_AUTORECOVER: p.autorecover = 0; break;
		case 'v': p.verbose = 1; break;
		case OPT_DRY_RUN: p.dry_run = 1; break;
		case OPT_DATA_SIZE: p.data_size = optarg; break;
		case 'j': p.o.json = 1; break;
		case 'h': create_usage(stdout); free(typed); return 0;
		default: free(typed); return option_error(cmd, c, argv);
		}
	}
	if (optind < argc) {
		cmd_error(cmd, "unexpected argument '%s'", argv[optind]);
		free(typed);
		return EXIT_USAGE;
	}
	if (p.name && strcmp(p.name, NDCTL_XEN_PENDING_NAME) == 0) {
		cmd_error(cmd, "--name='%s': that name marks an unfinished namespace", p.name);
		free(typed);
		return EXIT_USAGE;
	}
	p.o.mode = ndctl_mode(p.o.mode);
	/* --reserve, --reserve-per-page, --reserve-owner, --page-struct-size, ... */
	xen_request = own_option;
	/* no reserved area asked, or a kind of namespace that cannot have one */
	if (!xen_request || (p.o.mode && (strcmp(p.o.mode, "sector") == 0 ||
				strcmp(p.o.mode, "raw") == 0)) ||
			(p.type && strcmp(p.type, "blk") == 0)) {
		if (xen_request) {
			cmd_error(cmd, "%s%s: a reserved area needs an fsdax or devdax pmem "
					"namespace; without --reserve* options ndctl makes it",
					p.type && strcmp(p.type, "blk") == 0 ? "--type=" : "--mode=",
					p.type && strcmp(p.type, "blk") == 0 ? p.type : p.o.mode);
			free(typed);
			return EXIT_USAGE;
		}
		rc = run_ndctl(argc, typed);
		free(typed);
		return rc;
	}
	free(typed);
	if (p.type && strcmp(p.type, "pmem") != 0) {
		cmd_error(cmd, "--type=%s: must be pmem or blk", p.type);
		return EXIT_USAGE;
	}
	if (p.autorecover == 0) {
		cmd_error(cmd, "--no-autorecover: ndctl-xen always restores the old state when "
				"it fails (power cuts too); without --reserve* options ndctl does it");
		return EXIT_USAGE;
	}
	if (p.sector_size && parse_size_opt(cmd, "sector-size", p.sector_size, &p.lbasize))
		return EXIT_USAGE;
	if (p.sector_size && !p.lbasize) {
		cmd_error(cmd, "--sector-size=%s is not a sector size", p.sector_size);
		return EXIT_USAGE;
	}
	if (p.uuid && uuid_parse(p.uuid, tmp)) {
		cmd_error(cmd, "--uuid=%s is not a uuid", p.uuid);
		return EXIT_USAGE;
	}
	if (p.name && strlen(p.name) >= 64) {
		cmd_error(cmd, "--name='%s': a label name has at most 63 bytes", p.name);
		return EXIT_USAGE;
	}
	/* -L matters only for a label-less region, known once the namespace is found */
	merge = p.reconfig && (p.o.size || p.uuid || p.name || p.sector_size);
	if (p.reconfig && p.greedy) {
		cmd_error(cmd, "--reconfig and --continue: one namespace is reconfigured, "
				"--continue is for creating");
		return EXIT_USAGE;
	}
	if (merge && !p.force) {
		cmd_error(cmd, "%s: -e with --size, --name, --uuid or --sector-size has ndctl "
				"re-create the namespace, losing its data: use --force", p.reconfig);
		return EXIT_REFUSED;
	}
	/* check every option before touching a device */
	rc = opts_align(ctx, cmd, &p.o, &align);
	if (rc)
		return rc;
	if (p.o.size && util_parse_size(p.o.size, &size) < 0)
		return EXIT_USAGE;
	if (p.data_size) {
		if (p.o.size || p.reconfig || p.greedy) {
			cmd_error(cmd, "--data-size=%s: give the namespace's size (--size) or its "
					"data area's (--data-size), not both; not with -e or --continue",
					p.data_size);
			return EXIT_USAGE;
		}
		if (parse_size_opt(cmd, "data-size", p.data_size, &p.data_bytes))
			return EXIT_USAGE;
		if (!p.data_bytes) {
			cmd_error(cmd, "--data-size=%s: must be larger than 0", p.data_size);
			return EXIT_USAGE;
		}
	}
	if (p.verbose && getenv("NDCTL_XEN_LOG") == NULL)
		ndctl_xen_set_log_priority(ctx, LOG_INFO);

	rc = ndctl_new(&nctx);
	if (rc < 0) {
		cmd_error(cmd, "cannot open libndctl: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	if (p.verbose)
		ndctl_set_log_priority(nctx, LOG_DEBUG);
	if (p.dry_run && merge) {
		cmd_error(cmd, "--dry-run: -e with --size, --name, --uuid or --sector-size "
				"has ndctl re-create the namespace, which a preview cannot show");
		ndctl_unref(nctx);
		return EXIT_USAGE;
	}
	if (p.dry_run) {
		rc = dry_run_create(ctx, nctx, &p, size, align);
		ndctl_unref(nctx);
		return rc;
	}
	rc = ndctl_xen_lock(ctx, 60);
	if (rc) {
		cmd_error(cmd, "%s", ndctl_xen_lock_error(rc));
		rc = EXIT_REFUSED;
		goto out;
	}

	if (p.reconfig) {
		ndns = find_namespace(nctx, &p);
		/* as ndctl -e: the mode not given is the namespace's */
		if (ndns && !p.o.mode && ndctl_namespace_get_mode(ndns) == NDCTL_NS_MODE_DEVDAX)
			p.o.mode = "devdax";
		/* ndctl's autolabel: a label-less region gets labels first */
		if (ndns && p.autolabel == 1 && ndctl_region_get_nstype(
					ndctl_namespace_get_region(ndns)) == ND_DEVICE_NAMESPACE_IO)
			merge = 1;
		if (!ndns) {
			cmd_error(cmd, "no namespace %s%s%s", p.reconfig,
					p.region ? " in region " : "", p.region ? p.region : "");
			rc = EXIT_REFUSED;
		} else if (ndctl_namespace_is_active(ndns) && !p.force) {
			cmd_error(cmd, "%s is active; use --force to reconfigure it",
					p.reconfig);
			rc = EXIT_REFUSED;
		} else if (merge && !p.force) {
			cmd_error(cmd, "%s: -L on a label-less region has ndctl re-create the "
					"namespace with labels, losing its data: use --force", p.reconfig);
			rc = EXIT_REFUSED;
		} else if (merge) {
			/* the raw namespace ndctl made, with what was asked and what was kept */
			if (!ndctl_recreate_raw(&p, recreated, sizeof(recreated))) {
				cmd_error(cmd, "%s: ndctl could not re-create it raw (its error above); "
						"nothing written by ndctl-xen", p.reconfig);
				rc = EXIT_FAILED;
				goto out;
			}
			/* a new view: ndctl made the namespace anew, under the same name or not */
			ndctl_unref(nctx);
			rc = ndctl_new(&nctx);
			if (rc < 0) {
				nctx = NULL;
				cmd_error(cmd, "cannot open libndctl: %s", strerror(-rc));
				rc = EXIT_FAILED;
				goto out;
			}
			p.reconfig = recreated;
			p.bus = p.region = NULL;
			ndns = find_namespace(nctx, &p);
			rc = ndns ? provision_one(ctx, ndns, &p, 0, NULL) : EXIT_FAILED;
			if (!ndns)
				cmd_error(cmd, "%s: ndctl re-created it but it is not there", recreated);
		} else {
			rc = provision_one(ctx, ndns, &p, 0, NULL);
		}
		goto out;
	}

	rc = EXIT_REFUSED;
	if (!p.uuid) {
		mark_begin(&mark, ctx);
		p.mark = &mark;
	}
	cmd_step(ctx, cmd, "looking for a region with room");
	ndctl_bus_foreach(nctx, bus) {
		if (!bus_match(bus, p.bus))
			continue;
		ndctl_region_foreach(bus, region) {
			if (!filter_match(p.region, ndctl_region_get_devname(region),
						ndctl_region_get_id(region)))
				continue;
			if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM ||
					ndctl_region_get_ro(region))
				continue;
			do {
				tried++;
				ndns = new_namespace(region, &p, size, align, why,
						sizeof(why), &refused);
				if (refused) {
					/* --continue stops quietly once the space is used up */
					rc = created ? 0 : EXIT_REFUSED;
					if (!created)
						cmd_error(cmd, "%s", why);
					goto out;
				}
				if (!ndns)
					break;
				rc = provision_one(ctx, ndns, &p, 1, NULL);
				if (rc)
					goto out;
				created++;
			} while (p.greedy);
			if (created && !p.greedy)
				goto out;
		}
	}
	if (!created) {
		cmd_error(cmd, "no namespace created: %s", tried ? why :
				"no label-backed pmem region matches (label-less namespaces: use -e)");
		rc = EXIT_REFUSED;
	} else {
		rc = 0;
	}
out:
	if (p.mark)
		mark_end(p.mark);
	ndctl_xen_unlock(ctx);
	ndctl_unref(nctx);
	return rc;
}
