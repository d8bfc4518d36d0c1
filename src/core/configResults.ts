// Results inside the config: for every setting whose value differs across an
// experiment's finished runs, what each value gave. Each run stands for one
// number, its metric at the epoch whose model it kept; a value that several
// runs share is summarized by the BEST of those runs (the mean is kept too,
// for the hover). The ★ marks the value the best run used.

import type { MetricGoal } from './metrics';
import { formatMetric, goalFor } from './metrics';
import { formatConfigPath, formatParamValue } from './sweep';
import type { PathSegment } from './sweep';
import type { RunMeta } from './types';

export interface RunResultInput {
  id: string;
  /** The run's resolved config (its config.json). */
  config: unknown;
  /** The logs that stand for the run: its best epoch's, else its last epoch's. */
  metrics: Record<string, number> | undefined;
  /** Its test evaluation's metrics ("mse", "accuracy"), once it was evaluated on the test split: shown, never ranked by. */
  test?: Record<string, number>;
}

export interface ValueOutcome {
  value: unknown;
  /** The value as shown ("0.003", "relu", "[…]"). */
  label: string;
  /** Runs that used this value. */
  runs: number;
  /** Best and mean metric over the runs with this value that logged it. */
  best?: number;
  mean?: number;
  bestRunId?: string;
  runIds: string[];
  /** The best run overall used this value. */
  star: boolean;
}

export interface KeyResults {
  /** "training.optimizer.learningRate", "model.layers[0].units". */
  path: string;
  segments: PathSegment[];
  /** Numbers ascending, other values in the order first seen. */
  values: ValueOutcome[];
}

export interface RankedRun {
  id: string;
  value: number | undefined;
}

export interface ConfigResults {
  metric: string;
  goal: MetricGoal;
  /** Runs compared. */
  runs: number;
  best?: { runId: string; value: number };
  /** The best run's test metric, labelled: the twin of the ranking metric (val_mae → mae), else its evaluation's first. */
  bestTest?: { name: string; value: number };
  /** The settings that differ between runs, in config order. */
  keys: KeyResults[];
}

/** The logs that stand for a run: its best epoch's (the model it kept), else its last epoch's. */
export function runMetrics(meta: Pick<RunMeta, 'bestMetrics' | 'lastMetrics'> | undefined): Record<string, number> | undefined {
  return meta?.bestMetrics ?? meta?.lastMetrics;
}

/** A run id's distinguishing tail ("20250102-120000-house-prices-d038" → "d038"). */
export function shortRunId(id: string): string {
  const tail = /-([0-9a-f]{4})$/.exec(id)?.[1];
  return tail ?? (id.length > 12 ? `…${id.slice(-10)}` : id);
}

/**
 * The best completed run of each sweep, by the given metric (default: each
 * sweep's runs' val_loss, else loss). For marking the best run wherever runs are listed.
 */
export function bestRunBySweep(
  runs: readonly { id: string; meta?: RunMeta }[],
  rankBy: (sweepId: string) => { metric?: string; goal?: MetricGoal } = () => ({}),
): Map<string, { runId: string; metric: string; value: number }> {
  const groups = new Map<string, RunResultInput[]>();
  for (const r of runs) {
    const sweep = r.meta?.sweep;
    if (!sweep || r.meta?.status !== 'completed') continue;
    let list = groups.get(sweep.id);
    if (!list) groups.set(sweep.id, (list = []));
    list.push({ id: r.id, config: null, metrics: runMetrics(r.meta) });
  }
  const out = new Map<string, { runId: string; metric: string; value: number }>();
  for (const [sweepId, list] of groups) {
    const wanted = rankBy(sweepId);
    const metric = chooseMetric(list, wanted.metric);
    const top = rankRuns(list, metric, goalFor(metric, wanted.goal))[0];
    if (top?.value !== undefined) out.set(sweepId, { runId: top.id, metric, value: top.value });
  }
  return out;
}

/** Settings that differ between runs without being knobs of the model. */
const IGNORED_TOP_LEVEL = new Set(['name', 'description', 'configPath', '$schema', 'sweep']);

export function chooseMetric(runs: readonly RunResultInput[], preferred?: string): string {
  if (preferred) return preferred;
  return runs.some((r) => r.metrics && typeof r.metrics.val_loss === 'number') ? 'val_loss' : 'loss';
}

