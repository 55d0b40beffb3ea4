/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_UTIL_RAND_H
#define NDCTL_XEN_UTIL_RAND_H

#include <stdint.h>

/* xorshift64*: reproducible choices for tests and benchmarks (state != 0) */
static inline uint64_t util_xorshift(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

#endif
