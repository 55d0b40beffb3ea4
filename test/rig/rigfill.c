/* rigfill: write or check a position-dependent pattern in a file or device.
 *
 *   rigfill write|check PATH OFFSET LENGTH TAG
 *
 * Every 16-byte record at byte p of the range (p relative to OFFSET) holds
 * TAG (first 8 bytes, padded with '.') and p/16 as a little-endian u64, so
 * a shifted or truncated copy never passes a check.  Character devices
 * (device-dax) cannot be written with write(2): they are mmapped instead.
 * Exit 0 on success, 1 on a mismatch (first bad offset printed), 2 on error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static void fill(unsigned char *buf, uint64_t pos, size_t len, const char *tag)
{
	unsigned char head[8];

	memset(head, '.', 8);
	memcpy(head, tag, strnlen(tag, 8));
	for (size_t i = 0; i < len; i += 16) {
		uint64_t rec = (pos + i) / 16;
		unsigned char le[8];

		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(rec >> (8 * b));
		memcpy(buf + i, head, 8);
		memcpy(buf + i + 8, le, 8);
	}
}

static int report(uint64_t off, const unsigned char *want, const unsigned char *got, size_t len)
{
	if (!memcmp(want, got, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (want[i] != got[i]) {
			fprintf(stderr, "rigfill: mismatch at offset %llu: want 0x%02x got 0x%02x\n",
				(unsigned long long)(off + i), want[i], got[i]);
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6 || (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: rigfill write|check PATH OFFSET LENGTH TAG\n");
		return 2;
	}
	int writing = !strcmp(argv[1], "write");
	uint64_t off = strtoull(argv[3], NULL, 0), len = strtoull(argv[4], NULL, 0);
	const char *tag = argv[5];
	if (off % 16 || len % 16) {
		fprintf(stderr, "rigfill: offset and length must be multiples of 16\n");
		return 2;
	}
	int fd = open(argv[2], writing ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		perror("fstat");
		return 2;
	}
	static unsigned char want[CHUNK], got[CHUNK];
	if (S_ISCHR(st.st_mode)) {
		/* device-dax: offset and length must respect the device's align */
		unsigned char *map = mmap(NULL, len, PROT_READ | (writing ? PROT_WRITE : 0),
					  MAP_SHARED, fd, (off_t)off);
		if (map == MAP_FAILED) {
			perror("mmap");
			return 2;
		}
		for (uint64_t pos = 0; pos < len; pos += CHUNK) {
			size_t n = len - pos < CHUNK ? len - pos : CHUNK;
			fill(want, pos, n, tag);
			if (writing)
				memcpy(map + pos, want, n);
			else if (report(off + pos, want, map + pos, n))
				return 1;
		}
		/* no msync: device-dax has no page cache (and refuses msync) */
		munmap(map, len);
	} else {
		for (uint64_t pos = 0; pos < len; pos += CHUNK) {
			size_t n = len - pos < CHUNK ? len - pos : CHUNK;
			fill(want, pos, n, tag);
			ssize_t r = writing ? pwrite(fd, want, n, (off_t)(off + pos))
					    : pread(fd, got, n, (off_t)(off + pos));
			if (r != (ssize_t)n) {
				fprintf(stderr, "rigfill: %s at %llu: %s\n", writing ? "write" : "read",
					(unsigned long long)(off + pos), r < 0 ? strerror(errno) : "short");
				return 2;
			}
			if (!writing && report(off + pos, want, got, n))
				return 1;
		}
		if (writing && fsync(fd)) {
			perror("fsync");
			return 2;
		}
	}
	close(fd);
	return 0;
}
