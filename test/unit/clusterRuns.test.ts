// Following cluster runs: what the editor shows of a run while the scheduler
// and its folder disagree, the counts of the status bar, and the watcher that
// polls the scheduler and the folders only while a cluster run is queued or
// running (driven here with a fake scheduler, fake folders and a manual clock).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterRunState, countClusterJobs, jobsToQuery, secondsAgo, shownRunState } from '../../src/core/clusterRuns';
import type { JobState, RunLiveness, RunMeta, RunStatus, SchedulerJob } from '../../src/core/types';
import { ClusterWatcher } from '../../src/host/runs/clusterWatcher';
import type { ClusterChange } from '../../src/host/runs/clusterWatcher';
import { listRuns } from '../../src/node/runStoreReader';
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

const shown = (m: RunMeta, state?: JobState, liveness?: RunLiveness) => shownRunState({ meta: m, ...(liveness ? { liveness } : {}) }, new Map(state && m.job ? [[m.job.id, state]] : []));

test('a cluster run shows what runLiveness judged from its folder and its job, with the job\'s reason or node', () => {
  const queued = meta('a', 'queued', '101');
  assert.deepEqual(shown(queued), { status: 'queued' });
  assert.deepEqual(clusterRunState({ status: 'queued' }, said('queued', { reason: 'Priority' })), { status: 'queued', reason: 'Priority' });
  assert.deepEqual(clusterRunState({ status: 'running' }, said('running', { node: 'node07' })), { status: 'running', node: 'node07' });
  assert.deepEqual(clusterRunState({ status: 'failed' }, said('failed', { reason: 'NonZeroExitCode' })), { status: 'failed', reason: 'NonZeroExitCode' });
  // The reader's judgement stands: a run judged interrupted (its trainer silent) is not moved by a job that merely still runs…
  assert.deepEqual(clusterRunState({ status: 'interrupted' }, said('running', { node: 'n1' })), { status: 'interrupted' });
  // …and the scheduler's reason is not pinned on a status it did not decide.
  assert.deepEqual(clusterRunState({ status: 'completed' }, said('completed', { reason: 'None' })), { status: 'completed' });
  // Without a judged liveness (a reader that did not judge), the folder's word.
  assert.deepEqual(shown(meta('c', 'completed', '103'), said('running', { node: 'n1' })), { status: 'completed' });
  assert.deepEqual(shownRunState({ meta: meta('d', 'running') }, new Map()), { status: 'running' });
  assert.equal(shownRunState({}, new Map()), undefined);
});

