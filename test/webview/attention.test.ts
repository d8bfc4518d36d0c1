// The dashboard's attention section in a real browser: a known attention
// tensor is posted as the host would, and the test checks what a user sees —
// the colour of specific heatmap cells, the empty causal triangle, the hover
// tooltip, the layer × head thumbnails, the prediction, the generate box —
// and what the page posts back. Every test has a page of its own, so any of
// them passes alone and in any order.
//
// Run: node --import tsx --test test/webview/attention.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { DashboardAttentionMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import { DARK_THEME, DASHBOARD_PAGE, launchWebviewPages, pagePerTest, postedMessages, postToPage, webviewResultsDir as resultsDir } from '../helpers/webviewPage';

// CJK tokens are drawn: a font that has them.
const THEME: Record<string, string> = { ...DARK_THEME, '--vscode-font-family': 'system-ui, "Noto Sans CJK SC", sans-serif' };
const BACKGROUND = [0x1e, 0x1e, 0x1e];
const ACCENT = [0x37, 0x94, 0xff];

// ───────────────────────── a known tensor ─────────────────────────
// A decoder's attention (causal: zero above the diagonal), 2 layers × 3 heads
// over 4 tokens, CJK included. Layer 1 head 1 has its largest weight at
// query 3 ("!") → key 1 ("爱").

const TOKENS = ['我', '爱', 'cats', '!'];
const MAP_L0H0 = [
  [1, 0, 0, 0],
  [0.5, 0.5, 0, 0],
  [0.2, 0.3, 0.5, 0],
  [0.05, 0.9, 0.03, 0.02],
];
function causalUniform(n: number): number[][] {
  return Array.from({ length: n }, (_, q) => Array.from({ length: n }, (_, k) => (k <= q ? 1 / (q + 1) : 0)));
}
const ATTENTION = [
  [MAP_L0H0, causalUniform(4), causalUniform(4)],
  [causalUniform(4), causalUniform(4), MAP_L0H0],
];

function lmMessage(): DashboardAttentionMessage {
  return {
    type: 'attention',
    status: 'ready',
    model: { runId: '20260101-000000-text-generator-ab12', name: 'text-generator', task: 'language-model', pinned: false },
    source: { file: 'notes/poem.txt', startLine: 1, endLine: 2, selection: false },
    result: { task: 'language-model', tokens: TOKENS, offsets: TOKENS.map(() => null), attention: ATTENTION, truncated: false },
    millis: 12,
  };
}

// ───────────────────────── harness ─────────────────────────

let page: Page;

async function post(msg: HostToWebviewMessage): Promise<void> {
  await postToPage(page, msg);
}

async function posted(): Promise<Record<string, unknown>[]> {
  return postedMessages(page);
}

/** The canvas pixel at the centre of a heatmap cell. */
async function cellPixel(query: number, key: number): Promise<number[]> {
  return page.evaluate(
    ([q, k]) => {
      const canvas = document.querySelector('.attention-heatmap') as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      const x = Number(canvas.dataset.originX) + (k + 0.5) * cell;
      const y = Number(canvas.dataset.originY) + (q + 0.5) * cell;
      const dpr = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data);
    },
    [query, key] as const,
  );
}

/** Hovers the centre of a cell and returns the tooltip's text. */
async function hoverCell(query: number, key: number): Promise<string> {
  const g = await page.locator('.attention-heatmap').evaluate((c: HTMLCanvasElement) => ({
    cell: Number(c.dataset.cell), x: Number(c.dataset.originX), y: Number(c.dataset.originY),
  }));
  await page.locator('.attention-heatmap').hover({ position: { x: g.x + (key + 0.5) * g.cell, y: g.y + (query + 0.5) * g.cell } });
  await page.locator('.attention-tooltip').waitFor({ state: 'visible' });
  return (await page.locator('.attention-tooltip').textContent()) ?? '';
}

/** The accent drawn with opacity `alpha` over the background. */
function blend(alpha: number): number[] {
  return ACCENT.map((c, i) => Math.round(c * alpha + BACKGROUND[i] * (1 - alpha)));
}

function near(actual: number[], expected: number[], tolerance = 2): boolean {
  return expected.every((v, i) => Math.abs(actual[i] - v) <= tolerance);
}

/** Posts the language model's attention and waits for its heatmap. */
async function showLanguageModel(): Promise<void> {
  await post(lmMessage());
  await page.locator('#attention[data-status="ready"] .attention-heatmap').waitFor({ state: 'visible' });
}

pagePerTest(
  () =>
    launchWebviewPages(DASHBOARD_PAGE, {
      theme: THEME,
      keepState: false,
      context: { viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 },
    }),
  async (opened) => {
    page = opened.page;
    await post({ type: 'state', run: null, training: false });
  },
);

