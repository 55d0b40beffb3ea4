// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel a live layout is computed for, and whether a claimed
 * namespace serves anything, against a fake sysfs (NDCTL_XEN_SYSFS_ROOT,
 * a test build only).  Expected answers come from what a Xen PV dom0
 * showed (issue 22: /sys/hypervisor/type "xen", guest_type "PV",
 * supported_alignments "4096"; map=dev over a whole 128 MiB section and a
 * 2 MiB devdax align fail there) and from the kernel's sources
 * (vmemmap_populate(), nd_pfn_validate(), drivers/xen/sys-hypervisor.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "private.h"

#define M (1024ull * 1024)
#define G (1024ull * M)

static char root[256];

static __attribute__((format(printf, 2, 3))) void put(const char *val, const char *fmt, ...)
{
	char rel[256], path[600], *slash;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* mkdir -p of the parents */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if (!val) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", val);
		fclose(f);
	}
}

static void drop(const char *rel)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (unlink(path))
		rmdir(path);
}

/* a region with its pfn and dax seeds, as the kernel shows them */
static void fake_region(const char *aligns)
{
	put("pfn1.0", "bus/nd/devices/region1/pfn_seed");
	put("dax1.0", "bus/nd/devices/region1/dax_seed");
	put(aligns, "bus/nd/devices/pfn1.0/supported_alignments");
	put(aligns, "bus/nd/devices/dax1.0/supported_alignments");
}

static void fake_hypervisor(const char *type, const char *guest)
{
	drop("hypervisor/type");
	drop("hypervisor/guest_type");
	if (type)
		put(type, "hypervisor/type");
	if (guest)
		put(guest, "hypervisor/guest_type");
}

struct req {
	enum ndctl_xen_mode mode;
	int map;		/* 0: not given */
	uint64_t align;		/* 0: not given */
	int owner;		/* 0: not given */
	uint64_t size, start, reserve;
};

/* the layout computed for region1 on the fake kernel; its platform answer */
static int layout_for(struct ndctl_xen_ctx *ctx, const struct req *r,
		struct ndctl_xen_layout **l, int *rc)
{
	int pv;

	CHECK(ndctl_xen_layout_new(ctx, l) == 0, "layout");
	ndctl_xen_layout_set_mode(*l, r->mode);
	if (r->map)
		ndctl_xen_layout_set_map(*l, r->map);
	if (r->align)
		ndctl_xen_layout_set_align(*l, r->align);
	if (r->owner)
		ndctl_xen_layout_set_reserve_owner(*l, r->owner, NULL);
	ndctl_xen_layout_set_reserve(*l, r->reserve);
	ndctl_xen_layout_set_size(*l, r->size);
	ndctl_xen_layout_set_phys_start(*l, r->start);
	pv = ndctl_xen_layout_set_platform(*l, "region1");
	*rc = ndctl_xen_layout_compute(*l);
	return pv;
}

static void test_not_xen(struct ndctl_xen_ctx *ctx, const char *type, const char *guest)
{
	struct req fs = { NDCTL_XEN_MODE_FSDAX, 0, 0, 0, 2 * G, 4 * G, 64 * M };
	struct req dax = { NDCTL_XEN_MODE_DEVDAX, 0, 0, 0, 2 * G, 4 * G, 64 * M };
	struct req dax1g = { NDCTL_XEN_MODE_DEVDAX, 0, 1 * G, 0, 4 * G, 4 * G, 64 * M };
	struct ndctl_xen_layout *l;
	int rc;

	fake_hypervisor(type, guest);
	fake_region("4096 2097152 1073741824");
	/* outside a PV dom0 nothing changes: map=dev, 2 MiB, owner os */
	CHECK(layout_for(ctx, &fs, &l, &rc) == 0, "%s/%s is not Xen PV", type, guest);
	CHECK(rc == 0, "fsdax: %s", ndctl_xen_layout_get_error(l));
	CHECK_EQ(ndctl_xen_layout_get_map(l), NDCTL_XEN_MAP_DEV);
	CHECK_EQ(ndctl_xen_layout_get_align(l), 2 * M);
	CHECK_EQ(ndctl_xen_layout_get_reserve_owner(l), NDCTL_XEN_OWNER_OS);
	CHECK(ndctl_xen_layout_get_platform_choice(l)[0] == '\0', "choice '%s'",
			ndctl_xen_layout_get_platform_choice(l));
	ndctl_xen_layout_unref(l);
	layout_for(ctx, &dax, &l, &rc);
	CHECK(rc == 0, "devdax: %s", ndctl_xen_layout_get_error(l));
	CHECK_EQ(ndctl_xen_layout_get_align(l), 2 * M);
	CHECK_EQ(ndctl_xen_layout_get_map(l), NDCTL_XEN_MAP_DEV);
	ndctl_xen_layout_unref(l);
	layout_for(ctx, &dax1g, &l, &rc);
	CHECK(rc == 0, "devdax 1G: %s", ndctl_xen_layout_get_error(l));
	ndctl_xen_layout_unref(l);
}

