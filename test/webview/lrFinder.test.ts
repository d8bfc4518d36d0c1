// The Find Learning Rate page in a real browser: the HTML the host renders,
// fed the host's state (a range test made by the core's own schedule,
// smoothing and suggestion on a synthetic loss curve), checked by what a user
// sees — the axis is logarithmic (the marked suggestion sits where a log axis
// puts it, in the canvas pixels), the suggestion and its reason in words —
// and by what the host receives (apply).
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/lrFinder.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { lrAtStep, LR_FIND_DEFAULTS, roundLearningRate, smoothedLosses, suggestLearningRate } from '../../src/core/lrFinder';
import type { LrFinderStateMessage } from '../../src/core/protocol/lrFinder';
import { canvasRgb, DARK_THEME, launchWebviewPages, pagePerTest, postedMessages, postToPage, waitForPosted, webviewResultsDir as resultsDir, type WebviewPageSpec } from '../helpers/webviewPage';

const LR_PAGE: WebviewPageSpec = {
  bundles: [{ entryPoints: { lrFinder: 'webview/src/lrFinder/main.ts' } }],
  title: 'Find Learning Rate',
  script: '/dist/lrFinder.js',
  styles: ['/media/dashboard.css'],
  files: {
    '/dist/lrFinder.js': 'dist/lrFinder.js',
    '/dist/lrFinder.js.map': 'dist/lrFinder.js.map',
    '/media/dashboard.css': 'media/dashboard.css',
  },
};

/** Flat at 2, falling fastest at 1e-3, lowest near 0.1, blowing up after. */
function syntheticLoss(lr: number): number {
  const x = Math.log10(lr);
  const fall = 0.2 + 1.8 / (1 + Math.exp(3 * (x + 3)));
  return x > -1 ? fall * Math.exp(4 * (x + 1)) : fall;
}

function finishedState(): LrFinderStateMessage {
  const lrs = Array.from({ length: 95 }, (_, i) => lrAtStep(i, LR_FIND_DEFAULTS));
  const losses = lrs.map(syntheticLoss);
  const smoothed = smoothedLosses(losses, 0.5);
  const points = lrs.map((lr, i) => ({ lr, loss: losses[i], smoothed: smoothed[i] }));
  const s = suggestLearningRate(points.map((p) => ({ lr: p.lr, loss: p.loss })), 0.5)!;
  return {
    type: 'lrState',
    configName: 'house-prices.experiment.json',
    status: 'done',
    end: 'diverged',
    configLr: 0.003,
    points,
    suggestion: { lr: s.lr, rounded: roundLearningRate(s.lr), slopePerDecade: s.slopePerDecade, minLossLr: s.minLossLr },
  };
}

let page: Page;
pagePerTest(
  () => launchWebviewPages(LR_PAGE, { theme: DARK_THEME, context: { viewport: { width: 1000, height: 800 } } }),
  (opened) => {
    page = opened.page;
  },
);

/** The centre of the pixels of `rgb` in the canvas, in canvas pixels. */
async function centreOf(rgb: number[]): Promise<{ x: number; y: number; count: number }> {
  return page.evaluate((c) => {
    const canvas = document.querySelector('#lr-chart') as HTMLCanvasElement;
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    let sx = 0;
    let sy = 0;
    let n = 0;
    // The legend's swatch sits at the bottom: only the plot area above it.
    for (let y = 0; y < height * 0.8; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (data[i + 3] > 200 && Math.abs(data[i] - c[0]) < 8 && Math.abs(data[i + 1] - c[1]) < 8 && Math.abs(data[i + 2] - c[2]) < 8) {
          sx += x;
          sy += y;
          n++;
        }
      }
    }
    return { x: sx / n, y: sy / n, count: n };
  }, rgb);
}