function metricOf(run: RunResultInput, metric: string): number | undefined {
  const v = run.metrics?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Canonical JSON (sorted keys), so equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The paths where the runs' configs differ, as deep as they still line up:
 * objects key by key, lists of objects of the same length item by item;
 * anything else that differs is one setting.
 */
export function differingPaths(configs: readonly unknown[]): PathSegment[][] {
  const out: PathSegment[][] = [];
  const walk = (values: unknown[], path: PathSegment[]) => {
    const first = canonical(values[0]);
    if (values.every((v) => canonical(v) === first)) return;
    if (values.every(isPlainObject)) {
      const keys: string[] = [];
      for (const v of values) for (const k of Object.keys(v)) if (!keys.includes(k)) keys.push(k);
      for (const k of keys) {
        if (path.length === 0 && IGNORED_TOP_LEVEL.has(k)) continue;
        walk(values.map((v) => (v as Record<string, unknown>)[k]), [...path, k]);
      }
      return;
    }
    if (values.every((v) => Array.isArray(v) && v.length === (values[0] as unknown[]).length && v.some(isPlainObject))) {
      const n = (values[0] as unknown[]).length;
      for (let i = 0; i < n; i++) walk(values.map((v) => (v as unknown[])[i]), [...path, i]);
      return;
    }
    out.push(path);
  };
  if (configs.length > 1) walk([...configs], []);
  return out;
}

function valueAt(config: unknown, segments: readonly PathSegment[]): unknown {
  let cur = config;
  for (const s of segments) {
    if (typeof s === 'number') cur = Array.isArray(cur) ? cur[s] : undefined;
    else cur = isPlainObject(cur) ? cur[s] : undefined;
  }
  return cur;
}

/** Runs ordered best first by the metric; runs without it last. */
export function rankRuns(runs: readonly RunResultInput[], metric: string, goal: MetricGoal): RankedRun[] {
  const sign = goal === 'maximize' ? -1 : 1;
  return runs
    .map((r) => ({ id: r.id, value: metricOf(r, metric) }))
    .sort((a, b) => {
      if (a.value === undefined || b.value === undefined) return a.value === undefined ? (b.value === undefined ? 0 : 1) : -1;
      return sign * (a.value - b.value);
    });
}

export function summarizeConfigResults(runs: readonly RunResultInput[], options: { metric?: string; goal?: MetricGoal } = {}): ConfigResults {
  const metric = chooseMetric(runs, options.metric);
  const goal = goalFor(metric, options.goal);
  const better = (a: number, b: number) => (goal === 'maximize' ? a > b : a < b);
  const ranked = rankRuns(runs, metric, goal);
  const top = ranked[0]?.value !== undefined ? { runId: ranked[0].id, value: ranked[0].value } : undefined;
  const bestRun = top ? runs.find((r) => r.id === top.runId) : undefined;

  const keys: KeyResults[] = differingPaths(runs.map((r) => r.config)).map((segments) => {
    const groups = new Map<string, ValueOutcome & { sum: number; measured: number }>();
    for (const run of runs) {
      const value = valueAt(run.config, segments);
      const key = canonical(value);
      let g = groups.get(key);
      if (!g) {
        g = { value, label: formatParamValue(value), runs: 0, runIds: [], star: false, sum: 0, measured: 0 };
        groups.set(key, g);
      }
      g.runs++;
      g.runIds.push(run.id);
      const m = metricOf(run, metric);
      if (m !== undefined) {
        g.sum += m;
        g.measured++;
        if (g.best === undefined || better(m, g.best)) {
          g.best = m;
          g.bestRunId = run.id;
        }
      }
      if (bestRun && run.id === bestRun.id) g.star = true;
    }
    const values: ValueOutcome[] = [...groups.values()].map(({ sum, measured, ...v }) => ({ ...v, mean: measured ? sum / measured : undefined }));
    if (values.every((v) => typeof v.value === 'number')) values.sort((a, b) => (a.value as number) - (b.value as number));
    return { path: formatConfigPath(segments), segments, values };
  });
  const bestTest = testMetricOf(bestRun?.test, metric);
  return { metric, goal, runs: runs.length, best: top, ...(bestTest ? { bestTest } : {}), keys };
}

/** The test metric shown beside a ranking metric: its twin (val_mae → mae, val_accuracy → accuracy), else the evaluation's first. */
export function testMetricOf(test: Record<string, number> | undefined, metric: string): { name: string; value: number } | undefined {
  if (!test) return undefined;
  const base = metric.replace(/^val_/, '');
  const name = base in test ? base : Object.keys(test)[0];
  return name !== undefined && typeof test[name] === 'number' ? { name, value: test[name] } : undefined;
}


/**
 * The inlay hint of one setting as one line of text, in English: "val_loss: 0.001 → 0.31 · 0.01 → 0.21 ★ (8 runs)".
 * The metric leads (so the hint never reads as more of the setting's value), named once; past
 * `maxValues` values the rest are counted.
 */
export function formatKeyHint(key: KeyResults, results: Pick<ConfigResults, 'metric' | 'goal' | 'runs'>, maxValues = 3): string {
  return keyHintLabels(key, results, ENGLISH_HINT_WORDS, { maxValues }).map((l) => l.text).join(' ');
}

export interface KeyHintPart {
  text: string;
  /** The value this part is about (absent for "+2" and the run count). */
  value?: ValueOutcome;
  /** The run count, for the last part (its words are the caller's language). */
  runs?: number;
}

/**
 * The hint in pieces, one per value ("0.001 → 0.31"), then "+2" for values
 * left out and the run count; a click on a value opens its best run. The
 * editor cuts a line's hints after `editor.inlayHints.maximumLength`
 * characters (43 by default), so the least telling piece, the count, comes
 * last, and at most three values.
 */
export function keyHintParts(key: KeyResults, results: Pick<ConfigResults, 'metric' | 'goal' | 'runs' | 'bestTest'>, maxValues = 3, words: Pick<HintWords, 'test'> = ENGLISH_HINT_WORDS): KeyHintPart[] {
  const shown = key.values.length > maxValues ? pickShown(key.values, maxValues, results.goal) : key.values;
  // The starred value carries the best run's test metric once it was evaluated, labelled as a test metric.
  const test = results.bestTest ? ` ${words.test(results.bestTest.name, formatMetric(results.bestTest.value))}` : '';
  const parts: KeyHintPart[] = shown.map((v) => ({ text: `${v.label} → ${formatMetric(v.best)}${v.star ? ` ★${test}` : ''}`, value: v }));
  const more = key.values.length - shown.length;
  if (more > 0) parts.push({ text: `+${more}` });
  parts.push({ text: `(${results.runs} runs)`, runs: results.runs });
  return parts;
}

/** The words of a hint in the reader's language (the editor passes vscode.l10n's). */
export interface HintWords {
  /** Leads the hint: "val_loss:", or "val_loss by units:" on a parent when the setting is not written. */
  lead(metric: string, setting?: string): string;
  /** "(5 runs)". */
  runs(count: number): string;
  /** The best run's test metric beside its ★: "(test mse 0.25)". */
  test(metric: string, value: string): string;
}

export const ENGLISH_HINT_WORDS: HintWords = {
  lead: (metric, setting) => (setting ? `${metric} by ${setting}:` : `${metric}:`),
  runs: (count) => `(${count} runs)`,
  test: (metric, value) => `(test ${metric} ${value})`,
};

/** One inlay hint of a setting, as the editor draws it. */
export interface KeyHintLabel extends KeyHintPart {
  /** A margin before it: from the setting's value, and between the pieces. */
  paddingLeft: boolean;
  /** A margin after it: only the last piece, and only when more of the line follows. */
  paddingRight: boolean;
}

/**
 * The hint's pieces as the editor shows them after a setting's value: the
 * first led by the metric, the others by " · ", each with a margin before it,
 * the last with a margin after it when the line goes on (so "64, 8 → …" can
 * never read as a value "64 8"). `setting` names a setting shown on its parent
 * because it is not written in the file.
 */
export function keyHintLabels(
  key: KeyResults,
  results: Pick<ConfigResults, 'metric' | 'goal' | 'runs' | 'bestTest'>,
  words: HintWords,
  options: { maxValues?: number; setting?: string; lineGoesOn?: boolean } = {},
): KeyHintLabel[] {
  const parts = keyHintParts(key, results, options.maxValues, words);
  return parts.map((part, i) => {
    const text = part.runs !== undefined ? words.runs(part.runs) : i === 0 ? `${words.lead(results.metric, options.setting)} ${part.text}` : `· ${part.text}`;
    return { ...part, text, paddingLeft: true, paddingRight: i === parts.length - 1 && !!options.lineGoesOn };
  });
}

/**
 * Where a setting's hint goes: after its value and the comma that ends it
 * (`"units": 64, ‹hint›`), else right after the value (the last entry of an
 * object). `valueEnd` is the offset just past the value.
 */
export function keyHintOffset(text: string, valueEnd: number): { offset: number; lineGoesOn: boolean } {
  let i = valueEnd;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const offset = text[i] === ',' ? i + 1 : valueEnd;
  let j = offset;
  while (text[j] === ' ' || text[j] === '\t') j++;
  const lineGoesOn = j < text.length && text[j] !== '\n' && text[j] !== '\r';
  return { offset, lineGoesOn };
}

/** The starred value and the best others, in their original order. */
function pickShown(values: readonly ValueOutcome[], n: number, goal: MetricGoal): ValueOutcome[] {
  const withMetric = values.filter((v) => v.best !== undefined);
  const keep = new Set<ValueOutcome>(values.filter((v) => v.star));
  const order = [...withMetric].sort((a, b) => (goal === 'maximize' ? -1 : 1) * ((a.best as number) - (b.best as number)));
  for (const v of order) {
    if (keep.size >= n) break;
    keep.add(v);
  }
  return values.filter((v) => keep.has(v)).slice(0, n);
}
