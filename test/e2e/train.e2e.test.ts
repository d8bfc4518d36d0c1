// The first lesson, end to end, in a real VS Code: open the house-prices
// config, press its "Train this config" CodeLens, watch the loss curve appear
// in the Model Lab dashboard, and find the finished run on disk.
// Run: npm run test:e2e   (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { configSectionRange } from '../../src/core/configSections';
import { editConfigFile } from '../helpers/fixtures';
import {
  codeLens,
  log,
  pixelStats,
  quickOpen,
  runCommand,
  startSession,
  StopWaiting,
  waitFor,
  webviewWith,
  type Session,
  withChecks,
} from './harness';

const CONFIG = 'house-prices.experiment.json';
/** Stages the house-prices run goes through; "application" is left to the user (skipped). */
const RUN_STAGES = ['data', 'preprocess', 'training', 'evaluation', 'deployment'] as const;
const TRAINING_TIMEOUT_MS = 180_000;
/** Status words that end a run some other way than the one we want. */
const UNHAPPY_STATUS = /\b(failed|error|stopped|cancell?ed|interrupted|crashed)\b/i;

test('house prices: train from the CodeLens, watch the curve, keep the run', { timeout: 480_000 }, async (t) => {
  const session = await startSession({ name: 'train', workspace: 'examples/house-prices', readyTreeItem: CONFIG, prepareWorkspace: trainLonger });
  const { page, shots } = session;
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|trainer/i }, async (check) => {
    // ── open the config and press the CodeLens ──
    await quickOpen(page, CONFIG);
    const trainLens = codeLens(page, 'Train this config');
    await trainLens.first().waitFor({ state: 'visible', timeout: 60_000 });
    await shots.take(page, 'config-with-codelens');

    const clickedAt = performance.now();
    await trainLens.first().click();

    await dashboardTab(page).first().waitFor({ state: 'visible', timeout: 60_000 });
    const dashboard = await webviewWith(page, '#loss-chart', 60_000);
    const lossChart = dashboard.locator('#loss-chart');
    const runStatus = dashboard.locator('#run-status');
    const statusText = async (): Promise<string> => ((await runStatus.textContent({ timeout: 1_000 })) ?? '').trim();

    // ── time to the first point of the curve ──
    const firstPoint = await waitFor('the first point on #loss-chart (data-points > 0)', TRAINING_TIMEOUT_MS, async () => {
      const points = Number(await lossChart.getAttribute('data-points', { timeout: 1_000 }));
      if (points > 0) return points;
      const status = await statusText().catch(() => '');
      if (UNHAPPY_STATUS.test(status)) throw new StopWaiting(`run ended before any point was plotted; #run-status: "${status}"`);
      return undefined;
    }, 100);
    const firstPointMs = performance.now() - clickedAt;
    log(`time from CodeLens click to first loss point: ${(firstPointMs / 1000).toFixed(2)} s (${firstPoint} point(s))`);
    // The pipeline while training, checked after the run (a check here would hold the run's progress up).
    const pipelineWhileTraining = await waitFor('the pipeline to be drawn', 15_000, async () => {
      const statuses = await pipelineStatuses(dashboard);
      return statuses.training ? statuses : undefined;
    }, 100).catch((error: unknown) => `not drawn: ${String(error)}`);
    log(`pipeline while training: ${JSON.stringify(pipelineWhileTraining)}`);
    await shots.take(page, 'training');

    // ── completion ──
    const finalStatus = await waitFor('#run-status to say "completed"', TRAINING_TIMEOUT_MS, async () => {
      const status = await statusText();
      if (status.includes('completed')) return status;
      if (UNHAPPY_STATUS.test(status)) throw new StopWaiting(`run did not complete; #run-status: "${status}"`);
      return undefined;
    }, 250);
    const trainedMs = performance.now() - clickedAt;
    log(`run completed ${(trainedMs / 1000).toFixed(1)} s after the click; #run-status: "${finalStatus}"`);
    // Let the last batched metrics reach the chart before pictures are taken.
    await page.waitForTimeout(500);
    await shots.take(page, 'completed');

    // ── what the dashboard shows ──
    await check('the loss chart is drawn', async () => {
      const points = Number(await lossChart.getAttribute('data-points'));
      log(`#loss-chart data-points after completion: ${points}`);
      assert.ok(points >= firstPoint, `data-points ${points} should have grown from ${firstPoint}`);
      await lossChart.scrollIntoViewIfNeeded();
      const stats = pixelStats(await shots.take(lossChart, 'loss-chart'));
      log(`#loss-chart pixels: ${stats.width}x${stats.height}, background rgb(${stats.background.join(',')}), ` +
        `${(stats.foregroundShare * 100).toFixed(2)}% drawn, ${stats.distinctColors} colours`);
      assert.ok(stats.width >= 100 && stats.height >= 50, `canvas is only ${stats.width}x${stats.height}`);
      assert.ok(stats.foregroundShare > 0.005, `only ${(stats.foregroundShare * 100).toFixed(3)}% of the canvas differs from its background`);
      assert.ok(stats.distinctColors >= 4, `only ${stats.distinctColors} colours on the canvas`);
    });

    await check('the pipeline is drawn and every stage up to deployment turns green', async () => {
      const section = dashboard.locator('#pipeline');
      await dashboard.locator('#pipeline-diagram[data-rendered="true"]').waitFor({ state: 'attached', timeout: 30_000 });
      assert.equal(typeof pipelineWhileTraining, 'object', `the pipeline was not drawn while training: ${String(pipelineWhileTraining)}`);
      const during = pipelineWhileTraining as Record<string, string>;
      assert.equal(during.training, 'running', `while training: ${JSON.stringify(during)}`);
      const statuses = await waitFor('data…deployment to show done in the pipeline', 30_000, async () => {
        const s = await pipelineStatuses(dashboard);
        return RUN_STAGES.every((stage) => s[stage] === 'done') ? s : undefined;
      }, 250);
      log(`pipeline after the run: ${JSON.stringify(statuses)}`);
      assert.deepEqual(Object.keys(statuses), [...RUN_STAGES, 'application']);
      // What the theme makes of "done": the node's computed fill and stroke, the same for every done stage, unlike the skipped one.
      const colours = await dashboard.locator('#pipeline-diagram g.node[data-stage]').evaluateAll((nodes) =>
        Object.fromEntries(nodes.map((n) => {
          const style = getComputedStyle(n.querySelector(':scope > .label-container')!);
          return [n.getAttribute('data-stage'), `${style.fill} / ${style.stroke}`];
        })),
      );
      log(`pipeline node colours (fill / stroke): ${JSON.stringify(colours)}`);
      const green = await dashboard.locator('body').evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-green').trim());
      assert.ok(green, 'the theme defines --vscode-charts-green');
      for (const stage of RUN_STAGES) assert.equal(colours[stage], colours.data, `${stage} is coloured like data`);
      assert.notEqual(colours.application, colours.data, 'the skipped stage looks different');
      const text = ((await section.textContent()) ?? '').replace(/\s+/g, ' ');
      for (const expected of ['data/houses.csv', 'Dense 64 relu → Dense 1', 'train 700 · val 200 · test 100', 'export to model/']) {
        assert.ok(text.includes(expected), `the pipeline says "${expected}": ${JSON.stringify(text.slice(0, 600))}`);
      }
      await section.scrollIntoViewIfNeeded();
      const png = await section.screenshot({ path: join(shots.dir, 'pipeline.png') });
      const stats = pixelStats(png);
      log(`screenshot ${join(shots.dir, 'pipeline.png')}: ${stats.width}x${stats.height}, ${stats.distinctColors} colours`);
      assert.ok(stats.width >= 300 && stats.distinctColors >= 4, `the pipeline picture is ${stats.width}x${stats.height} with ${stats.distinctColors} colours`);
      const cspErrors = session.errors.filter((e) => /Content Security Policy/i.test(e));
      assert.deepEqual(cspErrors, [], 'the dashboard (Mermaid included) runs under its CSP without violations');
    });

    await check('clicking a pipeline stage selects its section of the config', async () => {
      // Where "model" … "training" is in the workspace's copy of the config.
      const configText = readFileSync(join(session.workspace, CONFIG), 'utf8');
      const range = configSectionRange(configText, 'training');
      assert.ok(range, 'the config has model and training sections');
      const before = configText.slice(0, range.offset).split('\n');
      const expected = `Ln ${before.length}, Col ${before[before.length - 1]!.length + 1} (${range.length} selected)`;
      await dashboard.locator('#pipeline-diagram g.node[data-stage="training"]').click();
      let seen = '';
      const selection = await waitFor(`the editor selection "${expected}"`, 20_000, async () => {
        seen = ((await page.locator('[id="status.editor.selection"]').textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
        return seen === expected ? seen : undefined;
      }, 200).catch(async (error: unknown) => {
        await shots.take(page, 'pipeline-reveal-failed');
        throw new Error(`${String(error)}; the status bar says "${seen}"`);
      });
      log(`after clicking the Training stage: ${selection}`);
      await shots.take(page, 'pipeline-reveals-training');
      // Back to the top of the config, where the next check looks for its CodeLens.
      await page.keyboard.press('Control+Home');
    });

    await check('the evaluation table shows r2', async () => {
      const evaluation = dashboard.locator('#evaluation');
      await evaluation.locator('table').first().waitFor({ state: 'visible', timeout: 30_000 });
      await evaluation.scrollIntoViewIfNeeded();
      await shots.take(evaluation, 'evaluation');
      const text = (await evaluation.textContent()) ?? '';
      const r2Row = evaluation.locator('tr', { has: dashboard.locator('th, td').filter({ hasText: /^\s*r2\s*$/ }) });
      assert.equal(await r2Row.count(), 1, `no table row labelled r2 in #evaluation: ${JSON.stringify(text.slice(0, 300))}`);
      const rowText = ((await r2Row.textContent()) ?? '').trim();
      log(`#evaluation r2 row: "${rowText}"`);
      assert.match(rowText, /r2\s*-?\d+(\.\d+)?/, 'the r2 row shows a number');
    });

    await check('the model summary lists the layers', async () => {
      const summary = dashboard.locator('#model-summary');
      await summary.locator('table').first().waitFor({ state: 'visible', timeout: 30_000 });
      await summary.scrollIntoViewIfNeeded();
      await shots.take(summary, 'model-summary');
      const rows = await summary.locator('table tbody tr').count();
      const text = (await summary.textContent()) ?? '';
      assert.ok(rows >= 2, `the layer table has ${rows} body row(s): ${JSON.stringify(text.slice(0, 300))}`);
      assert.match(text, /dense/i, 'the layer table names the dense layers');
      // 10 features → Dense 64 (704 weights) → Dense 1 (65): 769 parameters.
      assert.match(text.replace(/[,\s\u202f\u00a0']/g, ''), /769/, `the summary shows 769 parameters: ${JSON.stringify(text.slice(0, 400))}`);
    });

    // ── what is on disk ──
    await check('the run folder holds meta, metrics, evaluation and the model', async () => {
      checkRunFolder(session);
    });

    // ── the editor knows about the run ──
    await check('the config gets an "Open dashboard" CodeLens', async () => {
      // The dashboard may have opened over the config's editor; bring it back.
      await quickOpen(page, CONFIG);
      await codeLens(page, 'Open dashboard').first().waitFor({ state: 'visible', timeout: 30_000 });
    });

    await check('"Model Lab: Open Dashboard" from the palette shows the finished run', async () => {
      await runCommand(page, 'View: Close All Editors');
      await dashboardTab(page).first().waitFor({ state: 'hidden', timeout: 15_000 });
      await runCommand(page, 'Model Lab: Open Dashboard');
      await dashboardTab(page).first().waitFor({ state: 'visible', timeout: 30_000 });
      const reopened = await webviewWith(page, '#run-status', 30_000);
      const status = await waitFor('#run-status in the reopened dashboard', 30_000, async () => {
        const text = ((await reopened.locator('#run-status').textContent({ timeout: 1_000 })) ?? '').trim();
        return text.includes('completed') ? text : undefined;
      });
      log(`reopened dashboard #run-status: "${status}"`);
      await shots.take(page, 'reopened-dashboard');
    });
  });
});

/** The dashboard's editor tab (the activity bar's "Model Lab" container is a tab too). */
function dashboardTab(page: Page): Locator {
  return page.locator('.tabs-container').getByRole('tab', { name: /Model Lab/ });
}

/**
 * The example as shipped stops early at epoch ~27, under a second of training
 * here: less than the dashboard can take to draw its pipeline after the first
 * point, so "the pipeline shows training running" would race the run's end.
 * The copy trains 400 epochs (a few seconds; its early stop's patience is 400
 * too); what the test checks of the run does not depend on how many epochs
 * it has.
 */
function trainLonger(workspace: string): void {
  editConfigFile(join(workspace, CONFIG), [[['training', 'epochs'], 400], [['training', 'earlyStopping', 'patience'], 400]]);
}

/** Each pipeline node's status, by stage, in diagram order. */
async function pipelineStatuses(dashboard: FrameLocator): Promise<Record<string, string>> {
  const nodes = dashboard.locator('#pipeline-diagram g.node[data-stage]');
  return Object.fromEntries(await nodes.evaluateAll((ns) => ns.map((n) => [n.getAttribute('data-stage'), n.getAttribute('data-status')])));
}


function checkRunFolder(session: Session): void {
  const runsDir = join(session.workspace, '.modellab', 'runs');
  assert.ok(existsSync(runsDir), `${runsDir} does not exist`);
  const runs = readdirSync(runsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.equal(runs.length, 1, `expected exactly one run folder in ${runsDir}, found: ${runs.join(', ') || 'none'}`);
  const runDir = join(runsDir, runs[0]!);
  log(`run folder: ${runDir}: ${readdirSync(runDir).join(', ')}`);

  const meta = readJson(join(runDir, 'meta.json')) as Record<string, unknown>;
  assert.equal(meta.status, 'completed', `meta.json status: ${JSON.stringify(meta.status)}`);
  log(`meta.json: status ${String(meta.status)}, backend ${JSON.stringify(meta.backend)}`);

  const metricsText = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
  const lines = metricsText.split('\n').filter((line) => line.trim() !== '');
  assert.ok(lines.length > 0, 'metrics.jsonl is empty');
  lines.forEach((line, i) => assert.doesNotThrow(() => JSON.parse(line), `metrics.jsonl line ${i + 1} is not JSON: ${line.slice(0, 120)}`));
  log(`metrics.jsonl: ${lines.length} lines`);

  const evaluation = readJson(join(runDir, 'evaluation.json'));
  const r2 = findKey(evaluation, 'r2');
  assert.ok(r2 !== undefined, `evaluation.json has no r2: ${JSON.stringify(evaluation).slice(0, 300)}`);
  log(`evaluation.json r2: ${JSON.stringify(r2)}`);
  if (typeof r2 === 'number') {
    assert.ok(Number.isFinite(r2) && r2 > 0, `r2 ${r2} says the model is no better than predicting the mean`);
  }

  const modelJsonPath = join(runDir, 'model', 'model.json');
  const model = readJson(modelJsonPath) as { modelTopology?: unknown; weightsManifest?: Array<{ paths?: string[] }> };
  assert.ok(model.modelTopology, 'model/model.json has no modelTopology');
  const weightFiles = (model.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
  assert.ok(weightFiles.length > 0, 'model/model.json lists no weight files');
  for (const file of weightFiles) assert.ok(existsSync(join(runDir, 'model', file)), `weight file model/${file} is missing`);
}

function readJson(path: string): unknown {
  assert.ok(existsSync(path), `${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    assert.fail(`${path} is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`);
  }
}

/** The first value stored under `key` anywhere in a JSON value. */
function findKey(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  if (!Array.isArray(value) && key in value) return (value as Record<string, unknown>)[key];
  for (const child of Object.values(value)) {
    const found = findKey(child, key);
    if (found !== undefined) return found;
  }
  return undefined;
}
