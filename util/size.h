/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_UTIL_SIZE_H
#define NDCTL_XEN_UTIL_SIZE_H

#include <stdint.h>

/*
 * Parse a size as ndctl does: a decimal, 0x-hex or 0-octal number with
 * an optional K, M, G or T suffix (powers of 1024).  Unlike strtoull it
 * refuses signs, empty strings, trailing characters and any value that
 * does not fit in 64 bits.  0 or -EINVAL (non-numeric) / -ERANGE.
 */
int util_parse_size(const char *str, uint64_t *out);

/* Exact: "64 MiB", "16775160 KiB", "4095 bytes" into buf */
const char *util_human_size(uint64_t bytes, char *buf, int len);

#endif
