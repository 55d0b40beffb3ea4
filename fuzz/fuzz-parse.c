// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the size parser and the layout option parser: the
 * input is split at NUL bytes into the values of --size, --mode, --map,
 * --align, --reserve, --reserve-per-page, --reserve-owner and
 * --page-struct-size.  A size that parses must print back to itself; a
 * set of options that applies must compute or be refused with a rule.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "layout-opts.h"
#include "util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndctl_xen_ctx *ctx;
	char buf[512], again[32], *field[8] = { 0 };
	const char **slot;
	struct layout_opts o = { 0 };
	struct ndctl_xen_layout *l;
	uint64_t v, w;
	size_t i, n = 0;

	if (!ctx) {
		if (ndctl_xen_new(&ctx) < 0)
			abort();
		/* the parsers' one-line errors are expected here */
		cmd_error_quiet = 1;
	}
	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	field[n++] = buf;
	for (i = 0; i < size && n < 8; i++)
		if (buf[i] == '\0')
			field[n++] = buf + i + 1;

	if (util_parse_size(field[0], &v) == 0) {
		snprintf(again, sizeof(again), "%" PRIu64, v);
		if (util_parse_size(again, &w) != 0 || w != v)
			abort();
	}
	slot = &o.size;
	o.size = field[0];
	o.mode = field[1];
	o.map = field[2];
	o.align = field[3];
	o.reserve = field[4];
	o.reserve_per_page = field[5];
	o.reserve_owner = field[6];
	o.page_struct_size = field[7];
	(void)slot;
	if (ndctl_xen_layout_new(ctx, &l) < 0)
		abort();
	if (apply_layout_opts("fuzz", &o, l) == 0 && ndctl_xen_layout_compute(l) != 0 &&
			ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_NONE)
		abort();
	ndctl_xen_layout_unref(l);
	return 0;
}
