// The dashboard in a real browser: the page the host renders, served from a
// loopback server with a stub VS Code API, driven with the protocol's
// messages, and checked by what a user sees (canvas pixels, table cells,
// status text) and what the host would receive (posted messages). Every
// test has a page of its own and brings the run it needs there, so any of
// them passes alone and in any order.
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/*.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { logEvent, stageEvent } from '../../src/core/protocol/trainer';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { imagePreprocessLog, LOG_STRING_PREFIX, logText, modelSummaryLog, TRAINER_LOG_MESSAGES } from '../../src/core/trainerLogTable';
import type { DashboardEventMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import type { ClassificationEvaluation, MetricPoint, RegressionEvaluation, RunMeta, RunSnapshot } from '../../src/core/types';
import { cspViolations, DARK_THEME, DASHBOARD_PAGE, launchWebviewPages, LIGHT_THEME_OVERRIDES, pagePerTest, plotColourStats, postedMessages, postToPage, waitForPosted, webviewResultsDir as resultsDir, type ColourStats, type WebviewPage } from '../helpers/webviewPage';
import { houseRunMeta } from '../helpers/fixtures';
import { zhCnDashboardStrings } from '../helpers/zhCnStrings';
import { progressAfter, progressOfRun, shownEpoch } from '../../src/core/trainingProgress';
import { foldEpochBands } from '../../src/core/crossValidation';
import { MAX_CURVE_POINTS } from '../../src/core/curveThinning';

const DARK_BLUE = [0x37, 0x94, 0xff] as const;
const LIGHT_BLUE = [0x1a, 0x85, 0xff] as const;

// ───────────────────────── fixture data ─────────────────────────

const EPOCHS = 10;
const STEPS_PER_EPOCH = 20;

function meta(overrides: Partial<RunMeta> = {}): RunMeta {
  return houseRunMeta({ epochsPlanned: EPOCHS, ...overrides });
}

function regressionSnapshot(): RunSnapshot {
  return {
    meta: meta(),
    metrics: [],
    stages: { data: 'done', preprocess: 'done', training: 'running', evaluation: 'pending', deployment: 'pending' },
    summary: {
      inputShape: [null, 10],
      layers: [
        { name: 'dense_Dense1', type: 'Dense', outputShape: [null, 64], params: 704 },
        // A name from a user's file must show as text, never as markup.
        { name: '<img src=x onerror="window.__injected=1">', type: 'Dense', outputShape: [null, 1], params: 65 },
      ],
      totalParams: 769,
      trainableParams: 769,
    },
  };
}

/** Deterministic noise, so the pixels are the same on every run. */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

/** One epoch of points: STEPS_PER_EPOCH noisy, falling batch losses, then the epoch logs. */
function epochPoints(epoch: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  let sum = 0;
  for (let s = 1; s <= STEPS_PER_EPOCH; s++) {
    const step = (epoch - 1) * STEPS_PER_EPOCH + s;
    const loss = 0.08 + 2 * Math.exp(-step / 50) * (1 + 0.25 * noise(step));
    sum += loss;
    points.push({ kind: 'step', step, epoch, time: step * 10, values: { loss } });
  }
  const loss = sum / STEPS_PER_EPOCH;
  points.push({
    kind: 'epoch',
    step: epoch * STEPS_PER_EPOCH,
    epoch,
    time: epoch * STEPS_PER_EPOCH * 10,
    values: { loss, val_loss: loss * 1.15, mae: Math.sqrt(loss), val_mae: Math.sqrt(loss * 1.15), lr: 0.001 },
  });
  return points;
}

const regressionEvaluation: RegressionEvaluation = {
  task: 'regression',
  split: 'test',
  count: 50,
  metrics: { mse: 0.0123456, mae: 0.0876543, rmse: 0.111110, r2: 0.873125 },
  samples: Array.from({ length: 50 }, (_, i): [number, number] => {
    const actual = 100 + i * 8;
    return [actual, actual + 25 * noise(i + 1000)];
  }),
};

const confusion = [
  [41, 3, 1],
  [5, 37, 2],
  [0, 4, 29],
];
const classificationEvaluation: ClassificationEvaluation = {
  task: 'classification',
  split: 'test',
  count: 122,
  labels: ['billing', 'shipping', 'returns & <refunds>'],
  metrics: { accuracy: 0.8770, macroPrecision: 0.8712, macroRecall: 0.8703, macroF1: 0.8706 },
  perClass: [
    { label: 'billing', precision: 0.8913, recall: 0.9111, f1: 0.9011, support: 45 },
    { label: 'shipping', precision: 0.8409, recall: 0.8409, f1: 0.8409, support: 44 },
    { label: 'returns & <refunds>', precision: 0.9063, recall: 0.8788, f1: 0.8923, support: 33 },
  ],
  confusion,
};

// ───────────────────────── harness ─────────────────────────

let webview: WebviewPage;
let page: Page;

async function post(msg: HostToWebviewMessage): Promise<void> {
  await postToPage(page, msg);
}

async function postEvent(runId: string, event: TrainerEvent): Promise<void> {
  const msg: DashboardEventMessage = { type: 'event', runId, event };
  await post(msg);
}

async function posted(): Promise<{ type: string }[]> {
  return postedMessages<{ type: string }>(page);
}

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent())?.trim() ?? '';
}

async function waitForPoints(selector: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([sel, n]) => document.querySelector(sel)?.getAttribute('data-points') === String(n),
    [selector, count] as const,
    { timeout: 10_000 },
  );
}

/**
 * Finds the pixels of one colour in a chart canvas, inside the plot area
 * (axis labels at the left, legend at the bottom left out), and their mean
 * height in the left and right thirds.
 */
async function colourStats(selector: string, rgb: readonly number[], minAlpha = 200): Promise<ColourStats> {
  const [stats] = await plotColourStats(page, selector, [rgb], { left: 0.12, bottom: 0.78, tolerance: 24, minAlpha });
  return stats!;
}

// ── runs as the host shows them, one stage after another

/** The house-prices run, just started: training, no metrics yet. */
async function showRunningRun(): Promise<void> {
  await post({ type: 'state', run: regressionSnapshot(), training: true });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
}

/** Ten epochs of live metrics for the running run, batched as the trainer sends them, and a log line; waits until the charts have every point. */
async function postTenEpochs(): Promise<void> {
  const runId = meta().id;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const points = epochPoints(epoch);
    // Batched like the trainer does: a few messages per epoch, not one per step.
    await postEvent(runId, { type: 'metrics', points: points.slice(0, 10) });
    await postEvent(runId, { type: 'metrics', points: points.slice(10) });
    const logs = points[points.length - 1].values;
    await postEvent(runId, { type: 'epoch', epoch, epochs: EPOCHS, logs, millis: 120 });
  }
  await postEvent(runId, { type: 'log', level: 'info', message: 'training finished <b>not bold</b>' });
  // Raw points plotted on the loss chart: 200 step losses + 10 epoch losses + 10 val_loss.
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  // The metric chart shows mae and val_mae (epoch points) by default.
  await waitForPoints('#metric-chart', 2 * EPOCHS);
}

