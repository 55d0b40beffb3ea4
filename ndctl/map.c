// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen map: the toolstack's page map of the data areas' machine
 * frames, kept in a state file.  Every subcommand but create opens the
 * file through libndctl-xen, which makes each change under the file's
 * lock, on top of every change other processes made, and durable before
 * it returns; a refused change leaves the file as it was.  create builds
 * the map in memory and writes it as a new file (only over a regular
 * file, and only with --force).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <ndctl/libndctl.h>

#include "builtin.h"
#include "util/size.h"

/* --state when neither it nor NDCTL_XEN_PAGEMAP is given */
#define DEFAULT_STATE "/var/lib/ndctl-xen/pagemap"

enum map_opt {
	O_STATE = 0x100, O_DOMAIN, O_GFN, O_MFN, O_FRAMES, O_PHYS, O_LENGTH,
	O_BADBLOCKS, O_RANGE, O_FILTER, O_BUS, O_REGION, O_NAMESPACE, O_FORCE,
	O_HUMAN, O_NR,
};

/* which options each subcommand takes */
#define BIT(o) (1u << ((o) - O_STATE))
#define LIVE (BIT(O_BUS) | BIT(O_REGION) | BIT(O_NAMESPACE))

struct subcommand {
	const char *name;
	int (*fn)(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
			struct json_object **out);
	unsigned int allowed;
	const char *synopsis;
};

static struct map_params {
	const char *cmd; /* "map assign" and so on, for errors */
	const char *state, *filter;
	const char *bus, *region, *ns;
	const char *ranges[64];
	unsigned int nranges;
	uint32_t domid;
	uint64_t gfn, mfn, frames, phys, length;
	unsigned int given; /* BIT() of each option seen */
	int human, force;
} p;

/* decimal, or hexadecimal after 0x: a leading zero is not octal here */
static int parse_u64(const char *name, const char *val, uint64_t *out)
{
	int hex = val[0] == '0' && (val[1] == 'x' || val[1] == 'X');
	const char *digits = hex ? val + 2 : val;
	char *end = NULL;

	errno = 0;
	if ((digits[0] >= '0' && digits[0] <= '9') ||
			(hex && ((digits[0] >= 'a' && digits[0] <= 'f') ||
				 (digits[0] >= 'A' && digits[0] <= 'F'))))
		*out = strtoull(digits, &end, hex ? 16 : 10);
	if (!end || errno || *end) {
		cmd_error(p.cmd, "--%s=%s is not a number (decimal or 0x hexadecimal, below 2^64)",
				name, val);
		return -EINVAL;
	}
	return 0;
}

/* SMFN-EMFN */
static int parse_range(const char *val, uint64_t *s, uint64_t *e)
{
	const char *dash = strchr(val, '-');
	char first[32];

	if (!dash || (size_t)(dash - val) >= sizeof(first)) {
		cmd_error(p.cmd, "--range=%s: give SMFN-EMFN, the end exclusive", val);
		return -EINVAL;
	}
	memcpy(first, val, (size_t)(dash - val));
	first[dash - val] = '\0';
	if (parse_u64("range", first, s) || parse_u64("range", dash + 1, e))
		return -EINVAL;
	return 0;
}

static struct json_object *range_json(const struct ndctl_xen_pagemap_range *r)
{
	struct json_object *j = json_object_new_object();
	int owned = r->domid != NDCTL_XEN_PAGEMAP_NO_DOMAIN;

	json_object_object_add(j, "mfn", json_hex(r->mfn, p.human));
	json_object_object_add(j, "frames", json_u64(r->nframes));
	json_object_object_add(j, "size", json_size(r->nframes * 4096, p.human));
	json_object_object_add(j, "state", json_object_new_string(
				ndctl_xen_pagemap_state_name(r->state)));
	json_object_object_add(j, "domain", owned ? json_object_new_int64(r->domid) : NULL);
	json_object_object_add(j, "gfn", owned ? json_hex(r->gfn, p.human) : NULL);
	return j;
}

