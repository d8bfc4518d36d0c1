// Tiny text data and configs for the fine-tuning tests: a base classifier of
// three intents, and fine-tuning configs of other labels over the same words,
// each training in well under a second an epoch.

import { join } from 'node:path';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { runTraining } from '../../src/trainer/engine';
import type { TrainResult } from '../../src/trainer/engine';
import { readSavedWeights } from '../../src/trainer/fineTune';
import { lcg, writeFiles } from '../helpers/fixtures';

const WORDS: Record<string, string[]> = {
  order: ['order', 'parcel', 'delivery', 'shipped', 'tracking', 'late'],
  refund: ['refund', 'money', 'back', 'return', 'charge', 'paid'],
  account: ['password', 'login', 'account', 'email', 'reset', 'locked'],
};
const FILLER = ['my', 'the', 'is', 'please', 'help', 'where', 'i', 'want', 'a', 'now'];
const MOOD: Record<string, string[]> = { happy: ['thanks', 'great', 'love'], angry: ['terrible', 'awful', 'angry'] };

/** JSON lines of `rows` texts: intent words with filler; `mood` adds a mood word and labels by it. */
export function textRows(rows: number, seed: number, label: 'intent' | 'mood'): string {
  const rnd = lcg(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const intent = Object.keys(WORDS)[i % 3];
    const mood = Object.keys(MOOD)[Math.floor(i / 3) % 2];
    // The base's texts hold mood words too (at random), so its tokenizer knows them.
    const moodWord = label === 'mood' ? pick(MOOD[mood]) : pick([...MOOD.happy, ...MOOD.angry]);
    const words = [pick(FILLER), pick(WORDS[intent]), pick(FILLER), pick(WORDS[intent]), moodWord, pick(FILLER)];
    lines.push(JSON.stringify({ text: words.join(' '), label: label === 'intent' ? intent : mood }));
  }
  return lines.join('\n') + '\n';
}

export const BASE_MODEL = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0, maxLength: 16, positional: 'learned' };

/** Writes data and the base classifier's config into `dir`; returns its path. */
export function writeBaseClassifier(dir: string): string {
  writeFiles(dir, {
    'data/base.jsonl': textRows(90, 3, 'intent'),
    'data/mood.jsonl': textRows(60, 5, 'mood'),
    'base.experiment.json': JSON.stringify({
      name: 'base-intents',
      task: 'classification',
      data: { source: 'data/base.jsonl', text: 'text', target: 'label', tokenizer: { type: 'word', vocabSize: 200 }, split: { validation: 0.2, test: 0.2, seed: 1 } },
      model: BASE_MODEL,
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 2, batchSize: 16, seed: 3 },
    }),
  });
  return join(dir, 'base.experiment.json');
}

/** A fine-tuning config over data/mood.jsonl (two other labels) in `dir`, `base` as model.base; returns its path. */
export function writeFineTune(dir: string, base: unknown, overrides: { model?: Record<string, unknown>; training?: Record<string, unknown>; data?: Record<string, unknown>; name?: string } = {}): string {
  const file = join(dir, `${overrides.name ?? 'fine-tune'}.experiment.json`);
  writeFiles(dir, {
    [`${overrides.name ?? 'fine-tune'}.experiment.json`]: JSON.stringify({
      name: overrides.name ?? 'fine-tune',
      task: 'classification',
      data: { source: 'data/mood.jsonl', text: 'text', target: 'label', split: { validation: 0.2, test: 0.2, seed: 1 }, ...overrides.data },
      model: { type: 'transformerEncoder', dropout: 0, base, ...overrides.model },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 2, batchSize: 16, seed: 9, ...overrides.training },
    }),
  });
  return file;
}

/** Trains a config on wasm; `onEvent` sees every event too (an abort at a chosen step). */
export async function train(configPath: string, runsDir: string, more: { signal?: AbortSignal; onEvent?: (e: TrainerEvent) => void } = {}): Promise<TrainResult & { events: TrainerEvent[]; logs: string[] }> {
  const events: TrainerEvent[] = [];
  const onEvent = (e: TrainerEvent) => {
    events.push(e);
    more.onEvent?.(e);
  };
  const r = await runTraining({ configPath, runsDir, backend: 'wasm', metricsIntervalMs: 0, signal: more.signal, onEvent });
  return { ...r, events, logs: logLines(events) };
}

export const logLines = (events: TrainerEvent[]): string[] => events.filter((e): e is Extract<TrainerEvent, { type: 'log' }> => e.type === 'log').map((e) => e.message);

/** A run's saved weights by name, as bytes (bit-for-bit comparisons). */
export function savedWeights(runDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, w] of readSavedWeights(join(runDir, 'model'))) out.set(name, Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return out;
}

/** The largest absolute difference between two weights of the same shape. */
export function maxDiff(a: Buffer, b: Buffer): number {
  const x = new Float32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const y = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