test('the loss against the learning rate on a log axis, the suggestion marked where a log axis puts it, and its reason', async () => {
  const state = finishedState();
  await postToPage(page, state);
  await page.locator('#lr-suggestion').filter({ hasText: 'Suggested' }).waitFor();
  const sug = state.suggestion!;
  assert.equal(await page.locator('#lr-suggestion').textContent(), `Suggested learning rate: ${sug.rounded}`);
  assert.match((await page.locator('#lr-reason').textContent()) ?? '', /^Why: the smoothed loss falls fastest there \(-1\.\d+ per decade of learning rate\), below its lowest at 0\.\d+, before it blows up\.$/);
  assert.equal(await page.locator('#lr-current').textContent(), 'The config has 0.003.');
  assert.match((await page.locator('#lr-status').textContent()) ?? '', /^Range test done: 95 steps\. Stopped once the smoothed loss passed 4× its best\.$/);
  const canvas = page.locator('#lr-chart');
  assert.equal(await canvas.getAttribute('data-x-scale'), 'logarithmic');
  const left = Number(await canvas.getAttribute('data-x-left'));
  const right = Number(await canvas.getAttribute('data-x-right'));
  const min = Number(await canvas.getAttribute('data-x-min'));
  const max = Number(await canvas.getAttribute('data-x-max'));
  assert.equal(min, 1e-7);
  // The red marker's centre, in CSS pixels, where log10 puts the suggested rate (a linear axis would put 1e-3 at the left edge).
  const [red] = await canvasRgb(page, [DARK_THEME['--vscode-charts-red']]);
  const marker = await centreOf(red);
  assert.ok(marker.count > 20, `${marker.count} marker pixels`);
  const ratio = await page.evaluate(() => window.devicePixelRatio);
  const expected = left + ((Math.log10(sug.lr) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (right - left);
  assert.ok(Math.abs(marker.x / ratio - expected) < 3, `marker at ${marker.x / ratio}, expected ${expected}`);
  assert.ok((expected - left) / (right - left) > 0.4, 'the suggestion sits mid-axis on a log scale');
  await page.screenshot({ path: join(resultsDir, 'lr-finder.png') });

  const before = (await postedMessages(page)).length;
  await page.locator('#lr-apply').click();
  await waitForPosted(page, 'apply', before);
  assert.match((await page.locator('#lr-apply').textContent()) ?? '', new RegExp(`^Apply ${String(sug.rounded).replace('.', '\\.')} to the config$`));
  await postToPage(page, { ...state, applied: sug.rounded });
  await page.locator('#lr-applied').filter({ hasText: 'written' }).waitFor();
  assert.equal(await page.locator('#lr-applied').textContent(), `${sug.rounded} written into the config (undo with Ctrl+Z in its editor).`);
});

test('while the test runs: the steps so far, no suggestion and nothing to apply; a failure is said', async () => {
  const state = finishedState();
  await postToPage(page, { ...state, status: 'running', end: undefined, suggestion: undefined, configLr: undefined, points: state.points.slice(0, 30) });
  await page.locator('#lr-status').filter({ hasText: 'Running' }).waitFor();
  assert.equal(await page.locator('#lr-status').textContent(), 'Running the range test… 30 steps');
  assert.equal(await page.locator('#lr-apply').isVisible(), false);
  assert.equal(await page.locator('#lr-suggestion').textContent(), '');
  await postToPage(page, { type: 'lrState', configName: 'x.experiment.json', status: 'failed', points: [], error: 'the config has 1 error(s)' });
  await page.locator('#lr-status').filter({ hasText: 'failed' }).waitFor();
  assert.equal(await page.locator('#lr-status').textContent(), 'The range test failed: the config has 1 error(s)');
  assert.equal(await page.locator('#lr-rerun').isVisible(), true);
});

test('the page speaks the language the host sends', async () => {
  const state = finishedState();
  await postToPage(page, { ...state, strings: { 'lr.suggested': '建议的学习率：{0}' } });
  await page.locator('#lr-suggestion').filter({ hasText: '建议' }).waitFor();
  assert.equal(await page.locator('#lr-suggestion').textContent(), `建议的学习率：${state.suggestion!.rounded}`);
});
