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
#include <string.h>
#include <ndctl/libndctl.h>

#include "builtin.h"

struct list_params {
	const char *bus, *region, *ns;
	int human, xen;
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

static struct json_object *xen_json(struct ndctl_xen_layout *l)
{
	struct json_object *x = json_object_new_object(), *r;
	uint64_t ms = 0, me = 0, ds = 0, de = 0, need = 0;
	int have_mgmt = ndctl_xen_layout_get_xen_mgmt(l, &ms, &me) == 0;
	int have_data = ndctl_xen_layout_get_xen_data(l, &ds, &de) == 0;
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
		struct ndctl_xen_layout *l, int human)
{
	struct bb_walk w = { l, json_object_new_array(), human };

	foreach_ns_badblock(ndns, badblock_json, &w);
	return w.arr;
}

static const char *mode_name(struct ndctl_namespace *ndns)
{
	switch (ndctl_namespace_get_mode(ndns)) {
	case NDCTL_NS_MODE_FSDAX: return "fsdax";
	case NDCTL_NS_MODE_DEVDAX: return "devdax";
	case NDCTL_NS_MODE_SECTOR: return "sector";
	case NDCTL_NS_MODE_RAW: return "raw";
	default: return "unknown";
	}
}

static struct json_object *namespace_json(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, const struct list_params *p)
{
	struct json_object *j = json_object_new_object();
	struct ndctl_xen_layout *l = NULL;
	int rc;

	json_object_object_add(j, "dev", json_object_new_string(ndctl_namespace_get_devname(ndns)));
	json_object_object_add(j, "region", json_object_new_string(
			ndctl_region_get_devname(ndctl_namespace_get_region(ndns))));
	json_object_object_add(j, "mode", json_object_new_string(mode_name(ndns)));
	json_object_object_add(j, "enabled", json_object_new_boolean(
			ndctl_namespace_is_active(ndns)));
	json_object_object_add(j, "resource", json_hex(ndctl_namespace_get_resource(ndns), p->human));
	json_object_object_add(j, "size", json_size(ndctl_namespace_get_size(ndns), p->human));
	rc = ndctl_xen_layout_from_namespace_flags(ctx, ndns, p->query_flags, &l);
	if (rc == 0 || rc == -EINVAL) {
		json_object_object_add(j, "layout", layout_json(l, rc == 0, p->human));
	} else {
		l = NULL;
		json_object_object_add(j, "layout", NULL);
	}
	json_object_object_add(j, "badblocks", badblocks_json(ndns, l, p->human));
	if (p->xen)
		json_object_object_add(j, "xen", l ? xen_json(l) : NULL);
	ndctl_xen_layout_unref(l);
	return j;
}

struct list_walk {
	struct ndctl_xen_ctx *ctx;
	const struct list_params *p;
	struct json_object *arr;
};

static int list_one(struct ndctl_namespace *ndns, void *arg)
{
	struct list_walk *lw = arg;

	json_object_array_add(lw->arr, namespace_json(lw->ctx, ndns, lw->p));
	return 0;
}

static void list_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen list [-b BUS] [-r REGION] [-n NAMESPACE] [-u] [--xen]\n"
"                      [--read-disabled]\n\n"
"For each namespace: mode, physical range, and its layout: the memmap, the\n"
"reserved area (owner, per-page bytes) and the data area, with physical\n"
"ranges; media errors mapped into those areas.  A JSON array.\n\n"
"  -b, --bus=BUS            limit to a bus (name or provider)\n"
"  -r, --region=REGION      limit to a region (regionX or X)\n"
"  -n, --namespace=NAME     limit to a namespace (namespaceX.Y)\n"
"  -u, --human              sizes and offsets in human-readable form\n"
"  -x, --xen                add Xen's machine frame ranges and xen-ndctl commands\n"
"      --read-disabled      read a disabled namespace's info block: enables it\n"
"                           raw for the read and disables it again\n"
"  -h, --help               this text\n\n"
"Nothing changes state unless --read-disabled is given.  \"source\" says where\n"
"each layout came from: \"media\" (read now), \"store\" (this host's copy of\n"
"the block, matched against sysfs when \"verified\"), or \"sysfs\" (geometry\n"
"only: the fields named in \"unknown\" are null).\n");
}

int cmd_list(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "human", no_argument, NULL, 'u' },
		{ "xen", no_argument, NULL, 'x' },
		{ "read-disabled", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_params p = { 0 };
	struct list_walk lw;
	struct ndctl_ctx *nctx;
	struct json_object *arr;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:r:n:uxh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': p.bus = optarg; break;
		case 'r': p.region = optarg; break;
		case 'n': p.ns = optarg; break;
		case 'u': p.human = 1; break;
		case 'x': p.xen = 1; break;
		case 'D': p.query_flags |= NDCTL_XEN_QUERY_READ_DISABLED; break;
		case 'h': list_usage(stdout); return 0;
		default:
			cmd_error("list", "unknown option or missing value: '%s'; see --help",
					argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_error("list", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	rc = ndctl_new(&nctx);
	if (rc < 0) {
		cmd_error("list", "cannot open libndctl: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	lw.ctx = ctx;
	lw.p = &p;
	lw.arr = arr = json_object_new_array();
	foreach_namespace(nctx, p.bus, p.region, p.ns, list_one, &lw);
	printf("%s\n", json_object_to_json_string_ext(arr,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	ndctl_unref(nctx);
	return 0;
}
