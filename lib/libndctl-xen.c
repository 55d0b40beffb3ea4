// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <inttypes.h>
#include "private.h"

/* ---- context and logging (libkmod / libndctl style) ---- */

void ndx_log(struct ndctl_xen_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *fmt, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, fmt);
	ctx->log_fn(ctx, priority, file, line, fn, fmt, args);
	va_end(args);
}

static int log_priority(const char *s)
{
	char *end;
	long prio = strtol(s, &end, 10);

	if (end != s && (*end == '\0' || *end == '\n'))
		return (int)prio;
	if (strncmp(s, "err", 3) == 0)
		return LOG_ERR;
	if (strncmp(s, "info", 4) == 0)
		return LOG_INFO;
	if (strncmp(s, "debug", 5) == 0)
		return LOG_DEBUG;
	return LOG_ERR;
}

NDX_EXPORT int ndctl_xen_new(struct ndctl_xen_ctx **out)
{
	struct ndctl_xen_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *env;

	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->lock_fd = -1;
	ctx->log_priority = LOG_ERR;
	env = getenv("NDCTL_XEN_LOG");
	if (env)
		ctx->log_priority = log_priority(env);
	*out = ctx;
	return 0;
}

NDX_EXPORT struct ndctl_xen_ctx *ndctl_xen_ref(struct ndctl_xen_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

NDX_EXPORT void ndctl_xen_unref(struct ndctl_xen_ctx *ctx)
{
	if (ctx && --ctx->refcount == 0) {
		if (ctx->lock_fd >= 0)
			close(ctx->lock_fd);
		if (ctx->store_opened && ctx->store_fd >= 0)
			close(ctx->store_fd);
		free(ctx);
	}
}

NDX_EXPORT void ndctl_xen_set_log_fn(struct ndctl_xen_ctx *ctx, ndctl_xen_log_fn fn)
{
	ctx->log_fn = fn;
}

NDX_EXPORT int ndctl_xen_get_log_priority(struct ndctl_xen_ctx *ctx)
{
	return ctx->log_priority;
}

NDX_EXPORT const char *ndctl_xen_get_last_error(struct ndctl_xen_ctx *ctx)
{
	return ctx->last_error;
}

NDX_EXPORT void ndctl_xen_set_log_priority(struct ndctl_xen_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

NDX_EXPORT void ndctl_xen_set_userdata(struct ndctl_xen_ctx *ctx, void *userdata)
{
	ctx->userdata = userdata;
}

NDX_EXPORT void *ndctl_xen_get_userdata(struct ndctl_xen_ctx *ctx)
{
	return ctx->userdata;
}

NDX_EXPORT const char *ndctl_xen_rule_name(enum ndctl_xen_rule rule)
{
	return ndx_rule_name(rule);
}

NDX_EXPORT const char *ndctl_xen_owner_name(enum ndctl_xen_owner owner)
{
	switch (owner) {
	case NDCTL_XEN_OWNER_NONE: return "none";
	case NDCTL_XEN_OWNER_OS: return "os";
	case NDCTL_XEN_OWNER_HYPERVISOR: return "hypervisor";
	case NDCTL_XEN_OWNER_NAMED: return "named";
	}
	return "unknown";
}

/* An attribute of /sys/bus/nd/devices/DEV, trailing white space cut */
int ndx_sysfs_read(const char *dev, const char *attr, char *buf, size_t len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "/bus/nd/devices/%s/%s", dev, attr);
	return ndx_sysfs_read_path(rel, buf, len);
}

/* ---- layouts ---- */


NDX_EXPORT int ndctl_xen_layout_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_xen_layout **out)
{
	struct ndctl_xen_layout *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->refcount = 1;
	l->ctx = ndctl_xen_ref(ctx);
	l->req.mode = NDCTL_XEN_MODE_FSDAX;
	l->req.map = NDCTL_XEN_MAP_DEV;
	*out = l;
	return 0;
}

NDX_EXPORT struct ndctl_xen_layout *ndctl_xen_layout_ref(struct ndctl_xen_layout *l)
{
	if (l)
		l->refcount++;
	return l;
}

NDX_EXPORT void ndctl_xen_layout_unref(struct ndctl_xen_layout *l)
{
	if (!l || --l->refcount)
		return;
	ndctl_xen_unref(l->ctx);
	free(l);
}