/** The run's last stages, its evaluation and its end (completed); waits for the status. */
async function endRun(): Promise<void> {
  const runId = meta().id;
  await postEvent(runId, { type: 'stage', stage: 'training', status: 'done' });
  await postEvent(runId, { type: 'stage', stage: 'evaluation', status: 'done' });
  await postEvent(runId, { type: 'stage', stage: 'deployment', status: 'done', detail: 'saved model to model/' });
  await postEvent(runId, { type: 'evaluation', evaluation: regressionEvaluation });
  await postEvent(runId, {
    type: 'runEnded',
    meta: meta({ status: 'completed', epochsDone: EPOCHS, endedAt: '2025-01-01T12:00:09.000Z' }),
  });
  await page.waitForFunction(() => document.querySelector('#run-status')?.textContent === 'completed');
}

/** The run from its start to its end. */
async function showCompletedRun(): Promise<void> {
  await showRunningRun();
  await postTenEpochs();
  await endRun();
}

pagePerTest(
  () => launchWebviewPages(DASHBOARD_PAGE, { theme: DARK_THEME, context: { viewport: { width: 1280, height: 900 } } }),
  (opened) => {
    webview = opened;
    page = opened.page;
  },
);

// ───────────────────────── tests ─────────────────────────

test('posts ready on load and shows the empty state until a run arrives', async () => {
  await waitForPosted(page, 'ready');
  assert.deepEqual(await posted(), [{ type: 'ready' }]);
  await post({ type: 'state', run: null, training: false });
  await page.locator('#empty-state').waitFor({ state: 'visible' });
  assert.equal(await text('#empty-state'), 'No runs yet — press Train this config on an experiment config');
  assert.equal(await page.locator('#dashboard').isVisible(), false);
});

test('the backend badge says the engine threads the run trains with (none for native TensorFlow)', async () => {
  await showRunningRun();
  const runId = meta().id;
  const badge = (expected: string) => page.waitForFunction((want) => document.querySelector('#backend-badge')?.textContent === want, expected);
  await postEvent(runId, { type: 'backend', backend: 'wasm', fallbackReasons: [], threads: 2 });
  await badge('wasm · 2 threads');
  await postEvent(runId, { type: 'backend', backend: 'wasm', fallbackReasons: [], threads: 1 });
  await badge('wasm · 1 thread');
  await postEvent(runId, { type: 'backend', backend: 'tensorflow', fallbackReasons: [] });
  await badge('tensorflow');
});

