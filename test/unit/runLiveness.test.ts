// The rule that says whether a run meta.json calls running still trains
// (src/core/runLiveness.ts): the scheduler's word for a cluster run, then the
// pid (with its start time) on the trainer's own host, then the heartbeat's
// age elsewhere. Each case is what the sidebar and `modellab runs` would show.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pidToCheck, runLiveness } from '../../src/core/runLiveness';
import type { LivenessFacts } from '../../src/core/runLiveness';
import { HEARTBEAT_TIMING } from '../../src/core/types';
import type { JobState, RunHeartbeat } from '../../src/core/types';

const NOW = Date.parse('2026-12-06T06:00:00.000Z');
const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();
const STALE = HEARTBEAT_TIMING.staleAfterMs;

const running = { status: 'running' as const, host: 'node7', pid: 4321, pidStart: 'linux:b:100', startedAt: iso(3_600_000) };
const beat = (msAgo: number, over: Partial<RunHeartbeat> = {}): RunHeartbeat => ({ host: 'node7', pid: 4321, pidStart: 'linux:b:100', time: iso(msAgo), ...over });
const facts = (over: Partial<LivenessFacts>): LivenessFacts => ({ meta: running, thisHost: 'laptop', now: NOW, ...over });
const job = (state: JobState['state'], extra: Partial<JobState> = {}): JobState => ({ state, checkedAt: iso(0), ...extra });
const slurm = { executor: 'slurm' as const, id: '977', submittedAt: iso(7_200_000), script: 'job.sh' };

test('a run that ended shows what it recorded, whatever its heartbeat or job says', () => {
  for (const status of ['completed', 'failed', 'stopped', 'interrupted', 'cancelled'] as const) {
    const l = runLiveness(facts({ meta: { ...running, status }, heartbeat: beat(1_000), pid: 'gone', job: job('running') }));
    assert.deepEqual({ status: l.status, recorded: l.recorded, why: l.why }, { status, recorded: status, why: undefined });
  }
});

test('on its own host: the pid decides — alive runs, gone or reused is interrupted with the reason', () => {
  const here = { ...running, host: 'laptop' };
  assert.equal(runLiveness(facts({ meta: here, pid: 'alive' })).status, 'running');
  // A fresh heartbeat does not make a dead process alive on its own host.
  const gone = runLiveness(facts({ meta: here, pid: 'gone', heartbeat: beat(1_000, { host: 'laptop' }) }));
  assert.equal(gone.status, 'interrupted');
  assert.equal(gone.recorded, 'running');
  assert.equal(gone.why, 'its trainer (pid 4321 on laptop) is no longer running');
  assert.equal(gone.lastHeartbeat, iso(1_000), 'the last heartbeat is reported');
  const reused = runLiveness(facts({ meta: here, pid: 'reused' }));
  assert.equal(reused.status, 'interrupted');
  assert.equal(reused.why, 'its trainer (pid 4321 on laptop) is gone: that pid now belongs to another process');
  // A run written before hosts were recorded counts as this host's.
  const old = { status: 'running' as const, pid: 77 };
  assert.equal(pidToCheck(old, 'laptop'), 77);
  assert.equal(runLiveness(facts({ meta: old, pid: 'gone' })).why, 'its trainer (pid 77) is no longer running');
  assert.equal(runLiveness(facts({ meta: { status: 'running' } })).status, 'interrupted', 'no pid, no heartbeat: nothing says it lives');
});

test('the pid is looked up only for a running run of this host', () => {
  assert.equal(pidToCheck(running, 'laptop'), undefined, 'another host\'s pid means nothing here');
  assert.equal(pidToCheck(running, 'node7'), 4321);
  assert.equal(pidToCheck({ ...running, status: 'queued' }, 'node7'), undefined);
  assert.equal(pidToCheck({ ...running, pid: undefined }, 'node7'), undefined);
});

