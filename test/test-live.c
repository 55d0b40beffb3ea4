// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live truth, offline: the kernel's rules against ndctl-xen's own (a block
 * the kernel accepts is never called inconsistent for breaking only ours),
 * the record's owner_name padding, and the host's block store.  Expected
 * outcomes come from nd_pfn_validate() / __nvdimm_setup_pfn() in
 * drivers/nvdimm/pfn_devs.c and from the format page, not from the code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pfn-sb.h"
#include "private.h"
#include "store.h"

#define K 1024ull
#define M (1024ull * K)
#define G (1024ull * M)

/* A block as ndctl write-infoblock writes it: the kernel's default dataoff */
static void ndctl_block(uint8_t *span, uint64_t size, int dax, uint32_t mode, uint64_t align)
{
	struct ndx_pfn_info in;
	uint64_t a = align > 2 * M ? align : 2 * M, npfns0 = (size - 8 * K) / (4 * K);
	uint64_t off = mode == NDX_PFN_MODE_PMEM ? 8 * K + 64 * npfns0 : 8 * K;

	off = (off + a - 1) & ~(a - 1);
	memset(&in, 0, sizeof(in));
	in.is_dax = dax;
	in.version_major = 1;
	in.version_minor = 4;
	in.dataoff = off;
	in.npfns = (size - off) / (4 * K);
	in.mode = mode;
	in.align = (uint32_t)align;
	in.page_size = 4096;
	in.page_struct_size = 64;
	memset(in.uuid, 0x11, 16);
	memset(span, 0, 4096);
	ndx_pfn_sb_encode(&in, 0, span + 4096);
}

static int layout_of(struct ndctl_xen_ctx *ctx, const uint8_t *span, uint64_t size,
		struct ndctl_xen_layout **l)
{
	struct ndctl_xen_infoblock *ib;
	int rc;

	CHECK(ndctl_xen_infoblock_decode(ctx, span, 8192, &ib) == 0, "decode");
	rc = ndctl_xen_infoblock_get_layout(ib, size, 0, l);
	ndctl_xen_infoblock_unref(ib);
	return rc;
}

