#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
ansible-test sanity offline, with Debian's packages instead of PyPI's.

ansible-test gives each sanity test that has requirements its own
virtual environment and pip-installs pinned versions from PyPI into it,
which needs the network.  This wrapper gives those tests one virtual
environment that sees the system's site-packages (Debian's python3-yaml,
python3-jinja2, python3-packaging, python3-voluptuous, yamllint,
python3-pycodestyle: scripts/install-deps.sh installs them) and otherwise
runs ansible-test unchanged.  Usage: ansible-test-offline.py VENV_DIR
ARGS... (run from the collection's root, as ansible-test is).
"""
import json
import os
import subprocess
import sys

VENV = os.path.abspath(sys.argv[1])
sys.argv = ['ansible-test'] + sys.argv[2:]

python = os.path.join(VENV, 'bin', 'python')
if not os.path.exists(python):
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', '--system-site-packages', VENV],
                   check=True)
# what ansible-test records of a venv it made: whether PyYAML has libyaml
yaml = subprocess.run([python, '-c', 'import json, yaml; print(json.dumps(dict(yaml=True, '
                       'cloader=hasattr(yaml, "CLoader"))))'],
                      stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
with open(os.path.join(VENV, 'meta.yaml.json'), 'w') as f:
    f.write(yaml)

# pylint: disable=wrong-import-position
from ansible_test._internal.commands import sanity  # noqa: E402
from ansible_test._internal.python_requirements import PipInstall  # noqa: E402
from ansible_test._internal.host_configs import VirtualPythonConfig  # noqa: E402


def system_venv(args, python_config, name, coverage=False, minimize=False):
    """The shared venv instead of a PyPI-filled one (ansible-test's create_sanity_virtualenv)."""
    del args, name, coverage, minimize
    return VirtualPythonConfig(version=python_config.version, path=python)


sanity.create_sanity_virtualenv = system_venv
del json, PipInstall

from ansible_test._internal import main  # noqa: E402

main()