test('on another host: a fresh heartbeat is running, one older than the stale limit is interrupted, with the time', () => {
  const fresh = runLiveness(facts({ heartbeat: beat(4_000) }));
  assert.deepEqual(fresh, { status: 'running', recorded: 'running', why: 'on node7', lastHeartbeat: iso(4_000) });
  assert.equal(runLiveness(facts({ heartbeat: beat(STALE) })).status, 'running', 'exactly at the limit still counts');
  const stale = runLiveness(facts({ heartbeat: beat(STALE + 1_000) }));
  assert.equal(stale.status, 'interrupted');
  assert.equal(stale.lastHeartbeat, iso(STALE + 1_000));
  assert.equal(stale.why, `no heartbeat from its trainer on node7 since ${iso(STALE + 1_000)} (${Math.round((STALE + 1_000) / 1000)} s ago)`);
  assert.match(runLiveness(facts({ heartbeat: beat(3 * 3_600_000) })).why!, /\(3 h ago\)$/);
  // A clock ahead of the reader's (a node's skew) is fresh, not stale.
  assert.equal(runLiveness(facts({ heartbeat: beat(-60_000) })).status, 'running');
});

test('on another host: a heartbeat of an earlier attempt (another pid or host) vouches for nothing; the start time stands in until the first beat', () => {
  const oldAttempt = runLiveness(facts({ heartbeat: beat(1_000, { pid: 999 }) }));
  assert.equal(oldAttempt.status, 'interrupted');
  assert.equal(oldAttempt.lastHeartbeat, undefined);
  assert.equal(oldAttempt.why, 'its trainer on node7 started 60 min ago and never sent a heartbeat');
  assert.equal(runLiveness(facts({ heartbeat: beat(1_000, { host: 'node8' }) })).status, 'interrupted');
  const justStarted = runLiveness(facts({ meta: { ...running, startedAt: iso(2_000) } }));
  assert.equal(justStarted.status, 'running', 'started 2 s ago, first heartbeat not seen yet');
  assert.equal(runLiveness(facts({ meta: { ...running, startedAt: undefined } })).why, 'no heartbeat from its trainer on node7');
});

test('a same-host reader that cannot look the pid up goes by the heartbeat', () => {
  const here = { ...running, host: 'laptop' };
  assert.equal(runLiveness(facts({ meta: here, heartbeat: beat(2_000, { host: 'laptop' }) })).status, 'running');
  assert.equal(runLiveness(facts({ meta: here, heartbeat: beat(STALE * 2, { host: 'laptop' }) })).status, 'interrupted');
});

test('a cluster run: the scheduler\'s word on its job comes first', () => {
  const cluster = { ...running, job: slurm, trainerJob: '977' };
  const queuedRun = { status: 'queued' as const, job: slurm };
  // Ended while the folder says running: the trainer died without recording it.
  const failed = runLiveness(facts({ meta: cluster, heartbeat: beat(1_000), job: job('failed', { reason: 'OUT_OF_MEMORY' }) }));
  assert.equal(failed.status, 'failed', 'as the sidebar shows it and modellab runs records it, with the job\'s stderr');
  assert.equal(failed.why, 'job 977 ended (failed: OUT_OF_MEMORY) while the run said running: its trainer stopped without recording it');
  assert.equal(failed.lastHeartbeat, iso(1_000));
  assert.equal(runLiveness(facts({ meta: cluster, job: job('completed') })).status, 'failed');
  // Ended before training started.
  const never = runLiveness(facts({ meta: queuedRun, job: job('failed', { reason: 'NODE_FAIL' }) }));
  assert.equal(never.status, 'failed');
  assert.equal(never.why, 'job 977 ended (failed: NODE_FAIL) before training started');
  assert.equal(runLiveness(facts({ meta: queuedRun, job: job('cancelled') })).status, 'cancelled');
  assert.equal(runLiveness(facts({ meta: cluster, job: job('cancelled') })).status, 'cancelled');
  // Requeued (preempted, time limit) while the folder still says running.
  const requeued = runLiveness(facts({ meta: cluster, heartbeat: beat(STALE * 4), job: job('queued', { reason: 'BeginTime' }) }));
  assert.equal(requeued.status, 'queued');
  assert.equal(requeued.why, 'job 977 went back to the queue (BeginTime): it carries on from its checkpoint when it starts again');
  assert.deepEqual(runLiveness(facts({ meta: queuedRun, job: job('queued', { reason: 'Priority' }) })), { status: 'queued', recorded: 'queued', why: 'job 977 waits (Priority)' });
  // The job started before its trainer wrote anything.
  const starting = runLiveness(facts({ meta: queuedRun, job: job('running', { node: 'node7' }) }));
  assert.equal(starting.status, 'running');
  assert.equal(starting.why, 'job 977 started on node7; training has not begun');
  // The job runs: a fresh heartbeat is running; a stale one is still running (hung, not dead: resuming would make two writers), said so.
  assert.equal(runLiveness(facts({ meta: cluster, heartbeat: beat(1_000), job: job('running', { node: 'node7' }) })).why, 'on node7');
  const hung = runLiveness(facts({ meta: cluster, heartbeat: beat(STALE * 3), job: job('running', { node: 'node7' }) }));
  assert.equal(hung.status, 'running');
  assert.equal(hung.why, `job 977 still runs on node7, but its trainer has sent no heartbeat since ${iso(STALE * 3)}`);
  // The scheduler forgot the job (or was not asked): the heartbeat decides.
  assert.equal(runLiveness(facts({ meta: cluster, heartbeat: beat(STALE * 3), job: job('unknown') })).status, 'interrupted');
  assert.equal(runLiveness(facts({ meta: cluster, heartbeat: beat(1_000) })).status, 'running');
});

