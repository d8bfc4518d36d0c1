// The dashboard's Distributions card in a real browser: the host's
// `distributions` message for the shown run draws one band chart per layer
// (the bands widen on the canvas as the layer's values spread), a ridge plot
// of the chosen layer, and a badge with a sentence on the layer whose
// gradients vanish and on the one whose gradients explode.
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/distributions.test.ts

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { tensorStats } from '../../src/core/distributions';
import type { LayerDistributions } from '../../src/core/distributions';
import type { HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import type { RunSnapshot } from '../../src/core/types';
import { houseRunMeta } from '../helpers/fixtures';
import { DARK_THEME, DASHBOARD_PAGE, launchWebviewPages, pagePerTest, postToPage } from '../helpers/webviewPage';

let page: Page;
pagePerTest(
  () => launchWebviewPages(DASHBOARD_PAGE, { theme: DARK_THEME, context: { viewport: { width: 1280, height: 900 } } }),
  (opened) => {
    page = opened.page;
  },
);

const EPOCHS = 6;
const run: RunSnapshot = {
  meta: houseRunMeta({ epochsPlanned: EPOCHS, status: 'completed', epochsDone: EPOCHS }),
  metrics: [],
  stages: { data: 'done', preprocess: 'done', training: 'done', evaluation: 'done', deployment: 'done' },
};

/** `n` values evenly over [-spread, spread]. */
const spreadValues = (n: number, spread: number) => Array.from({ length: n }, (_, i) => -spread + (2 * spread * i) / (n - 1));

/** Three layers: a healthy one whose weights spread out epoch after epoch, one whose gradients are all zero, one with a NaN gradient. */
function lines(): LayerDistributions[] {
  const out: LayerDistributions[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    out.push({ epoch, layer: '#1 Dense', tensors: [{ name: 'kernel', shape: [10, 64], weights: tensorStats(spreadValues(640, epoch)), gradients: tensorStats(spreadValues(640, 0.01 * epoch)) }] });
    out.push({ epoch, layer: '#2 Dense', tensors: [{ name: 'kernel', shape: [64, 1], weights: tensorStats(spreadValues(64, 0.5)), gradients: tensorStats(new Array(64).fill(0)) }] });
    const exploding = epoch === EPOCHS ? [NaN, ...spreadValues(7, 1)] : spreadValues(8, 1);
    out.push({ epoch, layer: '#3 Dense', tensors: [{ name: 'bias', shape: [8], weights: tensorStats(spreadValues(8, 1)), gradients: tensorStats(exploding) }] });
  }
  return out;
}

async function showDistributions(): Promise<void> {
  await postToPage<HostToWebviewMessage>(page, { type: 'state', run, training: false });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  await postToPage<HostToWebviewMessage>(page, { type: 'distributions', runId: run.meta.id, lines: lines() });
  await page.locator('#distributions').waitFor({ state: 'visible' });
}

/** The painted rows (alpha above 20) of a canvas column at `share` of the plot's width: the band's thickness there. */
async function bandThickness(selector: string, share: number): Promise<number> {
  return page.evaluate(
    ([sel, s]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const ratio = window.devicePixelRatio || 1;
      // The plot starts after the 52 px of value labels and ends 8 px before the right edge; 8 px at the top, 20 below.
      const left = 52 * ratio;
      const x = Math.round(left + (canvas.width - left - 8 * ratio) * s);
      const data = canvas.getContext('2d')!.getImageData(x, 0, 1, canvas.height - 20 * ratio).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 20) painted++;
      return painted / ratio;
    },
    [selector, share] as const,
  );
}

test('one band chart per layer; the weights’ band widens on the canvas as the layer’s weights spread', async () => {
  await showDistributions();
  assert.equal(await page.locator('#distributions-title').textContent(), 'Distributions of weights and gradients');
  assert.deepEqual(await page.locator('#distributions figure').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-layer'))), ['#1 Dense', '#2 Dense', '#3 Dense']);
  await page.locator('#distributions-kind').selectOption('weights');
  const canvas = '#distributions canvas[data-layer="#1 Dense"]';
  const early = await bandThickness(canvas, 0.02);
  const late = await bandThickness(canvas, 0.98);
  // Spread 1 at epoch 1 and 6 at epoch 6, on one axis over [-6, 6] 82 px tall: about 14 px, then all 82.
  assert.ok(early > 5 && early < 25, `band at epoch 1: ${early} px`);
  assert.ok(late > 70, `band at epoch 6: ${late} px`);
  // The caption says what the layer holds and its share of zeros at the latest epoch.
  assert.match((await page.locator('#distributions figure[data-layer="#1 Dense"] figcaption').textContent()) ?? '', /kernel 10×64/);
});

test('vanishing and exploding gradients: a badge and a sentence on those layers, none on the healthy one', async () => {
  await showDistributions();
  const figure = (layer: string) => page.locator(`#distributions figure[data-layer="${layer}"]`);
  assert.equal(await figure('#1 Dense').getAttribute('data-health'), 'ok');
  assert.equal(await figure('#1 Dense').locator('.badge').count(), 0);
  assert.equal(await figure('#2 Dense').getAttribute('data-health'), 'vanishing');
  assert.equal(await figure('#2 Dense').locator('.badge').textContent(), 'vanishing gradients');
  assert.match((await figure('#2 Dense').locator('.distribution-warning').textContent()) ?? '', /At epoch 6 the largest gradient of #2 Dense is 0 against weights up to 0\.5/);
  assert.equal(await figure('#3 Dense').getAttribute('data-health'), 'exploding');
  assert.equal(await figure('#3 Dense').locator('.badge').textContent(), 'exploding gradients');
  assert.match((await figure('#3 Dense').locator('.distribution-warning').textContent()) ?? '', /\(1 not finite\)/);
});

test('the ridge plot draws the chosen layer’s histograms, one row per epoch', async () => {
  await showDistributions();
  await page.locator('#distributions-kind').selectOption('weights');
  // Painted rows per canvas column band: the ridge of 6 overlapping histograms fills most of the height.
  const painted = async () =>
    page.evaluate(() => {
      const c = document.querySelector('#distributions-ridge') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 20) n++;
      return n;
    });
  const first = await painted();
  assert.ok(first > 5000, `painted pixels of #1 Dense's ridge: ${first}`);
  assert.equal(await page.locator('#distributions-layer').inputValue(), '#1 Dense');
  await page.locator('#distributions-layer').selectOption('#3 Dense');
  await page.waitForFunction(() => (document.querySelector('#distributions-layer') as HTMLSelectElement).value === '#3 Dense');
  assert.notEqual(await painted(), first);
});
