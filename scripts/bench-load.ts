// Load benchmark (not a unit test): an extension-host-like process receives
// 24 hours of simulated metrics (millions of points) through the same path as
// the dashboard and the compare panel, and we measure how responsive its event
// loop stays (perf_hooks.monitorEventLoopDelay) and how much memory it holds.
//
// Phases, each with its own delay histogram:
//   live      trainer events as IPC delivers them (batched 'metrics' messages,
//             checked by isTrainerEvent, forwarded to the webview = serialized),
//             the whole 24 h replayed as fast as the loop allows
//   compare   what the compare panel (src/host/panels/comparePanel.ts) does when it
//             opens on the run: warmCache reads the folder with
//             readRunSnapshotAsync and remembers it (config.json, metricColumns,
//             flattenConfig), postStateNow posts the 'compareState' message,
//             then the page's 'requestSeries' is answered from the cache with
//             compareSeriesFor (smoothed, then downsampled to the chart's
//             budget), each message serialized as postMessage does
//   compare, sync read   the same curve from a synchronous readRunSnapshot (the
//             panel's path before warmCache), for reference
//   dashboard the dashboard opens on the run: read the run folder and serialize
//             the state message the webview receives (step points downsampled
//             on the host, as dashboardPanel.postState does)
//   async     the same read with readRunSnapshotAsync (sliced, yielding)
//
//   sweep     ten runs of a sweep queued, two at a time, real trainer processes,
//             every event through TrainingProcess (skip with --no-sweep)
//
// Run: node --expose-gc --import tsx scripts/bench-load.ts [hours=24] [stepsPerSecond=20] [--no-sweep]

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { compareSeriesFor, curveMetrics, metricColumns, metricColumnsAsync } from '../src/core/compareSeries';
import { isTrainerEvent } from '../src/core/protocol/trainer';
import type { TrainerEvent } from '../src/core/protocol/trainer';
import type { DashboardStateMessage } from '../src/core/protocol/dashboard';
import type { CompareRun, CompareSeriesMessage, CompareSeriesRequest, CompareStateMessage } from '../src/core/protocol/compare';
import { finalMetrics, flattenConfig } from '../src/core/runComparison';
import { readRunSnapshot, readRunSnapshotAsync } from '../src/node/runStoreReader';
import { RunWriter } from '../src/node/runStoreWriter';
import { thinMetricsForDashboard } from '../src/core/snapshotThinning';
import type { MetricPoint } from '../src/core/types';
import type { SweepPoint } from '../src/core/sweep';
import { SweepQueue } from '../src/node/sweepQueue';
import { TrainingProcess } from '../src/node/trainingProcess';
import type { TrainingOutcome } from '../src/node/trainingProcess';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const HOURS = Number(positional[0] ?? 24);
const STEPS_PER_SECOND = Number(positional[1] ?? 20);
const STEPS = Math.round(HOURS * 3600 * STEPS_PER_SECOND);
const STEPS_PER_EPOCH = 1000;
const BATCH_MS = 250; // the engine's metrics interval: one message per 250 ms of training
const POINTS_PER_MESSAGE = Math.max(1, Math.round((STEPS_PER_SECOND * BATCH_MS) / 1000));

