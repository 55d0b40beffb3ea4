# -*- coding: utf-8 -*-
# Copyright: ndctl-xen developers
# GNU General Public License v2.0 or later, and so also version 3 or later at the
# recipient's choice (see LICENSE or https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Unit tests of the modules ndctl_xen and ndctl_xen_info, offline: each
module runs as Ansible runs it (python3 MODULE ARGS.json) against
fake-ndctl-xen, which answers from files and records every call, so a
test sees exactly what the module asked of the tool (a check-mode run
never applies or destroys).  unittest only: python3 -m unittest, or
pytest, or ansible-test units.  NDCTL_XEN_MODULES points at another copy
of plugins/modules (to show a test fails on an older module).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = os.environ.get('NDCTL_XEN_MODULES') or os.path.join(
    HERE, '..', '..', '..', '..', 'plugins', 'modules')
FAKE = os.path.join(HERE, 'fake_ndctl_xen.py')
# the modules run on the Python that has ansible-core (Debian's: /usr/bin/python3)
PYTHON = os.environ.get('NDCTL_XEN_PYTHON') or sys.executable

# what ndctl-xen list -N -v -i prints of two namespaces (trimmed to what the modules read)
XEN0 = {
    'dev': 'namespace0.0', 'name': 'xen0', 'raw_uuid': '0f0e0d0c-0b0a-0908-0706-050403020100',
    'mode': 'fsdax', 'blockdev': 'pmem-fake0', 'region': 'region0', 'enabled': True,
    'raw_size': 67108864, 'resource': 4294967296,
    'layout': {'map': 'mem', 'align': 2097152, 'page_struct_size': 64, 'dataoff': 4194304,
               'reserve': {'offset': 3538944, 'size': 655360, 'phys_start': 4298506240,
                           'phys_end': 4299161599, 'owner': 'hypervisor', 'per_page_bytes': 40},
               'data': {'offset': 4194304, 'size': 62914560}},
    'xen': {'mgmt': {'smfn': 1049440, 'emfn': 1049600}, 'data': {'smfn': 1049600, 'emfn': 1064960},
            'mgmt_fits': True, 'mgmt_required_mfns': 150,
            'setup_mgmt': 'xen-ndctl setup-mgmt 0x1003e0 0x100400',
            'setup_data': 'xen-ndctl setup-data 0x100400 0x104000 0x1003e0 0x100400'},
}
OS0 = {
    'dev': 'namespace0.1', 'name': 'os0', 'raw_uuid': '11111111-2222-3333-4444-555555555555',
    'mode': 'devdax', 'daxregion': {'id': 0, 'devices': [{'chardev': 'dax-fake0.1'}]},
    'region': 'region0', 'enabled': True,
    'raw_size': 33554432, 'resource': 4362076160,
    'layout': {'map': 'dev', 'align': 2097152, 'page_struct_size': 64, 'dataoff': 8388608,
               'reserve': None, 'data': {'offset': 8388608, 'size': 25165824}},
    'xen': None,
}
WANT = [{'name': 'xen0', 'size': '64M', 'map': 'mem', 'reserve_per_page': 40},
        {'name': 'os0', 'size': '32M', 'mode': 'devdax'}]


def entry(index, name, dev, action, result, reason=None, differs=None):
    return {'index': index, 'name': name, 'uuid': None, 'dev': dev, 'action': action,
            'result': result, 'differs': differs or [], 'reason': reason, 'namespace': None}


def report(changed, *entries):
    return {'dry_run': False, 'changed': changed, 'changes_planned': 0, 'recovered': [],
            'namespaces': list(entries)}


