/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-media format of the pfn/dax info block and of the reservation
 * record at the tail of its padding.  This header and pfn-sb.c are the
 * only places that touch raw on-media bytes.
 *
 * struct nd_pfn_sb mirrors the kernel's drivers/nvdimm/pfn.h.  Every
 * field is little-endian; the block is 4 KiB and lives at byte 4096 of
 * the namespace.  Versions 1.0 to 1.4 exist; the kernel reads older
 * minors with defaults for the fields they lack (nd_pfn_validate()).
 *
 * The reservation record (ours) occupies the last 64 bytes of
 * padding, block offsets 4024..4087, because kernel versions grow the
 * struct from the front of padding.  Documentation/pfn-reserve-format.txt
 * specifies it byte by byte.
 */
#ifndef NDCTL_XEN_PFN_SB_H
#define NDCTL_XEN_PFN_SB_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t le16;
typedef uint32_t le32;
typedef uint64_t le64;

#define NDX_SB_OFFSET 4096u
#define NDX_SB_SIZE 4096u
#define NDX_INFOBLOCK_SPAN 8192u /* what ndctl write-infoblock emits */
#define NDX_SIG_LEN 16
#define NDX_PFN_SIG "NVDIMM_PFN_INFO"
#define NDX_DAX_SIG "NVDIMM_DAX_INFO"
#define NDX_RSV_MAGIC "NDRESERV"
#define NDX_RSV_NAME_LEN 16
#define NDX_RSV_VERSION_MAJOR 1
#define NDX_RSV_VERSION_MINOR 0
#define NDX_SB_VERSION_MAJOR 1
#define NDX_SB_VERSION_MINOR 4

struct ndx_rsv_rec {
	uint8_t magic[8];
	le16 version_major;
	le16 version_minor;
	le32 length;
	le64 offset;
	le64 size;
	le32 owner;
	le32 per_page_bytes;
	uint8_t owner_name[NDX_RSV_NAME_LEN];
	le64 checksum;
};

struct nd_pfn_sb {
	uint8_t signature[NDX_SIG_LEN];
	uint8_t uuid[16];
	uint8_t parent_uuid[16];
	le32 flags;
	le16 version_major;
	le16 version_minor;
	le64 dataoff;
	le64 npfns;
	le32 mode;
	le32 start_pad;   /* minor >= 1 */
	le32 end_trunc;   /* minor >= 1 */
	le32 align;       /* minor >= 2 */
	le32 page_size;   /* minor >= 4 */
	le16 page_struct_size; /* minor >= 4 */
	uint8_t padding[3930];
	struct ndx_rsv_rec rsv; /* tail of the kernel's padding[3994] */
	le64 checksum;
};

