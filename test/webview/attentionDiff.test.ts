// "What changed" (#17) in a real browser: a fine-tuned classifier's attention
// and its base's are posted as the host would, and the test checks what a
// user sees — the view toggle, both maps side by side on one scale, the
// difference drawn in the positive colour where attention grew and the
// negative one where it shrank (the background at 0), the legend's range, the
// largest changes, the keyboard, the light theme, zh-cn, and tokens that do
// not align (side by side only).
//
// Run: node --import tsx --test test/webview/attentionDiff.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { AttentionBaseInfo, DashboardAttentionMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import { DARK_THEME, DASHBOARD_PAGE, launchWebviewPages, LIGHT_THEME_OVERRIDES, pagePerTest, postToPage, webviewResultsDir as resultsDir } from '../helpers/webviewPage';
import { zhCnDashboardStrings } from '../helpers/zhCnStrings';

const BACKGROUND = [0x1e, 0x1e, 0x1e];
const BLUE = [0x37, 0x94, 0xff]; // --vscode-charts-blue (dark): attention grew
const ORANGE = [0xd1, 0x86, 0x16]; // --vscode-charts-orange: attention shrank

const TOKENS = ['<cls>', 'order', 'late'];
// 2 layers × 1 head. Layer 2's only changes: <cls> → <cls> −0.40, <cls> → late +0.40, late → order +0.10, late → late −0.10.
const BASE = [
  [[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]],
  [[[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.2, 0.3, 0.5]]],
];
const TUNED = [
  [[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]],
  [[[0.1, 0.3, 0.6], [0.2, 0.6, 0.2], [0.2, 0.4, 0.4]]],
];

function message(base: AttentionBaseInfo | undefined, baseTokens = TOKENS): DashboardAttentionMessage {
  const result = (tokens: string[], attention: number[][][][]) => ({ task: 'classification' as const, tokens, offsets: tokens.map(() => null), attention, truncated: false });
  return {
    type: 'attention',
    status: 'ready',
    model: { runId: 'tuned-1', name: 'intent-finetuned', task: 'classification', pinned: false },
    source: { file: 'notes/orders.txt', startLine: 1, endLine: 1, selection: false },
    result: result(TOKENS, TUNED),
    millis: 5,
    ...(base ? { base: base.status === 'ready' ? { ...base, result: result(baseTokens, BASE) } : base } : {}),
  };
}
const READY: AttentionBaseInfo = { kind: 'run', label: 'base-1', status: 'ready' };

let page: Page;
const post = (msg: HostToWebviewMessage) => postToPage(page, msg);

pagePerTest(
  () => launchWebviewPages(DASHBOARD_PAGE, { theme: DARK_THEME, keepState: false, context: { viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 } }),
  async (opened) => {
    page = opened.page;
    await post({ type: 'state', run: null, training: false });
  },
);

/** The pixel at the centre of a cell of the canvas `selector`. */
async function cellPixel(selector: string, query: number, key: number): Promise<number[]> {
  return page.evaluate(
    ([sel, q, k]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      const x = Number(canvas.dataset.originX) + (k + 0.5) * cell;
      const y = Number(canvas.dataset.originY) + (q + 0.5) * cell;
      const dpr = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data);
    },
    [selector, query, key] as const,
  );
}

function blend(colour: number[], alpha: number, background = BACKGROUND): number[] {
  return colour.map((c, i) => Math.round(c * alpha + background[i] * (1 - alpha)));
}

function near(actual: number[], expected: number[], tolerance = 3): boolean {
  return expected.every((v, i) => Math.abs(actual[i] - v) <= tolerance);
}

async function chooseLayer2(): Promise<void> {
  await page.locator('.attention-layer').selectOption({ value: '1' });
}

test('without a base there is no toggle and the map is the model’s own', async () => {
  await post(message(undefined));
  await page.locator('#attention[data-status="ready"] .attention-heatmap').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-view-modes').isVisible(), false);
  assert.equal(await page.locator('.attention-diff').isVisible(), false);
});