static void test_pv_dom0(struct ndctl_xen_ctx *ctx)
{
	struct ndctl_xen_layout *l;
	int rc;

	fake_hypervisor("xen", "PV");
	fake_region("4096");
	/* a reservation takes map=mem and so the hypervisor as its owner */
	{
		struct req r = { NDCTL_XEN_MODE_FSDAX, 0, 0, 0, 2 * G, 4 * G, 64 * M };

		CHECK(layout_for(ctx, &r, &l, &rc) == 1, "Xen PV seen");
		CHECK(rc == 0, "fsdax: %s", ndctl_xen_layout_get_error(l));
		CHECK_EQ(ndctl_xen_layout_get_map(l), NDCTL_XEN_MAP_MEM);
		CHECK_EQ(ndctl_xen_layout_get_reserve_owner(l), NDCTL_XEN_OWNER_HYPERVISOR);
		/* fsdax keeps 2 MiB: the kernel checks a devdax block's align only */
		CHECK_EQ(ndctl_xen_layout_get_align(l), 2 * M);
		CHECK(strstr(ndctl_xen_layout_get_platform_choice(l), "map=mem") != NULL,
				"choice '%s'", ndctl_xen_layout_get_platform_choice(l));
		ndctl_xen_layout_unref(l);
	}
	/* devdax: the align the kernel can map, 4K */
	{
		struct req r = { NDCTL_XEN_MODE_DEVDAX, 0, 0, 0, 2 * G, 4 * G, 64 * M };

		layout_for(ctx, &r, &l, &rc);
		CHECK(rc == 0, "devdax: %s", ndctl_xen_layout_get_error(l));
		CHECK_EQ(ndctl_xen_layout_get_align(l), 4096);
		CHECK_EQ(ndctl_xen_layout_get_map(l), NDCTL_XEN_MAP_MEM);
		CHECK(strstr(ndctl_xen_layout_get_platform_choice(l), "align=4K") != NULL,
				"choice '%s'", ndctl_xen_layout_get_platform_choice(l));
		ndctl_xen_layout_unref(l);
	}
	/*
	 * an align the kernel lacks, asked for: refused, with the one that
	 * works as a remedy (the message names no option: callers do)
	 */
	{
		struct req r = { NDCTL_XEN_MODE_DEVDAX, 0, 2 * M, 0, 2 * G, 4 * G, 64 * M };
		const char *key, *value = NULL;

		layout_for(ctx, &r, &l, &rc);
		key = ndctl_xen_layout_get_remedy(l, &value);
		CHECK(rc == -EINVAL && ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_ALIGN &&
				key && strcmp(key, "align") == 0 && value && strcmp(value, "4K") == 0 &&
				!strstr(ndctl_xen_layout_get_error(l), "--"),
				"devdax -a 2M: %d %s (%s %s)", rc, ndctl_xen_layout_get_error(l),
				key ? key : "-", value ? value : "-");
		/* a layout that fits has none */
		ndctl_xen_layout_set_align(l, 4096);
		CHECK(ndctl_xen_layout_compute(l) == 0 && !ndctl_xen_layout_get_remedy(l, &value) &&
				!value, "devdax -a 4K: no remedy");
		ndctl_xen_layout_unref(l);
	}
	/* map=dev over whole sections: refused, map=mem the remedy */
	{
		struct req r = { NDCTL_XEN_MODE_FSDAX, NDCTL_XEN_MAP_DEV, 0, 0, 2 * G, 4 * G, 64 * M };
		const char *key, *value = NULL;

		layout_for(ctx, &r, &l, &rc);
		key = ndctl_xen_layout_get_remedy(l, &value);
		CHECK(rc == -EINVAL && ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_PLATFORM &&
				key && strcmp(key, "map") == 0 && value && strcmp(value, "mem") == 0 &&
				!strstr(ndctl_xen_layout_get_error(l), "--"),
				"-M dev 2G: %d %s", rc, ndctl_xen_layout_get_error(l));
		ndctl_xen_layout_unref(l);
	}
	/* exactly one section: refused; below a section: the kernel maps it */
	{
		struct req one = { NDCTL_XEN_MODE_FSDAX, NDCTL_XEN_MAP_DEV, 0, 0, 128 * M, 4 * G, 0 };
		struct req below = { NDCTL_XEN_MODE_FSDAX, NDCTL_XEN_MAP_DEV, 0, 0, 64 * M, 4 * G, 0 };
		struct req across = { NDCTL_XEN_MODE_FSDAX, NDCTL_XEN_MAP_DEV, 0, 0, 128 * M,
			4 * G + 64 * M, 0 };

		layout_for(ctx, &one, &l, &rc);
		CHECK(rc == -EINVAL && ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_PLATFORM,
				"128M at a section: %d %s", rc, ndctl_xen_layout_get_error(l));
		ndctl_xen_layout_unref(l);
		layout_for(ctx, &below, &l, &rc);
		CHECK(rc == 0, "64M: %s", ndctl_xen_layout_get_error(l));
		CHECK_EQ(ndctl_xen_layout_get_map(l), NDCTL_XEN_MAP_DEV);
		ndctl_xen_layout_unref(l);
		/* 128 MiB across two sections covers neither whole */
		layout_for(ctx, &across, &l, &rc);
		CHECK(rc == 0, "128M across: %s", ndctl_xen_layout_get_error(l));
		ndctl_xen_layout_unref(l);
	}
	/* an OS reservation by name keeps map=dev, and so its refusal */
	{
		struct req r = { NDCTL_XEN_MODE_FSDAX, 0, 0, NDCTL_XEN_OWNER_OS, 2 * G, 4 * G, 64 * M };

		layout_for(ctx, &r, &l, &rc);
		CHECK(rc == -EINVAL && ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_PLATFORM,
				"owner os: %d %s", rc, ndctl_xen_layout_get_error(l));
		ndctl_xen_layout_unref(l);
	}
	/* a region not in sysfs: the first pfn device's list (the kernel's, global) */
	CHECK(ndctl_xen_layout_new(ctx, &l) == 0, "layout");
	ndctl_xen_layout_set_mode(l, NDCTL_XEN_MODE_DEVDAX);
	ndctl_xen_layout_set_size(l, 2 * G);
	ndctl_xen_layout_set_phys_start(l, 4 * G);
	CHECK(ndctl_xen_layout_set_platform(l, NULL) == 1, "no region");
	CHECK(ndctl_xen_layout_compute(l) == 0, "%s", ndctl_xen_layout_get_error(l));
	CHECK_EQ(ndctl_xen_layout_get_align(l), 4096);
	ndctl_xen_layout_unref(l);
}

