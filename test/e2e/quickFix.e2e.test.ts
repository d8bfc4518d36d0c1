// The output-layer quick fix in a real VS Code: a tabular classifier whose last layer is a hidden
// one shows the problem with the data's class count; Quick Fix offers "Add the output layer: …";
// choosing it inserts exactly the layer core/configFixes.ts computes (comments and layout kept),
// the problem goes away, and one Undo gives the file back as it was.
// Run: npm run build && node --import tsx --test test/e2e/quickFix.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from 'jsonc-parser';
import { addOutputLayerFix, configFixEdits } from '../../src/core/configFixes';
import { grepExtensionLogs, log, quickOpen, runCommand, startSession, waitFor } from './harness';

const CONFIG = 'iris.experiment.json';
const ORIGINAL = `{
  "name": "iris",
  "task": "classification",
  "data": { "source": "iris.csv", "features": ["sepal", "petal"], "target": "species" },
  "model": {
    // two hidden layers, and no output layer yet
    "layers": [
      { "type": "dense", "units": 32, "activation": "relu" },
      { "type": "dense", "units": 32, "activation": "relu" } // the last hidden layer
    ]
  },
  "training": { "epochs": 5 }
}
`;
const TITLE = 'Add the output layer: dense, 3 units (one per class), softmax';

test('the output-layer quick fix inserts the layer, clears the problem, and undoes in one step', { timeout: 300_000 }, async (t) => {
  let configPath = '';
  const session = await startSession({
    name: 'quick-fix',
    workspace: 'examples/house-prices',
    readyTreeItem: CONFIG,
    prepareWorkspace(workspace) {
      const rows = ['sepal,petal,species'];
      for (let i = 0; i < 30; i++) rows.push(`${(4 + (i % 7) * 0.4).toFixed(1)},${(1 + (i % 5)).toFixed(1)},${['setosa', 'versicolor', 'virginica'][i % 3]}`);
      writeFileSync(join(workspace, 'iris.csv'), rows.join('\n') + '\n');
      configPath = join(workspace, CONFIG);
      writeFileSync(configPath, ORIGINAL);
    },
  });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, CONFIG);
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'visible', timeout: 60_000 });
    // The cursor onto the problem; its peek shows the message with the class count.
    await runCommand(page, 'Go to Next Problem (Error, Warning, Info)');
    const peek = page.locator('.marker-widget').first();
    await peek.waitFor({ state: 'visible', timeout: 20_000 });
    const message = (await peek.textContent()) ?? '';
    log(`problem: ${JSON.stringify(message.slice(0, 300))}`);
    assert.match(message, /is a hidden layer: .*the data has 3 classes \(setosa, versicolor, virginica\)/);
    await shots.take(page, 'problem');
    await page.keyboard.press('Escape');

    await runCommand(page, 'Quick Fix...');
    const action = page.locator('.action-widget').getByText(TITLE, { exact: true }).first();
    await action.waitFor({ state: 'visible', timeout: 20_000 });
    await shots.take(page, 'quick-fix-menu');
    // The only action, focused: Enter applies it.
    await page.keyboard.press('Enter');

    const expected = applyEdits(ORIGINAL, configFixEdits(ORIGINAL, addOutputLayerFix(3))!);
    await runCommand(page, 'File: Save');
    await waitFor('the fixed config on disk', 20_000, () => (readFileSync(configPath, 'utf8') === expected ? true : undefined), 200).catch((error: unknown) => {
      throw new Error(`${String(error)}; the file holds:\n${readFileSync(configPath, 'utf8')}`);
    });
    await waitFor('the problem to go away', 30_000, async () => ((await page.locator('.monaco-editor .squiggly-error').count()) === 0 ? true : undefined), 250);
    await shots.take(page, 'fixed');

    // One undo takes the whole fix back.
    await runCommand(page, 'Undo');
    await runCommand(page, 'File: Save');
    await waitFor('the original config on disk after one Undo', 20_000, () => (readFileSync(configPath, 'utf8') === ORIGINAL ? true : undefined), 200).catch((error: unknown) => {
      throw new Error(`${String(error)}; the file holds:\n${readFileSync(configPath, 'utf8')}`);
    });
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
