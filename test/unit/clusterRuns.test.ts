// Following cluster runs: what the editor shows of a run while the scheduler
// and its folder disagree, the counts of the status bar, and the watcher that
// polls the scheduler and the folders only while a cluster run is queued or
// running (driven here with a fake scheduler, fake folders and a manual clock).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterRunState, countClusterJobs, jobsToQuery, secondsAgo } from '../../src/core/clusterRuns';
import type { JobState, RunMeta, RunStatus, SchedulerJob } from '../../src/core/types';
import { ClusterWatcher } from '../../src/host/runs/clusterWatcher';
import type { ClusterChange } from '../../src/host/runs/clusterWatcher';
import type { RunListEntry } from '../../src/node/runStoreReader';
import { runFolderStamp } from '../../src/node/runFolderStamp';
import { tempDir } from '../helpers/fixtures';

const AT = '2026-12-06T06:00:00.000Z';

function job(id: string): SchedulerJob {
  return { executor: 'slurm', id, submittedAt: AT, script: 'job.sbatch' };
}

function meta(id: string, status: RunStatus, jobId?: string): RunMeta {
  return {
    format: 1,
    id,
    name: 'house-prices',
    task: 'regression',
    configPath: '/w/house-prices.experiment.json',
    status,
    createdAt: AT,
    versions: { modelLab: '0.1.0', node: '20' },
    seed: 1,
    epochsPlanned: 3,
    epochsDone: 0,
    ...(jobId ? { job: job(jobId) } : {}),
  };
}

const said = (state: JobState['state'], extra: Partial<JobState> = {}): JobState => ({ state, checkedAt: AT, ...extra });

test('a cluster run shows its folder\'s word, moved on by the scheduler while the folder says queued or running', () => {
  const queued = meta('a', 'queued', '101');
  assert.deepEqual(clusterRunState(queued, undefined), { status: 'queued' });
  assert.deepEqual(clusterRunState(queued, said('queued', { reason: 'Priority' })), { status: 'queued', reason: 'Priority' });
  // The job started; the trainer has not written its folder yet.
  assert.deepEqual(clusterRunState(queued, said('running', { node: 'node07' })), { status: 'running', node: 'node07' });
  assert.deepEqual(clusterRunState(queued, said('cancelled')), { status: 'cancelled' });
  // Ended without ever training, or while training without a final word: failed.
  assert.deepEqual(clusterRunState(queued, said('failed', { reason: 'NonZeroExitCode' })), { status: 'failed', reason: 'NonZeroExitCode' });
  const running = meta('b', 'running', '102');
  assert.deepEqual(clusterRunState(running, said('running', { node: 'gpu3' })), { status: 'running', node: 'gpu3' });
  // Preempted and requeued: back in the queue, with the reason.
  assert.deepEqual(clusterRunState(running, said('queued', { reason: 'BeginTime' })), { status: 'queued', reason: 'BeginTime' });
  assert.deepEqual(clusterRunState(running, said('completed')), { status: 'failed' });
  assert.deepEqual(clusterRunState(running, said('unknown')), { status: 'running' });
  // Once the folder says how the run ended, that stands.
  assert.deepEqual(clusterRunState(meta('c', 'completed', '103'), said('running', { node: 'n1' })), { status: 'completed' });
  assert.deepEqual(clusterRunState(meta('d', 'cancelled', '104'), said('queued')), { status: 'cancelled' });
});

test('only active cluster runs\' jobs are asked about, each once; the counts are what the editor shows', () => {
  const metas = [
    meta('a', 'queued', '201'),
    meta('b', 'running', '202'),
    meta('c', 'completed', '203'),
    meta('d', 'running'), // trained by this machine
    meta('e', 'queued', '201'), // the same job listed twice (two runs folders)
    undefined,
  ];
  assert.deepEqual(jobsToQuery(metas).map((j) => j.id), ['201', '202']);
  assert.deepEqual(countClusterJobs(metas, new Map()), { queued: 2, running: 1 });
  const jobs = new Map([['201', said('running', { node: 'n1' })], ['202', said('cancelled')]]);
  assert.deepEqual(countClusterJobs(metas, jobs), { queued: 0, running: 2 });
  assert.equal(secondsAgo(10_000, 14_999), 4);
  assert.equal(secondsAgo(10_000, 9_000), 0, 'a clock ahead of ours never shows a negative age');
});

