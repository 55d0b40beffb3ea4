// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A second, structural pass over a JSON text json-c has parsed (see
 * json-strict.h): json-c builds objects in a hash table, so by the time
 * the caller sees an object a duplicate key is gone, and a number's text
 * is gone once it was clamped.  The pass reads the text itself, keeps the
 * key path for messages, and decodes each key and string with json-c so
 * that "a" and "\u0061" are one key.  Keys of an object are compared
 * after sorting them: O(k log k) an object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "builtin.h"
#include "json-strict.h"

#define MAX_DEPTH 64
#define SHOW 48	/* bytes of a value as written in a message */

struct walk {
	const char *cmd, *text, *p;
	struct json_tokener *tok;	/* one for every string's decoding */
	char path[512];
};

struct key {
	char *s;		/* decoded */
	size_t len;
	const char *raw;	/* the key as written, quotes included */
	size_t raw_len;
};

static void skip_ws(struct walk *w)
{
	while (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r')
		w->p++;
}

static int refuse(struct walk *w, const char *what, const char *raw, size_t len)
{
	cmd_error(w->cmd, "%s: %.*s%s: %s", w->path[0] ? w->path : "the top level",
			(int)(len > SHOW ? SHOW : len), raw, len > SHOW ? "..." : "", what);
	return EXIT_USAGE;
}

static int not_json(struct walk *w)
{
	cmd_error(w->cmd, "not JSON (RFC 8259): %s: unexpected '%c' at byte %zu",
			w->path[0] ? w->path : "the top level", *w->p ? *w->p : '?',
			(size_t)(w->p - w->text));
	return EXIT_USAGE;
}

/* A string token at w->p ("..."): its end, and its decoded bytes if asked. */
static int string_token(struct walk *w, char **decoded, size_t *len)
{
	const char *start = w->p;
	struct json_object *o;

	if (*w->p != '"')
		return not_json(w);
	for (w->p++; *w->p && *w->p != '"'; w->p++)
		if (*w->p == '\\' && w->p[1])
			w->p++;
	if (*w->p != '"')
		return not_json(w);
	w->p++;
	/* json-c's own decoding: the same bytes it gave the caller */
	json_tokener_reset(w->tok);
	o = json_tokener_parse_ex(w->tok, start, (int)(w->p - start));
	if (!o || !json_object_is_type(o, json_type_string)) {
		json_object_put(o);
		w->p = start;
		return not_json(w);
	}
	*len = (size_t)json_object_get_string_len(o);
	*decoded = malloc(*len + 1);
	if (*decoded)
		memcpy(*decoded, json_object_get_string(o), *len + 1);
	json_object_put(o);
	if (!*decoded)
		return EXIT_FAILED;
	if (strlen(*decoded) != *len)
		return refuse(w, "holds a NUL (\\u0000): a string ends there for every "
				"reader, so it is refused", start, (size_t)(w->p - start));
	return 0;
}

/* An integer fits 0..2^64-1; a fraction or exponent is the caller's to refuse. */
static int number_token(struct walk *w)
{
	const char *start = w->p, *digits;
	size_t n;

	if (*w->p == '-')
		w->p++;
	digits = w->p;
	while (*w->p >= '0' && *w->p <= '9')
		w->p++;
	n = (size_t)(w->p - digits);
	if (!n)
		return not_json(w);
	if (*w->p == '.' || *w->p == 'e' || *w->p == 'E') {
		while (strchr("0123456789.eE+-", *w->p) && *w->p)
			w->p++;
		return 0;
	}
	if (*start == '-')
		return refuse(w, "is negative: every number here is an unsigned quantity",
				start, (size_t)(w->p - start));
	if (n > 20 || (n == 20 && strncmp(digits, "18446744073709551615", 20) > 0))
		return refuse(w, "is larger than 2^64 - 1 (18446744073709551615)", start,
				(size_t)(w->p - start));
	return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int value(struct walk *w, int depth);

/* A member's value (its path already set), then a ',' or the closing one */
static int member(struct walk *w, int depth, size_t path_len, char close)
{
	int rc = value(w, depth + 1);

	w->path[path_len] = '\0';
	if (rc)
		return rc;
	skip_ws(w);
	if (*w->p == ',') {
		w->p++;
		skip_ws(w);
		return 0;
	}
	return *w->p == close ? 0 : not_json(w);
}

static int object(struct walk *w, int depth)
{
	size_t path_len = strlen(w->path), n = 0, cap = 0, i;
	struct key *keys = NULL, *k;
	int rc = 0;

	w->p++;
	skip_ws(w);
	while (!rc && *w->p != '}') {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			k = realloc(keys, cap * sizeof(*keys));
			if (!k) {
				rc = EXIT_FAILED;
				break;
			}
			keys = k;
		}
		k = &keys[n];
		k->raw = w->p;
		k->s = NULL;
		rc = string_token(w, &k->s, &k->len);
		if (k->s)
			n++;
		if (rc)
			break;
		k->raw_len = (size_t)(w->p - k->raw);
		snprintf(w->path + path_len, sizeof(w->path) - path_len, "%s%s",
				path_len ? "." : "", k->s);
		skip_ws(w);
		if (*w->p != ':') {
			rc = not_json(w);
			break;
		}
		w->p++;
		rc = member(w, depth, path_len, '}');
	}
	if (!rc) {
		w->p++;
		if (n > 1)
			qsort(keys, n, sizeof(*keys), key_cmp);
		for (i = 1; i < n && !rc; i++)
			if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
				snprintf(w->path + path_len, sizeof(w->path) - path_len, "%s%s",
						path_len ? "." : "", keys[i].s);
				rc = refuse(w, "a key given twice in one object (which one "
						"counts would be a guess)", keys[i].raw,
						keys[i].raw_len);
				w->path[path_len] = '\0';
			}
	}
	for (i = 0; i < n; i++)
		free(keys[i].s);
	free(keys);
	return rc;
}

