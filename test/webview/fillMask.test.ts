// The dashboard's fill-mask box in a real browser: for a masked-language-model
// run, typing a sentence with [MASK] posts one `fillMask` request after a
// pause in typing (the page's clock is driven by the test, so the pause is
// exact), Enter sends at once, a sentence without a mask gets a hint and no
// request; the host's `filledMask` reply is drawn as one row per mask with
// its position, the top tokens and their probability bars, aria labels, and a
// note naming the words the model read as <unk>.
//
// Run: node --import tsx --test test/webview/fillMask.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { DashboardFilledMaskMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import type { FillMaskResult } from '../../src/core/fillMask';
import type { RunMeta, RunSnapshot } from '../../src/core/types';
import { DARK_THEME, DASHBOARD_PAGE, launchWebviewPages, pagePerTest, postedMessages, postToPage } from '../helpers/webviewPage';
import { houseRunMeta } from '../helpers/fixtures';
import { zhCnDashboardStrings } from '../helpers/zhCnStrings';

const RUN_ID = '20261206-120000-tiny-mlm-ab12';
const SENTENCE = 'the parcel [MASK] late, [mask] again';

function mlmRun(overrides: Partial<RunMeta> = {}): RunSnapshot {
  const meta = houseRunMeta({ id: RUN_ID, name: 'tiny-mlm', status: 'completed', ...overrides });
  return { meta: { ...meta, task: 'masked-language-model' } as RunMeta, metrics: [], stages: { data: 'done', preprocess: 'done', training: 'done', evaluation: 'done' } };
}

function result(): FillMaskResult {
  return {
    text: SENTENCE,
    tokens: ['the', '<unk>', '<mask>', 'late', ',', '<mask>', 'again'],
    masks: [
      { index: 0, tokenIndex: 2, start: 11, end: 17, candidates: [{ token: 'is', probability: 0.41 }, { token: 'was', probability: 0.22 }, { token: 'arrived', probability: 0.08 }, { token: 'box', probability: 0.08 }, { token: 'late', probability: 0.06 }] },
      { index: 1, tokenIndex: 5, start: 24, end: 30, candidates: [{ token: 'late', probability: 0.9 }, { token: '<b>x</b>', probability: 0.05 }] },
    ],
    unknown: [{ word: 'parcel', tokenIndex: 1, start: 4, end: 10 }],
  };
}

let page: Page;

async function post(msg: HostToWebviewMessage): Promise<void> {
  await postToPage(page, msg);
}

/** Waits until the page has handled every message posted so far (messages are dispatched in order). */
async function settled(): Promise<void> {
  // A string, not a function: the test's compiler would wrap a named function in a helper the page lacks.
  await page.evaluate(`new Promise((done) => {
    const at = Math.random();
    window.addEventListener('message', (e) => { if (e.data && e.data.at === at) done(); });
    window.postMessage({ type: 'test-marker', at }, '*');
  })`);
}

type Posted = { type: string; requestId?: number; text?: string };
const fillRequests = async () => ((await postedMessages(page)) as Posted[]).filter((m) => m.type === 'fillMask');

pagePerTest(
  () => launchWebviewPages(DASHBOARD_PAGE, { theme: DARK_THEME, keepState: false, context: { viewport: { width: 1100, height: 1000 } } }),
  async (opened) => {
    page = opened.page;
    // The page's timers run on a clock the tests move: time stands still between their steps.
    await page.clock.install({ time: new Date('2026-12-06T12:00:00Z') });
    await page.clock.pauseAt(new Date('2026-12-06T12:00:01Z'));
  },
);

