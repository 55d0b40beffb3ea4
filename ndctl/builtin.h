/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_BUILTIN_H
#define NDCTL_XEN_BUILTIN_H

#include <stdint.h>
#include <json-c/json.h>
#include <ndctl/libndctl-xen.h>

/*
 * Exit classes, one per kind of error (README, ndctl-xen(1)):
 * 0 success; 1 refused by a rule (a layout or kernel rule, data or a user
 * in the way, permissions: nothing was written); 2 usage or a malformed
 * value (not a number, an unknown keyword, options that conflict);
 * 3 failed while doing it (an I/O error, the kernel did not adopt the
 * block: the old state was restored, or the message says it was not).
 */
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_FAILED 3

int cmd_write_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_read_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_create_namespace(int argc, char **argv, struct ndctl_xen_ctx *ctx);

int cmd_list(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_recover(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_map(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_apply(int argc, char **argv, struct ndctl_xen_ctx *ctx);

/* JSON values: numbers stay numbers unless human (sizes "64 MiB", offsets "0x...") */
struct json_object *json_u64(uint64_t v);
struct json_object *json_size(uint64_t v, int human);
struct json_object *json_hex(uint64_t v, int human);
const char *uuid_str(const unsigned char *u, char *buf);
/*
 * A named owner comes from the media: escaped with util_escape() (static
 * buffer, one call per use).
 */
const char *owner_str(enum ndctl_xen_owner owner, const char *name);
/* ndctl's filters: name, number or "all" */
int filter_match(const char *want, const char *devname, unsigned int id);
int bus_match(struct ndctl_bus *bus, const char *want);
/*
 * fn(ndns, arg) for each configured namespace the filters select (NULL or
 * "all": any); stops at the first non-zero return and returns it, else 0.
 */
int foreach_namespace(struct ndctl_ctx *nctx, const char *bus, const char *region,
		const char *ns, int (*fn)(struct ndctl_namespace *ndns, void *arg), void *arg);
/*
 * fn(start, end, arg) for each media error that touches ndns, as bytes
 * [start, end) from the namespace base, clipped to it: the pmem driver's
 * list for the namespace's block device when it has one (fsdax, raw), the
 * region's list (ARS) otherwise (devdax, disabled, sector); stops at the
 * first negative return and returns it, else 0.
 */
int foreach_ns_badblock(struct ndctl_namespace *ndns,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg);
/* the same, told the disk (bdev NULL: none) and its offset in the namespace */
struct ns_disk {
	const char *bdev;
	uint64_t off;
};
int foreach_ns_badblock_on(struct ndctl_namespace *ndns, const struct ns_disk *disk,
		int (*fn)(uint64_t start, uint64_t end, void *arg), void *arg);

/*
 * ndctl list's own namespace object (ndctl-json.c), with its flags:
 * -u, -v (numa_node, raw_uuid, media errors, daxregion), -M and -X;
 * disk (if not NULL) gets the namespace's disk as foreach_ns_badblock
 * finds it (NDJ_ACTIVE must then be right).
 */
#define NDJ_HUMAN (1u << 0)
#define NDJ_VERBOSE (1u << 1)
#define NDJ_MEDIA_ERRORS (1u << 2)
#define NDJ_DAX (1u << 3) /* -X: the daxregion object instead of chardev */
#define NDJ_ACTIVE (1u << 4) /* the caller found it active (ndctl_namespace_is_active) */
/*
 * The device that claims a namespace, as libndctl's ndctl_namespace_get_btt,
 * _get_pfn and _get_dax find it (each reads holder again): one read of
 * holder.  ns_claim_active: ndctl_namespace_is_active's rule on it.
 */
struct ns_claim {
	struct ndctl_btt *btt;
	struct ndctl_pfn *pfn;
	struct ndctl_dax *dax;
};
void ns_claim_get(struct ndctl_namespace *ndns, struct ns_claim *c);
int ns_claim_active(struct ndctl_namespace *ndns, const struct ns_claim *c);
/* claim: as ns_claim_get found it, or NULL (looked up here) */
struct json_object *ndctl_namespace_json(struct ndctl_namespace *ndns,
		const struct ns_claim *claim, unsigned int flags, struct ns_disk *disk);

/* set by the fuzz targets: the parsers' errors are expected there */
extern int cmd_error_quiet;

/*
 * Runs the system's ndctl (NDCTL_XEN_NDCTL, else the build's -Dndctl=) as
 * "ndctl ARGV...", with this process's standard streams: it replaces this
 * process, so ndctl's exit status is ndctl-xen's.  Returns only when ndctl
 * cannot be run: EXIT_FAILED after an error line.
 */
int run_ndctl(int argc, char **argv);

/*
 * getopt's error (c is ':' for a missing value, '?' for an unknown
 * option; the optstring must start with ':') as one line naming the
 * option; returns EXIT_USAGE.
 */
int option_error(const char *cmd, int c, char **argv);

/* one-line error on stderr: "ndctl-xen CMD: message" */
void cmd_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a step of the command, on stderr at the library's log priority info or above */
void cmd_step(struct ndctl_xen_ctx *ctx, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
