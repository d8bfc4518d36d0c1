// The host's side of the trainer process, against a fake trainer (each
// behaviour a real one could show: finishing, crashing, obeying or ignoring a
// stop, garbling messages) and against the real dist/trainer.js (built first
// when missing).

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { RunMeta } from '../../src/core/types';
import { TrainingProcess } from '../../src/node/trainingProcess';
import type { TrainingOutcome, TrainingProcessOptions } from '../../src/node/trainingProcess';
import { builtBundles } from '../helpers/builtBundles';
import { editConfigFile, tempDir } from '../helpers/fixtures';

const FAKE_TRAINER = `
const mode = process.env.FAKE_MODE;
const runDir = process.env.FAKE_RUN_DIR;
const fs = require('fs');
const meta = JSON.parse(fs.readFileSync(runDir + '/meta.json', 'utf8'));
const send = (m) => process.send(m);
const end = (status, code) => { send({ type: 'runEnded', meta: { ...meta, status, epochsDone: 1 } }); setTimeout(() => process.exit(code), 20); };
process.on('message', (m) => {
  if (m.type === 'stop') {
    if (mode === 'obeyStop') end('stopped', 0);
    return;
  }
  if (m.type !== 'start') return;
  console.log('fake trainer got config ' + m.configPath + ' backend ' + m.backend);
  send({ type: 'runStarted', runDir, meta });
  send({ type: 'metrics', points: [
    { kind: 'step', step: 1, epoch: 1, time: 1, values: { loss: 0.9 } },
    { kind: 'step', step: 2, epoch: 1, time: 2, values: { loss: 0.7 } },
  ] });
  if (mode === 'garbage') { send({ type: 'nonsense' }); send('hello'); }
  if (mode === 'batched') {
    send({ type: 'events', events: [
      { type: 'metrics', points: [{ kind: 'step', step: 3, epoch: 1, time: 3, values: { loss: 0.6 } }] },
      { type: 'nonsense' },
      { type: 'epoch', epoch: 1, epochs: 3, logs: { loss: 0.55, val_loss: 0.6 }, millis: 12 },
      { type: 'metrics', points: [{ kind: 'step', step: 4, epoch: 2, time: 4, values: { loss: 0.4 } }] },
    ] });
    end('completed', 0);
    return;
  }
  if (mode === 'crash') { console.error('boom: out of memory'); setTimeout(() => process.exit(3), 20); return; }
  if (mode === 'crashWithLog') { send({ type: 'log', level: 'error', message: 'data/houses.csv: no such file' }); setTimeout(() => process.exit(2), 20); return; }
  if (mode === 'obeyStop' || mode === 'ignoreStop') { setInterval(() => {}, 1000); return; }
  send({ type: 'epoch', epoch: 1, epochs: 3, logs: { loss: 0.5, val_loss: 0.6 }, millis: 12 });
  end('completed', 0);
});
`;

function setup(mode: string): { options: TrainingProcessOptions; runDir: string } {
  const dir = tempDir('modellab-process-');
  const script = join(dir, 'fake-trainer.js');
  writeFileSync(script, FAKE_TRAINER);
  const runDir = join(dir, 'runs', '20250101-000000-fake-abcd');
  mkdirSync(runDir, { recursive: true });
  const meta: RunMeta = {
    format: 1,
    id: '20250101-000000-fake-abcd',
    name: 'fake',
    task: 'regression',
    configPath: join(dir, 'fake.experiment.json'),
    status: 'running',
    createdAt: new Date().toISOString(),
    versions: { modelLab: '0.1.0', node: process.versions.node },
    seed: 1,
    epochsPlanned: 3,
    epochsDone: 0,
  };
  writeFileSync(join(runDir, 'meta.json'), JSON.stringify(meta));
  return {
    runDir,
    options: {
      trainerScript: script,
      runtime: { execPath: process.execPath, env: { FAKE_MODE: mode, FAKE_RUN_DIR: runDir } },
      start: { type: 'start', configPath: meta.configPath, runsDir: join(dir, 'runs'), backend: 'cpu' },
    },
  };
}

interface Recorded {
  events: TrainerEvent[];
  stdout: string[];
  stderr: string[];
  notes: string[];
  exits: TrainingOutcome[];
}

interface Running {
  process: TrainingProcess;
  seen: Recorded;
  /** Resolves on the first event of this type (at once if one came already). */
  event(type: TrainerEvent['type']): Promise<void>;
  /** Resolves when the child process has emitted 'close', the last event it ever emits. */
  closed: Promise<void>;
}

function run(options: TrainingProcessOptions): Running {
  const seen: Recorded = { events: [], stdout: [], stderr: [], notes: [], exits: [] };
  const waiting: { type: TrainerEvent['type']; resolve: () => void }[] = [];
  const process = new TrainingProcess(options, {
    onEvent: (e) => {
      seen.events.push(e);
      for (const w of waiting.filter((x) => x.type === e.type)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    onOutput: (stream, line) => seen[stream].push(line),
    onNote: (m) => seen.notes.push(m),
    onExit: (o) => seen.exits.push(o),
  });
  // The child's events come on later ticks, so this listener is in place before any of them.
  const child = (process as unknown as { child: ChildProcess }).child;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const event = (type: TrainerEvent['type']) =>
    seen.events.some((e) => e.type === type) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ type, resolve }));
  return { process, seen, event, closed };
}

