// "What changed" (#17) end to end in a real VS Code: the intent classifier is
// trained with the CLI (one epoch), then fine-tuned from that run with
// model.base (one epoch, the trainer records meta.base); a text file is
// opened, and the dashboard's attention view offers the base beside the
// fine-tuned model and their difference — both computed by the inference
// child over the open file's tokens.
// Run: node --import tsx --test test/e2e/attentionDiff.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { log, quickOpen, repoRoot, runCommand, startSession, waitFor, webviewWith, type Session } from './harness';

const TEXT_FILE = 'customer-mail.txt';
const TEXT = 'Hello, I want to cancel my order and get a refund.\n';

test('attention: a fine-tuned run shows its base side by side and the difference', { timeout: 900_000 }, async () => {
  let baseDir = '';
  let tunedDir = '';
  const session: Session = await startSession({
    name: 'attention-diff',
    workspace: 'examples/intent-classifier',
    readyTreeItem: 'intent-classifier.experiment.json',
    prepareWorkspace: (workspace) => {
      const started = Date.now();
      const runsDir = join(workspace, '.modellab', 'runs');
      const cli = (args: string[]) =>
        execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args, '--runs-dir', runsDir, '--json'], { cwd: workspace, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
      cli(['train', 'intent-classifier.experiment.json', '--epochs', '1']);
      baseDir = join(runsDir, readdirSync(runsDir)[0]);
      const config = {
        name: 'intent-finetuned',
        task: 'classification',
        data: { source: 'data/intents.jsonl', text: 'text', target: 'intent', split: { validation: 0.15, test: 0.15, seed: 42 } },
        model: { type: 'transformerEncoder', base: baseDir, layers: 2, heads: 4, dModel: 64, ffDim: 128, dropout: 0.1, maxLength: 128, positional: 'sinusoidal', pooling: 'mean' },
        training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], epochs: 1, batchSize: 32, seed: 2 },
      };
      writeFileSync(join(workspace, 'intent-finetuned.experiment.json'), JSON.stringify(config, null, 2));
      cli(['train', 'intent-finetuned.experiment.json']);
      tunedDir = join(runsDir, readdirSync(runsDir).find((id) => id.includes('intent-finetuned'))!);
      const meta = JSON.parse(readFileSync(join(tunedDir, 'meta.json'), 'utf8')) as { base?: { path: string } };
      assert.ok(meta.base, 'the trainer recorded meta.base');
      log(`trained the base and the fine-tuned classifier in ${((Date.now() - started) / 1000).toFixed(1)} s; meta.base: ${JSON.stringify(meta.base)}`);
      writeFileSync(join(workspace, TEXT_FILE), TEXT);
    },
  });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, TEXT_FILE);
    await runCommand(page, 'Model Lab: Open Dashboard');
    const dashboard = await webviewWith(page, '#attention', 60_000);
    const section = dashboard.locator('#attention');
    const tunedId = basename(tunedDir);
    await waitFor(`the fine-tuned run ${tunedId}'s attention with its base's`, 180_000, async () => {
      const status = await section.getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
      if (status === 'error') throw new Error(`attention failed: ${await dashboard.locator('.attention-status').textContent()}`);
      const base = await dashboard.locator('.attention-diff').getAttribute('data-base', { timeout: 1_000 }).catch(() => null);
      if (base === 'error') throw new Error(`the base's attention failed: ${await dashboard.locator('.attention-diff-notice').textContent()}`);
      return status === 'ready' && (await section.getAttribute('data-run-id')) === tunedId && base === 'ready' ? true : undefined;
    });
    await dashboard.locator('.attention-view-sideBySide').check();
    await dashboard.locator('.attention-base-map').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await dashboard.locator('.attention-base-line').textContent(), `Base: ${basename(baseDir)}`);
    // The same tokens on both sides.
    const rows = async (sel: string) => dashboard.locator(sel).getAttribute('data-rows');
    assert.equal(await rows('.attention-base-map'), await rows('.attention-tuned-map'));
    await shots.take(dashboard.locator('#attention'), 'side-by-side');
    await dashboard.locator('.attention-view-difference').check();
    await dashboard.locator('.attention-diff-map').waitFor({ state: 'visible', timeout: 30_000 });
    const range = Number(await dashboard.locator('.attention-diff-scale').getAttribute('data-max'));
    log(`largest change in layer 1, head 1: ${range}; ${JSON.stringify(await dashboard.locator('.attention-change').allTextContents())}`);
    // A fine-tuning epoch at learning rate 0.01 moves the attention: the scale is not empty, and the changes are listed in words.
    assert.ok(range > 0, `range ${range}`);
    const first = (await dashboard.locator('.attention-change').first().textContent()) ?? '';
    assert.match(first, /^\S+ → \S+: [+−]\d\.\d\d$/);
    await shots.take(dashboard.locator('#attention'), 'difference');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