/* the states --filter names, as an iteration mask */
static int parse_filter(unsigned int *mask)
{
	char buf[128], *tok, *save = NULL;
	unsigned int s;

	*mask = p.filter ? 0 : NDCTL_XEN_PAGEMAP_MASK_ALL;
	if (!p.filter)
		return 0;
	snprintf(buf, sizeof(buf), "%s", p.filter);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (s = 0; s < NDCTL_XEN_PAGEMAP_NR_STATES; s++)
			if (strcmp(tok, ndctl_xen_pagemap_state_name(s)) == 0)
				break;
		if (s == NDCTL_XEN_PAGEMAP_NR_STATES) {
			cmd_error(p.cmd, "--filter=%s: '%s' is not a state (free, assigned, "
					"broken, assigned-broken)", p.filter, tok);
			return -EINVAL;
		}
		*mask |= NDCTL_XEN_PAGEMAP_MASK(s);
	}
	if (!*mask) {
		cmd_error(p.cmd, "--filter=%s names no state", p.filter);
		return -EINVAL;
	}
	return 0;
}

static struct json_object *map_json(struct ndctl_xen_pagemap *map, unsigned int mask)
{
	struct json_object *j = json_object_new_object(), *a, *o;
	struct ndctl_xen_pagemap_range r;
	uint64_t smfn, emfn, cursor = 0;
	unsigned int i;

	a = json_object_new_array();
	for (i = 0; ndctl_xen_pagemap_get_area(map, i, &smfn, &emfn) == 0; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "smfn", json_hex(smfn, p.human));
		json_object_object_add(o, "emfn", json_hex(emfn, p.human));
		json_object_object_add(o, "size", json_size((emfn - smfn) * 4096, p.human));
		json_object_array_add(a, o);
	}
	json_object_object_add(j, "areas", a);
	o = json_object_new_object();
	for (i = 0; i < NDCTL_XEN_PAGEMAP_NR_STATES; i++) {
		struct json_object *t = json_object_new_object();
		uint64_t frames = ndctl_xen_pagemap_get_frames(map, i);

		json_object_object_add(t, "frames", json_u64(frames));
		json_object_object_add(t, "size", json_size(frames * 4096, p.human));
		json_object_object_add(t, "ranges", json_u64(ndctl_xen_pagemap_get_ranges(map, i)));
		json_object_object_add(o, ndctl_xen_pagemap_state_name(i), t);
	}
	json_object_object_add(j, "totals", o);
	a = json_object_new_array();
	if (p.given & BIT(O_DOMAIN)) {
		while (ndctl_xen_pagemap_domain_next(map, p.domid, &cursor, &r) == 0)
			if (mask & NDCTL_XEN_PAGEMAP_MASK(r.state))
				json_object_array_add(a, range_json(&r));
	} else {
		while (ndctl_xen_pagemap_next(map, mask, &cursor, &r) == 0)
			json_object_array_add(a, range_json(&r));
	}
	json_object_object_add(j, "ranges", a);
	return j;
}

/*
 * The library's error: a refusal (1), or a failure while doing it (3):
 * the system could not do what the rules allow (an I/O error, no memory,
 * a read-only, full or over-quota file system, the file-size limit).
 * -ENOSPC is the map's "no free run", a refusal: the library reports a
 * full file system as -EIO, its message saying so.
 */
static int refused(struct ndctl_xen_pagemap *map, int rc)
{
	const char *msg = ndctl_xen_pagemap_get_error(map);

	cmd_error(p.cmd, "%s", msg[0] ? msg : strerror(-rc));
	switch (rc) {
	case -EIO: case -ENOMEM: case -EROFS: case -EDQUOT: case -EFBIG:
		return EXIT_FAILED;
	default:
		return EXIT_REFUSED;
	}
}

static struct json_object *domains_json(const uint32_t *d, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(d[i]));
	return a;
}

/* ---- live namespaces: data areas and media errors ---- */

struct live_ns {
	struct ndctl_namespace *ndns;
	struct ndctl_xen_layout *l;
};