class ModuleCase(unittest.TestCase):
    module = 'ndctl_xen'

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='ndctl-xen-ansible.')
        self.addCleanup(shutil.rmtree, self.dir)
        self.fake = os.path.join(self.dir, 'fake')
        os.mkdir(self.fake)
        self.exe = os.path.join(self.dir, 'bin', 'ndctl-xen')
        os.mkdir(os.path.dirname(self.exe))
        with open(self.exe, 'w') as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (PYTHON, FAKE))
        os.chmod(self.exe, 0o755)

    def answer(self, command, stdout='', rc=0, stderr=''):
        """The fake's answer to COMMAND ("apply", or "list.2" for the second list)."""
        with open(os.path.join(self.fake, command), 'w') as f:
            json.dump({'stdout': stdout if isinstance(stdout, str) else json.dumps(stdout),
                       'stderr': stderr, 'rc': rc}, f)

    def calls(self):
        path = os.path.join(self.fake, 'calls')
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def run_module(self, check=False, diff=False, path=True, **args):
        """The module's JSON result and exit status; the fake is on PATH (or executable=)."""
        if not path:
            args['executable'] = self.exe
        doc = {'ANSIBLE_MODULE_ARGS': dict(args, _ansible_check_mode=check, _ansible_diff=diff,
                                           _ansible_remote_tmp=self.dir,
                                           _ansible_tmpdir=self.dir)}
        args_file = os.path.join(self.dir, 'args.json')
        with open(args_file, 'w') as f:
            json.dump(doc, f)
        env = dict(os.environ, FAKE_NDCTL_XEN=self.fake, HOME=self.dir,
                   PATH=os.path.dirname(self.exe) + os.pathsep + os.environ.get('PATH', ''))
        p = subprocess.run([PYTHON, os.path.join(MODULES, self.module + '.py'), args_file],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, check=False, universal_newlines=True)
        try:
            result = json.loads(p.stdout)
        except ValueError:
            self.fail('the module printed no JSON: %r %r' % (p.stdout, p.stderr))
        return result, p.returncode


