// The engine's thread count of one run: who wins (--threads, training.threads,
// the setting), a sweep's share of the cores, SLURM's CPUs, and the warning
// when the runs together ask for more threads than there are CPUs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferenceThreads, resolveThreads, threadCountProblem, threadsText } from '../../src/core/threads';
import { slurmCpusPerTask, thisMachine, threadsSettingFromEnv } from '../../src/node/machineCpus';
import { checkConfigText } from '../../src/core/configCheck';
import type { DataProbe } from '../../src/core/configRules';
import { resolveConfig } from '../../src/core/resolvedConfig';
import type { ExperimentConfig } from '../../src/core/types';

const eight = { cores: 8 };

test('nothing asked: every core of the machine; 0 in the setting means the same', () => {
  assert.deepEqual(resolveThreads({}, undefined, eight), { threads: 8, source: 'share', cpus: 8, cpusFrom: 'cores', sharedBy: 1 });
  assert.equal(resolveThreads({ setting: 0 }, undefined, eight).threads, 8);
  assert.equal(resolveThreads({ setting: 0 }, undefined, eight).source, 'share');
});

test('precedence: --threads over training.threads over the setting', () => {
  assert.deepEqual(pick(resolveThreads({ cli: 3, setting: 5 }, 2, eight)), [3, 'cli']);
  assert.deepEqual(pick(resolveThreads({ setting: 5 }, 2, eight)), [2, 'config']);
  assert.deepEqual(pick(resolveThreads({ setting: 5 }, undefined, eight)), [5, 'setting']);
  // The setting's 0 (every core) gives way to the config, and a config count is kept as it is.
  assert.deepEqual(pick(resolveThreads({ setting: 0 }, 6, eight)), [6, 'config']);
});

test('a sweep with concurrency N gives each run floor(cores / N), at least one', () => {
  assert.equal(resolveThreads({ sharedBy: 2 }, undefined, eight).threads, 4);
  assert.equal(resolveThreads({ sharedBy: 3 }, undefined, eight).threads, 2);
  assert.equal(resolveThreads({ sharedBy: 16 }, undefined, eight).threads, 1);
  assert.equal(resolveThreads({ sharedBy: 2 }, undefined, { cores: 2 }).threads, 1);
  assert.equal(resolveThreads({ sharedBy: 3 }, undefined, eight).oversubscribed, undefined);
});

