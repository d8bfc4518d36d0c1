// Find Learning Rate, end to end, in a real VS Code: open the house-prices
// config, press the "Find Learning Rate" CodeLens over its learningRate, wait
// for the range test's chart and suggestion in the panel, apply it, and read
// the config file on disk: the suggested value is there, and nothing else of
// the file changed (comments and formatting kept).
// Run: npm run package && node --import tsx --test test/e2e/lrFinder.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeLens, log, quickOpen, startSession, waitFor, webviewWith, withChecks } from './harness';

const CONFIG = 'house-prices.experiment.json';
const RANGE_TEST_TIMEOUT_MS = 180_000;

test('house prices: Find Learning Rate from the CodeLens, apply the suggestion, the config on disk has it', { timeout: 420_000 }, async (t) => {
  const session = await startSession({ name: 'lr-finder', workspace: 'examples/house-prices', readyTreeItem: CONFIG });
  const { page, shots } = session;
  const configFile = join(session.workspace, CONFIG);
  const before = readFileSync(configFile, 'utf8');
  assert.match(before, /"learningRate": 0\.003\b/);
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|lr finder/i }, async (check) => {
    await quickOpen(page, CONFIG);
    const lens = codeLens(page, 'Find Learning Rate');
    await lens.first().waitFor({ state: 'visible', timeout: 60_000 });
    await shots.take(page, 'config-with-lr-lens');
    await lens.first().click();

    const panel = await webviewWith(page, '#lr-chart', 60_000);
    const apply = panel.locator('#lr-apply');
    const suggested = await waitFor('the suggestion in the panel', RANGE_TEST_TIMEOUT_MS, async () => {
      const status = (await panel.locator('#lr-status').getAttribute('data-status', { timeout: 1_000 }).catch(() => null)) ?? '';
      if (status === 'failed') throw new Error(`the range test failed: ${await panel.locator('#lr-status').textContent()}`);
      const text = (await panel.locator('#lr-suggestion').textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
      return /Suggested learning rate: (\S+)/.exec(text)?.[1];
    }, 250);
    log(`suggested learning rate: ${suggested}`);
    await shots.take(page, 'lr-finder-done');

    await check('the chart is on a log axis and the reason is given', async () => {
      assert.equal(await panel.locator('#lr-chart').getAttribute('data-x-scale'), 'logarithmic');
      assert.match((await panel.locator('#lr-reason').textContent()) ?? '', /^Why: the smoothed loss falls fastest there/);
      assert.equal(await panel.locator('#lr-current').textContent(), 'The config has 0.003.');
      const lr = Number(suggested);
      assert.ok(lr > 1e-5 && lr < 1, `suggested ${suggested}`);
    });

    await apply.click();
    // The editor's save truncates then writes: wait for the whole new value, not just a change.
    const after = await waitFor('the config on disk to hold the suggested learning rate', 30_000, () => {
      const text = readFileSync(configFile, 'utf8');
      return text.includes(`"learningRate": ${suggested}`) && text.trimEnd().endsWith('}') ? text : undefined;
    }, 100);
    await check('the file on disk has the suggestion and nothing else changed', async () => {
      assert.equal(after, before.replace('"learningRate": 0.003', `"learningRate": ${suggested}`));
      await panel.locator('#lr-applied').filter({ hasText: 'written into the config' }).waitFor({ timeout: 10_000 });
    });
    await shots.take(page, 'lr-applied');
  });
});
