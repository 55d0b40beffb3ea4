// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Provisioning a live namespace on an unmodified kernel: view it raw
 * (force_raw), write our info block at byte 4096, let the kernel probe it
 * (nd_pfn_probe() / nd_dax_probe() adopt a valid block), check what it
 * made of it, and put the old first 8 KiB back on any failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <blkid/blkid.h>
#include <daxctl/libdaxctl.h>
#include <linux/ndctl.h>

#include "fault.h"
#include "intent.h"
#include "store.h"
#include "private.h"

#define SPAN NDX_INFOBLOCK_SPAN

static __attribute__((format(printf, 3, 4)))
void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- kernel log: the reason a probe failed ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* The last kernel message since kmsg_open() that names one of the devices */
static void kmsg_reason(int fd, const char *const *names, char *out, size_t len)
{
	char rec[1024];
	ssize_t n;
	int i;

	out[0] = '\0';
	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg, *nl;

		if (n <= 0)
			continue;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		while (*msg == ' ')
			msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		for (i = 0; names[i]; i++)
			if (names[i][0] && strstr(msg, names[i]))
				break;
		/* keep every line about our devices, oldest first, as room allows */
		if (names[i] || strstr(msg, "WARNING")) {
			size_t used = strlen(out);

			snprintf(out + used, len - used, "%s%s", used ? "; " : "", msg);
		}
	}
	close(fd);
}

/* ---- what is on the namespace now ---- */