test('a cluster run resumed outside its job (on this machine, after the job ended) is judged by its own trainer, not the ended job', () => {
  // Resumed in the editor: no trainerJob; the job's failure is old news.
  const resumedHere = { ...running, host: 'laptop', job: slurm };
  assert.equal(runLiveness(facts({ meta: resumedHere, pid: 'alive', job: job('failed', { reason: 'NODE_FAIL' }) })).status, 'running');
  assert.equal(runLiveness(facts({ meta: resumedHere, pid: 'alive', job: job('cancelled') })).status, 'running');
  const died = runLiveness(facts({ meta: resumedHere, pid: 'gone', job: job('failed') }));
  assert.deepEqual([died.status, died.why], ['interrupted', 'its trainer (pid 4321 on laptop) is no longer running']);
  // Nor does a still-running job vouch for a silent trainer that is not its own.
  assert.equal(runLiveness(facts({ meta: { ...running, job: slurm }, heartbeat: beat(STALE * 3), job: job('running', { node: 'node7' }) })).status, 'interrupted');
});

test('a cluster run its trainer recorded interrupted shows its job again once the job is back in the queue or running', () => {
  const interrupted = { ...running, status: 'interrupted' as const, job: slurm };
  const requeued = runLiveness(facts({ meta: interrupted, job: job('queued', { reason: 'BeginTime' }) }));
  assert.deepEqual(requeued, { status: 'queued', recorded: 'interrupted', why: 'job 977 was requeued (BeginTime): it carries on from its checkpoint when it starts again' });
  assert.equal(runLiveness(facts({ meta: interrupted, job: job('running', { node: 'node7' }) })).why, 'job 977 started again on node7: it carries on from its checkpoint');
  // Its job over (or not asked about), or a run of this machine: interrupted as recorded.
  assert.equal(runLiveness(facts({ meta: interrupted, job: job('completed') })).status, 'interrupted');
  assert.equal(runLiveness(facts({ meta: interrupted })).status, 'interrupted');
  assert.equal(runLiveness(facts({ meta: { ...interrupted, job: undefined }, job: job('queued') })).status, 'interrupted');
});

test('a queued run with no word from its scheduler stays queued', () => {
  assert.deepEqual(runLiveness(facts({ meta: { status: 'queued' } })), { status: 'queued', recorded: 'queued' });
  assert.equal(runLiveness(facts({ meta: { status: 'queued', job: slurm }, job: job('unknown') })).status, 'queued');
});
