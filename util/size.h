/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_UTIL_SIZE_H
#define NDCTL_XEN_UTIL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a size: a decimal or 0x-hexadecimal number (a leading zero is
 * just a zero: "0256M" is 256 MiB, never octal) with an optional K, M, G
 * or T suffix (powers of 1024).  Unlike strtoull it refuses signs,
 * spaces, empty strings, trailing characters and any value that does not
 * fit in 64 bits.  0 or -EINVAL (non-numeric) / -ERANGE.
 */
int util_parse_size(const char *str, uint64_t *out);

/* The same number without a suffix (frames, domains, offsets) */
int util_parse_u64(const char *str, uint64_t *out);

/*
 * A message with each hexadecimal number that is a whole number of MiB
 * followed by its size in units: "0xf800000" becomes "0xf800000 (248 MiB)".
 * out gets as much as fits, NUL-terminated.
 */
void util_annotate_sizes(const char *in, char *out, size_t len);

/* Exact: "64 MiB", "16775160 KiB", "4095 bytes" into buf */
const char *util_human_size(uint64_t bytes, char *buf, int len);

/*
 * As ndctl's --human shows a size: "64.00 MiB (67.11 MB)" (returns 1), or
 * below 5000 KiB the plain number (returns 0: ndctl prints a JSON number).
 */
int util_ndctl_size(uint64_t bytes, char *buf, int len);

#endif