static int proc_holds(const char *devpath)
{
	DIR *proc = opendir("/proc");
	struct dirent *p, *f;
	char path[600], target[300];
	int found = 0;

	if (!proc)
		return 0;
	while (!found && (p = readdir(proc))) {
		DIR *fds;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = '\0';
				found = strcmp(target, devpath) == 0;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/*
 * Disabled and claimed by no pfn, dax or btt device (a new namespace
 * above all): no device of it exists for anyone to use, and nothing
 * claims it for libndctl to release.  One sysfs read where libndctl's
 * lookups of the three claim devices read holder three times and wait
 * for the bus each time.
 */
static int unused(struct ndctl_namespace *ndns)
{
	char holder[64];

	return !ndctl_namespace_is_enabled(ndns) &&
		ndx_sysfs_read(ndctl_namespace_get_devname(ndns), "holder", holder,
				sizeof(holder)) == 0 && !holder[0];
}

/* 0 when nobody uses the namespace's devices, -EBUSY with why otherwise */
static int check_idle(struct ndctl_namespace *ndns, char *why, size_t len)
{
	struct ndctl_pfn *pfn;
	struct ndctl_dax *dax;
	struct ndctl_btt *btt;
	const char *bdev = NULL;
	char path[64];
	int fd;

	if (unused(ndns))
		return 0;
	pfn = ndctl_namespace_get_pfn(ndns);
	dax = ndctl_namespace_get_dax(ndns);
	btt = ndctl_namespace_get_btt(ndns);
	if (pfn && ndctl_pfn_is_enabled(pfn))
		bdev = ndctl_pfn_get_block_device(pfn);
	else if (btt && ndctl_btt_is_enabled(btt))
		bdev = ndctl_btt_get_block_device(btt);
	else if (ndctl_namespace_is_enabled(ndns))
		bdev = ndctl_namespace_get_block_device(ndns);
	if (bdev && bdev[0]) {
		snprintf(path, sizeof(path), "/dev/%s", bdev);
		/* the kernel refuses O_EXCL while mounted or held (dm, md, swap) */
		fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd < 0 && errno == EBUSY) {
			say(why, len, "%s is in use: %s is mounted or held open exclusively",
					ndctl_namespace_get_devname(ndns), path);
			return -EBUSY;
		}
		if (fd >= 0)
			close(fd);
		if (proc_holds(path)) {
			say(why, len, "%s is in use: a process has %s open",
					ndctl_namespace_get_devname(ndns), path);
			return -EBUSY;
		}
	}
	if (dax && ndctl_dax_is_enabled(dax)) {
		struct daxctl_region *region = ndctl_dax_get_daxctl_region(dax);
		struct daxctl_dev *dev;

		daxctl_dev_foreach(region, dev) {
			snprintf(path, sizeof(path), "/dev/%s", daxctl_dev_get_devname(dev));
			if (daxctl_dev_has_online_memory(dev)) {
				say(why, len, "%s is in use: %s is online as system RAM",
						ndctl_namespace_get_devname(ndns), path);
				return -EBUSY;
			}
			if (proc_holds(path)) {
				say(why, len, "%s is in use: a process has %s open",
						ndctl_namespace_get_devname(ndns), path);
				return -EBUSY;
			}
		}
	}
	return 0;
}

/*
 * libblkid, loaded on first use: only a write's check for foreign content
 * needs it, and every other command (list above all) starts without
 * loading it.  NULL, with the loader's reason in why, when it cannot load.
 */
struct blkid_fns {
	__typeof__(blkid_new_probe_from_filename) *new_probe;
	__typeof__(blkid_probe_enable_superblocks) *enable_superblocks;
	__typeof__(blkid_probe_set_superblocks_flags) *set_superblocks_flags;
	__typeof__(blkid_probe_enable_partitions) *enable_partitions;
	__typeof__(blkid_do_safeprobe) *do_safeprobe;
	__typeof__(blkid_probe_lookup_value) *lookup_value;
	__typeof__(blkid_free_probe) *free_probe;
};

static const struct blkid_fns *blkid_fns(char *why, size_t len)
{
	static struct blkid_fns f;
	static int loaded;
	void *h;

	if (loaded)
		return &f;
	h = dlopen("libblkid.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&f.new_probe = dlsym(h, "blkid_new_probe_from_filename");
		*(void **)&f.enable_superblocks = dlsym(h, "blkid_probe_enable_superblocks");
		*(void **)&f.set_superblocks_flags = dlsym(h, "blkid_probe_set_superblocks_flags");
		*(void **)&f.enable_partitions = dlsym(h, "blkid_probe_enable_partitions");
		*(void **)&f.do_safeprobe = dlsym(h, "blkid_do_safeprobe");
		*(void **)&f.lookup_value = dlsym(h, "blkid_probe_lookup_value");
		*(void **)&f.free_probe = dlsym(h, "blkid_free_probe");
		loaded = f.new_probe && f.enable_superblocks && f.set_superblocks_flags &&
			f.enable_partitions && f.do_safeprobe && f.lookup_value && f.free_probe;
	}
	if (!loaded)
		snprintf(why, len, "%s", h ? "libblkid.so.1 lacks a probe function" : dlerror());
	return loaded ? &f : NULL;
}

/*
 * What a user may have stored in the first 8 KiB of a raw view, and with
 * devpath, what libblkid finds on the whole device (a filesystem or a
 * partition table).
 */
static const char *foreign_content(const uint8_t *head, const char *devpath)
{
	static char what[300];
	const struct blkid_fns *b;
	struct ndx_pfn_info info;
	blkid_probe pr;
	const char *type = NULL;
	char why[200];

	if (memcmp(head + NDX_SB_OFFSET, "BTT_ARENA_INFO", 14) == 0 ||
			memcmp(head, "BTT_ARENA_INFO", 14) == 0)
		return "a BTT (sector mode)";
	switch (ndx_pfn_sb_decode(head + NDX_SB_OFFSET, &info)) {
	case NDX_SB_OK:
		return info.is_dax ? "a valid devdax info block" : "a valid fsdax info block";
	case NDX_SB_BAD_CHECKSUM:
	case NDX_SB_BAD_VERSION:
		return "a damaged info block";
	default:
		break;
	}
	if (!devpath)
		return NULL;
	/* no libblkid: what is there is unknown, and unknown is not empty */
	b = blkid_fns(why, sizeof(why));
	if (!b) {
		snprintf(what, sizeof(what), "content libblkid could not check (%s)", why);
		return what;
	}
	pr = b->new_probe(devpath);
	if (!pr)
		return NULL;
	b->enable_superblocks(pr, 1);
	b->set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	b->enable_partitions(pr, 1);
	if (b->do_safeprobe(pr) == 0) {
		if (b->lookup_value(pr, "TYPE", &type, NULL) == 0 ||
				b->lookup_value(pr, "PTTYPE", &type, NULL) == 0)
			snprintf(what, sizeof(what), "a %s signature", type);
		else
			snprintf(what, sizeof(what), "a signature libblkid recognises");
		b->free_probe(pr);
		return what;
	}
	b->free_probe(pr);
	return NULL;
}

static int read_head(const char *devpath, uint8_t *buf)
{
	int fd = open(devpath, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, SPAN, 0);
	close(fd);
	if (n != SPAN)
		return n < 0 ? -errno : -EIO;
	return 0;
}

static int put(int fd, const uint8_t *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	return fdatasync(fd) < 0 ? -errno : 0;
}


/*
 * Write an 8 KiB head (pad + info block) so that a cut at any moment
 * leaves the old block, the new block, or a torn block with the old one
 * in the journal.  journal (NULL: none) goes into the pad first and stays
 * there unless clear: a forward rewrite keeps it until the next one, so
 * that a block the kernel then refuses can be rolled back after a cut.
 */
static int write_head(struct ndctl_xen_ctx *ctx, const char *devpath,
		const uint8_t *head, const uint8_t *journal, int clear, const char *stage)
{
	int fd = open(devpath, O_RDWR | O_DIRECT | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (journal) {
		rc = put(fd, journal, NDX_SB_SIZE, 0);
		ndx_fault_stop(ctx, stage, "journal");
	}
	if (!rc) {
		if (ndx_fault_torn(stage))
			rc = put(fd, head + NDX_SB_OFFSET, NDX_SB_SIZE / 2, NDX_SB_OFFSET);
		ndx_fault_stop(ctx, stage, "torn");
	}
	if (!rc)
		rc = put(fd, head + NDX_SB_OFFSET, NDX_SB_SIZE, NDX_SB_OFFSET);
	ndx_fault_stop(ctx, stage, "block");
	if (!rc && (!journal || clear))
		rc = put(fd, head, NDX_SB_SIZE, 0);
	close(fd);
	return rc;
}

/*
 * The journal for replacing head's block with one whose uuid is tag, in
 * jrnl; NULL when head's block is not valid (nothing to roll back to).
 */
static const uint8_t *journal_for(const uint8_t *head, const uint8_t tag[16], uint8_t *jrnl)
{
	return ndx_pfn_sb_journal_make(head + NDX_SB_OFFSET, tag, jrnl) == 0 ? jrnl : NULL;
}

/*
 * The journaled block is put back only if it is one this namespace could
 * hold: a valid block for its parent uuid whose layout passes every rule
 * for the namespace's size and start (ndctl_xen_infoblock_get_layout()).
 */
static int journal_fits(struct ndctl_xen_ctx *ctx, const uint8_t prev[NDX_SB_SIZE],
		uint64_t size, uint64_t phys_start)
{
	uint8_t span[SPAN];
	struct ndctl_xen_infoblock *ib;
	struct ndctl_xen_layout *l = NULL;
	int ok;

	memset(span, 0, NDX_SB_OFFSET);
	memcpy(span + NDX_SB_OFFSET, prev, NDX_SB_SIZE);
	if (ndctl_xen_infoblock_decode(ctx, span, SPAN, &ib) < 0)
		return 0;
	ok = ndctl_xen_infoblock_get_status(ib) == NDCTL_XEN_BLOCK_OK &&
		ndctl_xen_infoblock_get_layout(ib, size, phys_start, &l) == 0;
	ndctl_xen_layout_unref(l);
	ndctl_xen_infoblock_unref(ib);
	return ok;
}

/*
 * What a cut left, for a rewrite this host recorded (want_tag: the tag of
 * its intent record; NULL: no record, and the media alone never count):
 * head's pad is this namespace's journal with that tag, and its block is
 * torn, or is the block the journal was written for and the kernel did not
 * adopt it.  Then head becomes the journaled previous head (pad zeros) and
 * 1 is returned.  A journal of the record that no longer applies is
 * cleared from head (2).  0 otherwise.
 */
static int journal_rollback(struct ndctl_xen_ctx *ctx, uint8_t *head,
		const unsigned char parent[16], int adopted, const unsigned char *want_tag,
		uint64_t size, uint64_t phys_start)
{
	uint8_t prev[NDX_SB_SIZE], tag[16];
	struct ndx_pfn_info info, cur;
	enum ndx_sb_status st;

	if (!want_tag || ndx_pfn_sb_journal_open(head, prev, tag) ||
			memcmp(tag, want_tag, 16) != 0 ||
			ndx_pfn_sb_decode(prev, &info) != NDX_SB_OK ||
			memcmp(info.parent_uuid, parent, 16) != 0)
		return 0;
	st = ndx_pfn_sb_decode(head + NDX_SB_OFFSET, &cur);
	if (st == NDX_SB_OK && (adopted || memcmp(cur.uuid, tag, 16) != 0)) {
		memset(head, 0, NDX_SB_SIZE);
		return 2;
	}
	if (!journal_fits(ctx, prev, size, phys_start)) {
		info(ctx, "journaled block does not fit the namespace: not put back\n");
		return 0;
	}
	memset(head, 0, NDX_SB_SIZE);
	memcpy(head + NDX_SB_OFFSET, prev, NDX_SB_SIZE);
	return 1;
}

/* the uuid of the block in head */
static void block_uuid(const uint8_t *head, uint8_t uuid[16])
{
	struct ndx_pfn_info info;

	memset(uuid, 0, 16);
	if (ndx_pfn_sb_decode(head + NDX_SB_OFFSET, &info) == NDX_SB_OK)
		memcpy(uuid, info.uuid, 16);
}

/* the namespace's pfn/dax/btt device is bound: the kernel adopted its block */
static int adopted_now(const char *devname)
{
	char holder[64] = "", path[128];
	struct stat st;

	if (ndx_sysfs_read(devname, "holder", holder, sizeof(holder)) || !holder[0])
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", holder);
	return stat(path, &st) == 0;
}

/*
 * Bind a namespace whose force_raw is set to nd_pmem, through sysfs: a raw
 * probe makes no pfn, dax or btt device, so the rescan of all the region's
 * devices libndctl does after every ndctl_namespace_enable() (the probe
 * that adopts a block needs it) would read nothing new.  Without the
 * driver's bind file (nd_pmem not loaded), libndctl's enable loads it.
 */
static int raw_bind(struct ndctl_namespace *ndns)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/nd/drivers/nd_pmem/bind", ndx_sysfs_root());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ndctl_namespace_enable(ndns);
	n = write(fd, devname, strlen(devname));
	close(fd);
	if (n < 0)
		return -errno;
	return ndctl_namespace_is_enabled(ndns) ? 0 : -ENXIO;
}

/* Bring the namespace up raw (force_raw) and return its /dev path. */
static int raw_view(struct ndctl_namespace *ndns, char *path, size_t len)
{
	const char *bdev;
	int rc;

	rc = unused(ndns) ? 0 : ndctl_namespace_disable_safe(ndns);
	if (rc < 0)
		return rc;
	rc = ndctl_namespace_set_raw_mode(ndns, 1);
	if (rc < 0)
		return rc;
	rc = raw_bind(ndns);
	if (rc < 0)
		return rc;
	bdev = ndctl_namespace_get_block_device(ndns);
	if (!bdev || !bdev[0])
		return -ENXIO;
	snprintf(path, len, "/dev/%s", bdev);
	return 0;
}

/*
 * Let the kernel probe the namespace's info block again.  While it is
 * disabled and unclaimed, the label gets name (if not NULL) and the claim
 * class of mode (if not NDCTL_NS_MODE_UNKNOWN), as ndctl create-namespace
 * records it; label-less namespaces have neither.
 */
static int reprobe_named(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		const char *name, enum ndctl_namespace_mode mode)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	int rc;

	info(ctx, "%s: disabling it\n", devname);
	rc = ndctl_namespace_disable_safe(ndns);
	if (rc < 0)
		return rc;
	info(ctx, "%s: not raw, label name and mode\n", devname);
	rc = ndctl_namespace_set_raw_mode(ndns, 0);
	if (rc < 0)
		return rc;
	/* each label attribute written is a label update: none that changes nothing */
	if (name && strcmp(name, ndctl_namespace_get_alt_name(ndns) ?
				ndctl_namespace_get_alt_name(ndns) : "") != 0) {
		rc = ndctl_namespace_set_alt_name(ndns, name);
		if (rc < 0)
			return rc;
	}
	if (mode != NDCTL_NS_MODE_UNKNOWN && ndctl_namespace_get_type(ndns) ==
			ND_DEVICE_NAMESPACE_PMEM && ndctl_namespace_get_enforce_mode(ndns) != mode)
		ndctl_namespace_set_enforce_mode(ndns, mode);
	info(ctx, "%s: enabling it (the kernel's probe)\n", devname);
	return ndctl_namespace_enable(ndns);
}

