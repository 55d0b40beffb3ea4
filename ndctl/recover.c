// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen recover: finish what a power cut interrupted (see
 * ndctl_xen_namespace_recover): delete unfinished new namespaces and put
 * back torn info blocks from their journal.  Run it at boot, before
 * anything uses the namespaces.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"

struct recover_params {
	struct ndctl_xen_ctx *ctx;
	struct json_object *arr;
	int refused, failed;
};

static const char *const action_name[] = {
	[NDCTL_XEN_RECOVERY_NONE] = "none",
	[NDCTL_XEN_RECOVERY_JOURNAL] = "journal",
	[NDCTL_XEN_RECOVERY_REMOVED] = "removed",
};

/*
 * Fill the block store for an adopted namespace that lacks its entry
 * (ndctl_xen_namespace_remember).  Opportunistic: one in use is left as
 * it is, said on stderr and in the output, and is no failure.
 */
static int remember_one(struct recover_params *p, struct ndctl_namespace *ndns,
		const char *dev)
{
	struct json_object *j;
	char why[1024];
	int rc = ndctl_xen_namespace_remember(p->ctx, ndns, why, sizeof(why));

	if (rc == 0)
		return 0;
	j = json_object_new_object();
	json_object_object_add(j, "dev", json_object_new_string(dev));
	if (rc == 1) {
		json_object_object_add(j, "action", json_object_new_string("stored"));
	} else {
		cmd_error("recover", "%s: its info block was not stored: %s", dev,
				why[0] ? why : strerror(-rc));
		json_object_object_add(j, "action", json_object_new_string("not-stored"));
		json_object_object_add(j, "reason", json_object_new_string(why[0] ? why :
					strerror(-rc)));
		if (rc != -EBUSY)
			p->failed++;
	}
	json_object_array_add(p->arr, j);
	return 0;
}

static int recover_one(struct ndctl_namespace *ndns, void *arg)
{
	struct recover_params *p = arg;
	enum ndctl_xen_recovery done;
	char dev[64], why[1024];
	struct json_object *j;
	int rc;

	snprintf(dev, sizeof(dev), "%s", ndctl_namespace_get_devname(ndns));
	rc = ndctl_xen_namespace_recover(p->ctx, ndns, &done, why, sizeof(why));
	if (rc) {
		cmd_error("recover", "%s: %s", dev, why);
		/* in use or not root: refused; an I/O error: failed */
		if (rc == -EBUSY || rc == -EACCES || rc == -EPERM)
			p->refused++;
		else
			p->failed++;
		return 0;
	}
	if (done == NDCTL_XEN_RECOVERY_NONE)
		return remember_one(p, ndns, dev);
	j = json_object_new_object();
	json_object_object_add(j, "dev", json_object_new_string(dev));
	json_object_object_add(j, "action", json_object_new_string(action_name[done]));
	json_object_array_add(p->arr, j);
	/* libndctl frees a region's namespaces when one is deleted: walk again */
	return done == NDCTL_XEN_RECOVERY_REMOVED;
}

static void recover_usage(FILE *f)
{
	fprintf(f,
"usage: ndctl-xen recover [-b BUS] [-r REGION] [NAMESPACE|all]\n\n"
"Finish what a power cut left half done by ndctl-xen create-namespace:\n"
"delete a new namespace whose info block was never completed (label name\n"
"'" NDCTL_XEN_PENDING_NAME "'), and put back an info block torn while being\n"
"rewritten from the copy kept in the namespace's first 4 KiB.  Only\n"
"namespaces this host's intent records name (/var/lib/ndctl-xen) are\n"
"touched; the media alone never cause a write.  Namespaces the kernel\n"
"adopted are not touched.\n\n"
"Then, for each namespace a pfn/dax device claims whose info block is not\n"
"in this host's block store (/var/lib/ndctl-xen/blocks), and that nobody\n"
"uses: disable it, read its block raw, keep it, and enable it again, so\n"
"that list and the library answer for it exactly (action \"stored\"; one in\n"
"use is \"not-stored\", with the reason, and is no failure).  Prints what it\n"
"did as a JSON array.\n\n"
"  -b, --bus=BUS            only namespaces on this bus\n"
"  -r, --region=REGION      only namespaces in this region\n"
"  -h, --help               this help\n\n"
"Exit status: 0 done (or nothing to do), 1 refused (a namespace in use,\n"
"not root), 2 usage, 3 failed (an I/O error).\n");
}

int cmd_recover(int argc, char **argv, struct ndctl_xen_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "bus", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recover_params p = { .ctx = ctx };
	const char *bus = NULL, *region = NULL, *ns = NULL;
	struct ndctl_ctx *nctx;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': bus = optarg; break;
		case 'r': region = optarg; break;
		case 'h': recover_usage(stdout); return 0;
		default:
			return option_error("recover", c, argv);
		}
	}
	if (optind < argc)
		ns = argv[optind++];
	if (optind < argc) {
		cmd_error("recover", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	rc = ndctl_new(&nctx);
	if (rc < 0) {
		cmd_error("recover", "cannot open libndctl: %s", strerror(-rc));
		return EXIT_FAILED;
	}
	p.arr = json_object_new_array();
	/* each walk deletes at most one namespace; the last finds none */
	while (foreach_namespace(nctx, bus, region, ns, recover_one, &p) == 1)
		;
	printf("%s\n", json_object_to_json_string_ext(p.arr,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(p.arr);
	ndctl_unref(nctx);
	return p.failed ? EXIT_FAILED : p.refused ? EXIT_REFUSED : 0;
}