class TestPresent(ModuleCase):
    def test_partial_apply_fails_changed_with_results(self):
        # issue 23.6: one namespace created, the next failed (exit 3)
        self.answer('list', [])
        self.answer('apply', report(True, entry(0, 'xen0', 'namespace0.0', 'create', 'created'),
                                    entry(1, 'os0', None, 'create', 'failed', 'see the error above')),
                    rc=3, stderr='ndctl-xen apply: namespaces[1]: cannot create: No space left\n')
        result, rc = self.run_module(namespaces=WANT)
        self.assertEqual(rc, 1)
        self.assertTrue(result.get('failed'))
        self.assertIs(result.get('changed'), True, 'a partial apply changed the host: handlers must run')
        self.assertEqual([n['result'] for n in result['namespaces']], ['created', 'failed'])
        self.assertIn('No space left', result['msg'])

    def test_refused_before_anything_fails_unchanged(self):
        self.answer('apply', report(False, entry(0, 'xen0', 'namespace0.0', 'refuse', 'refused',
                                                 'namespace0.0 differs from the desired state')),
                    rc=1, stderr='ndctl-xen apply: namespaces[0] namespace0.0: refused: differs\n')
        result, rc = self.run_module(namespaces=WANT[:1])
        self.assertEqual((rc, result.get('failed'), result.get('changed')), (1, True, False))
        self.assertIn('refused', result['msg'])

    def test_converged_is_ok(self):
        self.answer('apply', report(False, entry(0, 'xen0', 'namespace0.0', 'none', 'unchanged'),
                                    entry(1, 'os0', 'namespace0.1', 'none', 'unchanged')))
        result, rc = self.run_module(namespaces=WANT, path=False)
        self.assertEqual((rc, result['changed'], result['exit_status']), (0, False, 0))
        call = self.calls()[-1]
        self.assertEqual(call['args'], ['apply', '--detailed-exitcode', '-'])
        self.assertEqual(json.loads(call['stdin']), {'namespaces': WANT})

    def test_changed_with_diff_of_layouts(self):
        self.answer('list.1', [XEN0])
        self.answer('list.2', [XEN0, OS0])
        self.answer('apply', report(True, entry(0, 'xen0', 'namespace0.0', 'none', 'unchanged'),
                                    entry(1, 'os0', 'namespace0.1', 'create', 'created')), rc=5)
        result, rc = self.run_module(namespaces=WANT, diff=True, force=True)
        self.assertEqual((rc, result['changed'], result['exit_status']), (0, True, 5))
        self.assertEqual(self.calls()[1]['args'], ['apply', '--detailed-exitcode', '--force', '-'])
        diff = result['diff']
        self.assertIsNone(diff['before']['name=os0'])
        self.assertEqual(diff['after']['name=os0']['mode'], 'devdax')
        self.assertEqual(diff['after']['name=os0']['dataoff'], 8388608)
        self.assertEqual(diff['before']['name=xen0'], diff['after']['name=xen0'])
        self.assertEqual(diff['after']['name=xen0']['reserve']['per_page_bytes'], 40)

    def test_diff_with_no_namespaces_yet(self):
        # ndctl-xen list prints nothing at all when there is no namespace
        self.answer('list.1', '')
        self.answer('list.2', [OS0])
        self.answer('apply', report(True, entry(0, 'os0', 'namespace0.1', 'create', 'created')), rc=5)
        result, rc = self.run_module(namespaces=WANT[1:], diff=True)
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertIsNone(result['diff']['before']['name=os0'])
        self.assertEqual(result['diff']['after']['name=os0']['dev'], 'namespace0.1')

    def test_recovery_alone_is_a_change(self):
        rep = report(True, entry(0, 'xen0', 'namespace0.0', 'none', 'unchanged'))
        rep['recovered'] = [{'dev': 'namespace0.0', 'action': 'journal'}]
        self.answer('apply', rep, rc=5)
        result, rc = self.run_module(namespaces=WANT[:1])
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertEqual(result['recovered'], [{'dev': 'namespace0.0', 'action': 'journal'}])

    def test_unknown_exit_status_fails(self):
        # 4 was "nothing to do" before --detailed-exitcode: never read as success now
        self.answer('apply', report(False), rc=4)
        result, rc = self.run_module(namespaces=[])
        self.assertEqual((rc, result.get('failed')), (1, True))


class TestDataSize(ModuleCase):
    WANT = [{'name': 'guest0', 'data_size': '1G', 'reserve_per_page': 'xen'}]

    def test_passed_through_and_the_size_chosen_returned(self):
        made = dict(entry(0, 'guest0', 'namespace0.0', 'create', 'created'),
                    raw_size=1086324736)
        self.answer('apply', report(True, made), rc=5)
        result, rc = self.run_module(namespaces=self.WANT)
        self.assertEqual((rc, result['changed']), (0, True), result)
        call = self.calls()[0]
        self.assertEqual(call['args'], ['apply', '--detailed-exitcode', '-'])
        self.assertEqual(json.loads(call['stdin']), {'namespaces': self.WANT},
                         'data_size reaches apply as given, and no size with it')
        self.assertEqual(result['namespaces'][0]['raw_size'], 1086324736)

    def test_check_mode_diff_has_the_planned_size(self):
        plan = [dict(TestCheckMode.PLAN[1], name='guest0',
                     layout=dict(TestCheckMode.PLAN[1]['layout'], size=1086324736))]
        self.answer('list', [])
        self.answer('apply', plan, rc=5)
        result, rc = self.run_module(namespaces=self.WANT, check=True, diff=True)
        self.assertEqual((rc, result['changed']), (0, True), result)
        self.assertEqual(json.loads(self.calls()[1]['stdin']), {'namespaces': self.WANT})
        self.assertEqual(result['diff']['after']['name=guest0']['raw_size'], 1086324736)


