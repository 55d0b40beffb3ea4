// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen apply FILE: converge the host's namespaces on a desired
 * state.  Every entry is planned first (apply-plan.c) against the
 * library's live answer; if any is refused nothing is written.  Then
 * each change goes through create-namespace's own code, one namespace
 * at a time, so a power cut leaves each one old or new (its journal and
 * recover) and the next apply finishes the job.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <uuid/uuid.h>
#include <ndctl/libndctl.h>
#include <linux/ndctl.h>

#include "builtin.h"
#include "apply.h"

#define CMD "apply"
#define MAX_FILE (16u << 20)

struct live {
	struct ndctl_namespace *ndns;
	struct apply_have h;
	char dev[64], name[64], region[64];
	int claimed;	/* index of the entry that matched it, or -1 */
};

struct lives {
	struct ndctl_xen_ctx *ctx;
	int dry;
	struct live *v;
	size_t n;
};

static void have_fill(struct ndctl_xen_ctx *ctx, struct live *lv, int dry)
{
	struct ndctl_namespace *ndns = lv->ndns;
	struct apply_have *h = &lv->h;
	struct ndctl_xen_layout *l = NULL;
	const char *name = ndctl_namespace_get_alt_name(ndns);
	int rc;

	snprintf(lv->dev, sizeof(lv->dev), "%s", ndctl_namespace_get_devname(ndns));
	snprintf(lv->name, sizeof(lv->name), "%s", name ? name : "");
	snprintf(lv->region, sizeof(lv->region), "%s",
			ndctl_region_get_devname(ndctl_namespace_get_region(ndns)));
	ndctl_namespace_get_uuid(ndns, h->uuid);
	h->raw_size = ndctl_namespace_get_size(ndns);
	h->resource = ndctl_namespace_get_resource(ndns);
	/* a claim device whose probe failed serves nothing: not converged */
	h->active = ndctl_namespace_is_active(ndns) && ndctl_xen_namespace_is_usable(ndns);
	/* a dry run writes nothing on the host, the block store included */
	rc = ndctl_xen_layout_from_namespace_flags(ctx, ndns, dry ? NDCTL_XEN_QUERY_NO_STORE : 0, &l);
	if (rc == 0) {
		h->known = 1;
		h->mode = ndctl_xen_layout_get_mode(l);
		h->map = ndctl_xen_layout_get_map(l);
		h->align = ndctl_xen_layout_get_align(l);
		h->dataoff = ndctl_xen_layout_get_dataoff(l);
		h->data_offset = ndctl_xen_layout_get_data_offset(l);
		h->data_size = ndctl_xen_layout_get_data_size(l);
		h->page_struct_size = ndctl_xen_layout_get_page_struct_size(l);
		h->reserve_offset = ndctl_xen_layout_get_reserve_offset(l);
		h->reserve_size = ndctl_xen_layout_get_reserve_size(l);
		h->per_page = ndctl_xen_layout_get_reserve_per_page(l);
		h->unknown = ndctl_xen_layout_get_unknown(l);
		h->owner = ndctl_xen_layout_get_reserve_owner(l);
		snprintf(h->owner_name, sizeof(h->owner_name), "%s",
				ndctl_xen_layout_get_reserve_owner_name(l) ?
				ndctl_xen_layout_get_reserve_owner_name(l) : "");
	} else {
		h->why_unknown = rc == -EINVAL ? "an info block that breaks a rule" :
			!h->active ? "disabled" : "raw";
	}
	ndctl_xen_layout_unref(l);
}