static int reprobe(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns)
{
	return reprobe_named(ctx, ndns, NULL, NDCTL_NS_MODE_UNKNOWN);
}

/*
 * Nothing was written: put the namespace back as it was, enabled (the
 * kernel probes it again) or disabled (no probe, which for a BTT or a
 * filesystem would let the kernel write).
 */
static int leave(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns, int was_enabled)
{
	int rc;

	if (was_enabled)
		return reprobe(ctx, ndns) < 0 ? -ENXIO : 0;
	rc = ndctl_namespace_disable_safe(ndns);
	return rc ? rc : ndctl_namespace_set_raw_mode(ndns, 0);
}

/*
 * Did the kernel adopt the layout: a pfn/dax device, bound to its driver,
 * at base + dataoff with the data size?  The kernel registers that device
 * asynchronously, and libndctl's cached view may predate it, so this
 * reads sysfs and waits (with a deadline) for the driver to bind.
 */
static int check_adopted(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		struct ndctl_xen_layout *l, char *why, size_t len)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	int dax = ndctl_xen_layout_get_mode(l) == NDCTL_XEN_MODE_DEVDAX;
	uint64_t want_res = ndctl_namespace_get_resource(ndns) +
		ndctl_xen_layout_get_dataoff(l);
	uint64_t want_size = ndctl_xen_layout_get_data_size(l);
	struct timespec tick = { 0, 1000 * 1000 }, start, now;
	char holder[64] = "", buf[64], path[256];
	unsigned long long res = 0, size = 0;
	struct stat st;
	int i;

	info(ctx, "%s: waiting for the kernel's device to bind\n", devname);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0;; i++) {
		/* the bus's wait_probe returns once its asynchronous probes are done */
		ndctl_bus_wait_probe(ndctl_namespace_get_bus(ndns));
		if (ndx_sysfs_read(devname, "holder", holder, sizeof(holder)) == 0 &&
				holder[0]) {
			snprintf(path, sizeof(path), "/sys/bus/nd/devices/%s/driver", holder);
			if (stat(path, &st) == 0)
				break;
		}
		holder[0] = '\0';
		/* a driver bound from elsewhere (a module loading): 5 s at most */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 5)
			break;
		nanosleep(&tick, NULL);
	}
	dbg(ctx, "%s: holder '%s' after %d polls\n", devname, holder, i);
	if (!holder[0] && ctx->log_priority >= LOG_DEBUG) {
		char hc[32] = "", fr[8] = "", uu[64] = "";

		ndx_sysfs_read(devname, "holder_class", hc, sizeof(hc));
		ndx_sysfs_read(devname, "force_raw", fr, sizeof(fr));
		ndx_sysfs_read(devname, "uuid", uu, sizeof(uu));
		dbg(ctx, "%s: holder_class '%s' force_raw %s uuid %s\n", devname, hc, fr, uu);
	}
	if (!holder[0] || strncmp(holder, dax ? "dax" : "pfn", 3) != 0) {
		say(why, len, "the kernel did not bring up a %s device for %s%s%s",
				dax ? "dax" : "pfn", devname, holder[0] ? " but " : "", holder);
		return -ENXIO;
	}
	if (ndx_sysfs_read(holder, "resource", buf, sizeof(buf)) == 0)
		res = strtoull(buf, NULL, 0);
	if (ndx_sysfs_read(holder, "size", buf, sizeof(buf)) == 0)
		size = strtoull(buf, NULL, 0);
	/*
	 * dax_pmem binds the nd_dax device before the memory is mapped;
	 * device_dax binding its child daxX.Y is what can still fail (-12).
	 */
	if (dax && !ndx_dax_child_bound(holder)) {
		say(why, len, "%s: its device-dax instance did not bind "
				"(the kernel could not map the memory)", holder);
		return -ENXIO;
	}
	if (res != want_res || size != want_size) {
		say(why, len, "%s starts at %#llx with %llu bytes, expected %#llx with %llu",
				holder, res, size, (unsigned long long)want_res,
				(unsigned long long)want_size);
		return -ENXIO;
	}
	info(ctx, "%s: adopted by %s at %#llx, %llu bytes\n", devname, holder, res, size);
	return 0;
}

