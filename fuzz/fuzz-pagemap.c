// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the page map's state file loader (formats 1.0 and
 * 2.0: checkpoint and log): the input's first byte chooses whether the
 * checkpoint's checksum is made valid first (bit 0), so that mutations
 * reach the header, record and log checks instead of stopping at the
 * checksum; the rest is the file.  A map the loader accepts must pass
 * every invariant; a refused load must leave it empty.  The file is a
 * real one (the loader refuses anything but a regular file).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ndctl/libndctl-xen.h>

#include "pagemap.h"
#include "pfn-sb.h"

#define CHECKSUM_AT 56

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndctl_xen_ctx *ctx;
	static int fd = -1;
	struct ndctl_xen_pagemap *map;
	uint64_t sum, ckpt;
	char why[256];
	uint8_t *file;
	size_t len, sealed;

	if (!ctx && ndctl_xen_new(&ctx) < 0)
		abort();
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/ndx-fuzz-pagemap.XXXXXX");
		fd = mkstemp(path);
		if (fd < 0 || atexit(remove_file))
			abort();
	}
	if (size < 1)
		return 0;
	len = size - 1;
	file = malloc(len ? len : 1);
	if (!file)
		abort();
	memcpy(file, data + 1, len);
	if ((data[0] & 1) && len >= CHECKSUM_AT + 8) {
		/* 2.0 seals its checkpoint (the size at byte 16), 1.0 the file */
		memcpy(&ckpt, file + 16, 8);
		ckpt = le64toh(ckpt);
		sealed = file[8] == 2 && ckpt >= CHECKSUM_AT + 8 && ckpt <= len ? ckpt : len;
		memset(file + CHECKSUM_AT, 0, 8);
		sum = htole64(ndx_fletcher64(file, sealed));
		memcpy(file + CHECKSUM_AT, &sum, 8);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, file, len, 0) != (ssize_t)len)
		abort();
	if (ndctl_xen_pagemap_new(ctx, &map))
		abort();
	if (ndctl_xen_pagemap_load(map, path) == 0) {
		if (ndx_pagemap_check(map, why, sizeof(why))) {
			fprintf(stderr, "loaded map breaks an invariant: %s\n", why);
			abort();
		}
	} else if (ndctl_xen_pagemap_get_area_count(map) != 0 ||
			ndctl_xen_pagemap_get_ranges(map, NDCTL_XEN_PAGEMAP_FREE) != 0) {
		fprintf(stderr, "a refused load left something in the map\n");
		abort();
	}
	ndctl_xen_pagemap_unref(map);
	free(file);
	return 0;
}