static void test_kernel_vs_policy(struct ndctl_xen_ctx *ctx)
{
	static const uint64_t aligns[] = { 4 * K, 64 * K, 2 * M, 16 * M, 1 * G };
	uint8_t span[8192];
	struct ndctl_xen_layout *l;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		int ours = aligns[i] == 4 * K || aligns[i] == 2 * M || aligns[i] == 1 * G;

		/* fsdax: the kernel checks only that dataoff is aligned */
		ndctl_block(span, 4 * G, 0, NDX_PFN_MODE_PMEM, aligns[i]);
		rc = layout_of(ctx, span, 4 * G, &l);
		CHECK(rc == 0, "fsdax align %#llx: %s", (unsigned long long)aligns[i],
				ndctl_xen_layout_get_error(l));
		CHECK((ndctl_xen_layout_get_policy_rule(l) == NDCTL_XEN_RULE_NONE) == ours,
				"fsdax align %#llx: policy %s", (unsigned long long)aligns[i],
				ndctl_xen_rule_name(ndctl_xen_layout_get_policy_rule(l)));
		CHECK_EQ(ndctl_xen_layout_get_data_offset(l), ndctl_xen_layout_get_dataoff(l));
		CHECK_EQ(ndctl_xen_layout_get_reserve_size(l), 0);
		ndctl_xen_layout_unref(l);
		/* devdax: the kernel refuses an align it cannot map with */
		ndctl_block(span, 4 * G, 1, NDX_PFN_MODE_PMEM, aligns[i]);
		rc = layout_of(ctx, span, 4 * G, &l);
		CHECK((rc == 0) == ours, "devdax align %#llx: rc %d", (unsigned long long)aligns[i], rc);
		if (!ours)
			CHECK(ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_ALIGN &&
					ndctl_xen_layout_get_policy_rule(l) == NDCTL_XEN_RULE_NONE,
					"devdax %#llx: %s", (unsigned long long)aligns[i],
					ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)));
		ndctl_xen_layout_unref(l);
	}
	/* map=mem page_struct_size 0: the kernel reads it only in map=dev */
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_RAM, 2 * M);
	span[4096 + 92] = 0;
	span[4096 + 93] = 0;
	ndx_pfn_sb_seal(span + 4096, 0);
	CHECK(layout_of(ctx, span, 1 * G, &l) == 0, "mem pss 0: %s", ndctl_xen_layout_get_error(l));
	CHECK(ndctl_xen_layout_get_policy_rule(l) == NDCTL_XEN_RULE_NONE,
			"mem pss 0: %s", ndctl_xen_layout_get_policy_error(l));
	CHECK_EQ(ndctl_xen_layout_get_page_struct_size(l), 0);
	ndctl_xen_layout_unref(l);
	/* ... and refused in map=dev */
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_PMEM, 2 * M);
	span[4096 + 92] = 32;
	span[4096 + 93] = 0;
	ndx_pfn_sb_seal(span + 4096, 0);
	CHECK(layout_of(ctx, span, 1 * G, &l) == -EINVAL &&
			ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_PAGE_STRUCT_SIZE, "dev pss 32");
	ndctl_xen_layout_unref(l);
	/* end_trunc larger than needed but 2M-aligned: the kernel accepts it */
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_RAM, 2 * M);
	span[4096 + 80 + 2] = 0x20; /* end_trunc 2 MiB */
	span[4096 + 64] -= 2;       /* npfns as the kernel would then count */
	ndx_pfn_sb_seal(span + 4096, 0);
	CHECK(layout_of(ctx, span, 1 * G, &l) == 0, "end_trunc 2M: %s", ndctl_xen_layout_get_error(l));
	CHECK(ndctl_xen_layout_get_policy_rule(l) != NDCTL_XEN_RULE_NONE, "end_trunc 2M is ours");
	CHECK_EQ(ndctl_xen_layout_get_data_size(l), 1 * G - 2 * M - 2 * M);
	ndctl_xen_layout_unref(l);
	/* the kernel's own refusals */
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_PMEM, 2 * M);
	span[4096 + 56 + 2] ^= 0x10; /* dataoff 1 MiB off its 2 MiB alignment */
	ndx_pfn_sb_seal(span + 4096, 0);
	CHECK(layout_of(ctx, span, 1 * G, &l) == -EINVAL &&
			ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_DATAOFF_ALIGN, "misaligned dataoff: %s",
			ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)));
	ndctl_xen_layout_unref(l);
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_PMEM, 2 * M);
	span[4096 + 56] = 0; span[4096 + 57] = 0; span[4096 + 58] = 0x20; span[4096 + 59] = 0;
	ndx_pfn_sb_seal(span + 4096, 0); /* dataoff 2M: no room for 1G's memmap */
	CHECK(layout_of(ctx, span, 1 * G, &l) == -EINVAL &&
			ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_MEMMAP, "memmap: %s",
			ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)));
	ndctl_xen_layout_unref(l);
}

