// Every surface says the same epoch while a run trains: the CodeLens, the
// status bar, the progress notification and the dashboard's header. (The
// CodeLens once said "epoch 2/40" while the others said 25/40.)
//
// The house-prices config, made long (100,000 epochs, the most a config may
// ask, no early stopping) so the run is still training when the test looks: the
// one-call training step trains its epochs in 1–3 ms, so 1,000 were over
// between two pauses. To compare the surfaces at one
// moment the trainer is paused (SIGSTOP, by the pid in its meta.json): the
// surfaces must then settle on one "N/M". Between two pauses the CodeLens must
// move on while the trainer runs, and Stop ends the run with the same epoch
// in the notification and the dashboard.
// Run: npm run package, then node --import tsx --test test/e2e/progress.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { codeLens, log, quickOpen, startSession, StopWaiting, waitFor, webviewWith, withChecks } from './harness';
import { codeLensTitles, dashboardEpoch, epochIn, modelLabStatus, notificationTexts } from './surfaces';

const CONFIG = 'house-prices.experiment.json';
const EPOCHS = 100_000;

/** The config trains long enough to be looked at: EPOCHS epochs, no early stopping. */
function longRun(workspace: string): void {
  const path = join(workspace, CONFIG);
  const text = readFileSync(path, 'utf8');
  const edited = text.replace('"epochs": 40,', `"epochs": ${EPOCHS},`).replace(/\s*"earlyStopping": \{ "patience": 6 \},/, '');
  assert.notEqual(edited, text, 'the config was edited');
  assert.ok(!edited.includes('earlyStopping') && edited.includes(`"epochs": ${EPOCHS}`), 'epochs and early stopping as the test needs them');
  writeFileSync(path, edited);
}

interface Surfaces {
  codeLens?: string;
  statusBar?: string;
  notification?: string;
  dashboard?: string;
}

async function readSurfaces(page: Page, dashboard: FrameLocator): Promise<Surfaces> {
  const [lenses, status, notes, header] = await Promise.all([
    codeLensTitles(page),
    modelLabStatus(page),
    notificationTexts(page),
    dashboardEpoch(dashboard).catch(() => undefined),
  ]);
  return {
    codeLens: lenses.find((l) => epochIn(l) || /Training|Stopping/.test(l)),
    statusBar: status,
    notification: notes.find((n) => /Training house-prices/.test(n)),
    dashboard: header,
  };
}

/** The one "N/M" all four surfaces show, or undefined while they differ (or one shows none). */
function agreed(s: Surfaces): string | undefined {
  const epochs = [s.codeLens, s.statusBar, s.notification, s.dashboard].map((t) => epochIn(t));
  if (epochs.some((e) => !e)) return undefined;
  const keys = new Set(epochs.map((e) => `${e!.epoch}/${e!.epochs}`));
  return keys.size === 1 ? [...keys][0] : undefined;
}

/** The pid of the run's trainer, from the run folder's meta.json. */
function trainerPid(workspace: string): number | undefined {
  const runsDir = join(workspace, '.modellab', 'runs');
  if (!existsSync(runsDir)) return undefined;
  for (const name of readdirSync(runsDir)) {
    try {
      const meta = JSON.parse(readFileSync(join(runsDir, name, 'meta.json'), 'utf8')) as { pid?: unknown; status?: unknown };
      if (typeof meta.pid === 'number' && meta.status === 'running') return meta.pid;
    } catch {
      // not written yet
    }
  }
  return undefined;
}

