/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal check harness: counts checks, prints "N passed, N failed". */
#ifndef NDCTL_XEN_TEST_HARNESS_H
#define NDCTL_XEN_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>

static unsigned int h_passed, h_failed;

#define CHECK(cond, ...) do { \
	if (cond) { \
		h_passed++; \
	} else { \
		h_failed++; \
		fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b); \
	CHECK(_a == _b, "%s = %#" PRIx64 ", expected %#" PRIx64, #a, _a, _b); \
} while (0)

static inline int h_report(void)
{
	printf("%u passed, %u failed\n", h_passed, h_failed);
	return h_failed ? 1 : 0;
}

#endif
