// The seeded share of a labelled training set that the pretrain-finetune
// example (train-10pct.jsonl, written by make-text-examples.mjs) and its
// benchmark (scripts/bench/pretrainFinetune.ts) train on: stratified — of each
// label's rows, round(share × count) (at least one) drawn by a seeded shuffle —
// and kept in the file's order. One rule, so the example's 10% is the
// benchmark's 10% at seed 1.
import { mulberry32 } from './seededRandom.mjs';

export function labelSubset(rows, labelOf, share, seed) {
  if (!(share > 0 && share <= 1)) throw new Error(`labelSubset: the share must be in (0, 1], got ${share}`);
  const random = mulberry32(seed);
  const byLabel = new Map();
  rows.forEach((row, i) => {
    const label = labelOf(row);
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel.get(label).push(i);
  });
  const kept = new Set();
  for (const label of [...byLabel.keys()].sort()) {
    const indices = byLabel.get(label);
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const n = Math.max(1, Math.round(share * indices.length));
    for (const i of indices.slice(0, n)) kept.add(i);
  }
  return rows.filter((_, i) => kept.has(i));
}
