// The dashboard's image classifier views in a real browser: the saliency
// section (the image open in the editor with its map laid over it, the
// method switch, the opacity slider, the prediction), the evaluation's
// galleries of test images (misclassified ones most confident first, a click
// asks the host to open the file), and the playground for an image model.
// Known pixels are posted as the host would, and the test reads the canvas
// back. Every test has a page of its own, so any of them passes alone.
//
// Run: node --import tsx --test test/webview/images.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import type { DashboardSaliencyMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import type { ClassificationEvaluation, ImagePrediction, RunSnapshot } from '../../src/core/types';
import { houseRunMeta } from '../helpers/fixtures';
import {
  DARK_THEME,
  DASHBOARD_PAGE,
  launchWebviewPages,
  pagePerTest,
  postedMessages,
  postToPage,
  waitForPosted,
  webviewResultsDir as resultsDir,
  type WebviewPage,
} from '../helpers/webviewPage';

const GRAY = [0x80, 0x80, 0x80];
/** The colour scale's top and bottom in the dark theme: --vscode-charts-red and --vscode-charts-blue. */
const RED = [0xf1, 0x4c, 0x4c];
const BLUE = [0x37, 0x94, 0xff];
const RUN_ID = '20260101-000000-digits-ab12';

// ───────────────────────── images on the test server ─────────────────────────

function png(width: number, height: number, rgb: readonly number[]): Buffer {
  const image = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) image.data.set([rgb[0], rgb[1], rgb[2], 255], p * 4);
  return PNG.sync.write(image);
}

const imagesDir = join(resultsDir, 'images-fixture');
/** The served files: the open image, and an evaluation's images under /ws (the config's folder). */
const SERVED: Record<string, Buffer> = {
  '/img/gray.png': png(8, 8, GRAY),
  '/ws/data/test/3/3-1.png': png(28, 28, [40, 40, 40]),
  '/ws/data/test/7/seven one.png': png(28, 28, [200, 200, 200]),
  '/ws/data/test/8/8-2.png': png(28, 28, [120, 120, 120]),
};

function imagePrediction(file: string, label: string, predicted: string, confidence: number): ImagePrediction {
  return { file, label, predicted, confidence };
}

/** Six test images, three wrong (confidences 0.61, 0.97, 0.83), and a path with a space. */
const IMAGES: ImagePrediction[] = [
  imagePrediction('data/test/3/3-1.png', '3', '3', 0.99),
  imagePrediction('data/test/3/3-2.png', '3', '8', 0.61),
  imagePrediction('data/test/7/seven one.png', '7', '1', 0.97),
  imagePrediction('data/test/8/8-1.png', '8', '8', 0.9),
  imagePrediction('data/test/8/8-2.png', '8', '3', 0.83),
  imagePrediction('data/test/1/1-1.png', '1', '1', 0.95),
];

/** Sixty images of one class, every other one wrong, confidence growing with the index. */
const MANY = Array.from({ length: 60 }, (_, i) => imagePrediction(`data/test/3/3-${i}.png`, '3', i % 2 ? '8' : '3', 0.5 + i / 200));

function evaluation(images: ImagePrediction[]): ClassificationEvaluation {
  const labels = ['1', '3', '7', '8'];
  return {
    task: 'classification',
    split: 'test',
    count: images.length,
    labels,
    metrics: { accuracy: 0.5, macroPrecision: 0.5, macroRecall: 0.5, macroF1: 0.5 },
    perClass: labels.map((label) => ({ label, precision: 0.5, recall: 0.5, f1: 0.5, support: 1 })),
    confusion: labels.map(() => labels.map(() => 0)),
    images,
  };
}

function digitsRun(images: ImagePrediction[] = IMAGES): RunSnapshot {
  return {
    meta: houseRunMeta({ id: RUN_ID, name: 'digits', task: 'classification', status: 'completed', configPath: '/ws/digits.experiment.json', epochsDone: 2, epochsPlanned: 2 }),
    metrics: [],
    stages: {},
    evaluation: evaluation(images),
  };
}

