// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the page map's state file loader (formats 1.0,
 * 2.0 and 3.0: checkpoint and log): the input's first byte chooses
 * whether the checkpoint's checksums are made valid first (bit 0; 3.0:
 * every chunk's, then the head's), so that mutations reach the header,
 * record and log checks instead of stopping at a checksum; the rest is
 * the file.  A map the loader accepts must pass every invariant; a
 * refused load must leave it empty.  Then (bit 1) the file is opened
 * sparse, as the CLI opens it, and a few changes made through the view:
 * each must return (ASan watches how).  The file is a real one (the
 * loader refuses anything but a regular file).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ndctl/libndctl-xen.h>

#include "pagemap-file.h"
#include "pfn-sb.h"

#define CHECKSUM_AT 56

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

/* 3.0: every chunk's checksum made right; the head's length, to seal */
static size_t seal_v3(uint8_t *file, size_t len)
{
	struct ndx_pm_header h = { .major = 3 };
	uint64_t c, n;

	h.ckpt_end = get64(file + 16);
	h.nareas = get32(file + 24);
	h.nranges = get64(file + 32);
	h.nowned = get64(file + 40);
	if (h.ckpt_end > len || ndx_pm_v3_parse(file, h.ckpt_end, &h))
		return len;
	/* the parsed header is the fuzzer's: seal only chunks inside ckpt_end */
	for (c = 0; c < h.nchunks && h.body_at <= h.ckpt_end &&
			c < (h.ckpt_end - h.body_at + PM_CHUNK - 1) / PM_CHUNK &&
			h.sums_at + 8 * (c + 1) <= len; c++) {
		n = h.ckpt_end - h.body_at - c * PM_CHUNK;
		put64(file + h.sums_at + 8 * c, ndx_fletcher64(file + h.body_at + c * PM_CHUNK,
					n < PM_CHUNK ? n : PM_CHUNK));
	}
	return h.head_len;
}

/* a few changes through a sparse view: whatever the file, they return */
static void sparse_changes(struct ndctl_xen_ctx *ctx)
{
	struct ndctl_xen_pagemap *map;
	uint64_t s, e, mfn;
	uint32_t doms[4];
	size_t nd;

	if (ndctl_xen_pagemap_new(ctx, &map))
		abort();
	if (ndctl_xen_pagemap_open(map, path, NDCTL_XEN_PAGEMAP_SPARSE) == 0 &&
			ndctl_xen_pagemap_get_area(map, 0, &s, &e) == 0) {
		/* refusals are fine: damage is found where it is read */
		int rc = ndctl_xen_pagemap_assign_any(map, 4000, 0, 1, &mfn);

		rc |= ndctl_xen_pagemap_mark_broken(map, s + (e - s) / 2, 2, doms, 4, &nd);
		rc |= ndctl_xen_pagemap_assign(map, 4001, 7, s, 1);
		rc |= ndctl_xen_pagemap_release_domain(map, 1, NULL);
		rc |= ndctl_xen_pagemap_clear_broken(map, s, e - s);
		(void)rc;
	}
	ndctl_xen_pagemap_unref(map);
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
		if (file[8] == 3 && len >= PM_HEADER_3)
			sealed = seal_v3(file, len);
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
	if (data[0] & 2)
		sparse_changes(ctx);
	free(file);
	return 0;
}
