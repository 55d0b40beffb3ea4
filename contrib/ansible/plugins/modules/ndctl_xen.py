#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ansible module: NVDIMM namespaces with a reserved area, through ndctl-xen apply."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndctl_xen
short_description: NVDIMM namespaces with a reserved area, converged on a desired state
version_added: "0.1.0"
description:
  - Makes the host's NVDIMM namespaces match a desired state with C(ndctl-xen apply)
    (ndctl-xen-apply(1)), the ndctl extension that records a reserved area (for Xen's
    frame table and M2P, or another consumer) in the namespace's pfn info block.
  - A namespace that is missing is created, one that matches is left alone (nothing is
    written to it), one that differs is refused, or reconfigured with I(force=true),
    never while mounted or busy.
  - If any namespace is refused, nothing is written to any of them.
  - The comparison uses the library's exact live answer (the host's copy of the adopted
    info block), so a converged host reports C(changed=false).
  - A power cut during a run leaves every namespace either as it was or as wanted;
    after C(ndctl-xen recover) (run at boot) the next run finishes the job.
author:
  - ndctl-xen developers
requirements:
  - ndctl-xen on the managed host, run as root
attributes:
  check_mode:
    description: Runs C(ndctl-xen apply --dry-run); nothing is written.
    support: full
  diff_mode:
    description: Each namespace's differing properties, before and after.
    support: full
