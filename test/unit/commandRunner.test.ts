import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeBackendInstallArgs, npmExecutableName, runCommand } from '../../src/node/commandRunner';
import { tempDir } from '../helpers/fixtures';

const node = process.execPath;

test('a command that succeeds streams its output line by line', async () => {
  const lines: string[] = [];
  const result = await runCommand(node, ['-e', 'console.log("added 1 package"); console.error("npm warn x"); process.stdout.write("tail")'], {
    cwd: tempDir(),
    onLine: (stream, line) => lines.push(`${stream}: ${line}`),
  });
  assert.deepEqual(result, { kind: 'succeeded' });
  assert.deepEqual(lines.sort(), ['stderr: npm warn x', 'stdout: added 1 package', 'stdout: tail']);
});

test('a failing command reports its exit code', async () => {
  const result = await runCommand(node, ['-e', 'process.exit(7)'], { cwd: tempDir() });
  assert.deepEqual(result, { kind: 'failed', code: 7, signal: null });
});

test('a missing executable is reported as not found, not as a failure', async () => {
  const result = await runCommand('/no/such/npm', ['install'], { cwd: tempDir() });
  assert.deepEqual(result, { kind: 'notFound', command: '/no/such/npm' });
});

test('cancelling stops the command and is reported as a cancellation', async () => {
  const abort = new AbortController();
  const started = Date.now();
  const pending = runCommand(node, ['-e', 'setTimeout(() => {}, 30000)'], { cwd: tempDir(), signal: abort.signal });
  setTimeout(() => abort.abort(), 100);
  assert.deepEqual(await pending, { kind: 'cancelled' });
  assert.ok(Date.now() - started < 10_000);
  assert.deepEqual(await runCommand(node, ['-e', ''], { cwd: tempDir(), signal: abort.signal }), { kind: 'cancelled' });
});

test('the native backend is installed with npm into a prefix, without touching any package.json', () => {
  assert.deepEqual(nativeBackendInstallArgs('/g/native'), [
    'install', '--no-save', '--no-audit', '--no-fund', '--prefix', '/g/native', '@tensorflow/tfjs-node@4.22.0',
  ]);
  assert.equal(npmExecutableName('win32'), 'npm.cmd');
  assert.equal(npmExecutableName('linux'), 'npm');
});