function saliencyMessage(method: 'gradcam' | 'gradient', saliency: number[][], overrides: Partial<DashboardSaliencyMessage> = {}): DashboardSaliencyMessage {
  return {
    type: 'saliency',
    status: 'ready',
    model: { runId: RUN_ID, name: 'digits', pinned: false },
    source: { file: 'samples/gray.png', uri: `${webview.origin}/img/gray.png` },
    method,
    result: {
      file: '/ws/samples/gray.png',
      size: [2, 2],
      prediction: { label: '7', probabilities: [{ label: '1', probability: 0.05 }, { label: '7', probability: 0.9 }, { label: '3', probability: 0.05 }] },
      method,
      explains: '7',
      saliency,
    },
    millis: 9,
    ...overrides,
  };
}

// ───────────────────────── harness ─────────────────────────

let webview: WebviewPage;
let page: Page;

async function post(msg: HostToWebviewMessage): Promise<void> {
  await postToPage(page, msg);
}

/** The canvas pixel at (x, y) in CSS pixels of the saliency canvas. */
async function saliencyPixel(x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([px, py]) => {
      const canvas = document.querySelector('.saliency-canvas') as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.floor(px * dpr), Math.floor(py * dpr), 1, 1).data.slice(0, 3));
    },
    [x, y] as const,
  );
}

function blend(top: readonly number[], bottom: readonly number[], alpha: number): number[] {
  return top.map((c, i) => Math.round(c * alpha + bottom[i] * (1 - alpha)));
}

function near(actual: number[], expected: number[], tolerance = 3): boolean {
  return expected.every((v, i) => Math.abs(actual[i] - v) <= tolerance);
}

/** Posts a ready saliency message and waits until the image under the map has loaded and been drawn. */
async function showSaliency(message: DashboardSaliencyMessage): Promise<void> {
  await post(message);
  await page.locator(`.saliency-canvas[data-image="loaded"][data-method="${message.method}"]`).waitFor({ state: 'visible' });
}

pagePerTest(
  () => {
    mkdirSync(imagesDir, { recursive: true });
    const files: Record<string, string> = { ...DASHBOARD_PAGE.files };
    for (const [path, bytes] of Object.entries(SERVED)) {
      const file = join(imagesDir, path.replace(/[/ ]/g, '_'));
      writeFileSync(file, bytes);
      // The page asks for the encoded path.
      files[encodeURI(path)] = file;
    }
    // Every other image an evaluation lists is one more copy of a digit, so no request fails.
    for (const { file } of [...IMAGES, ...MANY]) files[encodeURI(`/ws/${file}`)] ??= files['/ws/data/test/8/8-2.png'];
    return launchWebviewPages(
      { ...DASHBOARD_PAGE, files },
      { theme: DARK_THEME, keepState: false, context: { viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 } },
    );
  },
  (opened) => {
    webview = opened;
    page = opened.page;
  },
);

// ───────────────────────── saliency ─────────────────────────

test('the saliency section stays hidden until the host says something, then says what to open', async () => {
  await post({ type: 'state', run: null, training: false });
  assert.equal(await page.locator('#saliency').isVisible(), false);
  await post({ type: 'saliency', status: 'noImage', model: { runId: RUN_ID, name: 'digits', pinned: true }, method: 'gradcam' });
  await page.locator('#saliency[data-status="noImage"]').waitFor();
  assert.match((await page.locator('.saliency-status').textContent()) ?? '', /Open a PNG or JPEG image/);
  assert.equal(await page.locator('.saliency-model').textContent(), 'Model: digits (pinned)');
  assert.equal(await page.locator('.saliency-canvas').isVisible(), false);
  await post({ type: 'saliency', status: 'noModel', source: { file: 'cat.png', uri: '' }, method: 'gradcam' });
  await page.locator('#saliency[data-status="noModel"]').waitFor();
  assert.match((await page.locator('.saliency-status').textContent()) ?? '', /Train examples\/digits/);
  await page.locator('.saliency-pin').click();
  assert.ok((await postedMessages(page)).some((m) => m.type === 'pinSaliencyModel'));
});

