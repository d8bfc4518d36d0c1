// A sweep end to end, in a real VS Code: open the house-prices sweep config,
// press "Run sweep (4 runs)", let the four runs train one after the other,
// then read the results where the knobs are: an inlay hint on each swept
// setting, a hover table, and a "Best:" CodeLens.
// Run: npm run test:e2e   (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeLens, grepExtensionLogs, log, quickOpen, startSession, StopWaiting, waitFor } from './harness';

const CONFIG = 'house-prices-sweep.experiment.json';
const SWEEP_TIMEOUT_MS = 300_000;

interface RunOnDisk {
  status: string;
  sweep?: { id: string; index: number; total: number; params: Record<string, unknown> };
  bestMetrics?: Record<string, number>;
}

function runsOnDisk(workspace: string): RunOnDisk[] {
  const runsDir = join(workspace, '.modellab', 'runs');
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(runsDir, e.name, 'meta.json')))
    .map((e) => {
      try {
        return JSON.parse(readFileSync(join(runsDir, e.name, 'meta.json'), 'utf8')) as RunOnDisk;
      } catch {
        return { status: 'unreadable' };
      }
    });
}

test('house prices sweep: run it from the CodeLens, read the results in the config', { timeout: 540_000 }, async (t) => {
  const session = await startSession({ name: 'sweep', workspace: 'examples/house-prices', readyTreeItem: CONFIG });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, CONFIG);
    const sweepLens = codeLens(page, 'Run sweep (4 runs)');
    await sweepLens.first().waitFor({ state: 'visible', timeout: 60_000 });
    await shots.take(page, 'sweep-config-with-codelens');
    const clickedAt = performance.now();
    await sweepLens.first().click();

    // The lens turns into the sweep's progress while it runs.
    await page.locator('.codelens-decoration a').filter({ hasText: /Sweep: run \d\/4/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await shots.take(page, 'sweep-running');

    const runs = await waitFor('4 completed runs of one sweep on disk', SWEEP_TIMEOUT_MS, () => {
      const all = runsOnDisk(session.workspace);
      const bad = all.find((r) => r.status === 'failed' || r.status === 'interrupted' || r.status === 'unreadable');
      if (bad) throw new StopWaiting(`a sweep run ended ${bad.status}: ${JSON.stringify(bad).slice(0, 300)}`);
      const done = all.filter((r) => r.status === 'completed');
      return done.length === 4 ? done : undefined;
    }, 500);
    log(`4 sweep runs completed ${((performance.now() - clickedAt) / 1000).toFixed(1)} s after the click`);

    await t.test('the runs are the grid\'s four points of one sweep', () => {
      assert.equal(new Set(runs.map((r) => r.sweep?.id)).size, 1);
      assert.deepEqual(runs.map((r) => r.sweep!.index).sort(), [0, 1, 2, 3]);
      const points = runs.map((r) => JSON.stringify(r.sweep!.params)).sort();
      assert.deepEqual(points, [
        { 'training.optimizer.learningRate': 0.0003, 'model.layers[0].units': 8 },
        { 'training.optimizer.learningRate': 0.0003, 'model.layers[0].units': 64 },
        { 'training.optimizer.learningRate': 0.01, 'model.layers[0].units': 8 },
        { 'training.optimizer.learningRate': 0.01, 'model.layers[0].units': 64 },
      ].map((p) => JSON.stringify(p)).sort());
    });

    await t.test('the sweep says it finished, naming the best point', async () => {
      const toast = page.locator('.notifications-toasts .notification-list-item-message').filter({ hasText: /Sweep house-prices-sweep finished: 4 runs\./ });
      await toast.first().waitFor({ state: 'visible', timeout: 60_000 });
      const text = ((await toast.first().textContent()) ?? '').trim();
      log(`notification: "${text}"`);
      assert.match(text, /Best: learningRate=[\d.]+, units=\d+ — val_loss [\d.e-]+\./);
      await shots.take(page, 'sweep-finished');
    });

    await t.test('each swept setting shows what each value gave, and a CodeLens names the best run', async () => {
      await quickOpen(page, CONFIG);
      // The best run on disk, as the lens prints it (three significant digits).
      const bestValue = Math.min(...runs.map((r) => r.bestMetrics!.val_loss));
      const shown = String(Number(bestValue.toPrecision(3)));
      // (once the runs are evaluated, the best run's test metric follows: "· test mse 529")
      const best = page.locator('.codelens-decoration a').filter({ hasText: new RegExp(`^\\s*Best: [0-9a-f]{4} val_loss ${shown.replace('.', '\\.')}( · test \\w+ [\\d.e+-]+)?\\s*$`) });
      // (the lenses are redrawn a moment after the last run ends)
      await best.first().waitFor({ state: 'visible', timeout: 60_000 });
      log(`best lens: "${((await best.first().textContent()) ?? '').trim()}"`);
      // Inlay hints are text injected into the editor's lines.
      let seen: string[] = [];
      const hintLines = await waitFor('inlay hints on the learningRate and units lines', 60_000, async () => {
        const lines = (await page.locator('.monaco-editor .view-lines .view-line').allTextContents()).map((l) => l.replace(/\u00a0/g, ' ').trim());
        // (the padding between hints is not a plain space: match it with \s)
        seen = lines.filter((l) => l.includes('val_loss'));
        const withHints = lines.filter((l) => /val_loss: [\d.e-]+ → [\d.e-]+\s*· [\d.e-]+ → [\d.e-]+/.test(l));
        // Hints arrive line range by line range; wait for both swept settings.
        return withHints.some((l) => /"learningRate"/.test(l)) && withHints.some((l) => /"units": 64/.test(l)) ? withHints : undefined;
      }, 500).catch((error: Error) => {
        const html = page.locator('.monaco-editor .view-lines .view-line').filter({ hasText: 'val_loss' }).first().innerHTML().catch(() => '');
        return html.then((h) => {
          throw new Error(`${error.message}; lines with val_loss: ${JSON.stringify(seen)}; html: ${h.slice(0, 1500)}`);
        });
      });
      for (const line of hintLines) log(`hint line: ${line}`);
      const lr = hintLines.find((l) => /"learningRate"/.test(l));
      const units = hintLines.find((l) => /"units": 64/.test(l));
      assert.ok(lr, `no hint on the learningRate line: ${JSON.stringify(hintLines)}`);
      assert.ok(units, `no hint on the units line: ${JSON.stringify(hintLines)}`);
      // The editor cuts a line's hints at 43 characters (editor.inlayHints.maximumLength): the run count goes first.
      // The hint stands apart from the value: after the value's comma, led by the metric, its pieces joined by " · ".
      assert.match(lr, /"learningRate": 0\.003\s*val_loss: 0\.0003 → [\d.e-]+\s*· 0\.01 → [\d.e-]+ ★/);
      assert.match(units, /"units": 64,\s*val_loss: 8 → [\d.e-]+( ★)?\s*· 64 → [\d.e-]+( ★)?/);
      assert.doesNotMatch(units, /"units": 64,?\s*8 →/, 'the first value tried never reads as more of the value 64');
      await shots.take(page, 'sweep-results-in-config');
    });

    await t.test('hovering a swept setting shows the table of its values', async () => {
      const key = page.locator('.monaco-editor .view-line span').filter({ hasText: /^"learningRate"$/ }).first();
      await key.hover();
      const hover = page.locator('.monaco-hover-content').filter({ hasText: /best run/ });
      await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
      const text = ((await hover.first().textContent()) ?? '').replace(/\s+/g, ' ');
      log(`hover: ${text.slice(0, 400)}`);
      assert.match(text, /training\.optimizer\.learningRate — 4 finished runs, by val_loss \(lower is better\)/);
      assert.match(text, /0\.01 ★/);
      await shots.take(page, 'sweep-hover');
    });
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    if (session.errors.length > 0) log(`console errors (${session.errors.length}):\n  ${session.errors.slice(0, 30).join('\n  ')}`);
    await session.close({ failed });
    if (failed) {
      const hits = grepExtensionLogs(session.shots.dir, /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/).filter((line) => /model.?lab|modellab|trainer/i.test(line));
      if (hits.length > 0) log(`extension log lines about errors:\n  ${hits.slice(0, 40).join('\n  ')}`);
    }
    log(`screenshots and logs: ${session.shots.dir}`);
  }
});
