// SPDX-License-Identifier: LGPL-2.1-or-later
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "pfn-sb.h"

/*
 * The kernel's nd_fletcher64() as used by nd_sb_checksum(): the buffer
 * is read as little-endian 32-bit words.  Words are assembled from
 * bytes so that no pointer cast breaks strict aliasing.
 */
uint64_t ndx_fletcher64(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t lo = 0, hi = 0;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		lo += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
			(uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		hi += lo;
	}
	return (uint64_t)hi << 32 | lo;
}

/* The record's checksum covers its bytes before the checksum field. */
static uint64_t rsv_checksum(const struct ndx_rsv_rec *rec)
{
	return ndx_fletcher64(rec, offsetof(struct ndx_rsv_rec, checksum));
}

/* The block's checksum: fletcher64 over 4 KiB with the field zeroed. */
static uint64_t sb_checksum(const struct nd_pfn_sb *sb)
{
	struct nd_pfn_sb tmp;

	memcpy(&tmp, sb, sizeof(tmp));
	tmp.checksum = 0;
	return ndx_fletcher64(&tmp, sizeof(tmp));
}

void ndx_pfn_sb_encode(const struct ndx_pfn_info *info, int has_rsv,
		uint8_t block[NDX_SB_SIZE])
{
	struct nd_pfn_sb sb;

	memset(&sb, 0, sizeof(sb));
	memcpy(sb.signature, info->is_dax ? NDX_DAX_SIG : NDX_PFN_SIG,
			NDX_SIG_LEN);
	memcpy(sb.uuid, info->uuid, 16);
	memcpy(sb.parent_uuid, info->parent_uuid, 16);
	sb.flags = htole32(info->flags);
	sb.version_major = htole16(info->version_major);
	sb.version_minor = htole16(info->version_minor);
	sb.dataoff = htole64(info->dataoff);
	sb.npfns = htole64(info->npfns);
	sb.mode = htole32(info->mode);
	sb.start_pad = htole32(info->start_pad);
	sb.end_trunc = htole32(info->end_trunc);
	sb.align = htole32(info->align);
	sb.page_size = htole32(info->page_size);
	sb.page_struct_size = htole16(info->page_struct_size);
	if (has_rsv) {
		const struct ndx_rsv_info *r = &info->rsv;

		memcpy(sb.rsv.magic, NDX_RSV_MAGIC, sizeof(sb.rsv.magic));
		sb.rsv.version_major = htole16(r->version_major);
		sb.rsv.version_minor = htole16(r->version_minor);
		sb.rsv.length = htole32(sizeof(sb.rsv));
		sb.rsv.offset = htole64(r->offset);
		sb.rsv.size = htole64(r->size);
		sb.rsv.owner = htole32(r->owner);
		sb.rsv.per_page_bytes = htole32(r->per_page_bytes);
		memcpy(sb.rsv.owner_name, r->owner_name,
				strnlen(r->owner_name, NDX_RSV_NAME_LEN));
		sb.rsv.checksum = htole64(rsv_checksum(&sb.rsv));
	}
	sb.checksum = htole64(sb_checksum(&sb));
	memcpy(block, &sb, sizeof(sb));
}

void ndx_pfn_sb_seal(uint8_t block[NDX_SB_SIZE], int record_too)
{
	struct nd_pfn_sb sb;

	memcpy(&sb, block, sizeof(sb));
	if (record_too)
		sb.rsv.checksum = htole64(rsv_checksum(&sb.rsv));
	sb.checksum = htole64(sb_checksum(&sb));
	memcpy(block, &sb, sizeof(sb));
}

static_assert(NDX_JRNL_OFFSET >= offsetof(struct nd_pfn_sb, padding) &&
		NDX_JRNL_OFFSET + 32 <= offsetof(struct nd_pfn_sb, rsv),
		"the journal tag lies in the padding before the record");

int ndx_pfn_sb_journal_make(const uint8_t old[NDX_SB_SIZE], const uint8_t tag[16],
		uint8_t out[NDX_SB_SIZE])
{
	static const uint8_t zero[32];
	struct ndx_pfn_info info;

	if (ndx_pfn_sb_decode(old, &info) != NDX_SB_OK ||
			memcmp(old + NDX_JRNL_OFFSET, zero, sizeof(zero)) != 0)
		return -1;
	memcpy(out, old, NDX_SB_SIZE);
	memcpy(out + NDX_JRNL_OFFSET, NDX_JRNL_MAGIC, 8);
	memcpy(out + NDX_JRNL_OFFSET + 8, tag, 16);
	ndx_pfn_sb_seal(out, 0);
	return 0;
}

int ndx_pfn_sb_journal_open(const uint8_t pad[NDX_SB_SIZE], uint8_t old[NDX_SB_SIZE],
		uint8_t tag[16])
{
	struct ndx_pfn_info info;

	if (ndx_pfn_sb_decode(pad, &info) != NDX_SB_OK ||
			memcmp(pad + NDX_JRNL_OFFSET, NDX_JRNL_MAGIC, 8) != 0)
		return -1;
	memcpy(tag, pad + NDX_JRNL_OFFSET + 8, 16);
	memcpy(old, pad, NDX_SB_SIZE);
	memset(old + NDX_JRNL_OFFSET, 0, 32);
	ndx_pfn_sb_seal(old, 0);
	return 0;
}

