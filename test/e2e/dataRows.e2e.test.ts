// Predictions at the data rows, end to end in a real VS Code: house-prices
// is trained with the CLI, houses.csv is opened, and the run's test rows get
// inlay hints with the model's prediction and error — the same numbers
// `modellab predict` prints for those lines; the toggle shows every row; the
// dashboard lists the worst rows, and selecting one puts the cursor on it.
// Run: node --import tsx --test test/e2e/dataRows.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rowHint } from '../../src/core/rowPredictions';
import type { RowPrediction } from '../../src/core/rowPredictions';
import { log, quickOpen, repoRoot, runCommand, startSession, waitFor, webviewWith, type Session } from './harness';

const DATA = 'data/houses.csv';

test('data rows: the open data file shows the model\'s prediction at each test row, then at every row', { timeout: 600_000 }, async () => {
  let byLine = new Map<number, string>();
  let testLines: number[] = [];
  let fileLines: string[] = [];
  const session: Session = await startSession({
    name: 'data-rows',
    workspace: 'examples/house-prices',
    readyTreeItem: 'house-prices.experiment.json',
    prepareWorkspace: (workspace) => {
      const runsDir = join(workspace, '.modellab', 'runs');
      const cli = (args: string[]) => execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      cli(['train', 'house-prices.experiment.json', '--epochs', '3', '--runs-dir', runsDir, '--json']);
      const runDir = join(runsDir, readdirSync(runsDir)[0]);
      // What the CLI predicts for every row: the hints must say the same.
      const records = cli(['predict', runDir, DATA, '--json']).trim().split('\n').map((l) => JSON.parse(l) as RowPrediction & { summary?: unknown });
      byLine = new Map(records.filter((r) => r.summary === undefined).map((r) => [r.line, rowHint(r)]));
      // The run's test rows in this file: the lines the editor marks by default.
      testLines = cli(['predict', runDir, DATA, '--test-rows', '--json']).trim().split('\n').map((l) => JSON.parse(l) as { line?: number }).filter((r) => r.line !== undefined).map((r) => r.line!);
      fileLines = readFileSync(join(workspace, DATA), 'utf8').split('\n');
      log(`trained house-prices (3 epochs) and predicted ${byLine.size} rows with the CLI; ${testLines.length} test rows, the first at lines ${testLines.slice(0, 5).join(', ')}`);
    },
  });
  const { page, shots } = session;
  let failed = false;
  /** The editor's visible lines as [file line, hint text after the row]. */
  const hinted = async (): Promise<[number, string][]> => {
    const texts = (await page.locator('.monaco-editor .view-lines .view-line').allTextContents()).map((l) => l.replace(/\u00a0/g, ' '));
    const out: [number, string][] = [];
    for (const text of texts) {
      const line = fileLines.findIndex((l, i) => i > 0 && l.length > 0 && text.startsWith(l));
      if (line > 0) out.push([line + 1, text.slice(fileLines[line].length).trim()]);
    }
    return out;
  };
  try {
    await quickOpen(page, 'houses.csv');
    // Scroll to the first test rows.
    await runCommand(page, 'Go to Line/Column...');
    await page.keyboard.type(String(testLines[0]));
    await page.keyboard.press('Enter');
    // ── the test rows: hints with the CLI's numbers, other rows bare ──
    const first = await waitFor('hints on the test rows in view', 120_000, async () => {
      const rows = await hinted();
      return rows.some(([, hint]) => hint.startsWith('→')) ? rows : undefined;
    }, 500);
    const withHint = first.filter(([, hint]) => hint !== '');
    for (const [line, hint] of withHint) assert.equal(hint, byLine.get(line), `line ${line}`);
    const testInView = first.filter(([line]) => testLines.includes(line)).map(([line]) => line);
    assert.deepEqual(withHint.map(([line]) => line), testInView, 'exactly the test rows in view have hints');
    assert.ok(withHint.length < first.length / 2, `test rows only: ${withHint.length} of ${first.length} lines in view have a hint`);
    log(`test rows in view: ${withHint.map(([l, h]) => `${l} ${h}`).join('; ')}`);
    await shots.take(page, 'test-rows');

    // ── every row, by the toggle ──
    await runCommand(page, 'Model Lab: Predictions in Data Files: Test Rows or All Rows');
    const all = await waitFor('a hint on every row in view', 120_000, async () => {
      const rows = await hinted();
      return rows.length > 10 && rows.every(([, hint]) => hint !== '') ? rows : undefined;
    }, 500);
    for (const [line, hint] of all) assert.equal(hint, byLine.get(line), `line ${line}`);
    await shots.take(page, 'all-rows');

    // ── the dashboard's worst rows; selecting one shows it in the file ──
    await runCommand(page, 'Model Lab: Open Dashboard');
    const dashboard = await webviewWith(page, '#worst', 60_000);
    const items = dashboard.locator('#worst-rows li button');
    await waitFor('the worst rows in the dashboard', 60_000, async () => ((await items.count()) === 20 ? true : undefined), 250);
    const firstLine = Number(await items.first().getAttribute('data-line'));
    assert.ok(byLine.has(firstLine), `line ${firstLine} is a data row`);
    await dashboard.locator('#worst').screenshot({ path: join(shots.dir, 'worst-rows.png') });
    await items.first().click();
    const selection = await waitFor(`the cursor on line ${firstLine}`, 30_000, async () => {
      const text = ((await page.locator('[id="status.editor.selection"]').textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
      return text.startsWith(`Ln ${firstLine},`) ? text : undefined;
    }, 250);
    log(`worst row selected: ${selection}`);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