test('the map is laid over the image: its pixels follow the opacity slider (keyboard) and the method', async () => {
  await post({ type: 'state', run: null, training: false });
  // Grad-CAM looked at the top-left quarter only.
  await showSaliency(saliencyMessage('gradcam', [[1, 0], [0, 0]]));
  const canvas = page.locator('.saliency-canvas');
  assert.equal(await canvas.getAttribute('data-rows'), '2');
  // An 8×8 image drawn 320 px wide (CSS pixels, inside its border).
  assert.deepEqual(await canvas.evaluate((c: HTMLCanvasElement) => [c.clientWidth, c.clientHeight]), [320, 320]);
  // At the centre of each quarter, the map's own value (no interpolation there).
  const hot = () => saliencyPixel(80, 80);
  const cold = () => saliencyPixel(240, 240);
  assert.equal(await canvas.getAttribute('data-opacity'), '0.5');
  assert.ok(near(await hot(), blend(RED, GRAY, 0.5)), `hot quarter at 50 %: ${await hot()}`);
  assert.ok(near(await cold(), GRAY), `cold quarter shows the image: ${await cold()}`);
  await page.locator('#saliency').screenshot({ path: join(resultsDir, 'saliency-gradcam-50.png') });

  // The slider, from the keyboard: End is fully opaque, Home is the image alone.
  await page.locator('.saliency-opacity').focus();
  await page.keyboard.press('End');
  assert.equal(await canvas.getAttribute('data-opacity'), '1');
  assert.equal(await page.locator('.saliency-opacity-value').textContent(), '100%');
  assert.ok(near(await hot(), RED), `hot quarter at 100 %: ${await hot()}`);
  await page.keyboard.press('Home');
  assert.ok(near(await hot(), GRAY), `hot quarter at 0 %: ${await hot()}`);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await canvas.getAttribute('data-opacity'), '0.1');
  assert.ok(near(await hot(), blend(RED, GRAY, 0.1)), `hot quarter at 10 %: ${await hot()}`);
  await page.keyboard.press('End');

  // The method switch, from the keyboard: the page asks the host for the gradient map.
  await page.locator('.saliency-method-gradcam').focus();
  await page.keyboard.press('ArrowRight');
  await waitForPosted(page, 'saliencyMethod');
  assert.deepEqual((await postedMessages(page)).filter((m) => m.type === 'saliencyMethod'), [{ type: 'saliencyMethod', method: 'gradient' }]);
  assert.equal(await page.locator('.saliency-method-gradient').isChecked(), true);
  // While the host computes it, the Grad-CAM map stays drawn with the status saying so.
  await post({ type: 'saliency', status: 'pending', model: { runId: RUN_ID, name: 'digits', pinned: false }, source: { file: 'samples/gray.png', uri: `${webview.origin}/img/gray.png` }, method: 'gradient' });
  await page.locator('#saliency[data-status="pending"]').waitFor();
  assert.equal(await page.locator('.saliency-status').textContent(), 'Updating…');
  assert.ok(near(await hot(), RED));
  // The gradient looked at the bottom-right quarter, half as hard at the top-right.
  await showSaliency(saliencyMessage('gradient', [[0, 0.5], [0, 1]]));
  assert.ok(near(await hot(), GRAY), `top-left now: ${await hot()}`);
  assert.ok(near(await cold(), RED), `bottom-right now: ${await cold()}`);
  const half = await saliencyPixel(240, 80);
  assert.ok(!near(half, GRAY, 20) && !near(half, RED, 20), `top-right at half saliency: ${half}`);
  assert.match((await page.locator('.saliency-legend-caption').textContent()) ?? '', /^Gradient:/);
  await page.locator('#saliency').screenshot({ path: join(resultsDir, 'saliency-gradient-100.png') });
});

test('the colour scale runs from the theme’s blue to its red; the prediction lists the classes, best first', async () => {
  await post({ type: 'state', run: null, training: false });
  await showSaliency(saliencyMessage('gradcam', [[1, 0], [0, 0]]));
  const ends = await page.locator('.saliency-legend-scale').evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    return [Array.from(ctx.getImageData(0, 5, 1, 1).data.slice(0, 3)), Array.from(ctx.getImageData(c.width - 1, 5, 1, 1).data.slice(0, 3))];
  });
  assert.ok(near(ends[0], BLUE) && near(ends[1], RED), `legend ends ${JSON.stringify(ends)}`);
  assert.equal(await page.locator('.saliency-legend-low').textContent(), 'low');
  assert.equal(await page.locator('.saliency-predicted').textContent(), 'Prediction: 7');
  assert.deepEqual(await page.locator('.saliency-prob .saliency-prob-label').allTextContents(), ['7', '1', '3']);
  assert.equal(await page.locator('.saliency-prob.best .saliency-prob-label').textContent(), '7');
  assert.equal(await page.locator('.saliency-prob.best .saliency-prob-value').textContent(), '90.0%');
  assert.equal(await page.locator('.saliency-source').textContent(), 'samples/gray.png · computed in 9 ms');
  assert.equal(await page.locator('.saliency-canvas').getAttribute('aria-label'), 'samples/gray.png with its Grad-CAM saliency map for the class 7');
});