/** A runs folder on disk and a scheduler, both changed by the test; a timer it fires itself. */
function cluster() {
  const root = tempDir('cluster-watch-');
  const states = new Map<string, JobState>();
  const asked: string[][] = [];
  let pending: (() => void) | undefined;
  let refuse = false;
  const write = (m: RunMeta) => {
    mkdirSync(join(root, m.id), { recursive: true });
    writeFileSync(join(root, m.id, 'meta.json'), JSON.stringify(m));
  };
  const list = (): RunListEntry[] =>
    [...metas.values()].map((m) => ({ id: m.id, dir: join(root, m.id), meta: m, warnings: [] }));
  const metas = new Map<string, RunMeta>();
  const changes: ClusterChange[] = [];
  const logged: string[] = [];
  const watcher = new ClusterWatcher({
    log: (message) => logged.push(message),
    listRuns: list,
    query: async (jobs) => {
      asked.push(jobs.map((j) => j.id));
      if (refuse) throw new Error('squeue: error: Unable to contact slurm controller');
      return new Map(jobs.flatMap((j) => (states.has(j.id) ? [[j.id, states.get(j.id)!] as const] : [])));
    },
    stamp: runFolderStamp,
    setTimer: (cb) => {
      pending = cb;
      return cb;
    },
    clearTimer: () => {
      pending = undefined;
    },
  });
  watcher.onDidChange((c) => changes.push(c));
  return {
    root,
    watcher,
    states,
    asked,
    changes,
    logged,
    set(m: RunMeta) {
      metas.set(m.id, m);
      write(m);
    },
    refuse(on: boolean) {
      refuse = on;
    },
    /** Fires the scheduled poll and waits for it. */
    async tick() {
      assert.ok(pending, 'a poll is scheduled');
      const cb = pending;
      pending = undefined;
      cb();
      await watcher.poll();
    },
  };
}

test('the watcher polls while a cluster run is queued or running, follows it through the queue to the end, then stops', async () => {
  const c = cluster();
  // Nothing to follow: one look, no polling, the scheduler never asked.
  c.set(meta('local', 'completed'));
  await c.watcher.poke();
  assert.equal(c.watcher.polling, false);
  assert.deepEqual(c.asked, []);

  const run = meta('r1', 'queued', '301');
  c.set(run);
  c.states.set('301', said('queued', { reason: 'Priority' }));
  await c.watcher.poke();
  assert.equal(c.watcher.polling, true);
  assert.deepEqual(c.asked, [['301']]);
  assert.deepEqual(c.watcher.stateOf(run), { status: 'queued', reason: 'Priority' });
  assert.deepEqual(c.watcher.counts, { queued: 1, running: 0 });
  assert.deepEqual(c.changes.at(-1)?.dirs, [join(c.root, 'r1')]);
  assert.equal(c.watcher.follows(join(c.root, 'r1')), true);

  // Nothing moved: no change is heard.
  const heard = c.changes.length;
  await c.tick();
  assert.equal(c.changes.length, heard);

  // The job starts on a node before the trainer writes a word.
  c.states.set('301', said('running', { node: 'node07' }));
  await c.tick();
  assert.deepEqual(c.watcher.stateOf(run), { status: 'running', node: 'node07' });
  assert.deepEqual(c.changes.at(-1), { dirs: [join(c.root, 'r1')], counts: { queued: 0, running: 1 } });

  // The trainer writes its folder: heard as a change of that folder, with the files' time.
  const running = { ...run, status: 'running' as const, epochsDone: 1 };
  c.set(running);
  writeFileSync(join(c.root, 'r1', 'metrics.jsonl'), '{"kind":"epoch","epoch":0,"values":{"loss":1}}\n');
  const count = c.changes.length;
  await c.tick();
  assert.equal(c.changes.length, count + 1);
  assert.deepEqual(c.changes.at(-1)?.dirs, [join(c.root, 'r1')]);
  assert.ok((c.watcher.updatedAt(join(c.root, 'r1')) ?? 0) > 0);

  // The scheduler cannot be reached: its last word stands, polling goes on, and the log says so once.
  c.refuse(true);
  await c.tick();
  await c.tick();
  assert.deepEqual(c.watcher.stateOf(running), { status: 'running', node: 'node07' });
  assert.equal(c.watcher.polling, true);
  assert.deepEqual(c.logged, ['cluster runs: the scheduler did not answer: squeue: error: Unable to contact slurm controller']);
  c.refuse(false);

  // The run completes: one last change, then no more polling.
  c.set({ ...running, status: 'completed', epochsDone: 3 });
  c.states.set('301', said('completed'));
  await c.tick();
  assert.deepEqual(c.changes.at(-1), { dirs: [join(c.root, 'r1')], counts: { queued: 0, running: 0 } });
  assert.equal(c.watcher.polling, false);
  assert.equal(c.watcher.follows(join(c.root, 'r1')), false);
  c.watcher.dispose();
});

