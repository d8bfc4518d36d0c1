// Image classification end to end in a real VS Code: a quick copy of the
// digits config (two epochs, a few dozen digits of each class written by
// scripts/make-digits.mjs) is trained from its "Train this config" CodeLens;
// the dashboard shows the evaluation's test images and the misclassified ones;
// a digit PNG opened in VS Code's image preview gets the model's prediction
// and its saliency map laid over it in the dashboard; the method switch asks
// again; a click on a gallery image opens that file, and the saliency follows.
// Run: node --import tsx --test test/e2e/images.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { codeLens, escapeRegExp, log, pickQuickPickRow, repoRoot, startSession, StopWaiting, waitFor, webviewWith, type Session } from './harness';

const CONFIG = 'digits-quick.experiment.json';
const PER_CLASS = 40;
const EPOCHS = 2;
const TRAINING_TIMEOUT_MS = 300_000;

/** A workspace with the digits config, a two-epoch copy of it, and a small set of digit PNGs. */
function digitsWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'modellab-digits-src-'));
  const dir = join(root, 'digits');
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'make-digits.mjs'), '--out', join(dir, 'data'), '--per-class', String(PER_CLASS), '--samples', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  const original = readFileSync(join(repoRoot, 'examples', 'digits', 'digits.experiment.json'), 'utf8');
  writeFileSync(join(dir, 'digits.experiment.json'), original);
  // The same experiment, quick: fewer epochs (the comments of the JSONC are kept).
  const quick = original.replace(/"name": "digits"/, '"name": "digits-quick"').replace(/"epochs": \d+/, `"epochs": ${EPOCHS}`);
  assert.notEqual(quick, original);
  writeFileSync(join(dir, CONFIG), quick);
  return dir;
}

/** Opens a workspace file through Quick Open into the first editor group and waits for its tab (an image has no text editor). */
async function openFile(page: Page, fileName: string): Promise<void> {
  // Focus the first group, so the file opens there and not over the dashboard.
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+P');
  await pickQuickPickRow(page, fileName);
  await page.getByRole('tab', { name: new RegExp(escapeRegExp(fileName)) }).first().waitFor({ state: 'visible', timeout: 20_000 });
}

