// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen apply's plan: the desired state's entries parsed and checked,
 * and each compared with the live namespace that matched it.  No device
 * is touched here: the live side arrives as plain values, and the wanted
 * layout is the library's answer for that namespace's size and start, so
 * "matches" means the same dataoff, reservation and owner the library
 * would write now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "builtin.h"
#include "apply.h"
#include "json-strict.h"
#include "util/size.h"

static const char *const entry_keys[] = {
	"name", "uuid", "region", "size", "data_size", "mode", "map", "align", "reserve",
	"reserve_per_page", "reserve_owner", "page_struct_size", NULL,
};

const char *apply_action_name(enum apply_action a)
{
	switch (a) {
	case APPLY_CREATE: return "create";
	case APPLY_RECONFIGURE: return "reconfigure";
	case APPLY_REFUSE: return "refuse";
	default: return "none";
	}
}

/* A value as the option string create-namespace would get (numbers in decimal). */
static int entry_str(const char *cmd, int i, struct json_object *e, const char *key,
		const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(e, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		*out = json_object_get_string(v);
		return 0;
	}
	/* json-c keeps the text of a number: "64" stays 64, never 6.4e1 */
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
		*out = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		return 0;
	}
	cmd_error(cmd, "namespaces[%d].%s: %s is not a string or a non-negative integer", i, key,
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return EXIT_USAGE;
}

static int check_entry(struct ndctl_xen_ctx *ctx, const char *cmd, int i,
		struct json_object *e, struct apply_want *w)
{
	const char *size = NULL, *data_size = NULL;
	struct ndctl_xen_layout *l;
	char s[200], msg[512];
	int k, rc = 0;

