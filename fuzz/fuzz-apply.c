// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for ndctl-xen apply's parser (apply_parse: json-c, the
 * strict pass of json-strict.c, the entries' checks and the duplicate
 * check).  The input is the file's text (a NUL ends it, as apply refuses
 * a file holding one).  Oracles: an accepted state has no two entries
 * with the same name, the same uuid or the same region alone, checked
 * pairwise here against the parser's sorted check; and its text passes
 * the strict pass on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "builtin.h"
#include "apply.h"
#include "json-strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ndctl_xen_ctx *ctx;
	struct json_object *doc;
	struct apply_want *w;
	size_t n, i, j;
	char *text;

	if (!ctx) {
		if (ndctl_xen_new(&ctx) < 0)
			abort();
		/* the parser's one-line errors are expected here */
		cmd_error_quiet = 1;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (apply_parse(ctx, "fuzz", text, &doc, &w, &n) == 0) {
		if (json_strict_check("fuzz", text) != 0)
			abort();
		/* the pairwise check the sorted one replaced (small inputs only) */
		for (i = 0; i < n && n <= 256; i++)
			for (j = 0; j < i; j++)
				if (same(w[i].name, w[j].name) || (w[i].uuid && w[j].uuid &&
							!uuid_compare(w[i].uuid_bin, w[j].uuid_bin)) ||
						(!w[i].name && !w[i].uuid && !w[j].name && !w[j].uuid &&
						 same(w[i].region, w[j].region)))
					abort();
		free(w);
		json_object_put(doc);
	}
	free(text);
	return 0;
}