/** Waits for the saliency section to be ready for `file`, its image drawn, with `method`. */
async function saliencyReady(dashboard: FrameLocator, file: string, method: string): Promise<void> {
  const section = dashboard.locator('#saliency');
  await waitFor(`the saliency map of ${file} (${method})`, 120_000, async () => {
    const status = await section.getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
    if (status === 'error') throw new StopWaiting(`saliency failed: ${await dashboard.locator('.saliency-status').textContent()}`);
    const source = (await dashboard.locator('.saliency-source').textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
    const canvas = dashboard.locator('.saliency-canvas');
    return status === 'ready' &&
      source.includes(file) &&
      (await canvas.getAttribute('data-method', { timeout: 1_000 }).catch(() => null)) === method &&
      (await canvas.getAttribute('data-image', { timeout: 1_000 }).catch(() => null)) === 'loaded'
      ? true
      : undefined;
  });
}

/** How many pixels of the saliency canvas differ from the image alone: drawn with the map over it at two opacities. */
async function overlayDifference(dashboard: FrameLocator): Promise<{ at0: string; at100: string }> {
  const opacity = dashboard.locator('.saliency-opacity');
  const canvas = dashboard.locator('.saliency-canvas');
  await opacity.focus();
  await opacity.press('Home');
  const at0 = (await canvas.screenshot()).toString('base64');
  await opacity.press('End');
  const at100 = (await canvas.screenshot()).toString('base64');
  return { at0, at100 };
}

test('digits: train from the CodeLens, see the test images, open a digit and see its prediction and saliency', { timeout: 900_000 }, async () => {
  const source = digitsWorkspace();
  let sample = '';
  let session: Session;
  try {
    session = await startSession({
      name: 'images',
      workspace: source,
      readyTreeItem: CONFIG,
      prepareWorkspace: (workspace) => {
        const sevens = readdirSync(join(workspace, 'data', 'samples', '7')).filter((f) => f.endsWith('.png'));
        sample = sevens[0];
        assert.ok(sample, 'a sample 7');
      },
    });
  } finally {
    // The session has its own copy.
    rmSync(join(source, '..'), { recursive: true, force: true });
  }
  const { page, shots } = session;
  let failed = false;
  try {
    // ── train from the CodeLens ──
    await openFile(page, CONFIG);
    const trainLens = codeLens(page, 'Train this config');
    await trainLens.first().waitFor({ state: 'visible', timeout: 60_000 });
    const started = performance.now();
    await trainLens.first().click();
    const dashboard = await webviewWith(page, '#run-status', 60_000);
    const runStatus = dashboard.locator('#run-status');
    await waitFor('the run to complete', TRAINING_TIMEOUT_MS, async () => {
      const status = ((await runStatus.textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
      if (/failed|stopped|interrupted/.test(status)) throw new StopWaiting(`the run ended ${status}: ${await dashboard.locator('#log').textContent().catch(() => '')}`);
      return status.includes('completed') ? true : undefined;
    }, 250);
    log(`trained ${CONFIG} (${EPOCHS} epochs, ${PER_CLASS} digits per class) from the CodeLens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // ── the evaluation's images ──
    const tiles = dashboard.locator('#test-images .image-tile');
    await tiles.first().waitFor({ state: 'visible', timeout: 60_000 });
    const testCount = await tiles.count();
    assert.ok(testCount > 0, 'test images are listed');
    // The images load through the webview's resource URIs (the config folder is a resource root); lazily, once in view.
    await tiles.first().scrollIntoViewIfNeeded();
    const firstImage = tiles.first().locator('img');
    await waitFor('the first test image to load', 30_000, async () =>
      (await firstImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 28).catch(() => false)) ? true : undefined,
    ).catch(async (error: unknown) => {
      const seen = await firstImage.evaluate((img: HTMLImageElement) => ({ src: img.src, complete: img.complete, width: img.naturalWidth })).catch(() => undefined);
      throw new Error(`${String(error)}: ${JSON.stringify(seen)}`);
    });
    const misclassified = dashboard.locator('#misclassified-images .image-tile');
    const mistakes = await misclassified.count();
    const confidences = await misclassified.evaluateAll((ts) => ts.map((t) => Number(t.getAttribute('data-confidence'))));
    for (let i = 1; i < confidences.length; i++) assert.ok(confidences[i - 1] >= confidences[i], `most confident first: ${confidences.join(', ')}`);
    log(`evaluation: ${testCount} test images shown, ${mistakes} misclassified`);
    await dashboard.locator('#image-evaluation').scrollIntoViewIfNeeded();
    await shots.take(page, 'evaluation-images');
    await shots.take(dashboard.locator('#evaluation'), 'evaluation-section');

    // ── open a digit: its prediction and saliency map ──
    const openedAt = performance.now();
    await openFile(page, sample);
    await saliencyReady(dashboard, sample, 'gradcam');
    log(`time from opening ${sample} to its saliency map: ${Math.round(performance.now() - openedAt)} ms (debounce 300 ms, first model load included)`);
    const section = dashboard.locator('#saliency');
    assert.match((await dashboard.locator('.saliency-model').textContent()) ?? '', /^Model: digits-quick \(latest image classifier run\)$/);
    assert.match((await dashboard.locator('.saliency-predicted').textContent()) ?? '', /^Prediction: [0-9]$/);
    assert.equal(await dashboard.locator('.saliency-prob').count(), 10);
    assert.equal(await dashboard.locator('.saliency-canvas').getAttribute('data-rows'), '28');
    await section.scrollIntoViewIfNeeded();
    const { at0, at100 } = await overlayDifference(dashboard);
    assert.notEqual(at0, at100, 'the map changes the pixels as the opacity goes from 0 to 100 %');
    await shots.take(page, 'digit-with-saliency');
    await shots.take(section, 'saliency-gradcam');

    // ── the method switch asks again ──
    await dashboard.locator('.saliency-method-gradient').check();
    await saliencyReady(dashboard, sample, 'gradient');
    const gradient = (await dashboard.locator('.saliency-canvas').screenshot()).toString('base64');
    assert.notEqual(gradient, at100, 'the gradient map differs from Grad-CAM');
    await shots.take(section, 'saliency-gradient');

    // ── Try the model: the same digit, chosen as a file, gets the same prediction; a non-image is refused ──
    const predicted = ((await dashboard.locator('.saliency-predicted').textContent()) ?? '').trim();
    await dashboard.locator('#playground-load').scrollIntoViewIfNeeded();
    await dashboard.locator('#playground-load').click();
    const fileInput = dashboard.locator('#playground-image');
    await fileInput.waitFor({ state: 'attached', timeout: 60_000 });
    await fileInput.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await waitFor('the page to refuse a text file', 10_000, async () =>
      /notes\.txt is not a PNG or JPEG image/.test((await dashboard.locator('#playground-status').textContent({ timeout: 1_000 })) ?? '') ? true : undefined,
    );
    await fileInput.setInputFiles({ name: sample, mimeType: 'image/png', buffer: readFileSync(join(session.workspace, 'data', 'samples', '7', sample)) });
    const value = dashboard.locator('#playground-result .playground-value');
    const tried = await waitFor('the playground\'s prediction for the chosen image', 60_000, async () => {
      const status = (await dashboard.locator('#playground-status').textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
      if (/failed/.test(status)) throw new StopWaiting(status);
      return ((await value.textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim() || undefined;
    });
    assert.equal(tried, predicted, 'the playground and the saliency view agree on the same image');
    assert.equal(await dashboard.locator('#playground-image-preview').evaluate((img: HTMLImageElement) => img.naturalWidth), 28);
    await shots.take(dashboard.locator('#playground'), 'try-the-model-image');

    // ── a click on a gallery image opens it, and the saliency follows ──
    const tile = mistakes > 0 ? misclassified.first() : tiles.first();
    const file = (await tile.getAttribute('data-file')) ?? '';
    const name = file.split('/').pop() ?? '';
    await tile.scrollIntoViewIfNeeded();
    await tile.click();
    await page.getByRole('tab', { name: new RegExp(escapeRegExp(name)) }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await saliencyReady(dashboard, name, 'gradient');
    await shots.take(page, 'gallery-image-opened');

    // ── pin the model from the section ──
    await dashboard.locator('.saliency-pin').click();
    await pickQuickPickRow(page, 'digits-quick');
    await waitFor('the model line to say pinned', 30_000, async () =>
      /^Model: digits-quick \(pinned\)$/.test(((await dashboard.locator('.saliency-model').textContent({ timeout: 1_000 })) ?? '').trim()) ? true : undefined,
    );

    // Images came in through the webview's resource roots and data: URIs only: nothing refused by the page's CSP.
    assert.deepEqual(session.errors.filter((e) => /Content Security Policy|Refused to load/i.test(e)), []);
    if (session.errors.length > 0) log(`console errors in the page and webviews:\n  ${session.errors.slice(0, 20).join('\n  ')}`);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
