// Config problems follow the settings they depend on, in a real VS Code: a
// config whose data file lies outside the workspace shows the "outside the
// workspace" problem; once the workspace's .vscode/settings.json allows paths
// outside the workspace, the problem goes away without the config being
// touched (configDiagnostics re-validates on onDidChangeConfiguration).
// Run: npm run build && node --import tsx --test test/e2e/configSettings.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { grepExtensionLogs, log, quickOpen, runCommand, startSession, waitFor } from './harness';

const CONFIG = 'outside-data.experiment.json';
const OUTSIDE = /is outside the workspace/;

test('a config problem that depends on a setting goes away when the setting allows it', { timeout: 300_000 }, async (t) => {
  let configPath = '';
  const session = await startSession({
    name: 'config-settings',
    workspace: 'examples/house-prices',
    readyTreeItem: 'house-prices.experiment.json',
    prepareWorkspace(workspace) {
      // The data next to the workspace, not in it; the config points there.
      const outside = join(workspace, '..', 'outside-data');
      mkdirSync(outside, { recursive: true });
      copyFileSync(join(workspace, 'data', 'houses.csv'), join(outside, 'houses.csv'));
      const text = readFileSync(join(workspace, 'house-prices.experiment.json'), 'utf8');
      assert.ok(text.includes('"source": "data/houses.csv"'), 'the example config reads data/houses.csv');
      configPath = join(workspace, CONFIG);
      writeFileSync(configPath, text.replace('"source": "data/houses.csv"', '"source": "../outside-data/houses.csv"').replace('"name": "house-prices"', '"name": "outside-data"'));
    },
  });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, CONFIG);
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const before = await waitFor('the "outside the workspace" problem in the Problems view', 60_000, async () => {
      const text = await problemsText(page);
      return text !== undefined && OUTSIDE.test(text) ? text : undefined;
    }, 250);
    log(`Problems view before: ${JSON.stringify(before.slice(0, 300))}`);
    await shots.take(page, 'outside-problem');

    const configBefore = { text: readFileSync(configPath, 'utf8'), mtimeMs: statSync(configPath).mtimeMs };
    mkdirSync(join(session.workspace, '.vscode'), { recursive: true });
    writeFileSync(join(session.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'modelLab.allowPathsOutsideWorkspace': true }, null, 2));
    log('wrote .vscode/settings.json with modelLab.allowPathsOutsideWorkspace = true');

    const after = await waitFor('the "outside the workspace" problem to leave the Problems view', 30_000, async () => {
      // Only a shown Problems view counts as "gone".
      const text = await problemsText(page);
      return text === undefined || OUTSIDE.test(text) ? undefined : text;
    }, 250).catch(async (error: unknown) => {
      await shots.take(page, 'problem-stayed');
      throw new Error(`${String(error)}; the Problems view still says: ${JSON.stringify((await problemsText(page))?.slice(0, 300))}`);
    });
    log(`Problems view after: ${JSON.stringify(after.slice(0, 300))}`);
    await shots.take(page, 'problem-gone');
    assert.equal(readFileSync(configPath, 'utf8'), configBefore.text, 'the config was not edited');
    assert.equal(statSync(configPath).mtimeMs, configBefore.mtimeMs, 'the config was not saved again');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
    if (failed) {
      const hits = grepExtensionLogs(shots.dir, /model.?lab|validat/i).slice(-20);
      if (hits.length > 0) log(`extension log lines:\n  ${hits.join('\n  ')}`);
    }
    t.diagnostic(`screenshots and logs: ${shots.dir}`);
  }
});

/** What the Problems view lists; undefined while it is not shown. */
async function problemsText(page: Page): Promise<string | undefined> {
  const panel = page.locator('.markers-panel').first();
  if (!(await panel.isVisible().catch(() => false))) return undefined;
  return ((await panel.textContent({ timeout: 2_000 })) ?? '').replace(/\s+/g, ' ');
}
