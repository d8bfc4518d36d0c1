// The path around training, measured as a user meets it: the trainer process
// forked as VS Code forks it, a large CSV through the engine's data and
// preprocessing functions, the host's CPU while metrics stream in, and the
// dashboard's attention request on a trained example encoder.

import { fork } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfigFile } from '../../src/node/configValidation';
import { loadSplits } from '../../src/node/dataFiles';
import { fitPreprocessor, transformTable } from '../../src/core/preprocess';
import type { StartTrainingMessage, TrainerToHostMessage } from '../../src/core/protocol/trainer';
import { seededRng } from '../../src/core/random';
import { resolveConfig } from '../../src/core/resolvedConfig';
import type { BackendName } from '../../src/core/types';
import { runTraining } from '../../src/trainer/engine';
import { attentionFor } from '../../src/trainer/inference';
import { editConfigFile } from '../../test/helpers/fixtures';

const root = join(__dirname, '..', '..');

export interface TrainerProcessTimes {
  /** fork() to the first step's metrics arriving at the host. */
  firstStepMs: number;
  /** fork() to the run's end. */
  totalMs: number;
  steps: number;
  metricMessages: number;
  /** Host CPU time while the trainer trained (receiving and decoding IPC), as a share of one core. */
  hostCpuShare: number;
  /** The wall time that share is over: the first step's metrics to the run's end. */
  trainingMs: number;
}

/**
 * Forks dist/trainer.js on the house-prices example, as the extension does,
 * and times it. With `epochs`, the example trains that many epochs with no
 * early stop or learning-rate schedule: as the example stands it trains for
 * ~0.3 s here, too short a window for the host's CPU share (one compilation
 * or collection in the host is then a percent of it).
 */
export async function trainerProcess(tmp: string, backend: BackendName, epochs?: number): Promise<TrainerProcessTimes> {
  const trainer = join(root, 'dist', 'trainer.js');
  if (!existsSync(trainer)) throw new Error('dist/trainer.js is missing: npm run build');
  const ws = join(tmp, `house-prices${epochs === undefined ? '' : `-${epochs}`}`);
  cpSync(join(root, 'examples', 'house-prices'), ws, { recursive: true });
  const configPath = join(ws, 'house-prices.experiment.json');
  if (epochs !== undefined) editConfigFile(configPath, [[['training', 'epochs'], epochs], [['training', 'earlyStopping'], undefined], [['training', 'reduceLrOnPlateau'], undefined]]);
  const start: StartTrainingMessage = { type: 'start', configPath, runsDir: join(ws, '.modellab', 'runs'), backend };
  const t0 = performance.now();
  const child = fork(trainer, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let firstStepMs = NaN;
  let steps = 0;
  let metricMessages = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let wallAtFirst = 0;
  let hostCpuShare = NaN;
  let trainingMs = NaN;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const msg = raw as TrainerToHostMessage;
      // Held events come as one batch (childMain.ts): unpacked here as TrainingProcess does.
      const events = msg.type === 'events' ? msg.events : [msg];
      if (events.some((e) => e.type === 'metrics')) metricMessages++;
      for (const e of events) {
        if (e.type === 'metrics') {
          if (Number.isNaN(firstStepMs)) {
            firstStepMs = performance.now() - t0;
            cpuAtFirst = process.cpuUsage();
            wallAtFirst = performance.now();
          }
          steps += e.points.filter((p) => p.kind === 'step').length;
        }
        if (e.type === 'runEnded' && cpuAtFirst) {
          const used = process.cpuUsage(cpuAtFirst);
          trainingMs = performance.now() - wallAtFirst;
          hostCpuShare = (used.user + used.system) / 1000 / Math.max(trainingMs, 1);
        }
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the trainer exited with ${code}`))));
    child.send(start);
  });
  return { firstStepMs, totalMs: performance.now() - t0, steps, metricMessages, hostCpuShare, trainingMs };
}

/** A 100k-row, 20-column CSV (18 numbers, a 5-value category, the target) through loading, splitting and preprocessing. */
export function largeCsv(tmp: string, rows = 100_000): { millis: number; rows: number; columns: number } {
  const dir = join(tmp, 'csv');
  mkdirSync(dir, { recursive: true });
  const rng = seededRng(5);
  const numeric = Array.from({ length: 18 }, (_, i) => `x${i + 1}`);
  const header = [...numeric, 'region', 'y'];
  const regions = ['north', 'south', 'east', 'west', 'centre'];
  const lines = [header.join(',')];
  for (let r = 0; r < rows; r++) {
    const xs = numeric.map(() => (rng() * 200 - 100).toFixed(3));
    lines.push(`${xs.join(',')},${regions[Math.floor(rng() * regions.length)]},${(rng() * 1000).toFixed(2)}`);
  }
  writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
  const configPath = join(dir, 'big.experiment.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      name: 'big-csv',
      task: 'regression',
      data: { source: 'data.csv', features: [...numeric, 'region'], target: 'y', preprocess: [{ standardize: 'features' }, { oneHot: ['region'] }, { standardize: ['y'] }], split: { validation: 0.2, test: 0.1, seed: 1 } },
      model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { epochs: 1 },
    }),
  );
  const started = performance.now();
  const validation = validateConfigFile(configPath);
  if (!validation.config) throw new Error(`the generated CSV config is invalid: ${validation.diagnostics.map((d) => d.message).join('; ')}`);
  const config = resolveConfig(validation.config);
  const splits = loadSplits(config.data, configPath);
  const pre = fitPreprocessor(config, splits.train);
  const encoded = [splits.train, splits.validation, splits.test].filter((t) => t !== undefined).map((t) => transformTable(pre, t!));
  const millis = performance.now() - started;
  const total = encoded.reduce((s, e) => s + e.rows, 0);
  if (total !== rows) throw new Error(`preprocessing kept ${total} of ${rows} rows`);
  return { millis, rows, columns: header.length };
}

/** Trains the intent-classifier example for one epoch, then asks for attention over 128 tokens as the dashboard does. */
export async function attention128(tmp: string, repeats: number, backend: BackendName): Promise<{ coldMs: number; warmMs: number; tokens: number }> {
  const ws = join(tmp, 'intent-classifier');
  cpSync(join(root, 'examples', 'intent-classifier'), ws, { recursive: true });
  const r = await runTraining({ configPath: join(ws, 'intent-classifier.experiment.json'), runsDir: join(ws, '.modellab', 'runs'), backend, epochs: 1, onEvent: () => {} });
  if (r.meta.status !== 'completed') throw new Error(`training the example encoder failed: ${r.meta.error}`);
  const words = 'where is my parcel it was due yesterday and the tracking page has not changed please help me find it or refund the order'.split(' ');
  const text = Array.from({ length: 160 }, (_, i) => words[i % words.length]).join(' ');
  let started = performance.now();
  const first = await attentionFor(r.runDir, text, 128);
  const coldMs = performance.now() - started;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    started = performance.now();
    await attentionFor(r.runDir, text, 128);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { coldMs, warmMs: times[Math.floor(times.length / 2)], tokens: first.tokens.length };
}
