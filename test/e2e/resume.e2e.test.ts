// Resume Training, end to end, in a real VS Code: train the house-prices
// config (made long enough to interrupt), reload the window mid-training, find
// the run marked interrupted and the "Resume it from its checkpoint?"
// notification in the new window, press Resume, and watch the same run folder
// carry on to completion: every epoch exactly once in metrics.jsonl, one
// resume recorded in meta.json, no checkpoint left, the dashboard saying
// completed. Also checked on the way: the revived dashboard and the sidebar
// offer Resume, and the epoch the notification names is the checkpoint's.
// Should the reload leave the run "stopped" instead (a failed check), the run
// is resumed from the dashboard's Resume button so the rest is still tested.
// Run: node --import tsx --test test/e2e/resume.e2e.test.ts   (after: bash scripts/install-test-deps.sh)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { readCheckpoint } from '../../src/node/checkpointFile';
import {
  codeLens,
  log,
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
const NAME = 'house-prices';
/**
 * Long enough to interrupt: no early stopping and many epochs. The window's
 * reload stops the trainer 2–3 s after the test sees its second epoch, and
 * the engine's compiled Dense step trains this model fast: 400 epochs of
 * batch 8 took under 3 s on a 2-core machine, so the run sometimes finished
 * before the reload stopped it. 2,000 epochs of batch 32 took 10 s (the
 * CLI, `modellab train`), so 3,000 leave the reload ~13 s after the second
 * epoch, with ~66,000 step points in metrics.jsonl.
 */
const EPOCHS = 3000;
const BATCH_SIZE = 32;
const TRAINING_TIMEOUT_MS = 300_000;
const INTERRUPTED_MESSAGE = new RegExp(`Training ${NAME} was interrupted after epoch (\\d+) of ${EPOCHS}\\. Resume it from its checkpoint\\?`);
const COMPLETED_MESSAGE = new RegExp(`Training ${NAME} completed`);

interface RunMetaOnDisk {
  id: string;
  status: string;
  epochsDone: number;
  epochsPlanned: number;
  resumes?: Array<{ at: string; fromEpoch: number }>;
}

interface MetricPoint {
  kind: string;
  epoch: number;
  step: number;
}

/** The copied config, made slow: EPOCHS epochs of BATCH_SIZE rows, early stopping removed. */
function lengthenTraining(workspace: string): void {
  const file = join(workspace, CONFIG);
  const before = readFileSync(file, 'utf8');
  let text = before.replace(/"epochs":\s*\d+/, `"epochs": ${EPOCHS}`).replace(/"batchSize":\s*\d+/, `"batchSize": ${BATCH_SIZE}`);
  text = text.replace(/\s*"earlyStopping":\s*\{[^}]*\},?/, '');
  assert.notEqual(text, before, 'the config was changed');
  assert.ok(!/earlyStopping/.test(text) && text.includes(`"epochs": ${EPOCHS}`) && text.includes(`"batchSize": ${BATCH_SIZE}`), `the config edit did not apply:\n${text}`);
  writeFileSync(file, text);
  log(`config made long: ${EPOCHS} epochs, batch size ${BATCH_SIZE}, no early stopping`);
}

const runsDir = (session: Session) => join(session.workspace, '.modellab', 'runs');

function runFolders(session: Session): string[] {
  const dir = runsDir(session);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

function readMeta(runDir: string): RunMetaOnDisk {
  return JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as RunMetaOnDisk;
}

/** metrics.jsonl's points; a line being written at this moment is skipped. */
function metricPoints(runDir: string): MetricPoint[] {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  const points: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      points.push(JSON.parse(line) as MetricPoint);
    } catch {
      // the trainer is appending this line right now
    }
  }
  return points;
}

const epochPoints = (runDir: string) => metricPoints(runDir).filter((p) => p.kind === 'epoch').map((p) => p.epoch);

/** A notification (toast or in the notification center) whose message matches. */
function notification(page: Page, message: RegExp): Locator {
  return page.locator('.notification-list-item').filter({ has: page.locator('.notification-list-item-message', { hasText: message }) });
}

async function notificationText(page: Page, message: RegExp): Promise<string | undefined> {
  const item = notification(page, message).first();
  if ((await item.count()) === 0) return undefined;
  return ((await item.locator('.notification-list-item-message').textContent({ timeout: 1_000 })) ?? '').trim() || undefined;
}

