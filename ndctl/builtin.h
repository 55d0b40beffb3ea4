/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_BUILTIN_H
#define NDCTL_XEN_BUILTIN_H

#include <ndctl/libndctl-xen.h>

/* Exit codes: 0 success, 1 refused or failed, 2 command-line usage. */
#define EXIT_REFUSED 1
#define EXIT_USAGE 2

int cmd_write_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_read_infoblock(int argc, char **argv, struct ndctl_xen_ctx *ctx);
int cmd_create_namespace(int argc, char **argv, struct ndctl_xen_ctx *ctx);

/* one-line error on stderr: "ndctl-xen CMD: message" */
void cmd_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
