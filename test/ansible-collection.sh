#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible collection's own tests, offline: its unit tests (the modules
# against a fake ndctl-xen: contrib/ansible/tests/unit) and ansible-test
# sanity on a copy laid out as ansible_collections/ndctl_xen/nvdimm, with
# Debian's Python packages in place of PyPI's (test/ansible-test-offline.py).
# Skipped sanity tests, and why: pylint (ansible-test's pylint plugins need
# the pylint it pins, from PyPI; Debian's is another version), pslint
# (PowerShell; the collection has none).  A sanity test whose Debian
# package is missing is skipped and named.
. "$(dirname "$0")/common"

SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
command -v ansible-test > /dev/null && "$PY" -c 'import ansible' 2> /dev/null ||
	skip "ansible-core is not installed (scripts/install-deps.sh installs it)"
COL=$TMP/ansible_collections/ndctl_xen/nvdimm
mkdir -p "$(dirname "$COL")"
cp -r "$SRC/contrib/ansible" "$COL"
find "$COL" -name __pycache__ -prune -exec rm -rf {} +

# unit tests
rc=0
(cd "$COL" && HOME=$TMP NDCTL_XEN_PYTHON=$PY "$PY" -m unittest discover -s tests/unit/plugins/modules \
	-p 'test_*.py') > "$TMP/units" 2>&1 || rc=$?
tail -n 3 "$TMP/units"
check "unit tests pass" test "$rc" = 0
check "unit tests: all ran" grep -Eq '^Ran [1-9][0-9]+ tests' "$TMP/units"

# sanity
skips=(--skip-test pylint --skip-test pslint)
for need in "yaml jinja2 packaging:ansible-doc" "voluptuous:validate-modules" \
		"voluptuous:runtime-metadata" "pycodestyle:pep8" "yamllint:yamllint"; do
	for m in ${need%%:*}; do
		if ! "$PY" -c "import $m" 2> /dev/null; then
			echo "$TEST_NAME: sanity test ${need#*:} skipped: Python module $m is missing (scripts/install-deps.sh)"
			skips+=(--skip-test "${need#*:}")
			break
		fi
	done
done
rc=0
(cd "$COL" && HOME=$TMP "$PY" "$SRC/test/ansible-test-offline.py" "$TMP/venv" sanity --python \
	"$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --local "${skips[@]}") \
	> "$TMP/sanity" 2>&1 || rc=$?
grep -E '^(Running|ERROR|FATAL)' "$TMP/sanity" | sed 's/^/  /'
check "ansible-test sanity passes" test "$rc" = 0
check "ansible-test sanity: validate-modules ran" grep -q 'Running sanity test "validate-modules"' "$TMP/sanity"
check "ansible-test sanity: 25 tests or more ran" test "$(grep -c '^Running sanity test' "$TMP/sanity")" -ge 25
check "the collection has a LICENSE" grep -q "GNU GENERAL PUBLIC LICENSE" "$COL/LICENSE"
check "the collection has a changelog for its version" \
	grep -q "^v$(sed -n 's/^version: //p' "$COL/galaxy.yml")$" "$COL/CHANGELOG.rst"
finish
