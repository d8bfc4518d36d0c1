// Writing an ensemble of a sweep's top runs (a folder with ensemble.json and
// each member's model folder copied under members/), and scoring any model
// folder — an ensemble or one run's — on the config's test split through the
// Predictor, so the two are measured by the same code on the same rows.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { buildModelCard, ENSEMBLE_CARD_FILE } from '../node/modelExport';
import type { ModelCard } from '../node/modelExport';
import { join, resolve } from 'node:path';
import { ENSEMBLE_FILE } from '../core/ensemble';
import type { EnsembleJson } from '../core/ensemble';
import { classificationMetrics, regressionMetrics } from '../core/evaluationMetrics';
import { cellAt, columnOf, rowCount } from '../core/table';
import type { Cell } from '../core/table';
import type { ExperimentConfig, Task } from '../core/types';
import { loadSplits } from '../node/dataFiles';
import { writeJsonAtomic } from '../node/runStoreWriter';
import { resolveModelDir } from './modelDirCache';
import { Predictor } from './predictor';

export interface EnsembleMember {
  runId: string;
  /** The run folder (its model/ is copied). */
  runDir: string;
  value?: number;
}

/**
 * Writes the ensemble folder `out`: members/<i> copies of each run's model
 * folder, then ensemble.json (last, so a half-written folder is never taken
 * for an ensemble). Refuses a non-empty folder that is not an ensemble.
 */
export function writeEnsemble(out: string, members: readonly EnsembleMember[], info: { name: string; task: Task; sweepId?: string; metric?: string }): EnsembleJson {
  if (members.length < 2) throw new Error(`an ensemble needs at least two runs with a model; ${members.length === 1 ? 'one was' : 'none was'} found`);
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, ENSEMBLE_FILE))) throw new Error(`${dir} is not empty and is not an ensemble; choose another folder`);
  rmSync(join(dir, ENSEMBLE_FILE), { force: true });
  rmSync(join(dir, 'members'), { recursive: true, force: true });
  mkdirSync(join(dir, 'members'), { recursive: true });
  const paths = members.map((m, i) => {
    const rel = `members/${i}`;
    cpSync(resolveModelDir(m.runDir), join(dir, rel), { recursive: true, filter: (src) => !src.includes('.tmp-') });
    return rel;
  });
  const json: EnsembleJson = {
    format: 'modellab-ensemble',
    version: 1,
    name: info.name,
    task: info.task,
    members: paths,
    ...(info.sweepId ? { sweepId: info.sweepId } : {}),
    ...(info.metric ? { metric: info.metric } : {}),
    runs: members.map((m) => ({ id: m.runId, ...(m.value !== undefined ? { value: m.value } : {}) })),
    createdAt: new Date().toISOString(),
  };
  // The model card an export of the ensemble carries: its best member's run, the members listed; the ensemble's own test metrics are set once measured (setEnsembleTestMetrics).
  const best = buildModelCard(members[0].runDir, resolveModelDir(members[0].runDir), []);
  const card: ModelCard = { ...best, name: info.name, ensemble: { members: members.map((m) => m.runId), ...(info.metric ? { metric: info.metric } : {}), ...(info.sweepId ? { sweepId: info.sweepId } : {}) }, metrics: {} };
  writeJsonAtomic(join(dir, ENSEMBLE_CARD_FILE), card);
  writeJsonAtomic(join(dir, ENSEMBLE_FILE), json);
  return json;
}

/** Records the ensemble's own test metrics in the model card its exports carry. */
export function setEnsembleTestMetrics(dir: string, test: { metrics: Record<string, number>; count: number }): void {
  const file = join(dir, ENSEMBLE_CARD_FILE);
  const card = JSON.parse(readFileSync(file, 'utf8')) as ModelCard;
  writeJsonAtomic(file, { ...card, metrics: { evaluation: { split: 'test', count: test.count, values: test.metrics } } });
}

/** Test metrics of a model folder's predictions on the config's test split (rows without a target left out). */
export async function testMetricsOf(modelDir: string, config: ExperimentConfig, configPath: string): Promise<{ metrics: Record<string, number>; count: number }> {
  const test = loadSplits(config.data, configPath).test;
  if (!test) throw new Error(`${configPath}: the config has no test split to score on`);
  const predictor = await Predictor.load(modelDir);
  try {
    const target = config.data.target!;
    const sig = predictor.signature;
    const targetCells = columnOf(test, target);
    const inputs = sig.kind === 'text' ? [config.data.text!] : sig.inputs.map((i) => i.name);
    const columns = inputs.map((name) => columnOf(test, name));
    const instances: unknown[] = [];
    const actual: Cell[] = [];
    for (let r = 0; r < rowCount(test); r++) {
      const y = cellAt(targetCells, r);
      if (y === null || y === undefined || y === '') continue;
      actual.push(y);
      if (sig.kind === 'text') instances.push(String(cellAt(columns[0], r) ?? ''));
      else instances.push(Object.fromEntries(inputs.flatMap((name, c) => {
        const v = cellAt(columns[c], r);
        return v === null || v === undefined ? [] : [[name, v]];
      })));
    }
    const predictions = await predictor.predict(instances);
    if (sig.task === 'regression') {
      return { metrics: { ...regressionMetrics(actual.map(Number), predictions.map((p) => (p as { value: number }).value)) }, count: actual.length };
    }
    const labels = sig.labels ?? [];
    const index = new Map(labels.map((l, i) => [l, i]));
    const kept = actual.map((a, i) => [index.get(String(a)), index.get((predictions[i] as { label: string }).label)] as const).filter(([a, p]) => a !== undefined && p !== undefined);
    const m = classificationMetrics(kept.map(([a]) => a!), kept.map(([, p]) => p!), labels).metrics;
    return { metrics: { ...m }, count: kept.length };
  } finally {
    predictor.dispose();
  }
}
