// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "builtin.h"
#include "config.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct ndctl_xen_ctx *ctx);
	const char *summary;
	/* ndctl has this command too: its usage errors exit as ndctl's do */
	bool ndctl_has;
};

/* parse_options' usage_with_options() in ndctl (git's exit code for usage) */
#define NDCTL_EXIT_USAGE 129

static const struct command commands[] = {
	{ "create-namespace", cmd_create_namespace,
		"provision an fsdax/devdax namespace with a reserved area", true },
	{ "list", cmd_list,
		"where each namespace's reserved area and data are (JSON)", true },
	{ "write-infoblock", cmd_write_infoblock,
		"write a pfn/dax info block with a reservation to an image file", true },
	{ "read-infoblock", cmd_read_infoblock,
		"decode an info block, its reservation record and its layout", true },
	{ "recover", cmd_recover,
		"finish what a power cut interrupted (run at boot)" },
	{ "map", cmd_map,
		"the page map: which data-area frames are free, whose, or broken" },
	{ "apply", cmd_apply, "converge the namespaces on a desired state (JSON)" },
};

static __attribute__((format(printf, 6, 0))) void log_stderr(
		struct ndctl_xen_ctx *ctx, int priority,
		const char *file, int line, const char *fn,
		const char *format, va_list args)
{
	(void)ctx;
	(void)priority;
	(void)file;
	(void)line;
	/* one line whole, whatever another thread logs (stdio's lock) */
	flockfile(stderr);
	fprintf(stderr, "libndctl-xen: %s: ", fn);
	vfprintf(stderr, format, args);
	funlockfile(stderr);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ndctl-xen [--version] [--help] COMMAND [ARGS]\n\n"
			"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nAny other command is ndctl's: ndctl-xen runs %s (or $NDCTL_XEN_NDCTL)\n"
			"with the same arguments, so that 'alias ndctl=ndctl-xen' is safe.\n"
			"See 'ndctl-xen COMMAND --help' or 'ndctl-xen help COMMAND'.\n", NDCTL_PATH);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Levenshtein distance of two short words, capped at 'cap' + 1 */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), row[40], i, j;

	if (lb >= sizeof(row) / sizeof(row[0]) || (la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * A word that is not a command of ndctl-xen's but is within two edits of
 * one (and not an option) is most likely a typo of it, not one of ndctl's
 * commands, none of which is that close to these names.
 */
static const struct command *nearest_command(const char *name)
{
	const struct command *best = NULL;
	size_t i, best_distance = 3, d;

	if (name[0] == '-' || strlen(name) < 3)
		return NULL;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		d = edit_distance(name, commands[i].name, 2);
		if (d < best_distance) {
			best_distance = d;
			best = &commands[i];
		}
	}
	return best;
}

/* help COMMAND: this command's man page (Documentation/meson.build), else ndctl's */
static int help_command(int argc, char **argv)
{
	char page[80];

	if (!find_command(argv[1]))
		return run_ndctl(argc, argv);
	snprintf(page, sizeof(page), "ndctl-xen-%s", argv[1]);
	fflush(NULL);
	execlp("man", "man", page, (char *)NULL);
	fprintf(stderr, "ndctl-xen help: cannot run man for %s: %m\n", page);
	return EXIT_FAILED;
}

int main(int argc, char **argv)
{
	const struct command *command;
	struct ndctl_xen_ctx *ctx;
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0 ||
			strcmp(argv[1], "version") == 0) {
		printf("%s\n", NDCTL_XEN_CLI_VERSION);
		return 0;
	}
	/* hidden: the command table, one name a line, for bash completion */
	if (strcmp(argv[1], "--list-cmds") == 0) {
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			printf("%s\n", commands[i].name);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			strcmp(argv[1], "help") == 0) {
		if (argc > 2)
			return help_command(argc - 1, argv + 1);
		usage(stdout);
		return 0;
	}
	command = find_command(argv[1]);
	if (!command && (command = nearest_command(argv[1]))) {
		/* ndctl's words and status for an unknown command, and a hint */
		fprintf(stderr, "Unknown command: '%s'\n\nDid you mean '%s'? (ndctl-xen %s --help)\n",
				argv[1], command->name, command->name);
		return EXIT_REFUSED;
	}
	/* everything else, ndctl's commands and its options, is ndctl's answer */
	if (!command)
		return run_ndctl(argc - 1, argv + 1);
	if (ndctl_xen_new(&ctx) < 0) {
		fprintf(stderr, "ndctl-xen: out of memory\n");
		return EXIT_FAILED;
	}
	ndctl_xen_set_log_fn(ctx, log_stderr);
	/* the CLI words its own errors; library messages with -v or NDCTL_XEN_LOG */
	if (!getenv("NDCTL_XEN_LOG"))
		ndctl_xen_set_log_priority(ctx, LOG_CRIT);
	rc = command->fn(argc - 1, argv + 1, ctx);
	ndctl_xen_unref(ctx);
	if (rc == EXIT_USAGE && command->ndctl_has)
		rc = NDCTL_EXIT_USAGE;
	return rc;
}