test('difference: grown attention in the positive colour, shrunk in the negative, unchanged the background; the legend reads the range', async () => {
  await post(message(READY));
  await page.locator('.attention-view-modes').waitFor({ state: 'visible' });
  // The toggle offers the three views; "this model" is today's map.
  assert.deepEqual(await page.locator('.attention-view-mode').allTextContents(), ['this model', 'base | fine-tuned', 'difference']);
  assert.equal(await page.locator('.attention-view-model').isChecked(), true);
  await chooseLayer2();
  await page.locator('.attention-view-difference').check();
  await page.locator('.attention-diff-map').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-map').isVisible(), false, 'the model’s own map makes way');
  assert.equal(await page.locator('.attention-diff-map').getAttribute('data-layer'), '1');
  // Largest |change| 0.40: +0.40 is the full positive colour, −0.40 the full negative one, ±0.10 a quarter of the way.
  const map = '.attention-diff-map';
  assert.ok(near(await cellPixel(map, 0, 2), BLUE), `+0.40 ${await cellPixel(map, 0, 2)}`);
  assert.ok(near(await cellPixel(map, 0, 0), ORANGE), `−0.40 ${await cellPixel(map, 0, 0)}`);
  assert.ok(near(await cellPixel(map, 2, 1), blend(BLUE, 0.25)), `+0.10 ${await cellPixel(map, 2, 1)}`);
  assert.ok(near(await cellPixel(map, 2, 2), blend(ORANGE, 0.25)), `−0.10 ${await cellPixel(map, 2, 2)}`);
  assert.ok(near(await cellPixel(map, 1, 1), BACKGROUND), `0 ${await cellPixel(map, 1, 1)}`);
  // The legend: −0.40 … +0.40, its left end the negative colour, its middle the background, its right end the positive one.
  const legend = page.locator('.attention-diff-scale');
  assert.equal(await legend.getAttribute('data-labels'), '−0.40|0|+0.40');
  assert.equal(await page.locator('.attention-diff-range').textContent(), '−0.40 … +0.40');
  assert.equal(await legend.getAttribute('aria-label'), 'change in attention weight: −0.40 … +0.40');
  const ends = await legend.evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    // The bar runs from x = 4 to 204 CSS px (dpr 1); its first row is the first whose left end is orange.
    const rows: number[][][] = [];
    for (let yy = 0; yy < c.height; yy++) rows.push([Array.from(ctx.getImageData(6, yy, 1, 1).data), Array.from(ctx.getImageData(202, yy, 1, 1).data)]);
    const bar = rows.findIndex(([left]) => left[3] > 200 && left[0] > 150 && left[2] < 80);
    return { left: Array.from(ctx.getImageData(6, bar + 4, 1, 1).data), right: Array.from(ctx.getImageData(202, bar + 4, 1, 1).data), mid: Array.from(ctx.getImageData(104, bar + 4, 1, 1).data) };
  });
  assert.ok(near(ends.left, ORANGE, 20), `legend left ${ends.left}`);
  assert.ok(near(ends.right, BLUE, 20), `legend right ${ends.right}`);
  // Around 0 the bar is the background.
  assert.ok(near(ends.mid, BACKGROUND, 12), `legend middle ${ends.mid}`);
  // The largest changes, in words, largest first (ties by position).
  assert.deepEqual(await page.locator('.attention-change').allTextContents(), ['<cls> → <cls>: −0.40', '<cls> → late: +0.40', 'late → order: +0.10', 'late → late: −0.10']);
  // Hovering a cell says both weights and the change.
  const g = await page.locator(map).evaluate((c: HTMLCanvasElement) => ({ cell: Number(c.dataset.cell), x: Number(c.dataset.originX), y: Number(c.dataset.originY) }));
  await page.locator(map).hover({ position: { x: g.x + 2.5 * g.cell, y: g.y + 0.5 * g.cell } });
  await page.locator('.attention-diff-tooltip').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-diff-tooltip').textContent(), '<cls> → late: base 0.2000, fine-tuned 0.6000, change +0.40');
  await page.locator('#attention').screenshot({ path: join(resultsDir, 'attention-difference.png') });
  // Layer 1 did not change: nothing listed, the map empty.
  await page.locator('.attention-layer').selectOption({ value: '0' });
  assert.deepEqual(await page.locator('.attention-change').allTextContents(), ['No attention weight changed by 0.01 or more.']);
  assert.ok(near(await cellPixel(map, 0, 0), BACKGROUND));
});

