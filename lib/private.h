/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NDCTL_XEN_PRIVATE_H
#define NDCTL_XEN_PRIVATE_H

#include <syslog.h>
#include <ndctl/libndctl-xen.h>

#include "layout.h"
#include "pfn-sb.h"

#define NDX_EXPORT __attribute__((visibility("default")))

struct ndctl_xen_ctx {
	int refcount;
	int log_priority;
	ndctl_xen_log_fn log_fn;
	void *userdata;
	int lock_fd, lock_depth;
	/* the reason the last call that sets it failed, for the caller to word */
	char last_error[320];
	/*
	 * a bound pfn/dax device showed no info_block: the kernel has no
	 * such attribute (kernel/patches/ not applied), none is opened again
	 */
	int no_kernel_block;
	/*
	 * NDCTL_XEN_QUERY_CACHED: the block store's directory, opened and
	 * checked by the first such lookup (store_opened), kept until the
	 * context goes: a descriptor or the -errno of that open
	 */
	int store_opened, store_fd;
	/* the uuid whose new-namespace record this context last made */
	unsigned char marked[16];
};

struct ndctl_xen_layout {
	int refcount;
	struct ndctl_xen_ctx *ctx;
	struct ndx_layout_req req;
	struct ndx_layout out;
	struct ndx_fault fault;
	int computed;
	enum ndctl_xen_source source;
	unsigned int unknown;   /* NDCTL_XEN_UNKNOWN_* */
	int verified;           /* checked against the live device, or read now */
	struct ndx_fault policy; /* a rule of ndctl-xen's (not the kernel's) broken */
	int store_disagrees;    /* source KERNEL: the store's copy differs (query-kernel.c) */
};

/* The layout a decoded block gives for a namespace (libndctl-xen.c). */
struct ndx_pfn_info;
int ndx_layout_from_block(struct ndctl_xen_layout *l, const struct ndx_pfn_info *in,
		uint64_t size, uint64_t phys_start);

int ndx_sysfs_read(const char *dev, const char *attr, char *buf, size_t len);
/* "/sys", or NDCTL_XEN_SYSFS_ROOT in a test build (platform.c) */
const char *ndx_sysfs_root(void);
/* A file under the sysfs root (path starts with '/'), trailing white space cut */
int ndx_sysfs_read_path(const char *path, char *buf, size_t len);
/* Some child daxR.N of the nd_dax device holder is bound to device_dax. */
int ndx_dax_child_bound(const char *holder);
/*
 * The namespace serves its data as its claim says: its pfn/btt device
 * bound to a driver, its nd_dax device and a child daxR.N bound, or,
 * unclaimed, the namespace itself bound (query.c).
 */
int ndx_namespace_usable(const char *devname);

/* query-kernel.c: the kernel's info_block attribute (kernel/patches/) */
/*
 * 0 or -EINVAL with l filled from the kernel; -ENOENT on a stock kernel.
 * The kernel's block is kept in the store unless flags has
 * NDCTL_XEN_QUERY_NO_STORE.
 */
int ndx_layout_from_kernel(struct ndctl_xen_ctx *ctx, struct ndctl_xen_layout *l,
		const char *holder, const unsigned char ns_uuid[16], uint64_t ns_res,
		uint64_t ns_size, unsigned int flags);
/* A disabled namespace's block from the store (dirfd: store.h): 0 or -ENOENT. */
int ndx_disabled_block(int dirfd, const char *ns, const unsigned char ns_uuid[16],
		uint64_t ns_res, uint8_t block[4096]);

/* query.c */
/*
 * The block store's directory for the readers (store.h): NDX_STORE_OPEN,
 * or with NDCTL_XEN_QUERY_CACHED ctx's, opened once.
 */
int ndx_store_dir(struct ndctl_xen_ctx *ctx, unsigned int flags);
/* ndx_store_put(), and a directory it made is seen by ctx's next cached lookup */
int ndx_ctx_store_put(struct ndctl_xen_ctx *ctx, const uint8_t block[4096],
		const unsigned char ns_uuid[16], uint64_t ns_res);
/* What sysfs shows of the pfn/dax device that claims a namespace. */
struct ndx_live_dev {
	uint64_t res, align, size;
	uint32_t mode, map;     /* NDCTL_XEN_MODE_*, NDCTL_XEN_MAP_* */
	unsigned char uuid[16];
};
/*
 * The layout of a namespace its bound pfn/dax device holder serves: the
 * kernel's block, the store's copy, or sysfs.  cached: the device's
 * attributes as the caller's libndctl objects hold them (NULL: read from
 * sysfs).  0 or -EINVAL with *out, -ENXIO, another -errno.
 */
int ndx_layout_live(struct ndctl_xen_ctx *ctx, const char *ns, const char *holder,
		const struct ndx_live_dev *cached, const unsigned char ns_uuid[16],
		uint64_t ns_res, uint64_t ns_size, unsigned int flags,
		struct ndctl_xen_layout **out);

void ndx_log(struct ndctl_xen_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define ndx_log_cond(ctx, prio, ...) do { \
	if ((ctx)->log_priority >= (prio)) \
		ndx_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
} while (0)
#define err(ctx, ...) ndx_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define info(ctx, ...) ndx_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...) ndx_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

#endif
