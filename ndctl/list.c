// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen list: for each namespace, where its memmap, reserved area and
 * data are, whose the reservation is, where media errors fall, and (with
 * --xen) the frame ranges and xen-ndctl command lines for Xen.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <ndctl/libndctl.h>
#include <linux/ndctl.h>

#include "builtin.h"

struct list_params {
	const char *bus, *region, *ns, *dimm, *mode, *type, *numa;
	int human, xen, idle, configured, verbose, media, others, namespaces, dax;
	unsigned int query_flags;
};

static struct json_object *range_json(uint64_t base, uint64_t off, uint64_t size, int human)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "offset", json_hex(off, human));
	json_object_object_add(r, "size", json_size(size, human));
	json_object_object_add(r, "phys_start", json_hex(base + off, human));
	json_object_object_add(r, "phys_end", json_hex(size ? base + off + size - 1 : base + off, human));
	return r;
}

static struct json_object *unknown_json(unsigned int u)
{
	struct json_object *a = json_object_new_array();

	if (u & NDCTL_XEN_UNKNOWN_RESERVE)
		json_object_array_add(a, json_object_new_string("reserve"));
	if (u & NDCTL_XEN_UNKNOWN_OWNER)
		json_object_array_add(a, json_object_new_string("owner"));
	if (u & NDCTL_XEN_UNKNOWN_PER_PAGE)
		json_object_array_add(a, json_object_new_string("per_page_bytes"));
	if (u & NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE)
		json_object_array_add(a, json_object_new_string("page_struct_size"));
	return a;
}

static const char *source_name(enum ndctl_xen_source s)
{
	switch (s) {
	case NDCTL_XEN_SOURCE_INFOBLOCK: return "media";
	case NDCTL_XEN_SOURCE_STORE: return "store";
	case NDCTL_XEN_SOURCE_KERNEL: return "kernel";
	case NDCTL_XEN_SOURCE_SYSFS: return "sysfs";
	default: return "computed";
	}
}

/* The reservation: exact, none (null), or unknown (every field null). */
static struct json_object *reserve_json(struct ndctl_xen_layout *l, unsigned int unknown,
		uint64_t base, int human)
{
	struct json_object *r;
	enum ndctl_xen_owner owner = ndctl_xen_layout_get_reserve_owner(l);

	if (unknown & NDCTL_XEN_UNKNOWN_RESERVE) {
		r = json_object_new_object();
		json_object_object_add(r, "offset", NULL);
		json_object_object_add(r, "size", NULL);
		json_object_object_add(r, "phys_start", NULL);
		json_object_object_add(r, "phys_end", NULL);
		json_object_object_add(r, "owner", NULL);
		json_object_object_add(r, "owner_name", NULL);
		json_object_object_add(r, "per_page_bytes", NULL);
		return r;
	}
	if (!ndctl_xen_layout_get_reserve_size(l))
		return NULL;
	r = range_json(base, ndctl_xen_layout_get_reserve_offset(l),
			ndctl_xen_layout_get_reserve_size(l), human);
	json_object_object_add(r, "owner", json_object_new_string(owner_str(owner,
			ndctl_xen_layout_get_reserve_owner_name(l))));
	json_object_object_add(r, "owner_name", owner == NDCTL_XEN_OWNER_NAMED ?
			json_object_new_string(owner_str(owner,
				ndctl_xen_layout_get_reserve_owner_name(l))) : NULL);
	json_object_object_add(r, "per_page_bytes",
			json_u64(ndctl_xen_layout_get_reserve_per_page(l)));
	return r;
}