test('side by side: base and fine-tuned on one scale, captions name both', async () => {
  await post(message(READY));
  await chooseLayer2();
  await page.locator('.attention-view-sideBySide').check();
  await page.locator('.attention-base-map').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-tuned-map').isVisible(), true);
  assert.deepEqual(await page.locator('.attention-side-pane figcaption').allTextContents(), ['Base model (base-1)', 'Fine-tuned model (tuned-1)']);
  assert.equal(await page.locator('.attention-base-line').textContent(), 'Base: base-1');
  // One scale (the larger maximum, 0.6): the base's 0.6 and the fine-tuned model's 0.6 look the same, the base's 0.5 is 5/6 of it.
  assert.equal(await page.locator('.attention-side-scale').getAttribute('data-max'), '0.6');
  assert.ok(near(await cellPixel('.attention-base-map', 1, 1), BLUE), `base 0.6 ${await cellPixel('.attention-base-map', 1, 1)}`);
  assert.ok(near(await cellPixel('.attention-tuned-map', 0, 2), BLUE), `tuned 0.6 ${await cellPixel('.attention-tuned-map', 0, 2)}`);
  assert.ok(near(await cellPixel('.attention-base-map', 0, 0), blend(BLUE, 0.5 / 0.6)), `base 0.5 ${await cellPixel('.attention-base-map', 0, 0)}`);
  assert.ok(near(await cellPixel('.attention-tuned-map', 0, 0), blend(BLUE, 0.1 / 0.6)), `tuned 0.1 ${await cellPixel('.attention-tuned-map', 0, 0)}`);
  await page.locator('#attention').screenshot({ path: join(resultsDir, 'attention-side-by-side.png') });
  // Back to "this model": the model's own map again.
  await page.locator('.attention-view-model').check();
  await page.locator('.attention-heatmap').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-base-map').isVisible(), false);
});

test('the toggle and the layer picker work with the keyboard', async () => {
  await post(message(READY));
  await page.locator('.attention-view-model').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('.attention-view-sideBySide').isChecked(), true);
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('.attention-view-difference').isChecked(), true);
  await page.locator('.attention-diff-map').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-diff-map').getAttribute('data-layer'), '0');
  await page.locator('.attention-layer').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => (document.querySelector('.attention-diff-map') as HTMLElement).dataset.layer === '1');
  assert.equal(await page.locator('.attention-diff-map').getAttribute('aria-label'), 'Change in attention (fine-tuned − base) of layer 2, head 1: query tokens down, key tokens across');
});

test('tokens that differ: said, difference disabled, side by side only', async () => {
  await post(message(READY));
  await page.locator('.attention-view-difference').check();
  await page.locator('.attention-diff-map').waitFor({ state: 'visible' });
  await post(message(READY, ['<cls>', 'ord', 'er']));
  await page.locator('.attention-base-map').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-view-difference').isDisabled(), true);
  assert.equal(await page.locator('.attention-view-sideBySide').isChecked(), true);
  assert.equal(await page.locator('.attention-diff-map').isVisible(), false);
  assert.equal(
    await page.locator('.attention-diff-notice').textContent(),
    'The two models cut the text into different tokens (token 2: base “ord”, fine-tuned “order”), so their rows do not align: side by side only.',
  );
});