test('a count the user set is kept in a sweep, and the oversubscription is said with the numbers', () => {
  const d = resolveThreads({ sharedBy: 4 }, 4, eight);
  assert.equal(d.threads, 4);
  assert.equal(d.source, 'config');
  assert.equal(d.oversubscribed, "training.threads asks for 4 thread(s): 4 runs at once × 4 threads = 16 threads on this machine's 8 core(s), so they wait on one another; 2 would fit");
  // Exactly the cores: no warning.
  assert.equal(resolveThreads({ cli: 2, sharedBy: 4 }, undefined, eight).oversubscribed, undefined);
  // One run asking for more than the machine has.
  assert.match(resolveThreads({ cli: 12 }, undefined, eight).oversubscribed ?? '', /^--threads asks for 12 thread\(s\): 12 threads on this machine's 8 core\(s\)/);
  assert.match(resolveThreads({ setting: 9 }, undefined, eight).oversubscribed ?? '', /^the threads setting asks for 9/);
});

test("under SLURM the job's CPUs per task stand for the machine's cores", () => {
  const job = { cores: 64, slurmCpusPerTask: 4 };
  assert.deepEqual(resolveThreads({}, undefined, job), { threads: 4, source: 'share', cpus: 4, cpusFrom: 'slurm', sharedBy: 1 });
  assert.equal(resolveThreads({ sharedBy: 2 }, undefined, job).threads, 2);
  assert.match(resolveThreads({}, 8, job).oversubscribed ?? '', /8 threads on the job's 4 CPU\(s\) \(SLURM_CPUS_PER_TASK\)/);
});

test('a bad count is an error naming where it came from', () => {
  assert.throws(() => resolveThreads({ cli: 0 }, undefined, eight), /^RangeError: --threads must be a whole number from 1 to 1024, not 0$/);
  assert.throws(() => resolveThreads({}, 2.5, eight), /^RangeError: training\.threads must be a whole number from 1 to 1024, not 2\.5$/);
  assert.throws(() => resolveThreads({ setting: -1 }, undefined, eight), /^RangeError: the threads setting must be a whole number from 0 \(every core\) to 1024, not -1$/);
  assert.throws(() => resolveThreads({ sharedBy: 0 }, undefined, eight), /runs at once must be a whole number ≥ 1, not 0/);
  assert.equal(threadCountProblem(1), undefined);
  assert.equal(threadCountProblem(0, true), undefined);
  assert.equal(threadCountProblem('2'), 'must be a whole number from 1 to 1024');
  assert.equal(threadCountProblem(1025), 'must be a whole number from 1 to 1024');
});

test('the machine: its cores, and SLURM_CPUS_PER_TASK when set (a malformed one is an error naming it)', () => {
  assert.equal(slurmCpusPerTask({}), undefined);
  assert.equal(slurmCpusPerTask({ SLURM_CPUS_PER_TASK: '' }), undefined);
  assert.equal(slurmCpusPerTask({ SLURM_CPUS_PER_TASK: '6' }), 6);
  assert.throws(() => slurmCpusPerTask({ SLURM_CPUS_PER_TASK: 'six' }), /SLURM_CPUS_PER_TASK must be a whole number ≥ 1, not "six"/);
  assert.throws(() => slurmCpusPerTask({ SLURM_CPUS_PER_TASK: '0' }), /SLURM_CPUS_PER_TASK must be a whole number ≥ 1, not "0"/);
  const m = thisMachine({ SLURM_CPUS_PER_TASK: '3' });
  assert.ok(Number.isInteger(m.cores) && m.cores >= 1);
  assert.equal(m.slurmCpusPerTask, 3);
});

test('training.threads in a config: a whole number ≥ 1, kept in the resolved config only when given', () => {
  const probe: DataProbe = { refusal: () => undefined, where: (p) => `/w/${p}`, kind: () => 'file', columns: () => ['x', 'y'] };
  const config = (threads: unknown) => ({ name: 't', task: 'regression', data: { source: 'd.csv', features: ['x'], target: 'y' }, model: { layers: [{ type: 'dense', units: 1 }] }, training: { epochs: 1, threads } });
  const messages = (threads: unknown) => checkConfigText(JSON.stringify(config(threads)), probe).diagnostics.map((d) => `${d.path}: ${d.message}`);
  assert.deepEqual(messages(2), []);
  assert.deepEqual(messages(0), ['training.threads: training.threads: must be >= 1']);
  assert.deepEqual(messages(1.5), ['training.threads: training.threads: must be a whole number']);
  assert.deepEqual(messages('2'), ['training.threads: training.threads: must be a whole number']);
  assert.equal(resolveConfig(config(3) as ExperimentConfig).training.threads, 3);
  assert.equal('threads' in resolveConfig({ ...config(1), training: { epochs: 1 } } as ExperimentConfig).training, false);
});

test('the inference child: the setting or every core, at most two threads', () => {
  assert.equal(inferenceThreads(undefined, eight), 2);
  assert.equal(inferenceThreads(0, eight), 2);
  assert.equal(inferenceThreads(1, eight), 1);
  assert.equal(inferenceThreads(6, eight), 2);
  assert.equal(inferenceThreads(undefined, { cores: 1 }), 1);
});

test('MODELLAB_THREADS: the CLI\'s own default (0: every core), an error naming it when malformed', () => {
  assert.equal(threadsSettingFromEnv({}), undefined);
  assert.equal(threadsSettingFromEnv({ MODELLAB_THREADS: '0' }), 0);
  assert.equal(threadsSettingFromEnv({ MODELLAB_THREADS: '3' }), 3);
  for (const bad of ['-1', '1.5', 'two', '2000']) assert.throws(() => threadsSettingFromEnv({ MODELLAB_THREADS: bad }), new RegExp(`MODELLAB_THREADS must be a whole number from 0 \\(every core\\) to 1024, not "${bad.replace('.', '\\.')}"`));
});

test('the backend line says the count', () => {
  assert.equal(threadsText(1), '1 thread');
  assert.equal(threadsText(4), '4 threads');
});

function pick(d: ReturnType<typeof resolveThreads>): [number, string] {
  return [d.threads, d.source];
}
