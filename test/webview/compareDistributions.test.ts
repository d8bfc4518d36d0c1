// The compare panel's Distributions card in a real browser: two runs' bands
// of the chosen layer side by side on one value axis (the run whose weights
// spread wider draws the thicker band), and a badge on the run whose
// gradients vanish.
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/compareDistributions.test.ts

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { tensorStats } from '../../src/core/distributions';
import type { LayerDistributions } from '../../src/core/distributions';
import type { CompareRun, HostToCompareMessage } from '../../src/core/protocol/compare';
import { DARK_THEME, launchWebviewPages, pagePerTest, postToPage, type WebviewPageSpec } from '../helpers/webviewPage';

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

let page: Page;
pagePerTest(
  () => launchWebviewPages(COMPARE_PAGE, { theme: DARK_THEME, context: { viewport: { width: 1280, height: 1000 } } }),
  (opened) => {
    page = opened.page;
  },
);

function run(id: string, label: string): CompareRun {
  return { id, name: 'house-prices', label, status: 'completed', createdAt: '2025-03-01T10:00:00.000Z', params: {}, final: {}, points: 0 };
}

const spreadValues = (n: number, spread: number) => Array.from({ length: n }, (_, i) => -spread + (2 * spread * i) / (n - 1));

/** Five epochs of two layers; the hidden kernel's weights spread to `spread`; `dead` makes its gradients zero. */
function lines(spread: number, dead: boolean): LayerDistributions[] {
  return [1, 2, 3, 4, 5].flatMap((epoch) => [
    { epoch, layer: '#1 Dense', tensors: [{ name: 'kernel', shape: [10, 64], weights: tensorStats(spreadValues(640, (spread * epoch) / 5)), gradients: tensorStats(dead ? new Array(640).fill(0) : spreadValues(640, 0.01)) }] },
    { epoch, layer: '#2 Dense', tensors: [{ name: 'kernel', shape: [64, 1], weights: tensorStats(spreadValues(64, 0.3)), gradients: tensorStats(spreadValues(64, 0.01)) }] },
  ]);
}

/** Painted rows (alpha above 20) in the canvas column just inside the plot's right edge. */
async function rightEdgeThickness(selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel) as HTMLCanvasElement;
    const ratio = window.devicePixelRatio || 1;
    const x = canvas.width - Math.round(10 * ratio);
    const data = canvas.getContext('2d')!.getImageData(x, 0, 1, canvas.height - 20 * ratio).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 20) painted++;
    return painted / ratio;
  }, selector);
}

test('two runs’ bands of the chosen layer side by side, on one axis, with a badge on the run whose gradients vanish', async () => {
  const runs = [run('run-a', 'lr 0.001'), run('run-b', 'lr 10')];
  await postToPage<HostToCompareMessage>(page, { type: 'compareState', runs, metrics: ['loss'] });
  await postToPage<HostToCompareMessage>(page, { type: 'compareDistributions', runs: [{ runId: 'run-a', lines: lines(1, false) }, { runId: 'run-b', lines: lines(3, true) }] });
  await page.locator('#compare-distributions-card').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#compare-distributions-title').textContent(), 'Distributions of weights and gradients');
  assert.deepEqual(await page.locator('#compare-distributions-layer option').allTextContents(), ['#1 Dense', '#2 Dense']);
  const figures = page.locator('#compare-distributions figure');
  assert.deepEqual(await figures.evaluateAll((fs) => fs.map((f) => [f.getAttribute('data-run'), f.getAttribute('data-health'), f.querySelector('.badge')?.textContent ?? ''])), [
    ['run-a', 'ok', ''],
    ['run-b', 'vanishing', 'vanishing gradients'],
  ]);
  // One axis over [-3, 3]: run a's last band (±1) is a third as thick as run b's (±3).
  const a = await rightEdgeThickness('#compare-distributions canvas[data-run="run-a"]');
  const b = await rightEdgeThickness('#compare-distributions canvas[data-run="run-b"]');
  assert.ok(b > 70, `run b's band: ${b} px`);
  assert.ok(a > 0.2 * b && a < 0.45 * b, `run a's band ${a} px against run b's ${b} px`);
  // Another layer: both runs' bands of it, no badge.
  await page.locator('#compare-distributions-layer').selectOption('#2 Dense');
  await page.waitForFunction(() => [...document.querySelectorAll('#compare-distributions figure')].every((f) => f.getAttribute('data-health') === 'ok'));
  const a2 = await rightEdgeThickness('#compare-distributions canvas[data-run="run-a"]');
  const b2 = await rightEdgeThickness('#compare-distributions canvas[data-run="run-b"]');
  assert.ok(Math.abs(a2 - b2) <= 1, `same weights, same band: ${a2} vs ${b2} px`);
});
