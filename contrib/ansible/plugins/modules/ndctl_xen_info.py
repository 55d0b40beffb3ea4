#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ndctl-xen developers
# GNU General Public License v2.0 or later, and so also version 3 or later at the
# recipient's choice (see LICENSE or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ansible module: the host's NVDIMM namespaces, reservations and Xen frame ranges."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ndctl_xen_info
short_description: The host's NVDIMM namespaces, their reserved areas and Xen frame ranges
version_added: "0.2.0"
description:
  - Returns what C(ndctl-xen list --xen) (ndctl-xen-list(1)) says of the host's
    namespaces, disabled ones included (not a region's empty seed); each namespace's layout, its reserved area
    (offset, size, physical range, owner, bytes a page) and the machine frame ranges
    Xen's C(xen-ndctl setup-mgmt) and C(setup-data) take.
  - Changes nothing.
author:
  - ndctl-xen developers (@ndctl-xen)
requirements:
  - ndctl-xen on the managed host, run as root
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
options:
  region:
    description: Only the namespaces of this region (for example C(region0) or C(0)).
    type: str
  namespace:
    description: Only this namespace (for example C(namespace0.0) or C(0.0)).
    type: str
  executable:
    description: The ndctl-xen binary; by default the one on the PATH.
    type: path
seealso:
  - module: ndctl_xen.nvdimm.ndctl_xen
  - name: ndctl-xen-list(1)
    description: The command this module runs and the meaning of each field.
    link: https://github.com/ndctl-xen/ndctl-xen/blob/main/Documentation/ndctl-xen-list.txt
'''

EXAMPLES = r'''
- name: What the host's NVDIMMs hold
  ndctl_xen.nvdimm.ndctl_xen_info:
  register: nvdimm

- name: Hand Xen its frame ranges
  ansible.builtin.command: "{{ item.setup_mgmt }}"
  loop: "{{ nvdimm.xen }}"
  when: item.setup_mgmt and item.mgmt_fits
'''

RETURN = r'''
namespaces:
  description: Each namespace as C(ndctl-xen list -N -v -i --xen) prints it.
  returned: always
  type: list
  elements: dict
  sample:
    - dev: namespace0.0
      name: xen0
      mode: fsdax
      enabled: true
      raw_size: 67108864
      layout:
        map: mem
        dataoff: 4194304
        reserve:
          offset: 3538944
          size: 655360
          owner: hypervisor
          per_page_bytes: 40
reservations:
  description: One entry per namespace with a reserved area.
  returned: always
  type: list
  elements: dict
  contains:
    dev:
      description: The namespace.
      type: str
    name:
      description: Its label name, if any.
      type: str
    offset:
      description: The reserved area's offset in the namespace, bytes.
      type: int
    size:
      description: Its size, bytes (null when it cannot be known from this host).
      type: int
    phys_start:
      description: Its first physical address.
      type: int
    phys_end:
      description: Its last physical address.
      type: int
    owner:
      description: C(os), C(hypervisor) or a name.
      type: str
    per_page_bytes:
      description: Bytes reserved for every 4 KiB page, 0 for a fixed size.
      type: int
xen:
  description: One entry per namespace with a layout, its machine frame ranges for Xen.
  returned: always
  type: list
  elements: dict
  contains:
    dev:
      description: The namespace.
      type: str
    mgmt:
      description: The reserved area's frames, C(smfn) and C(emfn) (exclusive), or null.
      type: dict
    data:
      description: The data area's frames, C(smfn) and C(emfn), or null.
      type: dict
    mgmt_fits:
      description: Whether Xen's frame table and M2P for the data frames fit in C(mgmt).
      type: bool
    setup_mgmt:
      description: The C(xen-ndctl setup-mgmt) command line, or null.
      type: str
    setup_data:
      description: The C(xen-ndctl setup-data) command line, or null.
      type: str
'''

import json

from ansible.module_utils.basic import AnsibleModule


def reservations_of(namespaces):
    out = []
    for ns in namespaces:
        reserve = (ns.get('layout') or {}).get('reserve')
        if reserve:
            entry = dict(dev=ns.get('dev'), name=ns.get('name'))
            for key in ('offset', 'size', 'phys_start', 'phys_end', 'owner', 'per_page_bytes'):
                entry[key] = reserve.get(key)
            out.append(entry)
    return out


def xen_of(namespaces):
    out = []
    for ns in namespaces:
        xen = ns.get('xen')
        if xen:
            entry = dict(dev=ns.get('dev'), name=ns.get('name'))
            entry.update(xen)
            out.append(entry)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            region=dict(type='str'),
            namespace=dict(type='str'),
            executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    exe = module.params['executable'] or module.get_bin_path('ndctl-xen', required=True)
    cmd = [exe, 'list', '-N', '-v', '-i', '--xen']
    if module.params['region']:
        cmd += ['-r', module.params['region']]
    if module.params['namespace']:
        cmd += ['-n', module.params['namespace']]
    rc, out, err = module.run_command(cmd)
    try:
        namespaces = json.loads(out) if out.strip() else []
    except ValueError:
        namespaces = None
    if rc != 0 or not isinstance(namespaces, list):
        why = err.strip() or out.strip() or 'exit status %d' % rc
        module.fail_json(msg='ndctl-xen list failed: %s' % why, stdout=out, stderr=err)
    # -i lists a region's empty seed namespace too (size 0): not a namespace to report
    namespaces = [ns for ns in namespaces if ns.get('raw_size') != 0]
    module.exit_json(changed=False, namespaces=namespaces,
                     reservations=reservations_of(namespaces), xen=xen_of(namespaces))


if __name__ == '__main__':
    main()
