import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import { findOnPath, parseNodeVersion, resolveTrainerRuntime, systemRuntimeProbe } from '../../src/node/trainerRuntime';
import type { RuntimeProbe } from '../../src/node/trainerRuntime';

/** A machine with these executables (path → Node major version, undefined = does not run). */
function machine(executables: Record<string, number | undefined>, over: Partial<RuntimeProbe> = {}): RuntimeProbe {
  return {
    platform: 'linux',
    pathEnv: '/usr/local/bin:/usr/bin',
    homeDir: '/home/ada',
    editorExecPath: '/opt/code/code',
    isExecutableFile: (f) => f in executables,
    nodeMajorVersion: (f) => executables[f],
    ...over,
  };
}

test('the nodePath setting wins when it names a working Node', () => {
  const r = resolveTrainerRuntime('/opt/node22/bin/node', machine({ '/opt/node22/bin/node': 22, '/usr/bin/node': 20 }));
  assert.deepEqual(r, { execPath: '/opt/node22/bin/node', env: {}, source: 'setting', notes: [] });
});

test('a nodePath under ~ is expanded to the home folder', () => {
  const r = resolveTrainerRuntime('~/.nvm/node', machine({ '/home/ada/.nvm/node': 20 }));
  assert.equal(r.execPath, '/home/ada/.nvm/node');
  assert.equal(r.source, 'setting');
});

test('without a setting, the first node on PATH is used', () => {
  const r = resolveTrainerRuntime('', machine({ '/usr/bin/node': 20, '/usr/local/bin/node': 21 }));
  assert.equal(r.execPath, '/usr/local/bin/node');
  assert.equal(r.source, 'path');
  assert.deepEqual(r.env, {});
});

test('a missing nodePath falls back to PATH and says why', () => {
  const r = resolveTrainerRuntime('/nope/node', machine({ '/usr/bin/node': 20 }));
  assert.equal(r.execPath, '/usr/bin/node');
  assert.match(r.notes[0]!, /modelLab\.nodePath "\/nope\/node" is not an executable file/);
});

test('a relative nodePath is ignored', () => {
  const r = resolveTrainerRuntime('bin/node', machine({ 'bin/node': 20, '/usr/bin/node': 20 }));
  assert.equal(r.execPath, '/usr/bin/node');
  assert.match(r.notes[0]!, /not an absolute path/);
});

test('a Node too old for the trainer is skipped, from the setting or from PATH', () => {
  const r = resolveTrainerRuntime('/old/node', machine({ '/old/node': 16, '/usr/bin/node': 14 }));
  assert.equal(r.source, 'editor');
  assert.equal(r.notes.length, 2);
  assert.match(r.notes[0]!, /Node 16/);
  assert.match(r.notes[1]!, /Node 14/);
});

test('with no usable node, the editor runs the trainer as Node (ELECTRON_RUN_AS_NODE)', () => {
  const r = resolveTrainerRuntime(undefined, machine({}));
  assert.deepEqual(r, {
    execPath: '/opt/code/code',
    env: { ELECTRON_RUN_AS_NODE: '1' },
    source: 'editor',
    notes: ['no node executable on PATH'],
  });
});

test('a node on PATH that does not run is skipped', () => {
  const r = resolveTrainerRuntime('', machine({ '/usr/bin/node': undefined }));
  assert.equal(r.source, 'editor');
  assert.match(r.notes[0]!, /does not run/);
});

test('Windows looks for node.exe', () => {
  const r = resolveTrainerRuntime('', machine({ 'C:\\node\\node.exe': 20 }, { platform: 'win32', pathEnv: 'C:\\Windows;C:\\node' }));
  assert.equal(r.execPath, 'C:\\node\\node.exe');
  assert.equal(r.source, 'path');
});

test('PATH lookup skips empty and relative entries (never the current folder)', () => {
  const seen: string[] = [];
  const found = findOnPath('node', ':.:bin:/usr/bin', (f) => (seen.push(f), f === '/usr/bin/node'), posix);
  assert.equal(found, '/usr/bin/node');
  assert.deepEqual(seen, ['/usr/bin/node']);
});

test('node --version output is parsed', () => {
  assert.equal(parseNodeVersion('v20.19.1\n'), 20);
  assert.equal(parseNodeVersion('22.1.0'), 22);
  assert.equal(parseNodeVersion('Electron 35'), undefined);
});

test('on this machine, the probe finds the running Node and reads its version', () => {
  const probe = systemRuntimeProbe();
  assert.equal(probe.isExecutableFile(process.execPath), true);
  assert.equal(probe.nodeMajorVersion(process.execPath), Number(process.versions.node.split('.')[0]));
  assert.equal(probe.isExecutableFile('/definitely/not/here'), false);
});
