// An ensemble of a sweep's top runs: a folder the predictor recognises by its
// ensemble.json, holding each member's model folder. It predicts the mean of
// its members' predictions (regression) or of their class probabilities
// (classification, the label the most probable). Pure: the folder is written
// by src/trainer/ensemble.ts and read by src/trainer/predictor.ts.

import type { Prediction } from './prediction';
import type { Task } from './types';

/** The file that makes a folder an ensemble (beside members/0, members/1, …). */
export const ENSEMBLE_FILE = 'ensemble.json';

export interface EnsembleJson {
  format: 'modellab-ensemble';
  version: 1;
  name: string;
  task: Task;
  /** Each member's model folder, relative to the ensemble's. */
  members: string[];
  /** Where the members came from: the sweep, and each member's run with its ranking value. */
  sweepId?: string;
  metric?: string;
  runs: { id: string; value?: number }[];
  createdAt: string;
}

/** What is wrong with an ensemble.json's content (naming the field), or undefined. */
export function checkEnsembleJson(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'not a JSON object';
  const v = value as Partial<EnsembleJson>;
  if (v.format !== 'modellab-ensemble') return '"format" is not "modellab-ensemble"';
  if (v.version !== 1) return `"version" ${String(v.version)} is not one this Model Lab reads (1)`;
  if (!Array.isArray(v.members) || v.members.length < 2) return '"members" must list at least two model folders';
  if (v.members.some((m) => typeof m !== 'string' || m.includes('..') || m.startsWith('/'))) return '"members" must be folders inside the ensemble';
  return undefined;
}

/**
 * The ensemble's prediction for one instance from its members' (all of one
 * kind): the mean value, or the mean probability of each label with the most
 * probable as the label (a label a member lacks counts 0 for it).
 */
export function meanPrediction(members: readonly Prediction[]): Prediction {
  if (members.length === 0) throw new Error('an ensemble needs members');
  if (members.every((p) => 'value' in p)) return { value: members.reduce((s, p) => s + (p as { value: number }).value, 0) / members.length };
  if (members.every((p) => 'probabilities' in p)) {
    const labels: string[] = [];
    for (const p of members) for (const label of Object.keys((p as { probabilities: Record<string, number> }).probabilities)) if (!labels.includes(label)) labels.push(label);
    const probabilities: Record<string, number> = {};
    for (const label of labels) probabilities[label] = members.reduce((s, p) => s + ((p as { probabilities: Record<string, number> }).probabilities[label] ?? 0), 0) / members.length;
    let best = labels[0];
    for (const label of labels) if (probabilities[label] > probabilities[best]) best = label;
    return { label: best, probabilities };
  }
  throw new Error('an ensemble averages values or class probabilities; its members predict something else');
}