static int collect(struct ndctl_namespace *ndns, void *arg)
{
	struct lives *ls = arg;
	struct live *v = realloc(ls->v, (ls->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ls->v = v;
	memset(&v[ls->n], 0, sizeof(*v));
	v[ls->n].ndns = ndns;
	v[ls->n].claimed = -1;
	have_fill(ls->ctx, &v[ls->n], ls->dry);
	ls->n++;
	return 0;
}

/*
 * What an interrupted provisioning left (a power cut during an earlier
 * apply), put right first, as ndctl-xen recover does at boot: only where
 * this host's intent record names the namespace.
 */
struct recovered {
	struct ndctl_xen_ctx *ctx;
	struct json_object *arr;
};

static int recover_ns(struct ndctl_namespace *ndns, void *arg)
{
	struct recovered *r = arg;
	enum ndctl_xen_recovery done;
	struct json_object *j;
	char why[1024];

	if (ndctl_xen_namespace_recover(r->ctx, ndns, &done, why, sizeof(why))) {
		cmd_error(CMD, "%s: not recovered: %s", ndctl_namespace_get_devname(ndns), why);
		return 0;
	}
	if (done == NDCTL_XEN_RECOVERY_NONE)
		return 0;
	j = json_object_new_object();
	json_object_object_add(j, "dev", json_object_new_string(ndctl_namespace_get_devname(ndns)));
	json_object_object_add(j, "action", json_object_new_string(
				done == NDCTL_XEN_RECOVERY_JOURNAL ? "journal" : "removed"));
	json_object_array_add(r->arr, j);
	/* libndctl frees a region's namespaces when one is deleted: walk again */
	return done == NDCTL_XEN_RECOVERY_REMOVED;
}

/* The live namespace an entry means: index, -1 none, -2 ambiguous. */
static int match(const struct apply_want *w, struct lives *ls)
{
	int found = -1;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		struct apply_have *h = &ls->v[i].h;

		if (w->region && !filter_match(w->region, h->region,
					ndctl_region_get_id(ndctl_namespace_get_region(ls->v[i].ndns))))
			continue;
		if (w->uuid) {
			if (uuid_compare(w->uuid_bin, h->uuid))
				continue;
		} else if (w->name) {
			if (strcmp(w->name, h->name))
				continue;
		}
		if (found >= 0)
			return -2;
		found = (int)i;
	}
	return found;
}

static struct ndctl_namespace *find_dev(struct ndctl_ctx *nctx, const char *dev)
{
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_namespace *ndns;

	ndctl_bus_foreach(nctx, bus)
		ndctl_region_foreach(bus, region)
			ndctl_namespace_foreach(region, ndns)
				if (strcmp(ndctl_namespace_get_devname(ndns), dev) == 0)
					return ndns;
	return NULL;
}

/*
 * The region a new namespace goes to: the named one, else the first with
 * room; with data_size, the size chosen there in *size.
 */
static struct ndctl_region *pick_region_size(struct ndctl_xen_ctx *ctx,
		struct ndctl_ctx *nctx, const struct apply_want *w, uint64_t *size)
{
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	char why[512];

	ndctl_bus_foreach(nctx, bus)
		ndctl_region_foreach(bus, region) {
			if (!filter_match(w->region, ndctl_region_get_devname(region),
						ndctl_region_get_id(region)) ||
					ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM ||
					ndctl_region_get_ro(region))
				continue;
			*size = w->rest ? ndctl_region_get_max_available_extent(region) :
				w->data_size ? size_for_data_in(ctx, region, &w->o, w->data_size,
						why, sizeof(why)) : w->size;
			if (*size && ndctl_region_get_max_available_extent(region) >= *size)
				return region;
		}
	*size = 0;
	return NULL;
}

static struct ndctl_region *pick_region(struct ndctl_xen_ctx *ctx, struct ndctl_ctx *nctx,
		const struct apply_want *w)
{
	uint64_t size;

	return pick_region_size(ctx, nctx, w, &size);
}

/*
 * The namespace's size: the live one's, else the one a create would
 * choose in the region it would go to; with no such region, the size
 * asked, or for data_size the smallest multiple of the layout's align
 * that holds it (0: none).
 */
static uint64_t planned_size(struct ndctl_xen_ctx *ctx, struct ndctl_ctx *nctx,
		const struct apply_want *w, const struct live *lv)
{
	struct ndctl_xen_layout *l;
	uint64_t size;

	if (lv)
		return lv->h.raw_size;
	if (pick_region_size(ctx, nctx, w, &size) || !w->data_size)
		return size ? size : w->size;
	if (ndctl_xen_layout_new(ctx, &l) < 0)
		return 0;
	if (apply_layout_opts(CMD, &w->o, l) == 0 &&
			ndctl_xen_layout_compute_for_data_size(l, w->data_size, 0) == 0)
		size = ndctl_xen_layout_get_size(l);
	ndctl_xen_layout_unref(l);
	return size;
}

static void apply_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen apply [--dry-run [-j]] [-f] [--detailed-exitcode] FILE|-\n\n"
"Converge this host's namespaces on the desired state in FILE (JSON):\n"
"create what is missing, leave what matches, refuse what differs (or\n"
"reconfigure it with --force, never a mounted or busy one).\n\n"
"      --dry-run            print the plan; write nothing\n"
"  -j, --json               with --dry-run: the plan as a JSON array, one object\n"
"                           an entry with its planned layout (numbers in bytes)\n"
"  -f, --force              reconfigure namespaces that differ\n"
"      --detailed-exitcode  exit 5 when something changed (or, with --dry-run,\n"
"                           would change), 0 only when nothing did\n"
"  -v, --verbose            library messages on stderr\n"
"  -h, --help               this text\n\n"
"Exit status: 0 success (converged: changed or already so; with --dry-run,\n"
"nothing refused), 1 refused by a rule (nothing written), 2 usage or a\n"
"malformed file, 3 failed while doing it (what was done before is kept and\n"
"listed); with --detailed-exitcode, 5 instead of 0 when changes were made or\n"
"(--dry-run) are planned.\n");
}

