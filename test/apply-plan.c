// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen apply's plan without a kernel: entries parsed from JSON,
 * compared with live namespaces given as plain values.  A live namespace
 * that "matches" is built from the library's own layout for the same
 * request, then one property at a time is made to differ.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../ndctl/builtin.h"
#include "../ndctl/apply.h"


static struct ndctl_xen_ctx *ctx;

/* the live side of a namespace laid out as w asks, at 4G, size bytes */
static struct apply_have have_for(const struct apply_want *w, uint64_t size)
{
	struct apply_have h = { .dev = "namespace1.0", .name = w->name ? w->name : "",
		.region = "region1", .raw_size = size, .resource = 4ull << 30, .active = 1,
		.known = 1 };
	struct ndctl_xen_layout *l;

	if (ndctl_xen_layout_new(ctx, &l) || apply_layout_opts("test", &w->o, l))
		abort();
	ndctl_xen_layout_set_size(l, size);
	ndctl_xen_layout_set_phys_start(l, h.resource);
	if (ndctl_xen_layout_compute(l))
		abort();
	h.mode = ndctl_xen_layout_get_mode(l);
	h.map = ndctl_xen_layout_get_map(l);
	h.align = ndctl_xen_layout_get_align(l);
	h.dataoff = ndctl_xen_layout_get_dataoff(l);
	h.data_offset = ndctl_xen_layout_get_data_offset(l);
	h.data_size = ndctl_xen_layout_get_data_size(l);
	h.page_struct_size = ndctl_xen_layout_get_page_struct_size(l);
	h.reserve_offset = ndctl_xen_layout_get_reserve_offset(l);
	h.reserve_size = ndctl_xen_layout_get_reserve_size(l);
	h.per_page = ndctl_xen_layout_get_reserve_per_page(l);
	h.owner = ndctl_xen_layout_get_reserve_owner(l);
	ndctl_xen_layout_unref(l);
	return h;
}

/* the plan's action, and the keys that differ joined by commas */
static enum apply_action plan(const struct apply_want *w, const struct apply_have *h,
		int force, char *keys, size_t len)
{
	struct json_object *d, *k;
	char why[512];
	enum apply_action a = apply_plan(ctx, w, h, force, &d, why, sizeof(why));
	size_t i;

	keys[0] = '\0';
	for (i = 0; i < json_object_array_length(d); i++) {
		json_object_object_get_ex(json_object_array_get_idx(d, i), "key", &k);
		snprintf(keys + strlen(keys), len - strlen(keys), "%s%s", i ? "," : "",
				json_object_get_string(k));
	}
	json_object_put(d);
	CHECK(a != APPLY_REFUSE || why[0], "a refusal says why");
	return a;
}

/* refused without --force, naming exactly these keys */
static void refused_for(const struct apply_want *w, const struct apply_have *h,
		const char *want_keys)
{
	char keys[256];

	CHECK_EQ(plan(w, h, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, want_keys) == 0, "%s: %s", want_keys, keys);
}

static int parse(const char *text, struct json_object **doc, struct apply_want **w, size_t *n)
{
	return apply_parse(ctx, "test", text, doc, w, n);
}