const diskStatus = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as RunMeta;

test('a finished training: events in order, progress tracked, stdout logged, the trainer reports the end', async () => {
  const { options } = setup('complete');
  const { process: p, seen } = run(options);
  const outcome = await p.done;
  assert.deepEqual(seen.events.map((e) => e.type), ['runStarted', 'metrics', 'epoch', 'runEnded']);
  assert.equal(outcome.status, 'completed');
  assert.equal(outcome.reportedByTrainer, true);
  assert.equal(p.runId, '20250101-000000-fake-abcd');
  assert.equal(p.epochsDone, 1);
  assert.equal(p.currentEpoch, 1);
  assert.equal(p.epochs, 3);
  assert.equal(p.loss, 0.5);
  assert.deepEqual(p.lastLogs, { loss: 0.5, val_loss: 0.6 });
  assert.equal(p.running, false);
  assert.match(seen.stdout.join('\n'), /fake trainer got config .*fake\.experiment\.json backend cpu/);
  assert.equal(seen.exits.length, 1);
});

test('a crash without runEnded marks the run failed on disk, with the exit code and the last stderr line', async () => {
  const { options, runDir } = setup('crash');
  const { process: p, seen } = run(options);
  const outcome = await p.done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.reportedByTrainer, false);
  assert.match(outcome.reason!, /exited with code 3/);
  assert.match(outcome.reason!, /boom: out of memory/);
  const meta = diskStatus(runDir);
  assert.equal(meta.status, 'failed');
  assert.equal(meta.error, outcome.reason);
  assert.ok(meta.endedAt);
  // Listeners of runEnded (dashboard, status bar) hear about it too.
  const last = seen.events.at(-1)!;
  assert.equal(last.type, 'runEnded');
  assert.equal(last.type === 'runEnded' && last.meta.status, 'failed');
  assert.equal(seen.exits.length, 1);
});

test('a crash explains itself with the trainer\'s last error message when it sent one', async () => {
  const { options } = setup('crashWithLog');
  const outcome = await run(options).process.done;
  assert.match(outcome.reason!, /exited with code 2 before finishing the run: data\/houses\.csv: no such file/);
});

test('stop: the trainer is asked, finishes the run and exits', async () => {
  const { options } = setup('obeyStop');
  const { process: p, seen, event } = run(options);
  await event('metrics');
  p.stop();
  p.stop(); // a second click changes nothing
  const outcome = await p.done;
  assert.equal(outcome.status, 'stopped');
  assert.equal(outcome.reportedByTrainer, true);
  assert.deepEqual(seen.notes, []);
});

test('stop: a trainer that ignores it is killed after the timeout and its run recorded as stopped', async () => {
  const { options, runDir } = setup('ignoreStop');
  const { process: p, seen, event } = run({ ...options, stopTimeoutMs: 300 });
  await event('metrics');
  const asked = Date.now();
  p.stop();
  const outcome = await p.done;
  assert.ok(Date.now() - asked >= 280, 'killed before the timeout');
  assert.equal(outcome.status, 'stopped');
  assert.match(outcome.reason!, /did not stop within 0 s and was killed|did not stop within \d+ s and was killed/);
  assert.equal(diskStatus(runDir).status, 'stopped');
  assert.match(seen.notes.join('\n'), /killing it/);
});

test('shutdown of the editor: the run is recorded as interrupted', async () => {
  const { options, runDir } = setup('ignoreStop');
  const { process: p, event } = run({ ...options, stopTimeoutMs: 60_000 });
  await event('metrics');
  await p.shutdown(200, 'VS Code closed the window');
  const outcome = await p.done;
  assert.equal(outcome.status, 'interrupted');
  assert.equal(outcome.reason, 'VS Code closed the window');
  assert.equal(diskStatus(runDir).status, 'interrupted');
});

test('malformed messages from the trainer are noted and dropped, the rest goes on', async () => {
  const { options } = setup('garbage');
  const { process: p, seen } = run(options);
  const outcome = await p.done;
  assert.equal(outcome.status, 'completed');
  assert.deepEqual(seen.events.map((e) => e.type), ['runStarted', 'metrics', 'epoch', 'runEnded']);
  assert.equal(seen.notes.length, 2);
  assert.match(seen.notes[0]!, /malformed message.*nonsense/);
});

test('a batch of events from the trainer is taken event by event, in order; a malformed one inside it is noted and dropped', async () => {
  const { options } = setup('batched');
  const { process: p, seen } = run(options);
  const outcome = await p.done;
  assert.equal(outcome.status, 'completed');
  assert.deepEqual(seen.events.map((e) => e.type), ['runStarted', 'metrics', 'metrics', 'epoch', 'metrics', 'runEnded']);
  assert.deepEqual(seen.events.filter((e) => e.type === 'metrics').flatMap((e) => e.points.map((x) => x.step)), [1, 2, 3, 4]);
  assert.equal(p.epochsDone, 1);
  assert.equal(p.currentEpoch, 2);
  assert.equal(p.loss, 0.4);
  assert.equal(seen.notes.length, 1);
  assert.match(seen.notes[0]!, /malformed message.*nonsense/);
});