#if NDX_TEST_HOOKS
int ndx_pfn_sb_spoil(uint8_t block[NDX_SB_SIZE], const char *what)
{
	struct ndx_pfn_info info;
	int has_rsv;

	if (ndx_pfn_sb_decode(block, &info) != NDX_SB_OK)
		return -1;
	has_rsv = info.rec_status == NDX_REC_PRESENT;
	if (strcmp(what, "parent-uuid") == 0)
		info.parent_uuid[15] ^= 0xff;
	else if (strcmp(what, "dataoff") == 0)
		info.dataoff += 4096;
	else
		return -1;
	ndx_pfn_sb_encode(&info, has_rsv, block);
	return 0;
}
#endif

static enum ndx_rec_status decode_rsv(const struct ndx_rsv_rec *rec,
		struct ndx_rsv_info *r)
{
	memset(r, 0, sizeof(*r));
	if (memcmp(rec->magic, NDX_RSV_MAGIC, sizeof(rec->magic)) != 0)
		return NDX_REC_ABSENT;
	/*
	 * The version comes before the checksum: a later major version may
	 * lay out (and checksum) the rest differently.
	 */
	r->version_major = le16toh(rec->version_major);
	r->version_minor = le16toh(rec->version_minor);
	if (r->version_major != NDX_RSV_VERSION_MAJOR)
		return NDX_REC_BAD_VERSION;
	if (le32toh(rec->length) != sizeof(*rec) ||
			le64toh(rec->checksum) != rsv_checksum(rec))
		return NDX_REC_DAMAGED;
	r->offset = le64toh(rec->offset);
	r->size = le64toh(rec->size);
	r->owner = le32toh(rec->owner);
	r->per_page_bytes = le32toh(rec->per_page_bytes);
	memcpy(r->owner_name, rec->owner_name, NDX_RSV_NAME_LEN);
	r->owner_name[NDX_RSV_NAME_LEN] = '\0';
	memcpy(r->owner_name_bytes, rec->owner_name, NDX_RSV_NAME_LEN);
	return NDX_REC_PRESENT;
}

enum ndx_sb_status ndx_pfn_sb_decode(const uint8_t block[NDX_SB_SIZE],
		struct ndx_pfn_info *info)
{
	struct nd_pfn_sb sb;
	int bad_checksum;

	memcpy(&sb, block, sizeof(sb));
	memset(info, 0, sizeof(*info));
	info->rec_status = NDX_REC_ABSENT;
	if (memcmp(sb.signature, NDX_DAX_SIG, NDX_SIG_LEN) == 0)
		info->is_dax = 1;
	else if (memcmp(sb.signature, NDX_PFN_SIG, NDX_SIG_LEN) != 0)
		return NDX_SB_NOT_INFOBLOCK;

	info->checksum = le64toh(sb.checksum);
	info->checksum_calc = sb_checksum(&sb);
	/*
	 * A bad checksum is reported, never hidden; the fields are decoded
	 * all the same, so that a reader can show what the block says
	 * (forensics, as ndctl read-infoblock shows it).  Nothing else may
	 * trust them: the status says the block is not valid.
	 */
	bad_checksum = info->checksum != info->checksum_calc;

	memcpy(info->uuid, sb.uuid, 16);
	memcpy(info->parent_uuid, sb.parent_uuid, 16);
	info->flags = le32toh(sb.flags);
	info->version_major = le16toh(sb.version_major);
	info->version_minor = le16toh(sb.version_minor);
	if (info->version_major != NDX_SB_VERSION_MAJOR)
		return bad_checksum ? NDX_SB_BAD_CHECKSUM : NDX_SB_BAD_VERSION;
	info->dataoff = le64toh(sb.dataoff);
	info->npfns = le64toh(sb.npfns);
	info->mode = le32toh(sb.mode);
	/* Defaults for older minors, as nd_pfn_validate() applies them. */
	if (info->version_minor >= 1) {
		info->start_pad = le32toh(sb.start_pad);
		info->end_trunc = le32toh(sb.end_trunc);
	}
	if (info->version_minor >= 2)
		info->align = le32toh(sb.align);
	if (info->version_minor >= 4) {
		info->page_size = le32toh(sb.page_size);
		info->page_struct_size = le16toh(sb.page_struct_size);
	} else {
		info->page_size = 4096;
		info->page_struct_size = 64;
	}
	info->rec_status = decode_rsv(&sb.rsv, &info->rsv);
	return bad_checksum ? NDX_SB_BAD_CHECKSUM : NDX_SB_OK;
}

uint64_t ndx_pfn_sb_align(const struct ndx_pfn_info *info)
{
	if (info->align || !info->dataoff)
		return info->align;
	return 1ull << (63 - __builtin_clzll(info->dataoff));
}

const char *ndx_sb_status_name(enum ndx_sb_status s)
{
	switch (s) {
	case NDX_SB_OK: return "ok";
	case NDX_SB_NOT_INFOBLOCK: return "not-an-info-block";
	case NDX_SB_BAD_CHECKSUM: return "bad-checksum";
	case NDX_SB_BAD_VERSION: return "unsupported-version";
	}
	return "unknown";
}

const char *ndx_rec_status_name(enum ndx_rec_status s)
{
	switch (s) {
	case NDX_REC_PRESENT: return "present";
	case NDX_REC_ABSENT: return "absent";
	case NDX_REC_DAMAGED: return "damaged";
	case NDX_REC_BAD_VERSION: return "unsupported-version";
	}
	return "unknown";
}