#define LAYOUT_SETTER(name, field, type) \
NDX_EXPORT void ndctl_xen_layout_set_##name(struct ndctl_xen_layout *l, type v) \
{ \
	l->req.field = v; \
	l->computed = 0; \
}
LAYOUT_SETTER(size, size, uint64_t)
LAYOUT_SETTER(phys_start, phys_start, uint64_t)
LAYOUT_SETTER(mode, mode, enum ndctl_xen_mode)
LAYOUT_SETTER(page_struct_size, page_struct_size, uint32_t)
LAYOUT_SETTER(reserve, reserve_size, uint64_t)
LAYOUT_SETTER(reserve_per_page, reserve_per_page, uint64_t)

/* map and align: the caller's choice, which the platform's defaults keep */
NDX_EXPORT void ndctl_xen_layout_set_map(struct ndctl_xen_layout *l, enum ndctl_xen_map map)
{
	l->req.map = map;
	l->req.given |= NDX_GIVEN_MAP;
	l->computed = 0;
}

NDX_EXPORT void ndctl_xen_layout_set_align(struct ndctl_xen_layout *l, uint64_t align)
{
	l->req.align = align;
	l->req.given |= NDX_GIVEN_ALIGN;
	l->computed = 0;
}

NDX_EXPORT void ndctl_xen_layout_set_reserve_owner(struct ndctl_xen_layout *l,
		enum ndctl_xen_owner owner, const char *name)
{
	l->req.owner = owner;
	memset(l->req.owner_name, 0, sizeof(l->req.owner_name));
	if (name)
		snprintf(l->req.owner_name, sizeof(l->req.owner_name), "%s", name);
	l->computed = 0;
}

NDX_EXPORT int ndctl_xen_layout_compute(struct ndctl_xen_layout *l)
{
	int rc = ndx_layout_compute(&l->req, &l->out, &l->fault);

	l->computed = rc == 0;
	if (rc)
		dbg(l->ctx, "layout refused: %s: %s\n",
				ndx_rule_name(l->fault.rule), l->fault.msg);
	return rc;
}

NDX_EXPORT int ndctl_xen_layout_compute_for_data_size(struct ndctl_xen_layout *l,
		uint64_t data_size, uint64_t granule)
{
	int rc = ndx_layout_for_data_size(&l->req, data_size, granule, &l->out, &l->fault);

	l->computed = rc == 0;
	if (rc) {
		dbg(l->ctx, "no size for %#" PRIx64 " bytes of data: %s: %s\n", data_size,
				ndx_rule_name(l->fault.rule), l->fault.msg);
		return rc;
	}
	l->req.size = l->out.req.size;
	return 0;
}

NDX_EXPORT enum ndctl_xen_rule ndctl_xen_layout_get_rule(struct ndctl_xen_layout *l)
{
	return l->fault.rule;
}

NDX_EXPORT const char *ndctl_xen_layout_get_error(struct ndctl_xen_layout *l)
{
	return l->fault.msg;
}

NDX_EXPORT const char *ndctl_xen_layout_get_remedy(struct ndctl_xen_layout *l,
		const char **value)
{
	int has = l->fault.rule != NDCTL_XEN_RULE_NONE && l->fault.remedy_key;

	if (value)
		*value = has ? l->fault.remedy_value : NULL;
	return has ? l->fault.remedy_key : NULL;
}

#define LAYOUT_GETTER(name, type, expr) \
NDX_EXPORT type ndctl_xen_layout_get_##name(struct ndctl_xen_layout *l) \
{ \
	return (type)(expr); \
}
/* inputs: as set until computed, then as normalised (align 0 -> 2M, ...) */
#define LAYOUT_INPUT(l) ((l)->computed ? &(l)->out.req : &(l)->req)
LAYOUT_GETTER(size, uint64_t, LAYOUT_INPUT(l)->size)
LAYOUT_GETTER(phys_start, uint64_t, LAYOUT_INPUT(l)->phys_start)
LAYOUT_GETTER(mode, enum ndctl_xen_mode, LAYOUT_INPUT(l)->mode)
LAYOUT_GETTER(map, enum ndctl_xen_map, LAYOUT_INPUT(l)->map)
LAYOUT_GETTER(align, uint64_t, LAYOUT_INPUT(l)->align)
LAYOUT_GETTER(page_struct_size, uint32_t, LAYOUT_INPUT(l)->page_struct_size)
LAYOUT_GETTER(dataoff, uint64_t, l->out.dataoff)
LAYOUT_GETTER(npfns, uint64_t, l->out.npfns)
LAYOUT_GETTER(end_trunc, uint64_t, l->out.end_trunc)
LAYOUT_GETTER(memmap_end, uint64_t, l->out.memmap_end)
LAYOUT_GETTER(reserve_offset, uint64_t, l->out.reserve_offset)
LAYOUT_GETTER(reserve_size, uint64_t, l->out.reserve_size)
LAYOUT_GETTER(reserve_owner, enum ndctl_xen_owner, l->out.owner)
LAYOUT_GETTER(reserve_owner_name, const char *, l->out.req.owner_name)
LAYOUT_GETTER(reserve_per_page, uint64_t, l->out.req.reserve_per_page)
LAYOUT_GETTER(data_offset, uint64_t, l->out.data_offset)
LAYOUT_GETTER(data_size, uint64_t, l->out.data_size)
LAYOUT_GETTER(max_reserve, uint64_t, l->out.max_reserve)

