// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's answer (lib/query-kernel.c) against a fake sysfs: the
 * info_block attribute of a patched libnvdimm, a stock kernel without it,
 * a kernel copy normalised for an old minor version, a store copy that
 * disagrees, a disabled namespace whose unbound pfn device still claims
 * it, and a live namespace's answer from libndctl's cached attributes and
 * a store directory kept open (NDCTL_XEN_QUERY_CACHED).  The fake sysfs
 * needs a test build (-Dtest-hooks=true).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "harness.h"
#include "pfn-sb.h"
#include "config.h"
#include "private.h"
#include "store.h"

#define M (1024ull * 1024)
#define NS_SIZE (128 * M)
#define NS_RES 0x240000000ull

static char root[] = "/tmp/ndx-test-ksrc.XXXXXX";
static char sysdir[300];

/* A map=mem fsdax block of a 128 MiB namespace, by uuid and parent byte */
static void block(uint8_t b[NDX_SB_SIZE], uint8_t uuid, uint8_t parent, uint64_t dataoff)
{
	struct ndx_pfn_info in;

	memset(&in, 0, sizeof(in));
	in.version_major = 1;
	in.version_minor = 4;
	in.dataoff = dataoff;
	in.npfns = (NS_SIZE - dataoff) / 4096;
	in.mode = NDX_PFN_MODE_RAM;
	in.align = 2 * M;
	in.page_size = 4096;
	in.page_struct_size = 64;
	memset(in.uuid, uuid, 16);
	memset(in.parent_uuid, parent, 16);
	ndx_pfn_sb_encode(&in, 0, b);
}

static void put(const char *dev, const char *attr, const void *buf, size_t len)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysdir, dev);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", sysdir, dev, attr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, buf, len) == (ssize_t)len, "write %s", path);
	if (fd >= 0)
		close(fd);
}

static void put_text(const char *dev, const char *attr, const char *text)
{
	put(dev, attr, text, strlen(text));
}

static void put_uuid(const char *dev, uint8_t byte)
{
	unsigned char u[16];
	char text[40];

	memset(u, byte, 16);
	uuid_unparse_lower(u, text);
	put_text(dev, "uuid", text);
}

static void test_kernel(struct ndctl_xen_ctx *ctx)
{
	uint8_t kb[NDX_SB_SIZE], other[NDX_SB_SIZE], got[NDX_SB_SIZE];
	struct ndctl_xen_layout *l;
	unsigned char ns[16], u[16];

	memset(ns, 0x22, 16);
	memset(u, 0x11, 16);
	block(kb, 0x11, 0x22, 4 * M);
	CHECK(ndctl_xen_layout_new(ctx, &l) == 0, "layout");

	/* a stock kernel: no attribute, the caller falls back */
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), -ENOENT);

	/* the patched kernel's copy: the answer, verified, and kept */
	put("pfn0.1", "info_block", kb, sizeof(kb));
	CHECK_EQ(ndx_store_get(ns, NS_RES, u, got), -ENOENT);
	/* a dry run's query (NDCTL_XEN_QUERY_NO_STORE) keeps nothing */
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE,
			NDCTL_XEN_QUERY_NO_STORE), 0);
	CHECK_EQ(ndx_store_get(ns, NS_RES, u, got), -ENOENT);
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), 0);
	CHECK_EQ(ndctl_xen_layout_get_source(l), NDCTL_XEN_SOURCE_KERNEL);
	CHECK_EQ(ndctl_xen_layout_get_verified(l), 1);
	CHECK_EQ(ndctl_xen_layout_get_unknown(l), 0);
	CHECK_EQ(ndctl_xen_layout_get_dataoff(l), 4 * M);
	CHECK_EQ(ndctl_xen_layout_get_store_disagrees(l), 0);
	CHECK(ndx_store_get(ns, NS_RES, u, got) == 0 && memcmp(got, kb, sizeof(kb)) == 0,
			"the kernel's block is kept in the store");
	CHECK(ndx_store_get_ns(ns, NS_RES, got) == 0 && memcmp(got, kb, sizeof(kb)) == 0,
			"as the namespace's last seen block");

	/* a store copy of the same uuid that differs: flagged, not used */
	block(other, 0x11, 0x22, 6 * M);
	{
		char path[600], text[40], ns_text[40];
		int fd;

		uuid_unparse_lower(u, text);
		uuid_unparse_lower(ns, ns_text);
		snprintf(path, sizeof(path), "%s/state/blocks/ns-%s.%s", root, ns_text, text);
		fd = open(path, O_WRONLY | O_TRUNC);
		CHECK(fd >= 0 && write(fd, other, sizeof(other)) == (ssize_t)sizeof(other),
				"replace the stored copy");
		if (fd >= 0)
			close(fd);
	}
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), 0);
	CHECK_EQ(ndctl_xen_layout_get_store_disagrees(l), 1);
	CHECK_EQ(ndctl_xen_layout_get_dataoff(l), 4 * M);
	CHECK(ndx_store_get(ns, NS_RES, u, got) == 0 && memcmp(got, other, sizeof(other)) == 0,
			"a disagreeing copy is reported, not overwritten");

	/* a copy nd_pfn_validate() normalised (its checksum no longer matches) */
	memcpy(other, kb, sizeof(other));
	other[84] ^= 1;
	put("pfn0.1", "info_block", other, sizeof(other));
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), -ESTALE);
	/* another namespace's block */
	block(other, 0x11, 0x44, 4 * M);
	put("pfn0.1", "info_block", other, sizeof(other));
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), -ESTALE);
	/* short */
	put("pfn0.1", "info_block", kb, 100);
	CHECK_EQ(ndx_layout_from_kernel(ctx, l, "pfn0.1", ns, NS_RES, NS_SIZE, 0), -EIO);
	ndctl_xen_layout_unref(l);
}