// ───────────────────────── tests ─────────────────────────

test('without a Transformer run the section says how to get one', async () => {
  await post({ type: 'attention', status: 'noModel' });
  await page.locator('#attention[data-status="noModel"]').waitFor();
  assert.match((await page.locator('.attention-status').textContent()) ?? '', /Train examples\/intent-classifier/);
  assert.equal(await page.locator('.attention-heatmap').isVisible(), false);
  await post({ type: 'attention', status: 'noText', model: lmMessage().model });
  await page.locator('#attention[data-status="noText"]').waitFor();
  assert.match((await page.locator('.attention-status').textContent()) ?? '', /Open a text file/);
});

test('the heatmap draws the known tensor: the largest weight fully coloured, the causal triangle empty', async () => {
  await post(lmMessage());
  await page.locator('.attention-heatmap').waitFor({ state: 'visible' });
  const canvas = page.locator('.attention-heatmap');
  assert.equal(await canvas.getAttribute('data-rows'), '4');
  assert.equal(await canvas.getAttribute('data-cols'), '4');
  // Which run the attention comes from.
  assert.equal(await page.locator('.attention-run').textContent(), 'run 20260101-000000-text-generator-ab12');
  assert.equal(await page.locator('#attention').getAttribute('data-run-id'), '20260101-000000-text-generator-ab12');
  assert.equal(await page.locator('.attention-model').textContent(), 'Model: text-generator (latest Transformer run)');
  // Layer 1, head 1: the largest weight (1.0 at "我" → "我") is the accent colour itself;
  // 0.9 ("!" → "爱") is 90 % of the way from the background to it.
  assert.ok(near(await cellPixel(0, 0), ACCENT), `max cell ${await cellPixel(0, 0)}`);
  assert.ok(near(await cellPixel(3, 1), blend(0.9)), `0.9 cell ${await cellPixel(3, 1)}`);
  // Above the diagonal the decoder cannot look: nothing drawn.
  for (const [q, k] of [[0, 1], [0, 3], [1, 2], [2, 3]]) assert.ok(near(await cellPixel(q, k), BACKGROUND), `cell ${q},${k}: ${await cellPixel(q, k)}`);
  // Weights in between are in between, ordered: 1.0 (q0,k0) is brighter than 0.5 (q1,k0) brighter than 0.05 (q3,k0).
  const full = await cellPixel(0, 0);
  const half = await cellPixel(1, 0);
  const low = await cellPixel(3, 0);
  assert.ok(near(full, ACCENT), `weight 1.0 ${full}`);
  assert.ok(full[2] > half[2] && half[2] > low[2] && low[2] > BACKGROUND[2], `blue channel ordered ${full} ${half} ${low}`);
  assert.ok(near(half, blend(0.5)), `weight 0.5 ${half}`);
  assert.ok(near(low, blend(0.05)), `weight 0.05 ${low}`);
  await page.locator('#attention').screenshot({ path: join(resultsDir, 'attention-heatmap.png') });
});