test('typing posts one fillMask request after the pause, Enter at once; no mask gets a hint and no request', async () => {
  await post({ type: 'state', run: mlmRun(), training: false });
  const input = page.locator('#fill-mask-input');
  await input.waitFor({ state: 'visible' });
  assert.equal(await page.locator('#fill-mask-input').getAttribute('placeholder'), 'the order [MASK] late');
  assert.equal(await page.locator('label[for="fill-mask-input"]').textContent(), 'Sentence with [MASK]');
  await input.focus();
  await page.keyboard.type('the order [MASK]');
  await page.clock.runFor(250);
  await page.keyboard.type(' late');
  await page.clock.runFor(299);
  assert.deepEqual(await fillRequests(), [], 'nothing is sent while the user is still typing');
  await page.clock.runFor(1);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'fillMask'));
  const [first] = await fillRequests();
  assert.deepEqual({ ...first, requestId: undefined }, { type: 'fillMask', requestId: undefined, text: 'the order [MASK] late' });
  assert.equal(await page.locator('#fill-mask-status').textContent(), 'Filling in…');
  // Enter sends now, without waiting for the pause.
  await page.keyboard.type('r');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'fillMask').length === 2);
  const second = (await fillRequests())[1];
  assert.equal(second.text, 'the order [MASK] later');
  assert.ok(second.requestId! > first.requestId!);
  await page.clock.runFor(1000);
  assert.equal((await fillRequests()).length, 2, 'the pause after the r sends nothing more: Enter sent it');
  // No mask: said at once, nothing sent.
  await input.fill('the order is late');
  await page.clock.runFor(300);
  assert.equal(await page.locator('#fill-mask-status').textContent(), 'The sentence has no mask: type [MASK] (or <mask>) where the model should fill in a word.');
  assert.equal(await page.locator('#fill-mask-status').getAttribute('data-level'), 'hint');
  assert.equal((await fillRequests()).length, 2);
  // The reply to a request that was superseded is not drawn.
  await post({ type: 'filledMask', requestId: second.requestId!, runId: RUN_ID, result: result(), millis: 3 } satisfies DashboardFilledMaskMessage);
  await settled();
  assert.equal(await page.locator('.fill-mask-row').count(), 0);
});