test('a running regression run: header, stages and model summary', async () => {
  await showRunningRun();
  assert.equal(await text('#run-name'), 'house-prices');
  assert.equal(await text('#run-status'), 'running');
  assert.equal(await text('#backend-badge'), 'wasm');
  // No batch trained yet: no epoch (the status bar says "starting…", the CodeLens "Training…").
  assert.equal(await text('#epoch-progress'), '');
  assert.equal(await page.locator('#stop-button').isVisible(), true);
  assert.equal(await page.locator('#empty-state').isVisible(), false);
  assert.equal(await page.locator('#stages [data-stage="training"]').getAttribute('data-status'), 'running');

  const rows = await page.locator('#model-summary tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  );
  assert.deepEqual(rows, [
    ['dense_Dense1 (Dense)', '(None, 64)', '704'],
    ['<img src=x onerror="window.__injected=1"> (Dense)', '(None, 1)', '65'],
  ]);
  assert.match(await text('#model-summary'), /Total params: 769/);
  assert.equal(await page.locator('#model-summary img').count(), 0, 'a layer name is never parsed as HTML');
  assert.equal(await page.locator('#loss-chart').getAttribute('data-points'), '0');
});

test('while training, the header\'s epoch is the one being trained, the same number the host\'s status bar and CodeLens fold from the same events', async () => {
  await showRunningRun();
  const runId = meta().id;
  // What the host shows: the one fold of the trainer's events (node/trainingProcess.ts keeps it).
  let host = progressOfRun(regressionSnapshot().meta, []);
  const send = async (event: TrainerEvent): Promise<string> => {
    host = progressAfter(host, event);
    await postEvent(runId, event);
    const shown = shownEpoch(host);
    const expected = shown ? `epoch ${shown.epoch}/${shown.epochs}` : '';
    await page
      .waitForFunction((want) => document.querySelector('#epoch-progress')?.textContent === want, expected, { timeout: 10_000 })
      .catch(async (error: Error) => assert.fail(`#epoch-progress says "${await text('#epoch-progress')}", the host "${expected}" (${error.message})`));
    return expected;
  };
  const [one, two] = [epochPoints(1), epochPoints(2)];
  assert.equal(await send({ type: 'metrics', points: one.slice(0, 10) }), 'epoch 1/10');
  assert.equal(await send({ type: 'metrics', points: one.slice(10) }), 'epoch 1/10');
  assert.equal(await send({ type: 'epoch', epoch: 1, epochs: EPOCHS, logs: one[one.length - 1]!.values, millis: 120 }), 'epoch 1/10');
  // The second epoch's first batch: epoch 2 is being trained.
  assert.equal(await send({ type: 'metrics', points: two.slice(0, 10) }), 'epoch 2/10');
});

test('the Stop button posts stop', async () => {
  await showRunningRun();
  await page.locator('#stop-button').click();
  await waitForPosted(page, 'stop');
  assert.deepEqual((await posted()).filter((m) => m.type === 'stop'), [{ type: 'stop' }]);
});

test('live metrics over 10 epochs draw a falling train-loss curve', async () => {
  await showRunningRun();
  // Waits for 200 step losses + 10 epoch losses + 10 val_loss on the loss chart, mae and val_mae on the metric chart.
  await postTenEpochs();
  assert.equal(await text('#epoch-progress'), 'epoch 10/10');

  const stats = await colourStats('#loss-chart', DARK_BLUE);
  assert.ok(stats.count > 200, `train-loss colour drawn (${stats.count} pixels)`);
  assert.ok(
    stats.leftMeanY < stats.rightMeanY - 20,
    `the curve falls: mean y ${stats.leftMeanY.toFixed(1)} on the left is above ${stats.rightMeanY.toFixed(1)} on the right`,
  );
  const lines = await page.locator('#log .log-line').allTextContents();
  assert.deepEqual(lines, ['training finished <b>not bold</b>']);
});

test('the events a fast run sends together (one events message) show as the same events sent one by one: header, curves, log', async () => {
  await showRunningRun();
  const runId = meta().id;
  const events: TrainerEvent[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const points = epochPoints(epoch);
    events.push({ type: 'metrics', points: points.slice(0, 10) }, { type: 'metrics', points: points.slice(10) });
    events.push({ type: 'epoch', epoch, epochs: EPOCHS, logs: points[points.length - 1].values, millis: 120 });
  }
  events.push({ type: 'log', level: 'info', message: 'training finished <b>not bold</b>' });
  // Two messages, as the host's queue may cut them: after the first, epoch 6's first steps (epoch 6 is being trained).
  await post({ type: 'events', runId, events: events.slice(0, 16) });
  await page.waitForFunction(() => document.querySelector('#epoch-progress')?.textContent === 'epoch 6/10', undefined, { timeout: 10_000 });
  await post({ type: 'events', runId, events: events.slice(16) });
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  await waitForPoints('#metric-chart', 2 * EPOCHS);
  assert.equal(await text('#epoch-progress'), 'epoch 10/10');
  assert.deepEqual(await page.locator('#log .log-line').allTextContents(), ['training finished <b>not bold</b>']);
  // Events of another run are not drawn.
  await post({ type: 'events', runId: 'some-other-run', events: [{ type: 'epoch', epoch: 11, epochs: 20, logs: {}, millis: 1 }] });
  await page.waitForTimeout(100);
  assert.equal(await text('#epoch-progress'), 'epoch 10/10');
});

test('the chart toolbar switches axis, scale and smoothing', async () => {
  await showRunningRun();
  await postTenEpochs();
  const before = await colourStats('#loss-chart', DARK_BLUE);
  await page.locator('#log-scale').click();
  await page.locator('vscode-radio[value="epoch"]').click();
  await page.waitForFunction(() => {
    const s = sessionStorage.getItem('vscode-state');
    const charts = s ? JSON.parse(s).charts : undefined;
    return charts?.logScale === true && charts?.xAxis === 'epoch';
  });
  await page.locator('#smoothing').fill('0');
  await page.waitForFunction(() => document.querySelector('#smoothing-value')?.textContent === '0.00');
  // Same raw points, drawn differently: wait for the chart to be redrawn with the new view (the
  // controls and the saved state change first, the canvas at the next frame).
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  await page.waitForFunction(() => {
    const c = document.querySelector('#loss-chart');
    return c?.getAttribute('data-scale') === 'log' && c.getAttribute('data-x-axis') === 'epoch' && c.getAttribute('data-smoothing') === '0.00';
  });
  const after = await colourStats('#loss-chart', DARK_BLUE);
  assert.ok(after.count > 50 && after.leftMeanY < after.rightMeanY, 'still a falling curve');
  assert.notDeepEqual(after, before);
  // Back to the defaults for the screenshot.
  await page.locator('#log-scale').click();
  await page.locator('vscode-radio[value="step"]').click();
  await page.locator('#smoothing').fill('0.6');
  await page.waitForFunction(() => document.querySelector('#smoothing-value')?.textContent === '0.60');
});

test("a fold of a cross-validation shows its folds' mean ± std as a band behind its curves, on the step and the epoch axis", async () => {
  // The shown fold, completed, and two other folds 30% below and above it: bands for loss and val_loss, mae and val_mae.
  const shownPoints = Array.from({ length: EPOCHS }, (_, i) => epochPoints(i + 1)).flat();
  const scaled = (f: number) => shownPoints.filter((p) => p.kind === 'epoch').map((p) => ({ ...p, values: Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, v * f])) }));
  const fold = { id: 'cv-test', index: 0, k: 3 };
  const run: RunSnapshot = { ...regressionSnapshot(), meta: meta({ status: 'completed', epochsDone: EPOCHS, fold }), metrics: shownPoints };
  const foldBand = { groupId: fold.id, k: 3, series: foldEpochBands([shownPoints, scaled(0.7), scaled(1.3)], shownPoints) };
  await post({ type: 'state', run, training: false });
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  assert.equal(await page.locator('#loss-chart').getAttribute('data-fold-bands'), '0');
  // The band is the only wide translucent area: count the canvas's faint pixels (alpha well below a curve's), the curves alone, then with the band.
  const faint = (selector: string) =>
    page.evaluate((sel) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] >= 20 && data[i] <= 100) n++;
      return n;
    }, selector);
  const without = { loss: await faint('#loss-chart'), metric: await faint('#metric-chart') };
  await post({ type: 'state', run, training: false, foldBand });
  await page.waitForFunction(() => document.querySelector('#loss-chart')?.getAttribute('data-fold-bands') === '2');
  assert.equal(await page.locator('#metric-chart').getAttribute('data-fold-bands'), '2', 'mae and val_mae');
  const withBand = { loss: await faint('#loss-chart'), metric: await faint('#metric-chart') };
  assert.ok(withBand.loss > without.loss + 3000 && withBand.metric > without.metric + 3000, `the bands fill the plots: ${JSON.stringify(without)} → ${JSON.stringify(withBand)} faint pixels`);
  await page.locator('vscode-radio[value="epoch"]').click();
  await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscode-state') ?? '{}').charts?.xAxis === 'epoch');
  // Drawn on the epoch axis (the canvas is redrawn at the next frame, after the state is saved).
  await page.waitForFunction(() => document.querySelector('#metric-chart')?.getAttribute('data-x-axis') === 'epoch' && document.querySelector('#loss-chart')?.getAttribute('data-x-axis') === 'epoch');
  assert.equal(await page.locator('#loss-chart').getAttribute('data-fold-bands'), '2');
  assert.ok((await faint('#metric-chart')) > without.metric + 3000, 'on the epoch axis too');
  await page.locator('vscode-radio[value="step"]').click();
  // A run that is no fold: no band.
  await post({ type: 'state', run: { ...run, meta: meta({ status: 'completed', epochsDone: EPOCHS }) }, training: false });
  await page.waitForFunction(() => document.querySelector('#loss-chart')?.getAttribute('data-fold-bands') === '0');
});

test('a loss that falls over several decades gets a log axis until the user picks one, and the pick is kept', async () => {
  await showRunningRun();
  // 10 → 0.001: four decades. On a linear axis everything after the first steps is a flat line at 0.
  const points: MetricPoint[] = [];
  for (let step = 1; step <= 200; step++) points.push({ kind: 'step', step, epoch: Math.ceil(step / 20), time: step, values: { loss: 10 * Math.exp(-step / 20) + 0.001 } });
  await postEvent(meta().id, { type: 'metrics', points });
  await waitForPoints('#loss-chart', 200);
  const logBox = page.locator('#log-scale');
  await page.waitForFunction(() => (document.querySelector('#log-scale') as HTMLElement & { checked: boolean }).checked);
  assert.equal(await page.locator('#loss-chart').getAttribute('data-scale'), 'log');
  const log = await colourStats('#loss-chart', DARK_BLUE, 60);

  await logBox.click();
  await page.waitForFunction(() => {
    const s = sessionStorage.getItem('vscode-state');
    return s !== null && JSON.parse(s).charts?.logScale === false;
  });
  await page.waitForFunction(() => document.querySelector('#loss-chart')?.getAttribute('data-scale') === 'linear');
  const linear = await colourStats('#loss-chart', DARK_BLUE, 60);
  // On the linear axis the curve drops to the floor within the first steps and stays there;
  // the log axis spreads it over the plot's height, the tail included.
  assert.ok(linear.leftMeanY - log.leftMeanY > 60, `first third drawn ${(linear.leftMeanY - log.leftMeanY).toFixed(0)} px higher on the log axis`);
  assert.ok(linear.rightMeanY - log.rightMeanY > 15, `last third drawn ${(linear.rightMeanY - log.rightMeanY).toFixed(0)} px higher on the log axis`);

  // The user's choice outlives a reload of the page: still linear, though the loss spans four decades.
  await page.reload();
  await showRunningRun();
  await postEvent(meta().id, { type: 'metrics', points });
  await waitForPoints('#loss-chart', 200);
  assert.equal(await logBox.evaluate((b) => (b as HTMLElement & { checked: boolean }).checked), false);
});