static int array(struct walk *w, int depth)
{
	size_t path_len = strlen(w->path), i = 0;
	int rc = 0;

	w->p++;
	skip_ws(w);
	while (!rc && *w->p != ']') {
		snprintf(w->path + path_len, sizeof(w->path) - path_len, "[%zu]", i++);
		rc = member(w, depth, path_len, ']');
	}
	if (!rc)
		w->p++;
	return rc;
}

static int value(struct walk *w, int depth)
{
	char *s = NULL;
	size_t len;
	int rc;

	skip_ws(w);
	if (depth > MAX_DEPTH) {
		cmd_error(w->cmd, "%s: nested deeper than %d", w->path, MAX_DEPTH);
		return EXIT_USAGE;
	}
	switch (*w->p) {
	case '{':
		return object(w, depth);
	case '[':
		return array(w, depth);
	case '"':
		rc = string_token(w, &s, &len);
		free(s);
		return rc;
	case 't':
		if (strncmp(w->p, "true", 4) == 0)
			return w->p += 4, 0;
		break;
	case 'f':
		if (strncmp(w->p, "false", 5) == 0)
			return w->p += 5, 0;
		break;
	case 'n':
		if (strncmp(w->p, "null", 4) == 0)
			return w->p += 4, 0;
		break;
	default:
		if (*w->p == '-' || (*w->p >= '0' && *w->p <= '9'))
			return number_token(w);
	}
	return not_json(w);
}

int json_strict_check(const char *cmd, const char *text)
{
	struct walk w = { .cmd = cmd, .text = text, .p = text };
	int rc;

	w.tok = json_tokener_new();
	if (!w.tok)
		return EXIT_FAILED;
	rc = value(&w, 0);
	if (!rc) {
		skip_ws(&w);
		rc = *w.p ? not_json(&w) : 0;
	}
	json_tokener_free(w.tok);
	return rc;
}
