// A Bayesian sweep with early termination end to end, in a real VS Code:
// the customer-churn example (a bayes sweep over learning rate and whole
// layer stacks with asha), made small (6 runs of 6 epochs), run from its
// CodeLens. Runs that fall behind at a rung stop as pruned: on disk they end
// `pruned` after fewer epochs with their rung recorded, the notification
// counts them, and the sidebar lists them under the sweep as pruned; then
// Build Ensemble of the Top Runs joins the best completed runs as one model.
// Run: node --import tsx --test test/e2e/sweepPruning.e2e.test.ts   (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parse as parseJsonc } from 'jsonc-parser';
import { codeLens, log, quickOpen, runCommand, startSession, StopWaiting, treeItemTooltip, waitFor, withChecks } from './harness';
import type { RunMeta } from '../../src/core/types';

const CONFIG = 'customer-churn.experiment.json';
const RUNS = 6;
const EPOCHS = 6;

/** The example's sweep, smaller: 6 points of 6 epochs (rungs at epochs 1 and 3). */
function shrinkSweep(workspace: string): void {
  const file = join(workspace, CONFIG);
  const config = parseJsonc(readFileSync(file, 'utf8')) as { sweep: { count: number; method: string; earlyTermination: unknown }; training: { epochs: number } };
  assert.equal(config.sweep.method, 'bayes');
  assert.ok(config.sweep.earlyTermination, 'the example sweeps with early termination');
  config.sweep.count = RUNS;
  config.training.epochs = EPOCHS;
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
}

function runsOnDisk(workspace: string): { meta: RunMeta; dir: string }[] {
  const runsDir = join(workspace, '.modellab', 'runs');
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(runsDir, e.name, 'meta.json')))
    .map((e) => {
      const dir = join(runsDir, e.name);
      try {
        return { meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta, dir };
      } catch {
        return { meta: { status: 'unreadable' } as unknown as RunMeta, dir };
      }
    });
}

function experimentsView(page: Page) {
  return page.locator('[id="workbench.view.extension.modelLab"]');
}