test('evaluation and the end of the run', async () => {
  await showRunningRun();
  await postTenEpochs();
  // The last stages, the evaluation and runEnded; waits for "completed".
  await endRun();
  assert.equal(await page.locator('#stop-button').isVisible(), false);
  assert.equal(await page.locator('#train-button').isVisible(), true);
  assert.equal(await page.locator('#stages [data-stage="evaluation"]').getAttribute('data-status'), 'done');

  const metricRows = await page.locator('#evaluation-metrics tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]),
  );
  assert.deepEqual(metricRows, [
    ['mse', '0.01235'],
    ['mae', '0.08765'],
    ['rmse', '0.1111'],
    ['r2', '0.8731'],
  ]);
  // The scatter: sample points in the train colour, rising from left to right.
  await page.waitForFunction(() => (document.querySelector('#eval-scatter') as HTMLCanvasElement | null)?.width ?? 0 > 0);
  // The points are drawn at 60% opacity over a transparent canvas.
  const scatter = await colourStats('#eval-scatter', DARK_BLUE, 140);
  assert.ok(scatter.count > 20, `scatter points drawn (${scatter.count} pixels)`);
  assert.ok(scatter.leftMeanY > scatter.rightMeanY, 'predicted rises with actual');
  assert.deepEqual(await page.locator('#log .log-line').allTextContents(), [
    'training finished <b>not bold</b>',
    'deployment: saved model to model/',
  ]);

  await page.screenshot({ path: join(resultsDir, 'dashboard.png'), fullPage: true });
});