/* Put back the old first 8 KiB and let the kernel probe them again. */
static int restore(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		uint8_t *old, enum ndctl_namespace_mode old_mode)
{
	char path[64];
	int rc;

	/* the forward rewrite's journal (if any) covers a cut in here too */
	rc = raw_view(ndns, path, sizeof(path));
	if (!rc)
		rc = write_head(ctx, path, old, NULL, 1, "restore-");
	/* enabling returns 1 when a pfn/dax device claimed the namespace */
	if (!rc && reprobe_named(ctx, ndns, NULL, old_mode) < 0)
		rc = -ENXIO;
	if (rc)
		err(ctx, "%s: restoring the old first 8 KiB failed: %s\n",
				ndctl_namespace_get_devname(ndns), strerror(-rc));
	return rc;
}

/*
 * One provisioning, step by step.  The order of the durable steps is the
 * contract recover and the power-cut tests rely on: the intent record is
 * durable before the first media write (journal_step() before
 * write_step()), the store's copy before success (verify_step()).
 */
struct prov {
	struct ndctl_xen_ctx *ctx;
	struct ndctl_namespace *ndns;
	struct ndctl_xen_layout *l;
	unsigned int flags;
	const char *name;	/* a new namespace's label name ("" none); NULL: a rewrite */
	char *why;
	size_t why_len;
	const char *devname;
	uint64_t res, ns_size;
	unsigned char parent[16];
	uint8_t *old, *fresh_head;
	/* O_DIRECT: the journal is written from this buffer */
	uint8_t jrnl[NDX_SB_SIZE] __attribute__((aligned(4096)));
	uint8_t tag[16];
	char path[64];
	enum ndctl_namespace_mode old_mode;
	int was_enabled, adopted, fresh, kmsg;
	/* a new namespace's store copy, written while the kernel probes */
	pthread_t store_thread;
	int store_started, store_rc;
};

