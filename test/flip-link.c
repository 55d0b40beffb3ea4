// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test-only: flip-link LINK A B points LINK at A, then at B, and so on
 * until killed, each time with symlink(2) + rename(2) so that LINK always
 * resolves to one of the two.  A shell loop would fork two processes per
 * flip and starve the runs it races with on a small machine.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096];
	unsigned long i;

	if (argc != 4) {
		fprintf(stderr, "usage: flip-link LINK A B\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s.flip", argv[1]);
	for (i = 0;; i++) {
		unlink(tmp);
		if (symlink(argv[2 + (i & 1)], tmp) < 0 || rename(tmp, argv[1]) < 0) {
			perror("flip-link");
			return 1;
		}
		/* let the runs it races with have the CPU too */
		sched_yield();
	}
}