class TestCheckMode(ModuleCase):
    PLAN = [
        {'index': 0, 'name': 'xen0', 'uuid': None, 'region': 'region0', 'dev': 'namespace0.0',
         'action': 'none', 'reason': None, 'differs': [],
         'layout': {'size': 67108864, 'resource': 4294967296, 'mode': 'fsdax', 'map': 'mem',
                    'align': 2097152, 'page_struct_size': 64, 'dataoff': 4194304,
                    'reserve': {'offset': 3538944, 'size': 655360, 'owner': 'hypervisor',
                                'per_page_bytes': 40},
                    'data': {'offset': 4194304, 'size': 62914560}}},
        {'index': 1, 'name': 'os0', 'uuid': None, 'region': 'region0', 'dev': None,
         'action': 'create', 'reason': None, 'differs': [],
         'layout': {'size': 33554432, 'resource': None, 'mode': 'devdax', 'map': 'dev',
                    'align': 2097152, 'page_struct_size': 64, 'dataoff': 8388608,
                    'reserve': None, 'data': {'offset': 8388608, 'size': 25165824}}},
    ]

    def test_check_mode_plans_and_changes_nothing(self):
        self.answer('list', [XEN0])
        self.answer('apply', self.PLAN, rc=5)
        result, rc = self.run_module(namespaces=WANT, check=True, diff=True)
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertEqual([c['args'][0] for c in self.calls()], ['list', 'apply'])
        self.assertEqual(self.calls()[1]['args'], ['apply', '--detailed-exitcode', '--dry-run', '-j', '-'])
        self.assertEqual([n['result'] for n in result['namespaces']], ['unchanged', 'not-run'])
        diff = result['diff']
        self.assertIsNone(diff['before']['name=os0'])
        self.assertEqual(diff['after']['name=os0'],
                         {'dev': None, 'mode': 'devdax', 'raw_size': 33554432, 'map': 'dev',
                          'align': 2097152, 'dataoff': 8388608, 'page_struct_size': 64,
                          'reserve': None})
        self.assertEqual(diff['before']['name=xen0'], diff['after']['name=xen0'])

    def test_check_mode_converged(self):
        self.answer('apply', self.PLAN[:1], rc=0)
        result, rc = self.run_module(namespaces=WANT[:1], check=True)
        self.assertEqual((rc, result['changed'], result['exit_status']), (0, False, 0))

    def test_check_mode_refusal_fails(self):
        plan = [dict(self.PLAN[1], action='refuse', reason='no writable pmem region with room for it')]
        self.answer('apply', plan, rc=1, stderr='ndctl-xen apply: namespaces[0]: refused: no room\n')
        result, rc = self.run_module(namespaces=WANT[1:], check=True)
        self.assertEqual((rc, result.get('failed'), result.get('changed')), (1, True, False))
        self.assertEqual(result['namespaces'][0]['result'], 'refused')


class TestArguments(ModuleCase):
    def refused(self, message, **args):
        result, rc = self.run_module(**args)
        self.assertEqual((rc, result.get('failed')), (1, True), result)
        self.assertIn(message, result['msg'])
        self.assertEqual(self.calls(), [], 'nothing reached the host')

    def test_mode_typo(self):
        self.refused('value of mode must be one of: fsdax, devdax, got: fsdaxx',
                     namespaces=[{'name': 'a', 'size': '64M', 'mode': 'fsdaxx'}])

    def test_map_typo(self):
        self.refused('value of map must be one of: dev, mem',
                     namespaces=[{'name': 'a', 'size': '64M', 'map': 'memory'}])

    def test_align_not_a_choice(self):
        self.refused('value of align must be one of: 4K, 2M, 1G',
                     namespaces=[{'name': 'a', 'size': '64M', 'align': '3M'}])

    def test_reserve_and_per_page(self):
        self.refused('mutually exclusive: reserve|reserve_per_page',
                     namespaces=[{'name': 'a', 'size': '64M', 'reserve': '4M', 'reserve_per_page': 40}])

    def test_no_identity(self):
        self.refused('one of the following is required: name, uuid, region',
                     namespaces=[{'size': '64M'}])

    def test_unknown_key(self):
        self.refused('Unsupported parameters', namespaces=[{'name': 'a', 'size': '64M', 'sise': 1}])

    def test_state_typo(self):
        self.refused('value of state must be one of: present, absent', namespaces=[], state='gone')

    def test_size_and_data_size(self):
        self.refused('mutually exclusive: size|data_size',
                     namespaces=[{'name': 'a', 'size': '64M', 'data_size': '60M'}])

    def test_size_required_when_present(self):
        self.refused('namespaces[0] (name=a): size or data_size is required with state=present',
                     namespaces=[{'name': 'a'}])