static void layout_to_info(const struct ndx_layout *o, struct ndx_pfn_info *info)
{
	memset(info, 0, sizeof(*info));
	info->is_dax = o->req.mode == NDCTL_XEN_MODE_DEVDAX;
	info->version_major = NDX_SB_VERSION_MAJOR;
	info->version_minor = NDX_SB_VERSION_MINOR;
	info->dataoff = o->dataoff;
	info->npfns = o->npfns;
	info->mode = o->req.map == NDCTL_XEN_MAP_DEV ? NDX_PFN_MODE_PMEM
		: NDX_PFN_MODE_RAM;
	info->end_trunc = (uint32_t)o->end_trunc;
	info->align = (uint32_t)o->req.align;
	info->page_size = NDX_SZ_4K;
	info->page_struct_size = (uint16_t)o->req.page_struct_size;
	info->rsv.version_major = NDX_RSV_VERSION_MAJOR;
	info->rsv.version_minor = NDX_RSV_VERSION_MINOR;
	info->rsv.offset = o->reserve_offset;
	info->rsv.size = o->reserve_size;
	info->rsv.owner = o->owner;
	info->rsv.per_page_bytes = (uint32_t)o->req.reserve_per_page;
	if (o->owner == NDCTL_XEN_OWNER_NAMED)
		memcpy(info->rsv.owner_name, o->req.owner_name,
				NDX_RSV_NAME_LEN);
}

NDX_EXPORT int ndctl_xen_layout_encode(struct ndctl_xen_layout *l,
		const unsigned char *uuid, const unsigned char *parent_uuid,
		void *buf, size_t len)
{
	struct ndx_pfn_info info;

	if (!l->computed || len < NDX_INFOBLOCK_SPAN)
		return -EINVAL;
	layout_to_info(&l->out, &info);
	if (uuid)
		memcpy(info.uuid, uuid, 16);
	else
		uuid_generate(info.uuid);
	if (parent_uuid)
		memcpy(info.parent_uuid, parent_uuid, 16);
	memset(buf, 0, NDX_SB_OFFSET);
	ndx_pfn_sb_encode(&info, l->out.reserve_size != 0,
			(uint8_t *)buf + NDX_SB_OFFSET);
	return 0;
}

/* ---- decoded info blocks ---- */

struct ndctl_xen_infoblock {
	int refcount;
	struct ndctl_xen_ctx *ctx;
	enum ndx_sb_status status;
	struct ndx_pfn_info info;
};

NDX_EXPORT int ndctl_xen_infoblock_decode(struct ndctl_xen_ctx *ctx,
		const void *buf, size_t len, struct ndctl_xen_infoblock **out)
{
	struct ndctl_xen_infoblock *ib;

	if (len < NDX_INFOBLOCK_SPAN)
		return -EINVAL;
	ib = calloc(1, sizeof(*ib));
	if (!ib)
		return -ENOMEM;
	ib->refcount = 1;
	ib->ctx = ndctl_xen_ref(ctx);
	ib->status = ndx_pfn_sb_decode((const uint8_t *)buf + NDX_SB_OFFSET,
			&ib->info);
	if (ib->status == NDX_SB_BAD_CHECKSUM)
		info(ctx, "info block checksum: expected %#llx, found %#llx\n",
				(unsigned long long)ib->info.checksum_calc,
				(unsigned long long)ib->info.checksum);
	*out = ib;
	return 0;
}

