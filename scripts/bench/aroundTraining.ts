// The path around training, measured as a user meets it: a large CSV through
// the engine's data and preprocessing functions and the dashboard's attention
// request on a trained example encoder. (The trainer forked as VS Code forks
// it, and the host's CPU while metrics stream in: trainerProcess.ts.)

import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfigFile } from '../../src/node/configValidation';
import { loadSplits } from '../../src/node/dataFiles';
import { fitPreprocessor, transformTable } from '../../src/core/preprocess';
import { seededRng } from '../../src/core/random';
import { resolveConfig } from '../../src/core/resolvedConfig';
import type { BackendName } from '../../src/core/types';
import { runTraining } from '../../src/trainer/engine';
import { attentionFor } from '../../src/trainer/inference';
import { PROJECT_ROOT } from './trainerProcess';

const root = PROJECT_ROOT;

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
