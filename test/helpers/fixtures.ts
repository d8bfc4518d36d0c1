// Temporary workspaces with configs and data files, for tests.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import type { JSONPath } from 'jsonc-parser';
import type { LayerConfig, MetricPoint, RunMeta } from '../../src/core/types';

/** Folders made by tempDir() in this process, removed when it exits. */
const madeDirs = new Set<string>();

function removeTempDirs(): void {
  // MODELLAB_KEEP_TEMP=1 keeps them, to look at what a failed test left behind.
  if (process.env.MODELLAB_KEEP_TEMP === '1') return;
  for (const dir of madeDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a file still held open: the OS temp cleaner gets it
    }
  }
  madeDirs.clear();
}

/**
 * A fresh folder under the OS temp folder. Every one is removed when the test
 * process exits (each test file runs in its own process), whatever the tests
 * did with it; `t` removes it as soon as that test ends instead.
 */
export function tempDir(prefix = 'modellab-test-', t?: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (madeDirs.size === 0) process.once('exit', removeTempDirs);
  madeDirs.add(dir);
  t?.after(() => {
    madeDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  return dir;
}

/** Sets (or, with undefined, removes) values at paths of the JSONC config file at `path`, in place, comments kept. */
export function editConfigFile(path: string, values: readonly (readonly [JSONPath, unknown])[]): void {
  let text = readFileSync(path, 'utf8');
  for (const [at, value] of values) text = applyEdits(text, modify(text, [...at], value, {}));
  writeFileSync(path, text);
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

/**
 * The digits CNN without its initializers and dropout: conv 32 3×3 relu → max pool 2 →
 * conv 64 3×3 relu → max pool 2 → flatten → dense 128 relu → dense 10 softmax
 * (225,034 parameters on 28×28×1).
 */
export const DIGITS_CNN: LayerConfig[] = [
  { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 128, activation: 'relu' },
  { type: 'dense', units: 10, activation: 'softmax' },
];

/** Deterministic pseudo-random numbers for generating test data. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** y = 3·x1 − 2·x2 + 0.5·x3 + small noise. */
export function linearCsv(rows: number, seed = 7): string {
  const r = lcg(seed);
  const out = ['x1,x2,x3,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = r() * 4 - 2;
    const x2 = r() * 4 - 2;
    const x3 = r() * 4 - 2;
    out.push([x1, x2, x3, 3 * x1 - 2 * x2 + 0.5 * x3 + (r() - 0.5) * 0.1].map((v) => v.toFixed(4)).join(','));
  }
  return out.join('\n') + '\n';
}

/** Three Gaussian blobs in 2-D, labelled by name. */
export function blobsCsv(rows: number, seed = 11): string {
  const r = lcg(seed);
  const centers: [string, number, number][] = [['red', -2, -2], ['green', 2, -1], ['blue', 0, 2.5]];
  const out = ['a,b,colour'];
  for (let i = 0; i < rows; i++) {
    const [name, cx, cy] = centers[i % 3];
    out.push(`${(cx + (r() - 0.5) * 1.6).toFixed(3)},${(cy + (r() - 0.5) * 1.6).toFixed(3)},${name}`);
  }
  return out.join('\n') + '\n';
}

export function regressionConfig(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      name: 'linear',
      task: 'regression',
      data: { source: 'data.csv', features: ['x1', 'x2', 'x3'], target: 'y', preprocess: [{ standardize: 'features' }], split: { validation: 0.2, test: 0.2, seed: 3 } },
      model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 15, batchSize: 16, seed: 5 },
      ...overrides,
    },
    null,
    2,
  );
}

/** The meta.json of a house-prices run that has just started (10 epochs planned). */
export function houseRunMeta(overrides: Partial<RunMeta> = {}): RunMeta {
  return {
    format: 1,
    id: '20250101-120000-house-prices',
    name: 'house-prices',
    task: 'regression',
    configPath: '/work/examples/house-prices/house-prices.experiment.json',
    status: 'running',
    createdAt: '2025-01-01T12:00:00.000Z',
    backend: 'wasm',
    versions: { modelLab: '0.1.0', tfjs: '4.22.0', node: '20.0.0' },
    seed: 1,
    epochsPlanned: 10,
    epochsDone: 0,
    ...overrides,
  };
}

/**
 * A character-level decoder that trains in a couple of seconds: the first
 * 4,000 characters of the text-generator example as data/corpus.txt in `dir`,
 * and its config as `configName`. Returns the config's path.
 */
export function writeTinyLanguageModel(dir: string, configName = 'tiny-lm.experiment.json'): string {
  const corpus = readFileSync(join(__dirname, '..', '..', 'examples', 'text-generator', 'data', 'corpus.txt'), 'utf8').slice(0, 4000);
  const config = join(dir, configName);
  writeFiles(dir, {
    'data/corpus.txt': corpus,
    [configName]: JSON.stringify({
      name: 'tiny-lm',
      task: 'language-model',
      data: { source: 'data/corpus.txt', split: { validation: 0.1, test: 0.1, seed: 42 }, tokenizer: { type: 'char', maxLength: 32 } },
      model: { type: 'transformerDecoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0, positional: 'sinusoidal' },
      training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 1, batchSize: 16, seed: 1 },
    }),
  });
  return config;
}

/** Every point of a run folder's metrics.jsonl, each line read as JSON (a damaged line throws). */
export function metricsOf(runDir: string): MetricPoint[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricPoint);
}

/** The epoch points of a run folder's metrics.jsonl. */
export const epochPoints = (runDir: string): MetricPoint[] => metricsOf(runDir).filter((p) => p.kind === 'epoch');