static void test_disabled(void)
{
	uint8_t b1[NDX_SB_SIZE], b2[NDX_SB_SIZE], got[NDX_SB_SIZE];
	unsigned char ns[16];
	char path[600];

	memset(ns, 0x55, 16);
	block(b1, 0x66, 0x55, 4 * M);
	/* a copy of the block, but no record of it on the namespace */
	CHECK(ndx_store_put(b1, ns, 0) == 0, "put");
	snprintf(path, sizeof(path), "%s/state/blocks/ns-55555555-5555-5555-5555-555555555555", root);
	CHECK(unlink(path) == 0, "drop the namespace's record");
	CHECK_EQ(ndx_store_get_ns(ns, 0, got), -ENOENT);

	/* no device keeps the uuid: nothing */
	put_text("namespace1.2", "holder", "\n");
	CHECK_EQ(ndx_disabled_block(NDX_STORE_OPEN, "namespace1.2", ns, 0, got), -ENOENT);
	/* a device still claims it, unbound */
	put_text("namespace1.2", "holder", "pfn1.2\n");
	put_uuid("pfn1.2", 0x66);
	memset(got, 0, sizeof(got));
	CHECK(ndx_disabled_block(NDX_STORE_OPEN, "namespace1.2", ns, 0, got) == 0 &&
			memcmp(got, b1, sizeof(b1)) == 0, "through the holder's uuid");
	/* a device that claims it but shows another namespace's block */
	put_uuid("pfn1.2", 0x77);
	block(b2, 0x77, 0x99, 6 * M);
	CHECK(ndx_store_put(b2, ns, 0) != 0, "another namespace's block is not kept under this one");
	CHECK_EQ(ndx_disabled_block(NDX_STORE_OPEN, "namespace1.2", ns, 0, got), -ENOENT);
	/* ndctl disable-namespace: no holder */
	put_text("namespace1.2", "holder", "\n");
	CHECK_EQ(ndx_disabled_block(NDX_STORE_OPEN, "namespace1.2", ns, 0, got), -ENOENT);
	/* the namespace's own record comes before its holder's uuid */
	put_text("namespace1.2", "holder", "pfn1.2\n");
	CHECK(ndx_store_put(b1, ns, 0) == 0, "record b1");
	CHECK(ndx_disabled_block(NDX_STORE_OPEN, "namespace1.2", ns, 0, got) == 0 &&
			memcmp(got, b1, sizeof(b1)) == 0, "the namespace's record first");
}