test('a long text stays inside the panel: fitted cells, zoom that scrolls, a colour scale and axis titles', async () => {
  const n = 600;
  const tokens = Array.from({ length: n }, (_, i) => `tok${i}`);
  const map = causalUniform(n);
  const message = lmMessage();
  await post({ ...message, result: { ...message.result!, tokens, offsets: tokens.map(() => null), attention: [[map]] } });
  await page.locator('#attention[data-status="ready"] .attention-heatmap').waitFor({ state: 'visible' });
  const box = async () =>
    page.evaluate(() => {
      const section = document.querySelector('#attention')!.getBoundingClientRect();
      const wrap = document.querySelector('.attention-map') as HTMLElement;
      const canvas = document.querySelector('.attention-heatmap') as HTMLCanvasElement;
      return {
        pageRight: document.documentElement.clientWidth,
        pageScrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
        sectionRight: section.right,
        wrapRight: wrap.getBoundingClientRect().right,
        wrapScrolls: wrap.scrollWidth > wrap.clientWidth,
        cell: Number(canvas.dataset.cell),
        canvasWidth: canvas.getBoundingClientRect().width,
      };
    });
  const fitted = await box();
  // Fitted: 600 tokens in the panel's width, nothing beyond the panel's right edge, no page scrollbar.
  assert.ok(fitted.canvasWidth <= fitted.wrapRight, `canvas ${fitted.canvasWidth} px wide`);
  assert.ok(fitted.sectionRight <= fitted.pageRight && !fitted.pageScrolls, `section ends at ${fitted.sectionRight} of ${fitted.pageRight}`);
  assert.equal(fitted.wrapScrolls, false);
  assert.equal(await page.locator('.attention-zoom-out').isDisabled(), true);

  // Zoomed in twice: bigger cells, the map scrolls inside the panel, the page itself does not.
  await page.locator('.attention-zoom-in').click();
  await page.locator('.attention-zoom-in').click();
  const zoomed = await box();
  assert.ok(zoomed.cell >= fitted.cell * 2, `cells ${fitted.cell} → ${zoomed.cell} px`);
  assert.ok(zoomed.wrapScrolls, 'the zoomed map scrolls');
  assert.ok(zoomed.wrapRight <= zoomed.pageRight && !zoomed.pageScrolls, 'and stays inside the panel');
  await page.locator('.attention-zoom-fit').click();
  assert.equal((await box()).cell, fitted.cell);

  // The colour scale runs from the background (no weight) to the accent colour (the largest weight, 1 here).
  const scale = page.locator('.attention-scale');
  assert.equal(await scale.getAttribute('data-max'), '1');
  const ends = await scale.evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const dpr = c.width / c.getBoundingClientRect().width;
    // The bar sits under the title line; sample its middle row near both ends.
    let row = -1;
    for (let y = 0; y < c.height && row < 0; y++) {
      const [r, g, b] = ctx.getImageData(Math.round(162 * dpr), y, 1, 1).data;
      if (Math.abs(r - 0x37) < 12 && Math.abs(g - 0x94) < 12 && Math.abs(b - 0xff) < 12) row = y;
    }
    // (No helper function here: the bundler would name it with a helper the page does not have.)
    const low = [...ctx.getImageData(Math.round(6 * dpr), row + 2, 1, 1).data.slice(0, 3)];
    const high = [...ctx.getImageData(Math.round(162 * dpr), row + 2, 1, 1).data.slice(0, 3)];
    return { row, low, high };
  });
  assert.ok(ends.row >= 0, 'the accent colour is on the scale');
  assert.ok(near(ends.high, ACCENT, 12), `high end ${ends.high}`);
  assert.ok(near(ends.low, BACKGROUND, 12), `low end ${ends.low}`);
  await page.locator('#attention').screenshot({ path: join(resultsDir, 'attention-long-text.png') });
});

test('hovering a cell shows the token pair and the weight', async () => {
  await showLanguageModel();
  assert.equal(await hoverCell(3, 1), '! → 爱: 0.9000');
  assert.equal(await hoverCell(2, 2), 'cats → cats: 0.5000');
  assert.equal(await hoverCell(0, 3), '我 → !: 0.0000');
});

test('the overview has one thumbnail per layer and head; clicking one opens it', async () => {
  await showLanguageModel();
  assert.equal(await page.locator('.attention-thumb').count(), 2 * 3);
  assert.equal(await page.locator('.attention-thumb.selected').getAttribute('aria-label'), 'Layer 1, head 1');
  await page.locator('.attention-thumb[data-layer="1"][data-head="2"]').click();
  const canvas = page.locator('.attention-heatmap');
  assert.equal(await canvas.getAttribute('data-layer'), '1');
  assert.equal(await canvas.getAttribute('data-head'), '2');
  assert.equal(await page.locator('.attention-layer').inputValue(), '1');
  assert.equal(await page.locator('.attention-head').inputValue(), '2');
  // That map is MAP_L0H0 again: same pixels.
  assert.ok(near(await cellPixel(3, 1), blend(0.9)));
  await page.locator('.attention-thumb[data-layer="0"][data-head="1"]').click();
  // A uniform causal map: row 3 is 0.25 everywhere, the max is 1 (row 0), so its cells are faint.
  assert.ok(near(await cellPixel(3, 1), blend(0.25)), `uniform row ${await cellPixel(3, 1)}`);
  assert.equal(await hoverCell(3, 1), '! → 爱: 0.2500');
});

test('the head average of a layer is drawn, and keeps the causal triangle empty', async () => {
  await showLanguageModel();
  await page.locator('.attention-layer').selectOption('0');
  await page.locator('.attention-average').check();
  const canvas = page.locator('.attention-heatmap');
  assert.equal(await canvas.getAttribute('data-head'), 'average');
  assert.equal(await page.locator('.attention-head').isDisabled(), true);
  // (0.9 + 0.25 + 0.25) / 3
  assert.equal(await hoverCell(3, 1), '! → 爱: 0.4667');
  assert.ok(near(await cellPixel(0, 2), BACKGROUND));
  assert.ok(near(await cellPixel(0, 0), ACCENT), 'every head puts 1.0 at the first token');
  await page.locator('.attention-average').uncheck();
});

