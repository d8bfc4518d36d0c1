// npm run bench:sweeps [-- --count 12] [-- --epochs 27] [-- --seeds 2] [-- --noise 3] [-- --min-epochs 1] [-- --eta 3]
//                      [-- --only house-prices,customer-churn]
//
// Sweeps that find good models, measured (issue #16, section 5): grid, random
// and bayes sweeps of the same budget (count runs) on two bundled data sets —
// examples/house-prices (regression) and examples/customer-churn
// (classification) — each with and without early termination (ASHA, η = 3,
// first rung at epoch 1 unless --min-epochs says otherwise). Runs one point at a time in this process, as
// `modellab sweep` does with concurrency 1, on the wasm backend. Prints per
// method: the best validation metric (the sweep's ranking metric, val_loss),
// the test metric of the chosen run (test RMSE in price units / test
// accuracy), the sweep's wall time with and without early termination, and
// for bayes the runs it took to reach random search's best. A grid with early
// termination runs in an order shuffled by the sweep seed (one order per seed),
// and once more in its written order (what shuffling changed). The noise,
// measured in the same run: the random sweep's best point trained again with
// other training seeds — the spread of its val_loss and of its test metric. A
// difference in chosen-run test metric within it is noise; "reaches random's
// best" is printed strictly and within one val_loss noise standard deviation.
// Not a timed test: the numbers depend on the machine and its load.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { runMetrics } from '../../src/core/configResults';
import { formatMetric, goalFor } from '../../src/core/metrics';
import type { MetricGoal } from '../../src/core/metrics';
import { rungEpochs } from '../../src/core/earlyTermination';
import { planSweep } from '../../src/core/sweepPlan';
import type { SweepObservation } from '../../src/core/sweepPlan';
import type { ClassificationEvaluation, Evaluation, ExperimentConfig, RegressionEvaluation, RunMeta, SweepConfig, SweepEarlyTermination, SweepMembership, SweepMethod } from '../../src/core/types';
import { runTraining } from '../../src/trainer/engine';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const count = Number(option('count') ?? 12);
const epochs = Number(option('epochs') ?? 27);
const seeds = Number(option('seeds') ?? 2);
const noiseSeeds = Number(option('noise') ?? 3);
const root = resolve(import.meta.dirname, '..', '..');
const METRIC = 'val_loss';
const GOAL: MetricGoal = goalFor(METRIC);
const METHODS: SweepMethod[] = ['grid', 'random', 'bayes'];
const ASHA = { type: 'asha' as const, minEpochs: Number(option('min-epochs') ?? 1), reductionFactor: Number(option('eta') ?? 3) };

interface DataSet {
  name: string;
  config: string;
  /** The test metric of a run's evaluation, and which way is better. */
  testName: string;
  test(e: Evaluation): number;
  testGoal: MetricGoal;
  /** The search space: lists for the grid (their product is `count`), ranges or the same lists for random and bayes. */
  grid: Record<string, unknown[]>;
  space: SweepConfig['parameters'];
}

const stacks = (hidden: number[][]) => hidden.map((units) => [...units.map((u) => ({ type: 'dense', units: u, activation: 'relu' })), { type: 'dense', units: 2, activation: 'softmax' }]);
const churnStacks = stacks([[16], [64], [32, 32]]);

const DATA_SETS: DataSet[] = [
  {
    name: 'house-prices',
    config: 'examples/house-prices/house-prices.experiment.json',
    testName: 'test RMSE',
    test: (e) => (e as RegressionEvaluation).metrics.rmse,
    testGoal: 'minimize',
    grid: { 'training.optimizer.learningRate': [0.0001, 0.0005, 0.003, 0.02], 'model.layers[0].units': [4, 16, 64] },
    space: { 'training.optimizer.learningRate': { min: 0.0001, max: 0.03, scale: 'log' }, 'model.layers[0].units': { min: 4, max: 128, integer: true } },
  },
  {
    name: 'customer-churn',
    config: 'examples/customer-churn/customer-churn.experiment.json',
    testName: 'test accuracy',
    test: (e) => (e as ClassificationEvaluation).metrics.accuracy,
    testGoal: 'maximize',
    grid: { 'training.optimizer.learningRate': [0.0003, 0.002, 0.01, 0.05], 'model.layers': churnStacks },
    space: { 'training.optimizer.learningRate': { min: 0.0003, max: 0.05, scale: 'log' }, 'model.layers': churnStacks },
  },
];