struct live_walk {
	struct ndctl_xen_ctx *ctx;
	int (*fn)(struct live_ns *ns, void *arg);
	void *arg;
	int visited;
};

/* a namespace with a consistent layout and a data area */
static int live_one(struct ndctl_namespace *ndns, void *arg)
{
	struct live_walk *w = arg;
	struct live_ns ns = { ndns, NULL };
	uint64_t s, e;
	int rc = 0;

	if (ndctl_xen_layout_from_namespace(w->ctx, ndns, &ns.l))
		return 0;
	if (ndctl_xen_layout_get_xen_data(ns.l, &s, &e) == 0) {
		rc = w->fn(&ns, w->arg);
		w->visited++;
	}
	ndctl_xen_layout_unref(ns.l);
	return rc;
}

/* fn for each such namespace the filters select: how many, or -errno */
static int foreach_live(struct ndctl_xen_ctx *ctx,
		int (*fn)(struct live_ns *ns, void *arg), void *arg)
{
	struct live_walk w = { ctx, fn, arg, 0 };
	struct ndctl_ctx *nctx;
	int rc = ndctl_new(&nctx);

	if (rc < 0) {
		cmd_error(p.cmd, "cannot open libndctl: %s", strerror(-rc));
		return rc;
	}
	rc = foreach_namespace(nctx, p.bus, p.region, p.ns, live_one, &w);
	ndctl_unref(nctx);
	return rc < 0 ? rc : w.visited;
}

struct broken_acc {
	struct ndctl_xen_pagemap *map;
	uint32_t domids[256];
	size_t ndomids;
	uint64_t errors;
};

static void add_domains(struct broken_acc *acc, const uint32_t *d, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < acc->ndomids && acc->domids[j] != d[i]; j++)
			;
		if (j == acc->ndomids && acc->ndomids < 256)
			acc->domids[acc->ndomids++] = d[i];
	}
}

struct bb_mark {
	struct broken_acc *acc;
	struct ndctl_xen_layout *l;
};

/* one media error: the frames of the data area it touches */
static int mark_badblock(uint64_t start, uint64_t end, void *arg)
{
	struct bb_mark *m = arg;
	struct broken_acc *acc = m->acc;
	uint32_t d[256];
	uint64_t s, e;
	size_t nd;
	int rc;

	if (ndctl_xen_layout_badblock_frames(m->l, start, end - start, &s, &e))
		return 0;
	rc = ndctl_xen_pagemap_mark_broken(acc->map, s, e - s, d, 256, &nd);
	if (rc == -ERANGE)
		return 0; /* not one of the map's areas */
	if (rc) {
		refused(acc->map, rc);
		return -EIO;
	}
	acc->errors++;
	add_domains(acc, d, nd < 256 ? nd : 256);
	return 0;
}

/* the region's media errors that touch this namespace's data area */
static int mark_badblocks(struct live_ns *ns, void *arg)
{
	struct bb_mark m = { arg, ns->l };

	return foreach_ns_badblock(ns->ndns, mark_badblock, &m);
}

static int add_live_area(struct live_ns *ns, void *arg)
{
	struct broken_acc *acc = arg;
	int rc = ndctl_xen_pagemap_add_layout(acc->map, ns->l);

	if (rc) {
		cmd_error(p.cmd, "%s: %s", ndctl_namespace_get_devname(ns->ndns),
				ndctl_xen_pagemap_get_error(acc->map));
		return -EIO;
	}
	return mark_badblocks(ns, arg);
}

/* ---- subcommands ---- */

static int create_exists(void)
{
	cmd_error(p.cmd, "%s exists: it may hold assignments; use --force to replace it",
			p.state);
	return EXIT_REFUSED;
}

