// Attention for the open file, end to end in a real VS Code: the intent
// classifier is trained beforehand with the CLI (one epoch: enough for a
// saved Transformer), a text file is opened, the dashboard shows the heatmap
// of that file's tokens and the prediction; typing in the file updates it,
// and the time from the edit to the updated heatmap is measured and printed.
// Run: node --import tsx --test test/e2e/attention.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeTinyLanguageModel } from '../helpers/fixtures';
import { log, pickQuickPickRow, quickOpen, repoRoot, runCommand, startSession, waitFor, webviewWith, type Session } from './harness';

const TEXT_FILE = 'customer-mail.txt';
const TEXT = 'Hello, I want to cancel my order and get a refund.\n我想取消订单，谢谢。\n';


interface AttentionJson {
  tokens: string[];
}

/** Tokens the CLI's `modellab attention` gives for a file (the same tokenizer and cap as the dashboard). */
function cliTokens(workspace: string, runDir: string, file: string): string[] {
  const out = execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'attention', runDir, file, '--json', '--max-tokens', '128'], {
    cwd: workspace,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as AttentionJson).tokens;
}

test('attention: the open file gets a heatmap, and an edit updates it', { timeout: 600_000 }, async () => {
  let runDir = '';
  let lmRunDir = '';
  let expected: string[] = [];
  const session: Session = await startSession({
    name: 'attention',
    workspace: 'examples/intent-classifier',
    readyTreeItem: 'intent-classifier.experiment.json',
    prepareWorkspace: (workspace) => {
      const started = Date.now();
      const runsDir = join(workspace, '.modellab', 'runs');
      // First, so the classifier is the latest Transformer run (the default model: the run that ended last).
      execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'train', writeTinyLanguageModel(join(workspace, 'tiny-lm')), '--runs-dir', runsDir, '--json'], {
        cwd: workspace,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120_000,
      });
      execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'train', 'intent-classifier.experiment.json', '--epochs', '1', '--runs-dir', runsDir, '--json'], {
        cwd: workspace,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300_000,
      });
      runDir = join(runsDir, readdirSync(runsDir).filter((id) => id.includes('intent-classifier'))[0]);
      lmRunDir = join(runsDir, readdirSync(runsDir).filter((id) => id.includes('tiny-lm'))[0]);
      const endedAt = (dir: string) => Date.parse((JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { endedAt: string }).endedAt);
      assert.ok(endedAt(runDir) > endedAt(lmRunDir), 'the classifier ended after the language model');
      log(`trained the intent classifier (1 epoch) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${runDir}`);
      writeFileSync(join(workspace, TEXT_FILE), TEXT);
      expected = cliTokens(workspace, runDir, join(workspace, TEXT_FILE));
    },
  });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, TEXT_FILE);
    await runCommand(page, 'Model Lab: Open Dashboard');
    const dashboard = await webviewWith(page, '#attention', 60_000);
    const heatmap = dashboard.locator('.attention-heatmap');
    const section = dashboard.locator('#attention');

    // ── the heatmap of the file's tokens appears, from the classifier's run ──
    const classifierId = basename(runDir);
    await waitFor(`a heatmap of the open file from run ${classifierId}`, 120_000, async () => {
      const status = await section.getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
      if (status === 'error') throw new Error(`attention failed: ${await dashboard.locator('.attention-status').textContent()}`);
      const shown = await section.getAttribute('data-run-id', { timeout: 1_000 }).catch(() => null);
      if (shown !== classifierId) throw new Error(`the attention view shows run ${shown} (${status})`);
      return status === 'ready' && (await heatmap.isVisible().catch(() => false)) ? true : undefined;
    });
    assert.equal((await dashboard.locator('.attention-run').textContent())?.trim(), `run ${classifierId}`);
    assert.match((await dashboard.locator('.attention-model').textContent()) ?? '', /^Model: intent-classifier \(latest Transformer run\)$/);
    assert.equal(await heatmap.getAttribute('data-rows'), String(expected.length), `tokens: ${expected.join(' ')}`);
    assert.equal(await heatmap.getAttribute('data-cols'), String(expected.length));
    // Two layers × four heads in the example.
    assert.equal(await dashboard.locator('.attention-thumb').count(), 8);
    assert.match((await dashboard.locator('.attention-source').textContent()) ?? '', new RegExp(`${TEXT_FILE}, lines 1–\\d`));
    assert.match((await dashboard.locator('.attention-predicted').textContent()) ?? '', /^Prediction: \S+/);
    assert.equal(await dashboard.locator('.attention-prob').count(), 8);
    // Hover the first cell: the pair is the first token with itself.
    const g = await heatmap.evaluate((c: HTMLCanvasElement) => ({ cell: Number(c.dataset.cell), x: Number(c.dataset.originX), y: Number(c.dataset.originY) }));
    await heatmap.hover({ position: { x: g.x + g.cell / 2, y: g.y + g.cell / 2 } });
    assert.match((await dashboard.locator('.attention-tooltip').textContent()) ?? '', new RegExp(`^${expected[0]} → ${expected[0]}: 0\\.\\d{4}$`));
    await shots.take(page, 'heatmap-for-open-file');
    await shots.take(dashboard.locator('#attention'), 'attention-section');

    // ── an edit updates it ──
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    // One edit (as a paste would be), so the time is measured from the edit, not from a keystroke mid-word.
    await page.keyboard.insertText('Where is my parcel?');
    const editedAt = performance.now();
    const rows = await waitFor('the heatmap to follow the edit', 60_000, async () => {
      const n = Number(await heatmap.getAttribute('data-rows', { timeout: 1_000 }).catch(() => '0'));
      const status = await section.getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
      // "where is my parcel ?" adds five tokens.
      return status === 'ready' && n === expected.length + 5 ? n : undefined;
    }, 20);
    const updateMs = performance.now() - editedAt;
    log(`time from the edit to the updated heatmap: ${Math.round(updateMs)} ms (debounce 300 ms included; ${expected.length} → ${rows} tokens)`);
    assert.equal(rows, expected.length + 5);
    assert.match((await dashboard.locator('.attention-source').textContent()) ?? '', /28 tokens/);
    await shots.take(page, 'heatmap-after-edit');

    // ── a thumbnail opens its head ──
    await dashboard.locator('.attention-thumb[data-layer="1"][data-head="3"]').click();
    assert.equal(await heatmap.getAttribute('data-layer'), '1');
    assert.equal(await heatmap.getAttribute('data-head'), '3');
    await shots.take(dashboard.locator('#attention'), 'layer2-head4');

    // ── pin the run from the command palette ──
    await runCommand(page, 'Model Lab: Pin Model for Attention');
    await pickQuickPickRow(page, 'intent-classifier');
    await waitFor('the model line to say pinned', 30_000, async () =>
      /intent-classifier \(pinned\)/.test((await dashboard.locator('.attention-model').textContent({ timeout: 1_000 })) ?? '') ? true : undefined,
    );
    await shots.take(page, 'pinned');

    // ── pin the language model: causal heatmap and the generate box ──
    await runCommand(page, 'Model Lab: Pin Model for Attention');
    await pickQuickPickRow(page, 'tiny-lm');
    await dashboard.locator('.attention-generate').waitFor({ state: 'visible', timeout: 60_000 });
    await waitFor('the language model\'s heatmap', 60_000, async () =>
      (await section.getAttribute('data-status', { timeout: 1_000 })) === 'ready' &&
      (await section.getAttribute('data-run-id', { timeout: 1_000 })) === basename(lmRunDir) &&
      /tiny-lm \(pinned\)/.test((await dashboard.locator('.attention-model').textContent()) ?? '')
        ? true
        : undefined,
    );
    await dashboard.locator('.generate-prompt').fill('The ');
    await dashboard.locator('.generate-length').fill('40');
    await dashboard.locator('.generate-button').click();
    await dashboard.locator('.generate-output').waitFor({ state: 'visible', timeout: 60_000 });
    const generated = (await dashboard.locator('.generate-output').textContent()) ?? '';
    log(`generated: ${JSON.stringify(generated)} (${await dashboard.locator('.generate-status').textContent()})`);
    assert.ok(generated.startsWith('The ') && [...generated].length === 44, generated);
    await shots.take(dashboard.locator('#attention'), 'language-model-generate');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
