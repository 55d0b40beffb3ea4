/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The layout options shared by write-infoblock and create-namespace. */
#ifndef NDCTL_XEN_LAYOUT_OPTS_H
#define NDCTL_XEN_LAYOUT_OPTS_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include <ndctl/libndctl-xen.h>

/*
 * Where option values come from, for the messages that refuse them: the
 * command line (path NULL: "--size=64Q"), or an entry of apply's JSON
 * (path "namespaces[0]", entry that object: 'namespaces[0].size: "64Q"',
 * the key in the file's words and the value as the file has it).
 */
struct opt_from {
	const char *path;
	struct json_object *entry;
};

/* Options shared by the commands that lay out a namespace. */
struct layout_opts {
	const char *size, *mode, *map, *align;
	const char *reserve, *reserve_per_page, *reserve_owner;
	const char *page_struct_size;
	/* -j: --dry-run prints the planned block and layout as JSON */
	int json;
	/* who gave them (zero: the command line) */
	struct opt_from from;
};

enum {
	OPT_RESERVE = 0x100,
	OPT_RESERVE_PER_PAGE,
	OPT_RESERVE_OWNER,
	OPT_PAGE_STRUCT_SIZE,
	OPT_XEN,
	OPT_DRY_RUN,
};

#define LAYOUT_LONG_OPTIONS \
	{ "size", required_argument, NULL, 's' }, \
	{ "mode", required_argument, NULL, 'm' }, \
	{ "map", required_argument, NULL, 'M' }, \
	{ "align", required_argument, NULL, 'a' }, \
	{ "reserve", required_argument, NULL, OPT_RESERVE }, \
	{ "reserve-per-page", required_argument, NULL, OPT_RESERVE_PER_PAGE }, \
	{ "reserve-owner", required_argument, NULL, OPT_RESERVE_OWNER }, \
	{ "page-struct-size", required_argument, NULL, OPT_PAGE_STRUCT_SIZE }

#define LAYOUT_HELP \
"  -s, --size=SIZE          namespace size (K, M, G, T suffixes)\n" \
"  -m, --mode=MODE          fsdax (default) or devdax\n" \
"  -M, --map=MAP            dev (memmap on the device, default) or mem\n" \
"                           (default in a Xen PV dom0)\n" \
"  -a, --align=ALIGN        4K, 2M (default) or 1G; devdax in a Xen PV dom0:\n" \
"                           4K (the kernel supports no other there)\n" \
"      --reserve=SIZE       reserve SIZE bytes (rounded up to 4K) below dataoff\n" \
"      --reserve-per-page=BYTES\n" \
"                           reserve BYTES for every 4 KiB page of the namespace,\n" \
"                           or a preset: xen (40: page_info 32 + M2P 8),\n" \
"                           xen-bigmem (56: CONFIG_BIGMEM page_info 48 + 8);\n" \
"                           the presets reserve for the hypervisor, map=mem\n" \
"      --reserve-owner=OWNER\n" \
"                           os (default with map=dev), hypervisor (default\n" \
"                           with map=mem), or name:NAME (up to 16 characters)\n" \
"      --page-struct-size=BYTES\n" \
"                           bytes per page of OS page structures (default 64)\n"

/* 1 if the option was one of the layout options */
/* 1 if getopt's c was one of the layout options (stored in o) */
int layout_opt(int c, struct layout_opts *o);
/* one-line error for an unknown option; returns EXIT_USAGE */
int bad_option(const char *cmd, char **argv);
/*
 * A value named for a message, option name as the CLI spells it ("reserve-
 * per-page"): from the command line "--reserve-per-page=40"; from JSON
 * 'namespaces[0].reserve_per_page: 40' (the value as the entry has it,
 * else val as a JSON string).  In buf, which is returned.
 */
const char *opt_subject(const struct opt_from *f, const char *name, const char *val,
		char *buf, size_t len);
/*
 * A setting to suggest: "--map=mem", or in JSON '"map": "mem"'.  In buf,
 * which is returned.
 */
const char *opt_setting(const struct opt_from *f, const char *name, const char *val,
		char *buf, size_t len);
/* 0, or an error line naming the value (f NULL: an option) and -EINVAL/-ERANGE */
int parse_size_from(const char *cmd, const struct opt_from *f, const char *name,
		const char *val, uint64_t *out);