static int do_create(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	struct broken_acc acc = { .map = map };
	uint64_t s, e;
	unsigned int i;
	int rc;

	if (!p.force && access(p.state, F_OK) == 0)
		return create_exists();
	if (p.nranges) {
		for (i = 0; i < p.nranges; i++) {
			if (parse_range(p.ranges[i], &s, &e))
				return EXIT_USAGE;
			rc = ndctl_xen_pagemap_add_area(map, s, e);
			if (rc)
				return refused(map, rc);
		}
	} else {
		rc = foreach_live(ctx, add_live_area, &acc);
		if (rc < 0)
			return EXIT_REFUSED;
		if (rc == 0) {
			cmd_error(p.cmd, "no namespace with a data area matched; give --range "
					"for a map without hardware");
			return EXIT_REFUSED;
		}
	}
	/* a new file, or with --force over a regular file, atomically */
	rc = ndctl_xen_pagemap_create(map, p.state, p.force ? NDCTL_XEN_PAGEMAP_REPLACE : 0);
	if (rc == -EEXIST)
		return create_exists();
	if (rc)
		return refused(map, rc);
	*out = map_json(map, NDCTL_XEN_PAGEMAP_MASK_ALL);
	return 0;
}

static int do_assign(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	struct ndctl_xen_pagemap_range r;
	uint64_t mfn = p.mfn;
	int rc;

	(void)ctx;
	if (p.given & BIT(O_MFN))
		rc = ndctl_xen_pagemap_assign(map, p.domid, p.gfn, p.mfn, p.frames);
	else
		rc = ndctl_xen_pagemap_assign_any(map, p.domid, p.gfn, p.frames, &mfn);
	if (rc)
		return refused(map, rc);
	r.mfn = mfn;
	r.nframes = p.frames;
	r.gfn = p.gfn;
	r.domid = p.domid;
	r.state = NDCTL_XEN_PAGEMAP_ASSIGNED;
	*out = range_json(&r);
	return 0;
}

static int do_release(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	uint64_t n = p.frames;
	int rc;

	(void)ctx;
	if (p.given & BIT(O_MFN))
		rc = ndctl_xen_pagemap_release(map, p.domid, p.mfn, p.frames);
	else
		rc = ndctl_xen_pagemap_release_domain(map, p.domid, &n);
	if (rc == -ENOENT && !(p.given & BIT(O_MFN))) {
		/* a domain-destroy hook that runs twice: nothing to do is done */
		fprintf(stderr, "%s: domain %u holds no frames: nothing to release\n", p.cmd,
				p.domid);
		rc = 0;
		n = 0;
	}
	if (rc)
		return refused(map, rc);
	*out = json_object_new_object();
	json_object_object_add(*out, "domain", json_object_new_int64(p.domid));
	json_object_object_add(*out, "frames", json_u64(n));
	return 0;
}

static int do_broken(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	struct broken_acc acc = { .map = map };
	size_t nd = 0;
	int rc;

	if (p.given & BIT(O_BADBLOCKS)) {
		rc = foreach_live(ctx, mark_badblocks, &acc);
		if (rc < 0)
			return EXIT_REFUSED;
	} else {
		if (p.given & BIT(O_MFN))
			rc = ndctl_xen_pagemap_mark_broken(map, p.mfn, p.frames, acc.domids,
					256, &nd);
		else
			rc = ndctl_xen_pagemap_mark_broken_phys(map, p.phys, p.length,
					acc.domids, 256, &nd);
		if (rc)
			return refused(map, rc);
		acc.ndomids = nd < 256 ? nd : 256;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "domains", domains_json(acc.domids, acc.ndomids));
	if (p.given & BIT(O_BADBLOCKS))
		json_object_object_add(*out, "media_errors", json_u64(acc.errors));
	json_object_object_add(*out, "broken_frames", json_u64(
				ndctl_xen_pagemap_get_frames(map, NDCTL_XEN_PAGEMAP_BROKEN) +
				ndctl_xen_pagemap_get_frames(map, NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN)));
	return 0;
}

static int do_clear(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	int rc = ndctl_xen_pagemap_clear_broken(map, p.mfn, p.frames);

	(void)ctx;
	if (rc)
		return refused(map, rc);
	*out = json_object_new_object();
	json_object_object_add(*out, "broken_frames", json_u64(
				ndctl_xen_pagemap_get_frames(map, NDCTL_XEN_PAGEMAP_BROKEN) +
				ndctl_xen_pagemap_get_frames(map, NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN)));
	return 0;
}