test("the trainer's log lines by message id are shown in the strings' language; plain ones as they came", async () => {
  const strings = {
    'stage.preprocess': '预处理',
    'stage.training': '训练',
    [`${LOG_STRING_PREFIX}stage.detail`]: '{0}：{1}',
    [`${LOG_STRING_PREFIX}stage.epochs`]: '{0} 轮',
    [`${LOG_STRING_PREFIX}stage.inputsSplits`]: '{0} 个输入；训练 {1}，验证 {2}，测试 {3}',
    [`${LOG_STRING_PREFIX}data.splits`]: '数据：训练 {0} · 验证 {1} · 测试 {2}',
    [`${LOG_STRING_PREFIX}callbacks.earlyStop`]: '第 {0} 轮提前停止：{1} 已 {2} 轮未改善',
    [`${LOG_STRING_PREFIX}summary.layer`]: '层（类型）',
    [`${LOG_STRING_PREFIX}summary.total`]: '参数总数：{0}',
    [`${LOG_STRING_PREFIX}backend.nativeNotInstalled`]: '未安装原生 TensorFlow（@tensorflow/tfjs-node）',
  };
  await post({ type: 'state', run: regressionSnapshot(), training: true, strings });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  const runId = meta().id;
  const summary = regressionSnapshot().summary!;
  // The usual fallback reason is ours; another is a module's own error, shown as it is.
  await postEvent(runId, { type: 'backend', backend: 'wasm', fallbackReasons: [TRAINER_LOG_MESSAGES['backend.nativeNotInstalled'], 'wasm backend: boom'] });
  const stage = stageEvent('preprocess', 'done', logText('stage.inputsSplits', 10, 140, 40, 20));
  assert.equal(stage.detail, '10 inputs; train 140, validation 40, test 20');
  await postEvent(runId, stage);
  await postEvent(runId, { type: 'summary', summary, dataSizes: { train: 140, validation: 40, test: 20 } });
  await postEvent(runId, logEvent('info', modelSummaryLog(summary)));
  await postEvent(runId, logEvent('info', logText('callbacks.earlyStop', 5, 'val_loss', 4)));
  // Not one of ours (an old trainer, a garbled id): its English text.
  await postEvent(runId, { type: 'log', level: 'warn', message: 'early stopping at epoch 6', id: 'no.such.message' as never, args: [] });
  await postEvent(runId, { type: 'log', level: 'info', message: 'a plain line' });
  await postEvent(runId, stageEvent('training', 'done', 'a plain detail'));
  await page.waitForFunction(() => document.querySelectorAll('#log .log-line').length === 9);
  const all = await page.locator('#log .log-line').allTextContents();
  assert.deepEqual(all.slice(0, 2), ['未安装原生 TensorFlow（@tensorflow/tfjs-node）', 'wasm backend: boom']);
  const lines = all.slice(2);
  assert.equal(lines[0], '预处理：10 个输入；训练 140，验证 40，测试 20');
  assert.equal(lines[1], '数据：训练 140 · 验证 40 · 测试 20');
  // The summary's table with the translated headings (English where the strings have none), the layer rows as they are.
  assert.match(lines[2]!, /层（类型）\s+Output shape\s+Param #/);
  assert.match(lines[2]!, /参数总数：\d/);
  assert.match(lines[2]!, /Trainable params: \d/);
  assert.deepEqual(lines.slice(3), ['第 5 轮提前停止：val_loss 已 4 轮未改善', 'early stopping at epoch 6', 'a plain line', '训练：a plain detail']);
});

test("a text classifier's and an image classifier's data and preprocessing lines are shown in Chinese with the zh-cn bundle's strings", async () => {
  await post({ type: 'state', run: regressionSnapshot(), training: true, strings: zhCnDashboardStrings() });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  const runId = meta().id;
  // As the trainer sends them: the English text (what the CLI prints) beside the id and arguments.
  const textDetail = logText('text.tokenizer.word.rows', 412, 160, 20, 20);
  const textStage = stageEvent('preprocess', 'done', textDetail);
  assert.equal(textStage.detail, 'word tokenizer, 412 tokens in the vocabulary; train 160, validation 20, test 20 rows');
  const augmented = { height: 14, width: 14, channels: 1, standardized: { mean: '33.1', std: '80.2' }, augment: [['flip'], ['shift', 10], ['rotate', 15]] as const };
  const imageStage = stageEvent('preprocess', 'done', imagePreprocessLog(augmented));
  assert.equal(imageStage.detail, "14×14×1, standardized with the training split's mean 33.1 and std 80.2; training images augmented (flip, shift ±10%, rotate ±15°)");
  const plainImageLine = logEvent('info', imagePreprocessLog({ height: 28, width: 28, channels: 3 }, true));
  assert.equal(plainImageLine.message, 'preprocess: 28×28×3, unit scaling (pixels / 255)');
  const events: TrainerEvent[] = [
    stageEvent('data', 'done', logText('stage.rows', 200)),
    textStage,
    logEvent('info', textDetail),
    logEvent('warn', logText('text.unseenClassSkipped', 3)),
    logEvent('info', logText('text.corpus', '12,345', '1,234', '1,200', 64)),
    stageEvent('data', 'done', logText('stage.images', '1,200', 10)),
    imageStage,
    logEvent('info', imagePreprocessLog(augmented, true)),
    plainImageLine,
  ];
  for (const e of events) await postEvent(runId, e);
  await page.waitForFunction((n) => document.querySelectorAll('#log .log-line').length === n, events.length);
  assert.deepEqual(await page.locator('#log .log-line').allTextContents(), [
    '数据：200 行',
    '预处理：单词分词器，词表共 412 个词元；训练 160，验证 20，测试 20 行',
    '单词分词器，词表共 412 个词元；训练 160，验证 20，测试 20 行',
    '已跳过 3 行：其类别从未出现在训练集中',
    '语料：训练 12,345，验证 1,234，测试 1,200 个词元；窗口长度 64',
    '数据：1,200 张图像，10 个类别',
    '预处理：14×14×1，按训练集的均值 33.1 和标准差 80.2 标准化；训练图像已增强（翻转、平移 ±10%、旋转 ±15°）',
    '预处理：14×14×1，按训练集的均值 33.1 和标准差 80.2 标准化；训练图像已增强（翻转、平移 ±10%、旋转 ±15°）',
    '预处理：28×28×3，单位缩放（像素 / 255）',
  ]);
});

test('the Train button posts train once training has ended', async () => {
  await showCompletedRun();
  await page.locator('#train-button').click();
  await waitForPosted(page, 'train');
});

test('the predict playground: a form from the model inputs, the prediction the host answers', async () => {
  await showCompletedRun();
  const runId = meta().id;
  type Posted = { type: string; requestId?: number; input?: unknown };
  const last = async (type: string) => ((await posted()) as Posted[]).filter((m) => m.type === type).pop();
  await page.locator('#playground-export').click();
  await page.locator('#playground-deploy').click();
  await waitForPosted(page, 'deployRun');
  assert.deepEqual(((await posted()) as unknown[]).slice(-2), [{ type: 'exportRun', runId }, { type: 'deployRun', runId }]);
  await page.locator('#playground-load').click();
  await waitForPosted(page, 'describeModel');
  const describe = await last('describeModel');
  await post({
    type: 'prediction',
    requestId: describe!.requestId!,
    runId,
    signature: { kind: 'tabular', task: 'regression', target: 'price', inputs: [{ name: 'rooms', dtype: 'number' }, { name: '<b>district</b>', dtype: 'string', categories: ['north', 'south'], optional: true }] },
  });
  await page.waitForSelector('#playground-form select');
  assert.equal(await page.locator('#playground-load').isVisible(), false);
  assert.deepEqual(await page.locator('#playground-form label').allTextContents(), ['rooms', '<b>district</b>']);
  assert.deepEqual(await page.locator('#playground-form select option').allTextContents(), ['(missing)', 'north', 'south']);
  await page.locator('#playground-form input').fill('3');
  await page.locator('#playground-form select').selectOption('south');
  await page.locator('#playground-predict').click();
  await waitForPosted(page, 'predict');
  const predict = await last('predict');
  assert.deepEqual(predict!.input, { rooms: 3, '<b>district</b>': 'south' });
  // A reply to another run is not this page's business.
  await post({ type: 'prediction', requestId: predict!.requestId!, runId: 'another-run', prediction: { value: -1 } });
  await post({ type: 'prediction', requestId: predict!.requestId!, runId, prediction: { value: 371.25 }, millis: 4 });
  await page.waitForFunction(() => document.querySelector('.playground-value')?.textContent === 'price ≈ 371.25');
  assert.equal(await text('#playground-status'), 'Answered in 4 ms');
  // An empty required number is stopped by the form itself; an error from the host is shown.
  await page.locator('#playground-form input').fill('');
  await page.locator('#playground-predict').click();
  assert.equal(((await posted()) as Posted[]).filter((m) => m.type === 'predict').length, 1);
  await page.locator('#playground-form select').selectOption('');
  await page.locator('#playground-form input').fill('-2');
  await page.locator('#playground-predict').click();
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string; requestId?: number }[] }).__posted.filter((m) => m.type === 'predict').length === 2);
  const second = await last('predict');
  assert.deepEqual(second!.input, { rooms: -2, '<b>district</b>': null });
  await post({ type: 'prediction', requestId: second!.requestId!, runId, error: 'the inference process exited with code 1' });
  await page.waitForFunction(() => document.querySelector('#playground-status')?.textContent === 'Prediction failed: the inference process exited with code 1');
});

test('the playground of a recommender shows k\'s default, and scores as the tables print them', async () => {
  await showCompletedRun();
  const runId = meta().id;
  type Posted = { type: string; requestId?: number; input?: unknown };
  const last = async (type: string) => ((await posted()) as Posted[]).filter((m) => m.type === type).pop();
  await page.locator('#playground-load').click();
  await waitForPosted(page, 'describeModel');
  const signature = {
    kind: 'recommender' as const,
    task: 'recommendation' as const,
    inputs: [
      { name: 'user', dtype: 'string' as const, categories: ['u1', 'u2'] },
      { name: 'k', dtype: 'number' as const, optional: true, default: 10 },
    ],
  };
  await post({ type: 'prediction', requestId: (await last('describeModel'))!.requestId!, runId, signature });
  await page.waitForSelector('#playground-form input');
  assert.equal(await page.locator('#playground-form input').getAttribute('placeholder'), 'default: 10');
  await page.locator('#playground-predict').click();
  await waitForPosted(page, 'predict');
  const request = await last('predict');
  assert.deepEqual(request!.input, { user: 'u1', k: null });
  const items = [{ item: 'i7', score: 0.81234567 }, { item: 'i3', score: 0.0123456 }];
  await post({ type: 'prediction', requestId: request!.requestId!, runId, prediction: { items }, millis: 20 });
  await page.waitForSelector('#playground-items li');
  assert.deepEqual(await page.locator('#playground-items li').allTextContents(), ['i7 (0.8123)', 'i3 (0.01235)']);
  assert.equal(await text('#playground-status'), 'Answered in 20 ms');
});

