/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The layout options shared by write-infoblock and create-namespace. */
#ifndef NDCTL_XEN_LAYOUT_OPTS_H
#define NDCTL_XEN_LAYOUT_OPTS_H

#include <stdint.h>
#include <ndctl/libndctl-xen.h>

/* Options shared by the commands that lay out a namespace. */
struct layout_opts {
	const char *size, *mode, *map, *align;
	const char *reserve, *reserve_per_page, *reserve_owner;
	const char *page_struct_size;
};

enum {
	OPT_RESERVE = 0x100,
	OPT_RESERVE_PER_PAGE,
	OPT_RESERVE_OWNER,
	OPT_PAGE_STRUCT_SIZE,
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
"  -a, --align=ALIGN        4K, 2M (default) or 1G\n" \
"      --reserve=SIZE       reserve SIZE bytes (rounded up to 4K) below dataoff\n" \
"      --reserve-per-page=BYTES\n" \
"                           reserve BYTES for every 4 KiB page of the namespace\n" \
"      --reserve-owner=OWNER\n" \
"                           os (default with map=dev), hypervisor (default\n" \
"                           with map=mem), or a name of up to 16 characters\n" \
"      --page-struct-size=BYTES\n" \
"                           bytes per page of OS page structures (default 64)\n"

/* 1 if the option was one of the layout options */
/* 1 if getopt's c was one of the layout options (stored in o) */
int layout_opt(int c, struct layout_opts *o);
/* one-line error for an unknown option; returns EXIT_USAGE */
int bad_option(const char *cmd, char **argv);
/* 0, or an error line and -EINVAL/-ERANGE */
int parse_size_opt(const char *cmd, const char *name, const char *val, uint64_t *out);
/* Applies the options to a layout: 0, or EXIT_USAGE after an error line. */
int apply_layout_opts(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l);

#endif
