// SPDX-License-Identifier: LGPL-2.1-or-later
/* Shared by the library (its messages) and the CLI (its output). */
#include <stdio.h>

#include "escape.h"

const char *util_escape(const char *in, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return "";
	for (; *in && used + 5 <= len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[used++] = (char)c;
		else
			used += (size_t)snprintf(buf + used, len - used, "\\x%02x", c);
	}
	buf[used] = '\0';
	return buf;
}