interface SweepOutcome {
  method: SweepMethod;
  early: boolean;
  seed: number;
  wallMs: number;
  runs: number;
  epochsTrained: number;
  pruned: number;
  /** The sweep metric of each run in the order they ran (undefined: pruned or failed). */
  values: (number | undefined)[];
  best?: { value: number; test: number; params: Record<string, unknown>; index: number };
}

/** The data set's config with its data paths made absolute, written to a folder of its own (its sweep section dropped: the bench plans the points). */
function benchConfig(ds: DataSet, dir: string): string {
  const file = join(root, ds.config);
  const config = parseJsonc(readFileSync(file, 'utf8')) as ExperimentConfig;
  const { sweep: _sweep, ...rest } = config;
  const data = { ...rest.data, source: rest.data.source && resolve(dirname(file), rest.data.source) };
  const out = join(dir, `${ds.name}.experiment.json`);
  writeFileSync(out, JSON.stringify({ ...rest, data, training: { ...rest.training, epochs } }, null, 2));
  return out;
}

/** `writtenOrder`: a grid with early termination run in its written order, as before grids were shuffled (the sweep section then carries no earlyTermination; the runs do). */
async function runSweep(ds: DataSet, configPath: string, runsDir: string, method: SweepMethod, early: boolean, seed: number, writtenOrder = false): Promise<SweepOutcome> {
  const et = early && !writtenOrder ? { earlyTermination: { type: ASHA.type, minEpochs: ASHA.minEpochs, reductionFactor: ASHA.reductionFactor } } : {};
  const sweep: SweepConfig = method === 'grid' ? { method, seed, parameters: ds.grid, ...et } : { method, count, seed, parameters: ds.space, ...et };
  const plan = planSweep(sweep, GOAL);
  const earlyTermination: SweepEarlyTermination | undefined = early ? { ...ASHA, metric: METRIC, goal: GOAL } : undefined;
  const id = `bench-${ds.name}-${method}-${early ? 'asha' : 'full'}-${seed}${writtenOrder ? '-written' : ''}`;
  const finished: SweepObservation[] = [];
  const runs: { meta: RunMeta; evaluation?: Evaluation; index: number; params: Record<string, unknown> }[] = [];
  const started = Date.now();
  for (let index = 0; index < plan.total; index++) {
    const point = plan.point(index, finished);
    const membership: SweepMembership = { id, index, total: plan.total, params: point.params, ...(earlyTermination ? { earlyTermination } : {}) };
    const r = await runTraining({ configPath, runsDir, backend: 'wasm', overrides: point.params, sweep: membership, onEvent: () => {} });
    const value = r.meta.status === 'completed' ? runMetrics(r.meta)?.[METRIC] : undefined;
    finished.push({ params: point.params, value });
    runs.push({ meta: r.meta, evaluation: r.evaluation, index, params: point.params });
  }
  const wallMs = Date.now() - started;
  let best: SweepOutcome['best'];
  for (const r of runs) {
    const value = r.meta.status === 'completed' ? runMetrics(r.meta)?.[METRIC] : undefined;
    if (value === undefined || !r.evaluation) continue;
    if (!best || (GOAL === 'minimize' ? value < best.value : value > best.value)) best = { value, test: ds.test(r.evaluation), params: r.params, index: r.index };
  }
  return {
    method,
    early,
    seed,
    wallMs,
    runs: runs.length,
    epochsTrained: runs.reduce((n, r) => n + r.meta.epochsDone, 0),
    pruned: runs.filter((r) => r.meta.status === 'pruned').length,
    values: finished.map((f) => f.value),
    best,
  };
}

/** Runs (1-based, in the order they ran) until the sweep's best so far was at least `target`; undefined when it never was. */
function runsToReach(values: (number | undefined)[], target: number): number | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== undefined && (GOAL === 'minimize' ? v <= target : v >= target)) return i + 1;
  }
  return undefined;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

