// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the page map's state file loader: the input's
 * first byte chooses whether the file's checksum is made valid first
 * (bit 0), so that mutations reach the header and record checks instead
 * of stopping at the checksum; the rest is the file.  A map the loader
 * accepts must pass every invariant; a refused load must leave it empty.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ndctl/libndctl-xen.h>

#include "pagemap.h"
#include "pfn-sb.h"

#define CHECKSUM_AT 56

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndctl_xen_ctx *ctx;
	struct ndctl_xen_pagemap *map;
	char path[64], why[256];
	uint8_t *file;
	uint64_t sum;
	size_t len;
	int fd;

	if (!ctx && ndctl_xen_new(&ctx) < 0)
		abort();
	if (size < 1)
		return 0;
	len = size - 1;
	file = malloc(len ? len : 1);
	if (!file)
		abort();
	memcpy(file, data + 1, len);
	if ((data[0] & 1) && len >= CHECKSUM_AT + 8) {
		memset(file + CHECKSUM_AT, 0, 8);
		sum = htole64(ndx_fletcher64(file, len));
		memcpy(file + CHECKSUM_AT, &sum, 8);
	}
	fd = memfd_create("pagemap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, file, len) != (ssize_t)len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
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
	close(fd);
	free(file);
	return 0;
}
