// A running trainer's heartbeat and the process identity readers check
// (src/node/heartbeat.ts): heartbeat.json is written at once and then by a
// worker thread, so it keeps beating while the main thread is busy; a
// process's start token tells a recycled pid from the trainer's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HEARTBEAT_FILE } from '../../src/core/types';
import type { RunHeartbeat } from '../../src/core/types';
import { HeartbeatWriter, pidState, processStart, readHeartbeat } from '../../src/node/heartbeat';
import { tempDir } from '../helpers/fixtures';

const readBeat = (dir: string) => JSON.parse(readFileSync(join(dir, HEARTBEAT_FILE), 'utf8')) as RunHeartbeat;

test('heartbeat.json is written at once, and keeps being rewritten while the main thread never yields', () => {
  const dir = tempDir('modellab-heartbeat-');
  const writer = new HeartbeatWriter(dir, () => undefined, 20);
  try {
    const first = readBeat(dir);
    assert.equal(first.host, hostname());
    assert.equal(first.pid, process.pid);
    assert.equal(first.pidStart, processStart(process.pid));
    // Blocked here (no timers, no I/O callbacks of this thread) until the file changes: only the worker can change it.
    const lock = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 30_000;
    let now = first;
    while (now.time === first.time && Date.now() < deadline) {
      Atomics.wait(lock, 0, 0, 10);
      try {
        now = readBeat(dir);
      } catch {
        // between a temp file and its rename there is always a whole file; a read never sees half of one
        assert.fail('heartbeat.json was unreadable mid-write');
      }
    }
    assert.ok(Date.parse(now.time) > Date.parse(first.time), 'the worker beat while the main thread was busy');
    assert.equal(now.pid, process.pid);
  } finally {
    writer.stop();
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
  assert.ok(readHeartbeat(dir));
});

test('readHeartbeat: a damaged or foreign file is no heartbeat', () => {
  const dir = tempDir('modellab-heartbeat-bad-');
  assert.equal(readHeartbeat(dir), undefined, 'none yet');
  writeFileSync(join(dir, HEARTBEAT_FILE), '{"host":"n1","pid":');
  assert.equal(readHeartbeat(dir), undefined);
  writeFileSync(join(dir, HEARTBEAT_FILE), JSON.stringify({ host: 'n1', pid: '12', time: '2026-12-06T06:00:00Z' }));
  assert.equal(readHeartbeat(dir), undefined, 'a pid that is not a number');
  writeFileSync(join(dir, HEARTBEAT_FILE), JSON.stringify({ host: 'n1', pid: 12, time: 'yesterday' }));
  assert.equal(readHeartbeat(dir), undefined, 'a time that is not a time');
  writeFileSync(join(dir, HEARTBEAT_FILE), JSON.stringify({ host: 'n1', pid: 12, time: '2026-12-06T06:00:00Z', extra: 1 }));
  assert.deepEqual(readHeartbeat(dir), { host: 'n1', pid: 12, time: '2026-12-06T06:00:00Z' });
});

test('a process is told by its start: the same for one process, gone once it exits, another start for a reused pid', () => {
  const own = processStart(process.pid);
  if (process.platform !== 'win32') assert.ok(own, 'this platform tells a process\'s start');
  assert.equal(processStart(process.pid), own, 'stable for one process');
  assert.equal(pidState(process.pid, own), 'alive');
  assert.equal(pidState(process.pid, undefined), 'alive', 'nothing recorded: the pid alone');
  if (own) assert.equal(pidState(process.pid, `${own}0`), 'reused');
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const exited = Number(child.stdout.trim());
  assert.ok(exited > 0);
  // Its pid may even have been handed to a new process meanwhile: either way it is not the one recorded.
  assert.notEqual(processStart(exited), own);
  assert.notEqual(pidState(exited, own), 'alive');
  assert.equal(pidState(0, undefined), 'gone');
  assert.equal(pidState(-5, undefined), 'gone');
});
