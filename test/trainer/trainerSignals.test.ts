// The trainer child the editor forks (dist/trainer.js) takes SIGTERM and
// SIGUSR1 as an interruption, as the CLI does: a shutdown, or a scheduler's
// warning, ends the run `interrupted` with its checkpoint — said by the trainer
// itself — instead of killing it mid-write; the run can then be resumed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { RunMeta } from '../../src/core/types';
import { checkpointPath } from '../../src/node/checkpointFile';
import { TrainingProcess } from '../../src/node/trainingProcess';
import { builtBundles } from '../helpers/builtBundles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

for (const signal of ['SIGTERM', 'SIGUSR1'] as const) {
  test(`${signal} to the editor's trainer child: the trainer records the run interrupted with its checkpoint`, { timeout: 120_000 }, async () => {
    const { trainer } = builtBundles('trainer');
    const ws = tempDir('modellab-trainer-signal-');
    writeFiles(ws, { 'data.csv': linearCsv(600), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'mse', epochs: 400, batchSize: 8, seed: 5 } }) });
    const events: TrainerEvent[] = [];
    const p = new TrainingProcess(
      { trainerScript: trainer, runtime: { execPath: process.execPath, env: {} }, start: { type: 'start', configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, '.modellab', 'runs'), backend: 'cpu' }, stopTimeoutMs: 20_000 },
      { onEvent: (e) => events.push(e), onOutput: () => undefined, onNote: () => undefined, onExit: () => undefined },
    );
    const t0 = Date.now();
    while (events.filter((e) => e.type === 'epoch').length < 2) {
      if (Date.now() - t0 > 60_000) throw new Error('no second epoch within a minute');
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(p.pid!, signal);
    const outcome = await p.done;
    assert.equal(outcome.status, 'interrupted');
    assert.equal(outcome.reportedByTrainer, true, 'the trainer said so itself');
    const meta = JSON.parse(readFileSync(join(p.runDir!, 'meta.json'), 'utf8')) as RunMeta;
    assert.equal(meta.status, 'interrupted');
    assert.ok(meta.epochsDone >= 2 && meta.epochsDone < 400);
    assert.ok(existsSync(checkpointPath(p.runDir!)));
    assert.ok(events.some((e) => e.type === 'log' && e.message.startsWith(`${signal}: stopping after this batch`)));
  });
}
