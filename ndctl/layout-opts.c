// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing the layout options: the only code that turns option strings into layout inputs. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "layout-opts.h"
#include "util/size.h"

int layout_opt(int c, struct layout_opts *o)
{
	switch (c) {
	case 's': o->size = optarg; return 1;
	case 'm': o->mode = optarg; return 1;
	case 'M': o->map = optarg; return 1;
	case 'a': o->align = optarg; return 1;
	case OPT_RESERVE: o->reserve = optarg; return 1;
	case OPT_RESERVE_PER_PAGE: o->reserve_per_page = optarg; return 1;
	case OPT_RESERVE_OWNER: o->reserve_owner = optarg; return 1;
	case OPT_PAGE_STRUCT_SIZE: o->page_struct_size = optarg; return 1;
	}
	return 0;
}

/* getopt's own message would be followed by the whole usage: one line instead */
int bad_option(const char *cmd, char **argv)
{
	if (optopt && optopt < 0x100)
		cmd_error(cmd, "unknown option or missing value for '-%c'; see --help", optopt);
	else
		cmd_error(cmd, "unknown option or missing value: '%s'; see --help",
				argv[optind - 1]);
	return EXIT_USAGE;
}

/* name in the JSON's words: reserve-per-page is "reserve_per_page" */
static void json_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
}

