// The Compare Runs page in a real browser: the HTML the host renders, served
// from a loopback server with a stub VS Code API, fed the protocol's messages
// (the series made by the host's own code from generated runs), and checked
// by what a user sees (curve colours in the canvas pixels, table cells) and
// what the host would receive (posted messages). Every test has a page of its
// own, so any of them passes alone and in any order.
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/compare.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { compareSeriesFor, curveMetrics, metricColumns, type MetricColumns } from '../../src/core/compareSeries';
import { parseCompareMessage } from '../../src/core/protocol/compare';
import type { CompareRun, CompareSeriesMessage, CompareSeriesRequest, CompareStateMessage, HostToCompareMessage } from '../../src/core/protocol/compare';
import { finalMetrics, flattenConfig } from '../../src/core/runComparison';
import type { MetricPoint } from '../../src/core/types';
import { canvasRgb, cspViolations, DARK_THEME, launchWebviewPages, pagePerTest, plotColourStats, postedMessages, postToPage, waitForPosted, webviewResultsDir as resultsDir, type PostedMessage, type WebviewPage, type WebviewPageSpec } from '../helpers/webviewPage';

// ───────────────────────── fixture runs ─────────────────────────

function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

interface FixtureRun {
  info: CompareRun;
  columns: MetricColumns;
}

const EPOCHS = 8;
const STEPS = 25;

/** A run whose loss falls to `floor`; runs differ in learning rate and (one) batch size. */
function fixtureRun(index: number, lr: number, batchSize: number, floor: number): FixtureRun {
  const points: MetricPoint[] = [];
  for (let e = 1; e <= EPOCHS; e++) {
    let sum = 0;
    for (let s = 1; s <= STEPS; s++) {
      const step = (e - 1) * STEPS + s;
      const loss = floor + 1.5 * Math.exp(-step / 40) + 0.06 * noise(step + index * 1000);
      sum += loss;
      points.push({ kind: 'step', step, epoch: e, time: step * (40 + index * 15), values: { loss } });
    }
    const loss = sum / STEPS;
    points.push({ kind: 'epoch', step: e * STEPS, epoch: e, time: e * STEPS * (40 + index * 15), values: { loss, val_loss: loss * 1.1, mae: Math.sqrt(loss), val_mae: Math.sqrt(loss * 1.1) } });
  }
  const id = `20250301-10000${index}-house-prices-${String(index).padStart(4, '0')}`;
  const config = {
    name: 'house-prices',
    task: 'regression',
    data: { source: 'data/houses.csv', features: ['rooms', 'age'], split: { validation: 0.2, test: 0.1, seed: 42 } },
    model: { layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { optimizer: { type: 'adam', learningRate: lr }, loss: 'mse', epochs: EPOCHS, batchSize, seed: 1 },
  };
  const info: CompareRun = {
    id,
    name: 'house-prices',
    label: `run ${index + 1} (lr ${lr})`,
    status: 'completed',
    createdAt: `2025-03-01T10:00:0${index}.000Z`,
    backend: 'wasm',
    params: flattenConfig(config),
    final: finalMetrics({}, points, { task: 'regression', split: 'test', count: 10, metrics: { mse: floor, mae: Math.sqrt(floor), rmse: Math.sqrt(floor), r2: 1 - floor }, samples: [] }),
    points: points.length,
  };
  return { info, columns: metricColumns(points) };
}

const RUNS = [fixtureRun(0, 0.003, 32, 0.2), fixtureRun(1, 0.01, 32, 0.5), fixtureRun(2, 0.03, 32, 0.8), fixtureRun(3, 0.003, 16, 1.1)];

function stateMessage(runs: readonly FixtureRun[]): CompareStateMessage {
  return { type: 'compareState', runs: runs.map((r) => r.info), metrics: curveMetrics(runs.map((r) => r.columns)) };
}

/** What the host answers, made by the host's own code. */
function seriesAnswer(runs: readonly FixtureRun[], request: CompareSeriesRequest): CompareSeriesMessage {
  return {
    type: 'compareSeries',
    requestId: request.requestId,
    metric: request.metric,
    xAxis: request.xAxis,
    smoothing: request.smoothing,
    series: runs.flatMap((r) => compareSeriesFor(r.info.id, r.columns, request)),
  };
}

// ───────────────────────── harness ─────────────────────────

let webview: WebviewPage;
let page: Page;

async function posted(): Promise<PostedMessage[]> {
  return postedMessages(page);
}

async function post(msg: HostToCompareMessage): Promise<void> {
  await postToPage(page, msg);
}

/** Waits for the page's next series request after `after` posted messages, checks it as the host would, and returns it. */
async function nextRequest(after: number): Promise<CompareSeriesRequest> {
  await waitForPosted(page, 'requestSeries', after);
  const all = await posted();
  const raw = all.slice(after).filter((m) => m.type === 'requestSeries').pop();
  const parsed = parseCompareMessage(raw);
  assert.equal(typeof parsed, 'object', `the host would reject the request: ${String(parsed)}`);
  return parsed as CompareSeriesRequest;
}

async function answer(runs: readonly FixtureRun[], request: CompareSeriesRequest): Promise<void> {
  const msg = seriesAnswer(runs, request);
  await post(msg);
  const expected = msg.series.length;
  await page.waitForFunction((n) => document.querySelector('#compare-chart')?.getAttribute('data-series') === String(n), expected);
}

/** Pixels of each colour inside the chart's plot area (axes and labels left out), by colour. */
async function colourCounts(colours: string[]): Promise<number[]> {
  const stats = await plotColourStats(page, '#compare-chart', await canvasRgb(page, colours), { left: 0.08, bottom: 0.88, tolerance: 16, minAlpha: 200 });
  return stats.map((s) => s.count);
}

async function legendColours(): Promise<string[]> {
  return page.locator('#run-legend li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-color') ?? ''));
}