test('bayes sweep with early termination: run it from the CodeLens, see pruned runs in the sidebar', { timeout: 540_000 }, async (t) => {
  const session = await startSession({ name: 'sweep-pruning', workspace: 'examples/customer-churn', readyTreeItem: CONFIG, prepareWorkspace: shrinkSweep });
  const { page, shots } = session;
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|trainer|sweep/i }, async (check) => {
    await quickOpen(page, CONFIG);
    const lens = codeLens(page, `Run sweep (${RUNS} runs)`);
    await lens.first().waitFor({ state: 'visible', timeout: 60_000 });
    await shots.take(page, 'pruning-config-with-codelens');
    const clickedAt = performance.now();
    await lens.first().click();

    const runs = await waitFor(`${RUNS} runs of one sweep ended on disk`, 420_000, () => {
      const all = runsOnDisk(session.workspace);
      const bad = all.find((r) => !['running', 'completed', 'pruned'].includes(r.meta.status));
      if (bad) throw new StopWaiting(`a sweep run ended ${bad.meta.status}: ${JSON.stringify(bad.meta).slice(0, 400)}`);
      const ended = all.filter((r) => r.meta.status === 'completed' || r.meta.status === 'pruned');
      return ended.length === RUNS ? ended : undefined;
    }, 500);
    log(`${RUNS} runs ended ${((performance.now() - clickedAt) / 1000).toFixed(1)} s after the click: ${runs.map((r) => `#${r.meta.sweep!.index + 1} ${r.meta.status} after ${r.meta.epochsDone}`).join(', ')}`);
    const pruned = runs.filter((r) => r.meta.status === 'pruned');
    const completed = runs.filter((r) => r.meta.status === 'completed');

    await check('runs that fell behind at a rung ended pruned, after fewer epochs, not evaluated; the others trained to the end', async () => {
      assert.equal(new Set(runs.map((r) => r.meta.sweep?.id)).size, 1);
      assert.ok(pruned.length >= 1, 'at least one run pruned');
      assert.ok(completed.length >= 1, 'at least one run trained to the end');
      for (const r of pruned) {
        const rungs = r.meta.sweep!.rungs!;
        const last = rungs[rungs.length - 1];
        assert.ok(r.meta.epochsDone < EPOCHS, `pruned after ${r.meta.epochsDone} epochs`);
        assert.equal(last.epoch, r.meta.epochsDone, 'pruned at the rung it last reached');
        assert.ok(last.rank! > last.kept!, `placed ${last.rank} with ${last.kept} going on`);
        assert.equal(existsSync(join(r.dir, 'evaluation.json')), false);
      }
      for (const r of completed) {
        assert.equal(r.meta.epochsDone, EPOCHS);
        assert.ok(existsSync(join(r.dir, 'evaluation.json')));
      }
      // The first point meets no one at its rungs: it always goes on.
      assert.equal(runs.find((r) => r.meta.sweep!.index === 0)!.meta.status, 'completed');
    });

    await check('the notification counts the pruned runs and names a completed best', async () => {
      const toast = page.locator('.notifications-toasts .notification-list-item-message').filter({ hasText: /Sweep customer-churn finished/ });
      await toast.first().waitFor({ state: 'visible', timeout: 60_000 });
      const text = ((await toast.first().textContent()) ?? '').trim();
      log(`notification: "${text}"`);
      assert.match(text, new RegExp(`Sweep customer-churn finished: ${RUNS} runs\\. Best: learningRate=[\\d.]+, layers=dense\\d+→.*val_loss [\\d.]+\\. ${pruned.length} pruned early \\(fell behind at a rung\\)\\.`));
      await shots.take(page, 'pruning-finished');
    });

    await check('the sidebar lists the pruned runs under the sweep, marked pruned with the epoch they stopped at', async () => {
      const activity = page.locator('.activitybar .action-item a[aria-label^="Model Lab"], .activitybar .action-label[aria-label^="Model Lab"]').first();
      await activity.click();
      await page.mouse.move(900, 600);
      const view = experimentsView(page);
      const sweepRow = view.getByRole('treeitem', { name: new RegExp(`^Sweep \\(${RUNS}/${RUNS} runs\\)`) });
      await sweepRow.first().waitFor({ state: 'visible', timeout: 60_000 });
      if ((await sweepRow.first().getAttribute('aria-expanded')) !== 'true') await sweepRow.first().click();
      const prunedRows = view.getByRole('treeitem', { name: /^#\d+ .*, pruned, pruned at epoch \d\/6/ });
      await waitFor(`${pruned.length} pruned rows`, 30_000, async () => ((await prunedRows.count()) === pruned.length ? true : undefined));
      const labels = await prunedRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
      for (const l of labels) log(`pruned row: "${l}"`);
      for (const r of pruned) assert.ok(labels.some((l) => l.startsWith(`#${r.meta.sweep!.index + 1} `) && l.includes(`pruned at epoch ${r.meta.epochsDone}/${EPOCHS}`)), `row of #${r.meta.sweep!.index + 1}`);
      // The best is a completed run, starred; no pruned row is.
      const best = view.getByRole('treeitem', { name: /, completed, ★/ });
      await best.first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(labels.some((l) => l.includes('★')), false);
      await shots.take(view, 'pruning-sidebar');
    });

    await check("a pruned run's tooltip says where it stood at the rung", async () => {
      const first = pruned.sort((a, b) => a.meta.sweep!.index - b.meta.sweep!.index)[0];
      const rung = first.meta.sweep!.rungs![first.meta.sweep!.rungs!.length - 1];
      const row = experimentsView(page).getByRole('treeitem', { name: new RegExp(`^#${first.meta.sweep!.index + 1} .*, pruned`) });
      const tip = await treeItemTooltip(page, row.first(), /Pruned/);
      const text = ((await tip.textContent()) ?? '').replace(/\s+/g, ' ');
      log(`tooltip: ${text.slice(0, 300)}`);
      assert.match(text, new RegExp(`Pruned at epoch ${rung.epoch}: placed ${rung.rank} of ${rung.of} runs, the best ${rung.kept} went on`));
      await shots.take(page, 'pruning-tooltip');
    });

    await check("Build Ensemble of the Top Runs: the sweep's top points as one model on disk, its test metric beside the best run's", async () => {
      // The top 3 points by val_loss that have a model: the completed runs (a pruned run is never one).
      assert.ok(completed.length >= 2, 'two completed runs to join');
      const members = Math.min(3, completed.length);
      await runCommand(page, 'Model Lab: Build Ensemble of the Top Runs');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await input.inputValue(), '3');
      await page.keyboard.press('Enter');
      const toast = page.locator('.notifications-toasts .notification-list-item-message').filter({ hasText: /Ensemble of \d+ models built in/ });
      await toast.first().waitFor({ state: 'visible', timeout: 240_000 });
      const text = ((await toast.first().textContent()) ?? '').trim();
      log(`notification: "${text}"`);
      const sweepId = runs[0].meta.sweep!.id;
      const m = new RegExp(`^Ensemble of ${members} models built in \\.modellab/ensembles/${sweepId}-top3: test (\\w+) ([\\d.]+); the best run alone had test \\1 ([\\d.]+) \\(the same 300 test rows\\)\\.`).exec(text);
      assert.ok(m, text);
      const folder = join(session.workspace, '.modellab', 'ensembles', `${sweepId}-top3`);
      const ensemble = JSON.parse(readFileSync(join(folder, 'ensemble.json'), 'utf8')) as { members: string[]; runs: { id: string }[] };
      const byValLoss = [...completed].sort((a, b) => (a.meta.bestMetrics ?? a.meta.lastMetrics)!.val_loss - (b.meta.bestMetrics ?? b.meta.lastMetrics)!.val_loss);
      assert.deepEqual(ensemble.runs.map((r) => r.id), byValLoss.slice(0, members).map((r) => r.meta.id), 'the best completed runs by val_loss, best first');
      assert.equal(ensemble.members.length, members);
      // The best run alone: its own evaluation on the same 300 test rows.
      const bestEval = JSON.parse(readFileSync(join(byValLoss[0].dir, 'evaluation.json'), 'utf8')) as { metrics: Record<string, number> };
      assert.ok(Math.abs(bestEval.metrics[m![1]] - Number(m![3])) < 0.001, `the best run's test ${m![1]}: ${bestEval.metrics[m![1]]} on disk, ${m![3]} said`);
      await shots.take(page, 'ensemble-built');
    });
  });
});
