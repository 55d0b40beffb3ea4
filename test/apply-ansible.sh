#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible collection in contrib/ansible: ansible-doc renders both
# modules' documentation without a warning (options with their choices,
# examples, return values), and ansible-playbook -c local runs them on
# this host (no NVDIMM regions here: an empty desired state is "ok", not
# changed; a namespace it cannot create fails the task with the tool's
# message; a typo'd choice fails before the tool runs; ndctl_xen_info
# returns empty lists).  test/ansible-collection.sh runs the collection's
# own unit and sanity tests.
# The rig runs the module against real namespaces (test/rig/guest/apply.sh).
. "$(dirname "$0")/common"

SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v ansible-doc > /dev/null && command -v ansible-playbook > /dev/null ||
	skip "ansible-core is not installed (scripts/install-deps.sh --all installs it)"
if [ -d /sys/bus/nd/devices ] && ls /sys/bus/nd/devices | grep -q '^region'; then
	skip "this host has NVDIMM regions: the module runs in the rig only"
fi
mkdir -p "$TMP/col/ansible_collections/ndctl_xen"
ln -s "$SRC/contrib/ansible" "$TMP/col/ansible_collections/ndctl_xen/nvdimm"
export ANSIBLE_COLLECTIONS_PATH=$TMP/col ANSIBLE_LOCAL_TEMP=$TMP/tmp ANSIBLE_HOME=$TMP/home
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

ansible-doc -t module ndctl_xen.nvdimm.ndctl_xen > "$TMP/doc" 2> "$TMP/doc.err"
check "ansible-doc: no warning" test ! -s "$TMP/doc.err"
check "ansible-doc: the module's name" grep -q "^> NDCTL_XEN.NVDIMM.NDCTL_XEN" "$TMP/doc"
for s in "= namespaces" "- force" "- reserve_per_page" "- state" "choices: [present, absent]" \
		"choices: [fsdax, devdax]" "choices: [dev, mem]" "choices: [4K, 2M, 1G]" \
		"EXAMPLES:" "RETURN VALUES:" "check_mode" "diff_mode"; do
	check "ansible-doc renders '$s'" grep -qF -- "$s" "$TMP/doc"
done
ansible-doc -t module ndctl_xen.nvdimm.ndctl_xen_info > "$TMP/info" 2> "$TMP/info.err"
check "ansible-doc ndctl_xen_info: no warning" test ! -s "$TMP/info.err"
for s in "> NDCTL_XEN.NVDIMM.NDCTL_XEN_INFO" "- region" "- namespace" "reservations" "setup_mgmt"; do
	check "ansible-doc ndctl_xen_info renders '$s'" grep -qF -- "$s" "$TMP/info"
done
ansible-doc --json -t module ndctl_xen.nvdimm.ndctl_xen > "$TMP/doc.json"
check "ansible-doc --json: suboptions of namespaces" test \
	"$(jq -c '.[].doc.options.namespaces.suboptions | keys' "$TMP/doc.json")" = \
	'["align","data_size","map","mode","name","page_struct_size","region","reserve","reserve_owner","reserve_per_page","size","uuid"]'

play() {
	cat > "$TMP/play.yml" <<EOT
- hosts: localhost
  gather_facts: false
  tasks:
    - ndctl_xen.nvdimm.ndctl_xen:
        executable: $NDX
        namespaces: $1
      register: r
    - ansible.builtin.copy:
        content: "{{ r | to_json }}"
        dest: $TMP/result.json
EOT
	rc=0
	ansible-playbook -i localhost, -c local "${@:2}" "$TMP/play.yml" > "$TMP/play.out" 2>&1 || rc=$?
}
play "[]"
check "empty desired state: the play passes" test "$rc" = 0
check "empty desired state: ok, not changed" test "$(jq .changed "$TMP/result.json")" = false
check "empty desired state: apply --detailed-exitcode said nothing changed (0)" \
	test "$(jq .exit_status "$TMP/result.json")" = 0
rm -f "$TMP/result.json"
play '[{"name": "xen0", "size": "64M", "reserve_per_page": 40}]' --check
check "nowhere to create: the task fails" test "$rc" != 0
check "nowhere to create: failed with the tool's message" \
	grep -q "ndctl-xen apply: namespaces\[0\]: refused: no writable pmem region with room for it" "$TMP/play.out"
play '[{"name": "xen0", "size": "64Q"}]'
# the key path and the value as the file has it (JSON in Ansible's message: \" escaped)
check "malformed size: failed with the tool's message, in the file's words" \
	grep -qF 'ndctl-xen apply: namespaces[0].size: \"64Q\" is not a size (a number of bytes' "$TMP/play.out"
play '[{"name": "xen0", "data_size": "100M", "map": "mem", "reserve_per_page": "xen"}]' --check
check "data_size, check mode: the plan passes data_size through (nowhere to create here)" \
	grep -q "ndctl-xen apply: namespaces\[0\]: refused: no writable pmem region with room for it" "$TMP/play.out"
play '[{"name": "xen0", "size": "64M", "data_size": "60M"}]'
check "size and data_size: refused by the argument spec" \
	grep -q "parameters are mutually exclusive: size|data_size" "$TMP/play.out"
play '[{"name": "xen0", "size": "64M", "mode": "fsdaxx"}]'
check "a typo'd mode: failed, naming the choices" \
	grep -q "value of mode must be one of: fsdax, devdax, got: fsdaxx" "$TMP/play.out"
cat > "$TMP/info.yml" <<EOT
- hosts: localhost
  gather_facts: false
  tasks:
    - ndctl_xen.nvdimm.ndctl_xen_info:
        executable: $NDX
      register: r
    - ansible.builtin.copy:
        content: "{{ r | to_json }}"
        dest: $TMP/info.json
EOT
rc=0
ansible-playbook -i localhost, -c local "$TMP/info.yml" > "$TMP/play.out" 2>&1 || rc=$?
check "ndctl_xen_info: the play passes" test "$rc" = 0
check "ndctl_xen_info: no namespaces here, not changed" \
	test "$(jq -c '[.changed, .namespaces, .reservations, .xen]' "$TMP/info.json")" = '[false,[],[],[]]'
finish
