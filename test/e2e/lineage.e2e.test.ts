// Pretrain, then fine-tune, in a real VS Code: a workspace with a base run
// trained beforehand with the CLI and a fine-tune config whose model.base names
// that run. The CodeLens "Train this config" trains the fine-tune config to
// the end; then the sidebar shows the lineage (the fine-tuned run's row names
// its base, the base's row lists the fine-tuned run under "Fine-tuned (1)"),
// the dashboard's pipeline draws the pretraining stage, done, linked into
// training, and its header names the base; Show Base Run in the run's menu
// selects the base run and opens it, and from the palette it shows the base of
// the run the dashboard shows.
//
// The base is a tiny masked-language model pretrained on 600 unlabelled
// messages of examples/pretrain-finetune; the fine-tuned classifier learns
// from 400 labelled ones. Nothing here waits on time: every wait is for what
// the run folder or the window says, so an epoch may take 1 ms or 10 s.
// Run: npm run package, then node --import tsx --test test/e2e/lineage.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { codeLens, escapeRegExp, log, moveMouseAway, quickOpen, repoRoot, runCommand, startSession, StopWaiting, treeItemTooltip, waitFor, webviewWith, withChecks } from './harness';

const CLI = join(repoRoot, 'dist', 'cli.js');
const BASE_CONFIG = 'base.experiment.json';
const FINETUNE_CONFIG = 'finetune.experiment.json';
const BASE_NAME = 'tickets-base';
const FINETUNE_NAME = 'tickets-finetuned';
/** The base's task: what the fine-tuned run records of it and the pipeline names. */
const BASE_TASK = 'masked-language-model';

/** One architecture for both (the fine-tuned model takes the base's encoder): small, so both train in seconds. */
const ENCODER = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0, maxLength: 24, positional: 'learned', pooling: 'mean' };
/** The base learns from text without labels; the tokenizer it fits is the fine-tuned run's too. */
const BASE_DATA = {
  source: 'data/corpus.txt',
  tokenizer: { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 500 },
  split: { validation: 0.1, test: 0.1, seed: 1 },
};
const FINETUNE_DATA = { source: 'data/labelled.jsonl', text: 'text', target: 'intent', split: { validation: 0.2, test: 0.2, seed: 1 } };

/** The first `n` lines of one of the example's data files. */
function exampleLines(file: string, n: number): string {
  const lines = readFileSync(join(repoRoot, 'examples', 'pretrain-finetune', 'data', file), 'utf8').split('\n').filter(Boolean).slice(0, n);
  assert.equal(lines.length, n, file);
  return lines.join('\n') + '\n';
}

/** A workspace of its own: 600 unlabelled and 400 labelled messages of the example, and the base config. */
function makeWorkspace(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'modellab-lineage-')), 'tickets');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'corpus.txt'), exampleLines('unlabelled.txt', 600));
  writeFileSync(join(dir, 'data', 'labelled.jsonl'), exampleLines('train.jsonl', 400));
  const base = { name: BASE_NAME, task: BASE_TASK, data: BASE_DATA, model: ENCODER, training: { epochs: 2, batchSize: 32, seed: 1 } };
  writeFileSync(join(dir, BASE_CONFIG), JSON.stringify(base, null, 2) + '\n');
  return dir;
}