/* enabled follows the claim device's driver (ndctl's "state") */
static void test_usable(void)
{
	fake_region("4096 2097152 1073741824");
	/* devdax: nd_dax bound to dax_pmem, its dax1.0 not bound (-12) */
	put("dax1.1", "bus/nd/devices/namespace1.0/holder");
	put(NULL, "bus/nd/devices/dax1.1/driver");
	put(NULL, "bus/nd/devices/dax1.1/dax1.0");
	CHECK(ndx_namespace_usable("namespace1.0") == 0, "dax child unbound");
	put(NULL, "bus/nd/devices/dax1.1/dax1.0/driver");
	CHECK(ndx_namespace_usable("namespace1.0") == 1, "dax child bound");
	drop("bus/nd/devices/dax1.1/driver");
	CHECK(ndx_namespace_usable("namespace1.0") == 0, "nd_dax unbound");
	/* fsdax: the pfn device's probe failed */
	put("pfn1.2", "bus/nd/devices/namespace1.1/holder");
	put(NULL, "bus/nd/devices/pfn1.2");
	CHECK(ndx_namespace_usable("namespace1.1") == 0, "pfn unbound");
	put(NULL, "bus/nd/devices/pfn1.2/driver");
	CHECK(ndx_namespace_usable("namespace1.1") == 1, "pfn bound");
	/* unclaimed: the namespace's own driver */
	put("", "bus/nd/devices/namespace1.2/holder");
	CHECK(ndx_namespace_usable("namespace1.2") == 0, "raw, disabled");
	put(NULL, "bus/nd/devices/namespace1.2/driver");
	CHECK(ndx_namespace_usable("namespace1.2") == 1, "raw, enabled");
}

int main(void)
{
	struct ndctl_xen_ctx *ctx;
	char cmd[300];

	if (!NDX_TEST_HOOKS) {
		printf("skipped: the sysfs root is fixed without -Dtest-hooks=true\n");
		return 77;
	}
	snprintf(root, sizeof(root), "%s/ndx-sysfs.XXXXXX",
			getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("NDCTL_XEN_SYSFS_ROOT", root, 1);
	CHECK(ndctl_xen_new(&ctx) == 0, "ctx");
	test_not_xen(ctx, NULL, NULL);
	test_not_xen(ctx, "xen", "HVM");
	test_not_xen(ctx, "xen", "PVH");
	test_pv_dom0(ctx);
	test_usable();
	ndctl_xen_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return h_report();
}