async function tableKeys(table: string): Promise<string[]> {
  return page.locator(`${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key') ?? ''));
}

const COMPARE_PAGE: WebviewPageSpec = {
  bundles: [{ entryPoints: { compare: 'webview/src/compare/main.ts' } }],
  title: 'Compare Runs',
  script: '/dist/compare.js',
  styles: ['/media/dashboard.css', '/media/compare.css'],
  files: {
    '/dist/compare.js': 'dist/compare.js',
    '/dist/compare.js.map': 'dist/compare.js.map',
    '/media/dashboard.css': 'media/dashboard.css',
    '/media/compare.css': 'media/compare.css',
  },
};

/** Shows the four fixture runs: the state, then the answer to the page's first series request (returned). */
async function showFourRuns(): Promise<CompareSeriesRequest> {
  const before = (await posted()).length;
  await post(stateMessage(RUNS));
  const request = await nextRequest(before);
  await answer(RUNS, request);
  return request;
}

pagePerTest(
  () => launchWebviewPages(COMPARE_PAGE, { theme: DARK_THEME, context: { viewport: { width: 1280, height: 1000 } } }),
  (opened) => {
    webview = opened;
    page = opened.page;
  },
);

// ───────────────────────── tests ─────────────────────────

test('before any run arrives the page says how to start a comparison', async () => {
  assert.deepEqual(await posted(), [{ type: 'ready' }]);
  assert.match((await page.locator('#compare-empty').textContent()) ?? '', /Select runs in the Model Lab sidebar/);
  assert.equal(await page.locator('#compare').isVisible(), false);
});

test('four runs: the page asks for loss curves and draws every run in its own colour', async () => {
  const before = (await posted()).length;
  await post(stateMessage(RUNS));
  const request = await nextRequest(before);
  assert.equal(request.metric, 'loss');
  assert.equal(request.xAxis, 'step');
  assert.equal(request.smoothing, 0.6);
  assert.ok(request.maxPoints >= 400 && request.maxPoints <= 16_000, `maxPoints ${request.maxPoints}`);
  await answer(RUNS, request);

  // Per run: raw steps, their smoothed twin and val_loss per epoch.
  assert.equal(await page.locator('#compare-chart').getAttribute('data-series'), String(RUNS.length * 3));
  assert.equal(await page.locator('#compare-count').textContent(), '4 runs');
  assert.deepEqual(await page.locator('#metric-select vscode-option').allTextContents(), ['loss', 'mae']);

  const colours = await legendColours();
  assert.equal(colours.length, 4);
  assert.equal(new Set(colours).size, 4, `four different colours: ${colours.join(', ')}`);
  const counts = await colourCounts(colours);
  for (let i = 0; i < 4; i++) assert.ok(counts[i] > 150, `run ${i + 1}'s colour ${colours[i]} is drawn (${counts[i]} pixels; all: ${counts.join(', ')})`);
  await page.screenshot({ path: join(resultsDir, 'compare.png'), fullPage: true });
});