test('the embedding projector: shown for a model with an embedding table, points drawn, search highlights, hover lists neighbours', async () => {
  // A plain MLP has no embedding table: no projector.
  await showCompletedRun();
  assert.equal(await page.locator('#projector').isVisible(), false);

  const runId = meta().id;
  const snapshot = regressionSnapshot();
  const summary = { ...snapshot.summary!, layers: [{ name: 'item_embedding', type: 'Embedding', outputShape: [null, 1, 16], params: 3200 }, ...snapshot.summary!.layers] };
  await post({ type: 'state', run: { ...snapshot, summary, meta: meta({ status: 'completed', epochsDone: EPOCHS }) }, training: false });
  await page.locator('#projector').waitFor({ state: 'visible' });
  await page.locator('#projector-load').click();
  await waitForPosted(page, 'projectEmbeddings');
  const request = ((await posted()) as { type: string; requestId?: number; method?: string }[]).filter((m) => m.type === 'projectEmbeddings').pop()!;
  assert.equal(request.method, 'pca');
  // Two clusters of 25 items; each item's neighbours are the next ones of its cluster.
  const n = 50;
  const labels = Array.from({ length: n }, (_, i) => `i${i}`);
  const points = labels.map((_, i): [number, number] => [(i < 25 ? -5 : 5) + (i % 5) * 0.3, (i < 25 ? -5 : 5) + Math.floor((i % 25) / 5) * 0.3]);
  const neighbours = labels.map((_, i) => [1, 2, 3].map((k) => (i < 25 ? (i + k) % 25 : 25 + ((i - 25 + k) % 25))));
  const similarities = labels.map(() => [0.99, 0.95, 0.9]);
  const result = { tables: [{ name: 'users', size: 300, dim: 16 }, { name: 'items', size: n, dim: 16 }], table: 'items', method: 'pca' as const, labels, points, neighbours, similarities, explained: [0.41, 0.22] as [number, number] };
  await post({ type: 'embeddings', requestId: request.requestId!, runId, result, millis: 35 });
  await page.waitForFunction(() => document.querySelector('#projector-canvas')?.getAttribute('data-points') === '50');
  assert.equal(await text('#projector-status'), '50 of 50 rows · the PCA axes explain 41% and 22% of the variance · computed in 35 ms');
  assert.deepEqual(await page.locator('#projector-table option').allTextContents(), ['users (300 × 16)', 'items (50 × 16)']);
  assert.equal(await page.locator('#projector-table').inputValue(), 'items');

  // Search: i1 and i10–i19 contain "i1".
  await page.locator('#projector-search').fill('i1');
  await page.waitForFunction(() => document.querySelector('#projector-canvas')?.getAttribute('data-matches') === '11');

  // Hover item 7: its neighbours with their similarities.
  const at = await page.locator('#projector-canvas').evaluate((c: HTMLCanvasElement, p: [number, number][]) => {
    const xs = p.map((q) => q[0]);
    const ys = p.map((q) => q[1]);
    const width = c.getBoundingClientRect().width;
    const height = c.getBoundingClientRect().height;
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    return { x: 24 + ((p[7][0] - x0) / (x1 - x0)) * (width - 48), y: height - 24 - ((p[7][1] - y0) / (y1 - y0)) * (height - 48) };
  }, points);
  await page.locator('#projector-canvas').scrollIntoViewIfNeeded();
  const box = (await page.locator('#projector-canvas').boundingBox())!;
  await page.mouse.move(box.x + at.x, box.y + at.y);
  await page.waitForFunction(() => !(document.querySelector('#projector-tooltip') as HTMLElement).hidden);
  assert.equal(await page.locator('#projector-tooltip').getAttribute('data-index'), '7');
  assert.equal(await page.locator('#projector-tooltip').textContent(), 'i7\nNearest by cosine similarity:\n  i8  0.990\n  i9  0.950\n  i10  0.900');
  await page.locator('#projector').screenshot({ path: join(resultsDir, 'projector.png') });

  // Another layout: asked for with the table shown; an error is said in the card.
  await page.locator('#projector-method').selectOption('umap');
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'projectEmbeddings').length === 2);
  const second = ((await posted()) as { type: string; requestId?: number; method?: string; table?: string }[]).filter((m) => m.type === 'projectEmbeddings').pop()!;
  assert.deepEqual({ method: second.method, table: second.table }, { method: 'umap', table: 'items' });
  await post({ type: 'embeddings', requestId: second.requestId!, runId, error: 'the inference process exited with code 1' });
  await page.waitForFunction(() => document.querySelector('#projector-status')?.textContent === 'The projection failed: the inference process exited with code 1');
});

test('after a reload the view comes back from the saved state', async () => {
  await showCompletedRun();
  await page.reload();
  // No state from the host yet: what is shown comes from getState.
  await waitForPosted(page, 'ready');
  assert.equal(await text('#run-status'), 'completed');
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  assert.equal(await text('#evaluation-metrics tr[data-metric="r2"] td'), '0.8731');
  assert.equal(await page.locator('#log .log-line').count(), 2);
  const stats = await colourStats('#loss-chart', DARK_BLUE);
  assert.ok(stats.count > 200 && stats.leftMeanY < stats.rightMeanY);
});

test('a classification run shows the confusion matrix with its counts and shading', async () => {
  const snapshot: RunSnapshot = {
    meta: meta({ id: 'intents-1', name: 'intents', task: 'classification', status: 'completed', epochsDone: 5, epochsPlanned: 5, backend: 'cpu' }),
    metrics: [1, 2, 3, 4, 5].map((epoch) => ({
      kind: 'epoch' as const,
      step: epoch * 4,
      epoch,
      time: epoch * 100,
      values: { loss: 1 / epoch, val_loss: 1.2 / epoch, accuracy: 0.5 + epoch * 0.07, val_accuracy: 0.45 + epoch * 0.08 },
    })),
    evaluation: classificationEvaluation,
    stages: { data: 'done', preprocess: 'done', training: 'done', evaluation: 'done', deployment: 'skipped' },
  };
  await post({ type: 'state', run: snapshot, training: false });
  await page.waitForFunction(() => document.querySelector('#run-name')?.textContent === 'intents');
  const cells = await page.locator('#confusion-matrix tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))),
  );
  assert.deepEqual(cells, confusion);
  const header = await page.locator('#confusion-matrix thead th').allTextContents();
  assert.deepEqual(header.slice(1), classificationEvaluation.labels);
  const shade = (i: number, j: number) =>
    page.locator(`#confusion-matrix td[data-actual="${i}"][data-predicted="${j}"]`).evaluate((td) => getComputedStyle(td).backgroundColor);
  assert.notEqual(await shade(0, 0), await shade(2, 0), 'a full cell is shaded, an empty one is not');
  assert.match(await shade(2, 0), /[,/] 0\)$|transparent/, 'an empty cell is not shaded');
  const headline = await page.locator('#evaluation-metrics tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]),
  );
  assert.deepEqual(headline[0], ['accuracy', '0.877']);
  await waitForPoints('#loss-chart', 10);
  await waitForPoints('#metric-chart', 10);
  assert.equal(await page.locator('#stop-button').isVisible(), false);
  await page.screenshot({ path: join(resultsDir, 'dashboard-classification.png'), fullPage: true });
});