test('an executable that does not exist ends the training once, saying why', async () => {
  const { options, runDir } = setup('complete');
  const { process: p, seen, closed } = run({ ...options, runtime: { execPath: '/no/such/node', env: {} } });
  const outcome = await p.done;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.reason!, /cannot start the trainer with \/no\/such\/node/);
  // Once the child has emitted everything it ever will, there was still one onExit.
  await closed;
  assert.equal(seen.exits.length, 1);
  // No run was started, so the (fake) run folder is untouched.
  assert.equal(diskStatus(runDir).status, 'running');
});

test('the real trainer trains the house-prices example for 2 epochs over IPC', { timeout: 120_000 }, async () => {
  const REAL_TRAINER = builtBundles('trainer').trainer;
  const workspace = tempDir('modellab-house-');
  cpSync(join(import.meta.dirname, '../../examples/house-prices'), workspace, { recursive: true });
  const configPath = join(workspace, 'house-prices.experiment.json');
  const runsDir = join(workspace, '.modellab', 'runs');
  const { process: p, seen } = run({
    trainerScript: REAL_TRAINER,
    runtime: { execPath: process.execPath, env: {} },
    start: { type: 'start', configPath, runsDir, backend: 'auto', epochs: 2 },
  });
  const outcome = await p.done;
  assert.equal(outcome.status, 'completed', `outcome: ${JSON.stringify(outcome)}; stderr: ${seen.stderr.join('\n')}`);
  assert.equal(outcome.reportedByTrainer, true);
  const types = seen.events.map((e) => e.type);
  assert.equal(types[0], 'runStarted');
  assert.equal(types.at(-1), 'runEnded');
  assert.equal(types.filter((t) => t === 'epoch').length, 2);
  assert.ok(types.includes('evaluation'));
  assert.equal(p.epochsDone, 2);
  assert.ok(p.loss !== undefined && Number.isFinite(p.loss));
  const runs = readdirSync(runsDir);
  assert.equal(runs.length, 1);
  assert.equal(runs[0], p.runId);
  assert.equal(diskStatus(join(runsDir, runs[0]!)).status, 'completed');

});

test('the real trainer holds its metrics and epoch events and sends them in batches, every one in order', { timeout: 120_000 }, async () => {
  const REAL_TRAINER = builtBundles('trainer').trainer;
  const workspace = tempDir('modellab-house-');
  cpSync(join(import.meta.dirname, '../../examples/house-prices'), workspace, { recursive: true });
  const configPath = join(workspace, 'house-prices.experiment.json');
  // 150 epochs, no early stop: a few seconds of epochs faster than the batch interval.
  editConfigFile(configPath, [[['training', 'epochs'], 150], [['training', 'earlyStopping'], undefined], [['training', 'reduceLrOnPlateau'], undefined]]);
  const runsDir = join(workspace, '.modellab', 'runs');
  const { process: p, seen } = run({
    trainerScript: REAL_TRAINER,
    runtime: { execPath: process.execPath, env: {} },
    start: { type: 'start', configPath, runsDir, backend: 'auto' },
  });
  const raw: { type: string }[] = [];
  (p as unknown as { child: ChildProcess }).child.on('message', (m: { type: string }) => raw.push(m));
  const outcome = await p.done;
  assert.equal(outcome.status, 'completed', `outcome: ${JSON.stringify(outcome)}; stderr: ${seen.stderr.join('\n')}`);
  // Every epoch once, in order, and every step's point once, in order.
  assert.deepEqual(seen.events.flatMap((e) => (e.type === 'epoch' ? [e.epoch] : [])), Array.from({ length: 150 }, (_, i) => i + 1));
  const steps = seen.events.flatMap((e) => (e.type === 'metrics' ? e.points.filter((x) => x.kind === 'step').map((x) => x.step) : []));
  assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i + 1));
  // Each epoch's metrics come before its epoch event.
  const at = (f: (e: TrainerEvent) => boolean) => seen.events.findIndex(f);
  assert.ok(at((e) => e.type === 'metrics' && e.points.some((x) => x.kind === 'epoch' && x.epoch === 150)) < at((e) => e.type === 'epoch' && e.epoch === 150));
  // An event that is not held (training's stage done, sent right after the last epoch) does not overtake the held ones.
  assert.ok(at((e) => e.type === 'epoch' && e.epoch === 150) < at((e) => e.type === 'stage' && e.stage === 'training' && e.status === 'done'));
  // Batched: far fewer messages than metrics and epoch events (one of each per epoch unbatched).
  const frequent = seen.events.filter((e) => e.type === 'metrics' || e.type === 'epoch').length;
  assert.ok(raw.some((m) => m.type === 'events'), 'some messages are batches');
  assert.ok(raw.length * 4 < frequent, `${raw.length} messages for ${frequent} metrics and epoch events`);
  assert.equal(seen.notes.length, 0, seen.notes.join('\n'));
});
