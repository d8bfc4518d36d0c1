// Reading an experiment's data files: tables for the tabular and recommender
// tasks, a text corpus for a language model; split by core (dataset.ts, textData.ts).

import { dirname, resolve } from 'node:path';
import { concatTables, splitTable, subsetTable } from '../core/dataset';
import { foldAssignment, FoldError, foldRows } from '../core/crossValidation';
import type { TrainingDataPart } from '../core/crossValidation';
import { carvedValidationShare, splitSeed, SPLIT_DEFAULTS } from '../core/splitPlan';
import type { DataSplits } from '../core/dataset';
import { cellAt, columnOf, DataError, rowCount } from '../core/table';
import type { Table } from '../core/table';
import { splitCorpus } from '../core/textData';
import type { CorpusSplits } from '../core/textData';
import type { DataConfig } from '../core/types';
import { readTable, readText } from './tableFile';

/**
 * An experiment's tables: train, validation and test as the config splits
 * them, or (with `part`) one fold of the training data — train + validation
 * dealt into k seeded folds, stratified by `data.target` for classification —
 * or all of it for training with no validation. The test split is the same
 * in every case.
 */
export function loadSplits(data: DataConfig, configPath: string, part?: TrainingDataPart): DataSplits {
  if (!part) return loadConfigSplits(data, configPath);
  const { pool, test } = trainingPool(data, configPath);
  if (part.kind === 'all') return { train: pool, test };
  const labels = part.stratify && data.target ? labelsOf(pool, data.target) : undefined;
  let assignment: number[];
  try {
    assignment = foldAssignment(rowCount(pool), part.k, splitSeed(data).seed, labels);
  } catch (e) {
    if (e instanceof FoldError) throw new DataError(pool.file, undefined, `training.crossValidation: ${e.message}`);
    throw e;
  }
  const rows = foldRows(assignment, part.index);
  return { train: subsetTable(pool, rows.train), validation: subsetTable(pool, rows.validation), test };
}

function labelsOf(t: Table, column: string): string[] {
  const cells = columnOf(t, column);
  return Array.from({ length: rowCount(t) }, (_, i) => String(cellAt(cells, i) ?? ''));
}

/** Every row that is not test data (train + validation, however the config gives them), and the test split. */
function trainingPool(data: DataConfig, configPath: string): { pool: Table; test?: Table } {
  const base = dirname(configPath);
  if (data.source) {
    // The same test rows as a run without folds: the config's split, with its validation share given back to training.
    const s = loadConfigSplits(data, configPath);
    return { pool: s.validation ? concatTables(s.train, s.validation) : s.train, test: s.test };
  }
  if (!data.train) throw new Error('data needs a "source" or a "train" file');
  const train = readTable(resolve(base, data.train), data.format);
  const validation = data.validation ? readTable(resolve(base, data.validation), data.format) : undefined;
  const test = data.test ? readTable(resolve(base, data.test), data.format) : undefined;
  return { pool: validation ? concatTables(train, validation) : train, test };
}

function loadConfigSplits(data: DataConfig, configPath: string): DataSplits {
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
