/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NDCTL_XEN_FAULT_H
#define NDCTL_XEN_FAULT_H

#include <stdint.h>

#include "config.h"
#include "private.h"

#if NDX_TEST_HOOKS
/*
 * Fault injection for the rig and the power-cut tests (lib/fault.c, built
 * only with meson -Dtest-hooks=true).  NDCTL_XEN_FAULT, a comma-separated
 * list: "stop:POINT" stops the process with SIGSTOP at POINT (stage +
 * point: raw, journal, torn, block, restore-..., recover-...) so that a
 * test can cut the power there; "stop:STAGEtorn" first writes half of the
 * block, as a cut in the middle of the store would; "parent-uuid" or
 * "dataoff" spoil the new block so that the kernel refuses it.
 */
void ndx_fault_stop(struct ndctl_xen_ctx *ctx, const char *stage, const char *point);
void ndx_fault_spoil(struct ndctl_xen_ctx *ctx, const char *devname, uint8_t *block);
/* 1: write half of the block before the stop at STAGEtorn */
int ndx_fault_torn(const char *stage);
#else
/* a production build carries no fault injection, not even its names */
#define ndx_fault_stop(ctx, stage, point) ((void)(ctx), (void)(stage), (void)(point))
#define ndx_fault_spoil(ctx, devname, block) ((void)(ctx), (void)(devname), (void)(block))
#define ndx_fault_torn(stage) ((void)(stage), 0)
#endif

#endif