/* The answers a caller sees (every getter list prints from) are the same. */
static void same_layout(struct ndctl_xen_layout *a, struct ndctl_xen_layout *b, const char *what)
{
	CHECK(ndctl_xen_layout_get_source(a) == ndctl_xen_layout_get_source(b) &&
			ndctl_xen_layout_get_verified(a) == ndctl_xen_layout_get_verified(b) &&
			ndctl_xen_layout_get_unknown(a) == ndctl_xen_layout_get_unknown(b) &&
			ndctl_xen_layout_get_mode(a) == ndctl_xen_layout_get_mode(b) &&
			ndctl_xen_layout_get_map(a) == ndctl_xen_layout_get_map(b) &&
			ndctl_xen_layout_get_align(a) == ndctl_xen_layout_get_align(b) &&
			ndctl_xen_layout_get_npfns(a) == ndctl_xen_layout_get_npfns(b) &&
			ndctl_xen_layout_get_dataoff(a) == ndctl_xen_layout_get_dataoff(b) &&
			ndctl_xen_layout_get_end_trunc(a) == ndctl_xen_layout_get_end_trunc(b) &&
			ndctl_xen_layout_get_page_struct_size(a) ==
				ndctl_xen_layout_get_page_struct_size(b) &&
			ndctl_xen_layout_get_reserve_offset(a) == ndctl_xen_layout_get_reserve_offset(b) &&
			ndctl_xen_layout_get_reserve_size(a) == ndctl_xen_layout_get_reserve_size(b) &&
			ndctl_xen_layout_get_data_offset(a) == ndctl_xen_layout_get_data_offset(b) &&
			ndctl_xen_layout_get_data_size(a) == ndctl_xen_layout_get_data_size(b) &&
			ndctl_xen_layout_get_phys_start(a) == ndctl_xen_layout_get_phys_start(b),
			"%s: the same layout", what);
}

/* ndx_layout_live()'s source for namespace0.3 (ns uuid all 0x88), claimed by pfn0.3 */
static int live_source(struct ndctl_xen_ctx *ctx, const struct ndx_live_dev *d,
		unsigned int flags, struct ndctl_xen_layout **l)
{
	unsigned char ns[16];
	int rc;

	memset(ns, 0x88, 16);
	rc = ndx_layout_live(ctx, "namespace0.3", "pfn0.3", d, ns, NS_RES, NS_SIZE, flags, l);
	return rc ? rc : (int)ndctl_xen_layout_get_source(*l);
}

