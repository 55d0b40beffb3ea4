// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test-only: edit raw fields of an info block, bypassing every layout
 * rule, so that tests can show what the kernel and the decoder do with
 * blocks the tool refuses to write.  Reads 8 KiB (4 KiB + block) on
 * stdin, writes 8 KiB on stdout.  Never installed.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "pfn-sb.h"

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "forge-infoblock: %s%s\n", msg, arg ? arg : "");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (end == s || *end)
		die("not a number: ", s);
	return v;
}

int main(int argc, char **argv)
{
	uint8_t buf[NDX_INFOBLOCK_SPAN];
	struct nd_pfn_sb sb;
	int i, reseal = 1, record = 0;
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = read(STDIN_FILENO, buf + got, sizeof(buf) - got);

		if (n <= 0)
			die("need 8192 bytes on stdin", NULL);
		got += (size_t)n;
	}
	memcpy(&sb, buf + NDX_SB_OFFSET, sizeof(sb));
	for (i = 1; i < argc; i++) {
		char *key = argv[i], *val = strchr(key, '=');

		if (!val)
			die("expected FIELD=VALUE: ", key);
		*val++ = '\0';
		if (!strcmp(key, "dataoff")) sb.dataoff = htole64(num(val));
		else if (!strcmp(key, "npfns")) sb.npfns = htole64(num(val));
		else if (!strcmp(key, "mode")) sb.mode = htole32((uint32_t)num(val));
		else if (!strcmp(key, "align")) sb.align = htole32((uint32_t)num(val));
		else if (!strcmp(key, "end_trunc")) sb.end_trunc = htole32((uint32_t)num(val));
		else if (!strcmp(key, "start_pad")) sb.start_pad = htole32((uint32_t)num(val));
		else if (!strcmp(key, "flags")) sb.flags = htole32((uint32_t)num(val));
		else if (!strcmp(key, "page_size")) sb.page_size = htole32((uint32_t)num(val));
		else if (!strcmp(key, "page_struct_size")) sb.page_struct_size = htole16((uint16_t)num(val));
		else if (!strcmp(key, "version_major")) sb.version_major = htole16((uint16_t)num(val));
		else if (!strcmp(key, "version_minor")) sb.version_minor = htole16((uint16_t)num(val));
		else if (!strcmp(key, "uuid") || !strcmp(key, "parent_uuid")) {
			if (uuid_parse(val, key[0] == 'u' ? sb.uuid : sb.parent_uuid))
				die("not a uuid: ", val);
		} else if (!strcmp(key, "signature")) {
			memset(sb.signature, 0, sizeof(sb.signature));
			if (!strcmp(val, "pfn")) memcpy(sb.signature, NDX_PFN_SIG, NDX_SIG_LEN);
			else if (!strcmp(val, "dax")) memcpy(sb.signature, NDX_DAX_SIG, NDX_SIG_LEN);
			else memcpy(sb.signature, val, strnlen(val, NDX_SIG_LEN));
		} else if (!strcmp(key, "rsv_offset")) { sb.rsv.offset = htole64(num(val)); record = 1; }
		else if (!strcmp(key, "rsv_size")) { sb.rsv.size = htole64(num(val)); record = 1; }
		else if (!strcmp(key, "rsv_owner")) { sb.rsv.owner = htole32((uint32_t)num(val)); record = 1; }
		else if (!strcmp(key, "rsv_version_major")) { sb.rsv.version_major = htole16((uint16_t)num(val)); record = 1; }
		else if (!strcmp(key, "rsv_length")) { sb.rsv.length = htole32((uint32_t)num(val)); record = 1; }
		/* damage a record byte without fixing the record's checksum */
		else if (!strcmp(key, "rsv_owner_name_hex")) {
			/* raw bytes, as a guest could write them: escapes, broken UTF-8 */
			size_t k, n = strlen(val) / 2;
			unsigned int byte;

			if (n > sizeof(sb.rsv.owner_name))
				die("rsv_owner_name_hex: at most 16 bytes: ", val);
			memset(sb.rsv.owner_name, 0, sizeof(sb.rsv.owner_name));
			for (k = 0; k < n; k++) {
				if (sscanf(val + 2 * k, "%2x", &byte) != 1)
					die("rsv_owner_name_hex: not hex: ", val);
				sb.rsv.owner_name[k] = (uint8_t)byte;
			}
			record = 1;
		}
		else if (!strcmp(key, "rsv_damage")) sb.rsv.owner_name[15] ^= (uint8_t)num(val);
		else if (!strcmp(key, "padding")) sb.padding[0] = (uint8_t)num(val);
		else if (!strcmp(key, "checksum")) { sb.checksum = htole64(num(val)); reseal = 0; }
		else die("unknown field: ", key);
	}
	memcpy(buf + NDX_SB_OFFSET, &sb, sizeof(sb));
	if (reseal)
		ndx_pfn_sb_seal(buf + NDX_SB_OFFSET, record);
	if (write(STDOUT_FILENO, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("short write", NULL);
	return 0;
}
