// Data for the text tasks: a plain text corpus split into train / validation
// / test for a language model, and (text, label) pairs from a table for a
// text classifier. Pure; reading the files is src/node/dataFiles.ts.

import { seededRng, shuffleInPlace } from './random';
import { DataError } from './table';
import type { Table } from './table';

export interface CorpusSplits {
  file: string;
  train: string;
  validation?: string;
  test?: string;
}

/** Fewer units than this and the corpus is cut into equal pieces instead. */
const MIN_UNITS = 20;
const PIECES_WHEN_FEW_UNITS = 100;

/**
 * Splits a corpus into train / validation / test text. The units shuffled
 * and dealt out are paragraphs (blank-line separated) when there are enough,
 * else lines, else equal pieces cut at spaces — so each split reads as text,
 * and the same seed gives the same split everywhere.
 */
export function splitCorpus(file: string, text: string, validation: number, test: number, seed: number, shuffle = true): CorpusSplits {
  const paragraphs = text.split(/\n[ \t]*\n+/).filter((p) => p.trim() !== '');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let units: string[];
  let joiner: string;
  if (paragraphs.length >= MIN_UNITS) [units, joiner] = [paragraphs, '\n\n'];
  else if (lines.length >= MIN_UNITS) [units, joiner] = [lines, '\n'];
  else [units, joiner] = [cutIntoPieces(text, PIECES_WHEN_FEW_UNITS), ''];
  const order = units.map((_, i) => i);
  if (shuffle) shuffleInPlace(order, seededRng(seed));
  const n = units.length;
  const nTest = Math.round(n * test);
  const nVal = Math.round(n * validation);
  const nTrain = n - nTest - nVal;
  if (nTrain < 1) throw new DataError(file, undefined, 'the text is too short to split into training, validation and test parts');
  const join = (idx: number[]) => (idx.length ? idx.map((i) => units[i]).join(joiner) : undefined);
  return {
    file,
    train: join(order.slice(0, nTrain))!,
    validation: join(order.slice(nTrain, nTrain + nVal)),
    test: join(order.slice(nTrain + nVal)),
  };
}

function cutIntoPieces(text: string, pieces: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    // End at a space when there is one nearby, so words stay whole.
    const space = text.indexOf(' ', end);
    if (space !== -1 && space - end < 40) end = space + 1;
    out.push(text.slice(start, end));
    start = end;
  }
  return out.filter((p) => p.trim() !== '');
}

export interface LabelledTexts {
  file: string;
  texts: string[];
  labels: string[];
  /** Line (or record) of each pair in the file. */
  lines: number[];
  /** Rows without text or label. */
  skipped: number;
}

/** The (text, label) pairs of a table; rows missing either are skipped and counted. */
export function labelledTexts(table: Table, textColumn: string, labelColumn: string): LabelledTexts {
  const out: LabelledTexts = { file: table.file, texts: [], labels: [], lines: [], skipped: 0 };
  table.rows.forEach((row, i) => {
    const text = row[textColumn];
    const label = row[labelColumn];
    if (text === null || text === undefined || String(text).trim() === '' || label === null || label === undefined) {
      out.skipped++;
      return;
    }
    out.texts.push(String(text));
    out.labels.push(String(label));
    out.lines.push(table.lines[i]);
  });
  return out;
}

/** Class labels in a stable order: numbers numerically, the rest alphabetically. */
export function sortLabels(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
}