static void test_cached(void)
{
	const unsigned int C = NDCTL_XEN_QUERY_CACHED;
	struct ndctl_xen_ctx *a = NULL, *b = NULL, *c = NULL;
	struct ndctl_xen_layout *l0, *l1;
	struct ndx_live_dev d = { NS_RES + 4 * M, 2 * M, NS_SIZE - 4 * M,
		NDCTL_XEN_MODE_FSDAX, NDCTL_XEN_MAP_MEM, { 0 } };
	uint8_t blk[NDX_SB_SIZE];
	unsigned char ns[16];
	char text[64], blocks[600], old[600];

	memset(ns, 0x88, 16);
	memset(d.uuid, 0xaa, 16);
	block(blk, 0xaa, 0x88, 4 * M);
	CHECK(ndx_store_put(blk, ns, NS_RES) == 0, "put");
	/* a stock kernel's bound pfn0.3: no info_block */
	snprintf(text, sizeof(text), "%#llx\n", (unsigned long long)d.res);
	put_text("pfn0.3", "resource", text);
	put_text("pfn0.3", "align", "2097152\n");
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)d.size);
	put_text("pfn0.3", "size", text);
	put_text("pfn0.3", "mode", "ram\n");
	put_uuid("pfn0.3", 0xaa);
	CHECK(ndctl_xen_new(&a) == 0 && ndctl_xen_new(&b) == 0, "ctx");

	/* libndctl's values of the same device: the same answer as sysfs's */
	CHECK_EQ(live_source(a, NULL, 0, &l0), NDCTL_XEN_SOURCE_STORE);
	CHECK_EQ(live_source(b, &d, C, &l1), NDCTL_XEN_SOURCE_STORE);
	same_layout(l0, l1, "cached attributes and store directory");
	ndctl_xen_layout_unref(l1);
	/* the cached attributes are the ones used: sysfs is not read */
	snprintf(blocks, sizeof(blocks), "%s/pfn0.3/resource", sysdir);
	CHECK(unlink(blocks) == 0, "drop pfn0.3/resource");
	CHECK_EQ(live_source(a, NULL, 0, &l1), -ENXIO);
	CHECK_EQ(live_source(b, &d, C, &l1), NDCTL_XEN_SOURCE_STORE);
	ndctl_xen_layout_unref(l1);
	/* ... and checked against the stored copy as sysfs's are */
	d.res += 2 * M;
	d.size -= 2 * M;
	CHECK_EQ(live_source(b, &d, C, &l1), NDCTL_XEN_SOURCE_SYSFS);
	CHECK_EQ(ndctl_xen_layout_get_dataoff(l1), 6 * M);
	ndctl_xen_layout_unref(l1);
	d.res -= 2 * M;
	d.size += 2 * M;

	/*
	 * The store's directory replaced: a context that opened it keeps it
	 * (the flag's promise is one walk); without the flag and in a new
	 * context the new one is read
	 */
	snprintf(blocks, sizeof(blocks), "%s/state/blocks", root);
	snprintf(old, sizeof(old), "%s/state/blocks.old", root);
	CHECK(rename(blocks, old) == 0 && mkdir(blocks, 0700) == 0, "replace blocks/");
	CHECK_EQ(live_source(b, &d, C, &l1), NDCTL_XEN_SOURCE_STORE);
	ndctl_xen_layout_unref(l1);
	CHECK_EQ(live_source(b, &d, 0, &l1), NDCTL_XEN_SOURCE_SYSFS);
	ndctl_xen_layout_unref(l1);
	CHECK(ndctl_xen_new(&c) == 0, "ctx");
	CHECK_EQ(live_source(c, &d, C, &l1), NDCTL_XEN_SOURCE_SYSFS);
	ndctl_xen_layout_unref(l1);
	ndctl_xen_unref(c);
	/* none at all, then a block kept through the context: seen by its next lookup */
	CHECK(rmdir(blocks) == 0, "remove blocks/");
	CHECK(ndctl_xen_new(&c) == 0, "ctx");
	CHECK_EQ(live_source(c, &d, C, &l1), NDCTL_XEN_SOURCE_SYSFS);
	ndctl_xen_layout_unref(l1);
	CHECK(ndx_ctx_store_put(c, blk, ns, NS_RES) == 0, "put through the context");
	CHECK_EQ(live_source(c, &d, C, &l1), NDCTL_XEN_SOURCE_STORE);
	same_layout(l0, l1, "after the directory was made");
	ndctl_xen_layout_unref(l1);
	ndctl_xen_unref(c);
	ndctl_xen_layout_unref(l0);
	ndctl_xen_unref(a);
	ndctl_xen_unref(b);
}

int main(void)
{
	struct ndctl_xen_ctx *ctx;
	char path[600], cmd[700];

	if (!NDX_TEST_HOOKS) {
		printf("SKIP: the fake sysfs (NDCTL_XEN_SYSFS_ROOT) needs -Dtest-hooks=true\n");
		return 77;
	}
	CHECK(mkdtemp(root) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "mkdir -p '%s/sys/bus/nd/devices'", root);
	CHECK(system(path) == 0, "mkdir");
	snprintf(sysdir, sizeof(sysdir), "%s/sys/bus/nd/devices", root);
	snprintf(path, sizeof(path), "%s/state", root);
	CHECK(mkdir(path, 0700) == 0, "mkdir");
	snprintf(path, sizeof(path), "%s/sys", root);
	setenv("NDCTL_XEN_SYSFS_ROOT", path, 1);
	snprintf(path, sizeof(path), "%s/state", root);
	setenv("NDCTL_XEN_STATE_DIR", path, 1);
	CHECK(ndctl_xen_new(&ctx) == 0, "ctx");
	test_kernel(ctx);
	test_disabled();
	test_cached();
	ndctl_xen_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(system(cmd) == 0, "cleanup");
	return h_report();
}
