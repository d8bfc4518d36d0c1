// The Model Lab sidebar and the run comparison in a real VS Code: a run
// trained with the CLI before the window opens is listed under its
// experiment; a second one, trained with the CLI while the window is open
// (after an edit of the learning rate), appears by itself; selecting both and
// choosing Compare Runs shows both curves and the parameter table, where
// "differences only" leaves the learning rate.
// Run: node --import tsx --test test/e2e/sidebar.e2e.test.ts   (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { log, pixelStats, repoRoot, startSession, treeItemTooltip, waitFor, webviewWith, withChecks } from './harness';

const CONFIG = 'house-prices.experiment.json';
const CLI = join(repoRoot, 'dist', 'cli.js');

/** Trains the workspace's config for two epochs with the CLI, as a user would in a terminal. */
function trainWithCli(workspace: string): string {
  const started = Date.now();
  const out = execFileSync(process.execPath, [CLI, 'train', CONFIG, '--epochs', '2', '--runs-dir', join(workspace, '.modellab', 'runs')], {
    cwd: workspace,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  const folder = /run folder: (.+)/.exec(out)?.[1]?.trim() ?? '?';
  log(`CLI trained ${folder} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return folder;
}

/** The Experiments view's rows. */
function experimentsView(page: Page): Locator {
  return page.locator('[id="workbench.view.extension.modelLab"]');
}

function runRows(page: Page): Locator {
  // Run rows are labelled by their creation time: "03-01 10:00:00, completed, val_loss 0.06".
  return experimentsView(page).getByRole('treeitem', { name: /^(\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d, / });
}

test('sidebar: experiments and their runs (CLI runs included), compare two runs', { timeout: 480_000 }, async (t) => {
  const session = await startSession({
    name: 'sidebar',
    workspace: 'examples/house-prices',
    readyTreeItem: CONFIG,
    prepareWorkspace: (ws) => void trainWithCli(ws),
  });
  const { page, shots } = session;
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|compare|experiments/i }, async (check) => {
    // ── open the Model Lab view container from the activity bar ──
    const activity = page.locator('.activitybar .action-item a[aria-label^="Model Lab"], .activitybar .action-label[aria-label^="Model Lab"]').first();
    await activity.waitFor({ state: 'visible', timeout: 60_000 });
    await activity.click();
    await page.mouse.move(900, 600); // so the activity bar's hover does not stay in the pictures
    const view = experimentsView(page);
    // (The example folder also holds the sweep variant, house-prices-sweep.)
    const experiment = view.getByRole('treeitem', { name: /^house-prices \d+ runs? · / });
    await experiment.waitFor({ state: 'visible', timeout: 60_000 });

    await check('the run trained before the window opened is listed under its experiment', async () => {
      await waitFor('one run row', 30_000, async () => ((await runRows(page).count()) === 1 ? true : undefined));
      const label = (await runRows(page).first().getAttribute('aria-label')) ?? '';
      log(`run row: "${label}"`);
      assert.match(label, /, completed, val_loss \d/);
      const description = ((await experiment.textContent()) ?? '').replace(/\s+/g, ' ');
      assert.match(description, /house-prices.*1 run/);
      await shots.take(view, 'sidebar-one-run');
    });

    await check('a run the CLI trains while the window is open appears by itself', async () => {
      // An edit between runs, so the comparison has a difference to show.
      const configPath = join(session.workspace, CONFIG);
      const text = readFileSync(configPath, 'utf8');
      assert.match(text, /"learningRate": 0\.003/);
      writeFileSync(configPath, text.replace('"learningRate": 0.003', '"learningRate": 0.01'));
      trainWithCli(session.workspace);
      const runs = readdirSync(join(session.workspace, '.modellab', 'runs'));
      assert.equal(runs.length, 2, `run folders: ${runs.join(', ')}`);
      const appearedAfter = performance.now();
      await waitFor('two completed runs', 30_000, async () => {
        const labels = await runRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
        return labels.length === 2 && labels.every((l) => /, completed, val_loss \d/.test(l)) ? true : undefined;
      });
      log(`the second run appeared in the sidebar ${((performance.now() - appearedAfter) / 1000).toFixed(1)} s after the CLI finished`);
      assert.match(((await experiment.textContent()) ?? '').replace(/\s+/g, ' '), /2 runs/);
      await shots.take(view, 'sidebar-two-runs');
    });

    await check('a run\'s tooltip lists its key settings', async () => {
      const hover = await treeItemTooltip(page, runRows(page).first(), /Optimizer/);
      const text = ((await hover.textContent()) ?? '').replace(/\s+/g, ' ');
      log(`tooltip: ${text.slice(0, 200)}`);
      assert.match(text, /Backend\s*wasm|Backend\s*tensorflow|Backend\s*cpu/);
      assert.match(text, /Optimizer\s*adam, lr 0\.01/, 'the newest run (listed first) trained with the edited learning rate');
      assert.match(text, /Batch size\s*32/);
      assert.match(text, /Epochs\s*2\/2/);
      await shots.take(page, 'sidebar-tooltip');
      await page.mouse.move(900, 600);
    });

    let compare: FrameLocator | undefined;
    await check('selecting both runs and choosing Compare Runs opens the comparison', async () => {
      const rows = runRows(page);
      await rows.nth(0).click();
      await rows.nth(1).click({ modifiers: ['Control'] });
      await waitFor('both runs selected', 10_000, async () => ((await view.locator('[role="treeitem"][aria-selected="true"]').count()) === 2 ? true : undefined));
      await rows.nth(1).click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item').filter({ hasText: /^\s*Compare Runs\s*$/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await shots.take(page, 'run-context-menu');
      await item.click();
      await page.getByRole('tab', { name: /Compare Runs \(2\)/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
      compare = await webviewWith(page, '#compare-chart', 60_000);
    });

    await check('the comparison draws both runs\' curves in two colours', async () => {
      assert.ok(compare, 'the comparison did not open');
      const chart = compare.locator('#compare-chart');
      // Per run: batch losses, their smoothed twin, val_loss per epoch.
      await waitFor('six series on #compare-chart', 30_000, async () => ((await chart.getAttribute('data-series')) === '6' ? true : undefined));
      const colours = await compare.locator('#run-legend li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-color') ?? ''));
      assert.equal(colours.length, 2);
      assert.notEqual(colours[0], colours[1]);
      const counts = await chart.evaluate((canvas: HTMLCanvasElement, list: string[]) => {
        const ctx = canvas.getContext('2d')!;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const parser = document.createElement('canvas').getContext('2d')!;
        const rgbs = list.map((c) => {
          parser.fillStyle = '#000000';
          parser.fillStyle = c;
          const hex = String(parser.fillStyle);
          return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        });
        const out = list.map(() => 0);
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] < 200) continue;
          rgbs.forEach(([r, g, b], k) => {
            if (Math.abs(data[i] - r) <= 16 && Math.abs(data[i + 1] - g) <= 16 && Math.abs(data[i + 2] - b) <= 16) out[k]++;
          });
        }
        return out;
      }, colours);
      log(`#compare-chart: colours ${colours.join(', ')} drawn with ${counts.join(', ')} pixels`);
      for (let i = 0; i < 2; i++) assert.ok(counts[i] > 100, `run ${i + 1}'s curve (${colours[i]}) has only ${counts[i]} pixels`);
      const png = await shots.take(chart, 'compare-chart');
      const stats = pixelStats(png);
      assert.ok(stats.foregroundShare > 0.01 && stats.distinctColors >= 6, `chart pixels: ${JSON.stringify(stats)}`);
      await shots.take(page, 'compare-panel');
    });

    await check('the parameter table, with "differences only", shows the learning rate that differs', async () => {
      assert.ok(compare, 'the comparison did not open');
      const params = compare.locator('#params-table');
      await params.locator('tbody tr').first().waitFor({ state: 'visible', timeout: 15_000 });
      const allRows = await params.locator('tbody tr').count();
      assert.ok(allRows > 10, `${allRows} parameter rows`);
      await compare.locator('#differences-only').click();
      await waitFor('"differences only" to filter the table', 10_000, async () => ((await params.locator('tbody tr').count()) < allRows ? true : undefined));
      const keys = await params.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
      log(`differing parameters: ${keys.join(', ')}`);
      assert.deepEqual(keys, ['training.optimizer.learningRate']);
      const cells = await params.locator('tbody tr td').allTextContents();
      assert.deepEqual(cells.map((c) => c.trim()), ['0.01', '0.003'], 'newest run first, as in the sidebar');
      const metricKeys = await compare.locator('#metrics-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
      assert.ok(metricKeys.includes('val_loss') && metricKeys.includes('evaluation.r2'), `final metrics: ${metricKeys.join(', ')}`);
      await compare.locator('#compare-tables').scrollIntoViewIfNeeded();
      await shots.take(page, 'compare-differences-only');
    });
  });
});