static int do_show(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	unsigned int mask;

	(void)ctx;
	if (parse_filter(&mask))
		return EXIT_USAGE;
	*out = map_json(map, mask);
	return 0;
}

/* a new checkpoint now: the log folded in, a format 1.0 file carried over */
static int do_compact(struct ndctl_xen_ctx *ctx, struct ndctl_xen_pagemap *map,
		struct json_object **out)
{
	int rc = ndctl_xen_pagemap_compact(map);

	(void)ctx;
	if (rc)
		return refused(map, rc);
	*out = map_json(map, NDCTL_XEN_PAGEMAP_MASK_ALL);
	return 0;
}

static const struct subcommand subcommands[] = {
	{ "create", do_create, BIT(O_RANGE) | LIVE | BIT(O_FORCE) | BIT(O_HUMAN),
		"[--state=FILE] (--range=SMFN-EMFN ... | [-b BUS] [-r REGION] [-n NAMESPACE]) [-f]" },
	{ "assign", do_assign, BIT(O_DOMAIN) | BIT(O_GFN) | BIT(O_MFN) | BIT(O_FRAMES) |
		BIT(O_HUMAN), "[--state=FILE] --domain=D --gfn=GFN [--mfn=MFN] --frames=N" },
	{ "release", do_release, BIT(O_DOMAIN) | BIT(O_MFN) | BIT(O_FRAMES),
		"[--state=FILE] --domain=D [--mfn=MFN --frames=N]" },
	{ "broken", do_broken, BIT(O_MFN) | BIT(O_FRAMES) | BIT(O_PHYS) | BIT(O_LENGTH) |
		BIT(O_BADBLOCKS) | LIVE, "[--state=FILE] (--mfn=MFN --frames=N | "
			"--phys=ADDR --length=LEN | --badblocks [-b BUS] [-r REGION] [-n NAMESPACE])" },
	{ "clear", do_clear, BIT(O_MFN) | BIT(O_FRAMES), "[--state=FILE] --mfn=MFN --frames=N" },
	{ "show", do_show, BIT(O_DOMAIN) | BIT(O_FILTER) | BIT(O_HUMAN),
		"[--state=FILE] [--domain=D] [--filter=STATE[,STATE...]] [-u]" },
	{ "compact", do_compact, BIT(O_HUMAN), "[--state=FILE] [-u]" },
};
#define NR_SUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void map_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < NR_SUB; i++)
		fprintf(f, "  ndctl-xen map %s %s\n", subcommands[i].name, subcommands[i].synopsis);
	fprintf(f, "\n"
"The page map of the data areas' machine frames: free, assigned to a domain\n"
"at a guest frame, or broken.  Every change is made under FILE's lock, after\n"
"the changes of other processes, and is durable when it exits 0; a refused\n"
"change leaves FILE untouched.  FILE must be a regular file (or a symlink to\n"
"one).  Frame numbers are decimal or 0x hexadecimal (a leading 0 is not\n"
"octal); --length takes K, M, G, T suffixes.  States:\n"
"free, assigned, broken, assigned-broken.  --frames without --mfn in assign\n"
"takes the lowest free run that is long enough (first fit).\n\n"
"  --state=FILE             the state file; default $NDCTL_XEN_PAGEMAP, or\n"
"                           " DEFAULT_STATE "\n"
"  -h, --help               this help (also after a subcommand)\n\n"
"Exit status: 0 done (also a release of a domain that holds nothing),\n"
"1 refused (FILE unchanged), 2 usage, 3 failed while doing it (an I/O\n"
"error, a full or read-only file system: FILE as before the call).\n");
}

static const char *opt_name(int o)
{
	static const char *const names[] = { "state", "domain", "gfn", "mfn", "frames",
		"phys", "length", "badblocks", "range", "filter", "bus", "region",
		"namespace", "force", "human" };

	return names[o - O_STATE];
}