static struct json_object *layout_json(struct ndctl_xen_layout *l, int consistent, int human)
{
	struct json_object *j = json_object_new_object(), *p;
	unsigned int unknown = ndctl_xen_layout_get_unknown(l);
	uint64_t base = ndctl_xen_layout_get_phys_start(l);
	uint64_t dataoff = ndctl_xen_layout_get_dataoff(l);
	uint64_t kdataoff = ndctl_xen_layout_get_kernel_dataoff(l);
	uint64_t memmap = ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV ?
		ndctl_xen_layout_get_memmap_end(l) - 8192 : 0;

#define ADD(k, v) json_object_object_add(j, k, v)
	ADD("source", json_object_new_string(source_name(ndctl_xen_layout_get_source(l))));
	ADD("verified", json_object_new_boolean(ndctl_xen_layout_get_verified(l)));
	ADD("store_disagrees", json_object_new_boolean(ndctl_xen_layout_get_store_disagrees(l)));
	ADD("unknown", unknown_json(unknown));
	ADD("consistent", json_object_new_boolean(consistent));
	if (!consistent)
		ADD("problem", json_object_new_string(ndctl_xen_layout_get_error(l)));
	if (ndctl_xen_layout_get_policy_rule(l) != NDCTL_XEN_RULE_NONE) {
		p = json_object_new_object();
		json_object_object_add(p, "rule", json_object_new_string(ndctl_xen_rule_name(
				ndctl_xen_layout_get_policy_rule(l))));
		json_object_object_add(p, "problem", json_object_new_string(
				ndctl_xen_layout_get_policy_error(l)));
		ADD("policy", p);
	} else {
		ADD("policy", NULL);
	}
	ADD("map", json_object_new_string(ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV ?
				"dev" : "mem"));
	ADD("align", json_hex(ndctl_xen_layout_get_align(l), human));
	ADD("npfns", json_u64(ndctl_xen_layout_get_npfns(l)));
	ADD("page_struct_size", unknown & NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE ? NULL :
			json_u64(ndctl_xen_layout_get_page_struct_size(l)));
	ADD("dataoff", json_hex(dataoff, human));
	ADD("kernel_dataoff", json_hex(kdataoff, human));
	ADD("end_trunc", json_hex(ndctl_xen_layout_get_end_trunc(l), human));
	ADD("memmap", unknown & NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE ? NULL :
			range_json(base, 8192, memmap, human));
	/* between the kernel's own dataoff and this one: reserve and slack */
	ADD("gap", kdataoff && dataoff > kdataoff ? range_json(base, kdataoff,
				dataoff - kdataoff, human) : NULL);
	ADD("reserve", reserve_json(l, unknown, base, human));
	ADD("data", range_json(base, ndctl_xen_layout_get_data_offset(l),
				ndctl_xen_layout_get_data_size(l), human));
#undef ADD
	return j;
}

/*
 * usable 0: the claim device's probe failed, nothing serves the data
 * area: no data frames and no setup-data line, only the reserved area.
 */
static struct json_object *xen_json(struct ndctl_xen_layout *l, int usable)
{
	struct json_object *x = json_object_new_object(), *r;
	uint64_t ms = 0, me = 0, ds = 0, de = 0, need = 0;
	int have_mgmt = ndctl_xen_layout_get_xen_mgmt(l, &ms, &me) == 0;
	int have_data = usable && ndctl_xen_layout_get_xen_data(l, &ds, &de) == 0;
	char cmd[160];

	if (have_mgmt) {
		r = json_object_new_object();
		json_object_object_add(r, "smfn", json_u64(ms));
		json_object_object_add(r, "emfn", json_u64(me));
		json_object_object_add(x, "mgmt", r);
	} else {
		json_object_object_add(x, "mgmt", NULL);
	}
	if (have_data) {
		r = json_object_new_object();
		json_object_object_add(r, "smfn", json_u64(ds));
		json_object_object_add(r, "emfn", json_u64(de));
		json_object_object_add(x, "data", r);
	} else {
		json_object_object_add(x, "data", NULL);
	}
	json_object_object_add(x, "mgmt_fits", json_object_new_boolean(
				have_mgmt && ndctl_xen_layout_xen_mgmt_fits(l, &need) == 1));
	ndctl_xen_layout_xen_mgmt_fits(l, &need);
	json_object_object_add(x, "mgmt_required_mfns", json_u64(need));
	if (have_mgmt) {
		snprintf(cmd, sizeof(cmd), "xen-ndctl setup-mgmt %#" PRIx64 " %#" PRIx64, ms, me);
		json_object_object_add(x, "setup_mgmt", json_object_new_string(cmd));
	} else {
		json_object_object_add(x, "setup_mgmt", NULL);
	}
	if (have_mgmt && have_data) {
		snprintf(cmd, sizeof(cmd), "xen-ndctl setup-data %#" PRIx64 " %#" PRIx64
				" %#" PRIx64 " %#" PRIx64, ds, de, ms, me);
		json_object_object_add(x, "setup_data", json_object_new_string(cmd));
	} else {
		json_object_object_add(x, "setup_data", NULL);
	}
	return x;
}

struct bb_walk {
	struct ndctl_xen_layout *l;
	struct json_object *arr;
	int human;
};