test('an error is said, and a file name is text, never markup', async () => {
  await post({ type: 'state', run: null, training: false });
  await post({
    type: 'saliency',
    status: 'error',
    model: { runId: RUN_ID, name: '<b>digits</b>', pinned: false },
    source: { file: '<img src=x onerror="window.__injected=1">.png', uri: '' },
    method: 'gradcam',
    error: 'the image is 0×0',
  });
  await page.locator('#saliency[data-status="error"]').waitFor();
  assert.equal(await page.locator('.saliency-status').textContent(), 'The saliency map could not be computed: the image is 0×0');
  assert.equal(await page.locator('.saliency-model').textContent(), 'Model: <b>digits</b> (latest image classifier run)');
  assert.equal(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected), undefined);
});

// ───────────────────────── evaluation galleries ─────────────────────────

test('the misclassified gallery lists the mistakes most confident first, with their labels and images; a click asks to open the file', async () => {
  await post({ type: 'imageRoot', runId: RUN_ID, base: `${webview.origin}/ws` });
  await post({ type: 'state', run: digitsRun(), training: false });
  const mistakes = page.locator('#misclassified-images .image-tile');
  await mistakes.first().waitFor();
  assert.equal(await page.locator('#misclassified-title').textContent(), 'Misclassified images (3)');
  assert.deepEqual(await mistakes.evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-file'))), [
    'data/test/7/seven one.png',
    'data/test/8/8-2.png',
    'data/test/3/3-2.png',
  ]);
  assert.deepEqual(await mistakes.locator('.image-tile-true').allTextContents(), ['7', '8', '3']);
  assert.deepEqual(await mistakes.locator('.image-tile-predicted').allTextContents(), ['1', '3', '8']);
  assert.equal(await mistakes.first().getAttribute('aria-label'), 'data/test/7/seven one.png: true 7, predicted 1 (97.0%)');
  // The images load from the config folder's URI, each path segment encoded.
  const first = mistakes.first().locator('img');
  assert.equal(await first.getAttribute('src'), `${webview.origin}/ws/data/test/7/seven%20one.png`);
  await page.waitForFunction(() => {
    const img = document.querySelector('#misclassified-images .image-tile img') as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth === 28;
  });
  // Every test image in the grid, the mistakes marked.
  assert.equal(await page.locator('#test-images .image-tile').count(), 6);
  assert.equal(await page.locator('#test-images .image-tile.wrong').count(), 3);
  assert.equal(await page.locator('#test-images-title').textContent(), 'Test images (6)');
  await page.locator('#image-evaluation').screenshot({ path: join(resultsDir, 'evaluation-images.png') });

  // A click (and Enter on a focused tile) posts which image to open.
  await mistakes.nth(1).click();
  await page.locator('#test-images .image-tile').first().focus();
  await page.keyboard.press('Enter');
  const opened = (await postedMessages(page)).filter((m) => m.type === 'openImage');
  assert.deepEqual(opened, [
    { type: 'openImage', runId: RUN_ID, file: 'data/test/8/8-2.png' },
    { type: 'openImage', runId: RUN_ID, file: 'data/test/3/3-1.png' },
  ]);
});