/* val as JSON: the entry's own value under key if asked and there, else a string */
static void json_value(const struct opt_from *f, const char *key, const char *val,
		int from_entry, char *buf, size_t len)
{
	struct json_object *v = NULL, *s = NULL;

	if (!from_entry || !json_object_object_get_ex(f->entry, key, &v))
		v = s = json_object_new_string(val ? val : "");
	snprintf(buf, len, "%s", v ? json_object_to_json_string_ext(v,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "?");
	json_object_put(s);
}

/* subject: with the path, the entry's own value; else a setting ("key": val) */
static const char *opt_render(const struct opt_from *f, const char *name, const char *val,
		int subject, char *buf, size_t len)
{
	char key[40], v[160];

	if (!f || !f->path) {
		snprintf(buf, len, "--%s=%s", name, val);
		return buf;
	}
	json_key(name, key, sizeof(key));
	json_value(f, key, val, subject, v, sizeof(v));
	if (subject)
		snprintf(buf, len, "%s.%s: %s", f->path, key, v);
	else
		snprintf(buf, len, "\"%s\": %s", key, v);
	return buf;
}

const char *opt_subject(const struct opt_from *f, const char *name, const char *val,
		char *buf, size_t len)
{
	return opt_render(f, name, val, 1, buf, len);
}

const char *opt_setting(const struct opt_from *f, const char *name, const char *val,
		char *buf, size_t len)
{
	return opt_render(f, name, val, 0, buf, len);
}

void opt_both_error(const char *cmd, const struct opt_from *f, const char *name1,
		const char *val1, const char *name2, const char *val2)
{
	char a[200], b[200], k1[40], k2[40], v1[160], v2[160];

	if (!f || !f->path) {
		cmd_error(cmd, "%s and %s: give one, not both", opt_subject(f, name1, val1, a,
					sizeof(a)), opt_subject(f, name2, val2, b, sizeof(b)));
		return;
	}
	json_key(name1, k1, sizeof(k1));
	json_key(name2, k2, sizeof(k2));
	json_value(f, k1, val1, 1, v1, sizeof(v1));
	json_value(f, k2, val2, 1, v2, sizeof(v2));
	cmd_error(cmd, "%s: \"%s\": %s and \"%s\": %s: give one, not both", f->path, k1, v1,
			k2, v2);
}

int parse_size_from(const char *cmd, const struct opt_from *f, const char *name,
		const char *val, uint64_t *out)
{
	int rc = util_parse_size(val, out);
	char s[200];

	if (rc == -ERANGE)
		cmd_error(cmd, "%s does not fit in 64 bits", opt_subject(f, name, val, s, sizeof(s)));
	else if (rc)
		cmd_error(cmd, "%s is not a size (%s)", opt_subject(f, name, val, s, sizeof(s)),
				f && f->path ? "a number of bytes, or a string with an optional "
				"K, M, G or T suffix" : "a number with an optional K, M, G or T suffix");
	return rc;
}

int parse_size_opt(const char *cmd, const char *name, const char *val, uint64_t *out)
{
	return parse_size_from(cmd, NULL, name, val, out);
}

/*
 * A word that is not one of two: "--mode=sector: must be fsdax or devdax",
 * in JSON 'namespaces[0].mode: "sector" is not one of "fsdax", "devdax"'.
 */
static void not_one_of(const char *cmd, const struct opt_from *f, const char *name,
		const char *val, const char *a, const char *b)
{
	char s[200];

	if (f && f->path)
		cmd_error(cmd, "%s is not one of \"%s\", \"%s\"", opt_subject(f, name, val, s,
					sizeof(s)), a, b);
	else
		cmd_error(cmd, "--%s=%s: must be %s or %s", name, val, a, b);
}

const char *layout_error(const struct opt_from *f, struct ndctl_xen_layout *l,
		char *buf, size_t len)
{
	const char *value, *key = ndctl_xen_layout_get_remedy(l, &value);
	char s[200];

	snprintf(buf, len, "%s%s%s", ndctl_xen_layout_get_error(l), key ? "; use " : "",
			key ? opt_setting(f, key, value ? value : "", s, sizeof(s)) : "");
	return buf;
}

/*
 * Per-page presets, bytes a consumer keeps for every 4 KiB page.  Xen
 * x86-64 keeps a struct page_info (xen/arch/x86/include/asm/mm.h: 32
 * bytes, 48 with CONFIG_BIGMEM, where its pdx links grow to 64 bits) and
 * an 8-byte M2P entry per frame, as its check_mgmt_size() counts them.
 */
static const struct per_page_preset {
	const char *name;
	uint32_t page_info;
} presets[] = {
	{ "xen", NDCTL_XEN_XEN_PAGE_INFO_SIZE },
	{ "xen-bigmem", NDCTL_XEN_XEN_BIGMEM_PAGE_INFO_SIZE },
};

uint32_t per_page_preset(const char *val)
{
	size_t i;

	for (i = 0; val && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(val, presets[i].name) == 0)
			return presets[i].page_info;
	return 0;
}

int parse_per_page_opt(const char *cmd, const struct opt_from *f, const char *name,
		const char *val, uint64_t *out)
{
	uint32_t page_info = per_page_preset(val);
	char s[200];

	if (page_info) {
		*out = page_info + NDCTL_XEN_XEN_M2P_ENTRY_SIZE;
		return 0;
	}
	if (util_parse_size(val, out) == -ERANGE)
		return parse_size_from(cmd, f, name, val, out);
	if (util_parse_size(val, out) == 0)
		return 0;
	cmd_error(cmd, "%s is neither a byte count nor a preset (xen: %u, "
			"xen-bigmem: %u)", opt_subject(f, name, val, s, sizeof(s)),
			NDCTL_XEN_XEN_PAGE_INFO_SIZE + NDCTL_XEN_XEN_M2P_ENTRY_SIZE,
			NDCTL_XEN_XEN_BIGMEM_PAGE_INFO_SIZE + NDCTL_XEN_XEN_M2P_ENTRY_SIZE);
	return -EINVAL;
}

static int apply_preset_rules(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l);

/* Applies the options to a layout; 0 or EXIT_USAGE after an error line. */
int apply_layout_opts(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l)
{
	const struct opt_from *f = &o->from;
	char s[200];
	uint64_t v;

	if (o->mode) {
		if (strcmp(o->mode, "fsdax") == 0)
			ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_FSDAX);
		else if (strcmp(o->mode, "devdax") == 0)
			ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_DEVDAX);
		else {
			not_one_of(cmd, f, "mode", o->mode, "fsdax", "devdax");
			return EXIT_USAGE;
		}
	}
	if (o->map) {
		if (strcmp(o->map, "dev") == 0)
			ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_DEV);
		else if (strcmp(o->map, "mem") == 0)
			ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_MEM);
		else {
			not_one_of(cmd, f, "map", o->map, "dev", "mem");
			return EXIT_USAGE;
		}
	}
	if (o->size) {
		if (parse_size_from(cmd, f, "size", o->size, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_size(l, v);
	}
	if (o->align) {
		if (parse_size_from(cmd, f, "align", o->align, &v))
			return EXIT_USAGE;
		/*
		 * The library reads 0 as "the default": refuse it here, in the
		 * words (and exit class) of the rule that refuses --align=3M.
		 */
		if (!v) {
			cmd_error(cmd, "align-supported: %s: align 0 is not one the "
					"kernel supports (4K, 2M, 1G)",
					opt_subject(f, "align", o->align, s, sizeof(s)));
			return EXIT_REFUSED;
		}
		ndctl_xen_layout_set_align(l, v);
	}
	if (o->reserve && o->reserve_per_page) {
		opt_both_error(cmd, f, "reserve", o->reserve, "reserve-per-page",
				o->reserve_per_page);
		return EXIT_USAGE;
	}
	if (o->reserve) {
		if (parse_size_from(cmd, f, "reserve", o->reserve, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_reserve(l, v);
	}
	if (o->reserve_per_page) {
		if (parse_per_page_opt(cmd, f, "reserve-per-page", o->reserve_per_page, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_reserve_per_page(l, v);
	}
	if (o->page_struct_size) {
		if (parse_per_page_opt(cmd, f, "page-struct-size", o->page_struct_size, &v))
			return EXIT_USAGE;
		/*
		 * 0 would silently mean the default and a value past 32 bits
		 * would wrap: refuse both as the library's page-struct-size
		 * rule refuses 32 or 70000 (same words, same exit class).
		 */
		if (v == 0 || v > UINT32_MAX) {
			cmd_error(cmd, "page-struct-size: %s: page_struct_size "
					"must be between 64 and 65535",
					opt_subject(f, "page-struct-size", o->page_struct_size, s,
						sizeof(s)));
			return EXIT_REFUSED;
		}
		ndctl_xen_layout_set_page_struct_size(l, (uint32_t)v);
	}
	if (o->reserve_owner) {
		enum ndctl_xen_owner owner;
		const char *name;

		if (parse_owner_opt(cmd, f, "reserve-owner", o->reserve_owner, &owner, &name))
			return EXIT_USAGE;
		ndctl_xen_layout_set_reserve_owner(l, owner, name);
	}
	return apply_preset_rules(cmd, o, l);
}

/* Xen's presets reserve for the hypervisor, which needs map=mem in dom0. */
static int apply_preset_rules(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l)
{
	enum ndctl_xen_owner owner = NDCTL_XEN_OWNER_HYPERVISOR;
	const struct opt_from *f = &o->from;
	const char *name;
	char s[200], t[200];

	if (!per_page_preset(o->reserve_per_page))
		return 0;
	if (o->reserve_owner && (parse_owner_opt(cmd, f, "reserve-owner", o->reserve_owner,
					&owner, &name) || owner != NDCTL_XEN_OWNER_HYPERVISOR)) {
		cmd_error(cmd, "%s sizes Xen's frame table and M2P: its owner is the hypervisor, "
				"not %s", opt_subject(f, "reserve-per-page", o->reserve_per_page, s,
					sizeof(s)), opt_setting(f, "reserve-owner", o->reserve_owner,
					t, sizeof(t)));
		return EXIT_USAGE;
	}
	/*
	 * The reserved area is Xen's, so Linux keeps its own page structures
	 * in DRAM; in a Xen PV dom0 a memmap on the device over a whole
	 * memory section cannot even be mapped (no PSE).
	 */
	if (o->map && strcmp(o->map, "dev") == 0) {
		char u[200];

		cmd_error(cmd, "%s reserves for the hypervisor, which takes "
				"map=mem (Linux's page structures in DRAM; a PV dom0 cannot put them "
				"on the device): drop %s, or give a byte count with %s",
				opt_subject(f, "reserve-per-page", o->reserve_per_page, s, sizeof(s)),
				opt_setting(f, "map", "dev", t, sizeof(t)),
				opt_setting(f, "reserve-owner", "os", u, sizeof(u)));
		return EXIT_USAGE;
	}
	ndctl_xen_layout_set_reserve_owner(l, NDCTL_XEN_OWNER_HYPERVISOR, NULL);
	ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_MEM);
	return 0;
}

/* Optimal string alignment distance, for short option words. */
static size_t word_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[24][24];

	if (la > 22 || lb > 22)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				tolower((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) ==
					tolower((unsigned char)b[j - 2]) &&
					tolower((unsigned char)a[i - 2]) ==
					tolower((unsigned char)b[j - 1]) &&
					d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

int parse_owner_opt(const char *cmd, const struct opt_from *f, const char *key,
		const char *val, enum ndctl_xen_owner *owner, const char **name)
{
	char s[200];

	*name = NULL;
	opt_subject(f, key, val, s, sizeof(s));
	if (!val[0]) {
		cmd_error(cmd, "%s is empty: give os, hypervisor or name:NAME", s);
		return -EINVAL;
	}
	if (strcmp(val, "os") == 0) {
		*owner = NDCTL_XEN_OWNER_OS;
		return 0;
	}
	if (strcmp(val, "hypervisor") == 0) {
		*owner = NDCTL_XEN_OWNER_HYPERVISOR;
		return 0;
	}
	if (strncmp(val, "name:", 5) == 0) {
		if (!val[5]) {
			cmd_error(cmd, "%s names no owner: name:NAME, NAME 1 to 16 "
					"printable characters", s);
			return -EINVAL;
		}
		*owner = NDCTL_XEN_OWNER_NAMED;
		*name = val + 5;
		return 0;
	}
	/* a bare word is a keyword: anything else is a typo or a name without name: */
	if (word_distance(val, "hypervisor") <= 2)
		cmd_error(cmd, "%s is not an owner: did you mean hypervisor? (a named "
				"owner is written name:%s)", s, val);
	else if (word_distance(val, "os") <= 1)
		cmd_error(cmd, "%s is not an owner: did you mean os? (a named owner is "
				"written name:%s)", s, val);
	else
		cmd_error(cmd, "%s is not an owner: the words are os and hypervisor; "
				"another consumer is named name:%s", s, val);
	return -EINVAL;
}


/* ---- the layout drawn and checked ---- */

#define DRAW_WIDTH 64

struct area_span {
	enum ndctl_xen_area area;
	uint64_t offset, size;
};

/* The namespace's areas in order, at most max of them; the count. */
static int layout_areas(struct ndctl_xen_layout *l, struct area_span *a, int max)
{
	uint64_t off = 0, end, size = ndctl_xen_layout_get_size(l);
	int n = 0;

	while (off < size && n < max) {
		a[n].area = ndctl_xen_layout_area_at(l, off, &end);
		if (a[n].area == NDCTL_XEN_AREA_OUTSIDE || end <= off)
			break;
		if (end > size)
			end = size;
		a[n].offset = off;
		a[n].size = end - off;
		off = end;
		n++;
	}
	return n;
}

static char area_letter(enum ndctl_xen_area a)
{
	switch (a) {
	case NDCTL_XEN_AREA_INFOBLOCK: return 'I';
	case NDCTL_XEN_AREA_MEMMAP: return 'M';
	case NDCTL_XEN_AREA_SLACK: return '.';
	case NDCTL_XEN_AREA_RESERVE: return 'R';
	case NDCTL_XEN_AREA_DATA: return 'D';
	case NDCTL_XEN_AREA_TRUNCATED: return 'T';
	default: return '?';
	}
}

uint64_t layout_rounding_loss(struct ndctl_xen_layout *l)
{
	struct area_span a[16];
	uint64_t loss = 0;
	int i, n = layout_areas(l, a, 16);

	for (i = 0; i < n; i++)
		if (a[i].area == NDCTL_XEN_AREA_SLACK || a[i].area == NDCTL_XEN_AREA_TRUNCATED)
			loss += a[i].size;
	return loss;
}

struct json_object *areas_json(struct ndctl_xen_layout *l, int human)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct area_span a[16];
	int i, n = layout_areas(l, a, 16);

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "area", json_object_new_string(
				ndctl_xen_area_name(a[i].area)));
		json_object_object_add(o, "offset", json_hex(a[i].offset, human));
		json_object_object_add(o, "size", json_size(a[i].size, human));
		json_object_array_add(arr, o);
	}
	return arr;
}

void print_drawing(FILE *out, struct ndctl_xen_layout *l)
{
	struct area_span a[16];
	uint64_t size = ndctl_xen_layout_get_size(l);
	int i, k, n = layout_areas(l, a, 16), cols[16] = { 0 }, used = 0, widest = 0;
	char hs[64];

	if (!n || !size)
		return;
	/* to scale, but every area at least one column so none disappears */
	for (i = 0; i < n; i++) {
		cols[i] = (int)((unsigned __int128)a[i].size * DRAW_WIDTH / size);
		if (cols[i] < 1)
			cols[i] = 1;
		used += cols[i];
		if (cols[i] > cols[widest])
			widest = i;
	}
	/* the rounding lands on the widest area */
	cols[widest] += DRAW_WIDTH - used;
	if (cols[widest] < 1)
		cols[widest] = 1;
	fprintf(out, "areas: |");
	for (i = 0; i < n; i++)
		for (k = 0; k < cols[i]; k++)
			fputc(area_letter(a[i].area), out);
	fprintf(out, "| %s\n", util_human_size(size, hs, sizeof(hs)));
	for (i = 0; i < n; i++)
		fprintf(out, "  %c %-10s %#14" PRIx64 " %14" PRIu64 "  %s\n",
				area_letter(a[i].area), ndctl_xen_area_name(a[i].area),
				a[i].offset, a[i].size,
				util_human_size(a[i].size, hs, sizeof(hs)));
}

/*
 * What the reservation costs is how far it moves dataoff above the
 * kernel's own choice; what of that is not the reservation (nor a larger
 * memmap) is lost to rounding up to align.  Any reservation costs at
 * least one align unit, so warn when it costs more than one unit of the
 * default align (2 MiB, the kernel's own minimum) and rounding is most of
 * it: --align=1G --reserve=4K gives up 1 GiB, --align=2M --reserve=4K 2 MiB.
 */
#define DEFAULT_ALIGN (2ull << 20)
int warn_rounding(const char *cmd, struct ndctl_xen_layout *l)
{
	uint64_t align = ndctl_xen_layout_get_align(l);
	uint64_t dataoff = ndctl_xen_layout_get_dataoff(l);
	uint64_t kernel = ndctl_xen_layout_get_kernel_dataoff(l);
	uint64_t rsv = ndctl_xen_layout_get_reserve_size(l);
	uint64_t cost, rounding;
	char a[64], b[64], c[64], d[64];

	if (!align || dataoff <= kernel)
		return 0;
	cost = dataoff - kernel;
	rounding = cost > rsv ? cost - rsv : 0;
	/* more of the cost is rounding than reserve: --reserve=1 costs 2 MiB */
	if (rounding <= rsv)
		return 0;
	fprintf(stderr, "ndctl-xen %s: warning: a reservation of %s moves dataoff from "
			"%#" PRIx64 " to %#" PRIx64 ": it costs %s of data, %s of it to "
			"rounding up to align %s\n", cmd, util_human_size(rsv, a, sizeof(a)),
			kernel, dataoff, util_human_size(cost, b, sizeof(b)),
			util_human_size(rounding, c, sizeof(c)),
			util_human_size(align, d, sizeof(d)));
	return 1;
}

struct xen_check {
	uint64_t mgmt_smfn, mgmt_emfn, data_smfn, data_emfn, required;
	int has_mgmt, has_data, fits;
};

static void xen_check(struct ndctl_xen_layout *l, uint32_t page_info, struct xen_check *x)
{
	x->has_mgmt = ndctl_xen_layout_get_xen_mgmt(l, &x->mgmt_smfn, &x->mgmt_emfn) == 0;
	x->has_data = ndctl_xen_layout_get_xen_data(l, &x->data_smfn, &x->data_emfn) == 0;
	x->fits = ndctl_xen_layout_xen_mgmt_fits_page_info(l, page_info, &x->required) == 1;
	if (!x->has_mgmt)
		x->mgmt_smfn = x->mgmt_emfn = 0;
	if (!x->has_data)
		x->data_smfn = x->data_emfn = 0;
}

struct json_object *xen_json(struct ndctl_xen_layout *l, uint32_t page_info, int human)
{
	struct json_object *j = json_object_new_object();
	struct xen_check x;

	xen_check(l, page_info, &x);
	json_object_object_add(j, "page_info_size", json_u64(page_info));
	json_object_object_add(j, "m2p_entry_size", json_u64(NDCTL_XEN_XEN_M2P_ENTRY_SIZE));
	json_object_object_add(j, "mgmt_smfn", json_hex(x.mgmt_smfn, human));
	json_object_object_add(j, "mgmt_emfn", json_hex(x.mgmt_emfn, human));
	json_object_object_add(j, "data_smfn", json_hex(x.data_smfn, human));
	json_object_object_add(j, "data_emfn", json_hex(x.data_emfn, human));
	json_object_object_add(j, "required_mfns", json_u64(x.required));
	json_object_object_add(j, "mgmt_mfns", json_u64(x.mgmt_emfn - x.mgmt_smfn));
	json_object_object_add(j, "fits", json_object_new_boolean(x.fits));
	return j;
}

void print_xen_check(FILE *out, struct ndctl_xen_layout *l, uint32_t page_info)
{
	struct xen_check x;

	xen_check(l, page_info, &x);
	if (x.has_mgmt)
		fprintf(out, "xen: setup-mgmt %#" PRIx64 " %#" PRIx64 "\n",
				x.mgmt_smfn, x.mgmt_emfn);
	else
		fprintf(out, "xen: no reserved area for setup-mgmt\n");
	if (x.has_data && x.has_mgmt)
		fprintf(out, "xen: setup-data %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 "\n",
				x.data_smfn, x.data_emfn, x.mgmt_smfn, x.mgmt_emfn);
	fprintf(out, "xen: check_mgmt_size (page_info %u B + M2P %u B a frame) needs %" PRIu64
			" frames for %" PRIu64 ", has %" PRIu64 ": %s\n", page_info,
			NDCTL_XEN_XEN_M2P_ENTRY_SIZE, x.required, x.data_emfn - x.data_smfn,
			x.mgmt_emfn - x.mgmt_smfn, x.fits ? "fits" : "does not fit");
}
