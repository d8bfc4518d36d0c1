// What `modellab train <config> --run-dir <folder>` does with a folder, decided
// before anything in it changes (src/trainer/runDirTraining.ts): a requeued
// job takes over its own earlier attempt even while meta.json still says
// running and the heartbeat looks fresh; anyone else — another job, or a resume
// from the editor meanwhile — is refused while it runs elsewhere.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HEARTBEAT_FILE } from '../../src/core/types';
import type { RunMeta } from '../../src/core/types';
import { currentJobId, ownEarlierAttempt, planRunDir } from '../../src/trainer/runDirTraining';
import { tempDir } from '../helpers/fixtures';

const job = { executor: 'slurm' as const, id: '977', submittedAt: '2026-12-06T05:00:00.000Z', script: 'job.sh' };

function folder(meta: Partial<RunMeta>, opts: { checkpoint?: boolean; heartbeatAgoMs?: number } = {}): string {
  const dir = join(tempDir('modellab-rundir-'), 'runs', 'r1');
  mkdirSync(dir, { recursive: true });
  const full: RunMeta = {
    format: 1, id: 'r1', name: 'linear', task: 'regression', configPath: '/w/exp.experiment.json', status: 'running', createdAt: '2026-12-06T05:00:00.000Z',
    versions: { modelLab: '0.0.0', node: 'v20' }, seed: 1, epochsPlanned: 10, epochsDone: 4, host: 'node3', pid: 555, startedAt: new Date().toISOString(), job, trainerJob: '977', ...meta,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(full));
  if (opts.checkpoint) writeFileSync(join(dir, 'checkpoint.bin'), 'MLCK');
  if (opts.heartbeatAgoMs !== undefined) writeFileSync(join(dir, HEARTBEAT_FILE), JSON.stringify({ host: full.host, pid: full.pid, time: new Date(Date.now() - opts.heartbeatAgoMs).toISOString() }));
  return dir;
}

test('the trainer meta.json records was this job\'s earlier attempt when it ran as the same SLURM job', () => {
  assert.equal(currentJobId({ SLURM_JOB_ID: '977' }), '977');
  assert.equal(currentJobId({ SLURM_JOB_ID: '' }), undefined);
  assert.equal(ownEarlierAttempt({ trainerJob: '977' }, { SLURM_JOB_ID: '977' }), true);
  assert.equal(ownEarlierAttempt({ trainerJob: '977' }, { SLURM_JOB_ID: '978' }), false);
  assert.equal(ownEarlierAttempt({ trainerJob: '977' }, {}), false);
  assert.equal(ownEarlierAttempt({}, { SLURM_JOB_ID: '977' }), false, 'a trainer started outside a job (the editor) is not ours');
});

test('a requeued job takes over its own run that still says running (fresh heartbeat): resume with a checkpoint, start again without', () => {
  const withCheckpoint = folder({}, { checkpoint: true, heartbeatAgoMs: 1_000 });
  assert.deepEqual(
    (({ action, takeOver }) => ({ action, takeOver }))(planRunDir(withCheckpoint, { SLURM_JOB_ID: '977' }) as { action: string; takeOver?: boolean }),
    { action: 'resume', takeOver: true },
  );
  assert.equal(planRunDir(folder({}, { heartbeatAgoMs: 1_000 }), { SLURM_JOB_ID: '977' }).action, 'start');
});

test('anyone else is refused while the run trains elsewhere, with where and its last heartbeat; once its heartbeat is stale it resumes', () => {
  const dir = folder({}, { checkpoint: true, heartbeatAgoMs: 1_000 });
  const plan = planRunDir(dir, { SLURM_JOB_ID: '978' });
  assert.equal(plan.action, 'refuse');
  assert.match((plan as { why: string }).why, /^it is running \(pid 555 on node3, last heartbeat \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
  // Resumed from the editor while the job waited in the queue: the requeued job must not become a second writer.
  const resumedElsewhere = folder({ host: 'laptop', pid: 4242, trainerJob: undefined }, { checkpoint: true, heartbeatAgoMs: 1_000 });
  assert.equal(planRunDir(resumedElsewhere, { SLURM_JOB_ID: '977' }).action, 'refuse');
  const stale = folder({ startedAt: '2026-12-06T05:00:00.000Z' }, { checkpoint: true, heartbeatAgoMs: 10 * 60_000 });
  const resumed = planRunDir(stale, {});
  assert.equal(resumed.action, 'resume');
  assert.equal((resumed as { takeOver: boolean }).takeOver, true, 'meta.json still says running: the resume takes it over');
});

test('queued starts, interrupted resumes, completed is left alone, failed and cancelled are refused, a missing meta.json starts a new run', () => {
  assert.equal(planRunDir(folder({ status: 'queued', host: undefined, pid: undefined })).action, 'start');
  assert.equal(planRunDir(folder({ status: 'interrupted' }, { checkpoint: true })).action, 'resume');
  assert.equal(planRunDir(folder({ status: 'interrupted' })).action, 'start', 'no checkpoint: nothing to resume from, it starts again');
  assert.equal(planRunDir(folder({ status: 'completed' })).action, 'finished');
  assert.deepEqual(planRunDir(folder({ status: 'cancelled' })), { action: 'refuse', why: 'it is cancelled; train the config again for a new run' });
  assert.equal(planRunDir(join(tempDir('modellab-rundir-new-'), 'fresh')).action, 'start');
  const damaged = folder({});
  writeFileSync(join(damaged, 'meta.json'), '{ not json');
  const refused = planRunDir(damaged);
  assert.equal(refused.action, 'refuse');
  assert.match((refused as { why: string }).why, /^its meta.json is unreadable/);
});