/* the options a subcommand needs, and combinations that make no sense */
static int check_required(const struct subcommand *sub)
{
	unsigned int g = p.given;
	const char *n = sub->name;

	if ((!strcmp(n, "assign") || !strcmp(n, "release")) && !(g & BIT(O_DOMAIN))) {
		cmd_error(p.cmd, "give --domain");
		return -EINVAL;
	}
	if (!strcmp(n, "assign") && (!(g & BIT(O_GFN)) || !(g & BIT(O_FRAMES)))) {
		cmd_error(p.cmd, "give --gfn and --frames (and --mfn, or none for first fit)");
		return -EINVAL;
	}
	if ((!strcmp(n, "release") || !strcmp(n, "clear")) &&
			!(g & BIT(O_MFN)) != !(g & BIT(O_FRAMES))) {
		cmd_error(p.cmd, "give --mfn and --frames together");
		return -EINVAL;
	}
	if (!strcmp(n, "clear") && !(g & BIT(O_MFN))) {
		cmd_error(p.cmd, "give --mfn and --frames");
		return -EINVAL;
	}
	if (!strcmp(n, "broken")) {
		int by_mfn = !!(g & (BIT(O_MFN) | BIT(O_FRAMES)));
		int by_phys = !!(g & (BIT(O_PHYS) | BIT(O_LENGTH)));
		int by_bb = !!(g & BIT(O_BADBLOCKS));

		if (by_mfn + by_phys + by_bb != 1 ||
				(by_mfn && (g & (BIT(O_MFN) | BIT(O_FRAMES))) !=
				 (BIT(O_MFN) | BIT(O_FRAMES))) ||
				(by_phys && (g & (BIT(O_PHYS) | BIT(O_LENGTH))) !=
				 (BIT(O_PHYS) | BIT(O_LENGTH)))) {
			cmd_error(p.cmd, "give exactly one of --mfn with --frames, --phys with "
					"--length, or --badblocks");
			return -EINVAL;
		}
		if (!by_bb && (g & LIVE)) {
			cmd_error(p.cmd, "-b, -r and -n go with --badblocks");
			return -EINVAL;
		}
	}
	if (!strcmp(n, "create") && (g & BIT(O_RANGE)) && (g & LIVE)) {
		cmd_error(p.cmd, "--range and the namespace filters exclude each other");
		return -EINVAL;
	}
	return 0;
}