/* append to why */
static __attribute__((format(printf, 2, 3)))
void say_more(struct prov *p, const char *fmt, ...)
{
	size_t used = p->why ? strlen(p->why) : p->why_len;
	va_list ap;

	if (used + 1 >= p->why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(p->why + used, p->why_len - used, fmt, ap);
	va_end(ap);
}

/*
 * choose: the layout for this namespace on this kernel (size, start, the
 * platform's limits), the namespace idle, and the new first 8 KiB encoded.
 * Nothing is changed yet.
 */
static int choose_step(struct prov *p)
{
	const char *region = ndctl_region_get_devname(ndctl_namespace_get_region(p->ndns));
	int rc;

	info(p->ctx, "%s: choosing the layout\n", p->devname);
	ndctl_xen_layout_set_size(p->l, p->ns_size);
	ndctl_xen_layout_set_phys_start(p->l, p->res);
	if (ndctl_xen_layout_set_platform(p->l, region) == 1)
		info(p->ctx, "%s: a Xen PV kernel: no memmap on the device over whole "
				"sections\n", p->devname);
	rc = ndctl_xen_layout_compute(p->l);
	if (rc) {
		const char *value, *key = ndctl_xen_layout_get_remedy(p->l, &value);

		/* the caller checked the layout first: the remedy in the library's words */
		say(p->why, p->why_len, "%s: %s%s%s%s%s",
				ndctl_xen_rule_name(ndctl_xen_layout_get_rule(p->l)),
				ndctl_xen_layout_get_error(p->l), key ? "; use " : "",
				key ? key : "", key ? "=" : "", key && value ? value : "");
		return rc;
	}
	if (ndctl_xen_layout_get_platform_choice(p->l)[0])
		info(p->ctx, "%s: for this kernel: %s\n", p->devname,
				ndctl_xen_layout_get_platform_choice(p->l));
	rc = check_idle(p->ndns, p->why, p->why_len);
	if (rc)
		return rc;
	if (posix_memalign((void **)&p->old, 4096, SPAN) ||
			posix_memalign((void **)&p->fresh_head, 4096, SPAN))
		return -ENOMEM;
	/* a label-less namespace has no uuid: its blocks carry zeros */
	ndctl_namespace_get_uuid(p->ndns, p->parent);
	rc = ndctl_xen_layout_encode(p->l, NULL, p->parent, p->fresh_head, SPAN);
	if (rc)
		return rc;
	ndx_fault_spoil(p->ctx, p->devname, p->fresh_head + NDX_SB_OFFSET);
	return 0;
}

/*
 * read the old state: the namespace raw, its first 8 KiB (or the
 * journaled block a cut left), refused if it holds something of the
 * user's.  On failure the namespace is left as it was.
 */
static int read_old_step(struct prov *p)
{
	struct ndx_intent prior;
	const unsigned char *prior_tag = NULL;
	const char *foreign;
	int rc;

	info(p->ctx, "%s: viewing raw\n", p->devname);
	p->was_enabled = ndctl_namespace_is_enabled(p->ndns);
	p->adopted = adopted_now(p->devname);
	p->old_mode = ndctl_namespace_get_enforce_mode(p->ndns);
	rc = raw_view(p->ndns, p->path, sizeof(p->path));
	if (rc) {
		say(p->why, p->why_len, "cannot view %s raw: %s", p->devname, strerror(-rc));
		if (rc != -EBUSY)
			leave(p->ctx, p->ndns, p->was_enabled);
		return rc;
	}
	ndx_fault_stop(p->ctx, "", "raw");
	info(p->ctx, "%s: reading its first 8 KiB\n", p->devname);
	rc = read_head(p->path, p->old);
	if (rc) {
		say(p->why, p->why_len, "%s: read: %s", p->path, strerror(-rc));
		leave(p->ctx, p->ndns, p->was_enabled);
		return rc;
	}
	/*
	 * The old state of a rewrite a cut interrupted is the journaled
	 * block, if this host recorded that rewrite: a journal the media
	 * alone hold is just data.
	 */
	if (!p->fresh && ndx_intent_read(p->parent, p->res, &prior) == 0 &&
			prior.op == NDX_INTENT_REWRITE)
		prior_tag = prior.tag;
	if (journal_rollback(p->ctx, p->old, p->parent, p->adopted, prior_tag, p->ns_size,
				p->res) == 1)
		info(p->ctx, "%s: a cut interrupted a rewrite: the old state is the journaled "
				"block\n", p->devname);
	/*
	 * A new namespace was free space of the region until now: what a
	 * destroyed namespace left there is nobody's data (ndctl
	 * create-namespace writes over it too), so libblkid's probe of the
	 * whole device is for an existing namespace; the first 8 KiB, which
	 * this overwrites, are looked at in both.
	 */
	info(p->ctx, "%s: looking for a block or a BTT there%s\n", p->devname,
			p->fresh ? "" : ", and a signature (libblkid)");
	foreign = foreign_content(p->old, p->fresh ? NULL : p->path);
	if (foreign && !(p->flags & NDCTL_XEN_PROVISION_FORCE)) {
		say(p->why, p->why_len, "%s holds %s; use --force to overwrite it", p->devname,
				foreign);
		leave(p->ctx, p->ndns, p->was_enabled);
		return -EEXIST;
	}
	return 0;
}

/*
 * journal: the host's evidence first, durably, then the media: recover
 * acts only on what such a record names.  A new namespace has its record
 * from before its label was written (ndctl_xen_namespace_mark_new()); one
 * is made here if the caller did not.
 */
static int journal_step(struct prov *p)
{
	struct ndx_intent rec = { 0 }, prior;
	int rc = 0, marked;

	block_uuid(p->fresh_head, p->tag);
	memcpy(rec.uuid, p->parent, 16);
	memcpy(rec.tag, p->tag, 16);
	rec.op = p->fresh ? NDX_INTENT_NEW : NDX_INTENT_REWRITE;
	rec.resource = p->fresh ? 0 : p->res;
	rec.size = p->fresh ? 0 : p->ns_size;
	/* a record this context just made for the namespace needs no reading back */
	marked = memcmp(p->ctx->marked, p->parent, 16) == 0;
	memset(p->ctx->marked, 0, 16);
	if (!p->fresh || (!marked && (ndx_intent_read(p->parent, p->res, &prior) != 0 ||
			prior.op != NDX_INTENT_NEW))) {
		info(p->ctx, "%s: recording the intent (file, fsync, directory fsync)\n",
				p->devname);
		rc = ndx_intent_write(&rec);
	}
	if (rc) {
		say(p->why, p->why_len, "cannot record the intent in %s: %s; nothing written",
				ndx_intent_dir(), strerror(-rc));
		leave(p->ctx, p->ndns, p->was_enabled);
	}
	return rc;
}

/* write: the new block, journaled in the pad (write_head()) */
static int write_step(struct prov *p)
{
	int rc;

	info(p->ctx, "%s: writing the info block (dataoff %#llx)\n", p->devname,
			(unsigned long long)ndctl_xen_layout_get_dataoff(p->l));
	rc = write_head(p->ctx, p->path, p->fresh_head, journal_for(p->old, p->tag, p->jrnl),
			0, "");
	if (rc)
		say(p->why, p->why_len, "%s: write: %s", p->path, strerror(-rc));
	return rc;
}

static void *store_put_thread(void *arg)
{
	struct prov *p = arg;

	p->store_rc = ndx_store_put(p->fresh_head + NDX_SB_OFFSET, p->parent, p->res);
	return NULL;
}

/*
 * A new namespace's block goes into the store while the kernel probes it
 * (the store's fsyncs and the kernel's unbind and probe overlap): the
 * copy is durable before success all the same (store_end() waits for it),
 * and a probe that fails takes it back.  A rewrite replaces the copy the
 * namespace's live answers come from, so it keeps the new one only after
 * the kernel adopted the block (verify_step()).
 */
static void store_begin(struct prov *p)
{
	if (!p->fresh)
		return;
	info(p->ctx, "%s: keeping its block in the store beside the probe (2 files: "
			"2 fsyncs, 1 directory fsync)\n", p->devname);
	p->store_started = pthread_create(&p->store_thread, NULL, store_put_thread, p) == 0;
	if (!p->store_started)
		info(p->ctx, "%s: no thread for the store: after the probe\n", p->devname);
}

/* wait for the store's copy; keep it, or take it back: the copy's status */
static int store_end(struct prov *p, int keep)
{
	if (!p->store_started)
		return 0;
	pthread_join(p->store_thread, NULL);
	p->store_started = 0;
	if (!keep && p->store_rc == 0)
		ndx_store_drop(p->fresh_head + NDX_SB_OFFSET, p->parent, p->res);
	return p->store_rc;
}

/* the kernel's words about the probe, after why */
static void probe_reason(struct prov *p, const char *lead)
{
	const char *names[4] = { p->devname, "pfn", "dax", NULL };
	char reason[1024];

	kmsg_reason(p->kmsg, names, reason, sizeof(reason));
	p->kmsg = -1;
	if (reason[0])
		say_more(p, "%s%s", lead, reason);
}

/* probe: the kernel reads the new block (and the label gets name and mode) */
static int probe_step(struct prov *p)
{
	int rc;

	p->kmsg = kmsg_open();
	store_begin(p);
	info(p->ctx, "%s: letting the kernel probe it\n", p->devname);
	rc = reprobe_named(p->ctx, p->ndns, p->name, ndctl_xen_layout_get_mode(p->l) ==
			NDCTL_XEN_MODE_DEVDAX ? NDCTL_NS_MODE_DEVDAX : NDCTL_NS_MODE_FSDAX);
	dbg(p->ctx, "%s: reprobe: %d\n", p->devname, rc);
	if (rc < 0) {
		say(p->why, p->why_len, "the kernel did not enable %s (%s)", p->devname,
				strerror(-rc));
		probe_reason(p, ": ");
	}
	return rc < 0 ? rc : 0;
}

/*
 * verify: the kernel adopted the layout; then the store's copy, durably,
 * before success, and the intent record goes.
 */
static int verify_step(struct prov *p)
{
	int rc = check_adopted(p->ctx, p->ndns, p->l, p->why, p->why_len);

	if (rc) {
		probe_reason(p, ": kernel says: ");
		return rc;
	}
	if (p->kmsg >= 0)
		close(p->kmsg);
	p->kmsg = -1;
	/* the host's copy of what the kernel adopted: live answers come from it */
	if (p->store_started) {
		info(p->ctx, "%s: waiting for its block's copy in the store\n", p->devname);
		rc = store_end(p, 1);
	} else {
		info(p->ctx, "%s: keeping its block in the store (2 files: 2 fsyncs, 1 "
				"directory fsync)\n", p->devname);
		rc = ndx_store_put(p->fresh_head + NDX_SB_OFFSET, p->parent, p->res);
	}
	if (rc)
		info(p->ctx, "%s: cannot keep its block in %s/blocks: %s\n", p->devname,
				ndx_intent_dir(), strerror(-rc));
	/*
	 * the outcome is known: the new state.  A new namespace's record need
	 * not be gone from the disk before success: its label name is final
	 * now, and recover clears such a record.  A rewrite's must: recover
	 * would take a block the kernel did not adopt at the next boot for a
	 * cut rewrite and put the journaled one back.
	 */
	info(p->ctx, "%s: removing the intent record%s\n", p->devname,
			p->fresh ? " (no fsync)" : " (directory fsync)");
	if (ndx_intent_clear(p->parent, p->res, !p->fresh))
		info(p->ctx, "%s: cannot remove its intent record in %s\n", p->devname,
				ndx_intent_dir());
	return 0;
}

/* restore: the old first 8 KiB back after a failed write, probe or verify */
static int restore_step(struct prov *p)
{
	if (restore(p->ctx, p->ndns, p->old, p->old_mode)) {
		say_more(p, "; restoring the old state FAILED, %s may be left raw", p->devname);
		return -ENOTRECOVERABLE;
	}
	say_more(p, "; %s restored to its previous state", p->devname);
	/* a new namespace keeps its record until the caller deleted it */
	if (!p->fresh)
		ndx_intent_clear(p->parent, p->res, 1);
	return 0;
}

static int provision(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		struct ndctl_xen_layout *l, unsigned int flags, const char *name,
		char *why, size_t why_len)
{
	struct prov *p;
	int rc;

	say(why, why_len, "%s", "");
	/* 4 KiB aligned for the journal buffer inside */
	if (posix_memalign((void **)&p, 4096, sizeof(*p)))
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->ndns = ndns;
	p->l = l;
	p->flags = flags;
	p->name = name;
	p->fresh = name != NULL;
	p->why = why;
	p->why_len = why_len;
	p->devname = ndctl_namespace_get_devname(ndns);
	p->res = ndctl_namespace_get_resource(ndns);
	p->ns_size = ndctl_namespace_get_size(ndns);
	p->old_mode = NDCTL_NS_MODE_UNKNOWN;
	p->kmsg = -1;
	rc = ndctl_xen_lock(ctx, 60);
	if (rc) {
		say(why, why_len, "%s", ndctl_xen_lock_error(rc));
		free(p);
		return rc;
	}
	rc = choose_step(p);
	if (!rc)
		rc = read_old_step(p);
	if (!rc)
		rc = journal_step(p);
	if (!rc) {
		rc = write_step(p);
		if (!rc)
			rc = probe_step(p);
		if (!rc)
			rc = verify_step(p);
		if (rc) {
			int restored;

			store_end(p, 0);
			restored = restore_step(p);

			if (restored)
				rc = restored;
		}
	}
	if (p->kmsg >= 0)
		close(p->kmsg);
	free(p->old);
	free(p->fresh_head);
	ndctl_xen_unlock(ctx);
	free(p);
	return rc;
}

NDX_EXPORT int ndctl_xen_namespace_provision(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout *l,
		unsigned int flags, char *why, size_t why_len)
{
	return provision(ctx, ndns, l, flags, NULL, why, why_len);
}

NDX_EXPORT int ndctl_xen_namespace_provision_new(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, struct ndctl_xen_layout *l,
		unsigned int flags, const char *name, char *why, size_t why_len)
{
	return provision(ctx, ndns, l, flags, name ? name : "", why, why_len);
}

/*
 * An idle namespace's first 8 KiB through a raw view: *head is allocated
 * (4 KiB aligned) once the namespace is found idle, and stays NULL when
 * nothing was changed; path gets the raw device.  0, or -errno with why.
 */
static int read_idle_raw(struct ndctl_namespace *ndns, uint8_t **head, char *path,
		size_t path_len, char *why, size_t why_len)
{
	int rc = check_idle(ndns, why, why_len);

	if (rc)
		return rc;
	if (posix_memalign((void **)head, 4096, SPAN)) {
		*head = NULL;
		return -ENOMEM;
	}
	rc = raw_view(ndns, path, path_len);
	if (!rc)
		rc = read_head(path, *head);
	if (rc)
		say(why, why_len, "cannot read %s raw: %s", ndctl_namespace_get_devname(ndns),
				strerror(-rc));
	return rc;
}

/* An unfinished new namespace this host marked: its space was free before. */
static int remove_unfinished(struct ndctl_xen_ctx *ctx, struct ndctl_namespace *ndns,
		const char *path, uint8_t *head)
{
	int rc;

	/* leave no block behind for the next namespace there */
	memset(head, 0, SPAN);
	rc = write_head(ctx, path, head, NULL, 1, "recover-");
	if (!rc)
		rc = ndctl_namespace_disable_safe(ndns);
	if (!rc) {
		ndctl_namespace_set_raw_mode(ndns, 0);
		ndctl_namespace_set_enforce_mode(ndns, NDCTL_NS_MODE_RAW);
		rc = ndctl_namespace_delete(ndns);
	}
	return rc;
}

NDX_EXPORT int ndctl_xen_namespace_recover(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, enum ndctl_xen_recovery *done,
		char *why, size_t why_len)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	const char *alt = ndctl_namespace_get_alt_name(ndns);
	int pending = alt && strcmp(alt, NDCTL_XEN_PENDING_NAME) == 0;
	uint64_t res = ndctl_namespace_get_resource(ndns);
	uint64_t ns_size = ndctl_namespace_get_size(ndns);
	unsigned char parent[16];
	char path[64], holder[64] = "";
	struct ndx_intent rec;
	uint8_t *head = NULL;
	int rc, was_enabled;

	*done = NDCTL_XEN_RECOVERY_NONE;
	say(why, why_len, "%s", "");
	if (ns_size == 0)
		return 0;
	/*
	 * Only what this host recorded before writing: a journal, a torn
	 * block or a "pending" label name on the media alone (a guest or a
	 * plain ndctl may have put them there) never cause a write.
	 */
	/* the lock first: the records are root's, and so is the answer */
	rc = ndctl_xen_lock(ctx, 60);
	if (rc) {
		say(why, why_len, "%s", ndctl_xen_lock_error(rc));
		return rc;
	}
	ndctl_namespace_get_uuid(ndns, parent);
	rc = ndx_intent_read(parent, res, &rec);
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc) {
		say(why, why_len, "its intent record in %s is unreadable or malformed (%s): "
				"not acting on it", ndx_intent_dir(), strerror(-rc));
		goto out;
	}
	/* the provisioning finished (renamed, or adopted): only the record is left */
	if ((rec.op == NDX_INTENT_NEW && !pending) || (rec.op == NDX_INTENT_REWRITE &&
			ndx_sysfs_read(devname, "holder", holder, sizeof(holder)) == 0 &&
			holder[0])) {
		rc = ndx_intent_clear(parent, res, 1);
		goto out;
	}
	was_enabled = ndctl_namespace_is_enabled(ndns);
	rc = read_idle_raw(ndns, &head, path, sizeof(path), why, why_len);
	if (rc)
		goto out;
	if (rec.op == NDX_INTENT_NEW) {
		info(ctx, "%s: deleting an unfinished new namespace\n", devname);
		rc = remove_unfinished(ctx, ndns, path, head);
		if (rc) {
			say(why, why_len, "cannot delete the unfinished namespace %s: %s",
					devname, strerror(-rc));
			goto out;
		}
		*done = NDCTL_XEN_RECOVERY_REMOVED;
		rc = ndx_intent_clear(parent, 0, 1);
		goto out;
	}
	switch (journal_rollback(ctx, head, parent, 0, rec.tag, ns_size, res)) {
	case 1:
		info(ctx, "%s: putting back the block the journal holds\n", devname);
		*done = NDCTL_XEN_RECOVERY_JOURNAL;
		/* fall through */
	case 2:
		rc = write_head(ctx, path, head, NULL, 1, "recover-");
		if (rc) {
			say(why, why_len, "%s: write: %s", path, strerror(-rc));
			goto out;
		}
		break;
	default:
		break;
	}
	rc = leave(ctx, ndns, was_enabled || *done);
	if (rc)
		say(why, why_len, "cannot enable %s again: %s", devname, strerror(-rc));
	else
		rc = ndx_intent_clear(parent, res, 1);