/*
 * The exit status: the error class if any, else 0; with --detailed-exitcode
 * 5 when something was changed (or, dry, is planned), so that a caller
 * tells "converged already" from "converged now" (terraform plan's idea).
 */
static int apply_status(int rc, int refused, int dry, int changes, int changed, int detailed)
{
	if (refused)
		return EXIT_REFUSED;
	if (rc)
		return rc;
	if (detailed && (dry ? changes : changed))
		return EXIT_APPLY_CHANGES;
	return 0;
}

/* An entry's planned layout for --dry-run -j, numbers in bytes; NULL if none fits. */
static struct json_object *planned_layout(struct ndctl_xen_ctx *ctx, struct ndctl_ctx *nctx,
		const struct apply_want *w, const struct live *lv)
{
	struct ndctl_xen_layout *l = NULL;
	struct json_object *j = NULL, *r;
	uint64_t size = planned_size(ctx, nctx, w, lv);
	enum ndctl_xen_owner owner;

	if (!size || ndctl_xen_layout_new(ctx, &l) < 0 || apply_layout_opts(CMD, &w->o, l))
		goto out;
	ndctl_xen_layout_set_size(l, size);
	if (lv)
		ndctl_xen_layout_set_phys_start(l, lv->h.resource);
	if (ndctl_xen_layout_compute(l))
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "size", json_u64(size));
	json_object_object_add(j, "resource", lv ? json_u64(lv->h.resource) : NULL);
	json_object_object_add(j, "mode", json_object_new_string(
			ndctl_xen_layout_get_mode(l) == NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax"));
	json_object_object_add(j, "map", json_object_new_string(
			ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV ? "dev" : "mem"));
	json_object_object_add(j, "align", json_u64(ndctl_xen_layout_get_align(l)));
	json_object_object_add(j, "page_struct_size",
			json_u64(ndctl_xen_layout_get_page_struct_size(l)));
	json_object_object_add(j, "dataoff", json_u64(ndctl_xen_layout_get_dataoff(l)));
	r = NULL;
	if (ndctl_xen_layout_get_reserve_size(l)) {
		owner = ndctl_xen_layout_get_reserve_owner(l);
		r = json_object_new_object();
		json_object_object_add(r, "offset", json_u64(ndctl_xen_layout_get_reserve_offset(l)));
		json_object_object_add(r, "size", json_u64(ndctl_xen_layout_get_reserve_size(l)));
		json_object_object_add(r, "owner", json_object_new_string(owner_str(owner,
				ndctl_xen_layout_get_reserve_owner_name(l))));
		json_object_object_add(r, "per_page_bytes",
				json_u64(ndctl_xen_layout_get_reserve_per_page(l)));
	}
	json_object_object_add(j, "reserve", r);
	r = json_object_new_object();
	json_object_object_add(r, "offset", json_u64(ndctl_xen_layout_get_data_offset(l)));
	json_object_object_add(r, "size", json_u64(ndctl_xen_layout_get_data_size(l)));
	json_object_object_add(j, "data", r);
out:
	ndctl_xen_layout_unref(l);
	return j;
}

/*
 * --dry-run -j: the plan as an array a script reads, one object an entry:
 * what it names, the namespace it matched, the action, why, what differs
 * and the layout the library would give it.
 */
static struct json_object *plan_json(struct ndctl_xen_ctx *ctx, struct ndctl_ctx *nctx,
		const struct apply_want *w, size_t n, const enum apply_action *act,
		struct json_object **differs, char (*why)[512], const int *target,
		const struct lives *ls)
{
	struct json_object *arr = json_object_new_array(), *e;
	struct ndctl_region *region;
	const struct live *lv;
	const char *where;
	size_t i;

	for (i = 0; i < n; i++) {
		lv = target[i] >= 0 ? &ls->v[target[i]] : NULL;
		region = !lv && act[i] == APPLY_CREATE ? pick_region(ctx, nctx, &w[i]) : NULL;
		where = lv ? lv->region : region ? ndctl_region_get_devname(region) : w[i].region;
		e = json_object_new_object();
		json_object_object_add(e, "index", json_object_new_int((int)i));
		json_object_object_add(e, "name", w[i].name ? json_object_new_string(w[i].name) : NULL);
		json_object_object_add(e, "uuid", w[i].uuid ? json_object_new_string(w[i].uuid) : NULL);
		json_object_object_add(e, "region", where ? json_object_new_string(where) : NULL);
		json_object_object_add(e, "dev", lv ? json_object_new_string(lv->dev) : NULL);
		json_object_object_add(e, "action", json_object_new_string(apply_action_name(act[i])));
		json_object_object_add(e, "reason", why[i][0] ? json_object_new_string(why[i]) : NULL);
		json_object_object_add(e, "differs", json_object_get(differs[i]));
		json_object_object_add(e, "layout", planned_layout(ctx, nctx, &w[i], lv));
		json_object_array_add(arr, e);
	}
	return arr;
}

static char *read_text(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	size_t n = 0, got;
	char *buf;

	if (!f) {
		cmd_error(CMD, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	while (buf && (got = fread(buf + n, 1, MAX_FILE + 1 - n, f)) > 0)
		n += got;
	if (f != stdin)
		fclose(f);
	if (!buf)
		return NULL;
	if (n > MAX_FILE || memchr(buf, '\0', n)) {
		cmd_error(CMD, "%s: %s", path, n > MAX_FILE ? "larger than 16 MiB" :
				"holds a NUL byte: not JSON text");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int cmd_apply(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "detailed-exitcode", no_argument, NULL, 'X' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *doc = NULL, *out, *arr, **differs = NULL, *e, *nsj;
	struct lives ls = { .ctx = ctx };
	struct recovered rec = { .ctx = ctx };
	struct apply_want *w = NULL;
	struct ndctl_ctx *nctx = NULL;
	enum apply_action *act = NULL;
	char (*why)[512] = NULL;
	int *target = NULL;
	int c, rc, dry = 0, force = 0, verbose = 0, refused = 0, changes = 0, changed = 0;
	int json = 0, detailed = 0;
	size_t n = 0, i;
	char *text;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "fjvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': dry = 1; break;
		case 'j': json = 1; break;
		case 'X': detailed = 1; break;
		case 'f': force = 1; break;
		case 'v': verbose = 1; break;
		case 'h': apply_usage(stdout); return 0;
		default:
			if (optopt && optopt < 0x100)
				cmd_error(CMD, "unknown option '-%c'; see --help", optopt);
			else
				cmd_error(CMD, "unknown option '%s'; see --help", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (json && !dry) {
		cmd_error(CMD, "-j goes with --dry-run (apply's report is JSON already); see --help");
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cmd_error(CMD, "%s; see --help", optind < argc ? "one FILE, not more" :
				"no FILE (the desired state, JSON; - for stdin)");
		return EXIT_USAGE;
	}
	text = read_text(argv[optind]);
	if (!text)
		return EXIT_USAGE;
	rc = apply_parse(ctx, CMD, text, &doc, &w, &n);
	free(text);
	if (rc)
		return rc;
	ls.dry = dry;
	if (verbose && getenv("NDCTL_XEN_LOG") == NULL)
		ndctl_xen_set_log_priority(ctx, LOG_INFO);

	rc = ndctl_new(&nctx);
	if (rc < 0) {
		cmd_error(CMD, "cannot open libndctl: %s", strerror(-rc));
		rc = EXIT_FAILED;
		goto out;
	}
	/* one provisioning at a time: the plan must hold while it is carried out */
	if (!dry && (rc = ndctl_xen_lock(ctx, 60))) {
		cmd_error(CMD, "%s", ndctl_xen_lock_error(rc));
		rc = EXIT_REFUSED;
		goto out;
	}
	rec.arr = json_object_new_array();
	while (!dry && foreach_namespace(nctx, NULL, NULL, NULL, recover_ns, &rec) == 1)
		;
	rc = EXIT_FAILED;
	/* a recovery took namespaces down and up: plan from a fresh view */
	if (json_object_array_length(rec.arr)) {
		ndctl_unref(nctx);
		nctx = NULL;
		if (ndctl_new(&nctx) < 0)
			goto out;
	}
	if (foreach_namespace(nctx, NULL, NULL, NULL, collect, &ls) < 0)
		goto out;
	/* the strings live in the array, which collect() may have moved */
	for (i = 0; i < ls.n; i++) {
		ls.v[i].h.dev = ls.v[i].dev;
		ls.v[i].h.name = ls.v[i].name;
		ls.v[i].h.region = ls.v[i].region;
	}
	act = calloc(n + 1, sizeof(*act));
	differs = calloc(n + 1, sizeof(*differs));
	why = calloc(n + 1, sizeof(*why));
	target = calloc(n + 1, sizeof(*target));
	if (!act || !differs || !why || !target)
		goto out;

	for (i = 0; i < n; i++) {
		int m = match(&w[i], &ls);
		struct live *lv = m >= 0 ? &ls.v[m] : NULL;

		target[i] = m;
		if (m == -2) {
			differs[i] = json_object_new_array();
			snprintf(why[i], sizeof(why[i]), "more than one namespace matches; "
					"name it by uuid");
			act[i] = APPLY_REFUSE;
		} else if (lv && lv->claimed >= 0) {
			differs[i] = json_object_new_array();
			snprintf(why[i], sizeof(why[i]), "%s is also namespaces[%d]", lv->dev,
					lv->claimed);
			act[i] = APPLY_REFUSE;
		} else {
			if (lv)
				lv->claimed = (int)i;
			act[i] = apply_plan(ctx, &w[i], lv ? &lv->h : NULL, force, &differs[i],
					why[i], sizeof(why[i]));
		}
		if (act[i] == APPLY_CREATE && !pick_region(ctx, nctx, &w[i])) {
			snprintf(why[i], sizeof(why[i]), "no writable pmem region%s%s with room for it",
					w[i].region ? " " : "", w[i].region ? w[i].region : "");
			act[i] = APPLY_REFUSE;
		}
		refused += act[i] == APPLY_REFUSE;
		changes += act[i] == APPLY_CREATE || act[i] == APPLY_RECONFIGURE;
	}

	if (json) {
		arr = plan_json(ctx, nctx, w, n, act, differs, why, target, &ls);
		printf("%s\n", json_object_to_json_string_ext(arr,
					JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
		for (i = 0; i < n; i++)
			if (act[i] == APPLY_REFUSE)
				cmd_error(CMD, "namespaces[%zu]: refused: %s", i, why[i]);
		rc = apply_status(0, refused, dry, changes, 0, detailed);
		goto out;
	}
	out = json_object_new_object();
	arr = json_object_new_array();
	rc = 0;
	for (i = 0; i < n; i++) {
		const char *result = act[i] == APPLY_REFUSE ? "refused" :
			act[i] == APPLY_NONE ? "unchanged" : "not-run";
		struct live *lv = target[i] >= 0 ? &ls.v[target[i]] : NULL;
		struct ndctl_namespace *made;
		char dev[64] = "";
		uint64_t raw;

		nsj = NULL;
		if (lv)
			snprintf(dev, sizeof(dev), "%s", lv->dev);
		if (!dry && !refused && !rc && (act[i] == APPLY_CREATE || act[i] == APPLY_RECONFIGURE)) {
			struct create_request req = { .cmd = CMD, .o = &w[i].o, .uuid = w[i].uuid,
				.name = w[i].name, .size = w[i].rest ? 0 : w[i].size,
				.data_size = w[i].data_size, .force = force };
			struct ndctl_region *region = NULL;
			struct ndctl_namespace *ndns = NULL;

			/* each change invalidates libndctl's objects: find them again */
			if (act[i] == APPLY_CREATE && !(region = pick_region(ctx, nctx, &w[i]))) {
				snprintf(why[i], sizeof(why[i]), "no room left in %s",
						w[i].region ? w[i].region : "any pmem region");
				cmd_error(CMD, "namespaces[%zu]: %s", i, why[i]);
				rc = EXIT_REFUSED;
			} else if (act[i] == APPLY_RECONFIGURE && !(ndns = find_dev(nctx, dev))) {
				snprintf(why[i], sizeof(why[i]), "%s vanished", dev);
				rc = EXIT_FAILED;
			} else {
				rc = create_namespace_one(ctx, region, ndns, &req, &nsj);
			}
			if (rc) {
				result = rc == EXIT_REFUSED ? "refused" : "failed";
				if (!why[i][0])
					snprintf(why[i], sizeof(why[i]), "see the error above");
			} else {
				result = act[i] == APPLY_CREATE ? "created" : "reconfigured";
				changed++;
				if (!dev[0] && json_object_object_get_ex(nsj, "dev", &e))
					snprintf(dev, sizeof(dev), "%s", json_object_get_string(e));
			}
		}
		/* the namespace's size: as it is, as created, or as a create would choose it */
		raw = lv ? lv->h.raw_size : 0;
		if (!lv && dev[0] && (made = find_dev(nctx, dev)))
			raw = ndctl_namespace_get_size(made);
		else if (!lv && act[i] == APPLY_CREATE && !dev[0])
			raw = planned_size(ctx, nctx, &w[i], NULL);
		e = json_object_new_object();
		json_object_object_add(e, "index", json_object_new_int((int)i));
		json_object_object_add(e, "name", w[i].name ? json_object_new_string(w[i].name) : NULL);
		json_object_object_add(e, "uuid", w[i].uuid ? json_object_new_string(w[i].uuid) : NULL);
		json_object_object_add(e, "dev", dev[0] ? json_object_new_string(dev) : NULL);
		json_object_object_add(e, "raw_size", raw ? json_u64(raw) : NULL);
		json_object_object_add(e, "action", json_object_new_string(apply_action_name(act[i])));
		json_object_object_add(e, "result", json_object_new_string(result));
		json_object_object_add(e, "differs", differs[i]);
		differs[i] = NULL;
		json_object_object_add(e, "reason", why[i][0] ? json_object_new_string(why[i]) : NULL);
		json_object_object_add(e, "namespace", nsj);
		json_object_array_add(arr, e);
		if (act[i] == APPLY_REFUSE)
			cmd_error(CMD, "namespaces[%zu]%s%s: refused: %s", i, dev[0] ? " " : "", dev,
					why[i]);
	}
	json_object_object_add(out, "dry_run", json_object_new_boolean(dry));
	/* a block put back or an unfinished namespace removed is a change too */
	changed += (int)json_object_array_length(rec.arr);
	json_object_object_add(out, "changed", json_object_new_boolean(changed > 0));
	json_object_object_add(out, "changes_planned", json_object_new_int(changes));
	json_object_object_add(out, "recovered", rec.arr);
	rec.arr = NULL;
	json_object_object_add(out, "namespaces", arr);
	printf("%s\n", json_object_to_json_string_ext(out,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	rc = apply_status(rc, refused, dry, changes, changed, detailed);
out:
	if (!dry)
		ndctl_xen_unlock(ctx);
	for (i = 0; differs && i < n; i++)
		json_object_put(differs[i]);
	free(differs);
	free(act);
	free(why);
	free(target);
	free(ls.v);
	free(w);
	json_object_put(rec.arr);
	json_object_put(doc);
	ndctl_unref(nctx);
	return rc;
}