int parse_size_opt(const char *cmd, const char *name, const char *val, uint64_t *out);
/*
 * Two values that exclude each other, both given: an error line naming
 * both ("--size=1G and --data-size=1G", or in JSON 'namespaces[0]:
 * "size": "1G" and "data_size": "1G"'), then "give one, not both".
 */
void opt_both_error(const char *cmd, const struct opt_from *f, const char *name1,
		const char *val1, const char *name2, const char *val2);
/*
 * A per-page byte count or a preset name ("xen" 40, "xen-bigmem" 56):
 * 0, or an error line naming both and -EINVAL.
 */
int parse_per_page_opt(const char *cmd, const struct opt_from *f, const char *name,
		const char *val, uint64_t *out);
/*
 * An owner as --reserve-owner and apply's "reserve_owner" take it: os,
 * hypervisor, or name:NAME (*name points into val).  Any other word, the
 * empty one, and near misses of os and hypervisor in any case are
 * refused: 0, or an error line and -EINVAL.
 */
int parse_owner_opt(const char *cmd, const struct opt_from *f, const char *key,
		const char *val, enum ndctl_xen_owner *owner, const char **name);
/*
 * The library's message for the layout's broken rule, in f's words where
 * it suggests a setting ("use --align=4K"; in JSON 'use "align": "4K"').
 * In buf, which is returned.
 */
const char *layout_error(const struct opt_from *f, struct ndctl_xen_layout *l,
		char *buf, size_t len);
/* The sizeof(struct page_info) a preset name stands for, else 0. */
uint32_t per_page_preset(const char *val);
/* Applies the options to a layout: 0, or EXIT_USAGE after an error line. */
int apply_layout_opts(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l);

/*
 * The layout drawn to scale on one line, then one line per area with its
 * offset and size (the sizes add up to the namespace).
 */
void print_drawing(FILE *out, struct ndctl_xen_layout *l);
/* The same areas as JSON: [{ "area", "offset", "size" }, ...] */
struct json_object *areas_json(struct ndctl_xen_layout *l, int human);
/* Data given up to rounding: the slack areas and the truncated tail. */
uint64_t layout_rounding_loss(struct ndctl_xen_layout *l);
/*
 * A warning on stderr when the layout gives up a whole align unit of data
 * or more to a reservation that is mostly rounding; 1 if warned.
 */
int warn_rounding(const char *cmd, struct ndctl_xen_layout *l);
/* Xen's frames and its check_mgmt_size() for a page_info of page_info bytes */
struct json_object *xen_json(struct ndctl_xen_layout *l, uint32_t page_info, int human);
void print_xen_check(FILE *out, struct ndctl_xen_layout *l, uint32_t page_info);

/* How read-infoblock shows a block (infoblock.c); write-infoblock's and
 * create-namespace's --dry-run show what they would write the same way. */
struct show_opts {
	const char *cmd;
	const char *dev, *path;   /* "dev" (a namespace) or "file" */
	uint64_t size, phys_start;
	int size_given, offset_given;
	int json, human, verify;
	uint32_t xen_page_info;    /* 0: no Xen check */
};
/* Decode and print the 8 KiB in buf: 0, or an exit class after an error line. */
int show_infoblock(FILE *out, struct ndctl_xen_ctx *ctx, const uint8_t *buf,
		const struct show_opts *so);

/*
 * --dry-run: a note on stderr, the rounding warning, and the block in buf
 * shown as read-infoblock shows it, with Xen's check for page_info.
 */
int preview_block(struct ndctl_xen_ctx *ctx, const char *cmd, struct ndctl_xen_layout *l,
		const uint8_t *buf, const char *dev, const char *path, uint32_t page_info,
		int json);
/*
 * --dry-run on a namespace (ndns: its size, start and uuid from sysfs) or
 * a namespace not created yet (size bytes, parent uuid or zeros, start
 * unknown: frames counted from 0): preview_block of the block o gives it.
 */
struct ndctl_namespace;
int preview_namespace(struct ndctl_xen_ctx *ctx, const char *cmd,
		const struct layout_opts *o, struct ndctl_namespace *ndns, uint64_t size,
		const unsigned char *uuid);

#endif