test('the image root may come after the state; a large test set shows a page of tiles and more on demand', async () => {
  await post({ type: 'state', run: digitsRun(MANY), training: false });
  await page.locator('#test-images .image-tile').first().waitFor();
  // No root yet: tiles without images, still labelled and clickable.
  assert.equal(await page.locator('#test-images .image-tile img').count(), 0);
  assert.equal(await page.locator('#test-images .image-tile').count(), 48);
  assert.equal(await page.locator('#misclassified-images .image-tile').count(), 30);
  assert.equal(await page.locator('#misclassified-images .image-tile').first().getAttribute('data-file'), 'data/test/3/3-59.png');
  // A root for another run changes nothing; this run's root brings the images.
  await post({ type: 'imageRoot', runId: 'another-run', base: `${webview.origin}/elsewhere` });
  await post({ type: 'imageRoot', runId: RUN_ID, base: `${webview.origin}/ws` });
  await page.locator('#test-images .image-tile img').first().waitFor({ state: 'attached' });
  assert.equal(await page.locator('#test-images .image-tile img').first().getAttribute('src'), `${webview.origin}/ws/data/test/3/3-0.png`);
  const more = page.locator('#test-images + .image-more');
  assert.equal(await more.textContent(), 'Show more (12 left)');
  await more.click();
  assert.equal(await page.locator('#test-images .image-tile').count(), 60);
  assert.equal(await more.isVisible(), false);
  // The first new tile has the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-file')), 'data/test/3/3-48.png');
});

test('an image listed by absolute path loads from the URI the host sent for it, or shows no image', async () => {
  const images = [imagePrediction('/elsewhere/x.png', '1', '7', 0.7), imagePrediction('/nowhere/y.png', '1', '7', 0.6), imagePrediction('data/test/3/3-1.png', '3', '3', 0.9)];
  await post({ type: 'imageRoot', runId: RUN_ID, base: `${webview.origin}/ws`, files: { '/elsewhere/x.png': `${webview.origin}/img/gray.png` } });
  await post({ type: 'state', run: digitsRun(images), training: false });
  const tiles = page.locator('#misclassified-images .image-tile');
  await tiles.first().waitFor();
  assert.equal(await tiles.nth(0).locator('img').getAttribute('src'), `${webview.origin}/img/gray.png`);
  // No URI for it: never guessed under the config folder's.
  assert.equal(await tiles.nth(1).locator('img').count(), 0);
  assert.equal(await tiles.nth(1).locator('.image-tile-missing').count(), 1);
  await tiles.nth(0).click();
  assert.deepEqual((await postedMessages(page)).filter((m) => m.type === 'openImage'), [{ type: 'openImage', runId: RUN_ID, file: '/elsewhere/x.png' }]);
});

// ───────────────────────── the playground for an image model ─────────────────────────

test('try the model: a chosen image is shown and sent as base64; a non-image is refused in the page', async () => {
  await post({ type: 'state', run: digitsRun(), training: false });
  await page.locator('#playground-load').click();
  await waitForPosted(page, 'describeModel');
  await post({
    type: 'prediction',
    requestId: 1,
    runId: RUN_ID,
    signature: { kind: 'image', task: 'classification', inputs: [{ name: 'image', dtype: 'string' }], labels: ['1', '3', '7', '8'] },
  });
  await page.locator('#playground-drop').waitFor();
  // Not an image: a clear error, nothing sent.
  await page.locator('#playground-image').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await page.waitForFunction(() => /not a PNG or JPEG/.test(document.querySelector('#playground-status')?.textContent ?? ''));
  assert.equal(await page.locator('#playground-status').textContent(), 'Prediction failed: notes.txt is not a PNG or JPEG image.');
  assert.equal((await postedMessages(page)).filter((m) => m.type === 'predict').length, 0);
  // A PNG: previewed and predicted at once.
  const bytes = SERVED['/ws/data/test/7/seven one.png'];
  await page.locator('#playground-image').setInputFiles({ name: 'seven.png', mimeType: 'image/png', buffer: bytes });
  await waitForPosted(page, 'predict');
  const request = (await postedMessages(page)).find((m) => m.type === 'predict') as unknown as { requestId: number; input: { b64: string } };
  assert.deepEqual(request.input, { b64: bytes.toString('base64') });
  await page.locator('#playground-image-preview').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#playground-image-preview').evaluate((img: HTMLImageElement) => img.naturalWidth), 28);
  await post({ type: 'prediction', requestId: request.requestId, runId: RUN_ID, prediction: { label: '7', probabilities: { '7': 0.8, '1': 0.2 } }, millis: 5 });
  await page.locator('.playground-value').waitFor();
  assert.equal(await page.locator('.playground-value').textContent(), 'Prediction: 7');
  assert.match((await page.locator('#playground .hint').first().textContent()) ?? '', /choose a PNG or JPEG image/);
  await page.locator('#playground').screenshot({ path: join(resultsDir, 'playground-image.png') });
});