static int badblock_json(uint64_t start, uint64_t end, void *arg)
{
	struct bb_walk *w = arg;
	struct json_object *b;

	while (start < end) {
		uint64_t area_end = end;
		enum ndctl_xen_area area = w->l ? ndctl_xen_layout_area_at(w->l, start, &area_end)
			: NDCTL_XEN_AREA_OUTSIDE;

		if (area_end > end)
			area_end = end;
		b = json_object_new_object();
		json_object_object_add(b, "offset", json_hex(start, w->human));
		json_object_object_add(b, "length", json_size(area_end - start, w->human));
		json_object_object_add(b, "area", json_object_new_string(
					w->l ? ndctl_xen_area_name(area) : "unknown"));
		json_object_array_add(w->arr, b);
		start = area_end;
	}
	return 0;
}

/* The region's media errors that fall in the namespace, split by area. */
static struct json_object *badblocks_json(struct ndctl_namespace *ndns,
		const struct ns_disk *disk, struct ndctl_xen_layout *l, int human)
{
	struct bb_walk w = { l, json_object_new_array(), human };

	foreach_ns_badblock_on(ndns, disk, badblock_json, &w);
	return w.arr;
}

/*
 * ndctl's namespace object first (every key with ndctl's meaning), then
 * ndctl-xen's: the region, whether it is enabled, its physical base and
 * raw size, the layout, the media errors by area, and Xen's frames.
 */
static struct json_object *namespace_json(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, const struct ns_claim *claim, int active,
		const struct list_params *p)
{
	struct ns_disk disk = { NULL, 0 };
	struct json_object *j = ndctl_namespace_json(ndns, claim, (p->human ? NDJ_HUMAN : 0) |
			(p->verbose ? NDJ_VERBOSE : 0) | (p->media ? NDJ_MEDIA_ERRORS : 0) |
			(p->dax ? NDJ_DAX : 0) | (active ? NDJ_ACTIVE : 0), &disk);
	struct ndctl_xen_layout *l = NULL;
	int usable, rc = -ENXIO;

	if (ndctl_namespace_get_size(ndns))
		rc = ndctl_xen_layout_from_namespace_flags(ctx, ndns, p->query_flags, &l);
	if (rc != 0 && rc != -EINVAL) {
		ndctl_xen_layout_unref(l);
		l = NULL;
	}
	/*
	 * enabled and serving: a claim device whose probe failed is neither.
	 * A layout from the kernel, sysfs or a verified stored copy came from
	 * a claim device that serves (libndctl-xen.h): no second look.
	 */
	usable = active && ((l && (ndctl_xen_layout_get_source(l) == NDCTL_XEN_SOURCE_KERNEL ||
			ndctl_xen_layout_get_source(l) == NDCTL_XEN_SOURCE_SYSFS ||
			(ndctl_xen_layout_get_source(l) == NDCTL_XEN_SOURCE_STORE &&
			 ndctl_xen_layout_get_verified(l)))) || ndctl_xen_namespace_is_usable(ndns));
	json_object_object_add(j, "region", json_object_new_string(
			ndctl_region_get_devname(ndctl_namespace_get_region(ndns))));
	json_object_object_add(j, "enabled", json_object_new_boolean(usable));
	json_object_object_add(j, "resource", json_hex(ndctl_namespace_get_resource(ndns), p->human));
	json_object_object_add(j, "raw_size", json_size(ndctl_namespace_get_size(ndns), p->human));
	if (l) {
		json_object_object_add(j, "layout", layout_json(l, rc == 0, p->human));
	} else {
		json_object_object_add(j, "layout", NULL);
	}
	json_object_object_add(j, "badblock_areas", badblocks_json(ndns, &disk, l, p->human));
	if (p->xen)
		json_object_object_add(j, "xen", l ? xen_json(l, usable) : NULL);
	ndctl_xen_layout_unref(l);
	return j;
}

struct list_walk {
	struct ndctl_xen_ctx *ctx;
	const struct list_params *p;
	struct json_object *arr;
};

/* ndctl's mode names, the legacy ones too */
static int parse_mode(const char *m, enum ndctl_namespace_mode *mode)
{
	static const struct { const char *name; enum ndctl_namespace_mode mode; } names[] = {
		{ "raw", NDCTL_NS_MODE_RAW }, { "sector", NDCTL_NS_MODE_SECTOR },
		{ "safe", NDCTL_NS_MODE_SECTOR }, { "fsdax", NDCTL_NS_MODE_FSDAX },
		{ "memory", NDCTL_NS_MODE_FSDAX }, { "devdax", NDCTL_NS_MODE_DEVDAX },
		{ "dax", NDCTL_NS_MODE_DEVDAX },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(m, names[i].name) == 0) {
			*mode = names[i].mode;
			return 0;
		}
	return -EINVAL;
}