#define NDX_ASSERT_AT(type, field, off) \
	static_assert(offsetof(struct type, field) == (off), #type "." #field)
static_assert(sizeof(struct ndx_rsv_rec) == 64, "record size");
NDX_ASSERT_AT(ndx_rsv_rec, magic, 0);
NDX_ASSERT_AT(ndx_rsv_rec, version_major, 8);
NDX_ASSERT_AT(ndx_rsv_rec, version_minor, 10);
NDX_ASSERT_AT(ndx_rsv_rec, length, 12);
NDX_ASSERT_AT(ndx_rsv_rec, offset, 16);
NDX_ASSERT_AT(ndx_rsv_rec, size, 24);
NDX_ASSERT_AT(ndx_rsv_rec, owner, 32);
NDX_ASSERT_AT(ndx_rsv_rec, per_page_bytes, 36);
NDX_ASSERT_AT(ndx_rsv_rec, owner_name, 40);
NDX_ASSERT_AT(ndx_rsv_rec, checksum, 56);
static_assert(sizeof(struct nd_pfn_sb) == NDX_SB_SIZE, "info block size");
NDX_ASSERT_AT(nd_pfn_sb, signature, 0);
NDX_ASSERT_AT(nd_pfn_sb, uuid, 16);
NDX_ASSERT_AT(nd_pfn_sb, parent_uuid, 32);
NDX_ASSERT_AT(nd_pfn_sb, flags, 48);
NDX_ASSERT_AT(nd_pfn_sb, version_major, 52);
NDX_ASSERT_AT(nd_pfn_sb, version_minor, 54);
NDX_ASSERT_AT(nd_pfn_sb, dataoff, 56);
NDX_ASSERT_AT(nd_pfn_sb, npfns, 64);
NDX_ASSERT_AT(nd_pfn_sb, mode, 72);
NDX_ASSERT_AT(nd_pfn_sb, start_pad, 76);
NDX_ASSERT_AT(nd_pfn_sb, end_trunc, 80);
NDX_ASSERT_AT(nd_pfn_sb, align, 84);
NDX_ASSERT_AT(nd_pfn_sb, page_size, 88);
NDX_ASSERT_AT(nd_pfn_sb, page_struct_size, 92);
NDX_ASSERT_AT(nd_pfn_sb, padding, 94);
NDX_ASSERT_AT(nd_pfn_sb, rsv, 4024);
NDX_ASSERT_AT(nd_pfn_sb, checksum, 4088);

/* The kernel's enum nd_pfn_mode */
enum ndx_pfn_mode { NDX_PFN_MODE_NONE = 0, NDX_PFN_MODE_RAM = 1, NDX_PFN_MODE_PMEM = 2 };

/* Host-endian view of a block; the only thing code outside pfn-sb.c sees. */
struct ndx_rsv_info {
	uint16_t version_major, version_minor;
	uint64_t offset, size;
	uint32_t owner;          /* enum ndctl_xen_owner */
	uint32_t per_page_bytes;
	char owner_name[NDX_RSV_NAME_LEN + 1];
	uint8_t owner_name_bytes[NDX_RSV_NAME_LEN]; /* as stored */
};

enum ndx_sb_status {
	NDX_SB_OK = 0,
	NDX_SB_NOT_INFOBLOCK,   /* neither signature */
	NDX_SB_BAD_CHECKSUM,
	NDX_SB_BAD_VERSION,     /* version_major != 1 */
};

enum ndx_rec_status {
	NDX_REC_PRESENT = 0,
	NDX_REC_ABSENT,         /* no magic: zero padding or a future field */
	NDX_REC_DAMAGED,        /* magic present, length or checksum wrong */
	NDX_REC_BAD_VERSION,    /* magic present, unknown major version */
};

struct ndx_pfn_info {
	int is_dax;             /* NVDIMM_DAX_INFO rather than NVDIMM_PFN_INFO */
	uint8_t uuid[16], parent_uuid[16];
	uint32_t flags;
	uint16_t version_major, version_minor;
	uint64_t dataoff, npfns;
	uint32_t mode;          /* enum ndx_pfn_mode */
	uint32_t start_pad, end_trunc, align, page_size;
	uint16_t page_struct_size;
	uint64_t checksum;      /* as stored */
	uint64_t checksum_calc; /* as computed (decode only) */
	enum ndx_rec_status rec_status;
	struct ndx_rsv_info rsv; /* valid when rec_status == NDX_REC_PRESENT */
};

uint64_t ndx_fletcher64(const void *buf, size_t len);
/* Writes a complete block (checksums included); has_rsv selects the record. */
void ndx_pfn_sb_encode(const struct ndx_pfn_info *info, int has_rsv,
		uint8_t block[NDX_SB_SIZE]);
/* Fills *info as far as the status allows; minor < 4 gets kernel defaults. */
enum ndx_sb_status ndx_pfn_sb_decode(const uint8_t block[NDX_SB_SIZE],
		struct ndx_pfn_info *info);
/* Test tools only: recompute the checksums of a hand-edited block. */
void ndx_pfn_sb_seal(uint8_t block[NDX_SB_SIZE], int record_too);
/*
 * Fault injection (NDCTL_XEN_FAULT, -Dtest-hooks=true builds only): make a valid block one the
 * kernel refuses: "parent-uuid" (it ignores the block and comes up raw) or
 * "dataoff" (4 KiB off its alignment: the probe fails).  0, or -1.
 */
int ndx_pfn_sb_spoil(uint8_t block[NDX_SB_SIZE], const char *what);
/*
 * The journal ndctl-xen keeps in a namespace's first 4 KiB (which no kernel
 * reads) while it replaces a valid block: a copy of that block, tagged in
 * its padding with "NDXJRNL1" and the uuid of the block written after it,
 * and sealed again so that it is a valid block itself.  The tag sits at
 * NDX_JRNL_OFFSET (32 bytes, zero in every kernel and ndctl-xen block).
 */
#define NDX_JRNL_OFFSET 3968u
#define NDX_JRNL_MAGIC "NDXJRNL1"
/* out = journal of a valid block old for the block with uuid tag; 0 or -1 */
int ndx_pfn_sb_journal_make(const uint8_t old[NDX_SB_SIZE], const uint8_t tag[16],
		uint8_t out[NDX_SB_SIZE]);
/* 0 when pad is a journal: old = the block as it was, tag = its tag; else -1 */
int ndx_pfn_sb_journal_open(const uint8_t pad[NDX_SB_SIZE], uint8_t old[NDX_SB_SIZE],
		uint8_t tag[16]);
/* The align the kernel uses: as stored, or 1 << ilog2(dataoff) when 0 */
uint64_t ndx_pfn_sb_align(const struct ndx_pfn_info *info);
const char *ndx_sb_status_name(enum ndx_sb_status s);
const char *ndx_rec_status_name(enum ndx_rec_status s);

#endif
