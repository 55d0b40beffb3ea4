# SPDX-License-Identifier: GPL-2.0-or-later
# A stand-in for ndctl-xen in the modules' unit tests (run through a
# shell wrapper the tests write).  $FAKE_NDCTL_XEN is
# a directory: every call is appended to its "calls" (one JSON array of
# the arguments a line, then the standard input if any); the answer to
# the Nth call of COMMAND is the file COMMAND.N, else COMMAND (JSON:
# stdout, stderr, rc); a command with neither file is an error (exit 99).
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

d = os.environ['FAKE_NDCTL_XEN']
cmd = sys.argv[1] if len(sys.argv) > 1 else ''
data = '' if sys.stdin.isatty() else sys.stdin.read()
with open(os.path.join(d, 'calls'), 'a') as f:
    f.write(json.dumps(dict(args=sys.argv[1:], stdin=data)) + '\n')
count = os.path.join(d, cmd + '.count')
n = int(open(count).read()) + 1 if os.path.exists(count) else 1
with open(count, 'w') as f:
    f.write(str(n))
for name in ('%s.%d' % (cmd, n), cmd):
    path = os.path.join(d, name)
    if os.path.exists(path):
        with open(path) as f:
            answer = json.load(f)
        out = answer.get('stdout', '')
        sys.stdout.write(out if isinstance(out, str) else json.dumps(out))
        sys.stderr.write(answer.get('stderr', ''))
        sys.exit(answer.get('rc', 0))
sys.stderr.write('fake-ndctl-xen: no answer for %s\n' % ' '.join(sys.argv[1:]))
sys.exit(99)