options:
  namespaces:
    description:
      - The namespaces the host should have, one entry each.
      - An entry names its namespace by I(name), I(uuid), or (with neither) I(region),
        meaning that region's only namespace.
      - A property left out means its default, as on the C(ndctl-xen create-namespace)
        command line.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The namespace's label name; a new namespace gets it.
        type: str
      uuid:
        description: The namespace's uuid; a new namespace gets it.
        type: str
      region:
        description:
          - Where the namespace is, and where a new one is created (for example C(region0)).
          - Without I(name) and I(uuid), the region's only namespace.
        type: str
      size:
        description:
          - The raw size (ndctl list's C(raw_size)), with K, M, G or T suffixes, or
            C(rest) for the rest of the region (any existing size matches).
        type: raw
        required: true
      mode:
        description: C(fsdax) (default) or C(devdax).
        type: str
      map:
        description: Where Linux keeps its page structures, C(dev) (default) or C(mem).
        type: str
      align:
        description: C(4K), C(2M) (default) or C(1G).
        type: raw
      reserve:
        description: The reserved area's size. At most one of I(reserve) and I(reserve_per_page).
        type: raw
      reserve_per_page:
        description:
          - Bytes to reserve for every 4 KiB page of the namespace (Xen x86-64 40), or a
            preset name that C(--reserve-per-page) accepts.
        type: raw
      reserve_owner:
        description: C(os), C(hypervisor), or a name of up to 16 characters.
        type: str
      page_struct_size:
        description: Bytes per page of the OS's page structures (default 64).
        type: raw
  force:
    description:
      - Reconfigure namespaces that differ from the desired state.
      - A mounted or busy namespace is refused all the same.
    type: bool
    default: false
  executable:
    description: The ndctl-xen binary; by default the one on the PATH.
    type: path
seealso:
  - name: ndctl-xen-apply(1)
    description: The command this module runs, its desired-state format and exit codes.
    link: https://github.com/ndctl-xen/ndctl-xen/blob/main/Documentation/ndctl-xen-apply.txt
notes:
  - The module runs C(ndctl-xen apply) with the desired state on its standard input and
    reports what the tool printed; a refusal or an error fails the task with the tool's
    message.
'''

EXAMPLES = r'''
- name: A namespace for Xen (40 bytes a page) and one devdax namespace
  ndctl_xen.nvdimm.ndctl_xen:
    namespaces:
      - name: xen0
        size: 256M
        map: mem
        reserve_per_page: 40
        reserve_owner: hypervisor
      - name: os0
        size: 128M
        mode: devdax
        reserve: 4M

- name: The rest of region1 in one namespace, reconfigured if it differs
  ndctl_xen.nvdimm.ndctl_xen:
    namespaces:
      - name: bulk
        region: region1
        size: rest
        map: mem
        reserve: 64M
    force: true
'''

RETURN = r'''
namespaces:
  description: One entry per requested namespace, in order, as C(ndctl-xen apply) reports it.
  returned: always
  type: list
  elements: dict
  contains:
    dev:
      description: The namespace (for example C(namespace0.1)); null if none exists yet.
      type: str
    action:
      description: The plan, C(create), C(reconfigure), C(none) or C(refuse).
      type: str
    result:
      description: C(created), C(reconfigured), C(unchanged), C(refused), C(failed), or
        C(not-run) (check mode, or after a failure).
      type: str
    differs:
      description: Each property that differs, as C(key), C(want), C(have).
      type: list
      elements: dict
    reason:
      description: Why the namespace was refused or failed.
      type: str
    namespace:
      description: The JSON of a namespace that was created or reconfigured.
      type: dict
  sample:
    - index: 0
      name: xen0
      dev: namespace0.0
      action: none
      result: unchanged
      differs: []
exit_status:
  description:
    - The exit status of C(ndctl-xen apply) (0 changed, 4 nothing to do, 5 check mode with
      changes planned).
    - Not named C(rc), which Ansible reads as a failure when it is not 0.
  returned: always
  type: int
  sample: 4
'''

import json

from ansible.module_utils.basic import AnsibleModule

# ndctl-xen apply's exit status (ndctl-xen-apply(1))
RC_CHANGED = 0
RC_UNCHANGED = 4
RC_PENDING = 5

ENTRY = dict(
    name=dict(type='str'),
    uuid=dict(type='str'),
    region=dict(type='str'),
    size=dict(type='raw', required=True),
    mode=dict(type='str'),
    map=dict(type='str'),
    align=dict(type='raw'),
    reserve=dict(type='raw'),
    reserve_per_page=dict(type='raw'),
    reserve_owner=dict(type='str'),
    page_struct_size=dict(type='raw'),
)


def entry_label(entry):
    for key in ('name', 'uuid', 'region'):
        if entry.get(key):
            return '%s=%s' % (key, entry[key])
    return 'namespaces[%s]' % entry.get('index')


def make_diff(namespaces):
    before, after = {}, {}
    for entry in namespaces:
        label = entry_label(entry)
        if entry.get('action') == 'create':
            before[label] = None
            after[label] = 'created'
        for d in entry.get('differs') or []:
            before.setdefault(label, {})[d['key']] = d['have']
            after.setdefault(label, {})[d['key']] = d['want']
    return dict(before=before, after=after)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            namespaces=dict(type='list', elements='dict', required=True, options=ENTRY),
            force=dict(type='bool', default=False),
            executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    exe = module.params['executable'] or module.get_bin_path('ndctl-xen', required=True)
    desired = dict(namespaces=[dict((k, v) for k, v in entry.items() if v is not None)
                               for entry in module.params['namespaces']])
    cmd = [exe, 'apply']
    if module.check_mode:
        cmd.append('--dry-run')
    if module.params['force']:
        cmd.append('--force')
    cmd.append('-')
    rc, out, err = module.run_command(cmd, data=json.dumps(desired), binary_data=True)
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    if rc not in (RC_CHANGED, RC_UNCHANGED, RC_PENDING) or report is None:
        module.fail_json(msg=err.strip() or 'ndctl-xen apply exited with status %d' % rc,
                         rc=rc, stdout=out, stderr=err,
                         namespaces=report.get('namespaces') if report else None)
    namespaces = report.get('namespaces', [])
    result = dict(changed=rc == RC_CHANGED or (module.check_mode and rc == RC_PENDING),
                  exit_status=rc, namespaces=namespaces)
    if module._diff:
        result['diff'] = make_diff(namespaces)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
