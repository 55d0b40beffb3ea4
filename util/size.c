// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "size.h"

/*
 * Decimal unless "0x": strtoull's base 0 would read "0256" as octal,
 * which no operator typing a size means (the man pages say decimal or
 * 0x).  Stops at the first character that is not a digit of the base.
 */
static int parse_number(const char *str, unsigned long long *val, char **end)
{
	int base = 10;

	if (!str || !isdigit((unsigned char)str[0]))
		return -EINVAL;
	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		if (!isxdigit((unsigned char)str[2]))
			return -EINVAL;
		base = 16;
	}
	errno = 0;
	*val = strtoull(str, end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end == str)
		return -EINVAL;
	return 0;
}

int util_parse_u64(const char *str, uint64_t *out)
{
	unsigned long long val;
	char *end;
	int rc = parse_number(str, &val, &end);

	if (rc)
		return rc;
	if (*end != '\0')
		return -EINVAL;
	*out = val;
	return 0;
}

int util_parse_size(const char *str, uint64_t *out)
{
	unsigned long long val;
	uint64_t mult = 1;
	char *end;
	int rc = parse_number(str, &val, &end);

	if (rc)
		return rc;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -EINVAL;
	if (__builtin_mul_overflow((uint64_t)val, mult, out))
		return -ERANGE;
	return 0;
}

const char *util_human_size(uint64_t bytes, char *buf, int len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int i;

	/* the largest unit that shows the size exactly */
	for (i = 5; i >= 0; i--) {
		uint64_t u = 1ull << (10 * (i + 1));

		if (bytes && bytes % u == 0) {
			snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / u), unit[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
	return buf;
}
/*
 * ndctl's --human sizes (display_size() in ndctl's util/json.c): below
 * 5000 KiB the number itself; else centi-MiB/GiB/TiB rounded to nearest,
 * with the decimal (MB/GB/TB) value in parentheses.
 */
int util_ndctl_size(uint64_t bytes, char *buf, int len)
{
	static const char *const iec[] = { "MiB", "GiB", "TiB" };
	static const char *const jedec[] = { "MB", "GB", "TB" };
	int u = bytes < (2ull << 30) ? 0 : bytes < (2ull << 40) ? 1 : 2;
	unsigned __int128 centi_iec, centi_dec;

	if (bytes < 5000ull << 10) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return 0;
	}
	centi_iec = ((unsigned __int128)bytes * 200 / (1ull << (20 + 10 * u)) + 1) / 2;
	centi_dec = ((unsigned __int128)bytes / (u == 0 ? 5000ull : u == 1 ? 5000000ull :
				5000000000ull) + 1) / 2;
	snprintf(buf, len, "%llu.%02llu %s (%llu.%02llu %s)",
			(unsigned long long)(centi_iec / 100), (unsigned long long)(centi_iec % 100),
			iec[u], (unsigned long long)(centi_dec / 100),
			(unsigned long long)(centi_dec % 100), jedec[u]);
	return 1;
}

void util_annotate_sizes(const char *in, char *out, size_t len)
{
	size_t o = 0;
	char unit[40];

	if (!len)
		return;
	while (*in && o + 1 < len) {
		const char *p = in + 2;
		uint64_t v = 0;
		int big = 0;

		if (in[0] != '0' || in[1] != 'x' || !isxdigit((unsigned char)in[2])) {
			out[o++] = *in++;
			continue;
		}
		for (; isxdigit((unsigned char)*p); p++) {
			big |= v >> 60 != 0;
			v = v << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' :
					(tolower((unsigned char)*p) - 'a' + 10));
		}
		/* the number as written, then its units when they say it exactly */
		while (in < p && o + 1 < len)
			out[o++] = *in++;
		if (!big && !isalnum((unsigned char)*p) && v >= (1ull << 20) &&
				v % (1ull << 20) == 0) {
			int n = snprintf(out + o, len - o, " (%s)",
					util_human_size(v, unit, sizeof(unit)));

			o = n < 0 ? o : o + (size_t)n >= len ? len - 1 : o + (size_t)n;
		}
	}
	out[o] = '\0';
}
