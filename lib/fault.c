// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test-only fault injection (see fault.h); meson adds this file to the
 * library only with -Dtest-hooks=true.  secure_getenv: a set-uid or
 * file-capable caller's environment is not trusted even in a test build.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

static int fault_wanted(const char *token)
{
	const char *f = secure_getenv("NDCTL_XEN_FAULT");
	size_t n = strlen(token);

	while (f && *f) {
		if (strncmp(f, token, n) == 0 && (f[n] == ',' || f[n] == '\0'))
			return 1;
		f = strchr(f, ',');
		if (f)
			f++;
	}
	return 0;
}

void ndx_fault_stop(struct ndctl_xen_ctx *ctx, const char *stage, const char *point)
{
	char token[64];

	snprintf(token, sizeof(token), "stop:%s%s", stage, point);
	if (!fault_wanted(token))
		return;
	info(ctx, "NDCTL_XEN_FAULT: stopped at %s (pid %d)\n", token, (int)getpid());
	raise(SIGSTOP);
}

void ndx_fault_spoil(struct ndctl_xen_ctx *ctx, const char *devname, uint8_t *block)
{
	const char *f = secure_getenv("NDCTL_XEN_FAULT");
	char token[64];

	while (f && *f) {
		size_t n = strcspn(f, ",");

		snprintf(token, sizeof(token), "%.*s", (int)n, f);
		if (strncmp(token, "stop:", 5) && ndx_pfn_sb_spoil(block, token) == 0)
			info(ctx, "%s: NDCTL_XEN_FAULT=%s: writing a block the kernel refuses\n",
					devname, token);
		f += n + (f[n] == ',');
	}
}

int ndx_fault_torn(const char *stage)
{
	char token[64];

	snprintf(token, sizeof(token), "stop:%storn", stage);
	return fault_wanted(token);
}
