/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NDCTL_XEN_UTIL_ESCAPE_H
#define NDCTL_XEN_UTIL_ESCAPE_H

#include <stddef.h>

/*
 * Bytes from the media (a guest controls them) as a message, text or JSON
 * may show them: printable ASCII as is, anything else and the backslash as
 * \xNN, so that no terminal escape reaches a terminal and JSON stays valid
 * UTF-8.  Stops before a byte whose escape would not fit; returns buf.
 */
const char *util_escape(const char *in, char *buf, size_t len);

#endif