/** Clicks a button of the notification; from the notification center when its toast has already gone. */
async function clickNotificationButton(page: Page, message: RegExp, button: string): Promise<void> {
  const buttonIn = (item: Locator) => item.locator('.notification-list-item-buttons-container .monaco-button').filter({ hasText: new RegExp(`^\\s*${button}\\s*$`) }).first();
  const toast = notification(page, message).first();
  if (await toast.isVisible().catch(() => false)) {
    await toast.hover();
    await buttonIn(toast).click({ timeout: 10_000 });
    return;
  }
  log(`the notification's toast is gone; using the notification center`);
  await runCommand(page, 'Notifications: Show Notifications');
  const item = page.locator('.notifications-center').locator('.notification-list-item').filter({ has: page.locator('.notification-list-item-message', { hasText: message }) }).first();
  await item.waitFor({ state: 'visible', timeout: 15_000 });
  await item.hover();
  await buttonIn(item).click({ timeout: 10_000 });
}

test('resume: a run interrupted by a window reload carries on from its checkpoint', { timeout: 600_000 }, async (t) => {
  const started = performance.now();
  const session = await startSession({ name: 'resume', workspace: 'examples/house-prices', readyTreeItem: CONFIG, prepareWorkspace: lengthenTraining });
  const { page, shots } = session;
  await withChecks(t, session, { match: /resum|interrupt|\[error\]/i, about: /model.?lab|modellab|trainer|house-prices/i, always: true }, async (check) => {
    // ── train ──
    await quickOpen(page, CONFIG);
    const trainLens = codeLens(page, 'Train this config');
    await trainLens.first().waitFor({ state: 'visible', timeout: 60_000 });
    await trainLens.first().click();
    const clickedAt = performance.now();

    // ── two finished epochs and a checkpoint on disk ──
    const runDir = await waitFor('a run folder with ≥ 2 epoch points and checkpoint.bin', TRAINING_TIMEOUT_MS, () => {
      const dirs = runFolders(session);
      if (dirs.length !== 1) return undefined;
      const dir = dirs[0]!;
      if (existsSync(join(dir, 'meta.json'))) {
        const status = readMeta(dir).status;
        if (status !== 'running') throw new StopWaiting(`the run ended "${status}" before it could be interrupted`);
      }
      return epochPoints(dir).length >= 2 && existsSync(join(dir, 'checkpoint.bin')) ? dir : undefined;
    }, 50);
    const epochsBeforeReload = epochPoints(runDir).length;
    log(`run folder ${runDir}: ${epochsBeforeReload} epoch(s) after ${((performance.now() - clickedAt) / 1000).toFixed(1)} s; reloading the window`);
    await shots.take(page, 'training');

    // ── reload the window ──
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    const reloadAt = performance.now();
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    await page.getByRole('treeitem', { name: CONFIG }).waitFor({ state: 'visible', timeout: 90_000 });
    log(`workbench back ${((performance.now() - reloadAt) / 1000).toFixed(1)} s after the reload`);

    // ── interrupted, and offered for resuming ──
    const ended = await waitFor('meta.json to leave "running"', 90_000, () => {
      const meta = readMeta(runDir);
      return meta.status === 'running' ? undefined : meta;
    }, 200);
    if (ended.status === 'completed') throw new Error(`the run completed all ${ended.epochsDone} epochs before the reload stopped its trainer: the test's run is too short to interrupt (EPOCHS)`);
    // What the resume will carry on from: the checkpoint's own epoch, not meta.json's count.
    const checkpointEpoch = readCheckpoint(runDir).header.epoch;
    const epochsOnDisk = epochPoints(runDir);
    log(`meta.json after the reload: ${ended.status} after epoch ${ended.epochsDone} of ${ended.epochsPlanned}; ` +
      `checkpoint.bin is of epoch ${checkpointEpoch}; metrics.jsonl's last epoch point: ${epochsOnDisk.at(-1)}`);
    const endedRaw = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { error?: string; stages?: Record<string, string>; endedAt?: string };
    // Who wrote the end: the trainer sets the stages (training "done"); the editor's markRunEnded adds an error instead.
    log(`meta.json end: stages ${JSON.stringify(endedRaw.stages)}, error ${JSON.stringify(endedRaw.error)}, endedAt ${endedRaw.endedAt}`);
    const wasInterrupted = ended.status === 'interrupted';

    await check('the reload marks the run "interrupted"', async () => {
      assert.equal(ended.status, 'interrupted', `meta.json says "${ended.status}" after the window reload (epochs done ${ended.epochsDone} of ${ended.epochsPlanned})`);
    });

    let offer = '';
    if (wasInterrupted) {
      offer = await waitFor('the "was interrupted … Resume it from its checkpoint?" notification', 90_000, () => notificationText(page, INTERRUPTED_MESSAGE), 200);
      log(`notification: "${offer}"`);
    } else {
      log(`the run is "${ended.status}", so no resume notification is expected; the rest of the test resumes it from the dashboard instead`);
    }
    await shots.take(page, 'interrupted-notification');

    let revived: FrameLocator | undefined;
    await check('the revived dashboard shows the interrupted run with a Resume button', async () => {
      const frame = await webviewWith(page, '#run-status', 60_000);
      const status = await waitFor(`#run-status data-status "${ended.status}"`, 30_000, async () => {
        const data = await frame.locator('#run-status').getAttribute('data-status', { timeout: 1_000 });
        return data === ended.status ? ((await frame.locator('#run-status').textContent()) ?? '').trim() : undefined;
      }, 250);
      await frame.locator('#resume-button').waitFor({ state: 'visible', timeout: 15_000 });
      revived = frame;
      log(`revived dashboard: #run-status "${status}", #resume-button visible`);
      await shots.take(page, 'revived-dashboard');
    });

    await check('the interrupted run is announced once, with a checkpoint', async () => {
      assert.equal(ended.epochsPlanned, EPOCHS);
      assert.ok(checkpointEpoch >= 1 && checkpointEpoch < EPOCHS, `checkpoint of epoch ${checkpointEpoch}`);
      assert.ok(wasInterrupted, `no notification is offered for a "${ended.status}" run`);
      assert.equal(await notification(page, INTERRUPTED_MESSAGE).count(), 1, 'one notification for the one interrupted run');
      assert.equal(Number(INTERRUPTED_MESSAGE.exec(offer)?.[1]), ended.epochsDone, `the notification names meta.json's epochsDone: "${offer}"`);
    });

    await check('meta.json and the notification agree with the checkpoint on the last finished epoch', async () => {
      // An epoch cut short by the interruption must not count as done, and a finished one must have its checkpoint:
      // otherwise the notification says "after epoch k" while Resume carries on after epoch k - 1.
      assert.equal(ended.epochsDone, checkpointEpoch,
        `meta.json says ${ended.epochsDone} epochs done (and the notification "after epoch ${ended.epochsDone}") but checkpoint.bin is of epoch ${checkpointEpoch}`);
      // metrics.jsonl may hold points past the checkpoint (the trainer can be cut off between writing them and the
      // checkpoint); Resume drops them, which the checks after the resume verify.
      const after = epochsOnDisk.filter((e) => e > checkpointEpoch);
      if (after.length > 0) log(`note: metrics.jsonl has epoch point(s) ${after.join(', ')} past the checkpoint's epoch ${checkpointEpoch} before the resume`);
    });

    await check('the Experiments view offers "Resume Training from Checkpoint" on the run', async () => {
      const activity = page.locator('.activitybar .action-item a[aria-label^="Model Lab"], .activitybar .action-label[aria-label^="Model Lab"]').first();
      await activity.click({ timeout: 30_000 });
      const view = page.locator('[id="workbench.view.extension.modelLab"]');
      const row = view.getByRole('treeitem', { name: new RegExp(`^(\\d{4}-)?\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d, ${ended.status}`) }).first();
      if (!(await row.isVisible().catch(() => false))) {
        // Runs are listed under their experiment; expand it if it is collapsed.
        const experiment = view.getByRole('treeitem', { name: /^house-prices \d+ runs? · / }).first();
        await experiment.waitFor({ state: 'visible', timeout: 30_000 });
        if ((await experiment.getAttribute('aria-expanded')) === 'false') await experiment.click();
      }
      try {
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        log(`run row: "${await row.getAttribute('aria-label')}"`);
        await row.hover();
        const action = row.locator('.actions .action-label[aria-label="Resume Training from Checkpoint"]');
        await action.waitFor({ state: 'visible', timeout: 10_000 });
        await shots.take(page, 'sidebar-resume-action');
      } finally {
        await page.mouse.move(900, 600);
        // Back to the Explorer (as the window started).
        await page.locator('.activitybar .action-item a[aria-label^="Explorer"], .activitybar .action-label[aria-label^="Explorer"]').first().click({ timeout: 10_000 }).catch(() => undefined);
      }
    });

    // ── Resume ──
    const resumeClickedAt = performance.now();
    if (wasInterrupted) {
      await clickNotificationButton(page, INTERRUPTED_MESSAGE, 'Resume');
    } else {
      // The notification's path is not offered; the dashboard's Resume button is.
      if (!revived) throw new Error(`the run is "${ended.status}" and the revived dashboard offers no Resume button either`);
      await revived.locator('#resume-button').click({ timeout: 15_000 });
    }
    log('pressed Resume');
    const restarted = await waitFor('the run to start again (meta.json "running")', 60_000, () => {
      const meta = readMeta(runDir);
      if (meta.status === 'running' || meta.status === 'completed') return meta;
      if ((meta.resumes?.length ?? 0) > 0 && meta.status !== ended.status) throw new StopWaiting(`the resumed run ended "${meta.status}"`);
      return undefined;
    }, 100);
    log(`meta.json "${restarted.status}" ${((performance.now() - resumeClickedAt) / 1000).toFixed(1)} s after Resume was pressed`);
    const dashboard = await webviewWith(page, '#run-status', 60_000);
    const following = await waitFor('the dashboard to follow the resumed run', 60_000, async () => {
      const data = await dashboard.locator('#run-status').getAttribute('data-status', { timeout: 1_000 });
      return data === 'running' || data === 'completed' ? data : undefined;
    }, 250);
    log(`dashboard #run-status data-status "${following}" ${((performance.now() - resumeClickedAt) / 1000).toFixed(1)} s after Resume was pressed`);
    await shots.take(page, 'resumed-training');

    const completed = await waitFor('meta.json status "completed"', TRAINING_TIMEOUT_MS, () => {
      const meta = readMeta(runDir);
      if (meta.status === 'completed') return meta;
      if (meta.status !== 'running') throw new StopWaiting(`the resumed run ended "${meta.status}" after epoch ${meta.epochsDone}`);
      return undefined;
    }, 250);
    const completedAt = performance.now();
    log(`resumed run completed ${((completedAt - resumeClickedAt) / 1000).toFixed(1)} s after Resume was pressed`);

    await check('the same run folder carried on: one resume, every epoch once, no checkpoint left', async () => {
      const dirs = runFolders(session);
      assert.deepEqual(dirs, [runDir], `exactly the one run folder: ${dirs.join(', ')}`);
      assert.equal(completed.epochsDone, EPOCHS);
      assert.equal(completed.resumes?.length, 1, `meta.resumes: ${JSON.stringify(completed.resumes)}`);
      const [resume] = completed.resumes!;
      log(`meta.resumes: ${JSON.stringify(completed.resumes)}`);
      assert.ok(resume!.fromEpoch >= 1, `fromEpoch ${resume!.fromEpoch}`);
      assert.equal(resume!.fromEpoch, checkpointEpoch, `resumed from the checkpoint's epoch ${checkpointEpoch}`);
      assert.ok(!Number.isNaN(Date.parse(resume!.at)), `resumes[0].at is a date: ${resume!.at}`);
      const epochs = epochPoints(runDir);
      assert.deepEqual(epochs, Array.from({ length: EPOCHS }, (_, i) => i + 1), `epoch points are 1..${EPOCHS} once each, in order (${epochs.length} points)`);
      const steps = metricPoints(runDir).filter((p) => p.kind === 'step').map((p) => p.step);
      const repeated = steps.filter((s, i) => i > 0 && s <= steps[i - 1]!);
      assert.deepEqual(repeated.slice(0, 5), [], 'step numbers only grow across the resume');
      assert.ok(!existsSync(join(runDir, 'checkpoint.bin')), 'checkpoint.bin is removed once the run completed');
      assert.ok(existsSync(join(runDir, 'evaluation.json')), 'the resumed run was evaluated');
      assert.ok(existsSync(join(runDir, 'model', 'model.json')), 'the resumed run saved its model');
    });

    await check('the "completed" notification appears', async () => {
      const text = await waitFor('the "Training house-prices completed" notification', 90_000, () => notificationText(page, COMPLETED_MESSAGE), 200);
      log(`notification ${((performance.now() - completedAt) / 1000).toFixed(1)} s after meta.json said completed: "${text}"`);
    });

    await check('the dashboard shows the run as completed', async () => {
      const status = await waitFor('#run-status to say completed', 60_000, async () => {
        const el = dashboard.locator('#run-status');
        const [text, data] = [((await el.textContent({ timeout: 1_000 })) ?? '').trim(), await el.getAttribute('data-status', { timeout: 1_000 })];
        return data === 'completed' && text.includes('completed') ? text : undefined;
      }, 250);
      const epoch = ((await dashboard.locator('#epoch-progress').textContent()) ?? '').trim();
      log(`dashboard #run-status: "${status}", #epoch-progress: "${epoch}"`);
      assert.ok(await dashboard.locator('#resume-button').isHidden(), 'a completed run offers no Resume');
      await page.waitForTimeout(500);
      await shots.take(page, 'completed');
    });
    await check('the config\'s CodeLens offers "Train this config" again', async () => {
      await quickOpen(page, CONFIG);
      await codeLens(page, 'Train this config').first().waitFor({ state: 'visible', timeout: 90_000 });
      log(`CodeLens back to "Train this config" ${((performance.now() - completedAt) / 1000).toFixed(1)} s after meta.json said completed`);
    });
    log(`test body took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
});