/* owner_name: NUL padding after the name, 16 NULs for os and hypervisor */
static void test_owner_padding(struct ndctl_xen_ctx *ctx)
{
	static const struct { uint32_t owner; const char name[17]; int junk_at; int ok; } cases[] = {
		{ 2, "", -1, 1 },
		{ 2, "", 0, 0 },          /* hypervisor with a name byte */
		{ 1, "", 15, 0 },         /* os, last byte */
		{ 3, "freebsd", -1, 1 },
		{ 3, "freebsd", 8, 0 },   /* a byte after the name's NUL */
		{ 3, "freebsd", 15, 0 },
		{ 3, "sixteen-chars-ok", -1, 1 },
	};
	struct ndctl_xen_layout *l;
	uint8_t span[8192];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ndx_pfn_info in;

		ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_RAM, 2 * M);
		CHECK(ndx_pfn_sb_decode(span + 4096, &in) == NDX_SB_OK, "decode");
		/* a 64M reservation, as ndctl-xen places it: [2M, 66M) */
		in.dataoff = 66 * M;
		in.npfns = (1 * G - 66 * M) / (4 * K);
		in.rsv.version_major = 1;
		in.rsv.offset = 2 * M;
		in.rsv.size = 64 * M;
		in.rsv.owner = cases[i].owner;
		memcpy(in.rsv.owner_name, cases[i].name, sizeof(in.rsv.owner_name));
		ndx_pfn_sb_encode(&in, 1, span + 4096);
		if (cases[i].junk_at >= 0) {
			span[4096 + 4064 + cases[i].junk_at] = 'x';
			ndx_pfn_sb_seal(span + 4096, 1);
		}
		CHECK((layout_of(ctx, span, 1 * G, &l) == 0) == cases[i].ok, "case %zu: %s", i,
				ndctl_xen_layout_get_error(l));
		if (!cases[i].ok)
			CHECK(ndctl_xen_layout_get_rule(l) == NDCTL_XEN_RULE_OWNER &&
					ndctl_xen_layout_get_reserve_size(l) == 0,
					"case %zu: rule %s, reserve kept", i,
					ndctl_xen_rule_name(ndctl_xen_layout_get_rule(l)));
		ndctl_xen_layout_unref(l);
	}
}

/* span's block with its uuid and parent_uuid set */
static void block_ids(uint8_t *span, unsigned char uuid_byte, const unsigned char parent[16])
{
	struct ndx_pfn_info in;

	CHECK(ndx_pfn_sb_decode(span + 4096, &in) == NDX_SB_OK, "decode");
	memset(in.uuid, uuid_byte, 16);
	memcpy(in.parent_uuid, parent, 16);
	ndx_pfn_sb_encode(&in, 0, span + 4096);
}

/* a file of 4096 bytes written at path */
static int plant(const char *path, const uint8_t *block)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, block, 4096) == 4096 ? 0 : -1;
	close(fd);
	return rc;
}

