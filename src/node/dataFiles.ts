// Reading an experiment's data files: tables for the tabular and recommender
// tasks, a text corpus for a language model; split by core (dataset.ts, textData.ts).

import { dirname, resolve } from 'node:path';
import { splitTable } from '../core/dataset';
import { carvedValidationShare, splitSeed, SPLIT_DEFAULTS } from '../core/splitPlan';
import type { DataSplits } from '../core/dataset';
import { DataError, rowCount } from '../core/table';
import { splitCorpus } from '../core/textData';
import type { CorpusSplits } from '../core/textData';
import type { DataConfig } from '../core/types';
import { readTable, readText } from './tableFile';

export function loadSplits(data: DataConfig, configPath: string): DataSplits {
  const base = dirname(configPath);
  if (data.source) {
    const table = readTable(resolve(base, data.source), data.format);
    const { seed, shuffle } = splitSeed(data);
    return splitTable(table, data.split?.validation ?? SPLIT_DEFAULTS.validation, data.split?.test ?? SPLIT_DEFAULTS.test, seed, shuffle);
  }
  if (!data.train) throw new Error('data needs a "source" or a "train" file');
  const test = data.test ? readTable(resolve(base, data.test), data.format) : undefined;
  const train = readTable(resolve(base, data.train), data.format);
  const carve = carvedValidationShare(data);
  // No validation file: a seeded share of the training file validates (Keras' validation_split);
  // a file too small to give a share keeps its rows, in order.
  if (carve > 0 && Math.round(rowCount(train) * carve) > 0) {
    const { seed, shuffle } = splitSeed(data);
    const parts = splitTable(train, carve, 0, seed, shuffle);
    return { train: parts.train, validation: parts.validation, test };
  }
  return { train, validation: data.validation ? readTable(resolve(base, data.validation), data.format) : undefined, test };
}

export function readCorpus(file: string): string {
  const text = readText(file).replace(/\r\n?/g, '\n');
  if (text.trim() === '') throw new DataError(file, undefined, 'the file is empty');
  return text;
}

export function loadCorpusSplits(data: DataConfig, configPath: string): CorpusSplits {
  const base = dirname(configPath);
  if (data.source) {
    const file = resolve(base, data.source);
    const { seed, shuffle } = splitSeed(data);
    return splitCorpus(file, readCorpus(file), data.split?.validation ?? SPLIT_DEFAULTS.validation, data.split?.test ?? SPLIT_DEFAULTS.test, seed, shuffle);
  }
  if (!data.train) throw new Error('data needs a "source" or a "train" file');
  const file = resolve(base, data.train);
  const carve = carvedValidationShare(data);
  if (carve > 0) {
    const { seed, shuffle } = splitSeed(data);
    const text = readCorpus(file);
    const parts = splitCorpus(file, text, carve, 0, seed, shuffle);
    return { file, train: parts.validation ? parts.train : text, validation: parts.validation, test: data.test ? readCorpus(resolve(base, data.test)) : undefined };
  }
  return {
    file,
    train: readCorpus(file),
    validation: data.validation ? readCorpus(resolve(base, data.validation)) : undefined,
    test: data.test ? readCorpus(resolve(base, data.test)) : undefined,
  };
}
