// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ndctl-xen apply's parser on large desired states: N entries, each with
 * a name and a uuid, parsed and checked (duplicates included) as apply
 * does before it looks at any device.  The figures before the duplicate
 * check was made O(n log n) (issue 23: a pairwise check, uuid_parse twice
 * a pair) are printed beside the ones measured now.
 *
 *   bench-apply-parse [N...]   default 2000 4000 8000 16000
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ndctl/builtin.h"
#include "../ndctl/apply.h"

/* issue 23's measurement of the pairwise check, seconds (0: not measured) */
static double before(long n)
{
	return n == 2000 ? 3.2 : n == 4000 ? 14.6 : n == 8000 ? 67.6 : 0;
}

static char *state_text(long n)
{
	size_t len = 32 + (size_t)n * 160, at;
	char *t = malloc(len);
	long i;

	if (!t)
		return NULL;
	at = (size_t)snprintf(t, len, "{\"namespaces\":[");
	for (i = 0; i < n; i++)
		at += (size_t)snprintf(t + at, len - at, "%s{\"name\":\"ns%ld\",\"uuid\":"
				"\"%08lx-0000-4000-8000-%012lx\",\"size\":\"64M\",\"map\":\"mem\"}",
				i ? "," : "", i, (unsigned long)i, (unsigned long)i * 7919);
	snprintf(t + at, len - at, "]}");
	return t;
}

int main(int argc, char **argv)
{
	static const long defaults[] = { 2000, 4000, 8000, 16000 };
	struct ndctl_xen_ctx *ctx;
	int i, count = argc > 1 ? argc - 1 : 4;

	if (ndctl_xen_new(&ctx))
		return 1;
	/* wall and CPU time: on a shared machine the wall time is mostly waiting */
	printf("%8s %10s %12s %12s %14s\n", "entries", "bytes", "now (s)", "now cpu (s)",
			"before (s)");
	for (i = 0; i < count; i++) {
		long n = argc > 1 ? atol(argv[i + 1]) : defaults[i];
		char *text = state_text(n);
		struct json_object *doc;
		struct apply_want *w;
		struct timespec t0, t1, c0, c1;
		size_t got;
		double s, cpu;

		if (n <= 0 || !text)
			return 2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		if (apply_parse(ctx, "bench", text, &doc, &w, &got) || got != (size_t)n) {
			fprintf(stderr, "bench-apply-parse: %ld entries not accepted\n", n);
			return 1;
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
		if (before(n))
			printf("%8ld %10zu %12.3f %12.3f %14.1f\n", n, strlen(text), s, cpu, before(n));
		else
			printf("%8ld %10zu %12.3f %12.3f %14s\n", n, strlen(text), s, cpu, "-");
		free(w);
		json_object_put(doc);
		free(text);
	}
	ndctl_xen_unref(ctx);
	return 0;
}