test('the base pending, then failing, says so; the fine-tuned map stays', async () => {
  await post(message({ kind: 'export', label: 'base-export', status: 'pending' }));
  await page.locator('.attention-view-sideBySide').check();
  await page.locator('.attention-tuned-map').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-diff-notice').textContent(), 'Computing the base’s attention…');
  assert.equal(await page.locator('.attention-base-map').isVisible(), false);
  await post(message({ kind: 'export', label: 'base-export', status: 'error', error: 'model.json: unexpected end' }));
  await page.locator('.attention-diff-notice.error').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.attention-diff-notice').textContent(), 'The base’s attention could not be computed: model.json: unexpected end');
});

test('light theme and zh-cn: the difference recoloured from the theme, labels translated', async () => {
  await post({ type: 'state', run: null, training: false, strings: zhCnDashboardStrings() });
  await page.evaluate((vars) => {
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
    document.body.classList.replace('vscode-dark', 'vscode-light');
  }, LIGHT_THEME_OVERRIDES);
  await post(message(READY));
  await chooseLayer2();
  await page.locator('.attention-view-difference').check();
  await page.locator('.attention-diff-map').waitFor({ state: 'visible' });
  assert.deepEqual(await page.locator('.attention-view-mode').allTextContents(), ['本模型', '基座 | 微调后', '差异']);
  assert.equal(await page.locator('.attention-diff-caption').textContent(), '微调后 − 基座');
  const white = [255, 255, 255];
  await page.waitForFunction(() => {
    const c = document.querySelector('.attention-diff-map') as HTMLCanvasElement;
    const cell = Number(c.dataset.cell);
    const d = c.getContext('2d')!.getImageData(Number(c.dataset.originX) + cell * 1.5, Number(c.dataset.originY) + cell * 1.5, 1, 1).data;
    return d[0] > 240 && d[1] > 240 && d[2] > 240;
  });
  assert.ok(near(await cellPixel('.attention-diff-map', 0, 2), [0x1a, 0x85, 0xff]), `light +0.40 ${await cellPixel('.attention-diff-map', 0, 2)}`);
  assert.ok(near(await cellPixel('.attention-diff-map', 1, 1), white), 'light 0');
  assert.ok(near(await cellPixel('.attention-diff-map', 2, 2), blend(ORANGE, 0.25, white)), `light −0.10 ${await cellPixel('.attention-diff-map', 2, 2)}`);
});

test('high contrast: the difference takes the high-contrast theme\'s chart colours on its black background', async () => {
  // VS Code's high-contrast dark theme: a black editor, its own chart blue and orange.
  const hc = { '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff', '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#ffa500' };
  await page.evaluate((vars) => {
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
    document.body.classList.replace('vscode-dark', 'vscode-high-contrast');
  }, hc);
  await post(message(READY));
  await chooseLayer2();
  await page.locator('.attention-view-difference').check();
  await page.waitForFunction(() => {
    const c = document.querySelector('.attention-diff-map') as HTMLCanvasElement;
    const cell = Number(c.dataset.cell);
    const d = c.getContext('2d')!.getImageData(Number(c.dataset.originX) + cell * 1.5, Number(c.dataset.originY) + cell * 1.5, 1, 1).data;
    return d[0] < 5 && d[1] < 5 && d[2] < 5;
  });
  const black = [0, 0, 0];
  assert.ok(near(await cellPixel('.attention-diff-map', 0, 0), [0xff, 0xa5, 0x00]), `hc −0.40 ${await cellPixel('.attention-diff-map', 0, 0)}`);
  assert.ok(near(await cellPixel('.attention-diff-map', 0, 2), [0x37, 0x94, 0xff]), `hc +0.40 ${await cellPixel('.attention-diff-map', 0, 2)}`);
  assert.ok(near(await cellPixel('.attention-diff-map', 2, 1), blend([0x37, 0x94, 0xff], 0.25, black)), `hc +0.10 ${await cellPixel('.attention-diff-map', 2, 1)}`);
});