test('the parameter table shows every run\'s settings; "differences only" keeps the two that differ', async () => {
  await showFourRuns();
  const all = await tableKeys('#params-table');
  assert.ok(all.length >= 15, `${all.length} parameter rows`);
  assert.ok(all.includes('data.source') && all.includes('model.layers[0].units'));
  const lrCells = await page.locator('#params-table tr[data-key="training.optimizer.learningRate"] td').allTextContents();
  assert.deepEqual(lrCells, ['0.003', '0.01', '0.03', '0.003']);

  await page.locator('#differences-only').click();
  await page.waitForFunction(() => document.querySelectorAll('#params-table tbody tr').length === 2);
  assert.deepEqual(await tableKeys('#params-table'), ['training.optimizer.learningRate', 'training.batchSize']);
  assert.deepEqual(await page.locator('#params-table tr[data-key="training.batchSize"] td').allTextContents(), ['32', '32', '32', '16']);
  // Final metrics all differ, so they all stay.
  assert.deepEqual(await tableKeys('#metrics-table'), ['loss', 'val_loss', 'mae', 'val_mae', 'evaluation.mse', 'evaluation.mae', 'evaluation.rmse', 'evaluation.r2']);
  const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vscode-state') ?? '{}'));
  assert.equal(saved.options.differencesOnly, true);
  assert.deepEqual(saved.runIds, RUNS.map((r) => r.info.id));
});

test('a long run name shows whole, and each number sits under its own run\'s header', async () => {
  const long = 'house-prices-with-a-rather-long-name · learningRate=0.0003 · batchSize=64 · units=128';
  const runs = RUNS.map((r, i) => (i === 1 ? { ...r, info: { ...r.info, label: long } } : r));
  const before = (await posted()).length;
  await post(stateMessage(runs));
  await answer(runs, await nextRequest(before));
  const link = page.locator(`#metrics-table thead th[data-run-id="${runs[1].info.id}"] .run-link`);
  assert.equal(await link.textContent(), long);
  const fits = await link.evaluate((a) => a.scrollWidth <= a.clientWidth + 1 && a.getBoundingClientRect().height > 0);
  assert.ok(fits, 'the name wraps inside its column instead of being cut off');
  const placement = await page.locator('#metrics-table').evaluate((table) => {
    const heads = [...table.querySelectorAll('thead th[data-run-id]')].map((th) => ({ id: th.getAttribute('data-run-id'), box: th.getBoundingClientRect() }));
    const misplaced: string[] = [];
    for (const td of table.querySelectorAll('tbody td[data-run-id]')) {
      const value = td.querySelector('.value')!.getBoundingClientRect();
      const head = heads.find((h) => h.id === td.getAttribute('data-run-id'))!.box;
      // The number starts near its header's left edge (the cell's padding), never near the next column.
      if (value.left < head.left || value.left > head.left + 16) misplaced.push(`${td.getAttribute('data-run-id')}: ${value.left.toFixed(0)} vs ${head.left.toFixed(0)}`);
    }
    return { cells: table.querySelectorAll('tbody td[data-run-id]').length, misplaced };
  });
  assert.ok(placement.cells >= 4, `metric cells: ${placement.cells}`);
  assert.deepEqual(placement.misplaced, []);
  await page.screenshot({ path: join(resultsDir, 'compare-long-name.png'), fullPage: true });
});

