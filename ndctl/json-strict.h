/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDCTL_XEN_JSON_STRICT_H
#define NDCTL_XEN_JSON_STRICT_H

/*
 * What json-c resolves silently in a text it accepted, refused: a key
 * given twice in one object (json-c keeps the last), a NUL inside a string
 * (every C string ends there), an integer below 0 or above 2^64 - 1 (json-c
 * clamps it), and what json-c's tokener takes beyond RFC 8259 even in strict
 * mode ('single quotes', NaN, Infinity).  For inputs whose every number is
 * an unsigned quantity (apply's desired state).  0, or EXIT_USAGE after one
 * error line naming the key path (namespaces[2].size) and the value as
 * written.
 */
int json_strict_check(const char *cmd, const char *text);

#endif
