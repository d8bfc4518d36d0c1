// Deployment and application, end to end, in a real VS Code: a recommender
// trained with the CLI is deployed ("Model Lab: Deploy Run" from the palette,
// which lists the runs once it has read them from disk — slow on a loaded
// machine; failing that, the dashboard's Deploy button, the same command),
// the test calls the address the notification gives over HTTP (TensorFlow
// Serving's :predict), the dashboard's pipeline shows the running server, and
// the "Try the model" playground recommends items for a chosen user.
// Run: node --import tsx --test test/e2e/deploy.e2e.test.ts (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { log, pickQuickPickRow, quickPickRow, repoRoot, runCommand, startSession, waitFor, webviewWith, type Session } from './harness';

const CONFIG = 'recommender.experiment.json';

test('deploy: a deployed recommender answers :predict over HTTP and in the playground', { timeout: 480_000 }, async () => {
  const session: Session = await startSession({
    name: 'deploy',
    workspace: 'examples/recommender',
    readyTreeItem: CONFIG,
    prepareWorkspace: (workspace) => {
      const started = Date.now();
      execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'train', CONFIG, '--epochs', '3', '--runs-dir', join(workspace, '.modellab', 'runs'), '--json'], {
        cwd: workspace,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120_000,
      });
      log(`trained the recommender (3 epochs) with the CLI in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  });
  const { page, shots } = session;
  let failed = false;
  try {
    // ── deploy: the palette's Deploy Run, else the dashboard's Deploy button (same command, for the shown run) ──
    const row = quickPickRow(page, 'recommender');
    const viaPalette = await runCommand(page, 'Model Lab: Deploy Run').then(
      () => row.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false),
      () => false,
    );
    log(`Deploy Run offered the run in the palette: ${viaPalette}`);
    if (viaPalette) await pickQuickPickRow(page, 'recommender');
    else {
      await page.keyboard.press('Escape');
      await runCommand(page, 'Model Lab: Open Dashboard');
      const board = await webviewWith(page, '#playground', 60_000);
      await board.locator('#playground-deploy').click();
    }
    const url = await waitFor('the notification with the address', 90_000, async () => {
      const text = (await page.locator('.notifications-toasts').textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
      return /(http:\/\/127\.0\.0\.1:\d+\/v1\/models\/[^\s)]+)/.exec(text)?.[1];
    }, 250);
    log(`deployed at ${url}`);
    await shots.take(page, 'deployed-notification');

    // ── call it over HTTP from the test ──
    const res = await fetch(`${url}:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ user: 'u12', k: 5 }] }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { predictions: { items: { item: string; score: number }[] }[] };
    const items = body.predictions[0].items;
    log(`:predict for u12: ${JSON.stringify(items)}`);
    assert.equal(items.length, 5);
    const scores = items.map((i) => i.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));

    // ── the dashboard: the pipeline shows the server, the playground recommends ──
    await runCommand(page, 'Model Lab: Open Dashboard');
    const dashboard = await webviewWith(page, '#playground', 60_000);
    await waitFor('the pipeline to show the server address', 30_000, async () => {
      const text = ((await dashboard.locator('#pipeline').textContent({ timeout: 1_000 }).catch(() => '')) ?? '').replace(/\s+/g, ' ');
      return text.includes(url) && text.includes('served: TF Serving REST API') ? true : undefined;
    }, 250);
    // Served: the deployment stage is done (not the "skipped" the run recorded without an export), the application runs.
    const status = (stage: string) => dashboard.locator(`#pipeline-diagram g.node[data-stage="${stage}"]`).getAttribute('data-status');
    assert.equal(await status('deployment'), 'done');
    assert.equal(await status('application'), 'running');
    await dashboard.locator('#pipeline').scrollIntoViewIfNeeded();
    await shots.take(dashboard.locator('#pipeline'), 'pipeline-with-server');

    await dashboard.locator('#playground').scrollIntoViewIfNeeded();
    await dashboard.locator('#playground-load').click();
    const userField = dashboard.locator('#playground-form select').first();
    await userField.waitFor({ state: 'visible', timeout: 60_000 });
    // The k box says what an empty k means.
    assert.equal(await dashboard.locator('#playground-form input').getAttribute('placeholder'), 'default: 10');
    await userField.selectOption('u12');
    await dashboard.locator('#playground-predict').click();
    const shown = dashboard.locator('#playground-items li');
    await waitFor('10 recommended items in the playground', 60_000, async () => ((await shown.count()) === 10 ? true : undefined), 250);
    const first = (await shown.first().textContent()) ?? '';
    log(`playground's first recommendation for u12: ${first}`);
    // Scores as the tables print them: four significant digits, not six decimals.
    assert.match(first, /^i\d+ \(0\.0*\d{1,4}\)$/);
    await shots.take(dashboard.locator('#playground'), 'playground-recommendations');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