test('parallel coordinates: an axis per parameter that differs and one for val_loss; brushing filters, a line opens its run', async () => {
  const before = (await posted()).length;
  await post(stateMessage(RUNS));
  await answer(RUNS, await nextRequest(before));
  await page.locator('#parallel-svg').waitFor();
  assert.deepEqual(await page.locator('#parallel-svg .parallel-axis-title').allTextContents(), ['learningRate', 'batchSize', 'val_loss']);
  assert.equal(await page.locator('#parallel-svg .parallel-line').count(), RUNS.length);

  // Drag the val_loss axis from its bottom to its middle: the better half of the runs stays.
  const values = RUNS.map((r) => r.info.final.val_loss);
  const middle = (Math.min(...values) + Math.max(...values)) / 2;
  const better = RUNS.filter((r) => r.info.final.val_loss <= middle).map((r) => r.info.id).sort();
  assert.ok(better.length > 0 && better.length < RUNS.length, `the fixture splits: ${values.join(', ')}`);
  const strip = await page.locator('#parallel-svg .parallel-axis[data-axis="2"] .parallel-strip').boundingBox();
  const x = strip!.x + strip!.width / 2;
  const bottom = strip!.y + strip!.height - 4;
  const top = strip!.y + 4;
  await page.mouse.move(x, bottom + 1);
  await page.mouse.down();
  await page.mouse.move(x, (bottom + top) / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => (document.querySelector('#parallel-status')?.textContent ?? '') !== '');
  const active = await page.locator('#parallel-svg .parallel-line[data-active="true"]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-run-id')!).sort());
  assert.deepEqual(active, better);
  assert.equal(await page.locator('#parallel-status').textContent(), `${better.length} of ${RUNS.length} runs in the filtered ranges`);
  await page.screenshot({ path: join(resultsDir, 'compare-parallel.png'), fullPage: true });

  // Clear, then a line opens its run (by keyboard too).
  await page.locator('#parallel-clear').click();
  assert.equal(await page.locator('#parallel-svg .parallel-line[data-active="true"]').count(), RUNS.length);
  const first = page.locator(`#parallel-svg .parallel-line[data-run-id="${better[0]}"]`);
  await first.dispatchEvent('click');
  await page.waitForFunction((id) => (window as unknown as { __posted: { type: string; runId?: string }[] }).__posted.some((m) => m.type === 'openRun' && m.runId === id), better[0]);
  await first.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => (window as unknown as { __posted: { type: string; runId?: string }[] }).__posted.filter((m) => m.type === 'openRun' && m.runId === id).length === 2, better[0]);
});

test('pinning a baseline shows the other runs\' differences to it, better in green and worse in red', async () => {
  await showFourRuns();
  const base = RUNS[1].info;
  await page.locator(`#metrics-table th[data-run-id="${base.id}"] button.pin`).click();
  await page.waitForFunction((id) => document.querySelector(`#metrics-table th[data-run-id="${id}"] button.pin`)?.getAttribute('aria-pressed') === 'true', base.id);
  const cell = (runId: string) => page.locator(`#metrics-table tr[data-key="val_loss"] td[data-run-id="${runId}"]`);
  assert.equal(await cell(base.id).locator('.delta').count(), 0, 'no delta in the baseline column');
  const better = cell(RUNS[0].info.id).locator('.delta');
  const worse = cell(RUNS[2].info.id).locator('.delta');
  assert.equal(await better.getAttribute('data-better'), 'true');
  assert.equal(await worse.getAttribute('data-better'), 'false');
  const expected = RUNS[0].info.final.val_loss - base.final.val_loss;
  const text = (await better.textContent()) ?? '';
  assert.match(text, /^−0\.3\d*\s\(−\d+(\.\d)?%\)$/, text);
  const shown = Number(text.slice(1).split(' ')[0]);
  assert.ok(Math.abs(shown - Math.abs(expected)) < 0.001, `${text} vs ${expected}`);
  // r2 is better higher: run 1 (lower loss, higher r2) is better there too.
  assert.equal(await page.locator(`#metrics-table tr[data-key="evaluation.r2"] td[data-run-id="${RUNS[0].info.id}"] .delta`).getAttribute('data-better'), 'true');
  // Parameters that differ from the baseline are marked.
  const changed = await page.locator('#params-table td.changed').evaluateAll((tds) => tds.map((td) => `${td.closest('tr')!.getAttribute('data-key')}:${td.textContent}`));
  assert.deepEqual(changed.sort(), ['training.batchSize:16', 'training.optimizer.learningRate:0.003', 'training.optimizer.learningRate:0.003', 'training.optimizer.learningRate:0.03'].sort());
  await page.screenshot({ path: join(resultsDir, 'compare-baseline.png'), fullPage: true });
});