test('a failed run shows its error', async () => {
  const snapshot: RunSnapshot = {
    meta: meta({ id: 'broken-1', name: 'broken', status: 'failed', error: 'Column "price" not found in data/houses.csv' }),
    metrics: [],
    warnings: ['metrics.jsonl: line 3 is truncated and was skipped'],
  };
  await post({ type: 'state', run: snapshot, training: false });
  await page.waitForFunction(() => document.querySelector('#run-status')?.textContent === 'failed');
  assert.equal(await text('#run-error'), 'Run failed: Column "price" not found in data/houses.csv');
  assert.deepEqual(await page.locator('#log .log-line').allTextContents(), ['metrics.jsonl: line 3 is truncated and was skipped']);
});

test('a language-model run shows perplexity and generated text', async () => {
  const snapshot: RunSnapshot = {
    meta: meta({ id: 'poems-1', name: 'poems', task: 'language-model', status: 'stopped', epochsDone: 3 }),
    metrics: [],
    evaluation: {
      task: 'language-model',
      split: 'validation',
      count: 4096,
      metrics: { loss: 1.6094, perplexity: 5.0 },
      samples: ['The sea <is> wide and deep', '春眠不觉晓，处处闻啼鸟'],
      prompts: ['The sea ', '春眠'],
    },
  };
  await post({ type: 'state', run: snapshot, training: false });
  await page.waitForFunction(() => document.querySelector('#run-status')?.textContent === 'stopped');
  assert.equal(await text('#evaluation-metrics tr[data-metric="perplexity"] td'), '5');
  const samples = await page.locator('#generated-samples li').evaluateAll((lis) =>
    lis.map((li) => [li.querySelector('.prompt')?.textContent, li.textContent]),
  );
  assert.deepEqual(samples, [
    ['The sea ', 'The sea <is> wide and deep'],
    ['春眠', '春眠不觉晓，处处闻啼鸟'],
  ]);
});

test('a long fast run stays cheap and bounded: 150,000 step points keep at most MAX_CURVE_POINTS per curve, with its spike and its latest value', async (t) => {
  const runId = 'long-1';
  await post({ type: 'state', run: { meta: meta({ id: runId, name: 'long', epochsPlanned: 500 }), metrics: [] }, training: true });
  await page.waitForFunction(() => document.querySelector('#run-name')?.textContent === 'long');
  const total = 150_000;
  const spikeStep = 54_321;
  const lastLoss = 0.432;
  // Built and posted inside the page, as fast as the host could: the time measured is the dashboard's.
  // A falling noisy loss of about 0.1–1.1 (one decade: a linear axis), a spike of 1000 at one step (five decades: a log axis), and a last value unlike its neighbours.
  const elapsed = await page.evaluate(async ([runId, total, spikeStep, lastLoss]) => {
    const started = performance.now();
    for (let first = 1; first <= total; first += 1000) {
      const points = [];
      for (let step = first; step < first + 1000; step++) {
        const r = Math.sin(step * 12.9898) * 43758.5453;
        const loss = step === spikeStep ? 1000 : step === total ? lastLoss : 1 / Math.sqrt(step) + 0.05 * (r - Math.floor(r) - 0.5) + 0.1;
        points.push({ kind: 'step', step, epoch: Math.ceil(step / 300), time: step, values: { loss } });
      }
      window.postMessage({ type: 'event', runId, event: { type: 'metrics', points } }, '*');
    }
    // (No named local functions in page code: the test transpiler would wrap them in a helper the page lacks.)
    while (!document.querySelector('#loss-chart')?.getAttribute('aria-label')?.endsWith(`loss (step) ${lastLoss}`)) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return performance.now() - started;
  }, [runId, total, spikeStep, lastLoss] as const);
  t.diagnostic(`150 batches of 1000 points drawn in ${Math.round(elapsed)} ms`);
  assert.ok(elapsed < 3000, `150 batches of 1000 points drawn in ${Math.round(elapsed)} ms`);
  // The latest value is drawn exactly (the chart's text for screen readers says each curve's latest value).
  assert.equal(await page.locator('#loss-chart').getAttribute('aria-label'), `Loss chart: loss (step) ${lastLoss}`);
  const drawn = Number(await page.locator('#loss-chart').getAttribute('data-points'));
  assert.ok(drawn <= MAX_CURVE_POINTS && drawn > MAX_CURVE_POINTS / 4, `${drawn} points drawn of ${total}`);
  // The spike survived the thinning: the loss spans five decades, so the chart chose a log axis.
  assert.equal(await page.locator('#loss-chart').getAttribute('data-scale'), 'log');
  const stats = await colourStats('#loss-chart', DARK_BLUE);
  assert.ok(stats.count > 100, `${stats.count} curve pixels`);
  // After a reload the same curve: the page saved its kept points (within a second of the last batch), not every point.
  await page.waitForFunction((step) => sessionStorage.getItem('vscode-state')?.includes(`"step":${step},`), total);
  await page.reload();
  await waitForPosted(page, 'ready');
  await page.waitForFunction(() => document.querySelector('#run-name')?.textContent === 'long');
  await waitForPoints('#loss-chart', drawn);
  assert.equal(await page.locator('#loss-chart').getAttribute('aria-label'), `Loss chart: loss (step) ${lastLoss}`);
});

test('a theme change recolours the charts', async () => {
  // A run with step losses only, so every curve is drawn in the theme's chart blue.
  const points: MetricPoint[] = [];
  for (let step = 1; step <= 3000; step++) points.push({ kind: 'step', step, epoch: Math.ceil(step / 300), time: step, values: { loss: 1 / Math.sqrt(step) + 0.05 * noise(step) + 0.1 } });
  await post({ type: 'state', run: { meta: meta({ id: 'steps-1', name: 'steps', epochsPlanned: 10 }), metrics: points }, training: true });
  await waitForPoints('#loss-chart', 3000);
  assert.ok((await colourStats('#loss-chart', DARK_BLUE)).count > 100, 'the train curve is drawn in the dark theme blue first');
  await page.evaluate((vars) => {
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
    document.body.classList.replace('vscode-dark', 'vscode-light');
  }, LIGHT_THEME_OVERRIDES);
  await page.waitForFunction(
    ([r, g, b]) => {
      const canvas = document.querySelector('#loss-chart') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) return true;
      }
      return false;
    },
    LIGHT_BLUE,
    { timeout: 5000 },
  );
  const light = await colourStats('#loss-chart', LIGHT_BLUE);
  assert.ok(light.count > 100, 'the train curve is drawn in the light theme blue');
  const dark = await colourStats('#loss-chart', DARK_BLUE);
  // (The two blues are close: a few blended edge pixels of the new one fall near the old.)
  assert.ok(dark.count < light.count * 0.05, `nothing is left in the dark theme blue (${dark.count} vs ${light.count})`);
  await page.screenshot({ path: join(resultsDir, 'dashboard-light.png') });
});

