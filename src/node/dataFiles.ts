// Reading an experiment's data files: tables for the tabular and recommender
// tasks, a text corpus for a language model; split by core (dataset.ts, textData.ts).

import { dirname, resolve } from 'node:path';
import { splitTable } from '../core/dataset';
import type { DataSplits } from '../core/dataset';
import { DataError } from '../core/table';
import { splitCorpus } from '../core/textData';
import type { CorpusSplits } from '../core/textData';
import type { DataConfig } from '../core/types';
import { readTable, readText } from './tableFile';

export function loadSplits(data: DataConfig, configPath: string): DataSplits {
  const base = dirname(configPath);
  if (data.source) {
    const table = readTable(resolve(base, data.source), data.format);
    const s = data.split ?? {};
    return splitTable(table, s.validation ?? 0.2, s.test ?? 0.1, s.seed ?? 42, s.shuffle ?? true);
  }
  if (!data.train) throw new Error('data needs a "source" or a "train" file');
  return {
    train: readTable(resolve(base, data.train), data.format),
    validation: data.validation ? readTable(resolve(base, data.validation), data.format) : undefined,
    test: data.test ? readTable(resolve(base, data.test), data.format) : undefined,
  };
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
    const s = data.split ?? {};
    return splitCorpus(file, readCorpus(file), s.validation ?? 0.2, s.test ?? 0.1, s.seed ?? 42, s.shuffle ?? true);
  }
  if (!data.train) throw new Error('data needs a "source" or a "train" file');
  const file = resolve(base, data.train);
  return {
    file,
    train: readCorpus(file),
    validation: data.validation ? readCorpus(resolve(base, data.validation)) : undefined,
    test: data.test ? readCorpus(resolve(base, data.test)) : undefined,
  };
}