const loadNote = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} on ${cpus().length} cores`;

async function main(): Promise<void> {
  const only = option('only')?.split(',');
  const sets = DATA_SETS.filter((d) => !only || only.includes(d.name));
  const work = mkdtempSync(join(tmpdir(), 'modellab-bench-sweeps-'));
  process.stdout.write(`sweep benchmark: ${count} runs per sweep (grid ${Object.values(DATA_SETS[0].grid).map((l) => l.length).join('×')}), ${epochs} epochs, early termination asha (minEpochs ${ASHA.minEpochs}, η ${ASHA.reductionFactor}: rungs ${rungEpochs(ASHA, epochs).join(', ')}), ${seeds} sweep seed(s), wasm, one run at a time; ${loadNote()}\n`);
  const t0 = Date.now();
  try {
    for (const ds of sets) {
      const configPath = benchConfig(ds, work);
      // One run first, untimed: the backend's start and the first compile are not any sweep's.
      await runTraining({ configPath, runsDir: join(work, 'runs', `${ds.name}-warmup`), backend: 'wasm', epochs: 1, onEvent: () => {} });
      const outcomes: SweepOutcome[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        for (const method of METHODS) {
          // A grid's seed orders its runs when it has early termination; without, every seed runs the same sweep (timed again all the same, as a pair).
          // Alternating which goes first spreads a drift in the machine's load over both.
          for (const early of seed % 2 ? [false, true] : [true, false]) {
            const o = await runSweep(ds, configPath, join(work, 'runs', ds.name), method, early, seed);
            outcomes.push(o);
            process.stderr.write(`  ${ds.name} ${method}${early ? ' +asha' : ''} seed ${seed}: ${(o.wallMs / 1000).toFixed(1)} s, ${o.epochsTrained} epochs, ${o.pruned} pruned, best ${METRIC} ${formatMetric(o.best?.value)}, ${ds.testName} ${formatMetric(o.best?.test)}\n`);
          }
        }
      }

      // The grid in its written order (worst learning rate first), with early termination: what shuffling changed.
      const written = await runSweep(ds, configPath, join(work, 'runs', ds.name), 'grid', true, 1, true);
      process.stderr.write(`  ${ds.name} grid +asha written order: ${(written.wallMs / 1000).toFixed(1)} s, ${written.epochsTrained} epochs, ${written.pruned} pruned\n`);

      // The noise, measured in this run: the random sweep's best point (seed 1, no early termination) trained again
      // with other training seeds — the spread of its val_loss (for "reaches random's best") and of its test metric.
      const ref = outcomes.find((o) => o.method === 'random' && !o.early && o.seed === 1)?.best;
      const noise: number[] = [];
      const noiseVal: number[] = [];
      if (ref) {
        for (let s = 1; s <= noiseSeeds; s++) {
          const overrides = { ...ref.params, 'training.seed': 100 + s };
          const r = await runTraining({ configPath, runsDir: join(work, 'runs', `${ds.name}-noise`), backend: 'wasm', overrides, onEvent: () => {} });
          if (r.evaluation) noise.push(ds.test(r.evaluation));
          const v = r.meta.status === 'completed' ? runMetrics(r.meta)?.[METRIC] : undefined;
          if (v !== undefined) noiseVal.push(v);
        }
      }
      const valNoise = noiseVal.length > 1 ? std(noiseVal) : 0;
      process.stdout.write(`\n${ds.name} — ranked by ${METRIC}; chosen run's ${ds.testName}; wall time of the whole sweep\n`);
      const rows = [['method', 'seed', `best ${METRIC}`, ds.testName, 'wall s', 'epochs', `+asha best ${METRIC}`, `+asha ${ds.testName}`, '+asha wall s', '+asha epochs', 'pruned', 'wall cut']];
      const cuts: number[] = [];
      const testDiffs: number[] = [];
      for (const o of outcomes.filter((x) => !x.early)) {
        const e = outcomes.find((x) => x.early && x.method === o.method && x.seed === o.seed)!;
        const cut = 1 - e.wallMs / o.wallMs;
        cuts.push(cut);
        if (o.best && e.best) testDiffs.push(e.best.test - o.best.test);
        rows.push([o.method, String(o.seed), formatMetric(o.best?.value), formatMetric(o.best?.test), (o.wallMs / 1000).toFixed(1), String(o.epochsTrained), formatMetric(e.best?.value), formatMetric(e.best?.test), (e.wallMs / 1000).toFixed(1), String(e.epochsTrained), `${e.pruned}/${e.runs}`, `${(cut * 100).toFixed(0)}%`]);
      }
      const gridFull = outcomes.find((x) => !x.early && x.method === 'grid' && x.seed === 1)!;
      const writtenCut = 1 - written.wallMs / gridFull.wallMs;
      rows.push(['grid, written order', '—', formatMetric(gridFull.best?.value), formatMetric(gridFull.best?.test), (gridFull.wallMs / 1000).toFixed(1), String(gridFull.epochsTrained), formatMetric(written.best?.value), formatMetric(written.best?.test), (written.wallMs / 1000).toFixed(1), String(written.epochsTrained), `${written.pruned}/${written.runs}`, `${(writtenCut * 100).toFixed(0)}%`]);
      process.stdout.write(table(rows) + '\n');
      const byMethod = METHODS.map((m) => {
        const c = outcomes.filter((o) => !o.early && o.method === m).map((o) => 1 - outcomes.find((x) => x.early && x.method === m && x.seed === o.seed)!.wallMs / o.wallMs);
        const ep = outcomes.filter((o) => o.early && o.method === m).map((o) => o.epochsTrained);
        return `${m} ${(mean(c) * 100).toFixed(0)}% (mean epochs ${mean(ep).toFixed(0)} of ${count * epochs})`;
      });
      process.stdout.write(`early termination by method: ${byMethod.join(', ')}\n`);
      // Means over the seeds, per method: what a sweep of each kind finds on average.
      for (const m of METHODS) {
        const of = (early: boolean) => outcomes.filter((o) => o.method === m && o.early === early && o.best);
        const say = (early: boolean) => `${METRIC} ${formatMetric(mean(of(early).map((o) => o.best!.value)))}, ${ds.testName} ${formatMetric(mean(of(early).map((o) => o.best!.test)))} ± ${formatMetric(std(of(early).map((o) => o.best!.test)))}`;
        process.stdout.write(`mean of ${of(false).length} ${m} sweeps' chosen runs: ${say(false)}; with early termination ${say(true)}\n`);
      }
      process.stdout.write(`early termination: wall time cut ${(mean(cuts) * 100).toFixed(0)}% on average (min ${(Math.min(...cuts) * 100).toFixed(0)}%, target ≥ 40%); chosen-run ${ds.testName} with early termination minus without: ${testDiffs.map((d) => (d > 0 ? '+' : '') + formatMetric(d)).join(', ')} (${ds.testGoal === 'minimize' ? 'lower' : 'higher'} is better)\n`);
      if (noise.length) process.stdout.write(`noise: the random sweep's best point over ${noise.length} training seeds: ${ds.testName} ${formatMetric(mean(noise))} ± ${formatMetric(std(noise))}, ${METRIC} ${formatMetric(mean(noiseVal))} ± ${formatMetric(valNoise)} (std; ${METRIC} values ${noiseVal.map((n) => formatMetric(n)).join(', ')})\n`);
      for (const early of [false, true]) {
        const reach: string[] = [];
        const strict: number[] = [];
        const within: number[] = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const random = outcomes.find((o) => o.method === 'random' && o.early === early && o.seed === seed);
          const bayes = outcomes.find((o) => o.method === 'bayes' && o.early === early && o.seed === seed);
          if (!random?.best || !bayes) continue;
          // Within noise: no worse than random's best by one standard deviation of retraining the same point.
          const n = runsToReach(bayes.values, random.best.value);
          const m = runsToReach(bayes.values, random.best.value + (GOAL === 'minimize' ? valNoise : -valNoise));
          strict.push(n ?? count + 1);
          within.push(m ?? count + 1);
          const say = (k: number | undefined) => (k === undefined ? `not within ${count}` : String(k));
          reach.push(`seed ${seed}: ${say(n)} / ${say(m)} (random's best ${formatMetric(random.best.value)} at run ${random.best.index + 1})`);
        }
        const half = Math.floor(count / 2);
        const summary = (xs: number[]) => `${xs.filter((x) => x <= half).length} of ${xs.length} seeds within ${half} runs, median ${[...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]}`;
        process.stdout.write(`bayes${early ? ' +asha' : ''} reaches random's best ${METRIC} after (strict / within one noise std ${formatMetric(valNoise)}): ${reach.join('; ')} — target ≤ ${half}\n`);
        process.stdout.write(`  strict: ${summary(strict)}; within noise: ${summary(within)} (never counts as ${count + 1})\n`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s; ${loadNote()}\n`);
}

void main();