NDX_EXPORT int ndctl_xen_infoblock_read(struct ndctl_xen_ctx *ctx,
		const char *path, uint64_t offset, struct ndctl_xen_infoblock **out)
{
	uint8_t buf[NDX_INFOBLOCK_SPAN];
	size_t got = 0;
	int fd, rc = 0;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		err(ctx, "%s: open: %s\n", path, strerror(errno));
		return rc;
	}
	if (fd != STDIN_FILENO && offset && lseek(fd, (off_t)offset, SEEK_SET) < 0)
		rc = -errno;
	while (!rc && got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else
			got += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!rc && got < sizeof(buf)) {
		err(ctx, "%s: %zu bytes, an info block needs %u\n", path, got,
				NDX_INFOBLOCK_SPAN);
		rc = -ENODATA;
	}
	if (rc)
		return rc;
	return ndctl_xen_infoblock_decode(ctx, buf, sizeof(buf), out);
}

NDX_EXPORT struct ndctl_xen_infoblock *ndctl_xen_infoblock_ref(
		struct ndctl_xen_infoblock *ib)
{
	if (ib)
		ib->refcount++;
	return ib;
}

NDX_EXPORT void ndctl_xen_infoblock_unref(struct ndctl_xen_infoblock *ib)
{
	if (!ib || --ib->refcount)
		return;
	ndctl_xen_unref(ib->ctx);
	free(ib);
}

NDX_EXPORT enum ndctl_xen_block_status ndctl_xen_infoblock_get_status(
		struct ndctl_xen_infoblock *ib)
{
	return (enum ndctl_xen_block_status)ib->status;
}

NDX_EXPORT const char *ndctl_xen_block_status_name(enum ndctl_xen_block_status s)
{
	return ndx_sb_status_name((enum ndx_sb_status)s);
}

NDX_EXPORT enum ndctl_xen_record_status ndctl_xen_infoblock_get_record_status(
		struct ndctl_xen_infoblock *ib)
{
	return (enum ndctl_xen_record_status)ib->info.rec_status;
}

NDX_EXPORT const char *ndctl_xen_record_status_name(enum ndctl_xen_record_status s)
{
	return ndx_rec_status_name((enum ndx_rec_status)s);
}

NDX_EXPORT enum ndctl_xen_mode ndctl_xen_infoblock_get_mode(struct ndctl_xen_infoblock *ib)
{
	return ib->info.is_dax ? NDCTL_XEN_MODE_DEVDAX : NDCTL_XEN_MODE_FSDAX;
}

NDX_EXPORT const char *ndctl_xen_infoblock_get_signature(struct ndctl_xen_infoblock *ib)
{
	if (ib->status == NDX_SB_NOT_INFOBLOCK)
		return "";
	return ib->info.is_dax ? NDX_DAX_SIG : NDX_PFN_SIG;
}

NDX_EXPORT void ndctl_xen_infoblock_get_uuid(struct ndctl_xen_infoblock *ib,
		unsigned char uuid[16])
{
	memcpy(uuid, ib->info.uuid, 16);
}

NDX_EXPORT void ndctl_xen_infoblock_get_parent_uuid(struct ndctl_xen_infoblock *ib,
		unsigned char uuid[16])
{
	memcpy(uuid, ib->info.parent_uuid, 16);
}

#define IB_GETTER(name, type, expr) \
NDX_EXPORT type ndctl_xen_infoblock_get_##name(struct ndctl_xen_infoblock *ib) \
{ \
	return (type)(expr); \
}
IB_GETTER(flags, uint32_t, ib->info.flags)
IB_GETTER(version_major, unsigned int, ib->info.version_major)
IB_GETTER(version_minor, unsigned int, ib->info.version_minor)
IB_GETTER(dataoff, uint64_t, ib->info.dataoff)
IB_GETTER(npfns, uint64_t, ib->info.npfns)
IB_GETTER(pfn_mode, uint32_t, ib->info.mode)
IB_GETTER(start_pad, uint32_t, ib->info.start_pad)
IB_GETTER(end_trunc, uint32_t, ib->info.end_trunc)
IB_GETTER(align, uint32_t, ib->info.align)
IB_GETTER(page_size, uint32_t, ib->info.page_size)
IB_GETTER(page_struct_size, uint32_t, ib->info.page_struct_size)
IB_GETTER(checksum, uint64_t, ib->info.checksum)
IB_GETTER(record_version_major, unsigned int, ib->info.rsv.version_major)
IB_GETTER(record_version_minor, unsigned int, ib->info.rsv.version_minor)
IB_GETTER(reserve_offset, uint64_t, ib->info.rsv.offset)
IB_GETTER(reserve_size, uint64_t, ib->info.rsv.size)
IB_GETTER(reserve_owner, enum ndctl_xen_owner, ib->info.rsv.owner)
IB_GETTER(reserve_owner_name, const char *, ib->info.rsv.owner_name)
IB_GETTER(reserve_per_page, uint32_t, ib->info.rsv.per_page_bytes)