int main(void)
{
	struct json_object *doc;
	struct apply_want *w;
	struct apply_have h, h2;
	char keys[256];
	size_t n;

	/* no kernel here: the plan's platform is neither Xen PV nor limited */
	setenv("NDCTL_XEN_SYSFS_ROOT", "/nonexistent-sysfs", 1);
	if (ndctl_xen_new(&ctx))
		return 1;
	cmd_error_quiet = 1;
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"xen0\",\"size\":\"256M\",\"map\":\"mem\","
				"\"reserve_per_page\":40,\"reserve_owner\":\"hypervisor\"},"
				"{\"region\":\"region1\",\"size\":\"rest\",\"mode\":\"devdax\"}]}",
				&doc, &w, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(strcmp(w[0].name, "xen0") == 0 && w[0].size == 256ull << 20 && !w[0].rest, "entry 0");
	CHECK(strcmp(w[0].o.reserve_per_page, "40") == 0, "a number arrives as its text");
	CHECK(w[1].rest && !w[1].name && strcmp(w[1].region, "region1") == 0, "entry 1");

	/* missing: create */
	CHECK_EQ(plan(&w[0], NULL, 0, keys, sizeof(keys)), APPLY_CREATE);
	/* the library's own layout for the request: unchanged, with or without --force */
	h = have_for(&w[0], 256ull << 20);
	CHECK_EQ(plan(&w[0], &h, 0, keys, sizeof(keys)), APPLY_NONE);
	CHECK(keys[0] == '\0', "no difference: %s", keys);
	CHECK_EQ(plan(&w[0], &h, 1, keys, sizeof(keys)), APPLY_NONE);
	/* "rest" matches whatever size the region had left */
	h2 = have_for(&w[1], 1ull << 30);
	CHECK_EQ(plan(&w[1], &h2, 0, keys, sizeof(keys)), APPLY_NONE);
	h2 = have_for(&w[1], 192ull << 20);
	CHECK_EQ(plan(&w[1], &h2, 0, keys, sizeof(keys)), APPLY_NONE);
	/* one property at a time */
	h2 = h;
	h2.map = NDCTL_XEN_MAP_DEV;
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, "map") == 0, "map: %s", keys);
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_RECONFIGURE);
	h2 = h;
	h2.reserve_size += 4096;
	h2.dataoff += 2 << 20;
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, "dataoff,reserve") == 0, "reserve: %s", keys);
	h2 = h;
	h2.per_page = 56;
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_RECONFIGURE);
	CHECK(strcmp(keys, "reserve_per_page") == 0, "per page: %s", keys);
	h2 = h;
	h2.owner = NDCTL_XEN_OWNER_NAMED;
	strcpy(h2.owner_name, "bsd");
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, "reserve_owner") == 0, "owner: %s", keys);
	h2 = h;
	h2.mode = NDCTL_XEN_MODE_DEVDAX;
	h2.align = 4096;
	plan(&w[0], &h2, 0, keys, sizeof(keys));
	CHECK(strcmp(keys, "mode,align") == 0, "mode, align: %s", keys);
	/*
	 * the same dataoff with fewer data pages (end_trunc), or after another
	 * start_pad (the data elsewhere), is not the same block
	 */
	h2 = h;
	h2.data_size -= 2 << 20;
	refused_for(&w[0], &h2, "data_size");
	h2 = h;
	h2.data_offset += 2 << 20;
	refused_for(&w[0], &h2, "data_offset");
	/* map=mem: page_struct_size is nobody's (ndctl writes 0), unless asked for */
	h2 = h;
	h2.page_struct_size = 0;
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_NONE);
	/* never unchanged on a guess: sysfs alone does not know the reservation */
	h2 = h;
	h2.unknown = NDCTL_XEN_UNKNOWN_RESERVE | NDCTL_XEN_UNKNOWN_OWNER | NDCTL_XEN_UNKNOWN_PER_PAGE;
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, "reserve") == 0, "unknown: %s", keys);
	h2 = h;
	h2.active = 0;
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_RECONFIGURE);
	CHECK(strcmp(keys, "state") == 0, "disabled: %s", keys);
	h2 = h;
	h2.known = 0;
	h2.why_unknown = "raw";
	CHECK_EQ(plan(&w[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_RECONFIGURE);
	/* refused whatever --force says: a size, an unfinished namespace */
	h2 = h;
	h2.raw_size = 512ull << 20;
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_REFUSE);
	CHECK(strcmp(keys, "size") == 0, "size: %s", keys);
	h2 = h;
	h2.name = NDCTL_XEN_PENDING_NAME;
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_REFUSE);
	/* map=dev: page_struct_size 64 live, 72 wanted (the same dataoff at 256M) */
	{
		struct json_object *doc2;
		struct apply_want *w2;
		size_t n2;

		CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"os1\",\"size\":\"256M\","
					"\"page_struct_size\":72},{\"name\":\"os2\",\"size\":\"256M\"}]}",
					&doc2, &w2, &n2), 0);
		h2 = have_for(&w2[0], 256ull << 20);
		CHECK_EQ(h2.page_struct_size, 72);
		CHECK_EQ(plan(&w2[0], &h2, 0, keys, sizeof(keys)), APPLY_NONE);
		h2.page_struct_size = 64;
		CHECK_EQ(plan(&w2[0], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
		CHECK(strcmp(keys, "page_struct_size") == 0, "64 live, 72 wanted: %s", keys);
		CHECK_EQ(plan(&w2[0], &h2, 1, keys, sizeof(keys)), APPLY_RECONFIGURE);
		/* and the default (64) against a live 72 */
		h2.page_struct_size = 72;
		h2.name = "os2";
		CHECK_EQ(plan(&w2[1], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
		CHECK(strcmp(keys, "page_struct_size") == 0, "72 live, default wanted: %s", keys);
		/* a sysfs-only answer does not know it: never unchanged on a guess */
		h2.page_struct_size = 0;
		h2.unknown = NDCTL_XEN_UNKNOWN_PAGE_STRUCT_SIZE;
		CHECK_EQ(plan(&w2[1], &h2, 0, keys, sizeof(keys)), APPLY_REFUSE);
		CHECK(strcmp(keys, "page_struct_size") == 0, "unknown: %s", keys);
		free(w2);
		json_object_put(doc2);
	}
	/* a layout this namespace cannot hold */
	h2 = have_for(&w[1], 16ull << 20);
	free(w);
	json_object_put(doc);
	CHECK_EQ(parse("{\"namespaces\":[{\"region\":\"1\",\"size\":\"rest\",\"reserve\":\"64M\"}]}",
				&doc, &w, &n), 0);
	CHECK_EQ(plan(&w[0], &h2, 1, keys, sizeof(keys)), APPLY_REFUSE);
	free(w);
	json_object_put(doc);
	/* the parser's refusals: exit class 2, nothing returned */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"1M\",\"x\":1}]}", &doc, &w, &n),
			EXIT_USAGE);
	CHECK(doc == NULL, "no document after a refusal");
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\"},{\"name\":\"a\",\"size\":\"64M\"}]}",
				&doc, &w, &n), EXIT_USAGE);
	/* duplicates, however far apart and however a uuid is written */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\"},{\"name\":\"b\",\"size\":\"64M\"},"
				"{\"name\":\"c\",\"size\":\"64M\"},{\"name\":\"b\",\"size\":\"64M\"}]}",
				&doc, &w, &n), EXIT_USAGE);
	CHECK_EQ(parse("{\"namespaces\":[{\"uuid\":\"0f3c1a2b-0000-4000-8000-00000000abcd\",\"size\":\"64M\"},"
				"{\"name\":\"b\",\"size\":\"64M\"},"
				"{\"uuid\":\"0F3C1A2B-0000-4000-8000-00000000ABCD\",\"size\":\"64M\"}]}",
				&doc, &w, &n), EXIT_USAGE);
	CHECK_EQ(parse("{\"namespaces\":[{\"region\":\"region1\",\"size\":\"rest\"},"
				"{\"region\":\"region1\",\"name\":\"x\",\"size\":\"64M\"},"
				"{\"region\":\"region1\",\"size\":\"rest\"}]}", &doc, &w, &n), EXIT_USAGE);
	/* the same region with a name, or different names and uuids: fine */
	CHECK_EQ(parse("{\"namespaces\":[{\"region\":\"region1\",\"size\":\"rest\"},"
				"{\"region\":\"region1\",\"name\":\"x\",\"size\":\"64M\"},"
				"{\"region\":\"region2\",\"size\":\"rest\"},"
				"{\"uuid\":\"0f3c1a2b-0000-4000-8000-00000000abcd\",\"size\":\"64M\"},"
				"{\"uuid\":\"0f3c1a2b-0000-4000-8000-00000000abce\",\"name\":\"y\",\"size\":\"64M\"}]}",
				&doc, &w, &n), 0);
	CHECK_EQ(n, 5);
	free(w);
	json_object_put(doc);
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\",\"reserve\":\"1G\"}]}",
				&doc, &w, &n), EXIT_USAGE);
	/* owners as --reserve-owner takes them: a bare name or a near miss is refused */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\",\"reserve\":\"4M\","
				"\"reserve_owner\":\"freebsd\"}]}", &doc, &w, &n), EXIT_USAGE);
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\",\"reserve\":\"4M\","
				"\"reserve_owner\":\"Hypervisor\"}]}", &doc, &w, &n), EXIT_USAGE);
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"64M\",\"reserve\":\"4M\","
				"\"reserve_owner\":\"name:freebsd\"}]}", &doc, &w, &n), 0);
	free(w);
	json_object_put(doc);
	/* Xen's preset reserves for the hypervisor in map=mem; map=dev with it is refused */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"256M\","
				"\"reserve_per_page\":\"xen\",\"map\":\"dev\"}]}", &doc, &w, &n), EXIT_USAGE);
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"a\",\"size\":\"256M\","
				"\"reserve_per_page\":\"xen\"}]}", &doc, &w, &n), 0);
	h = have_for(&w[0], 256ull << 20);
	CHECK_EQ(h.map, NDCTL_XEN_MAP_MEM);
	CHECK_EQ(h.owner, NDCTL_XEN_OWNER_HYPERVISOR);
	free(w);
	json_object_put(doc);
	/*
	 * data_size: a namespace of any size whose data area, laid out as
	 * asked, holds it is converged; one whose data area is a page short
	 * is refused (apply does not resize), naming data_size.
	 */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"d\",\"data_size\":\"100M\","
				"\"reserve_per_page\":\"xen\"}]}", &doc, &w, &n), 0);
	CHECK(w[0].data_size == 100ull << 20 && !w[0].size && !w[0].rest, "data_size parsed");
	CHECK_EQ(plan(&w[0], NULL, 0, keys, sizeof(keys)), APPLY_CREATE);
	{
		struct ndctl_xen_layout *l;
		uint64_t fit;

		/* the smallest size that holds it, by the library */
		if (ndctl_xen_layout_new(ctx, &l) || apply_layout_opts("test", &w[0].o, l) ||
				ndctl_xen_layout_compute_for_data_size(l, w[0].data_size, 0))
			abort();
		fit = ndctl_xen_layout_get_size(l);
		ndctl_xen_layout_unref(l);
		h = have_for(&w[0], fit);
		CHECK(h.data_size >= w[0].data_size, "%llu holds data_size",
				(unsigned long long)fit);
		CHECK_EQ(plan(&w[0], &h, 0, keys, sizeof(keys)), APPLY_NONE);
		h = have_for(&w[0], fit + (64ull << 20));
		CHECK_EQ(plan(&w[0], &h, 0, keys, sizeof(keys)), APPLY_NONE);
		h = have_for(&w[0], fit - (2ull << 20));
		CHECK(h.data_size < w[0].data_size, "a step smaller holds less");
		CHECK_EQ(plan(&w[0], &h, 1, keys, sizeof(keys)), APPLY_REFUSE);
		CHECK(strcmp(keys, "data_size") == 0, "data_size: %s", keys);
		/* the same size with another layout: differs as any other property */
		h = have_for(&w[0], fit);
		h.map = NDCTL_XEN_MAP_DEV;
		CHECK_EQ(plan(&w[0], &h, 0, keys, sizeof(keys)), APPLY_REFUSE);
		CHECK(strcmp(keys, "map") == 0, "data_size, map: %s", keys);
	}
	free(w);
	json_object_put(doc);
	/* size and data_size: one or the other */
	CHECK_EQ(parse("{\"namespaces\":[{\"name\":\"d\",\"data_size\":\"100M\","
				"\"size\":\"128M\"}]}", &doc, &w, &n), EXIT_USAGE);
	ndctl_xen_unref(ctx);
	return h_report();
}