out:
	if (rc && !why[0])
		say(why, why_len, "%s: %s", devname, strerror(-rc));
	free(head);
	ndctl_xen_unlock(ctx);
	return rc;
}

NDX_EXPORT int ndctl_xen_namespace_remember(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, char *why, size_t why_len)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	uint64_t res = ndctl_namespace_get_resource(ndns);
	uint8_t *head = NULL, block[NDX_SB_SIZE];
	unsigned char parent[16], uuid[16];
	char holder[64] = "", u[64], path[64];
	int rc;

	say(why, why_len, "%s", "");
	if (!adopted_now(devname) || ndx_sysfs_read(devname, "holder", holder, sizeof(holder)) ||
			strncmp(holder, "btt", 3) == 0)
		return 0;
	if (ndx_sysfs_read(holder, "uuid", u, sizeof(u)) || uuid_parse(u, uuid))
		return 0;
	ndctl_namespace_get_uuid(ndns, parent);
	if (ndx_store_get(parent, res, uuid, block) == 0)
		return 0;
	rc = ndctl_xen_lock(ctx, 60);
	if (rc) {
		say(why, why_len, "%s", ndctl_xen_lock_error(rc));
		return rc;
	}
	info(ctx, "%s: the block of %s is not in the store\n", devname, holder);
	rc = read_idle_raw(ndns, &head, path, sizeof(path), why, why_len);
	/* nothing was changed before the raw view (in use, out of memory) */
	if (!head)
		goto out;
	if (!rc) {
		rc = ndx_store_put(head + NDX_SB_OFFSET, parent, res);
		if (rc)
			say(why, why_len, "cannot keep the block of %s in %s/blocks: %s",
					devname, ndx_intent_dir(), strerror(-rc));
	}
	/* give it back to the kernel, which adopts the same block again */
	if (reprobe(ctx, ndns) < 0 && !rc) {
		say(why, why_len, "cannot enable %s again", devname);
		rc = -ENXIO;
	}
	if (!rc)
		rc = 1;