	if (!json_object_is_type(e, json_type_object)) {
		cmd_error(cmd, "namespaces[%d]: an entry is an object, not %s", i,
				json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
		return EXIT_USAGE;
	}
	json_object_object_foreach(e, key, val) {
		(void)val;
		for (k = 0; entry_keys[k] && strcmp(entry_keys[k], key); k++)
			;
		if (!entry_keys[k]) {
			cmd_error(cmd, "namespaces[%d]: unknown key \"%s\" (known: name, uuid, region, "
					"size, data_size, mode, map, align, reserve, reserve_per_page, reserve_owner, "
					"page_struct_size)", i, key);
			return EXIT_USAGE;
		}
	}
	w->index = i;
	snprintf(w->path, sizeof(w->path), "namespaces[%d]", i);
	w->o.from.path = w->path;
	w->o.from.entry = e;
	if (entry_str(cmd, i, e, "name", &w->name) || entry_str(cmd, i, e, "uuid", &w->uuid) ||
			entry_str(cmd, i, e, "region", &w->region) ||
			entry_str(cmd, i, e, "size", &size) ||
			entry_str(cmd, i, e, "data_size", &data_size) ||
			entry_str(cmd, i, e, "mode", &w->o.mode) || entry_str(cmd, i, e, "map", &w->o.map) ||
			entry_str(cmd, i, e, "align", &w->o.align) ||
			entry_str(cmd, i, e, "reserve", &w->o.reserve) ||
			entry_str(cmd, i, e, "reserve_per_page", &w->o.reserve_per_page) ||
			entry_str(cmd, i, e, "reserve_owner", &w->o.reserve_owner) ||
			entry_str(cmd, i, e, "page_struct_size", &w->o.page_struct_size))
		return EXIT_USAGE;
	if (!w->name && !w->uuid && !w->region) {
		cmd_error(cmd, "namespaces[%d]: say which namespace: a name, a uuid or a region", i);
		return EXIT_USAGE;
	}
	if (w->name && (strlen(w->name) >= 64 || !w->name[0] ||
				strcmp(w->name, NDCTL_XEN_PENDING_NAME) == 0)) {
		cmd_error(cmd, "%s: %s", opt_subject(&w->o.from, "name", w->name, s, sizeof(s)),
				strcmp(w->name, NDCTL_XEN_PENDING_NAME) == 0 ?
				"that name marks an unfinished namespace" :
				"a label name has 1 to 63 bytes");
		return EXIT_USAGE;
	}
	if (w->uuid && uuid_parse(w->uuid, w->uuid_bin)) {
		cmd_error(cmd, "%s is not a uuid", opt_subject(&w->o.from, "uuid", w->uuid, s,
					sizeof(s)));
		return EXIT_USAGE;
	}
	if (size && data_size) {
		opt_both_error(cmd, &w->o.from, "size", size, "data-size", data_size);
		return EXIT_USAGE;
	}
	if (!size && !data_size) {
		cmd_error(cmd, "namespaces[%d]: no size (a \"size\", \"rest\" for the rest of the "
				"region, or a \"data_size\")", i);
		return EXIT_USAGE;
	}
	if (data_size) {
		if (parse_size_from(cmd, &w->o.from, "data-size", data_size, &w->data_size))
			return EXIT_USAGE;
		if (!w->data_size) {
			cmd_error(cmd, "%s: give a data size larger than 0",
					opt_subject(&w->o.from, "data-size", data_size, s, sizeof(s)));
			return EXIT_USAGE;
		}
	} else if (strcmp(size, "rest") == 0) {
		w->rest = 1;
	} else if (parse_size_from(cmd, &w->o.from, "size", size, &w->size)) {
		return EXIT_USAGE;
	} else if (!w->size) {
		cmd_error(cmd, "%s: give a size larger than 0, or \"rest\"",
				opt_subject(&w->o.from, "size", size, s, sizeof(s)));
		return EXIT_USAGE;
	}
	/* the layout's own checks, and for a fixed size whether it can fit at all */
	if (ndctl_xen_layout_new(ctx, &l) < 0)
		return EXIT_FAILED;
	if (apply_layout_opts(cmd, &w->o, l)) {
		rc = EXIT_USAGE;
	} else if (w->data_size) {
		/* some size holds it: the region's own multiple is chosen when planning */
		if (ndctl_xen_layout_compute_for_data_size(l, w->data_size, 0)) {
			cmd_error(cmd, "%s: no namespace holds this layout with that much data: "
					"%s: %s", opt_subject(&w->o.from, "data-size", data_size, s,
						sizeof(s)),
					ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
					layout_error(&w->o.from, l, msg, sizeof(msg)));
			rc = EXIT_USAGE;
		}
	} else if (!w->rest) {
		ndctl_xen_layout_set_size(l, w->size);
		if (ndctl_xen_layout_compute(l)) {
			cmd_error(cmd, "%s cannot hold this layout: %s: %s",
					opt_subject(&w->o.from, "size", size, s, sizeof(s)),
					ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
					layout_error(&w->o.from, l, msg, sizeof(msg)));
			rc = EXIT_USAGE;
		}
	}
	ndctl_xen_layout_unref(l);
	return rc;
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/*
 * Duplicates among the entries, in O(n log n): the entries sorted by one
 * key (ties in file order), so equal keys sit side by side.  A key an
 * entry lacks sorts first and never matches.
 */
enum dup_key { DUP_NAME, DUP_UUID, DUP_REGION_ONLY };

static enum dup_key dup_by;

static int dup_cmp(const void *pa, const void *pb)
{
	const struct apply_want *a = *(const struct apply_want *const *)pa;
	const struct apply_want *b = *(const struct apply_want *const *)pb;
	int c = 0, ha, hb;

	switch (dup_by) {
	case DUP_NAME:
		ha = !!a->name, hb = !!b->name;
		c = ha != hb ? ha - hb : ha ? strcmp(a->name, b->name) : 0;
		break;
	case DUP_UUID:
		ha = !!a->uuid, hb = !!b->uuid;
		c = ha != hb ? ha - hb : ha ? uuid_compare(a->uuid_bin, b->uuid_bin) : 0;
		break;
	case DUP_REGION_ONLY:
		ha = !a->name && !a->uuid && a->region;
		hb = !b->name && !b->uuid && b->region;
		c = ha != hb ? ha - hb : ha ? strcmp(a->region, b->region) : 0;
		break;
	}
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int dup_same(const struct apply_want *a, const struct apply_want *b)
{
	switch (dup_by) {
	case DUP_NAME:
		return same(a->name, b->name);
	case DUP_UUID:
		return a->uuid && b->uuid && !uuid_compare(a->uuid_bin, b->uuid_bin);
	case DUP_REGION_ONLY:
		return !a->name && !a->uuid && !b->name && !b->uuid && same(a->region, b->region);
	}
	return 0;
}

/* 0, or EXIT_USAGE after naming the first pair (by the later entry) */
static int find_duplicates(const char *cmd, struct apply_want *w, size_t n)
{
	struct apply_want **v = calloc(n ? n : 1, sizeof(*v));
	struct apply_want *a = NULL, *b = NULL;
	enum dup_key kind = DUP_NAME;
	size_t i;
	int k;

	if (!v)
		return EXIT_FAILED;
	/* the pair whose later entry comes first in the file, as a reader meets it */
	for (k = DUP_NAME; k <= DUP_REGION_ONLY; k++) {
		for (i = 0; i < n; i++)
			v[i] = &w[i];
		dup_by = (enum dup_key)k;
		qsort(v, n, sizeof(*v), dup_cmp);
		for (i = 1; i < n; i++)
			if (dup_same(v[i - 1], v[i]) && (!b || v[i]->index < b->index ||
						(v[i]->index == b->index && v[i - 1]->index < a->index)))
				a = v[i - 1], b = v[i], kind = (enum dup_key)k;
	}
	free(v);
	if (!b)
		return 0;
	if (kind == DUP_NAME)
		cmd_error(cmd, "namespaces[%d] and [%d]: the same name \"%s\"", a->index, b->index,
				b->name);
	else if (kind == DUP_UUID)
		cmd_error(cmd, "namespaces[%d] and [%d]: the same uuid %s", a->index, b->index,
				b->uuid);
	else
		cmd_error(cmd, "namespaces[%d] and [%d]: both mean region %s's only namespace",
				a->index, b->index, b->region);
	return EXIT_USAGE;
}

int apply_parse(struct ndctl_xen_ctx *ctx, const char *cmd, const char *text, struct json_object **doc,
		struct apply_want **wants, size_t *n_wants)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *arr = NULL;
	struct apply_want *w = NULL;
	size_t n = 0, i;
	int rc = EXIT_USAGE;

	*doc = NULL;
	if (!tok)
		return EXIT_FAILED;
	/* strict: no trailing commas, leading zeros...; text after the value is told apart below */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	*doc = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (!*doc || json_tokener_get_error(tok) != json_tokener_success ||
			(size_t)json_tokener_get_parse_end(tok) != strlen(text)) {
		size_t at = json_tokener_get_parse_end(tok);

		/* trailing white space is fine; anything else after the value is not */
		while (*doc && at < strlen(text) && strchr(" \t\r\n", text[at]))
			at++;
		if (!*doc || at != strlen(text)) {
			cmd_error(cmd, "not JSON: %s at byte %zu",
					*doc ? "text after the value" :
					json_tokener_get_error(tok) == json_tokener_continue ?
					"the text ends inside a value" :
					json_tokener_error_desc(json_tokener_get_error(tok)), at);
			goto out;
		}
	}
	/* what json-c resolved silently: duplicate keys, NULs, clamped numbers */
	rc = json_strict_check(cmd, text);
	if (rc)
		goto out;
	rc = EXIT_USAGE;
	if (!json_object_is_type(*doc, json_type_object)) {
		cmd_error(cmd, "the desired state is an object {\"namespaces\": [...]}");
		goto out;
	}
	json_object_object_foreach(*doc, key, val) {
		(void)val;
		if (strcmp(key, "namespaces")) {
			cmd_error(cmd, "unknown key \"%s\" at the top (known: namespaces)", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(*doc, "namespaces", &arr) ||
			!json_object_is_type(arr, json_type_array)) {
		cmd_error(cmd, "\"namespaces\" must be an array of entries");
		goto out;
	}
	n = json_object_array_length(arr);
	w = calloc(n ? n : 1, sizeof(*w));
	if (!w) {
		rc = EXIT_FAILED;
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = check_entry(ctx, cmd, (int)i, json_object_array_get_idx(arr, i), &w[i]);
		if (rc)
			goto out;
	}
	rc = find_duplicates(cmd, w, n);
	if (rc)
		goto out;
	rc = 0;
out:
	json_tokener_free(tok);
	if (rc) {
		free(w);
		json_object_put(*doc);
		*doc = NULL;
		return rc;
	}
	*wants = w;
	*n_wants = n;
	return 0;
}

static void differ(struct json_object *d, const char *key, struct json_object *want,
		struct json_object *have)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "want", want);
	json_object_object_add(o, "have", have);
	json_object_array_add(d, o);
}

static const char *mode_name(enum ndctl_xen_mode m)
{
	return m == NDCTL_XEN_MODE_DEVDAX ? "devdax" : "fsdax";
}

static const char *map_name(enum ndctl_xen_map m)
{
	return m == NDCTL_XEN_MAP_DEV ? "dev" : "mem";
}

static void diff_u64(struct json_object *d, const char *key, uint64_t want, uint64_t have)
{
	if (want != have)
		differ(d, key, json_u64(want), json_u64(have));
}

static void diff_str(struct json_object *d, const char *key, const char *want, const char *have)
{
	if (strcmp(want, have))
		differ(d, key, json_object_new_string(want), json_object_new_string(have));
}

enum apply_action apply_plan(struct ndctl_xen_ctx *ctx, const struct apply_want *w,
		const struct apply_have *h, int force, struct json_object **differs,
		char *why, size_t why_len)
{
	struct json_object *d = json_object_new_array();
	struct ndctl_xen_layout *l = NULL;
	char owner_want[64], msg[512];
	enum apply_action a = APPLY_NONE;

	*differs = d;
	why[0] = '\0';
	if (!h)
		return APPLY_CREATE;
	if (h->name && strcmp(h->name, NDCTL_XEN_PENDING_NAME) == 0) {
		snprintf(why, why_len, "%s is an unfinished namespace (a power cut?): run "
				"ndctl-xen recover first", h->dev);
		return APPLY_REFUSE;
	}
	if (w->name && !same(w->name, h->name)) {
		differ(d, "name", json_object_new_string(w->name),
				h->name && h->name[0] ? json_object_new_string(h->name) : NULL);
		snprintf(why, why_len, "%s has uuid %s but not the name \"%s\"; apply does not "
				"rename", h->dev, w->uuid, w->name);
		return APPLY_REFUSE;
	}
	if (!w->rest && !w->data_size && w->size != h->raw_size) {
		diff_u64(d, "size", w->size, h->raw_size);
		snprintf(why, why_len, "%s: raw size %llu, %llu wanted; apply does not resize "
				"(destroy the namespace and apply again)", h->dev,
				(unsigned long long)h->raw_size, (unsigned long long)w->size);
		return APPLY_REFUSE;
	}
	/* the layout the library would give this namespace now */
	if (ndctl_xen_layout_new(ctx, &l) < 0 || apply_layout_opts("apply", &w->o, l)) {
		snprintf(why, why_len, "%s: the entry's layout options are refused", h->dev);
		a = APPLY_REFUSE;
		goto out;
	}
	ndctl_xen_layout_set_size(l, h->raw_size);
	ndctl_xen_layout_set_phys_start(l, h->resource);
	/* what provisioning would choose on this kernel (a Xen PV dom0: map=mem) */
	ndctl_xen_layout_set_platform(l, h->region);
	if (ndctl_xen_layout_compute(l)) {
		snprintf(why, why_len, "%s: the wanted layout does not fit it: %s: %s", h->dev,
				ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)),
				layout_error(&w->o.from, l, msg, sizeof(msg)));
		a = APPLY_REFUSE;
		goto out;
	}
	/* data_size: any size whose data area holds it will do */
	if (w->data_size && ndctl_xen_layout_get_data_size(l) < w->data_size) {
		diff_u64(d, "data_size", w->data_size, ndctl_xen_layout_get_data_size(l));
		snprintf(why, why_len, "%s: raw size %llu holds %llu bytes of data with this "
				"layout, %llu wanted; apply does not resize (destroy the namespace "
				"and apply again)", h->dev, (unsigned long long)h->raw_size,
				(unsigned long long)ndctl_xen_layout_get_data_size(l),
				(unsigned long long)w->data_size);
		a = APPLY_REFUSE;
		goto out;
	}
	if (!h->known) {
		differ(d, "mode", json_object_new_string(mode_name(ndctl_xen_layout_get_mode(l))),
				json_object_new_string(h->why_unknown ? h->why_unknown : "raw"));
	} else {
		if (!h->active)
			differ(d, "state", json_object_new_string("enabled"),
					json_object_new_string("disabled"));
		diff_str(d, "mode", mode_name(ndctl_xen_layout_get_mode(l)), mode_name(h->mode));
		diff_str(d, "map", map_name(ndctl_xen_layout_get_map(l)), map_name(h->map));
		diff_u64(d, "align", ndctl_xen_layout_get_align(l), h->align);
		diff_u64(d, "dataoff", ndctl_xen_layout_get_dataoff(l), h->dataoff);
		/*
		 * the same dataoff after another start_pad, or with fewer pages
		 * (a larger end_trunc), is another block
		 */
		diff_u64(d, "data_offset", ndctl_xen_layout_get_data_offset(l), h->data_offset);
		diff_u64(d, "data_size", ndctl_xen_layout_get_data_size(l), h->data_size);
		/*
		 * map=dev: the kernel sizes the memmap by it; map=mem: nothing
		 * reads it (ndctl writes 0 there), so only when the entry asks
		 */
		if ((ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV || w->o.page_struct_size) &&
				(h->unknown & NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE))
			differ(d, "page_struct_size", json_u64(ndctl_xen_layout_get_page_struct_size(l)),
					json_object_new_string("unknown (sysfs does not show it)"));
		else if (ndctl_xen_layout_get_map(l) == NDCTL_XEN_MAP_DEV || w->o.page_struct_size)
			diff_u64(d, "page_struct_size", ndctl_xen_layout_get_page_struct_size(l),
					h->page_struct_size);
		if (h->unknown & (NDCTL_XEN_UNKNOWN_RESERVE | NDCTL_XEN_UNKNOWN_OWNER |
					NDCTL_XEN_UNKNOWN_PER_PAGE)) {
			/* sysfs alone cannot confirm a reservation: never "unchanged" on a guess */
			differ(d, "reserve", json_u64(ndctl_xen_layout_get_reserve_size(l)),
					json_object_new_string("unknown (no stored copy of the block; "
						"ndctl-xen recover stores it)"));
		} else {
			diff_u64(d, "reserve_offset", ndctl_xen_layout_get_reserve_offset(l),
					h->reserve_offset);
			diff_u64(d, "reserve", ndctl_xen_layout_get_reserve_size(l), h->reserve_size);
			diff_u64(d, "reserve_per_page", ndctl_xen_layout_get_reserve_per_page(l),
					h->per_page);
			if (ndctl_xen_layout_get_reserve_size(l) || h->reserve_size) {
				snprintf(owner_want, sizeof(owner_want), "%s", owner_str(
						ndctl_xen_layout_get_reserve_owner(l),
						ndctl_xen_layout_get_reserve_owner_name(l)));
				diff_str(d, "reserve_owner", owner_want,
						owner_str(h->owner, h->owner_name));
			}
		}
	}
	if (!json_object_array_length(d))
		goto out;
	if (!force) {
		snprintf(why, why_len, "%s differs from the desired state (see differs); "
				"--force reconfigures it", h->dev);
		a = APPLY_REFUSE;
	} else {
		a = APPLY_RECONFIGURE;
	}
out:
	ndctl_xen_layout_unref(l);
	return a;
}