test('x axis, smoothing and metric ask the host again; log scale only redraws; stale answers are dropped', async () => {
  await showFourRuns();
  let before = (await posted()).length;
  await page.locator('vscode-radio[value="time"]').click();
  const byTime = await nextRequest(before);
  assert.equal(byTime.xAxis, 'time');
  await answer(RUNS, byTime);
  const titled = await page.locator('#compare-chart').getAttribute('aria-label');
  assert.match(titled ?? '', /^Curves of loss for each compared run: run 1 \(lr 0\.003\) loss/);

  before = (await posted()).length;
  await page.locator('#smoothing').fill('0');
  const unsmoothed = await nextRequest(before);
  assert.equal(unsmoothed.smoothing, 0);
  // An answer to the older request arrives late: ignored.
  await post(seriesAnswer(RUNS, { ...byTime, smoothing: 0.6 }));
  await answer(RUNS, unsmoothed);
  assert.equal(await page.locator('#compare-chart').getAttribute('data-series'), String(RUNS.length * 2), 'no smoothed twins');

  before = (await posted()).length;
  const pointsBefore = await page.locator('#compare-chart').getAttribute('data-points');
  await page.locator('#log-scale').click();
  await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('vscode-state') ?? '{}').options?.logScale === true);
  assert.equal((await posted()).slice(before).filter((m) => m.type === 'requestSeries').length, 0, 'the scale is the page\'s business');
  assert.equal(await page.locator('#compare-chart').getAttribute('data-points'), pointsBefore);
  await page.locator('#log-scale').click();

  before = (await posted()).length;
  await page.evaluate(() => {
    const select = document.querySelector('#metric-select') as HTMLElement & { value: string };
    select.value = 'mae';
    select.dispatchEvent(new Event('change'));
  });
  const mae = await nextRequest(before);
  assert.equal(mae.metric, 'mae');
  await answer(RUNS, mae);
  // mae exists per epoch only: one train and one validation series per run.
  assert.equal(await page.locator('#compare-chart').getAttribute('data-series'), String(RUNS.length * 2));
});

