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
};

/* The layout a decoded block gives for a namespace (libndctl-xen.c). */
struct ndx_pfn_info;
int ndx_layout_from_block(struct ndctl_xen_layout *l, const struct ndx_pfn_info *in,
		uint64_t size, uint64_t phys_start);

int ndx_sysfs_read(const char *dev, const char *attr, char *buf, size_t len);

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
