/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state file's format (pagemap-format.c, which describes it, as
 * libndctl-xen(3) does): the one module that encodes and decodes its
 * bytes.  The layers go one way: pagemap.c (the map in memory) knows no
 * files; pagemap-format.c reads and writes the bytes, building a map
 * from them or walking one; pagemap-sparse.c (a view of a mapped 3.0
 * checkpoint) and pagemap-store.c (the file, its lock, its log and
 * durability) use both; pagemap-ops.c (the API's changes) goes through
 * the store.
 */
#ifndef NDCTL_XEN_PAGEMAP_FILE_H
#define NDCTL_XEN_PAGEMAP_FILE_H

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pagemap.h"

#define PM_MAGIC "NDXPGMAP"
#define PM_HEADER_1 64u
#define PM_HEADER_2 96u
#define PM_HEADER_3 256u
#define PM_AREA 16u
#define PM_RANGE 32u
#define PM_DOM 8u
#define PM_CHECKSUM_AT 56u
#define PM_FLAG_BROKEN 1u
#define PM_REC 56u
#define PM_REC_MAGIC "NDXL"
/* 3.0: the body is checksummed in chunks; the first-fit index's fan-out */
#define PM_CHUNK 4096u
#define PM_FANOUT 64u
#define PM_FF_LEVELS 8u

static inline void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

/* a 32-byte range record: 0, or -EBADMSG for flags unknown here */
static inline int ndx_pm_decode_range(const uint8_t *p, struct ndx_pm_rec *rec)
{
	uint32_t flags = get32(p + 28);

	rec->mfn = get64(p);
	rec->nframes = get64(p + 8);
	rec->gfn = get64(p + 16);
	rec->domid = get32(p + 24);
	rec->broken = flags & PM_FLAG_BROKEN;
	return flags & ~PM_FLAG_BROKEN ? -EBADMSG : 0;
}

/* a checkpoint's header, checked (version 1, 2 or 3) */
struct ndx_pm_header {
	unsigned int major;
	uint64_t ckpt_end, nareas, nranges, nowned, seq;
	uint8_t id[16];
	/* where the parts start, from the file's beginning */
	uint64_t areas_at, ranges_at, dom_at;
	/* 3.0 only */
	uint64_t nchunks, sums_at, body_at, head_len;
	uint64_t frames[4], ranges[4];
};

/* fletcher64 of buf with the 8 bytes at PM_CHECKSUM_AT taken as zero */
uint64_t ndx_pm_checksum_at56(uint8_t *buf, size_t len);

/*
 * The header of a 1.0, 2.0 or 3.0 file of len bytes, checked, checksum
 * included (1.0, 2.0: of the whole checkpoint; 3.0: of its head): 0, or
 * -ENOMSG (not a page map), -EPROTONOSUPPORT or -EBADMSG, the map's
 * message naming path.  decode_checkpoint: the checkpoint into an empty
 * map (3.0: every chunk checked).
 */
int ndx_pm_decode_header(struct ndctl_xen_pagemap *map, const char *path, uint8_t *buf,
		size_t len, struct ndx_pm_header *h);
int ndx_pm_decode_checkpoint(struct ndctl_xen_pagemap *map, const char *path,
		const uint8_t *buf, const struct ndx_pm_header *h);

/*
 * Log records: encode op as record seq of the map with this id;
 * rec_valid: a whole record of this map with sequence number seq.
 */
void ndx_pm_encode_rec(uint8_t *rec, const struct ndx_pm_op *op, uint64_t seq,
		const uint8_t *id);
int ndx_pm_rec_valid(const uint8_t *rec, const uint8_t *id, uint64_t seq);

/*
 * Format 3.0.  v3_parse: the 3.0 fields of a header
 * whose head (header, areas, chunk sums) is in buf, its checksum already
 * checked by the caller: 0 or -EBADMSG.  v3_verify: every chunk's
 * checksum (a whole load).  encode_v3: the whole map as a checkpoint, in
 * a new buffer.
 */
uint64_t ndx_pm_v3_head_len(uint64_t nareas, uint64_t nranges, uint64_t nowned);
int ndx_pm_v3_parse(const uint8_t *buf, uint64_t len, struct ndx_pm_header *h);
int ndx_pm_v3_verify(const uint8_t *buf, const struct ndx_pm_header *h, char *why,
		size_t wlen);
/* the first-fit index's levels for n ranges: their lengths, how many */
unsigned int ndx_pm_v3_ff_levels(uint64_t n, uint64_t *lens, uint64_t *total);
/* body chunk c's checksum: 0, or -EBADMSG with why set */
int ndx_pm_v3_check_chunk(const uint8_t *buf, const struct ndx_pm_header *h, uint64_t c,
		char *why, size_t wlen);
int ndx_pm_encode_v3(struct ndctl_xen_pagemap *map, const uint8_t *id, uint64_t seq,
		uint8_t **out, size_t *len);

/*
 * A sparse view of a 3.0 checkpoint: the map holds only the ranges the
 * changes so far needed (ndx_pm_sparse_begin), read from the file's
 * mapped checkpoint on demand, each 4 KiB chunk checked the first time.
 * sparse_apply loads what op needs, then applies it (ndx_pm_apply's
 * contract); -EBADMSG (message set, naming path) when the checkpoint is
 * damaged.
 */
struct ndx_sparse;
int ndx_sparse_open(struct ndctl_xen_pagemap *map, const char *path, int fd,
		const struct ndx_pm_header *h, struct ndx_sparse **out);
int ndx_sparse_apply(struct ndctl_xen_pagemap *map, struct ndx_sparse *sp,
		struct ndx_pm_op *op);
void ndx_sparse_free(struct ndx_sparse *sp);

#endif
