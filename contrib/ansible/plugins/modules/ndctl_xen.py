#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ndctl-xen developers
# GNU General Public License v2.0 or later, and so also version 3 or later at the
# recipient's choice (see LICENSE or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)
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
  - With C(state=present), a namespace that is missing is created, one that matches is
    left alone (nothing is written to it), one that differs is refused, or reconfigured
    with C(force=true), never while mounted or busy. If any namespace is refused,
    nothing is written to any of them.
  - With C(state=absent), each namespace named by C(namespaces[].name) or
    C(namespaces[].uuid) is destroyed (C(ndctl-xen destroy-namespace -f)), only with
    C(force=true) and never while it is mounted or busy; if any is refused, none is
    destroyed.
  - The comparison uses the library's exact live answer (the host's copy of the adopted
    info block), so a converged host reports C(changed=false).
  - A power cut during a run leaves every namespace either as it was or as wanted;
    after C(ndctl-xen recover) (run at boot) the next run finishes the job.
author:
  - ndctl-xen developers (@ndctl-xen)
requirements:
  - ndctl-xen on the managed host, run as root
attributes:
  check_mode:
    description: Runs C(ndctl-xen apply --dry-run -j); nothing is written.
    support: full
  diff_mode:
    description: Each namespace's layout (mode, map, align, dataoff, reservation) before and after.
    support: full