test('Resume: shown for a resumable run, posts resumeRun with its id, hidden while it trains and once it cannot resume', async () => {
  const stopped = meta({ id: 'r-stopped', status: 'stopped', epochsDone: 2, epochsPlanned: 10 });
  await post({ type: 'state', run: { meta: stopped, metrics: [] }, training: false, resumable: true });
  await page.waitForFunction(() => !(document.querySelector('#resume-button') as HTMLElement | null)?.hidden);
  assert.equal(await page.locator('#resume-button').isVisible(), true);
  // Resume is the primary action then; Train again steps back.
  assert.equal(await page.locator('#train-button').getAttribute('appearance'), 'secondary');
  await page.locator('#resume-button').click();
  await waitForPosted(page, 'resumeRun');
  assert.deepEqual(((await posted()) as unknown[]).slice(-1), [{ type: 'resumeRun', runId: 'r-stopped' }]);
  // The resumed run starts: training, no Resume.
  await post({ type: 'event', runId: 'r-stopped', event: { type: 'runStarted', runDir: '/runs/r-stopped', meta: { ...stopped, status: 'running' } } });
  await page.waitForFunction(() => (document.querySelector('#resume-button') as HTMLElement | null)?.hidden === true);
  assert.equal(await page.locator('#stop-button').isVisible(), true);
  // A message for another run changes nothing; one for this run hides or shows the button.
  await post({ type: 'event', runId: 'r-stopped', event: { type: 'runEnded', meta: { ...stopped, status: 'completed', epochsDone: 10 } } });
  await post({ type: 'resumable', runId: 'elsewhere', resumable: true });
  await post({ type: 'resumable', runId: 'r-stopped', resumable: false });
  assert.equal(await page.locator('#resume-button').isVisible(), false);
  assert.equal(await page.locator('#train-button').getAttribute('appearance'), 'primary');
});

test('no CSP violations and no console errors', async () => {
  // (Every test's page is checked after it too.)
  await showCompletedRun();
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(webview.errors, []);
  assert.equal(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected), undefined);
});

test('a cluster job followed from its files: its job line counts the files\' age on, and goes once the run is no longer followed', async () => {
  const job = { executor: 'slurm' as const, id: '1234', submittedAt: '2026-12-06T06:00:00.000Z', script: 'job.sh' };
  const snapshot = { ...regressionSnapshot(), meta: meta({ status: 'queued', job }) };
  await post({ type: 'state', run: snapshot, training: false, follow: { jobId: '1234', reason: 'Priority', updatedAt: Date.now() - 4_000 } });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  const queued = await text('#run-follow');
  const seconds = Number(/^job 1234 \(Priority\) · updated (\d+) s ago$/.exec(queued)?.[1]);
  assert.ok(seconds >= 4 && seconds < 60, `the job line says "${queued}"`);
  assert.equal(await text('#run-status'), 'queued');
  // Its Stop button cancels the job.
  assert.equal(await text('#stop-button'), 'Cancel job');
  const sent = (await posted()).length;
  await page.locator('#stop-button').click();
  await waitForPosted(page, 'stop', sent);
  // Between the host's re-reads (which come only when the files change) the age counts on by itself.
  await page.waitForFunction(
    (shown) => Number(/updated (\d+) s ago/.exec(document.querySelector('#run-follow')?.textContent ?? '')?.[1]) > shown,
    seconds,
    { timeout: 10_000 },
  );
  await post({ type: 'state', run: { ...snapshot, meta: meta({ status: 'running', job }) }, training: false, follow: { jobId: '1234', node: 'node07', updatedAt: Date.now() } });
  await page.waitForFunction(() => /^job 1234 on node07 · updated \d+ s ago$/.test(document.querySelector('#run-follow')?.textContent?.trim() ?? ''), undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(resultsDir, 'dashboard-cluster-job.png') });
  await post({ type: 'state', run: { ...snapshot, meta: meta({ status: 'completed', job }) }, training: false });
  await page.waitForFunction(() => (document.querySelector('#run-follow') as HTMLElement | null)?.hidden === true, undefined, { timeout: 10_000 });
  assert.equal(await page.locator('#stop-button').isVisible(), false, 'an ended job has nothing to cancel');
});

test('system metrics are offered in the metric choice after the model’s metrics, never drawn in the loss chart nor chosen by default', async () => {
  const metrics: MetricPoint[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    for (const p of epochPoints(epoch)) {
      // As the trainer writes them: every epoch point, and a step point now and then, carry system/ values.
      const system: Record<string, number> = p.kind === 'epoch' || p.step % 7 === 0 ? { 'system/cpu_percent': 95 + epoch, 'system/rss_mb': 180 + epoch, 'system/step_time_ms': 4.2, 'system/samples_per_sec': 7600 } : {};
      metrics.push({ ...p, values: { ...p.values, ...system } });
    }
  }
  await post({ type: 'state', run: { ...regressionSnapshot(), metrics }, training: false });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  // The loss chart: the step losses and the epoch loss and val_loss, as without system values.
  await waitForPoints('#loss-chart', EPOCHS * STEPS_PER_EPOCH + 2 * EPOCHS);
  // The metric chart keeps mae and val_mae by default.
  await waitForPoints('#metric-chart', 2 * EPOCHS);
  const options = await page.locator('#metric-select vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
  assert.deepEqual(options.filter((o) => o?.startsWith('system/')).sort(), ['system/cpu_percent', 'system/rss_mb', 'system/samples_per_sec', 'system/step_time_ms']);
  assert.ok(options.indexOf('mae') < options.indexOf('system/cpu_percent'), options.join(', '));
});

test("a run's log from its folder shows when the dashboard opens on it, and a live line it already holds is not shown twice", async () => {
  const strings = { [`${LOG_STRING_PREFIX}callbacks.earlyStop`]: '第 {0} 轮提前停止：{1} 已 {2} 轮未改善' };
  const early = logEvent('info', logText('callbacks.earlyStop', 5, 'val_loss', 4));
  const logs: RunSnapshot['logs'] = [
    { seq: 1, at: '2026-12-06T09:00:00.000Z', level: 'info', message: 'data: 140 rows' },
    { seq: 2, at: '2026-12-06T09:00:01.000Z', level: 'info', message: early.message, id: early.id, args: early.args },
    { seq: 3, at: '2026-12-06T09:00:02.000Z', level: 'warn', message: 'a warning from before the page opened' },
  ];
  await post({ type: 'state', run: { ...regressionSnapshot(), logs }, training: true, strings });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('#log .log-line').length === 3);
  assert.deepEqual(await page.locator('#log .log-line').allTextContents(), ['data: 140 rows', '第 5 轮提前停止：val_loss 已 4 轮未改善', 'a warning from before the page opened']);
  assert.equal(await page.locator('#log .log-warn').count(), 1);
  // The trainer's event of line 3 arrives after the host read the folder; then line 4.
  const runId = meta().id;
  await postEvent(runId, { type: 'log', level: 'warn', message: 'a warning from before the page opened', seq: 3 });
  await postEvent(runId, { type: 'log', level: 'info', message: 'epoch 6 done', seq: 4 });
  await page.waitForFunction(() => document.querySelectorAll('#log .log-line').length === 4);
  assert.deepEqual((await page.locator('#log .log-line').allTextContents()).slice(2), ['a warning from before the page opened', 'epoch 6 done']);
});