test('a language model gets a generate box; its request and the answer round-trip', async () => {
  await showLanguageModel();
  assert.equal(await page.locator('.attention-generate').isVisible(), true);
  assert.equal(await page.locator('.attention-prediction').isVisible(), false);
  await page.locator('.generate-prompt').fill('从前');
  await page.locator('.generate-length').fill('40');
  await page.locator('.generate-temperature').fill('0.5');
  await page.locator('.generate-topk').fill('5');
  await page.locator('.generate-button').click();
  const request = (await posted()).find((m) => m.type === 'generate');
  assert.deepEqual(request, { type: 'generate', requestId: 1, prompt: '从前', length: 40, temperature: 0.5, topK: 5 });
  await post({ type: 'generated', requestId: 1, result: { prompt: '从前', text: '有座山，山里有座庙', tokens: 9 }, millis: 31 });
  await page.locator('.generate-output').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.generate-output').textContent(), '从前有座山，山里有座庙');
  assert.equal(await page.locator('.generate-status').textContent(), '9 tokens in 31 ms');
});

test('a classifier shows its prediction and class probabilities; token text is never markup', async () => {
  const tokens = ['<cls>', '<img src=x onerror="window.__injected=1">', '退', '款'];
  const uniform = (n: number) => Array.from({ length: n }, () => Array.from({ length: n }, () => 1 / n));
  await post({
    type: 'attention',
    status: 'ready',
    model: { runId: '20260101-000000-intent-classifier-ab12', name: 'intent-classifier', task: 'classification', pinned: true },
    source: { file: 'mail.txt', startLine: 3, endLine: 3, selection: true },
    result: {
      task: 'classification',
      tokens,
      offsets: tokens.map(() => null),
      attention: [[uniform(4), uniform(4)]],
      truncated: true,
      prediction: { label: 'refund', probabilities: [{ label: 'refund', probability: 0.8 }, { label: 'cancel_order', probability: 0.15 }, { label: 'order_status', probability: 0.05 }] },
    },
    millis: 7,
  });
  await page.locator('.attention-predicted').waitFor();
  assert.equal(await page.locator('.attention-predicted').textContent(), 'Prediction: refund');
  assert.equal(await page.locator('.attention-prob').count(), 3);
  assert.equal(await page.locator('.attention-prob.best .attention-prob-label').textContent(), 'refund');
  assert.equal(await page.locator('.attention-generate').isVisible(), false);
  assert.equal(await page.locator('.attention-thumb').count(), 2);
  assert.equal(await page.locator('.attention-source').textContent(), 'mail.txt, selection (lines 3–3) · 4 tokens (truncated) · computed in 7 ms');
  assert.match((await page.locator('.attention-model').textContent()) ?? '', /intent-classifier \(pinned\)/);
  assert.equal(await page.locator('.attention-run').textContent(), 'run 20260101-000000-intent-classifier-ab12');
  assert.equal(await hoverCell(1, 2), '<img src=x onerror="window.__injected=1"> → 退: 0.2500');
  assert.equal(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected), undefined);
  await page.locator('.attention-pin').click();
  assert.ok((await posted()).some((m) => m.type === 'pinAttentionModel'));
  await page.locator('#attention').screenshot({ path: join(resultsDir, 'attention-classifier.png') });
});

test('a text regression model shows its predicted value in the target\'s units, no class bars', async () => {
  const uniform = (n: number) => Array.from({ length: n }, () => Array.from({ length: n }, () => 1 / n));
  await post({
    type: 'attention',
    status: 'ready',
    model: { runId: '20260101-000000-review-score-ab12', name: 'review-score', task: 'regression', pinned: false },
    source: { file: 'review.txt', startLine: 1, endLine: 1, selection: false },
    result: { task: 'regression', tokens: ['good', 'film'], offsets: [null, null], attention: [[uniform(2)]], truncated: false, predictedValue: { target: 'score', value: 71.234567 } },
    millis: 3,
  });
  await page.locator('.attention-predicted').waitFor();
  assert.equal(await page.locator('.attention-predicted').textContent(), 'score ≈ 71.23');
  assert.equal(await page.locator('.attention-prob').count(), 0);
  assert.equal(await page.locator('.attention-generate').isVisible(), false);
});

test('while a new request runs, the previous heatmap stays and the status says it is updating', async () => {
  await showLanguageModel();
  await post({ type: 'attention', status: 'pending' });
  await page.locator('#attention[data-status="pending"]').waitFor();
  assert.equal(await page.locator('.attention-heatmap').isVisible(), true);
  assert.equal(await page.locator('.attention-status').textContent(), 'Updating…');
});