const RESOLUTION_MS = 1;
/** The compare chart's width; the page asks for about 4 points per pixel column (compareApp.requestSeries). */
const COMPARE_CHART_WIDTH_PX = 1000;
const COMPARE_REQUEST: CompareSeriesRequest = {
  type: 'requestSeries', requestId: 1, metric: 'loss', xAxis: 'step', smoothing: 0.6, // the page's defaults
  maxPoints: Math.min(16_000, Math.max(400, Math.round(COMPARE_CHART_WIDTH_PX * 4))),
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const rssTimer = setInterval(sampleRss, 100);

function point(step: number): MetricPoint {
  const epoch = Math.floor((step - 1) / STEPS_PER_EPOCH) + 1;
  const loss = 0.1 + 2 * Math.exp(-step / (STEPS / 5)) + 0.05 * Math.sin(step * 12.9898);
  return { kind: 'step', step, epoch, time: Math.round((step / STEPS_PER_SECOND) * 1000), values: { loss } };
}

function epochPoint(step: number): MetricPoint {
  const p = point(step);
  return { kind: 'epoch', step, epoch: p.epoch, time: p.time, values: { loss: p.values.loss, val_loss: p.values.loss * 1.1, lr: 0.001 } };
}

interface PhaseResult {
  phase: string;
  ms: number;
  p50: number;
  p99: number;
  max: number;
  note: string;
}
const results: PhaseResult[] = [];

async function phase(name: string, body: () => Promise<string>): Promise<void> {
  globalThis.gc?.();
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  // The first timer tick only sets the baseline: let it happen before the body can block.
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const note = await body();
  const ms = performance.now() - t0;
  // Let the histogram see the loop after the last blocking piece.
  await new Promise((r) => setTimeout(r, 30));
  h.disable();
  // Delay beyond the sampling timer's own period.
  const toMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  results.push({ phase: name, ms, p50: toMs(h.percentile(50)), p99: toMs(h.percentile(99)), max: toMs(h.max), note });
  sampleRss();
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modellab-load-'));
  const runsDir = join(dir, 'runs');
  console.log(`${HOURS} h at ${STEPS_PER_SECOND} steps/s: ${STEPS.toLocaleString('en')} step points + ${Math.floor(STEPS / STEPS_PER_EPOCH).toLocaleString('en')} epoch points; ${POINTS_PER_MESSAGE} points per IPC message`);

  // The trainer's side (another process in real life): the run folder with 24 h of metrics, flushed per epoch.
  const t0 = performance.now();
  const writer = new RunWriter(runsDir, {
    name: 'load', task: 'regression', configPath: join(dir, 'load.experiment.json'), status: 'running', createdAt: new Date().toISOString(),
    versions: { modelLab: 'bench', node: process.versions.node }, seed: 1, epochsPlanned: Math.ceil(STEPS / STEPS_PER_EPOCH), epochsDone: 0,
  });
  for (let s = 1; s <= STEPS; s++) {
    writer.addMetric(point(s));
    if (s % STEPS_PER_EPOCH === 0) {
      writer.addMetric(epochPoint(s));
      writer.flush();
    }
  }
  writer.writeConfig({ name: 'load', task: 'regression', training: { epochs: Math.ceil(STEPS / STEPS_PER_EPOCH), batchSize: 32, optimizer: { name: 'adam', learningRate: 0.001 } } });
  writer.end('completed');
  const size = statSync(join(writer.dir, 'metrics.jsonl')).size;
  console.log(`wrote metrics.jsonl: ${mb(size)} in ${((performance.now() - t0) / 1000).toFixed(1)} s (setup, not measured)`);

  // ── live: every message of 24 h through the host's path, as fast as the loop takes them.
  await phase(`live (${HOURS} h of IPC messages)`, async () => {
    let forwarded = 0;
    let bytes = 0;
    let s = 1;
    let messages = 0;
    while (s <= STEPS) {
      const points: MetricPoint[] = [];
      for (let k = 0; k < POINTS_PER_MESSAGE && s <= STEPS; k++, s++) {
        points.push(point(s));
        if (s % STEPS_PER_EPOCH === 0) points.push(epochPoint(s));
      }
      const raw: unknown = JSON.parse(JSON.stringify({ type: 'metrics', points } satisfies TrainerEvent)); // IPC (de)serialization
      if (!isTrainerEvent(raw)) continue;
      bytes += JSON.stringify({ type: 'event', runId: writer.meta.id, event: raw }).length; // postMessage to the dashboard
      forwarded += points.length;
      // One IPC message per loop turn, as Node delivers them.
      messages++;
      await yieldToLoop();
    }
    return `${messages.toLocaleString('en')} messages, ${forwarded.toLocaleString('en')} points, ${mb(bytes)} posted`;
  });

  // ── compare: the compare panel opens on the 24 h run and the page asks for its loss curve,
  // step by step as ComparePanel does it: postState → warmCache (async read, then remember) →
  // postStateNow ('compareState') → the page's 'requestSeries' → answer ('compareSeries').
  // remember and postStateNow run in the same loop turn as the read's end (warmCache's
  // Promise.all then .then are microtasks); the series answer comes a turn later (the page's round trip).
  await phase('compare (panel: async read + cache + series)', async () => {
    const dir = writer.dir;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10); // other host work that wants to run every 10 ms
    const t = performance.now();
    // warmCache: the run folder read in slices.
    const snapshot = await readRunSnapshotAsync(dir);
    const tRead = performance.now() - t;
    // remember: config.json, columns and flattened params into the cache (synchronous, in the same turn).
    let t1 = performance.now();
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    } catch {
      config = undefined;
    }
    // The columns in slices (metricColumnsAsync), as warmCache builds them; the rest of remember is one turn.
    const columns = await metricColumnsAsync(snapshot.metrics);
    const cached = { snapshot, columns, params: flattenConfig(config) };
    const tRemember = performance.now() - t1;
    // postStateNow (the .then of warmCache), still in the same turn.
    t1 = performance.now();
    const meta = cached.snapshot.meta;
    const run: CompareRun = {
      id: meta.id, name: meta.name, label: meta.createdAt, status: meta.status, createdAt: meta.createdAt, backend: meta.backend,
      params: cached.params, final: finalMetrics(meta, cached.snapshot.metrics, cached.snapshot.evaluation),
      points: cached.snapshot.metrics.length, warnings: cached.snapshot.warnings,
    };
    const stateBytes = JSON.stringify({ type: 'compareState', runs: [run], metrics: curveMetrics([cached.columns]) } satisfies CompareStateMessage).length;
    const tState = performance.now() - t1;
    // The page's requestSeries arrives later, through the renderer (a timer here, so the loop's
    // timers run in between as they would; setImmediate would glue both pieces into one delay).
    await new Promise((r) => setTimeout(r, 1));
    t1 = performance.now();
    const series = compareSeriesFor(meta.id, cached.columns, COMPARE_REQUEST);
    const { requestId, metric, xAxis, smoothing } = COMPARE_REQUEST;
    const seriesBytes = JSON.stringify({ type: 'compareSeries', requestId, metric, xAxis, smoothing, series } satisfies CompareSeriesMessage).length;
    const tSeries = performance.now() - t1;
    clearInterval(ticker);
    const total = performance.now() - t;
    return `async read of ${snapshot.metrics.length.toLocaleString('en')} points in ${tRead.toFixed(0)} ms while a 10 ms timer ran ${ticks} times in ${total.toFixed(0)} ms; ` +
      `remember (config + columns in slices) ${tRemember.toFixed(0)} ms wall + state ${tState.toFixed(0)} ms in one turn (${(stateBytes / 1024).toFixed(1)} KB), ` +
      `series ${tSeries.toFixed(0)} ms (maxPoints ${COMPARE_REQUEST.maxPoints}: ${series.map((x) => `${x.key}${x.smoothed ? '~' : ''} ${x.rawCount.toLocaleString('en')}→${x.x.length}`).join(', ')}; ${(seriesBytes / 1024).toFixed(0)} KB posted)`;
  });

  // ── compare, sync read: the same curve from readRunSnapshot in one piece (the panel before warmCache), for reference.
  await phase('compare, sync read (old path, reference)', async () => {
    const t = performance.now();
    const snap = readRunSnapshot(writer.dir);
    const tRead = performance.now() - t;
    const columns = metricColumns(snap.metrics);
    const series = compareSeriesFor(writer.meta.id, columns, COMPARE_REQUEST);
    const { requestId, metric, xAxis, smoothing } = COMPARE_REQUEST;
    const posted = JSON.stringify({ type: 'compareSeries', requestId, metric, xAxis, smoothing, series } satisfies CompareSeriesMessage).length;
    return `read ${snap.metrics.length.toLocaleString('en')} points in ${tRead.toFixed(0)} ms; ${series.map((x) => `${x.key}${x.smoothed ? '~' : ''} ${x.rawCount.toLocaleString('en')}→${x.x.length}`).join(', ')}; ${(posted / 1024).toFixed(0)} KB posted`;
  });

  // ── dashboard: the panel opens on the run (the state message carries the snapshot).
  await phase('dashboard (read + state message)', async () => {
    const t = performance.now();
    const snap = readRunSnapshot(writer.dir);
    const tRead = performance.now() - t;
    // As dashboardPanel.postState: the step points downsampled on the host.
    const run = { ...snap, metrics: thinMetricsForDashboard(snap.metrics) };
    const message: DashboardStateMessage = { type: 'state', run, training: false };
    const posted = JSON.stringify(message).length;
    const unthinned = JSON.stringify({ ...message, run: snap }).length;
    return `read ${snap.metrics.length.toLocaleString('en')} points in ${tRead.toFixed(0)} ms; ${run.metrics.length.toLocaleString('en')} posted, ${mb(posted)} (all points would be ${mb(unthinned)})`;
  });

  // ── the same, with the run store's async reader (parses metrics.jsonl in slices, yielding between them).
  await phase('dashboard, async read (readRunSnapshotAsync)', async () => {
    const t = performance.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10); // other host work that wants to run every 10 ms
    const snap = await readRunSnapshotAsync(writer.dir);
    clearInterval(ticker);
    const tRead = performance.now() - t;
    const run = { ...snap, metrics: thinMetricsForDashboard(snap.metrics) };
    const posted = JSON.stringify({ type: 'state', run, training: false } satisfies DashboardStateMessage).length;
    return `read ${snap.metrics.length.toLocaleString('en')} points in ${tRead.toFixed(0)} ms while a 10 ms timer ran ${ticks} times; ${run.metrics.length.toLocaleString('en')} posted, ${mb(posted)}`;
  });

  // ── sweep: ten runs queued, two at a time, real trainer processes (dist/trainer.js) on the
  // house-prices example, every event through TrainingProcess as the host receives it, the
  // followed run's events serialized as the dashboard's posts.
  if (!process.argv.includes('--no-sweep')) {
    await phase('sweep: 10 runs queued, 2 at a time (real trainers)', async () => {
      const trainerScript = join(__dirname, '..', 'dist', 'trainer.js');
      if (!existsSync(trainerScript)) return 'skipped: dist/trainer.js is missing (npm run build)';
      const ws = join(dir, 'sweep');
      cpSync(join(__dirname, '..', 'examples', 'house-prices'), ws, { recursive: true });
      const configPath = join(ws, 'house-prices.experiment.json');
      const sweepRuns = join(ws, '.modellab', 'runs');
      const points: SweepPoint[] = Array.from({ length: 10 }, (_, index) => ({ index, params: { 'training.optimizer.learningRate': 0.001 * (index + 1) } }));
      let events = 0;
      let posted = 0;
      let followed: TrainingProcess | undefined;
      const queue = new SweepQueue<TrainingProcess, TrainingOutcome>(points, 2, {
        start: (point) => {
          const p: TrainingProcess = new TrainingProcess(
            {
              trainerScript,
              runtime: { execPath: process.execPath, env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)) },
              start: { type: 'start', configPath, runsDir: sweepRuns, backend: 'wasm', overrides: point.params, sweep: { id: 'load', index: point.index, total: points.length, params: point.params } },
            },
            {
              onEvent: (e) => {
                events++;
                if (p === followed) posted += JSON.stringify({ type: 'event', runId: p.runId, event: e }).length;
              },
              onOutput: () => undefined,
              onNote: () => undefined,
              onExit: () => undefined,
            },
          );
          followed = p; // the dashboard follows the newest point
          return p;
        },
        done: (p) => p.done,
        stop: (p) => p.stop(),
      });
      const results = await queue.run();
      const completed = results.filter((r) => r.outcome.status === 'completed').length;
      return `${completed}/${points.length} runs completed; ${events.toLocaleString('en')} trainer events received, ${(posted / 1024).toFixed(0)} KB posted to the followed run's dashboard`;
    });
  }

  clearInterval(rssTimer);
  console.log(`\n${'phase'.padEnd(48)}wall ms    loop delay p50 / p99 / max (ms)`);
  for (const r of results) {
    console.log(`${r.phase.padEnd(48)}${r.ms.toFixed(0).padStart(7)}    ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} / ${r.max.toFixed(0)}`);
    console.log(`  ${r.note}`);
  }
  console.log(`\npeak RSS ${mb(peakRss)}; RSS now ${mb(process.memoryUsage().rss)}`);
  rmSync(dir, { recursive: true, force: true });
}

void main();
