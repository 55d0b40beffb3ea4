/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libndctl-xen: provision and find a reserved area between an NVDIMM
 * namespace's pfn info block and its data.
 *
 * Conventions (those of libndctl): opaque objects with ref/unref,
 * constructors of the form int foo_new(..., struct foo **out), and
 * functions that return 0 or -errno.  The library never prints; it logs
 * through its context (priority from NDCTL_XEN_LOG: err, info, debug or
 * a number).
 */
#ifndef _LIBNDCTL_XEN_H_
#define _LIBNDCTL_XEN_H_

#include <stdarg.h>
#include <stdint.h>
#include <ndctl/libndctl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NDCTL_XEN_MUST_CHECK __attribute__((warn_unused_result))

struct ndctl_xen_ctx;

int ndctl_xen_new(struct ndctl_xen_ctx **ctx) NDCTL_XEN_MUST_CHECK;
struct ndctl_xen_ctx *ndctl_xen_ref(struct ndctl_xen_ctx *ctx);
void ndctl_xen_unref(struct ndctl_xen_ctx *ctx);
typedef void (*ndctl_xen_log_fn)(struct ndctl_xen_ctx *ctx, int priority,
		const char *file, int line, const char *fn,
		const char *format, va_list args);
void ndctl_xen_set_log_fn(struct ndctl_xen_ctx *ctx, ndctl_xen_log_fn fn);
int ndctl_xen_get_log_priority(struct ndctl_xen_ctx *ctx);
void ndctl_xen_set_log_priority(struct ndctl_xen_ctx *ctx, int priority);
void ndctl_xen_set_userdata(struct ndctl_xen_ctx *ctx, void *userdata);
void *ndctl_xen_get_userdata(struct ndctl_xen_ctx *ctx);

/* Namespace personality: which signature the info block carries. */
enum ndctl_xen_mode {
	NDCTL_XEN_MODE_FSDAX = 1,  /* NVDIMM_PFN_INFO */
	NDCTL_XEN_MODE_DEVDAX = 2, /* NVDIMM_DAX_INFO */
};

/* Where Linux keeps its struct pages: the kernel's PFN_MODE_* values. */
enum ndctl_xen_map {
	NDCTL_XEN_MAP_MEM = 1, /* PFN_MODE_RAM: in DRAM */
	NDCTL_XEN_MAP_DEV = 2, /* PFN_MODE_PMEM: on the device */
};

/* Who the reserved area belongs to (the record's owner field). */
enum ndctl_xen_owner {
	NDCTL_XEN_OWNER_NONE = 0,
	NDCTL_XEN_OWNER_OS = 1,         /* the running OS's page structures */
	NDCTL_XEN_OWNER_HYPERVISOR = 2, /* e.g. Xen's frame table and M2P */
	NDCTL_XEN_OWNER_NAMED = 3,      /* another consumer, named in the record */
};

/* The rule a refused layout or an inconsistent block broke. */
enum ndctl_xen_rule {
	NDCTL_XEN_RULE_NONE = 0,
	NDCTL_XEN_RULE_SIZE,             /* size > 8 KiB, 4 KiB multiple, end below 2^52 */
	NDCTL_XEN_RULE_START_ALIGN,      /* physical start 2 MiB aligned */
	NDCTL_XEN_RULE_ALIGN,            /* align one of 4K, 2M, 1G */
	NDCTL_XEN_RULE_MODE,             /* mode/map known */
	NDCTL_XEN_RULE_PAGE_STRUCT_SIZE, /* 64 <= page_struct_size <= 65535 */
	NDCTL_XEN_RULE_RESERVE_REQUEST,  /* at most one of size / per-page */
	NDCTL_XEN_RULE_OWNER,            /* owner valid, name 1..16 printable */
	NDCTL_XEN_RULE_OVERFLOW,         /* arithmetic overflows 64 bits */
	NDCTL_XEN_RULE_NO_DATA_PAGE,     /* no aligned data page left */
	NDCTL_XEN_RULE_DATAOFF_ALIGN,    /* dataoff multiple of align and 4K */
	NDCTL_XEN_RULE_MEMMAP,           /* map=dev dataoff holds the memmap */
	NDCTL_XEN_RULE_RESERVE_PLACE,    /* reserve within [floor, dataoff) */
	NDCTL_XEN_RULE_NPFNS,            /* npfns matches the data area */
	NDCTL_XEN_RULE_END_TRUNC,        /* end_trunc/start_pad as the kernel sets them */
	NDCTL_XEN_RULE_PAGE_SIZE,        /* page_size <= 4096 in map=dev */
	NDCTL_XEN_RULE_PLATFORM,         /* what the running kernel can map */
};
const char *ndctl_xen_rule_name(enum ndctl_xen_rule rule);

/*
 * A layout: the inputs of a namespace (size, physical start, mode, map,
 * align, page_struct_size, reservation request) and, after compute, the
 * positions the kernel and consumers need.  Offsets are relative to the
 * namespace base, like the info block's dataoff.
 */
struct ndctl_xen_layout;

int ndctl_xen_layout_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_xen_layout **layout) NDCTL_XEN_MUST_CHECK;
struct ndctl_xen_layout *ndctl_xen_layout_ref(struct ndctl_xen_layout *layout);
void ndctl_xen_layout_unref(struct ndctl_xen_layout *layout);