/** Trains the base with the CLI, as a user would in a terminal, then writes the fine-tune config naming its run id. */
function trainBaseAndWriteFineTune(workspace: string): void {
  const started = Date.now();
  const out = execFileSync(process.execPath, [CLI, 'train', BASE_CONFIG, '--runs-dir', join(workspace, '.modellab', 'runs')], {
    cwd: workspace,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  const folder = /run folder: (.+)/.exec(out)?.[1]?.trim();
  assert.ok(folder && existsSync(join(folder, 'model')), `the CLI trained no base model:\n${out.slice(-2000)}`);
  const baseId = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')).id as string;
  log(`CLI trained the base ${baseId} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const fineTune = {
    name: FINETUNE_NAME,
    task: 'classification',
    data: FINETUNE_DATA,
    model: { base: { from: baseId, freezeEpochs: 1 }, ...ENCODER },
    training: { epochs: 2, batchSize: 32, seed: 2 },
  };
  writeFileSync(join(workspace, FINETUNE_CONFIG), JSON.stringify(fineTune, null, 2) + '\n');
}

interface RunOnDisk {
  id: string;
  dir: string;
  meta: { name: string; status: string; error?: string; base?: { kind: string; id?: string; path: string; task: string } };
}

function runsOnDisk(workspace: string): RunOnDisk[] {
  const runsDir = join(workspace, '.modellab', 'runs');
  if (!existsSync(runsDir)) return [];
  const out: RunOnDisk[] = [];
  for (const id of readdirSync(runsDir)) {
    try {
      out.push({ id, dir: join(runsDir, id), meta: JSON.parse(readFileSync(join(runsDir, id, 'meta.json'), 'utf8')) });
    } catch {
      // being written
    }
  }
  return out;
}

function experimentsView(page: Page): Locator {
  return page.locator('[id="workbench.view.extension.modelLab"]');
}

/** The dashboard's details line once it starts with `prefix` (a run's task and id). */
async function detailsStartingWith(dashboard: FrameLocator, prefix: string, what: string): Promise<string> {
  return waitFor(what, 60_000, async () => {
    const text = (await dashboard.locator('#run-details').textContent({ timeout: 1_000 })) ?? '';
    return text.startsWith(prefix) ? text : undefined;
  });
}

/** A run row of the Experiments view whose accessible name matches. */
function runRow(page: Page, name: RegExp): Locator {
  return experimentsView(page).getByRole('treeitem', { name });
}

test('lineage: a fine-tuned run trained from the CodeLens names its base in the sidebar, the base lists it, the pipeline draws the pretraining', { timeout: 600_000 }, async (t) => {
  let baseId = '';
  const session = await startSession({
    name: 'lineage',
    workspace: makeWorkspace(),
    readyTreeItem: FINETUNE_CONFIG,
    prepareWorkspace: (ws) => {
      trainBaseAndWriteFineTune(ws);
      baseId = runsOnDisk(ws).find((r) => r.meta.name === BASE_NAME)!.id;
    },
  });
  const { page, shots } = session;
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|trainer|base/i }, async (check) => {
    let fineTuned: RunOnDisk | undefined;
    let dashboard: FrameLocator | undefined;

    await check('the CodeLens trains the fine-tune config to the end; the run records its base', async () => {
      await quickOpen(page, FINETUNE_CONFIG);
      const train = codeLens(page, 'Train this config');
      await train.first().waitFor({ state: 'visible', timeout: 60_000 });
      await train.first().click();
      fineTuned = await waitFor('the fine-tuned run to complete', 300_000, () => {
        const run = runsOnDisk(session.workspace).find((r) => r.meta.name === FINETUNE_NAME);
        if (run && (run.meta.status === 'failed' || run.meta.status === 'stopped')) throw new StopWaiting(`the fine-tuned run ended ${run.meta.status}: ${run.meta.error ?? ''}`);
        return run?.meta.status === 'completed' ? run : undefined;
      }, 250);
      log(`fine-tuned run ${fineTuned.id}, base ${JSON.stringify(fineTuned.meta.base)}`);
      assert.equal(fineTuned.meta.base?.kind, 'run');
      assert.equal(fineTuned.meta.base?.id, baseId);
      assert.equal(fineTuned.meta.base?.task, BASE_TASK);
      await codeLens(page, 'Train this config').first().waitFor({ state: 'visible', timeout: 60_000 });
      await shots.take(page, 'fine-tuned');
    });

    await check("the dashboard's pipeline draws the pretraining, done, and its header names the base", async () => {
      assert.ok(fineTuned, 'no fine-tuned run');
      dashboard = await webviewWith(page, '#run-details', 60_000);
      const details = await waitFor('the header to name the base', 60_000, async () => {
        const text = (await dashboard!.locator('#run-details').textContent({ timeout: 1_000 })) ?? '';
        return text.includes(fineTuned!.id) && text.includes(`fine-tuned from ${BASE_TASK} run ${baseId}`) ? text : undefined;
      });
      log(`header: ${details}`);
      const node = dashboard.locator('#pipeline-diagram g.node[id*="-flowchart-pretrain-"]');
      const lines = await waitFor('the pretraining node', 60_000, async () => {
        if ((await node.count()) !== 1) return undefined;
        // SVG text labels: a tspan.row per line (Mermaid wraps a long one at its spaces); HTML labels: lines split at <br>.
        const rows = await node.evaluate((n) => {
          const tspans = [...n.querySelectorAll('tspan.row')].map((r) => r.textContent ?? '');
          return tspans.length ? tspans : ((n.querySelector('.nodeLabel') ?? n.querySelector('foreignObject'))?.innerHTML ?? '').split(/<br\s*\/?>/i).map((l) => l.replace(/<[^>]*>/g, ' '));
        });
        return rows.length > 1 ? rows.map((r) => r.trim()) : undefined;
      });
      log(`pretraining node: ${JSON.stringify(lines)}`);
      assert.equal(lines[0], 'Pretraining');
      const text = lines.join(' ');
      assert.match(text, new RegExp(`base: ${BASE_TASK}`));
      assert.match(text, new RegExp(`run ${escapeRegExp(baseId)}`));
      assert.match(text, /base frozen for 1 epoch\(s\)/);
      assert.match(text, /new classification head/);
      // Done: the base was trained before this run.
      assert.equal(await node.getAttribute('data-status'), 'done');
      // Linked into training: one edge more than the six stages' five.
      assert.equal(await dashboard.locator('#pipeline-diagram .edgePaths path').count(), 6);
      await dashboard.locator('#pipeline').scrollIntoViewIfNeeded();
      await shots.take(page, 'pipeline-pretraining');
    });

    await check("the sidebar: the fine-tuned run's row names its base; the base's row lists the fine-tuned run", async () => {
      assert.ok(fineTuned, 'no fine-tuned run');
      const activity = page.locator('.activitybar .action-item a[aria-label^="Model Lab"], .activitybar .action-label[aria-label^="Model Lab"]').first();
      await activity.waitFor({ state: 'visible', timeout: 60_000 });
      await activity.click();
      await moveMouseAway(page);
      const view = experimentsView(page);
      await view.getByRole('treeitem', { name: new RegExp(`^${FINETUNE_NAME} 1 run · `) }).waitFor({ state: 'visible', timeout: 60_000 });
      // "12-06 12:40:01, completed, val_loss 1.9 · from tickets-base 20261206-…"
      const child = runRow(page, new RegExp(`, completed, .*from ${BASE_NAME} ${escapeRegExp(baseId)}$`));
      await child.waitFor({ state: 'visible', timeout: 60_000 });
      log(`fine-tuned run's row: ${await child.getAttribute('aria-label')}`);
      const tip = await treeItemTooltip(page, child, /Base folder/);
      const tipText = ((await tip.textContent()) ?? '').replace(/\s+/g, ' ');
      assert.match(tipText, new RegExp(`Base\\s*${BASE_NAME} ${escapeRegExp(baseId)}`));
      assert.match(tipText, new RegExp(`${escapeRegExp(join(session.workspace, '.modellab', 'runs', baseId))}.*\\(${BASE_TASK}\\)`));
      await shots.take(page, 'fine-tuned-row-tooltip');
      await moveMouseAway(page);

      // The base's row: collapsed, with the fine-tuned runs under it.
      const base = view.locator('[role="treeitem"][aria-expanded]').filter({ has: page.locator('.label-name') }).and(runRow(page, /^(\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d, completed/));
      await waitFor('one collapsible run row (the base)', 30_000, async () => ((await base.count()) === 1 ? true : undefined));
      if ((await base.getAttribute('aria-expanded')) === 'false') await base.locator('.monaco-tl-twistie').click();
      const group = view.getByRole('treeitem', { name: /^Fine-tuned \(1\)$/ });
      await group.waitFor({ state: 'visible', timeout: 30_000 });
      const listed = view.getByRole('treeitem', { name: new RegExp(`^${FINETUNE_NAME} · .*, completed`) });
      await listed.waitFor({ state: 'visible', timeout: 30_000 });
      log(`under the base: ${await group.getAttribute('aria-label')} → ${await listed.getAttribute('aria-label')}`);
      // The group sits right under the base and the run under the group.
      const levels = await Promise.all([base, group, listed].map((l) => l.getAttribute('aria-level')));
      assert.deepEqual(levels.map(Number), [Number(levels[0]), Number(levels[0]) + 1, Number(levels[0]) + 2], `aria-levels ${levels.join(', ')}`);
      await shots.take(view, 'sidebar-lineage');
    });

    await check("Show Base Run in the fine-tuned run's menu selects the base run and opens it", async () => {
      const child = runRow(page, new RegExp(`, completed, .*from ${BASE_NAME} ${escapeRegExp(baseId)}$`));
      await child.click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item').filter({ hasText: /^\s*Show Base Run\s*$/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await shots.take(page, 'run-menu-show-base');
      await item.click();
      const selected = await waitFor('the base run selected', 30_000, async () => {
        const rows = await experimentsView(page).locator('[role="treeitem"][aria-selected="true"]').evaluateAll((ns) => ns.map((n) => n.getAttribute('aria-label') ?? ''));
        return rows.length === 1 && !/ from /.test(rows[0]!) && /, completed/.test(rows[0]!) ? rows[0] : undefined;
      });
      log(`selected: ${selected}`);
      const shown = await webviewWith(page, '#run-details', 60_000);
      // The base's own details: its id first, and no base of its own.
      const details = await waitFor('the dashboard to show the base run', 60_000, async () => {
        const text = (await shown.locator('#run-details').textContent({ timeout: 1_000 })) ?? '';
        return text.startsWith(`${BASE_TASK} · ${baseId} · `) && !text.includes('fine-tuned from') ? text : undefined;
      });
      log(`dashboard: ${details}`);
      // The base itself was not fine-tuned: no pretraining node in its pipeline.
      await waitFor("the base's pipeline", 60_000, async () => ((await shown.locator('#pipeline-diagram g.node').count()) === 6 ? true : undefined));
      assert.equal(await shown.locator('#pipeline-diagram g.node[id*="-flowchart-pretrain-"]').count(), 0);
      await shots.take(page, 'base-run-shown');
    });

    await check('from the palette, Model Lab: Show Base Run shows the base of the run the dashboard shows', async () => {
      assert.ok(fineTuned, 'no fine-tuned run');
      // The fine-tuned run in the dashboard again (a click on its row opens it).
      await runRow(page, new RegExp(`, completed, .*from ${BASE_NAME} ${escapeRegExp(baseId)}$`)).click();
      const shown = await webviewWith(page, '#run-details', 60_000);
      await detailsStartingWith(shown, `classification · ${fineTuned.id} · `, 'the dashboard to show the fine-tuned run');
      await runCommand(page, 'Model Lab: Show Base Run');
      const details = await detailsStartingWith(shown, `${BASE_TASK} · ${baseId} · `, 'the dashboard to show the base run');
      assert.doesNotMatch(details, /fine-tuned from/);
      await shots.take(page, 'palette-base-run-shown');
    });
  });
});