test('training progress: the CodeLens, the status bar, the notification and the dashboard show the same epoch', { timeout: 480_000 }, async (t) => {
  const session = await startSession({ name: 'progress', workspace: 'examples/house-prices', readyTreeItem: CONFIG, prepareWorkspace: longRun });
  const { page, shots } = session;
  let paused: number | undefined;
  const pause = (pid: number) => {
    process.kill(pid, 'SIGSTOP');
    paused = pid;
  };
  const resume = () => {
    if (paused !== undefined) process.kill(paused, 'SIGCONT');
    paused = undefined;
  };
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|trainer/i }, async (check) => {
    try {
      await quickOpen(page, CONFIG);
      const trainLens = codeLens(page, 'Train this config');
      await trainLens.first().waitFor({ state: 'visible', timeout: 60_000 });
      await trainLens.first().click();
      const dashboard = await webviewWith(page, '#epoch-progress', 60_000);
      const pid = await waitFor('the trainer\'s pid in meta.json', 120_000, () => trainerPid(session.workspace), 200);
      log(`trainer pid ${pid}`);

      let last: Surfaces = {};
      /** Pauses the trainer and waits for the four surfaces to settle on one epoch. */
      const pauseAndCompare = async (name: string): Promise<number> => {
        pause(pid);
        const shown = await waitFor(`the four surfaces to show one epoch (${name})`, 30_000, async () => {
          last = await readSurfaces(page, dashboard);
          return agreed(last);
        }, 200).catch((error: Error) => {
          throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
        });
        log(`${name}: all show ${shown}: ${JSON.stringify(last)}`);
        await shots.take(page, `paused-${name}`);
        return epochIn(shown)!.epoch;
      };

      // ── a first pause, a few epochs in ──
      await waitFor('the dashboard to reach epoch 3', 120_000, async () => ((epochIn(await dashboardEpoch(dashboard).catch(() => ''))?.epoch ?? 0) >= 3 ? true : undefined), 50);
      let first = 0;
      await check('paused a few epochs in, all four surfaces say the same epoch', async () => {
        first = await pauseAndCompare('first');
        assert.ok(first >= 3 && first < EPOCHS, `epoch ${first}`);
      });
      resume();

      // ── the CodeLens follows the running trainer, then a second pause ──
      await check('while the trainer runs the CodeLens moves on, and at the next pause all four agree again', async () => {
        const moved = await waitFor(`the CodeLens to pass epoch ${first} while training`, 90_000, async () => {
          const lens = (await codeLensTitles(page)).find((l) => epochIn(l));
          if (!lens && (await codeLensTitles(page)).includes('Train this config')) throw new StopWaiting('the run ended before the CodeLens moved on');
          const e = epochIn(lens)?.epoch ?? 0;
          return e > first ? e : undefined;
        }, 100);
        log(`the CodeLens moved on to epoch ${moved}`);
        // A long fast run: hundreds of events a second for seconds on end (at 1000 epochs the page's
        // curves are thinned, the events batched). The window once fell 30 s and more behind here.
        await waitFor('the dashboard to reach epoch 1000', 120_000, async () => ((epochIn(await dashboardEpoch(dashboard).catch(() => ''))?.epoch ?? 0) >= 1000 ? true : undefined), 200);
        const second = await pauseAndCompare('second');
        assert.ok(second > first, `second pause at ${second}, first at ${first}`);
      });
      resume();

      // ── Stop: the run ends with the same epoch in the notification and the dashboard ──
      await check('Stop ends the run; the notification and the dashboard name the same last epoch', async () => {
        await codeLens(page, 'Stop').first().click();
        const note = await waitFor(`the "stopped after N of ${EPOCHS} epochs" notification`, 60_000, async () =>
          (await notificationTexts(page)).find((n) => /stopped after \d+ of \d+ epochs/.test(n)), 200);
        const done = Number(/stopped after (\d+) of (\d+) epochs/.exec(note)![1]);
        log(`notification: ${note}`);
        await waitFor('the dashboard to say stopped', 30_000, async () =>
          ((await dashboard.locator('#run-status').textContent({ timeout: 1_000 })) ?? '').includes('stopped') ? true : undefined);
        const header = await dashboardEpoch(dashboard);
        assert.equal(header, `epoch ${done}/${EPOCHS}`);
        const status = await waitFor('the status bar to say stopped', 30_000, async () => {
          const s = await modelLabStatus(page);
          return s && /stopped/.test(s) ? s : undefined;
        });
        log(`status bar: ${status}`);
        await codeLens(page, 'Train this config').first().waitFor({ state: 'visible', timeout: 30_000 });
        await shots.take(page, 'stopped');
      });
    } finally {
      resume();
    }
  });
});