void ndctl_xen_layout_set_size(struct ndctl_xen_layout *l, uint64_t size);
void ndctl_xen_layout_set_phys_start(struct ndctl_xen_layout *l, uint64_t start);
void ndctl_xen_layout_set_mode(struct ndctl_xen_layout *l, enum ndctl_xen_mode mode);
void ndctl_xen_layout_set_map(struct ndctl_xen_layout *l, enum ndctl_xen_map map);
void ndctl_xen_layout_set_align(struct ndctl_xen_layout *l, uint64_t align);
void ndctl_xen_layout_set_page_struct_size(struct ndctl_xen_layout *l, uint32_t bytes);
/* At most one of the two; 0 clears.  Sizes round up to 4 KiB. */
void ndctl_xen_layout_set_reserve(struct ndctl_xen_layout *l, uint64_t size);
void ndctl_xen_layout_set_reserve_per_page(struct ndctl_xen_layout *l, uint64_t bytes);
/* name is used with NDCTL_XEN_OWNER_NAMED only; copied. */
void ndctl_xen_layout_set_reserve_owner(struct ndctl_xen_layout *l,
		enum ndctl_xen_owner owner, const char *name);

/* 0, or -EINVAL with the broken rule and a message naming the numbers. */
int ndctl_xen_layout_compute(struct ndctl_xen_layout *l) NDCTL_XEN_MUST_CHECK;
/*
 * As compute, but the size is chosen: the smallest multiple of granule
 * (0: the layout's effective align, max(align, 2 MiB)) whose data area
 * holds at least data_size bytes after the memmap, the reserve and
 * alignment; get_size then answers it.  0, or -EINVAL as compute
 * (NDCTL_XEN_RULE_OVERFLOW or _SIZE when no size holds it).
 * Since LIBNDCTL_XEN_4.
 */
int ndctl_xen_layout_compute_for_data_size(struct ndctl_xen_layout *l,
		uint64_t data_size, uint64_t granule) NDCTL_XEN_MUST_CHECK;
enum ndctl_xen_rule ndctl_xen_layout_get_rule(struct ndctl_xen_layout *l);
const char *ndctl_xen_layout_get_error(struct ndctl_xen_layout *l);
/*
 * LIBNDCTL_XEN_4.  After a refusal, the setting that would satisfy the
 * rule when there is one: its name as the setter's ("align", "map") with
 * *value ("4K", "mem"); else NULL.  get_error's message leaves it out, so
 * that a caller names it in its own words (an option, a key of a file).
 */
const char *ndctl_xen_layout_get_remedy(struct ndctl_xen_layout *l, const char **value);