test('exporting posts a PNG of the chart and asks for the CSV', async () => {
  await showFourRuns();
  let before = (await posted()).length;
  await page.locator('#export-png').click();
  await waitForPosted(page, 'exportPng', before);
  const png = (await posted()).slice(before).find((m) => m.type === 'exportPng')!;
  const parsed = parseCompareMessage(png);
  assert.equal(typeof parsed, 'object', `the host would reject it: ${String(parsed)}`);
  const bytes = Buffer.from(String(png.dataUrl).split(',')[1], 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(bytes.length > 5_000, `a PNG of ${bytes.length} bytes`);

  before = (await posted()).length;
  await page.locator('#export-csv').click();
  await waitForPosted(page, 'exportCsv', before);
});

test('a run name opens the run; × asks the host to remove it', async () => {
  await showFourRuns();
  let before = (await posted()).length;
  await page.locator('#run-legend .run-link').first().click();
  await waitForPosted(page, 'openRun', before);
  assert.deepEqual((await posted()).slice(before).filter((m) => m.type === 'openRun'), [{ type: 'openRun', runId: RUNS[0].info.id }]);
  before = (await posted()).length;
  await page.locator(`#metrics-table th[data-run-id="${RUNS[3].info.id}"] button.remove`).click();
  await waitForPosted(page, 'removeRun', before);
  assert.deepEqual((await posted()).slice(before).filter((m) => m.type === 'removeRun'), [{ type: 'removeRun', runId: RUNS[3].info.id }]);
});

test('any number of runs: twelve runs get twelve distinguishable colours', async () => {
  const many = Array.from({ length: 12 }, (_, i) => fixtureRun(i, Number((0.001 * (i + 1)).toFixed(3)), 32, 0.1 + i * 0.15));
  const before = (await posted()).length;
  await post(stateMessage(many));
  const request = await nextRequest(before);
  await answer(many, request);
  const colours = await legendColours();
  assert.equal(colours.length, 12);
  // Distinct as the canvas renders them, and far enough apart to tell (RGB distance).
  const rgb = await canvasRgb(page, colours);
  for (let i = 0; i < rgb.length; i++) {
    for (let j = i + 1; j < rgb.length; j++) {
      const d = Math.hypot(rgb[i][0] - rgb[j][0], rgb[i][1] - rgb[j][1], rgb[i][2] - rgb[j][2]);
      // (VS Code's own orange and yellow, the closest pair of its chart palette, are about 40 apart.)
      assert.ok(d > 39, `colours ${i + 1} (${colours[i]}) and ${j + 1} (${colours[j]}) are only ${d.toFixed(0)} apart`);
    }
  }
  const counts = await colourCounts(colours);
  assert.ok(counts.filter((n) => n > 30).length >= 11, `most runs' colours are visible: ${counts.join(', ')}`);
  await page.screenshot({ path: join(resultsDir, 'compare-12-runs.png') });
});

test('a run with a million logged points: the host sends a few thousand, the page draws them at once', async (t) => {
  const n = 1_000_000;
  const points: MetricPoint[] = new Array(n);
  for (let i = 0; i < n; i++) points[i] = { kind: 'step', step: i + 1, epoch: Math.floor(i / 10_000) + 1, time: i * 2, values: { loss: 0.2 + Math.exp(-i / 150_000) + 0.05 * noise(i) } };
  const big: FixtureRun = { info: { ...RUNS[0].info, id: 'big-run', label: 'a million steps', points: n }, columns: metricColumns(points) };
  const runs = [big, RUNS[1]];
  const before = (await posted()).length;
  await post(stateMessage(runs));
  const request = await nextRequest(before);
  const started = performance.now();
  const msg = seriesAnswer(runs, request);
  const hostMs = performance.now() - started;
  const bigSeries = msg.series.filter((s) => s.runId === 'big-run');
  for (const s of bigSeries) {
    assert.equal(s.rawCount, n);
    assert.ok(s.x.length <= request.maxPoints, `${s.x.length} points sent for ${request.maxPoints}`);
  }
  const drawMs = await page.evaluate(async (m) => {
    const t0 = performance.now();
    window.postMessage(m, '*');
    while (document.querySelector('#compare-chart')?.getAttribute('data-logged-points') !== String(1_000_000 + 200 + 8)) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return performance.now() - t0;
  }, msg);
  t.diagnostic(`host: smoothed and downsampled 1,000,000 points in ${hostMs.toFixed(0)} ms; page drew ${await page.locator('#compare-chart').getAttribute('data-points')} points in ${drawMs.toFixed(0)} ms`);
  assert.ok(hostMs < 3000, `host side took ${hostMs.toFixed(0)} ms`);
  assert.ok(drawMs < 1500, `the page took ${drawMs.toFixed(0)} ms`);
  const colours = await legendColours();
  const counts = await colourCounts(colours);
  assert.ok(counts[0] > 200, `the big run is drawn (${counts[0]} pixels)`);
});

test('no CSP violations and no console errors', async () => {
  // (Every test's page is checked after it too.)
  const request = await showFourRuns();
  assert.equal(request.metric, 'loss');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(webview.errors, []);
});

test('a cluster run followed from its files says how long ago they changed, counting on between updates', async () => {
  const cluster = { ...RUNS[0], info: { ...RUNS[0].info, status: 'running' as const, updatedAt: Date.now() - 7_000 } };
  const before = (await posted()).length;
  await post(stateMessage([cluster, RUNS[1]]));
  await answer([cluster, RUNS[1]], await nextRequest(before));
  const subs = page.locator('#metrics-table thead th[data-run-id] .column-sub');
  const first = ((await subs.nth(0).textContent()) ?? '').trim();
  const seconds = Number(/^running · updated (\d+) s ago$/.exec(first)?.[1]);
  assert.ok(seconds >= 7 && seconds < 60, `the cluster run's column says "${first}"`);
  assert.equal(((await subs.nth(1).textContent()) ?? '').trim(), 'completed', 'a run not followed says only its status');
  // The page counts on by itself: the host posts again only when the run's files change.
  await page.waitForFunction(
    ([selector, shown]) => {
      const m = /updated (\d+) s ago/.exec(document.querySelector(selector)?.textContent ?? '');
      return !!m && Number(m[1]) > shown;
    },
    ['#metrics-table thead th[data-run-id] .column-sub', seconds] as const,
    { timeout: 10_000 },
  );
});

test('the folds of a cross-validation are one band: their mean line in the first fold\'s colour, the other folds\' own curves not drawn', async () => {
  const fold = (r: FixtureRun, index: number): FixtureRun => ({ ...r, info: { ...r.info, fold: { id: 'cv-20250301-100000-abcd', index, k: 3 } } });
  const runs = [fold(RUNS[0], 0), fold(RUNS[1], 1), fold(RUNS[2], 2), RUNS[3]];
  const before = (await posted()).length;
  await post(stateMessage(runs));
  const request = await nextRequest(before);
  await post(seriesAnswer(runs, request));
  // loss (smoothed steps) and val_loss (epochs): two bands of three datasets each, and the fourth run's three curves.
  await page.waitForFunction(() => document.querySelector('#compare-chart')?.getAttribute('data-bands') === '2');
  assert.equal(await page.locator('#compare-chart').getAttribute('data-series'), String(2 * 3 + 3));
  const colours = await legendColours();
  const counts = await colourCounts(colours);
  assert.ok(counts[0] > 150, `the band's mean line in fold 1's colour (${counts.join(', ')})`);
  assert.ok(counts[1] < 20 && counts[2] < 20, `folds 2 and 3 are not drawn one by one (${counts.join(', ')})`);
  assert.ok(counts[3] > 150, `the other run keeps its curves (${counts.join(', ')})`);
  await page.screenshot({ path: join(resultsDir, 'compare-folds.png'), fullPage: true });
});