out:
	free(head);
	ndctl_xen_unlock(ctx);
	return rc;
}

NDX_EXPORT int ndctl_xen_namespace_read_head(struct ndctl_xen_ctx *ctx,
		struct ndctl_namespace *ndns, uint8_t *buf, char *why, size_t why_len)
{
	const char *devname = ndctl_namespace_get_devname(ndns);
	uint64_t res = ndctl_namespace_get_resource(ndns);
	struct ndx_pfn_info info;
	unsigned char parent[16];
	uint8_t *head = NULL;
	char path[64];
	int rc, left;

	say(why, why_len, "%s", "");
	/* ndctl's namespace_rw_infoblock() refuses an active namespace too */
	if (ndctl_namespace_is_active(ndns)) {
		say(why, why_len, "%s is active: its info block is behind the kernel's "
				"device; disable it first", devname);
		return -EBUSY;
	}
	rc = ndctl_xen_lock(ctx, 60);
	if (rc) {
		say(why, why_len, "%s", ndctl_xen_lock_error(rc));
		return rc;
	}
	rc = read_idle_raw(ndns, &head, path, sizeof(path), why, why_len);
	if (!head)
		goto out;
	if (!rc) {
		memcpy(buf, head, SPAN);
		ndctl_namespace_get_uuid(ndns, parent);
		if (ndx_pfn_sb_decode(head + NDX_SB_OFFSET, &info) == NDX_SB_OK &&
				ndx_store_put(head + NDX_SB_OFFSET, parent, res))
			info(ctx, "%s: cannot keep its block in %s/blocks\n", devname,
					ndx_intent_dir());
	}
	/* disabled it was, and disabled (not raw) it stays: no probe */
	left = leave(ctx, ndns, 0);
	if (left && !rc) {
		say(why, why_len, "cannot disable %s again: %s", devname, strerror(-left));
		rc = left;
	}
out:
	free(head);
	ndctl_xen_unlock(ctx);
	return rc;
}