uint64_t ndctl_xen_layout_get_size(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_phys_start(struct ndctl_xen_layout *l);
enum ndctl_xen_mode ndctl_xen_layout_get_mode(struct ndctl_xen_layout *l);
enum ndctl_xen_map ndctl_xen_layout_get_map(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_align(struct ndctl_xen_layout *l);
uint32_t ndctl_xen_layout_get_page_struct_size(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_dataoff(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_npfns(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_end_trunc(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_memmap_end(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_reserve_offset(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_reserve_size(struct ndctl_xen_layout *l);
enum ndctl_xen_owner ndctl_xen_layout_get_reserve_owner(struct ndctl_xen_layout *l);
const char *ndctl_xen_layout_get_reserve_owner_name(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_reserve_per_page(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_data_offset(struct ndctl_xen_layout *l);
uint64_t ndctl_xen_layout_get_data_size(struct ndctl_xen_layout *l);
/* The largest reservation the same inputs accept (0 if none fits). */
uint64_t ndctl_xen_layout_get_max_reserve(struct ndctl_xen_layout *l);

/*
 * Write the namespace's first 8 KiB for a computed layout: 4 KiB of
 * zeros, then the info block with its reservation record.  uuid or
 * parent_uuid may be NULL (generated / all zero).
 */
int ndctl_xen_layout_encode(struct ndctl_xen_layout *l,
		const unsigned char *uuid, const unsigned char *parent_uuid,
		void *buf, size_t len) NDCTL_XEN_MUST_CHECK;

/* A decoded info block. */
enum ndctl_xen_block_status {
	NDCTL_XEN_BLOCK_OK = 0,
	NDCTL_XEN_BLOCK_NOT_INFOBLOCK,
	NDCTL_XEN_BLOCK_BAD_CHECKSUM,
	NDCTL_XEN_BLOCK_BAD_VERSION,
};
enum ndctl_xen_record_status {
	NDCTL_XEN_RECORD_PRESENT = 0,
	NDCTL_XEN_RECORD_ABSENT,
	NDCTL_XEN_RECORD_DAMAGED,
	NDCTL_XEN_RECORD_BAD_VERSION,
};

struct ndctl_xen_infoblock;

/* buf holds the namespace's first len >= 8192 bytes. */
int ndctl_xen_infoblock_decode(struct ndctl_xen_ctx *ctx, const void *buf,
		size_t len, struct ndctl_xen_infoblock **ib) NDCTL_XEN_MUST_CHECK;
/* Reads 8 KiB at offset of a file or block device ("-" is stdin). */
int ndctl_xen_infoblock_read(struct ndctl_xen_ctx *ctx, const char *path,
		uint64_t offset, struct ndctl_xen_infoblock **ib) NDCTL_XEN_MUST_CHECK;
struct ndctl_xen_infoblock *ndctl_xen_infoblock_ref(struct ndctl_xen_infoblock *ib);
void ndctl_xen_infoblock_unref(struct ndctl_xen_infoblock *ib);

enum ndctl_xen_block_status ndctl_xen_infoblock_get_status(struct ndctl_xen_infoblock *ib);
const char *ndctl_xen_block_status_name(enum ndctl_xen_block_status s);
enum ndctl_xen_record_status ndctl_xen_infoblock_get_record_status(struct ndctl_xen_infoblock *ib);
const char *ndctl_xen_record_status_name(enum ndctl_xen_record_status s);

enum ndctl_xen_mode ndctl_xen_infoblock_get_mode(struct ndctl_xen_infoblock *ib);
const char *ndctl_xen_infoblock_get_signature(struct ndctl_xen_infoblock *ib);
void ndctl_xen_infoblock_get_uuid(struct ndctl_xen_infoblock *ib, unsigned char uuid[16]);
void ndctl_xen_infoblock_get_parent_uuid(struct ndctl_xen_infoblock *ib, unsigned char uuid[16]);
uint32_t ndctl_xen_infoblock_get_flags(struct ndctl_xen_infoblock *ib);
unsigned int ndctl_xen_infoblock_get_version_major(struct ndctl_xen_infoblock *ib);
unsigned int ndctl_xen_infoblock_get_version_minor(struct ndctl_xen_infoblock *ib);
uint64_t ndctl_xen_infoblock_get_dataoff(struct ndctl_xen_infoblock *ib);
uint64_t ndctl_xen_infoblock_get_npfns(struct ndctl_xen_infoblock *ib);
/* The raw mode field: 1 (PFN_MODE_RAM, map=mem) or 2 (PFN_MODE_PMEM, map=dev). */
uint32_t ndctl_xen_infoblock_get_pfn_mode(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_start_pad(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_end_trunc(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_align(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_page_size(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_page_struct_size(struct ndctl_xen_infoblock *ib);
uint64_t ndctl_xen_infoblock_get_checksum(struct ndctl_xen_infoblock *ib);
/* Record fields; meaningful when the record status is PRESENT. */
unsigned int ndctl_xen_infoblock_get_record_version_major(struct ndctl_xen_infoblock *ib);
unsigned int ndctl_xen_infoblock_get_record_version_minor(struct ndctl_xen_infoblock *ib);
uint64_t ndctl_xen_infoblock_get_reserve_offset(struct ndctl_xen_infoblock *ib);
uint64_t ndctl_xen_infoblock_get_reserve_size(struct ndctl_xen_infoblock *ib);
enum ndctl_xen_owner ndctl_xen_infoblock_get_reserve_owner(struct ndctl_xen_infoblock *ib);
const char *ndctl_xen_infoblock_get_reserve_owner_name(struct ndctl_xen_infoblock *ib);
uint32_t ndctl_xen_infoblock_get_reserve_per_page(struct ndctl_xen_infoblock *ib);

/*
 * The layout a block describes, for a namespace of size bytes at phys
 * start (size 0: derived from the block).  Returns 0 with *out set when
 * the block is consistent with every rule; -EINVAL with *out still set
 * (rule and message inside) when it is not; other -errno otherwise.
 */
int ndctl_xen_infoblock_get_layout(struct ndctl_xen_infoblock *ib,
		uint64_t size, uint64_t phys_start,
		struct ndctl_xen_layout **out) NDCTL_XEN_MUST_CHECK;

const char *ndctl_xen_owner_name(enum ndctl_xen_owner owner);

/*
 * Live namespaces (libndctl).  One provisioning at a time per host: the
 * lock is a flock on /run/ndctl-xen.lock, waited for up to wait_seconds
 * (-EBUSY after that); it nests within one context.
 */
int ndctl_xen_lock(struct ndctl_xen_ctx *ctx, int wait_seconds) NDCTL_XEN_MUST_CHECK;
void ndctl_xen_unlock(struct ndctl_xen_ctx *ctx);
/* One line saying why ndctl_xen_lock() returned rc. */
const char *ndctl_xen_lock_error(int rc);

/* Overwrite an info block, a BTT or a filesystem/partition signature. */
#define NDCTL_XEN_PROVISION_FORCE (1u << 0)

/*
 * Give ndns the layout l describes (its size, start and parent uuid are
 * taken from ndns): view it raw, write the info block at byte 4096, let
 * the kernel probe it, and check that the pfn/dax device starts at
 * dataoff with the expected size.  On any failure after the first write
 * the old first 8 KiB are written back and probed again.  why (may be
 * NULL) receives a one-line explanation.  Returns 0; -EINVAL (layout
 * refused, rule in l), -EBUSY (in use, or locked), -EEXIST (holds data,
 * no FORCE), -ENXIO (the kernel did not adopt it; restored), another
 * -errno (restored), or -ENOTRECOVERABLE (restore failed).
 */
int ndctl_xen_namespace_provision(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout *l,
		unsigned int flags, char *why, size_t why_len) NDCTL_XEN_MUST_CHECK;

/*
 * As provision, for a namespace just created with the label name
 * NDCTL_XEN_PENDING_NAME: it is renamed to name ("" for none) once its
 * info block is complete, before the kernel probes it.  A power cut
 * before that leaves a namespace that ndctl_xen_namespace_recover()
 * deletes.
 */
#define NDCTL_XEN_PENDING_NAME "ndctl-xen:pending"
int ndctl_xen_namespace_provision_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout *l,
		unsigned int flags, const char *name, char *why,
		size_t why_len) NDCTL_XEN_MUST_CHECK;

/*
 * Host intent records (LIBNDCTL_XEN_2).  Recovery acts only on what this
 * host recorded before writing, never on the media alone: before creating
 * a namespace's label (uuid, NDCTL_XEN_PENDING_NAME, size), a client
 * marks its uuid with ndctl_xen_namespace_mark_new(); the record is on
 * the host's disk when it returns 0 (fsync'd).  provision_new removes it
 * once the namespace is complete; after a failure the client deletes the
 * namespace and then calls ndctl_xen_namespace_unmark().  Records live in
 * /var/lib/ndctl-xen, or in $NDCTL_XEN_STATE_DIR (an absolute path, read
 * with secure_getenv), a directory of the caller's that nobody else can
 * write.  0 or -errno (-EINVAL for a null uuid).
 */
int ndctl_xen_namespace_mark_new(struct ndctl_xen_ctx *ctx,
		const unsigned char uuid[16]) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_namespace_unmark(struct ndctl_xen_ctx *ctx, const unsigned char uuid[16]);
/*
 * Why the last failed call that says so here failed, in words a caller can
 * show as they are ("" when none has): ndctl_xen_namespace_mark_new().
 * Since LIBNDCTL_XEN_4.
 */
const char *ndctl_xen_get_last_error(struct ndctl_xen_ctx *ctx);

/*
 * After a power cut: finish what an interrupted provisioning left, only
 * where this host's intent record names the namespace (a namespace
 * without one is not touched at all, whatever its media or label say).
 * A new namespace this host marked that is still named
 * NDCTL_XEN_PENDING_NAME is deleted (its first 8 KiB zeroed first).  For a
 * recorded rewrite the kernel did not adopt whose first 4 KiB hold the
 * journal with the record's tag: when the block in place is torn or is
 * that tagged block, and the journaled block passes every layout rule for
 * the namespace's size, the previous one is put back and the kernel
 * probes it again.  The record is then removed.  Returns 0 with *done
 * saying what was done, or -errno (-EBUSY in use, -EINVAL a malformed
 * record).
 */
enum ndctl_xen_recovery {
	NDCTL_XEN_RECOVERY_NONE = 0,
	NDCTL_XEN_RECOVERY_JOURNAL = 1, /* the previous block put back */
	NDCTL_XEN_RECOVERY_REMOVED = 2, /* an unfinished new namespace deleted */
};
int ndctl_xen_namespace_recover(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, enum ndctl_xen_recovery *done,
		char *why, size_t why_len) NDCTL_XEN_MUST_CHECK;

/*
 * Query: the layout of a live namespace, an image file or a block device.
 * Every answer says where it came from (get_source) and which fields it
 * does not know (get_unknown); nothing is guessed.
 *
 * From a namespace, without changing its state:
 * - claimed by an enabled pfn/dax device (fsdax, devdax): its info block
 *   is behind the data device.  A kernel with kernel/patches/ applied
 *   shows the block it adopted (source KERNEL, verified); once a bound
 *   device has shown none (a stock kernel), ctx does not look again.  If
 *   this host's block store (see
 *   ndctl_xen_namespace_remember) holds the block whose uuid sysfs shows,
 *   and its dataoff, mode, map and align agree with sysfs, the answer is
 *   that block's, exactly (source STORE, verified).  Otherwise sysfs alone
 *   (source SYSFS): the geometry (dataoff, data area, end_trunc; the
 *   kernel's own dataoff, so the gap above it), with the reservation,
 *   owner, per-page bytes and page_struct_size unknown (getters return 0).
 * - enabled raw: the block is read from the block device (source
 *   INFOBLOCK, the media) and kept in the store.
 * - disabled: the block this host last saw on it (source STORE, not
 *   verified: nothing live to check it against), or -ENXIO.  With
 *   NDCTL_XEN_QUERY_READ_DISABLED it is enabled raw for the read (under
 *   the provisioning lock) and disabled again: a disable/enable.
 * 0; -EINVAL with *out set when the block breaks one of the kernel's
 * rules or carries a record that breaks one of ndctl-xen's (get_rule,
 * get_error); -ENXIO when there is nothing to read; another -errno.  A
 * block without a record that breaks only ndctl-xen's stricter policy
 * returns 0, with the rule in get_policy_rule.
 */
enum ndctl_xen_source {
	NDCTL_XEN_SOURCE_COMPUTED = 0,  /* ndctl_xen_layout_compute() */
	NDCTL_XEN_SOURCE_INFOBLOCK = 1, /* read from the media: the block and its record */
	NDCTL_XEN_SOURCE_SYSFS = 2,     /* sysfs alone: geometry, see get_unknown() */
	NDCTL_XEN_SOURCE_STORE = 3,     /* this host's copy of the block (LIBNDCTL_XEN_3) */
	NDCTL_XEN_SOURCE_KERNEL = 4,    /* the kernel's adopted block (info_block, LIBNDCTL_XEN_4) */
};
/* Fields an answer does not know (their getters return 0). */
#define NDCTL_XEN_UNKNOWN_RESERVE (1u << 0)          /* reserve offset and size */
#define NDCTL_XEN_UNKNOWN_OWNER (1u << 1)            /* owner and owner name */
#define NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE (1u << 2) /* and so the memmap's end */
#define NDCTL_XEN_UNKNOWN_PER_PAGE (1u << 3)         /* reserve per-page bytes */
/* LIBNDCTL_XEN_1 names for the first three */
#define NDCTL_XEN_DERIVED_RESERVE NDCTL_XEN_UNKNOWN_RESERVE
#define NDCTL_XEN_DERIVED_OWNER NDCTL_XEN_UNKNOWN_OWNER
#define NDCTL_XEN_DERIVED_PAGE_STRUCT_SIZE NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE

#define NDCTL_XEN_QUERY_READ_DISABLED (1u << 0)
/* Write nothing on the host: a block read from the media is not kept (dry runs) */
#define NDCTL_XEN_QUERY_NO_STORE (1u << 1)
/*
 * The caller's libndctl objects were just enumerated (a fresh ndctl_ctx,
 * as ndctl list makes per run): a bound pfn/dax device's resource, size,
 * align, mode and uuid are taken from libndctl's objects (what
 * ndctl_pfn_get_* and ndctl_dax_get_* return, read when it enumerated
 * them) instead of sysfs, and the block store's directory is opened and
 * checked once and kept open in ctx until ctx is freed.  A caller whose
 * libndctl objects or block store may have changed since (a long-lived
 * one) leaves it out.  Versions before it ignore it.
 */
#define NDCTL_XEN_QUERY_CACHED (1u << 2)

int ndctl_xen_layout_from_namespace(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout **out) NDCTL_XEN_MUST_CHECK;
/* LIBNDCTL_XEN_3: with NDCTL_XEN_QUERY_* flags (0: as the call above) */
int ndctl_xen_layout_from_namespace_flags(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, unsigned int flags,
		struct ndctl_xen_layout **out) NDCTL_XEN_MUST_CHECK;
/* The info block 8 KiB into path at offset (namespace size 0: derived). */
int ndctl_xen_layout_from_file(struct ndctl_xen_ctx *ctx, const char *path,
		uint64_t offset, uint64_t size, uint64_t phys_start,
		struct ndctl_xen_layout **out) NDCTL_XEN_MUST_CHECK;
enum ndctl_xen_source ndctl_xen_layout_get_source(struct ndctl_xen_layout *l);
/* LIBNDCTL_XEN_1: the same bits as get_unknown() */
unsigned int ndctl_xen_layout_get_derived(struct ndctl_xen_layout *l);
/* LIBNDCTL_XEN_3 */
unsigned int ndctl_xen_layout_get_unknown(struct ndctl_xen_layout *l);
/* 1: read from the media or the kernel now, or checked against the live device's sysfs */
int ndctl_xen_layout_get_verified(struct ndctl_xen_layout *l);
/*
 * LIBNDCTL_XEN_4.  1 when the answer came from the kernel (source KERNEL)
 * and this host's stored copy of the same block differs from it: the copy
 * is not used, and a warning is logged.
 */
int ndctl_xen_layout_get_store_disagrees(struct ndctl_xen_layout *l);
/* A rule of ndctl-xen's own (not the kernel's) the block breaks, or NONE */
enum ndctl_xen_rule ndctl_xen_layout_get_policy_rule(struct ndctl_xen_layout *l);
const char *ndctl_xen_layout_get_policy_error(struct ndctl_xen_layout *l);
/* The dataoff the kernel itself would choose (nd_pfn_init(), 64 B a page) */
uint64_t ndctl_xen_layout_get_kernel_dataoff(struct ndctl_xen_layout *l);

/*
 * LIBNDCTL_XEN_4.  The kernel ndctl-xen runs on, for a layout about to be
 * computed for a live namespace in region (its devname; NULL: any
 * region), after its mode is set: in a Xen PV domain (a PV dom0: no
 * PSE) compute then takes map=mem unless map or an "os" owner was set,
 * and refuses map=dev over a whole 128 MiB memory section (rule
 * "platform"); for devdax an align the kernel's supported_alignments
 * lacks is refused, and without an align set the largest supported one
 * up to 2 MiB is taken.  Elsewhere (all three aligns supported) nothing
 * changes.  1 in a Xen PV domain, else 0.  provision calls it itself.
 */
int ndctl_xen_layout_set_platform(struct ndctl_xen_layout *l, const char *region);
/* LIBNDCTL_XEN_4.  What compute chose for the platform ("map=mem (...)"), or "". */
const char *ndctl_xen_layout_get_platform_choice(struct ndctl_xen_layout *l);
/*
 * LIBNDCTL_XEN_4.  1 when ndns serves its data as its claim says: the
 * pfn/btt device that claims it bound to its driver, the nd_dax device
 * and a daxX.Y child of it bound, or, unclaimed, the namespace itself
 * enabled.  0 when a claim device's probe failed (ndctl shows it
 * "state": "disabled"): its data areas are not in use and list reports
 * no data frames for it.
 */
int ndctl_xen_namespace_is_usable(struct ndctl_namespace *ndns);

/*
 * LIBNDCTL_XEN_3.  Make sure this host's block store holds the info
 * block of ndns (a namespace a pfn/dax device claims): if it lacks the
 * copy whose uuid sysfs shows, and the namespace is idle, it is viewed
 * raw, its block read and kept, and the kernel probes it again (a
 * disable/enable, under the provisioning lock).  1 stored now, 0 nothing
 * to do, -EBUSY in use (why says by what), another -errno.
 * ndctl-xen recover calls it at boot.
 */
int ndctl_xen_namespace_remember(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, char *why, size_t why_len);

/*
 * LIBNDCTL_XEN_3.  The first NDCTL_XEN_HEAD_SIZE bytes of ndns (a
 * disabled namespace) into buf, through a raw view under the provisioning
 * lock; the namespace is left disabled, as it was.  A valid info block
 * read is kept in this host's block store, as every other media read.
 * An enabled namespace is refused (-EBUSY), as ndctl read-infoblock
 * refuses it: its block is behind the kernel's device.  0 or -errno,
 * with why.
 */
#define NDCTL_XEN_HEAD_SIZE 8192
int ndctl_xen_namespace_read_head(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, uint8_t *buf, char *why,
		size_t why_len) NDCTL_XEN_MUST_CHECK;

/* What a namespace byte offset holds, and where that area ends. */
enum ndctl_xen_area {
	NDCTL_XEN_AREA_INFOBLOCK = 1, /* [0, 8K) */
	NDCTL_XEN_AREA_MEMMAP,        /* OS page structures (map=dev) */
	NDCTL_XEN_AREA_SLACK,         /* alignment padding, unused */
	NDCTL_XEN_AREA_RESERVE,
	NDCTL_XEN_AREA_DATA,
	NDCTL_XEN_AREA_TRUNCATED,     /* end_trunc */
	NDCTL_XEN_AREA_OUTSIDE,       /* past the namespace */
};
enum ndctl_xen_area ndctl_xen_layout_area_at(struct ndctl_xen_layout *l,
		uint64_t offset, uint64_t *area_end);
const char *ndctl_xen_area_name(enum ndctl_xen_area area);

/*
 * Does a consumer keeping bytes_per_page for every 4 KiB page of the
 * namespace fit in the reserved area?  1 yes, 0 no, -EINVAL; *pages gets
 * how many pages it could cover.
 */
int ndctl_xen_layout_reserve_fits(struct ndctl_xen_layout *l,
		uint32_t bytes_per_page, uint64_t *pages);

/*
 * Xen: the reserved (management) and data areas as machine frame ranges
 * [smfn, emfn), as `xen-ndctl setup-mgmt <smfn> <emfn>` and `setup-data
 * <smfn> <emfn> <mgmt_smfn> <mgmt_emfn>` take them (-ENOENT if empty), and
 * whether the management range passes Xen's check_mgmt_size() for the data
 * range: 1 yes, 0 no; *required_mfns gets what it needs.
 */
int ndctl_xen_layout_get_xen_mgmt(struct ndctl_xen_layout *l, uint64_t *smfn, uint64_t *emfn);
int ndctl_xen_layout_get_xen_data(struct ndctl_xen_layout *l, uint64_t *smfn, uint64_t *emfn);
int ndctl_xen_layout_xen_mgmt_fits(struct ndctl_xen_layout *l, uint64_t *required_mfns);
/*
 * LIBNDCTL_XEN_3: the same check for a Xen whose sizeof(struct page_info)
 * is page_info_size (32 on x86-64, 48 with CONFIG_BIGMEM; the call above
 * uses 32); -EINVAL for 0.
 */
#define NDCTL_XEN_XEN_PAGE_INFO_SIZE 32
#define NDCTL_XEN_XEN_BIGMEM_PAGE_INFO_SIZE 48
#define NDCTL_XEN_XEN_M2P_ENTRY_SIZE 8
int ndctl_xen_layout_xen_mgmt_fits_page_info(struct ndctl_xen_layout *l,
		uint32_t page_info_size, uint64_t *required_mfns);

/* ==================================================================== */
/*
 * Page map: which machine frames of the data areas belong to which
 * guest, which are free and which are broken -- the toolstack's copy of
 * the range set Xen keeps for NVDIMM pages ({mfn, gfn, len, broken,
 * domain}), in balanced trees so that every operation below costs
 * O(log n) in the number of ranges (plus the number of ranges an
 * operation itself touches or reports).
 *
 * A map covers one or more data areas, [smfn, emfn) machine frame ranges
 * that do not overlap.  Every frame of every area is in exactly one
 * range.  A range is owned (by a domain, at a guest frame number) or
 * not, and broken or not, which gives four states.  The representation
 * is canonical: two ranges that touch inside one area merge when both
 * are broken or both are not and both are unowned, or both belong to the
 * same domain with contiguous guest frames.  Ranges never span two areas.
 *
 * Refusals return a negative errno and leave the map unchanged;
 * ndctl_xen_pagemap_get_error() then says why, naming the numbers:
 *   -EINVAL      bad argument (no frames, 64-bit overflow, invalid domid)
 *   -ERANGE      frames outside every data area, or across two areas
 *   -EBUSY       machine frames already owned (by another range)
 *   -EEXIST      the domain's guest frames already in use / areas overlap
 *   -EHWPOISON   the frames contain broken frames
 *   -ENOSPC      no free run of that many frames (first fit); never a full
 *                file system, which a state file reports as -EIO
 *   -ENOENT      nothing there (lookups, iteration ends, release)
 *   -EPERM       release: the frames are not (all) the domain's
 *   -ENOMEM
 */
struct ndctl_xen_pagemap;

/* domids are Xen's: below DOMID_FIRST_RESERVED (0x7ff0) */
#define NDCTL_XEN_PAGEMAP_DOMID_MAX 0x7fefu
#define NDCTL_XEN_PAGEMAP_NO_DOMAIN 0xffffffffu

enum ndctl_xen_pagemap_state {
	NDCTL_XEN_PAGEMAP_FREE = 0,            /* unowned, usable */
	NDCTL_XEN_PAGEMAP_ASSIGNED = 1,        /* owned by a domain */
	NDCTL_XEN_PAGEMAP_BROKEN = 2,          /* unowned, never handed out */
	NDCTL_XEN_PAGEMAP_ASSIGNED_BROKEN = 3, /* owned, broken: notify/stop the guest */
};
#define NDCTL_XEN_PAGEMAP_NR_STATES 4
/* masks for iteration: 1u << state */
#define NDCTL_XEN_PAGEMAP_MASK(state) (1u << (state))
#define NDCTL_XEN_PAGEMAP_MASK_ALL 0xfu

/* A range, copied out by value. */
struct ndctl_xen_pagemap_range {
	uint64_t mfn;     /* first machine frame */
	uint64_t nframes; /* number of 4 KiB frames */
	uint64_t gfn;     /* first guest frame; 0 when unowned */
	uint32_t domid;   /* NDCTL_XEN_PAGEMAP_NO_DOMAIN when unowned */
	uint32_t state;   /* enum ndctl_xen_pagemap_state */
};

int ndctl_xen_pagemap_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_xen_pagemap **out) NDCTL_XEN_MUST_CHECK;
struct ndctl_xen_pagemap *ndctl_xen_pagemap_ref(struct ndctl_xen_pagemap *map);
void ndctl_xen_pagemap_unref(struct ndctl_xen_pagemap *map);
/* The last refusal or failure, one line naming the numbers ("" if none). */
const char *ndctl_xen_pagemap_get_error(struct ndctl_xen_pagemap *map);
const char *ndctl_xen_pagemap_state_name(enum ndctl_xen_pagemap_state state);

/* Areas: a raw frame range, or a layout's data area (get_xen_data()). */
int ndctl_xen_pagemap_add_area(struct ndctl_xen_pagemap *map,
		uint64_t smfn, uint64_t emfn) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_add_layout(struct ndctl_xen_pagemap *map,
		struct ndctl_xen_layout *l) NDCTL_XEN_MUST_CHECK;
unsigned int ndctl_xen_pagemap_get_area_count(struct ndctl_xen_pagemap *map);
/* Areas in frame order: 0 or -ENOENT past the last. */
int ndctl_xen_pagemap_get_area(struct ndctl_xen_pagemap *map, unsigned int index,
		uint64_t *smfn, uint64_t *emfn);

/*
 * Give [mfn, mfn + nframes) to domid at gfn.  All the frames must be free
 * (unowned, not broken) and inside one area, and the domain's guest
 * frames [gfn, gfn + nframes) unused.
 */
int ndctl_xen_pagemap_assign(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, uint64_t mfn, uint64_t nframes) NDCTL_XEN_MUST_CHECK;
/*
 * First fit: the lowest-numbered free run of at least nframes frames
 * gives its first nframes frames; *mfn receives the first of them.
 */
int ndctl_xen_pagemap_assign_any(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, uint64_t nframes, uint64_t *mfn) NDCTL_XEN_MUST_CHECK;
/* Every frame of [mfn, mfn + nframes) must be domid's (-EPERM otherwise). */
int ndctl_xen_pagemap_release(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t mfn, uint64_t nframes) NDCTL_XEN_MUST_CHECK;
/*
 * All of domid's frames (domain destroy); *nframes (may be NULL) how
 * many.  -ENOENT: domid holds no frames (nothing written).
 */
int ndctl_xen_pagemap_release_domain(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t *nframes) NDCTL_XEN_MUST_CHECK;

/*
 * Mark [mfn, mfn + nframes) broken; frames outside every area are
 * ignored (-ERANGE when none is inside).  The distinct domains owning any
 * of the frames are reported in ascending order: up to max of them in
 * domids (may be NULL with max 0), how many in all in *ndomains.
 * Released broken frames stay broken until cleared.
 */
int ndctl_xen_pagemap_mark_broken(struct ndctl_xen_pagemap *map, uint64_t mfn,
		uint64_t nframes, uint32_t *domids, size_t max,
		size_t *ndomains) NDCTL_XEN_MUST_CHECK;
/* A machine-check report: bytes [addr, addr + len), rounded out to 4 KiB frames. */
int ndctl_xen_pagemap_mark_broken_phys(struct ndctl_xen_pagemap *map, uint64_t addr,
		uint64_t len, uint32_t *domids, size_t max,
		size_t *ndomains) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_clear_broken(struct ndctl_xen_pagemap *map, uint64_t mfn,
		uint64_t nframes) NDCTL_XEN_MUST_CHECK;
/*
 * A media error of len bytes at offset from a namespace's base (libndctl
 * badblocks are 512-byte sectors: offset = sector * 512, relative to the
 * namespace) as the machine frames of l's data area it touches, rounded
 * out: 0, or -ENOENT when it misses the data area.
 */
int ndctl_xen_layout_badblock_frames(struct ndctl_xen_layout *l, uint64_t offset,
		uint64_t len, uint64_t *smfn, uint64_t *emfn);

/* The range holding a machine frame, or a domain's guest frame (-ENOENT). */
int ndctl_xen_pagemap_find(struct ndctl_xen_pagemap *map, uint64_t mfn,
		struct ndctl_xen_pagemap_range *range);
int ndctl_xen_pagemap_find_gfn(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t gfn, struct ndctl_xen_pagemap_range *range);
/*
 * Iteration.  Set *cursor to 0, then each call gives the next range (in
 * machine frame order, whose state is in state_mask; or of domid, in
 * guest frame order) that ends above *cursor and advances *cursor past
 * it; -ENOENT at the end.  The map may change between calls.  Each call
 * is O(log n) plus, with a state mask, the ranges it skips.
 */
int ndctl_xen_pagemap_next(struct ndctl_xen_pagemap *map, unsigned int state_mask,
		uint64_t *cursor, struct ndctl_xen_pagemap_range *range);
int ndctl_xen_pagemap_domain_next(struct ndctl_xen_pagemap *map, uint32_t domid,
		uint64_t *cursor, struct ndctl_xen_pagemap_range *range);
/* The lowest domid >= from that owns frames: 0, or -ENOENT. */
int ndctl_xen_pagemap_next_domain(struct ndctl_xen_pagemap *map, uint32_t from,
		uint32_t *domid);
/* Totals per state, kept up to date: O(1). */
uint64_t ndctl_xen_pagemap_get_frames(struct ndctl_xen_pagemap *map,
		enum ndctl_xen_pagemap_state state);
uint64_t ndctl_xen_pagemap_get_ranges(struct ndctl_xen_pagemap *map,
		enum ndctl_xen_pagemap_state state);

/*
 * State file (formats 1.0 and 2.0 in libndctl-xen(3)).  The path must
 * name a regular file (symlinks are followed; the link is kept); -ENOMSG
 * for anything else, which is never opened for writing, and never waited
 * on.  A new checkpoint keeps the old file's owner, group and mode.
 *
 * Snapshots: load fills an empty map (-EBUSY if it has areas) under the
 * file's shared lock: -ENOMSG for a file that is not a page map,
 * -EPROTONOSUPPORT for another format version, -EBADMSG for a damaged
 * one (length, checksum, or contents that break an invariant), or the
 * -errno of the I/O; the map stays empty.  Changes to a loaded map stay
 * in memory until save, which writes a whole checkpoint to a temporary
 * file beside path, fsyncs it, renames it over path and fsyncs the
 * directory, under the file's exclusive lock; -ESTALE when path is the
 * file the map was loaded from and another process updated it since
 * (nothing written: load again and redo the change).
 */
int ndctl_xen_pagemap_save(struct ndctl_xen_pagemap *map,
		const char *path) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_load(struct ndctl_xen_pagemap *map,
		const char *path) NDCTL_XEN_MUST_CHECK;

/*
 * Shared state files, for toolstacks whose processes update one map at
 * once (LIBNDCTL_XEN_2).  open fills an empty map from path (as load
 * does) and attaches it to the file; create writes an (unattached) map
 * as a new state file and attaches it: -EEXIST if path exists, unless
 * flags has NDCTL_XEN_PAGEMAP_REPLACE (then only a regular file is
 * replaced).  On an attached map every change (add_area, assign,
 * assign_any, release, release_domain, mark_broken, clear_broken) is
 * made under the file's exclusive lock: it first applies what other
 * processes changed since, then checks and applies the change, appends
 * it to the file's log and fdatasyncs it before returning 0.  A return
 * of 0 is a change that is kept; a refusal writes nothing; an I/O error
 * leaves the file and the map as before the call.  Lookups and
 * iteration read the map as of this process's last change or refresh:
 * refresh catches up under the shared lock, a consistent view.  compact
 * writes a new checkpoint now (updates do it when the log grows; it
 * also carries a format 1.0 or 2.0 file over to 3.0, as a first update
 * does).  NDCTL_XEN_PAGEMAP_SPARSE (open): on a 3.0 file, the map holds
 * only what its changes read, in O(log n) each, for a process that makes
 * a change or two and exits; lookups, iteration and save elsewhere return
 * -EOPNOTSUPP; changes, totals, areas, refresh and compact work, under
 * the same contract.
 * -EBADF when the map is not attached, or (changes) opened with
 * NDCTL_XEN_PAGEMAP_RDONLY.
 */
#define NDCTL_XEN_PAGEMAP_RDONLY 0x1u
#define NDCTL_XEN_PAGEMAP_REPLACE 0x2u
#define NDCTL_XEN_PAGEMAP_SPARSE 0x4u
int ndctl_xen_pagemap_open(struct ndctl_xen_pagemap *map, const char *path,
		unsigned int flags) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_create(struct ndctl_xen_pagemap *map, const char *path,
		unsigned int flags) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_refresh(struct ndctl_xen_pagemap *map) NDCTL_XEN_MUST_CHECK;
int ndctl_xen_pagemap_compact(struct ndctl_xen_pagemap *map) NDCTL_XEN_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
