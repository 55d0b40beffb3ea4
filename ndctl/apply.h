/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ndctl-xen apply: a desired state (JSON) compared with the live
 * namespaces.  The plan (apply-plan.c) is plain data in, plain data
 * out, so that it can be tested without a kernel; apply.c gathers the
 * live facts and carries the plan out through create-namespace's code.
 */
#ifndef NDCTL_XEN_APPLY_H
#define NDCTL_XEN_APPLY_H

#include <stdint.h>
#include <json-c/json.h>
#include <ndctl/libndctl-xen.h>

#include "layout-opts.h"

/*
 * apply --detailed-exitcode's status beside 0 and the shared classes 1-3
 * (ndctl-xen-apply(1)): changes made, or with --dry-run planned.  (4, the
 * old "nothing to do", is 0 now and not reused.)
 */
#define EXIT_APPLY_CHANGES 5

/* create-namespace's work for one namespace (xen-reserve.c) */
struct create_request {
	const char *cmd;		/* for messages */
	const struct layout_opts *o;	/* o->size unused: size below */
	const char *uuid, *name;	/* a new namespace's (NULL: generated / none) */
	uint64_t size;			/* a new namespace's (0: the largest extent) */
	uint64_t data_size;		/* instead of size: the data area's (create-namespace's --data-size) */
	int force;
};
/*
 * A new namespace in region (ndns NULL), or ndns reconfigured, as
 * create-namespace makes it: 0 with its JSON in *out, or an exit class
 * after an error line.
 */
int create_namespace_one(struct ndctl_xen_ctx *ctx, struct ndctl_region *region,
		struct ndctl_namespace *ndns, const struct create_request *req,
		struct json_object **out);

/* One entry of the desired state. */
struct apply_want {
	int index;			/* in the file's "namespaces" array */
	const char *name, *uuid, *region;	/* identity: name, uuid, or the region's only one */
	unsigned char uuid_bin[16];	/* uuid parsed (with uuid) */
	uint64_t size;			/* raw size; 0 with rest or data_size */
	int rest;			/* "size": "rest": the rest of the region */
	uint64_t data_size;		/* "data_size": the data area's, the size chosen to fit it */
	struct layout_opts o;		/* mode, map, align, reserve*, page_struct_size */
	char path[32];			/* "namespaces[N]", for messages (o.from.path) */
};

/* What a live namespace is, as plain values (apply.c fills it). */
struct apply_have {
	const char *dev, *name, *region;
	unsigned char uuid[16];
	uint64_t raw_size, resource;
	int active;			/* enabled, or claimed by an enabled device */
	int known;			/* a layout was found (not raw, not unknown) */
	const char *why_unknown;	/* with !known */
	enum ndctl_xen_mode mode;
	enum ndctl_xen_map map;
	uint64_t align, dataoff, data_offset, data_size, reserve_offset, reserve_size, per_page;
	uint32_t page_struct_size;	/* as recorded (0 in an old map=mem block) */
	unsigned int unknown;		/* NDCTL_XEN_UNKNOWN_* */
	enum ndctl_xen_owner owner;
	char owner_name[17];
};

/*
 * With data_size: the size create-namespace gives it in region (region's
 * align and interleave), 0 with why.
 */
struct ndctl_region;
uint64_t size_for_data_in(struct ndctl_xen_ctx *ctx, struct ndctl_region *region,
		const struct layout_opts *o, uint64_t data_size, char *why, size_t len);

enum apply_action { APPLY_NONE, APPLY_CREATE, APPLY_RECONFIGURE, APPLY_REFUSE };

/*
 * Parses the file's text: 0 with *wants (n_wants entries, pointing into
 * *doc, which the caller puts), or EXIT_USAGE after an error line naming
 * the entry, the key and the rule.
 */
int apply_parse(struct ndctl_xen_ctx *ctx, const char *cmd, const char *text, struct json_object **doc,
		struct apply_want **wants, size_t *n_wants);

/*
 * The plan for one entry against the namespace that matched it (NULL:
 * none): the action, and in *differs (a new array) each property that
 * differs as {"key", "want", "have"}; *why the reason for a refusal.
 */
enum apply_action apply_plan(struct ndctl_xen_ctx *ctx, const struct apply_want *w,
		const struct apply_have *h, int force, struct json_object **differs,
		char *why, size_t why_len);

const char *apply_action_name(enum apply_action a);

#endif
