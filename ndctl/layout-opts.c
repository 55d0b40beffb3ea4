// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing the layout options: the only code that turns option strings into layout inputs. */
#include <errno.h>
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

int parse_size_opt(const char *cmd, const char *name, const char *val,
		uint64_t *out)
{
	int rc = util_parse_size(val, out);

	if (rc == -ERANGE)
		cmd_error(cmd, "--%s=%s does not fit in 64 bits", name, val);
	else if (rc)
		cmd_error(cmd, "--%s=%s is not a size (a number with an optional K, M, G or T suffix)",
				name, val);
	return rc;
}

/* Applies the options to a layout; 0 or EXIT_USAGE after an error line. */
int apply_layout_opts(const char *cmd, const struct layout_opts *o,
		struct ndctl_xen_layout *l)
{
	uint64_t v;

	if (o->mode) {
		if (strcmp(o->mode, "fsdax") == 0)
			ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_FSDAX);
		else if (strcmp(o->mode, "devdax") == 0)
			ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_DEVDAX);
		else {
			cmd_error(cmd, "--mode=%s: must be fsdax or devdax", o->mode);
			return EXIT_USAGE;
		}
	}
	if (o->map) {
		if (strcmp(o->map, "dev") == 0)
			ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_DEV);
		else if (strcmp(o->map, "mem") == 0)
			ndctl_xen_layout_set_map(l, NDCTL_XEN_MAP_MEM);
		else {
			cmd_error(cmd, "--map=%s: must be dev or mem", o->map);
			return EXIT_USAGE;
		}
	}
	if (o->size) {
		if (parse_size_opt(cmd, "size", o->size, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_size(l, v);
	}
	if (o->align) {
		if (parse_size_opt(cmd, "align", o->align, &v))
			return EXIT_USAGE;
		/*
		 * The library reads 0 as "the default": refuse it here, in the
		 * words (and exit class) of the rule that refuses --align=3M.
		 */
		if (!v) {
			cmd_error(cmd, "align-supported: --align=%s: align 0 is not one the "
					"kernel supports (4K, 2M, 1G)", o->align);
			return EXIT_REFUSED;
		}
		ndctl_xen_layout_set_align(l, v);
	}
	if (o->reserve && o->reserve_per_page) {
		cmd_error(cmd, "--reserve=%s and --reserve-per-page=%s: give one, not both",
				o->reserve, o->reserve_per_page);
		return EXIT_USAGE;
	}
	if (o->reserve) {
		if (parse_size_opt(cmd, "reserve", o->reserve, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_reserve(l, v);
	}
	if (o->reserve_per_page) {
		if (parse_size_opt(cmd, "reserve-per-page", o->reserve_per_page, &v))
			return EXIT_USAGE;
		ndctl_xen_layout_set_reserve_per_page(l, v);
	}
	if (o->page_struct_size) {
		if (parse_size_opt(cmd, "page-struct-size", o->page_struct_size, &v))
			return EXIT_USAGE;
		/*
		 * 0 would silently mean the default and a value past 32 bits
		 * would wrap: refuse both as the library's page-struct-size
		 * rule refuses 32 or 70000 (same words, same exit class).
		 */
		if (v == 0 || v > UINT32_MAX) {
			cmd_error(cmd, "page-struct-size: --page-struct-size=%s: page_struct_size "
					"must be between 64 and 65535", o->page_struct_size);
			return EXIT_REFUSED;
		}
		ndctl_xen_layout_set_page_struct_size(l, (uint32_t)v);
	}
	if (o->reserve_owner) {
		if (strcmp(o->reserve_owner, "os") == 0)
			ndctl_xen_layout_set_reserve_owner(l, NDCTL_XEN_OWNER_OS, NULL);
		else if (strcmp(o->reserve_owner, "hypervisor") == 0)
			ndctl_xen_layout_set_reserve_owner(l,
					NDCTL_XEN_OWNER_HYPERVISOR, NULL);
		else
			ndctl_xen_layout_set_reserve_owner(l,
					NDCTL_XEN_OWNER_NAMED, o->reserve_owner);
	}
	return 0;
}