int cmd_map(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "domain", required_argument, NULL, O_DOMAIN },
		{ "gfn", required_argument, NULL, O_GFN },
		{ "mfn", required_argument, NULL, O_MFN },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "phys", required_argument, NULL, O_PHYS },
		{ "length", required_argument, NULL, O_LENGTH },
		{ "badblocks", no_argument, NULL, O_BADBLOCKS },
		{ "range", required_argument, NULL, O_RANGE },
		{ "filter", required_argument, NULL, O_FILTER },
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "human", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char cmdname[32];
	const struct subcommand *sub = NULL;
	struct ndctl_xen_pagemap *map = NULL;
	struct json_object *out = NULL;
	uint64_t v;
	size_t i;
	int c, o, rc;

	memset(&p, 0, sizeof(p));
	p.cmd = "map";
	if (argc < 2) {
		cmd_error(p.cmd, "give a subcommand: create, assign, release, broken, clear, "
				"show or compact");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		map_usage(stdout);
		return 0;
	}
	for (i = 0; i < NR_SUB; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			sub = &subcommands[i];
	if (!sub) {
		cmd_error(p.cmd, "'%s' is not a subcommand: create, assign, release, broken, "
				"clear, show or compact", argv[1]);
		return EXIT_USAGE;
	}
	snprintf(cmdname, sizeof(cmdname), "map %s", sub->name);
	p.cmd = cmdname;
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:r:n:fuh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o = O_BUS; p.bus = optarg; break;
		case 'r': o = O_REGION; p.region = optarg; break;
		case 'n': o = O_NAMESPACE; p.ns = optarg; break;
		case 'f': o = O_FORCE; p.force = 1; break;
		case 'u': o = O_HUMAN; p.human = 1; break;
		case 'h': map_usage(stdout); return 0;
		case O_STATE: o = c; p.state = optarg; break;
		case O_FILTER: o = c; p.filter = optarg; break;
		case O_BADBLOCKS: o = c; break;
		case O_RANGE:
			o = c;
			if (p.nranges == sizeof(p.ranges) / sizeof(p.ranges[0])) {
				cmd_error(p.cmd, "--range: at most %zu", sizeof(p.ranges) /
						sizeof(p.ranges[0]));
				return EXIT_USAGE;
			}
			p.ranges[p.nranges++] = optarg;
			break;
		case O_DOMAIN:
			o = c;
			if (parse_u64("domain", optarg, &v))
				return EXIT_USAGE;
			if (v > NDCTL_XEN_PAGEMAP_DOMID_MAX) {
				cmd_error(p.cmd, "--domain=%s: a guest domain id is 0 to %u", optarg,
						NDCTL_XEN_PAGEMAP_DOMID_MAX);
				return EXIT_USAGE;
			}
			p.domid = (uint32_t)v;
			break;
		case O_GFN: o = c; if (parse_u64("gfn", optarg, &p.gfn)) return EXIT_USAGE; break;
		case O_MFN: o = c; if (parse_u64("mfn", optarg, &p.mfn)) return EXIT_USAGE; break;
		case O_FRAMES:
			o = c;
			if (parse_u64("frames", optarg, &p.frames))
				return EXIT_USAGE;
			if (!p.frames) {
				cmd_error(p.cmd, "--frames=%s: must be at least 1", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_PHYS: o = c; if (parse_u64("phys", optarg, &p.phys)) return EXIT_USAGE; break;
		case O_LENGTH:
			o = c;
			rc = util_parse_size(optarg, &p.length);
			if (rc || !p.length) {
				cmd_error(p.cmd, "--length=%s is not a size above 0 (a number with an "
						"optional K, M, G or T suffix)", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			if (optopt && optopt < 0x100)
				cmd_error(p.cmd, "unknown option or missing value for '-%c'; see --help",
						optopt);
			else
				cmd_error(p.cmd, "unknown option or missing value: '%s'; see --help",
						argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (o != O_STATE && !(sub->allowed & BIT(o))) {
			cmd_error(p.cmd, "--%s is not an option of map %s", opt_name(o), sub->name);
			return EXIT_USAGE;
		}
		p.given |= BIT(o);
	}
	if (optind < argc) {
		cmd_error(p.cmd, "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!p.state) {
		/* the host's map: one place a toolstack need not be told */
		p.state = secure_getenv("NDCTL_XEN_PAGEMAP");
		if (!p.state || !p.state[0])
			p.state = DEFAULT_STATE;
	}
	if (check_required(sub))
		return EXIT_USAGE;

	/*
	 * The page map logs at err only what an operator must hear though
	 * the command succeeded: a compaction that could not be made (the
	 * log then grows), a killed writer's checkpoint finished.
	 */
	if (!getenv("NDCTL_XEN_LOG"))
		ndctl_xen_set_log_priority(ctx, LOG_ERR);
	if (ndctl_xen_pagemap_new(ctx, &map)) {
		cmd_error(p.cmd, "out of memory");
		return EXIT_REFUSED;
	}
	rc = 0;
	/*
	 * show reads under the shared lock; the others change under the
	 * exclusive one.  A change needs only the ranges it touches: sparse
	 * (O(log n) on a 3.0 file); show and compact need the whole map.
	 */
	if (sub->fn != do_create) {
		rc = ndctl_xen_pagemap_open(map, p.state, sub->fn == do_show ?
				NDCTL_XEN_PAGEMAP_RDONLY : sub->fn == do_compact ? 0 :
				NDCTL_XEN_PAGEMAP_SPARSE);
		if (rc)
			rc = refused(map, rc);
	}
	if (!rc)
		rc = sub->fn(ctx, map, &out);
	if (!rc && out)
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
					JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	ndctl_xen_pagemap_unref(map);
	return rc;
}