/* ndctl's namespace id: namespaceX.Y, X.Y, or all */
static int ns_match(const char *want, struct ndctl_namespace *ndns)
{
	const char *dev = ndctl_namespace_get_devname(ndns);

	return !want || strcmp(want, "all") == 0 || strcmp(want, dev) == 0 ||
		(strncmp(dev, "namespace", 9) == 0 && strcmp(want, dev + 9) == 0);
}

static int region_has_dimm(struct ndctl_region *region, const char *want)
{
	struct ndctl_dimm *dimm;

	if (!want || strcmp(want, "all") == 0)
		return 1;
	ndctl_dimm_foreach_in_region(region, dimm)
		if (filter_match(want, ndctl_dimm_get_devname(dimm), ndctl_dimm_get_id(dimm)))
			return 1;
	return 0;
}

static int list_region(struct list_walk *lw, struct ndctl_region *region)
{
	const struct list_params *p = lw->p;
	struct ndctl_namespace *ndns;
	enum ndctl_namespace_mode mode = NDCTL_NS_MODE_UNKNOWN;

	if (!filter_match(p->region, ndctl_region_get_devname(region), ndctl_region_get_id(region)) ||
			!region_has_dimm(region, p->dimm))
		return 0;
	if (p->type && strcmp(p->type, ndctl_region_get_type(region) == ND_DEVICE_REGION_PMEM ?
				"pmem" : "blk") != 0)
		return 0;
	if (p->numa && ndctl_region_get_numa_node(region) != atoi(p->numa))
		return 0;
	if (p->mode)
		parse_mode(p->mode, &mode);
	ndctl_namespace_foreach(region, ndns) {
		struct ns_claim claim;
		int active;

		if (!ns_match(p->ns, ndns))
			continue;
		if (p->mode && ndctl_namespace_get_mode(ndns) != mode)
			continue;
		/* as ndctl: enabled ones; -i every one; -c those with a size too */
		ns_claim_get(ndns, &claim);
		active = ns_claim_active(ndns, &claim);
		if (!active && !p->idle && !(p->configured && ndctl_namespace_is_configured(ndns)))
			continue;
		json_object_array_add(lw->arr, namespace_json(lw->ctx, ndns, &claim, active, p));
	}
	return 0;
}

/* What ndctl-xen does not list itself (buses, DIMMs, regions, ...) is ndctl's. */
static void list_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen list [ndctl list's options] [--xen] [--read-disabled]\n\n"
"ndctl list -N, with each namespace's layout: the memmap, the reserved area\n"
"(owner, per-page bytes), the data area, physical ranges, and media errors\n"
"by area.  Every key ndctl list prints keeps ndctl's meaning; ndctl-xen's\n"
"own are region, enabled, resource, raw_size, layout, badblock_areas, xen.\n\n"
"  -b, --bus=BUS            filter by bus (name or provider)\n"
"  -r, --region=REGION      filter by region (regionX or X)\n"
"  -d, --dimm=DIMM          filter by DIMM (nmemX or X)\n"
"  -n, --namespace=NAME     filter by namespace (namespaceX.Y or X.Y)\n"
"  -m, --mode=MODE          filter by mode: raw, sector, fsdax, devdax\n"
"  -t, --type=TYPE          filter by region type: pmem, blk\n"
"  -U, --numa-node=NODE     filter by NUMA node\n"
"  -N, --namespaces         list namespaces (the default unless -b, -r or -d\n"
"                           is given alone, which lists buses, regions, DIMMs\n"
"                           as ndctl does)\n"
"  -i, --idle               include idle (disabled) namespaces\n"
"  -c, --configured         include configured namespaces, enabled or not\n"
"  -M, --media-errors       include ndctl's badblocks list\n"
"  -u, --human              human-readable numbers, as ndctl prints them\n"
"  -X, --device-dax         the daxregion object of devdax namespaces\n"
"  -v, --verbose            numa_node, raw_uuid, media errors, daxregion (as\n"
"                           ndctl); -vv and more: ndctl's own listing\n"
"  -B, --buses, -D, --dimms, -F, --firmware, -H, --health, -R, --regions,\n"
"  -C, --capabilities\n"
"                           ndctl's own listing, printed by ndctl itself\n"
"  -x, --xen                add Xen's machine frame ranges and xen-ndctl commands\n"
"      --read-disabled      read a disabled namespace's info block: enables it\n"
"                           raw for the read and disables it again\n"
"  -h, --help               this text\n\n"
"Nothing changes state unless --read-disabled is given.  \"source\" says where\n"
"each layout came from: \"kernel\" (the block the kernel adopted, where a\n"
"patched libnvdimm shows it; \"store_disagrees\" flags a differing stored\n"
"copy), \"media\" (read now), \"store\" (this host's copy of the block,\n"
"matched against sysfs when \"verified\"), or \"sysfs\" (geometry only: the\n"
"fields named in \"unknown\" are null).\n");
}