static void test_store(void)
{
	char dir[] = "/tmp/ndx-test-store.XXXXXX", path[256];
	uint8_t span[8192], got[4096];
	unsigned char ns[16], u[16], other[16], zero[16];
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	setenv("NDCTL_XEN_STATE_DIR", dir, 1);
	memset(ns, 0x22, 16);
	memset(u, 0x11, 16);
	memset(other, 0x33, 16);
	memset(zero, 0, 16);
	ndctl_block(span, 1 * G, 0, NDX_PFN_MODE_RAM, 2 * M);
	block_ids(span, 0x11, ns);
	CHECK(ndx_store_get(ns, 0, u, got) == -ENOENT, "empty store");
	CHECK(ndx_store_put(span + 4096, ns, 0) == 0, "put");
	CHECK(ndx_store_get(ns, 0, u, got) == 0 && memcmp(got, span + 4096, 4096) == 0,
			"get by namespace and uuid");
	CHECK(ndx_store_get_ns(ns, 0, got) == 0 && memcmp(got, span + 4096, 4096) == 0, "get by ns");
	CHECK(ndx_store_get_ns(other, 0, got) == -ENOENT, "other namespace");
	CHECK(ndx_store_get(other, 0, u, got) == -ENOENT, "the same uuid, another namespace");
	snprintf(path, sizeof(path), "%s/blocks", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "blocks/ is private");
	/*
	 * A block that names another namespace as its parent is never kept
	 * (the kernel adopts none there): a guest writing namespace "other"'s
	 * disk cannot plant a block carrying ns's uuid and parent
	 */
	CHECK(ndx_store_put(span + 4096, other, 0) == -EINVAL, "another namespace's block refused");
	CHECK(ndx_store_get_ns(other, 0, got) == -ENOENT, "nothing kept for it");
	CHECK(ndx_store_get(ns, 0, u, got) == 0 && memcmp(got, span + 4096, 4096) == 0,
			"ns's copy untouched");
	/*
	 * label-less namespaces (parent all zero) are keyed by their physical
	 * start: one's block never answers for another's, whatever its uuid
	 */
	block_ids(span, 0x11, zero);
	CHECK(ndx_store_put(span + 4096, zero, 0x240000000ull) == 0, "put label-less");
	CHECK(ndx_store_get_ns(zero, 0x240000000ull, got) == 0, "get label-less");
	CHECK(ndx_store_get_ns(zero, 0x280000000ull, got) == -ENOENT, "label-less elsewhere");
	CHECK(ndx_store_get(zero, 0x280000000ull, u, got) == -ENOENT,
			"label-less elsewhere, the same uuid");
	CHECK(ndx_store_put(span + 4096, ns, 0) == -EINVAL, "a label-less block on a labelled namespace");
	block_ids(span, 0x11, ns);
	/* not a copy: a torn or planted file is refused */
	snprintf(path, sizeof(path), "%s/blocks/ns-22222222-2222-2222-2222-222222222222."
			"11111111-1111-1111-1111-111111111111", dir);
	CHECK(truncate(path, 4095) == 0, "truncate");
	CHECK(ndx_store_get(ns, 0, u, got) == -EINVAL, "short copy");
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, span + 4096, 4096) == 4096, "rewrite");
	close(fd);
	CHECK(ndx_store_get(ns, 0, u, got) == 0, "whole again");
	/* a valid block under another uuid's name, or another namespace's */
	{
		char planted[256];

		snprintf(planted, sizeof(planted), "%s/blocks/ns-22222222-2222-2222-2222-222222222222."
				"33333333-3333-3333-3333-333333333333", dir);
		CHECK(plant(planted, span + 4096) == 0, "plant");
		CHECK(ndx_store_get(ns, 0, other, got) == -EINVAL, "uuid differs from the name");
		unlink(planted);
		snprintf(planted, sizeof(planted), "%s/blocks/ns-33333333-3333-3333-3333-333333333333."
				"11111111-1111-1111-1111-111111111111", dir);
		CHECK(plant(planted, span + 4096) == 0, "plant");
		CHECK(ndx_store_get(other, 0, u, got) == -EINVAL, "parent differs from the name");
		unlink(planted);
		/* a second name for a copy could be changed from wherever it lives */
		snprintf(planted, sizeof(planted), "%s/elsewhere", dir);
		CHECK(link(path, planted) == 0, "hard link");
		CHECK(ndx_store_get(ns, 0, u, got) == -EINVAL, "a copy with two links refused");
		unlink(planted);
		CHECK(ndx_store_get(ns, 0, u, got) == 0, "one link again");
	}
	unlink(path);
	/* a symlink is not followed */
	CHECK(symlink("/etc/passwd", path) == 0, "symlink");
	CHECK(ndx_store_get(ns, 0, u, got) == -EINVAL, "symlink refused");
	unlink(path);
	/* a state directory others can write is no evidence */
	snprintf(path, sizeof(path), "%s/blocks", dir);
	chmod(path, 0777);
	CHECK(ndx_store_put(span + 4096, ns, 0) == -EPERM, "world-writable store refused");
	chmod(path, 0700);
	/* only valid blocks are kept */
	span[4096 + 100] ^= 1;
	CHECK(ndx_store_put(span + 4096, ns, 0) == -EINVAL, "bad checksum refused");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0, "cleanup");
	}
}

int main(void)
{
	struct ndctl_xen_ctx *ctx;

	CHECK(ndctl_xen_new(&ctx) == 0, "ctx");
	test_kernel_vs_policy(ctx);
	test_owner_padding(ctx);
	test_store();
	ndctl_xen_unref(ctx);
	return h_report();
}