test('a queued job cancelled outside the editor shows cancelled even after the scheduler forgets it, and polling stops', async () => {
  const c = cluster();
  const run = meta('r2', 'queued', '401');
  c.set(run);
  c.states.set('401', said('queued', { reason: 'Resources' }));
  await c.watcher.poke();
  c.states.set('401', said('cancelled'));
  await c.tick();
  assert.deepEqual(c.watcher.stateOf(run), { status: 'cancelled' });
  assert.deepEqual(c.watcher.counts, { queued: 0, running: 0 });
  assert.equal(c.watcher.polling, false);
  // Later the scheduler no longer lists the job; a refresh of the view must not bring it back as queued.
  c.states.delete('401');
  await c.watcher.poke();
  assert.deepEqual(c.watcher.stateOf(run), { status: 'cancelled' });
  c.watcher.dispose();
});

test('the sidebar lists a queued or running cluster run as cancellable, with the scheduler\'s state; an ended one as ended', async () => {
  const { buildExperimentTree } = await import('../../src/host/runs/experimentTreeModel');
  const config = '/w/house-prices.experiment.json';
  const entry = (m: RunMeta): RunListEntry => ({ id: m.id, dir: `/w/.modellab/runs/${m.id}`, meta: m, warnings: [] });
  const queued = meta('20261206-060000-a', 'queued', '501');
  const running = meta('20261206-060100-b', 'queued', '502'); // its job started before the trainer wrote
  const cancelled = meta('20261206-060200-c', 'queued', '503'); // cancelled outside the editor
  const local = meta('20261206-060300-d', 'running');
  const tree = buildExperimentTree(
    [{ path: config, name: 'house-prices' }],
    [
      { entry: entry(queued), training: false, shown: clusterRunState(queued, said('queued', { reason: 'Priority' })) },
      { entry: entry(running), training: false, shown: clusterRunState(running, said('running', { node: 'node07' })) },
      { entry: entry(cancelled), training: false, shown: clusterRunState(cancelled, said('cancelled')) },
      { entry: entry(local), training: false },
    ],
    'linux',
  );
  const rows = tree.experiments[0].children.map((n) => (n.kind === 'run' ? [n.id.slice(-1), n.state, n.contextValue, n.reason ?? n.node ?? ''] : []));
  assert.deepEqual(rows, [
    ['d', 'running', 'run.busy', ''],
    ['c', 'cancelled', 'run.ended', ''],
    ['b', 'running', 'run.cluster', 'node07'],
    ['a', 'queued', 'run.cluster', 'Priority'],
  ]);
});
