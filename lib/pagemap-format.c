// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state file's format: the one place that encodes and decodes its
 * bytes -- checkpoints of formats 1.0, 2.0 and 3.0, and log records.
 * It builds a map from a checkpoint and walks a map to write one
 * (pagemap.c's ndx_pm_build and ndx_pm_walk), and knows nothing of
 * files, locks or durability (pagemap-store.c) or of sparse views
 * (pagemap-sparse.c), which both call it.
 *
 * A CLI call makes one change and exits: building the whole tree from
 * the checkpoint (O(n)) would cost it more than the change.  A 3.0
 * checkpoint is laid out so that one call can do without: the ranges in
 * frame order and the domain index in (domid, gfn) order are sorted
 * arrays of fixed-size records (binary searchable in the mapped file), a
 * first-fit index gives the longest free range of every 64 ranges (and
 * of every 64 entries of the level below, up to one entry), the totals
 * are in the header, and the body is checksummed in 4 KiB chunks so that
 * what is read can be checked without reading the rest.
 *
 * Format 1.0, all fields little-endian:
 *   header, 64 bytes:
 *     0  magic "NDXPGMAP"          8  le16 version major (1), le16 minor (0)
 *    12  le32 header size (64)    16  le64 file size
 *    24  le32 number of areas     28  le32 range record size (32)
 *    32  le64 number of ranges    40  16 bytes zero
 *    56  le64 checksum: fletcher64 of the whole file with this field zero
 *   areas, 16 bytes each, in frame order: le64 smfn, le64 emfn
 *   ranges, 32 bytes each, in frame order, covering every area:
 *     le64 mfn, le64 nframes, le64 gfn, le32 domid, le32 flags (bit 0 broken)
 *
 * Format 2.0: a checkpoint, then the log.
 *   header, 96 bytes:
 *     0  magic "NDXPGMAP"          8  le16 version major (2), le16 minor (0)
 *    12  le32 header size (96)    16  le64 checkpoint size (where the log starts)
 *    24  le32 number of areas     28  le32 range record size (32)
 *    32  le64 number of ranges    40  le64 number of owned ranges
 *    48  le64 sequence number: operations the checkpoint includes
 *    56  le64 checksum: fletcher64 of the checkpoint with this field zero
 *    64  map id, 16 bytes: random at creation, kept by compaction
 *    80  16 bytes zero
 *   areas and ranges as in 1.0
 *   domain index: le64 place of each owned range in the ranges (0 is
 *     the first), in (domid, gfn) order (so a load builds both trees in
 *     O(n), without a sort or a search)
 *   log records, 56 bytes each, from the checkpoint's end to the file's:
 *     0  magic "NDXL"      4  le16 operation, le16 flags (0)
 *     8  le64 sequence number (the checkpoint's + 1, + 2, ...)
 *    16  le64 mfn         24  le64 nframes      32  le64 gfn
 *    40  le32 domid       44  le32 zero
 *    48  le64 checksum: fletcher64 of bytes 0-47 followed by the map id
 *
 * Format 3.0: a 256-byte header (the 2.0 fields at the same places, the
 * checksum over the head only, then chunk size, fan-out, number of
 * chunks, the totals), the areas, the body's chunk checksums, the body
 * (ranges, domain index, first-fit index) and the log as in 2.0; see
 * below and libndctl-xen(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagemap-file.h"
#include "private.h"

#define fail ndx_pm_fail

/* ---- checkpoints ---- */

uint64_t ndx_pm_checksum_at56(uint8_t *buf, size_t len)
{
	uint8_t saved[8];
	uint64_t sum;

	memcpy(saved, buf + PM_CHECKSUM_AT, 8);
	memset(buf + PM_CHECKSUM_AT, 0, 8);
	sum = ndx_fletcher64(buf, len);
	memcpy(buf + PM_CHECKSUM_AT, saved, 8);
	return sum;
}

/*
 * The header of a 1.0, 2.0 or 3.0 file of len bytes, checksum included
 * (1.0, 2.0: of the whole checkpoint; 3.0: of its head, the chunks are
 * checked where they are read).
 */
int ndx_pm_decode_header(struct ndctl_xen_pagemap *map, const char *path,
		uint8_t *buf, size_t len, struct ndx_pm_header *h)
{
	static const unsigned int hsizes[] = { 0, PM_HEADER_1, PM_HEADER_2, PM_HEADER_3 };
	uint64_t hsize, sum_len;

	memset(h, 0, sizeof(*h));
	if (len < 8 || memcmp(buf, PM_MAGIC, 8) != 0)
		return fail(map, -ENOMSG, "%s: not an ndctl-xen page map (no %s magic)",
				path, PM_MAGIC);
	if (len < PM_HEADER_1)
		return fail(map, -EBADMSG, "%s: damaged: %zu bytes, shorter than the %u-byte "
				"header", path, len, PM_HEADER_1);
	h->major = get16(buf + 8);
	if (h->major < 1 || h->major > 3)
		return fail(map, -EPROTONOSUPPORT, "%s: page map version %u.%u is not "
				"supported (only 1.x, 2.x and 3.x)", path, get16(buf + 8),
				get16(buf + 10));
	hsize = hsizes[h->major];
	h->ckpt_end = get64(buf + 16);
	/* 1.0: the size is the file's; 2.0, 3.0: the checkpoint's, the log follows */
	if (h->major == 1 ? h->ckpt_end != len : h->ckpt_end > len || h->ckpt_end < hsize)
		return fail(map, -EBADMSG, "%s: damaged: the header says %llu bytes, the file "
				"has %zu", path, (unsigned long long)h->ckpt_end, len);
	h->nareas = get32(buf + 24);
	h->nranges = get64(buf + 32);
	if (h->major >= 2) {
		h->nowned = get64(buf + 40);
		h->seq = get64(buf + 48);
		memcpy(h->id, buf + 64, 16);
	}
	if (get32(buf + 12) != hsize || get32(buf + 28) != PM_RANGE)
		return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
				"file's size", path);
	if (h->major == 3) {
		if (ndx_pm_v3_parse(buf, h->ckpt_end, h))
			return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
					"file's size", path);
		sum_len = h->head_len;
	} else {
		h->areas_at = hsize;
		h->ranges_at = hsize + h->nareas * PM_AREA;
		h->dom_at = h->ranges_at + h->nranges * PM_RANGE;
		if (h->nranges > (h->ckpt_end - hsize) / PM_RANGE || h->nowned > h->nranges ||
				h->nareas > (h->ckpt_end - hsize) / PM_AREA ||
				h->dom_at + h->nowned * PM_DOM != h->ckpt_end)
			return fail(map, -EBADMSG, "%s: damaged: header fields do not match the "
					"file's size", path);
		sum_len = h->ckpt_end;
	}
	if (get64(buf + PM_CHECKSUM_AT) != ndx_pm_checksum_at56(buf, sum_len))
		return fail(map, -EBADMSG, "%s: damaged: bad checksum %#llx, expected %#llx",
				path, (unsigned long long)get64(buf + PM_CHECKSUM_AT),
				(unsigned long long)ndx_pm_checksum_at56(buf, sum_len));
	return 0;
}

struct rec_src {
	const char *path;
	const uint8_t *ranges;
};

/* range i of a checkpoint, straight from the file's bytes */
static int get_rec(void *arg, uint64_t i, struct ndx_pm_rec *rec, char *why, size_t len)
{
	const struct rec_src *src = arg;
	int rc = ndx_pm_decode_range(src->ranges + i * PM_RANGE, rec);

	if (rc)
		snprintf(why, len, "range %llu (frame %#llx) has unknown flags",
				(unsigned long long)i, (unsigned long long)rec->mfn);
	return rc;
}

/* the checkpoint's records into the (empty) map */
int ndx_pm_decode_checkpoint(struct ndctl_xen_pagemap *map, const char *path,
		const uint8_t *buf, const struct ndx_pm_header *h)
{
	const uint8_t *p = buf + h->areas_at;
	struct rec_src src = { path, buf + h->ranges_at };
	uint64_t *areas, *by_dom = NULL, i;
	char why[200];
	int rc;

	if (h->major == 3) {
		rc = ndx_pm_v3_verify(buf, h, why, sizeof(why));
		if (rc)
			return fail(map, rc, "%s: damaged: %s", path, why);
	}
	areas = calloc(h->nareas ? 2 * h->nareas : 1, sizeof(*areas));
	if (h->major >= 2)
		by_dom = calloc(h->nowned ? h->nowned : 1, sizeof(*by_dom));
	if (!areas || (h->major >= 2 && !by_dom)) {
		rc = fail(map, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < h->nareas; i++, p += PM_AREA) {
		areas[2 * i] = get64(p);
		areas[2 * i + 1] = get64(p + 8);
	}
	p = buf + h->dom_at;
	for (i = 0; by_dom && i < h->nowned; i++, p += PM_DOM)
		by_dom[i] = get64(p);
	rc = ndx_pm_build(map, areas, h->nareas, get_rec, &src, h->nranges, by_dom,
			h->nowned, why, sizeof(why));
	if (rc == -EBADMSG)
		fail(map, rc, "%s: damaged: %s", path, why);
	else if (rc)
		fail(map, rc, "%s: %s", path, why);
out:
	free(areas);
	free(by_dom);
	return rc;
}

/* ---- log records ---- */

static uint64_t rec_checksum(const uint8_t *rec, const uint8_t *id)
{
	uint8_t buf[48 + 16];

	memcpy(buf, rec, 48);
	memcpy(buf + 48, id, 16);
	return ndx_fletcher64(buf, sizeof(buf));
}

void ndx_pm_encode_rec(uint8_t *rec, const struct ndx_pm_op *op, uint64_t seq,
		const uint8_t *id)
{
	memset(rec, 0, PM_REC);
	memcpy(rec, PM_REC_MAGIC, 4);
	put16(rec + 4, (uint16_t)op->type);
	put64(rec + 8, seq);
	put64(rec + 16, op->mfn);
	put64(rec + 24, op->nframes);
	put64(rec + 32, op->gfn);
	put32(rec + 40, op->domid);
	put64(rec + 48, rec_checksum(rec, id));
}

/* a whole record of this map with the expected sequence number */
int ndx_pm_rec_valid(const uint8_t *rec, const uint8_t *id, uint64_t seq)
{
	return memcmp(rec, PM_REC_MAGIC, 4) == 0 && get64(rec + 8) == seq &&
		get64(rec + 48) == rec_checksum(rec, id);
}

/* ---- format 3.0 ---- */

/* the first-fit index's levels for n ranges: their lengths, how many */
unsigned int ndx_pm_v3_ff_levels(uint64_t n, uint64_t *lens, uint64_t *total)
{
	unsigned int k = 0;

	*total = 0;
	while (n > 1 || (n == 1 && k == 0)) {
		n = (n + PM_FANOUT - 1) / PM_FANOUT;
		lens[k++] = n;
		*total += n;
		if (n == 1)
			break;
	}
	return k;
}

static uint64_t v3_body_len(uint64_t nranges, uint64_t nowned)
{
	uint64_t lens[PM_FF_LEVELS], ff;

	ndx_pm_v3_ff_levels(nranges, lens, &ff);
	return nranges * PM_RANGE + nowned * PM_DOM + ff * 8;
}

uint64_t ndx_pm_v3_head_len(uint64_t nareas, uint64_t nranges, uint64_t nowned)
{
	uint64_t body = v3_body_len(nranges, nowned);

	return PM_HEADER_3 + nareas * PM_AREA + (body + PM_CHUNK - 1) / PM_CHUNK * 8;
}

int ndx_pm_v3_parse(const uint8_t *buf, uint64_t len, struct ndx_pm_header *h)
{
	unsigned int i;

	if (len < PM_HEADER_3 || get32(buf + 80) != PM_CHUNK || get32(buf + 84) != PM_FANOUT)
		return -EBADMSG;
	/* bounded by the file's size (the caller's check) before any product */
	if (h->nareas > len / PM_AREA || h->nranges > len / PM_RANGE ||
			h->nowned > h->nranges)
		return -EBADMSG;
	h->nchunks = get64(buf + 88);
	/* one sum per chunk of the body, no more (a larger count would wrap below) */
	if (h->nchunks != (v3_body_len(h->nranges, h->nowned) + PM_CHUNK - 1) / PM_CHUNK)
		return -EBADMSG;
	h->head_len = ndx_pm_v3_head_len(h->nareas, h->nranges, h->nowned);
	h->areas_at = PM_HEADER_3;
	h->sums_at = h->areas_at + h->nareas * PM_AREA;
	h->body_at = h->sums_at + h->nchunks * 8;
	h->ranges_at = h->body_at;
	h->dom_at = h->ranges_at + h->nranges * PM_RANGE;
	if (h->body_at != h->head_len || h->head_len > len ||
			h->body_at + v3_body_len(h->nranges, h->nowned) != h->ckpt_end)
		return -EBADMSG;
	for (i = 0; i < 4; i++) {
		h->frames[i] = get64(buf + 96 + 8 * i);
		h->ranges[i] = get64(buf + 128 + 8 * i);
	}
	return 0;
}

int ndx_pm_v3_check_chunk(const uint8_t *buf, const struct ndx_pm_header *h, uint64_t c,
		char *why, size_t wlen)
{
	uint64_t body_len = h->ckpt_end - h->body_at, at = c * PM_CHUNK;
	uint64_t n = body_len - at < PM_CHUNK ? body_len - at : PM_CHUNK;
	uint64_t want = get64(buf + h->sums_at + 8 * c);

	if (ndx_fletcher64(buf + h->body_at + at, n) == want)
		return 0;
	snprintf(why, wlen, "checkpoint chunk %llu (bytes %llu-%llu) has a bad checksum",
			(unsigned long long)c, (unsigned long long)(h->body_at + at),
			(unsigned long long)(h->body_at + at + n));
	return -EBADMSG;
}

int ndx_pm_v3_verify(const uint8_t *buf, const struct ndx_pm_header *h, char *why,
		size_t wlen)
{
	uint64_t c;
	int rc;

	for (c = 0; c < h->nchunks; c++) {
		rc = ndx_pm_v3_check_chunk(buf, h, c, why, wlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- writing ---- */

struct v3_encoder {
	uint8_t *ranges, *dom, *ff0;
	uint64_t index;
};

static int enc_range(const struct ndx_pm_rec *r, void *arg)
{
	struct v3_encoder *e = arg;
	uint8_t *p = e->ranges + e->index * PM_RANGE, *m;

	put64(p, r->mfn);
	put64(p + 8, r->nframes);
	put64(p + 16, r->gfn);
	put32(p + 24, r->domid);
	put32(p + 28, r->broken ? PM_FLAG_BROKEN : 0);
	m = e->ff0 + e->index / PM_FANOUT * 8;
	if (r->domid == NDCTL_XEN_PAGEMAP_NO_DOMAIN && !r->broken && r->nframes > get64(m))
		put64(m, r->nframes);
	e->index++;
	return 0;
}

static int enc_dom(uint64_t index, void *arg)
{
	struct v3_encoder *e = arg;

	put64(e->dom, index);
	e->dom += PM_DOM;
	return 0;
}

int ndx_pm_encode_v3(struct ndctl_xen_pagemap *map, const uint8_t *id, uint64_t seq,
		uint8_t **out, size_t *len)
{
	uint64_t nranges = ndx_pm_nranges(map), nowned = ndx_pm_nowned(map);
	unsigned int nareas = ndctl_xen_pagemap_get_area_count(map), i, nlevels, k;
	uint64_t lens[PM_FF_LEVELS], ff, head, body, nchunks, smfn, emfn, j, c;
	struct v3_encoder e;
	uint8_t *buf, *level, *below;

	nlevels = ndx_pm_v3_ff_levels(nranges, lens, &ff);
	body = v3_body_len(nranges, nowned);
	nchunks = (body + PM_CHUNK - 1) / PM_CHUNK;
	head = ndx_pm_v3_head_len(nareas, nranges, nowned);
	/* bounded by memory already holding nranges nodes of 80 bytes */
	*len = (size_t)(head + body);
	buf = calloc(1, *len);
	if (!buf)
		return ndx_pm_fail(map, -ENOMEM, "out of memory");
	memcpy(buf, PM_MAGIC, 8);
	put16(buf + 8, 3);
	put16(buf + 10, 0);
	put32(buf + 12, PM_HEADER_3);
	put64(buf + 16, *len);
	put32(buf + 24, nareas);
	put32(buf + 28, PM_RANGE);
	put64(buf + 32, nranges);
	put64(buf + 40, nowned);
	put64(buf + 48, seq);
	memcpy(buf + 64, id, 16);
	put32(buf + 80, PM_CHUNK);
	put32(buf + 84, PM_FANOUT);
	put64(buf + 88, nchunks);
	for (i = 0; i < 4; i++) {
		put64(buf + 96 + 8 * i, ndctl_xen_pagemap_get_frames(map, i));
		put64(buf + 128 + 8 * i, ndctl_xen_pagemap_get_ranges(map, i));
	}
	for (i = 0; ndctl_xen_pagemap_get_area(map, i, &smfn, &emfn) == 0; i++) {
		put64(buf + PM_HEADER_3 + i * PM_AREA, smfn);
		put64(buf + PM_HEADER_3 + i * PM_AREA + 8, emfn);
	}
	e.ranges = buf + head;
	e.dom = e.ranges + nranges * PM_RANGE;
	e.ff0 = e.dom + nowned * PM_DOM;
	e.index = 0;
	ndx_pm_walk(map, enc_range, enc_dom, &e);
	/* the levels above the first: the largest of every 64 below */
	for (below = e.ff0, k = 1; k < nlevels; k++) {
		level = below + lens[k - 1] * 8;
		for (j = 0; j < lens[k - 1]; j++) {
			uint8_t *m = level + j / PM_FANOUT * 8;

			if (get64(below + j * 8) > get64(m))
				put64(m, get64(below + j * 8));
		}
		below = level;
	}
	for (c = 0; c < nchunks; c++) {
		uint64_t at = c * PM_CHUNK, n = body - at < PM_CHUNK ? body - at : PM_CHUNK;

		put64(buf + PM_HEADER_3 + nareas * PM_AREA + c * 8,
				ndx_fletcher64(buf + head + at, n));
	}
	put64(buf + PM_CHECKSUM_AT, ndx_pm_checksum_at56(buf, head));
	*out = buf;
	return 0;
}