/*
 * The kernel's rules first: a block it refuses gets -EINVAL with that
 * rule.  Then ndctl-xen's own: a block with a record must pass them all
 * (else the record is not to be trusted: -EINVAL); a block without one
 * that breaks only ours is still a Linux block with no reservation: 0,
 * with the rule in l->policy.
 */
int ndx_layout_from_block(struct ndctl_xen_layout *l, const struct ndx_pfn_info *in,
		uint64_t size, uint64_t phys_start)
{
	struct ndx_recorded rec = { 0 };
	struct ndx_layout full;
	int rc;

	if (!size) {
		/* what nd_pfn_init() wrote: npfns covers dataoff..end-end_trunc */
		size = in->npfns * NDX_SZ_4K;
		if (__builtin_add_overflow(size, in->dataoff, &size) ||
				__builtin_add_overflow(size, in->end_trunc, &size) ||
				__builtin_add_overflow(size, in->start_pad, &size) ||
				in->npfns > UINT64_MAX / NDX_SZ_4K)
			size = 0;
	}
	memset(&l->req, 0, sizeof(l->req));
	l->req.size = size;
	l->req.phys_start = phys_start;
	l->req.mode = in->is_dax ? NDCTL_XEN_MODE_DEVDAX : NDCTL_XEN_MODE_FSDAX;
	l->req.map = in->mode == NDX_PFN_MODE_PMEM ? NDCTL_XEN_MAP_DEV
		: in->mode == NDX_PFN_MODE_RAM ? NDCTL_XEN_MAP_MEM : 0;
	l->req.align = in->align;
	l->req.page_struct_size = in->page_struct_size;
	rec.dataoff = in->dataoff;
	rec.npfns = in->npfns;
	rec.start_pad = in->start_pad;
	rec.end_trunc = in->end_trunc;
	rec.page_size = in->page_size;
	l->policy.rule = NDCTL_XEN_RULE_NONE;
	l->policy.msg[0] = '\0';
	l->computed = 0;
	rc = ndx_kernel_check(&l->req, &rec, &l->out, &l->fault);
	if (rc)
		return rc;
	l->req.align = ndx_pfn_sb_align(in);
	if (in->rec_status == NDX_REC_PRESENT) {
		rec.reserve_offset = in->rsv.offset;
		rec.reserve_size = in->rsv.size;
		rec.reserve_per_page = in->rsv.per_page_bytes;
		rec.has_name_bytes = 1;
		memcpy(rec.owner_name_bytes, in->rsv.owner_name_bytes,
				sizeof(rec.owner_name_bytes));
		l->req.reserve_size = in->rsv.size;
		l->req.reserve_per_page = in->rsv.per_page_bytes;
		l->req.owner = in->rsv.owner;
		memcpy(l->req.owner_name, in->rsv.owner_name,
				sizeof(in->rsv.owner_name));
	}
	rc = ndx_layout_check(&l->req, &rec, &full, &l->policy);
	if (rc == 0) {
		l->out = full;
		/* as recorded: 0 (map=mem, where nothing reads it) stays 0 */
		l->out.req.page_struct_size = in->page_struct_size;
		l->computed = 1;
		return 0;
	}
	if (rec.reserve_size) {
		/* an inconsistent record: the geometry, no reservation */
		l->fault = l->policy;
		return rc;
	}
	l->out.req.align = l->req.align;
	l->computed = 1;
	return 0;
}

NDX_EXPORT int ndctl_xen_infoblock_get_layout(struct ndctl_xen_infoblock *ib,
		uint64_t size, uint64_t phys_start, struct ndctl_xen_layout **out)
{
	struct ndctl_xen_layout *l;
	int rc;

	if (ib->status != NDX_SB_OK)
		return -ENXIO;
	rc = ndctl_xen_layout_new(ib->ctx, &l);
	if (rc)
		return rc;
	rc = ndx_layout_from_block(l, &ib->info, size, phys_start);
	l->source = NDCTL_XEN_SOURCE_INFOBLOCK;
	l->verified = 1;
	*out = l;
	return rc;
}