class TestAbsent(ModuleCase):
    def test_needs_force(self):
        result, rc = self.run_module(namespaces=[{'name': 'os0'}], state='absent')
        self.assertEqual((rc, result.get('changed')), (1, False))
        self.assertIn('it needs force: true', result['msg'])
        self.assertEqual(self.calls(), [])

    def test_needs_name_or_uuid(self):
        result, rc = self.run_module(namespaces=[{'region': 'region0'}], state='absent', force=True)
        self.assertEqual(rc, 1)
        self.assertIn('names a namespace by name or uuid', result['msg'])
        self.assertEqual(self.calls(), [])

    def test_destroys_the_named_one(self):
        self.answer('list', [XEN0, OS0])
        self.answer('destroy-namespace', 'destroyed 1 namespace\n')
        result, rc = self.run_module(namespaces=[{'name': 'os0'}, {'name': 'gone'}], state='absent',
                                     force=True, diff=True)
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertEqual([c['args'] for c in self.calls()],
                         [['list', '-N', '-v', '-i'], ['destroy-namespace', '-f', 'namespace0.1']])
        self.assertEqual([n['result'] for n in result['namespaces']], ['destroyed', 'absent'])
        self.assertEqual(result['diff']['before']['name=os0']['mode'], 'devdax')
        self.assertIsNone(result['diff']['after']['name=os0'])

    def test_by_uuid_any_case(self):
        self.answer('list', [XEN0, OS0])
        self.answer('destroy-namespace', '')
        result, rc = self.run_module(namespaces=[{'uuid': XEN0['raw_uuid'].upper()}], state='absent',
                                     force=True)
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertEqual(self.calls()[-1]['args'], ['destroy-namespace', '-f', 'namespace0.0'])

    def test_already_absent_is_ok(self):
        self.answer('list', [XEN0])
        result, rc = self.run_module(namespaces=[{'name': 'os0'}], state='absent', force=True)
        self.assertEqual((rc, result['changed']), (0, False))
        self.assertEqual(len(self.calls()), 1)

    def test_check_mode_destroys_nothing(self):
        self.answer('list', [XEN0, OS0])
        result, rc = self.run_module(namespaces=[{'name': 'os0'}], state='absent', force=True,
                                     check=True)
        self.assertEqual((rc, result['changed']), (0, True))
        self.assertEqual([c['args'][0] for c in self.calls()], ['list'])
        self.assertEqual(result['namespaces'][0]['result'], 'not-run')

    def test_busy_devdax_refused_and_nothing_destroyed(self):
        # a character device this test holds open stands for a dax device in use
        held = open('/dev/null')
        self.addCleanup(held.close)
        busy = dict(OS0, daxregion={'id': 0, 'devices': [{'chardev': 'null'}]})
        self.answer('list', [XEN0, busy])
        result, rc = self.run_module(namespaces=[{'name': 'xen0'}, {'name': 'os0'}], state='absent',
                                     force=True)
        self.assertEqual((rc, result.get('failed'), result['changed']), (1, True, False))
        self.assertRegex(result['msg'], r'namespaces\[1\] namespace0.1: refused: /dev/null is open by process \d+')
        self.assertIn('nothing was destroyed', result['msg'])
        self.assertEqual([c['args'][0] for c in self.calls()], ['list'])

    def test_devdax_without_a_dax_device_refused(self):
        self.answer('list', [dict(OS0, daxregion=None)])
        result, rc = self.run_module(namespaces=[{'name': 'os0'}], state='absent', force=True)
        self.assertEqual((rc, result['changed']), (1, False))
        self.assertIn('ndctl names no dax device', result['msg'])
        self.assertEqual([c['args'][0] for c in self.calls()], ['list'])

    def test_mounted_fsdax_refused(self):
        dev = mounted_block_device()
        if not dev:
            self.skipTest('no mounted block device with a /dev node on this machine')
        self.answer('list', [dict(XEN0, blockdev=dev)])
        result, rc = self.run_module(namespaces=[{'name': 'xen0'}], state='absent', force=True)
        self.assertEqual((rc, result['changed']), (1, False))
        self.assertIn('/dev/%s is mounted on ' % dev, result['msg'])
        self.assertEqual([c['args'][0] for c in self.calls()], ['list'])

    def test_failed_destroy_after_one_is_changed(self):
        self.answer('list', [XEN0, OS0])
        self.answer('destroy-namespace.1', '')
        self.answer('destroy-namespace.2', '', rc=1, stderr='error destroying namespaces: Device or resource busy\n')
        result, rc = self.run_module(namespaces=[{'name': 'xen0'}, {'name': 'os0'}], state='absent',
                                     force=True)
        self.assertEqual((rc, result.get('failed'), result['changed']), (1, True, True))
        self.assertEqual([n['result'] for n in result['namespaces']], ['destroyed', 'failed'])