test('only active or interrupted cluster runs\' jobs are asked about, each once; the counts are what the editor shows', () => {
  const judged = (m: RunMeta | undefined, status?: RunStatus) => ({ meta: m, ...(m && status ? { liveness: { status, recorded: m.status } } : {}) });
  const runs = [
    judged(meta('a', 'queued', '201')),
    judged(meta('b', 'running', '202')),
    judged(meta('c', 'completed', '203')),
    judged(meta('d', 'running')), // trained by this machine
    judged(meta('e', 'queued', '201')), // the same job listed twice (two runs folders)
    judged(meta('f', 'interrupted', '204'), 'queued'), // preempted and requeued: the scheduler carries it on
    judged(meta('g', 'interrupted', '205')), // interrupted: only the scheduler can say whether it comes back
    judged(meta('h', 'cancelled', '206')),
    judged(undefined),
  ];
  assert.deepEqual(jobsToQuery(runs).map((j) => j.id), ['201', '202', '204', '205']);
  assert.deepEqual(countClusterJobs(runs, new Map()), { queued: 3, running: 1 });
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
  // The real reader over the folders the test writes: their status judged with the scheduler's word, as in the editor.
  const list = (jobs: ReadonlyMap<string, JobState>): RunListEntry[] => listRuns(root, jobs);
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
      write(m);
    },
    /** The run as the editor shows it now. */
    state(m: RunMeta) {
      return watcher.stateOf({ dir: join(root, m.id), meta: m, liveness: listRuns(root, new Map()).find((e) => e.id === m.id)?.liveness });
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
  assert.deepEqual(c.state(run), { status: 'queued', reason: 'Priority' });
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
  assert.deepEqual(c.state(run), { status: 'running', node: 'node07' });
  assert.deepEqual(c.changes.at(-1), { dirs: [join(c.root, 'r1')], counts: { queued: 0, running: 1 } });

  // The trainer writes its folder: heard as a change of that folder, with the files' time.
  // As its trainer writes it: the node it runs on, its pid, when it started.
  const running = { ...run, status: 'running' as const, epochsDone: 1, host: 'node07', pid: 4242, startedAt: new Date().toISOString() };
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
  assert.deepEqual(c.state(running), { status: 'running', node: 'node07' });
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
  assert.deepEqual(c.state(run), { status: 'cancelled' });
  assert.deepEqual(c.watcher.counts, { queued: 0, running: 0 });
  assert.equal(c.watcher.polling, false);
  // Later the scheduler no longer lists the job; a refresh of the view must not bring it back as queued.
  c.states.delete('401');
  await c.watcher.poke();
  assert.deepEqual(c.state(run), { status: 'cancelled' });
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
  const silent = meta('20261206-060400-e', 'running', '504'); // its trainer's heartbeat went stale
  const heartbeat = '2026-12-06T06:05:00.000Z';
  const tree = buildExperimentTree(
    [{ path: config, name: 'house-prices' }],
    [
      { entry: entry(queued), training: false, shown: clusterRunState({ status: 'queued' }, said('queued', { reason: 'Priority' })) },
      { entry: entry(running), training: false, shown: clusterRunState({ status: 'running' }, said('running', { node: 'node07' })) },
      { entry: entry(cancelled), training: false, shown: clusterRunState({ status: 'cancelled' }, said('cancelled')) },
      { entry: entry(local), training: false },
      {
        entry: { ...entry({ ...silent, status: 'interrupted' }), liveness: { status: 'interrupted', recorded: 'running', lastHeartbeat: heartbeat } },
        training: false,
        shown: { status: 'interrupted' },
      },
    ],
    'linux',
  );
  const rows = tree.experiments[0].children.map((n) => (n.kind === 'run' ? [n.id.slice(-1), n.state, n.contextValue, n.reason ?? n.node ?? ''] : []));
  assert.deepEqual(rows, [
    ['e', 'interrupted', 'run.ended', ''],
    ['d', 'running', 'run.busy', ''],
    ['c', 'cancelled', 'run.ended', ''],
    ['b', 'running', 'run.cluster', 'node07'],
    ['a', 'queued', 'run.cluster', 'Priority'],
  ]);
  // The last heartbeat goes with the run to the sidebar's tooltip.
  const runs = tree.experiments[0].children.flatMap((n) => (n.kind === 'run' ? [n] : []));
  assert.deepEqual(runs.map((n) => n.lastHeartbeat ?? ''), [heartbeat, '', '', '', '']);
});

test('a requeued run its trainer recorded interrupted is followed as queued, then running, and the scheduler carries it on', async () => {
  const c = cluster();
  // The trainer checkpointed on SLURM's signal and wrote `interrupted`; SLURM put the job back in its queue.
  const run = { ...meta('r3', 'interrupted', '601'), epochsDone: 2, host: 'node07', pid: 4242, startedAt: new Date().toISOString() };
  c.set(run);
  c.states.set('601', said('queued', { reason: 'BeginTime' }));
  await c.watcher.poke();
  assert.deepEqual(c.asked, [['601']], 'an interrupted cluster run\'s job is asked about');
  assert.deepEqual(c.state(run), { status: 'queued', reason: 'BeginTime' });
  assert.equal(c.watcher.carriesOn({ dir: join(c.root, 'r3'), meta: run }), true, 'the editor must not resume it');
  assert.deepEqual(c.watcher.counts, { queued: 1, running: 0 });
  assert.equal(c.watcher.polling, true);
  // The job starts again on a node.
  c.states.set('601', said('running', { node: 'node07' }));
  await c.tick();
  assert.deepEqual(c.state(run), { status: 'running', node: 'node07' });
  // Its trainer resumes and then completes: the folder's word stands, polling stops.
  c.set({ ...run, status: 'completed', epochsDone: 3 });
  c.states.set('601', said('completed'));
  await c.tick();
  assert.deepEqual(c.state({ ...run, status: 'completed' }), { status: 'completed' });
  assert.equal(c.watcher.polling, false);
  // An interrupted cluster run whose job ended (not requeued) is the user's to resume.
  const dead = { ...meta('r4', 'interrupted', '602'), epochsDone: 1 };
  c.set(dead);
  c.states.set('602', said('failed', { reason: 'NodeFail' }));
  await c.watcher.poke();
  assert.deepEqual(c.state(dead), { status: 'interrupted', reason: 'NodeFail' });
  assert.equal(c.watcher.carriesOn({ dir: join(c.root, 'r4'), meta: dead }), false);
  assert.equal(c.watcher.polling, false);
  // Its job ended for good: later looks (file events poke often) do not ask the scheduler about it again.
  const asks = c.asked.length;
  await c.watcher.poke();
  assert.equal(c.asked.length, asks);
  assert.deepEqual(c.state(dead), { status: 'interrupted', reason: 'NodeFail' });
  c.watcher.dispose();
});
