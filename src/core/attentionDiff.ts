// "What changed" (#17): the attention of a fine-tuned model minus its base's
// over the same text, per layer and head, and the largest changes in words
// ("token → token: +0.31"). Pure: the dashboard draws what this returns.

import type { AttentionResult } from './types';

/** One cell that changed: query row, key column, the base's and the fine-tuned model's weights, and their difference. */
export interface AttentionChange {
  query: number;
  key: number;
  base: number;
  tuned: number;
  /** tuned − base. */
  change: number;
}

/** The difference of two attention results over the same tokens. */
export interface AttentionDifference {
  aligned: true;
  /** layers × heads × query × key: fine-tuned − base. */
  diff: number[][][][];
}

/** Why two results cannot be subtracted: their tokens differ (first differing position), or their layers/heads do. */
export interface AttentionMisalignment {
  aligned: false;
  reason: 'tokens' | 'shape';
  /** reason `tokens`: the first position where the tokens differ (or the shorter length), with both tokens. */
  at?: number;
  baseToken?: string;
  tunedToken?: string;
  /** reason `shape`: layers × heads of each. */
  baseShape?: [number, number];
  tunedShape?: [number, number];
}

/** a − b, cell by cell; throws when the shapes differ (saying which row). */
export function matrixDifference(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  if (a.length !== b.length) throw new Error(`attention maps differ in rows: ${a.length} vs ${b.length}`);
  return a.map((row, q) => {
    const other = b[q];
    if (row.length !== other.length) throw new Error(`attention maps differ in row ${q}: ${row.length} vs ${other.length} columns`);
    return row.map((v, k) => v - other[k]);
  });
}

/** The first position where two token lists differ, or -1 when they are the same. */
export function firstTokenDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function shapeOf(r: AttentionResult): [number, number] {
  return [r.attention.length, r.attention[0]?.length ?? 0];
}

/**
 * The fine-tuned model's attention minus the base's, per layer and head, when
 * both read the same tokens and have the same layers and heads; otherwise
 * why not (the view then shows them side by side only).
 */
export function attentionDifference(tuned: AttentionResult, base: AttentionResult): AttentionDifference | AttentionMisalignment {
  const at = firstTokenDifference(base.tokens, tuned.tokens);
  if (at >= 0) return { aligned: false, reason: 'tokens', at, baseToken: base.tokens[at], tunedToken: tuned.tokens[at] };
  const baseShape = shapeOf(base);
  const tunedShape = shapeOf(tuned);
  const sameHeads = base.attention.length === tuned.attention.length && base.attention.every((heads, l) => heads.length === tuned.attention[l].length);
  if (!sameHeads) return { aligned: false, reason: 'shape', baseShape, tunedShape };
  return { aligned: true, diff: tuned.attention.map((heads, l) => heads.map((map, h) => matrixDifference(map, base.attention[l][h]))) };
}

/** The mean of the heads' maps (a layer's "average heads" view). */
export function meanOfMaps(maps: readonly (readonly (readonly number[])[])[]): number[][] {
  if (maps.length === 0) return [];
  return maps[0].map((row, q) => row.map((_, k) => maps.reduce((sum, m) => sum + (m[q]?.[k] ?? 0), 0) / maps.length));
}

/** The largest |value| of a map (0 for an empty or all-zero map): the diverging scale runs from −range to +range. */
export function differenceRange(map: readonly (readonly number[])[]): number {
  let max = 0;
  for (const row of map) for (const v of row) if (Math.abs(v) > max) max = Math.abs(v);
  return max;
}

/**
 * The `count` cells that changed most (by |change|, larger first; ties by
 * query then key, so the list is stable), skipping changes smaller than
 * `minChange`.
 */
export function largestChanges(
  base: readonly (readonly number[])[],
  tuned: readonly (readonly number[])[],
  count: number,
  minChange = 0.005,
): AttentionChange[] {
  const diff = matrixDifference(tuned, base);
  const all: AttentionChange[] = [];
  diff.forEach((row, q) =>
    row.forEach((change, key) => {
      if (Math.abs(change) >= minChange) all.push({ query: q, key, base: base[q][key], tuned: tuned[q][key], change });
    }),
  );
  all.sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.query - b.query || a.key - b.key);
  return all.slice(0, Math.max(0, count));
}

/** A signed change with two decimals: "+0.31", "−0.07" (a true minus sign), "0.00". */
export function formatChange(change: number): string {
  const text = Math.abs(change).toFixed(2);
  if (text === '0.00') return '0.00';
  return `${change > 0 ? '+' : '−'}${text}`;
}

/** "token → token: +0.31" for one change, with the tokens as `label` shows them. */
export function describeChange(c: AttentionChange, tokens: readonly string[], label: (token: string) => string = (t) => t): string {
  return `${label(tokens[c.query] ?? '')} → ${label(tokens[c.key] ?? '')}: ${formatChange(c.change)}`;
}