def mounted_block_device():
    """A block device name under /dev that is mounted here, or None."""
    with open('/proc/self/mountinfo') as f:
        mounted = set(line.split()[2] for line in f)
    for name in sorted(os.listdir('/sys/class/block')):
        try:
            with open('/sys/class/block/%s/dev' % name) as f:
                if f.read().strip() in mounted and os.path.exists('/dev/' + name):
                    return name
        except (OSError, IOError):
            continue
    return None


class TestInfo(ModuleCase):
    module = 'ndctl_xen_info'

    def test_facts(self):
        seed = {'dev': 'namespace0.2', 'mode': 'raw', 'size': 0, 'raw_size': 0, 'region': 'region0',
                'enabled': False, 'layout': None}
        self.answer('list', [XEN0, OS0, seed])
        result, rc = self.run_module(region='region0')
        self.assertEqual((rc, result['changed']), (0, False))
        self.assertEqual(self.calls()[0]['args'], ['list', '-N', '-v', '-i', '--xen', '-r', 'region0'])
        self.assertEqual([n['dev'] for n in result['namespaces']], ['namespace0.0', 'namespace0.1'])
        self.assertEqual(result['reservations'], [
            {'dev': 'namespace0.0', 'name': 'xen0', 'offset': 3538944, 'size': 655360,
             'phys_start': 4298506240, 'phys_end': 4299161599, 'owner': 'hypervisor',
             'per_page_bytes': 40}])
        self.assertEqual([(x['dev'], x['mgmt'], x['setup_mgmt']) for x in result['xen']],
                         [('namespace0.0', {'smfn': 1049440, 'emfn': 1049600},
                           'xen-ndctl setup-mgmt 0x1003e0 0x100400')])

    def test_no_namespaces(self):
        self.answer('list', '')
        result, rc = self.run_module(check=True)
        self.assertEqual((rc, result['namespaces'], result['reservations'], result['xen']), (0, [], [], []))

    def test_list_fails(self):
        self.answer('list', '', rc=3, stderr='ndctl-xen list: cannot open libndctl\n')
        result, rc = self.run_module(namespace='0.0')
        self.assertEqual(rc, 1)
        self.assertIn('cannot open libndctl', result['msg'])


if __name__ == '__main__':
    unittest.main()