options:
  namespaces:
    description:
      - The namespaces the host should have (C(state=present)) or not have
        (C(state=absent)), one entry each.
      - An entry names its namespace by C(namespaces[].name), C(namespaces[].uuid), or
        (with neither, C(state=present) only) C(namespaces[].region), meaning that
        region's only namespace.
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
        description: The namespace's uuid (C(raw_uuid) in C(ndctl list -v)); a new namespace gets it.
        type: str
      region:
        description:
          - Where the namespace is, and where a new one is created (for example C(region0)).
          - Without C(namespaces[].name) and C(namespaces[].uuid), the region's only namespace.
        type: str
      size:
        description:
          - The raw size (ndctl list's C(raw_size)), with K, M, G or T suffixes, or
            C(rest) for the rest of the region (any existing size matches).
          - With C(state=present), this or C(namespaces[].data_size) is required.
        type: raw
      data_size:
        description:
          - Instead of C(namespaces[].size), the size of the data area, with K, M, G or
            T suffixes (C(ndctl-xen create-namespace --data-size)); a new namespace gets
            the smallest size whose data area holds it after the memmap, the reserved
            area and alignment.
          - An existing namespace matches when its data area, laid out as the entry
            asks, holds at least this much; apply never resizes one.
          - The size chosen is the C(raw_size) of each entry in C(namespaces).
        type: raw
      mode:
        description:
          - The namespace's mode; left out, C(ndctl-xen create-namespace)'s default
            (C(fsdax)).
        type: str
        choices: [fsdax, devdax]
      map:
        description:
          - Where Linux keeps its page structures; left out, create-namespace's default
            (C(dev)).
        type: str
        choices: [dev, mem]
      align:
        description:
          - The data area's alignment; left out, create-namespace's default (C(2M)).
        type: str
        choices: [4K, 2M, 1G]
      reserve:
        description: The reserved area's size in bytes, or with K, M, G suffixes.
        type: raw
      reserve_per_page:
        description:
          - Bytes to reserve for every 4 KiB page of the namespace (Xen x86-64 40), or a
            preset name that C(--reserve-per-page) accepts (C(xen), C(xen-bigmem)).
        type: raw
      reserve_owner:
        description:
          - C(os), C(hypervisor), or C(name:NAME) for another named consumer
            (NAME up to 16 characters); any other word, and a near miss of
            C(os) or C(hypervisor), is refused by ndctl-xen.
          - By default C(os) with C(namespaces[].map=dev), C(hypervisor) with
            C(namespaces[].map=mem); the C(xen) and C(xen-bigmem) presets
            always reserve for C(hypervisor) with C(map=mem).
        type: str
      page_struct_size:
        description: Bytes per page of the OS's page structures (default 64).
        type: int
  state:
    description:
      - C(present) converges the namespaces on C(namespaces) (C(ndctl-xen apply)).
      - C(absent) destroys the named namespaces; it needs C(force=true).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With C(state=present), reconfigure namespaces that differ from the desired state.
      - With C(state=absent), required to destroy anything.
      - A mounted or busy namespace is refused all the same.
    type: bool
    default: false
  executable:
    description: The ndctl-xen binary; by default the one on the PATH.
    type: path
seealso:
  - module: ndctl_xen.nvdimm.ndctl_xen_info
  - name: ndctl-xen-apply(1)
    description: The command this module runs, its desired-state format and exit codes.
    link: https://github.com/ndctl-xen/ndctl-xen/blob/main/Documentation/ndctl-xen-apply.txt
notes:
  - C(namespaces[].reserve) and C(namespaces[].reserve_per_page) are mutually exclusive,
    and so are C(namespaces[].size) and C(namespaces[].data_size);
    every entry needs one of C(namespaces[].name), C(namespaces[].uuid) and
    C(namespaces[].region).
  - The module runs C(ndctl-xen apply --detailed-exitcode) with the desired state on its
    standard input; a refusal or an error fails the task with the tool's message, and
    with C(changed=true) when some namespaces were changed before it (so that handlers
    run).
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

- name: A namespace sized by its data area (at least 1 GiB of data, Xen's reservation besides)
  ndctl_xen.nvdimm.ndctl_xen:
    namespaces:
      - name: guest0
        data_size: 1G
        reserve_per_page: xen

- name: Remove the namespace os0 (never a mounted or busy one)
  ndctl_xen.nvdimm.ndctl_xen:
    namespaces:
      - name: os0
    state: absent
    force: true
'''

RETURN = r'''
namespaces:
  description:
    - One entry per requested namespace, in order, as C(ndctl-xen apply) reports it
      (in check mode, its plan, C(apply --dry-run -j)).
  returned: always
  type: list
  elements: dict
  contains:
    dev:
      description: The namespace (for example C(namespace0.1)); null if none exists yet.
      type: str
    raw_size:
      description:
        - The namespace's raw size in bytes, as it is, as created, or (not run) as a
          create would choose it (with C(namespaces[].data_size), the size chosen);
          null when there is none. Not in check mode, where C(layout.size) says it.
      type: int
    action:
      description: The plan, C(create), C(reconfigure), C(none), C(refuse), or with
        C(state=absent) C(destroy).
      type: str
    result:
      description: C(created), C(reconfigured), C(unchanged), C(refused), C(failed),
        C(destroyed), C(absent) or C(not-run) (check mode, or after a failure).
      type: str
    differs:
      description: Each property that differs, as C(key), C(want), C(have).
      type: list
      elements: dict
    reason:
      description: Why the namespace was refused or failed.
      type: str
    layout:
      description: In check mode, the layout the library would give the namespace.
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
    - The exit status of C(ndctl-xen apply --detailed-exitcode) (0 nothing changed,
      5 changed, or in check mode changes planned).
    - Not named C(rc), which Ansible reads as a failure when it is not 0.
  returned: with C(state=present)
  type: int
  sample: 0
'''

import json
import os
import stat

from ansible.module_utils.basic import AnsibleModule

# ndctl-xen apply --detailed-exitcode's status (ndctl-xen-apply(1))
RC_SAME = 0
RC_CHANGES = 5

ENTRY = dict(
    name=dict(type='str'),
    uuid=dict(type='str'),
    region=dict(type='str'),
    size=dict(type='raw'),
    data_size=dict(type='raw'),
    mode=dict(type='str', choices=['fsdax', 'devdax']),
    map=dict(type='str', choices=['dev', 'mem']),
    align=dict(type='str', choices=['4K', '2M', '1G']),
    reserve=dict(type='raw'),
    reserve_per_page=dict(type='raw'),
    reserve_owner=dict(type='str'),
    page_struct_size=dict(type='int'),
)

ARGUMENT_SPEC = dict(
    namespaces=dict(type='list', elements='dict', required=True, options=ENTRY,
                    mutually_exclusive=[('reserve', 'reserve_per_page'), ('size', 'data_size')],
                    required_one_of=[('name', 'uuid', 'region')]),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    force=dict(type='bool', default=False),
    executable=dict(type='path'),
)


def entry_label(entry, index):
    for key in ('name', 'uuid', 'region'):
        if entry.get(key):
            return '%s=%s' % (key, entry[key])
    return 'namespaces[%d]' % index


def layout_of_listed(ns):
    """What the diff shows of a live namespace (ndctl-xen list's JSON)."""
    layout = ns.get('layout') or {}
    reserve = layout.get('reserve')
    return dict(
        dev=ns.get('dev'), mode=ns.get('mode'), raw_size=ns.get('raw_size'),
        map=layout.get('map'), align=layout.get('align'), dataoff=layout.get('dataoff'),
        page_struct_size=layout.get('page_struct_size'),
        reserve=None if not reserve else dict(
            (k, reserve.get(k)) for k in ('offset', 'size', 'owner', 'per_page_bytes')),
    )


def layout_of_plan(dev, layout):
    """The same from a plan entry's layout (apply --dry-run -j)."""
    if not layout:
        return None
    return dict(
        dev=dev, mode=layout['mode'], raw_size=layout['size'], map=layout['map'],
        align=layout['align'], dataoff=layout['dataoff'],
        page_struct_size=layout['page_struct_size'], reserve=layout['reserve'],
    )


class NdctlXen(object):
    def __init__(self, module):
        self.module = module
        self.exe = module.params['executable'] or module.get_bin_path('ndctl-xen', required=True)

    def run_json(self, args, data=None):
        rc, out, err = self.module.run_command([self.exe] + args, data=data, binary_data=True)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        return rc, doc, out, err

    def listed(self):
        """Every namespace, disabled ones too, by dev (ndctl-xen list -N -v -i)."""
        rc, doc, out, err = self.run_json(['list', '-N', '-v', '-i'])
        if rc == 0 and not out.strip():
            doc = []  # no namespaces: list prints nothing, as ndctl list does
        if rc != 0 or not isinstance(doc, list):
            self.module.fail_json(msg='ndctl-xen list failed: %s' % (err.strip() or out.strip()),
                                  stdout=out, stderr=err, changed=False)
        return dict((ns.get('dev'), ns) for ns in doc)


def desired_state(entries):
    desired = []
    for entry in entries:
        desired.append(dict((k, v) for k, v in entry.items() if v is not None))
    return dict(namespaces=desired)


def diff_for(entries, reported, before, after):
    """before/after: each entry's layout, None where there is no namespace."""
    diff = dict(before={}, after={})
    for index, entry in enumerate(entries):
        rep = reported[index] if index < len(reported) else {}
        label = entry_label(entry, index)
        diff['before'][label] = before(rep)
        diff['after'][label] = after(rep)
    return diff


def present(module, tool):
    params = module.params
    entries = params['namespaces']
    for index, entry in enumerate(entries):
        if entry.get('size') is None and entry.get('data_size') is None:
            module.fail_json(msg='namespaces[%d] (%s): size or data_size is required with '
                             'state=present (a size, "rest", or the data area\'s size)' %
                             (index, entry_label(entry, index)),
                             changed=False)
    listed_before = tool.listed() if module._diff else {}

    def was(rep):
        ns = listed_before.get(rep.get('dev'))
        return layout_of_listed(ns) if ns else None

    cmd = ['apply', '--detailed-exitcode']
    if module.check_mode:
        cmd += ['--dry-run', '-j']
    if params['force']:
        cmd.append('--force')
    cmd.append('-')
    rc, report, out, err = tool.run_json(cmd, data=json.dumps(desired_state(entries)))
    if module.check_mode:
        plan = report if isinstance(report, list) else []
        for rep in plan:
            rep['result'] = dict(none='unchanged', refuse='refused').get(rep.get('action'), 'not-run')
        result = dict(changed=rc == RC_CHANGES, exit_status=rc, namespaces=plan)
        if module._diff:
            result['diff'] = diff_for(entries, plan, was, lambda rep: (
                was(rep) if rep.get('action') == 'none' else
                layout_of_plan(rep.get('dev'), rep.get('layout'))))
        if rc not in (RC_SAME, RC_CHANGES) or not isinstance(report, list):
            module.fail_json(msg=err.strip() or 'ndctl-xen apply exited with status %d' % rc,
                             stdout=out, stderr=err, **result)
        module.exit_json(**result)

    namespaces = report.get('namespaces', []) if isinstance(report, dict) else []
    # a partial apply (one created, the next failed) changed the host all the same
    changed = bool(report.get('changed')) if isinstance(report, dict) else False
    result = dict(changed=changed, exit_status=rc, namespaces=namespaces)
    if isinstance(report, dict):
        result['recovered'] = report.get('recovered', [])
    if module._diff:
        listed_after = tool.listed() if changed else listed_before
        result['diff'] = diff_for(entries, namespaces, was, lambda rep: (
            layout_of_listed(listed_after[rep['dev']]) if rep.get('dev') in listed_after else None))
    if rc not in (RC_SAME, RC_CHANGES) or not isinstance(report, dict):
        module.fail_json(msg=err.strip() or 'ndctl-xen apply exited with status %d' % rc,
                         stdout=out, stderr=err, **result)
    module.exit_json(**result)


def chardev_of(ns):
    """A devdax namespace's dax device: ndctl's chardev, or with -v its daxregion's."""
    if ns.get('chardev'):
        return ns['chardev']
    for dev in (ns.get('daxregion') or {}).get('devices') or []:
        if dev.get('chardev'):
            return dev['chardev']
    return None


def busy_reason(ns):
    """Why a namespace cannot be destroyed now (mounted, held, open), or None."""
    blockdev = ns.get('blockdev')
    chardev = chardev_of(ns)
    if ns.get('mode') == 'devdax' and ns.get('enabled', True) and not chardev:
        return '%s is devdax but ndctl names no dax device: cannot tell whether it is in use' % (
            ns.get('dev'))
    if blockdev:
        path = '/dev/' + blockdev
        try:
            rdev = os.stat(path).st_rdev
        except OSError:
            rdev = None
        if rdev is not None:
            want = '%d:%d' % (os.major(rdev), os.minor(rdev))
            with open('/proc/self/mountinfo') as f:
                for line in f:
                    fields = line.split()
                    if len(fields) > 4 and fields[2] == want:
                        return '%s is mounted on %s' % (path, fields[4])
        holders = '/sys/block/%s/holders' % blockdev
        if os.path.isdir(holders) and os.listdir(holders):
            return '%s is held by %s' % (path, ', '.join(sorted(os.listdir(holders))))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_EXCL)
            os.close(fd)
        except OSError as e:
            if e.errno == 16:  # EBUSY: mounted, swap, or opened exclusively
                return '%s is busy (in use exclusively)' % path
    if chardev:
        path = '/dev/' + chardev
        driver = '/sys/bus/dax/devices/%s/driver' % chardev
        if os.path.islink(driver) and os.path.basename(os.readlink(driver)) == 'kmem':
            return '%s is online as system RAM (kmem)' % path
        user = open_by(path)
        if user:
            return '%s is open by process %s' % (path, user)
    return None


def open_by(path):
    """A process that has path open or mapped, or None."""
    try:
        want = os.stat(path).st_rdev
    except OSError:
        return None
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        fds = '/proc/%s/fd' % pid
        try:
            names = os.listdir(fds)
        except OSError:
            continue
        for fd in names:
            try:
                st = os.stat(os.path.join(fds, fd))
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == want:
                return pid
        try:
            with open('/proc/%s/maps' % pid) as f:
                if any(line.rstrip().endswith(' ' + path) for line in f):
                    return pid
        except (OSError, IOError):
            continue
    return None


def absent(module, tool):
    params = module.params
    entries = params['namespaces']
    if not params['force']:
        module.fail_json(msg='state=absent destroys namespaces and all their data: '
                         'it needs force: true', changed=False)
    for index, entry in enumerate(entries):
        if not entry.get('name') and not entry.get('uuid'):
            module.fail_json(msg='namespaces[%d] (%s): state=absent names a namespace by '
                             'name or uuid' % (index, entry_label(entry, index)), changed=False)
    listed = tool.listed()
    reports, refused = [], False
    for index, entry in enumerate(entries):
        rep = dict(index=index, name=entry.get('name'), uuid=entry.get('uuid'), dev=None,
                   action='none', result='absent', reason=None)
        found = [ns for ns in listed.values()
                 if (not entry.get('name') or ns.get('name') == entry['name'])
                 and (not entry.get('uuid') or
                      str(ns.get('raw_uuid', '')).lower() == entry['uuid'].lower())
                 and (not entry.get('region') or ns.get('region') == entry['region'])]
        if len(found) > 1:
            rep.update(action='refuse', result='refused',
                       reason='more than one namespace matches (%s); name it by uuid' %
                       ', '.join(sorted(ns['dev'] for ns in found)))
        elif found:
            rep['dev'] = found[0]['dev']
            why = busy_reason(found[0])
            if why:
                rep.update(action='refuse', result='refused', reason=why)
            else:
                rep.update(action='destroy', result='not-run')
        refused = refused or rep['action'] == 'refuse'
        reports.append(rep)
    planned = [rep for rep in reports if rep['action'] == 'destroy']
    result = dict(changed=False, namespaces=reports)
    if module._diff:
        result['diff'] = diff_for(entries, reports, lambda rep: (
            layout_of_listed(listed[rep['dev']]) if rep['dev'] else None),
            lambda rep: None if rep['action'] == 'destroy' or not rep['dev'] else
            layout_of_listed(listed[rep['dev']]))
    if refused:
        module.fail_json(msg='; '.join('namespaces[%d] %s: refused: %s' % (
            rep['index'], rep['dev'] or '', rep['reason']) for rep in reports
            if rep['action'] == 'refuse') + ' (nothing was destroyed)', **result)
    if module.check_mode:
        result['changed'] = bool(planned)
        module.exit_json(**result)
    for rep in planned:
        rc, out, err = module.run_command([tool.exe, 'destroy-namespace', '-f', rep['dev']])
        if rc != 0:
            rep.update(result='failed', reason=err.strip() or out.strip())
            result['changed'] = any(r['result'] == 'destroyed' for r in reports)
            module.fail_json(msg='namespaces[%d] %s: destroy-namespace failed: %s' % (
                rep['index'], rep['dev'], rep['reason']), **result)
        rep['result'] = 'destroyed'
        result['changed'] = True
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    tool = NdctlXen(module)
    if module.params['state'] == 'absent':
        absent(module, tool)
    present(module, tool)


if __name__ == '__main__':
    main()