test('a filledMask reply is drawn as one row per mask: position, the top tokens, probability bars, aria labels, the <unk> note', async () => {
  await post({ type: 'state', run: mlmRun(), training: false });
  const input = page.locator('#fill-mask-input');
  await input.waitFor({ state: 'visible' });
  await input.fill(SENTENCE);
  await page.clock.runFor(300);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'fillMask'));
  const [request] = await fillRequests();
  assert.equal(request.text, SENTENCE);
  // A reply for another run is not this page's.
  await post({ type: 'filledMask', requestId: request.requestId!, runId: 'another-run', result: result() });
  await settled();
  assert.equal(await page.locator('.fill-mask-row').count(), 0);
  await post({ type: 'filledMask', requestId: request.requestId!, runId: RUN_ID, result: result(), millis: 7 });
  await page.locator('.fill-mask-row').nth(1).waitFor({ state: 'visible' });
  assert.deepEqual(await page.locator('.fill-mask-heading').allTextContents(), ['Mask 1 · token 3', 'Mask 2 · token 6']);
  assert.deepEqual(await page.locator('.fill-mask-context').allTextContents(), [SENTENCE, SENTENCE]);
  assert.deepEqual(await page.locator('.fill-mask-marker').allTextContents(), ['[MASK]', '[mask]']);
  const first = page.locator('.fill-mask-row').nth(0);
  assert.deepEqual(await first.locator('.fill-mask-token').allTextContents(), ['is', 'was', 'arrived', 'box', 'late']);
  assert.deepEqual(await first.locator('.fill-mask-probability').allTextContents(), ['41.0%', '22.0%', '8.0%', '8.0%', '6.0%']);
  // Each bar is its probability's share of its track.
  const shares = await first.locator('.fill-mask-bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().width / b.parentElement!.getBoundingClientRect().width));
  [0.41, 0.22, 0.08, 0.08, 0.06].forEach((p, i) => assert.ok(Math.abs(shares[i] - p) < 0.01, `bar ${i}: ${shares[i]}`));
  assert.equal(await first.locator('ol').getAttribute('aria-label'), 'Most likely tokens for mask 1');
  assert.deepEqual(await first.locator('li').evaluateAll((li) => li.map((l) => l.getAttribute('aria-label'))), ['is: 41.0%', 'was: 22.0%', 'arrived: 8.0%', 'box: 8.0%', 'late: 6.0%']);
  assert.equal(await first.getAttribute('role'), 'listitem');
  assert.equal(await page.locator('#fill-mask-rows').getAttribute('aria-label'), 'Tokens for each mask');
  // A token from the model is text, never markup.
  assert.equal(await page.locator('.fill-mask-row').nth(1).locator('.fill-mask-token').nth(1).textContent(), '<b>x</b>');
  assert.equal(await page.locator('#fill-mask-unknown').textContent(), "Not in the model's vocabulary, read as <unk>: “parcel”");
  assert.equal(await page.locator('#fill-mask-read-as').textContent(), 'The model read: the <unk> <mask> late , <mask> again');
  assert.equal(await page.locator('#fill-mask-status').textContent(), 'Answered in 7 ms');
  // In Chinese, the same rows in the editor's language.
  await post({ type: 'state', run: mlmRun(), training: false, strings: zhCnDashboardStrings() });
  await page.waitForFunction(() => document.querySelector('#fill-mask-title')?.textContent === '填空（掩码预测）');
  assert.deepEqual(await page.locator('.fill-mask-heading').allTextContents(), ['掩码 1 · 第 3 个词元', '掩码 2 · 第 6 个词元']);
  // An error from the host replaces the rows.
  await input.fill('[MASK] order');
  await page.keyboard.press('End');
  await input.press('Enter');
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'fillMask').length === 2);
  const again = (await fillRequests())[1];
  await post({ type: 'filledMask', requestId: again.requestId!, runId: RUN_ID, error: 'the inference process exited with code 1' });
  await page.waitForFunction(() => document.querySelector('#fill-mask-status')?.textContent === '填空失败：the inference process exited with code 1');
  assert.equal(await page.locator('.fill-mask-row').count(), 0);
  // Another masked-language model shown: the sentence in the box is asked of it at once; a late reply for the first run is not drawn.
  const other = '20261206-130000-other-mlm-cd34';
  await post({ type: 'state', run: { ...mlmRun(), meta: { ...mlmRun().meta, id: other } }, training: false });
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'fillMask').length === 3);
  const third = (await fillRequests())[2];
  assert.equal(third.text, '[MASK] order');
  await post({ type: 'filledMask', requestId: third.requestId!, runId: RUN_ID, result: result() });
  await settled();
  assert.equal(await page.locator('.fill-mask-row').count(), 0);
  await post({ type: 'filledMask', requestId: third.requestId!, runId: other, result: { ...result(), masks: [result().masks[1]].map((m) => ({ ...m, index: 0 })) } });
  await page.waitForFunction(() => document.querySelectorAll('.fill-mask-row').length === 1);
  assert.deepEqual(await page.locator('.fill-mask-token').allTextContents(), ['late', '<b>x</b>']);
});

test('the box is only there for a masked-language model, and waits for its run to complete', async () => {
  await post({ type: 'state', run: { ...mlmRun(), meta: houseRunMeta({ status: 'completed' }) }, training: false });
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#fill-mask').isVisible(), false);
  await post({ type: 'state', run: mlmRun({ status: 'running' }), training: true });
  await page.locator('#fill-mask').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#fill-mask-input').isDisabled(), true);
  assert.equal(await page.locator('#fill-mask-hint').textContent(), 'The model can fill in masks once the run has completed.');
  assert.equal(await page.locator('#fill-mask').getAttribute('aria-labelledby'), 'fill-mask-title');
  // Completed: the box takes input, and the predict playground sends the user to it (it has no form for this model).
  await post({ type: 'state', run: mlmRun(), training: false });
  await page.waitForFunction(() => !(document.querySelector('#fill-mask-input') as HTMLInputElement).disabled);
  assert.equal(await page.locator('#playground-load').isVisible(), false);
  assert.equal(await page.locator('#playground .hint').first().textContent(), 'This is a masked-language model: try it in the Fill in the mask box.');
});