int cmd_list(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "dimm", required_argument, NULL, 'd' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "numa-node", required_argument, NULL, 'U' },
		{ "buses", no_argument, NULL, 'B' },
		{ "dimms", no_argument, NULL, 'D' },
		{ "firmware", no_argument, NULL, 'F' },
		{ "health", no_argument, NULL, 'H' },
		{ "regions", no_argument, NULL, 'R' },
		{ "namespaces", no_argument, NULL, 'N' },
		{ "device-dax", no_argument, NULL, 'X' },
		{ "capabilities", no_argument, NULL, 'C' },
		{ "idle", no_argument, NULL, 'i' },
		{ "configured", no_argument, NULL, 'c' },
		{ "media-errors", no_argument, NULL, 'M' },
		{ "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "xen", no_argument, NULL, 'x' },
		{ "read-disabled", no_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_params p = { 0 };
	struct list_walk lw;
	struct ndctl_ctx *nctx;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	enum ndctl_namespace_mode mode;
	struct json_object *arr;
	char *end;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:r:d:n:m:t:U:BDFHRNXCicMuvxh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': p.bus = optarg; break;
		case 'r': p.region = optarg; break;
		case 'd': p.dimm = optarg; break;
		case 'n': p.ns = optarg; break;
		case 'm': p.mode = optarg; break;
		case 't': p.type = optarg; break;
		case 'U': p.numa = optarg; break;
		case 'B': case 'D': case 'F': case 'H': case 'R': case 'C':
			p.others = 1;
			break;
		case 'X': p.dax = 1; break;
		case 'N': p.namespaces = 1; break;
		case 'i': p.idle = 1; break;
		case 'c': p.configured = 1; break;
		case 'M': p.media = 1; break;
		case 'u': p.human = 1; break;
		case 'v': p.verbose++; break;
		case 'x': p.xen = 1; break;
		case 'Z': p.query_flags |= NDCTL_XEN_QUERY_READ_DISABLED; break;
		case 'h': list_usage(stdout); return 0;
		default:
			return option_error("list", c, argv);
		}
	}
	if (optind < argc) {
		cmd_error("list", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (p.mode && parse_mode(p.mode, &mode)) {
		cmd_error("list", "--mode=%s: not a namespace mode (raw, sector, fsdax, devdax)", p.mode);
		return EXIT_USAGE;
	}
	if (p.type && strcmp(p.type, "pmem") != 0 && strcmp(p.type, "blk") != 0) {
		cmd_error("list", "--type=%s: a region type is pmem or blk", p.type);
		return EXIT_USAGE;
	}
	if (p.numa && (strtol(p.numa, &end, 10), *end || !p.numa[0])) {
		cmd_error("list", "--numa-node=%s: not a NUMA node number", p.numa);
		return EXIT_USAGE;
	}
	/*
	 * ndctl's rule: without an object option, -b, -r and -d list buses,
	 * regions and DIMMs, not namespaces
	 */
	if (!p.namespaces && !p.others && (p.bus || p.region || p.dimm))
		p.others = 1;
	/* ndctl: -X alone lists devdax namespaces */
	if (p.dax && !p.mode && !p.namespaces && !p.others && !p.verbose)
		p.mode = "devdax";
	if (p.others || p.verbose > 1) {
		if (p.xen || p.query_flags) {
			cmd_error("list", "--xen and --read-disabled add to namespace listings; "
					"buses, DIMMs, regions and -vv are ndctl's own listing");
			return EXIT_USAGE;
		}
		return run_ndctl(argc, argv);
	}
	rc = ndctl_new(&nctx);
	if (rc < 0) {
		cmd_error("list", "cannot open libndctl: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	/* libndctl enumerates afresh below, as this run prints: its values are ndctl's */
	p.query_flags |= NDCTL_XEN_QUERY_CACHED;
	lw.ctx = ctx;
	lw.p = &p;
	lw.arr = arr = json_object_new_array();
	ndctl_bus_foreach(nctx, bus) {
		if (!bus_match(bus, p.bus))
			continue;
		ndctl_region_foreach(bus, region)
			list_region(&lw, region);
	}
	/* as ndctl: nothing for no match; one object, not an array, with -u */
	if (json_object_array_length(arr) == 1 && p.human)
		printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(arr, 0),
					JSON_C_TO_STRING_PRETTY));
	else if (json_object_array_length(arr))
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
	ndctl_unref(nctx);
	return 0;
}
