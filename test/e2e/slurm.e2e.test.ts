// Training on a SLURM cluster from the editor, end to end: a real VS Code
// with modelLab.executor = "slurm", against a real one-node SLURM started by
// scripts/slurm-test-cluster.sh in a folder and on ports of its own. The
// CodeLens says "Train on SLURM"; pressing it submits a job, and the sidebar
// follows the run as the scheduler moves it: queued (SLURM's reason beside it:
// a job of this test holds every CPU), running on the node (the job's setup
// line waits for this test's go), completed. The status bar counts the jobs;
// the dashboard follows the run from its files ("updated N s ago"). A second
// run, queued, is cancelled from the sidebar. A sweep is one job array whose
// four runs complete under the sweep in the sidebar.
// Run: npm run package && node --import tsx --test test/e2e/slurm.e2e.test.ts
// (as root, after: bash scripts/install-test-deps.sh)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { codeLens, log, quickOpen, repoRoot, startSession, StopWaiting, waitFor, webviewWith, withChecks } from './harness';

const CONFIG = 'house-prices.experiment.json';
const SWEEP_CONFIG = 'house-prices-sweep.experiment.json';
const CLUSTER_SCRIPT = join(repoRoot, 'scripts', 'slurm-test-cluster.sh');
/** The test's own cluster, so it never disturbs (or is stopped by) another test's. */
const CLUSTER_DIR = mkdtempSync(join(tmpdir(), 'modellab-slurm-e2e-'));
const CLUSTER_PORT = process.env.E2E_SLURM_PORT ?? '17417';
const NODE = hostname().split('.')[0];
/** The job's setup line waits for this file: the run stays "running on the node" until the test has seen it. */
const GO_FILE = join(CLUSTER_DIR, 'go');
const JOB_TIMEOUT_MS = 240_000;
const UNHAPPY = /, (failed|cancelled|interrupted|stopped),/;

const clusterEnv = { ...process.env, MODELLAB_SLURM_DIR: CLUSTER_DIR, MODELLAB_SLURM_PORT: CLUSTER_PORT };
let slurmConf = '';

function cluster(command: 'start' | 'stop'): string {
  return execFileSync('bash', [CLUSTER_SCRIPT, command], { env: clusterEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** One of SLURM's commands against the test's cluster. */
function slurm(command: string, args: string[]): string {
  return execFileSync(command, args, { env: { ...process.env, SLURM_CONF: slurmConf }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

before(() => {
  const out = cluster('start');
  slurmConf = /export SLURM_CONF=(\S+)/.exec(out)?.[1]?.replace(/^'|'$/g, '') ?? '';
  assert.ok(slurmConf && existsSync(slurmConf), `slurm-test-cluster.sh start printed no SLURM_CONF:\n${out}`);
  // code-server, its extension host and so the jobs it submits talk to this cluster.
  process.env.SLURM_CONF = slurmConf;
  log(`test cluster up: SLURM_CONF=${slurmConf}`);
});

after(() => {
  try {
    cluster('stop');
  } finally {
    rmSync(CLUSTER_DIR, { recursive: true, force: true });
  }
});

function experimentsView(page: Page): Locator {
  return page.locator('[id="workbench.view.extension.modelLab"]');
}

/** Run rows are labelled "<time>, <status>, <description>". */
function runRows(page: Page): Locator {
  return experimentsView(page).getByRole('treeitem', { name: /^(\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d, / });
}

/** The newest run's row label (rows are newest first); `count` runs are expected. */
async function runLabel(page: Page, count = 1): Promise<string> {
  const labels = await runRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  assert.ok(labels.length <= count, `${count} run(s) expected, the sidebar lists: ${labels.join(' | ')}`);
  return labels.length === count ? labels[0] : '';
}

function clusterStatusBar(page: Page): Locator {
  return page.locator('.statusbar-item').filter({ hasText: /SLURM: \d+ queued, \d+ running/ });
}

/** The run folder's job files, when something went wrong. */
function jobFiles(workspace: string): string {
  const runs = join(workspace, '.modellab', 'runs');
  if (!existsSync(runs)) return '(no runs folder)';
  return readdirSync(runs)
    .map((id) => ['meta.json', 'job.err', 'job.out'].map((f) => (existsSync(join(runs, id, f)) ? `── ${id}/${f}\n${readFileSync(join(runs, id, f), 'utf8').slice(-3000)}` : '')).join('\n'))
    .join('\n');
}

test('SLURM: train from the CodeLens, follow the run queued → running → completed in the sidebar', { timeout: 600_000 }, async (t) => {
  const session = await startSession({
    name: 'slurm',
    workspace: 'examples/house-prices',
    readyTreeItem: CONFIG,
    settings: {
      'modelLab.executor': 'slurm',
      'modelLab.slurm.setupLines': [`while [ ! -e '${GO_FILE}' ]; do sleep 0.2; done`],
    },
    // A short run: the point is the job's way through the scheduler, not the training.
    prepareWorkspace: (ws) => {
      const file = join(ws, CONFIG);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /"epochs": 40/);
      writeFileSync(file, text.replace('"epochs": 40', '"epochs": 3'));
      const sweepFile = join(ws, SWEEP_CONFIG);
      const sweepText = readFileSync(sweepFile, 'utf8');
      assert.match(sweepText, /"epochs": 8/);
      writeFileSync(sweepFile, sweepText.replace('"epochs": 8', '"epochs": 2'));
    },
  });
  const { page, shots } = session;
  let blocker = '';
  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|slurm|squeue|sbatch/i, always: true }, async (check) => {
    const activity = page.locator('.activitybar .action-item a[aria-label^="Model Lab"], .activitybar .action-label[aria-label^="Model Lab"]').first();
    await activity.waitFor({ state: 'visible', timeout: 60_000 });
    await activity.click();
    await page.mouse.move(900, 600);

    await check('the CodeLens says "Train on SLURM"', async () => {
      await quickOpen(page, CONFIG);
      await codeLens(page, 'Train on SLURM').first().waitFor({ state: 'visible', timeout: 60_000 });
      assert.equal(await codeLens(page, 'Train this config').count(), 0);
      await shots.take(page, 'codelens-train-on-slurm');
    });

    await check('pressed while every CPU is taken, the run shows queued with SLURM\'s reason', async () => {
      // A job of this test holds every CPU of the node, so the run's job has to wait.
      blocker = slurm('sbatch', ['--parsable', `--cpus-per-task=${slurm('sinfo', ['--noheader', '--format=%c']).split('\n')[0]}`, '--job-name=e2e-blocker', '--output=/dev/null', '--wrap=sleep 900']).split(';')[0];
      await waitFor('the blocking job to run', 60_000, () => (slurm('squeue', ['--noheader', '--jobs', blocker, '--format=%T']) === 'RUNNING' ? true : undefined), 250);
      await codeLens(page, 'Train on SLURM').first().click();
      const label = await waitFor('a queued run row with its job and reason', JOB_TIMEOUT_MS, async () => {
        const l = await runLabel(page);
        if (UNHAPPY.test(l)) throw new StopWaiting(`the run ended: "${l}"\n${jobFiles(session.workspace)}`);
        return /, queued, job \d+ \(\w+\)/.test(l) ? l : undefined;
      });
      log(`queued: "${label}"`);
      const jobId = /job (\d+)/.exec(label)![1];
      const squeue = slurm('squeue', ['--noheader', '--jobs', jobId, '--format=%T %r']);
      log(`squeue says: ${squeue}`);
      assert.match(squeue, /^PENDING /);
      assert.ok(label.includes(`(${squeue.split(' ')[1]})`), `the sidebar shows SLURM's reason: "${label}" vs squeue "${squeue}"`);
      await clusterStatusBar(page).filter({ hasText: 'SLURM: 1 queued, 0 running' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      // The job script was saved in the run folder, beside meta.json saying queued.
      const runs = readdirSync(join(session.workspace, '.modellab', 'runs'));
      assert.equal(runs.length, 1);
      const meta = JSON.parse(readFileSync(join(session.workspace, '.modellab', 'runs', runs[0], 'meta.json'), 'utf8')) as { status: string; job?: { id: string } };
      assert.equal(meta.job?.id, jobId);
      await shots.take(experimentsView(page), 'sidebar-queued');
      await shots.take(page, 'queued');
    });

    await check('when the CPUs free up, the run shows running on the node, and the dashboard follows it', async () => {
      slurm('scancel', [blocker]);
      const label = await waitFor('a running run row with its node', JOB_TIMEOUT_MS, async () => {
        const l = await runLabel(page);
        if (UNHAPPY.test(l)) throw new StopWaiting(`the run ended: "${l}"\n${jobFiles(session.workspace)}`);
        return /, running, job \d+ on /.test(l) ? l : undefined;
      });
      log(`running: "${label}"`);
      assert.ok(label.includes(` on ${NODE}`), `the sidebar names the node ${NODE}: "${label}"`);
      await clusterStatusBar(page).filter({ hasText: 'SLURM: 0 queued, 1 running' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      const dashboard = await webviewWith(page, '#run-follow', 60_000);
      const follow = dashboard.locator('#run-follow');
      const text = await waitFor('the dashboard to name the job, its node and the files\' age', 30_000, async () => {
        const s = ((await follow.textContent()) ?? '').trim();
        return (await follow.isVisible()) && new RegExp(`^job \\d+ on ${NODE} · updated \\d+ s ago$`).test(s) ? s : undefined;
      });
      log(`dashboard: "${text}"`);
      assert.equal((await dashboard.locator('#run-status').textContent())?.trim(), 'running');
      await shots.take(experimentsView(page), 'sidebar-running');
      await shots.take(page, 'running');
    });

    await check('the run trains on the node and ends completed in the sidebar, the dashboard and the status bar', async () => {
      writeFileSync(GO_FILE, '');
      const label = await waitFor('a completed run row', JOB_TIMEOUT_MS, async () => {
        const l = await runLabel(page);
        if (UNHAPPY.test(l)) throw new StopWaiting(`the run did not complete: "${l}"\n${jobFiles(session.workspace)}`);
        return /, completed, val_loss \d/.test(l) ? l : undefined;
      });
      log(`completed: "${label}"`);
      const dashboard = await webviewWith(page, '#run-status', 60_000);
      await waitFor('the dashboard to say completed', 30_000, async () => ((await dashboard.locator('#run-status').textContent())?.trim() === 'completed' ? true : undefined));
      assert.equal(await dashboard.locator('#run-follow').isVisible(), false, 'an ended run is no longer followed');
      assert.ok(Number(await dashboard.locator('#loss-chart').getAttribute('data-points')) > 0, 'the loss curve was read from the run folder');
      await clusterStatusBar(page).filter({ hasText: 'SLURM: 0 queued, 0 running' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      const runs = readdirSync(join(session.workspace, '.modellab', 'runs'));
      const meta = JSON.parse(readFileSync(join(session.workspace, '.modellab', 'runs', runs[0], 'meta.json'), 'utf8')) as { status: string; epochsDone: number };
      assert.deepEqual([meta.status, meta.epochsDone], ['completed', 3]);
      await shots.take(experimentsView(page), 'sidebar-completed');
      await shots.take(page, 'completed');
    });

    await check('a second run, queued behind a job that holds every CPU, is cancelled from the sidebar', async () => {
      blocker = slurm('sbatch', ['--parsable', `--cpus-per-task=${slurm('sinfo', ['--noheader', '--format=%c']).split('\n')[0]}`, '--job-name=e2e-blocker', '--output=/dev/null', '--wrap=sleep 900']).split(';')[0];
      await waitFor('the blocking job to run', 60_000, () => (slurm('squeue', ['--noheader', '--jobs', blocker, '--format=%T']) === 'RUNNING' ? true : undefined), 250);
      await quickOpen(page, CONFIG);
      await codeLens(page, 'Train on SLURM').first().click();
      const queued = await waitFor('the second run queued', JOB_TIMEOUT_MS, async () => {
        const l = await runLabel(page, 2);
        return /, queued, job \d+ \(\w+\)/.test(l) ? l : undefined;
      });
      const jobId = /job (\d+)/.exec(queued)![1];
      const row = runRows(page).first();
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item').filter({ hasText: /^\s*Cancel Cluster Job\s*$/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await shots.take(page, 'cancel-menu');
      await item.click();
      const label = await waitFor('the second run cancelled', 60_000, async () => {
        const l = await runLabel(page, 2);
        return /, cancelled/.test(l) ? l : undefined;
      });
      log(`cancelled: "${label}"`);
      // SLURM no longer runs or queues the job, and the run folder says cancelled.
      assert.doesNotMatch(slurm('squeue', ['--noheader', '--jobs', jobId, '--format=%T']), /PENDING|RUNNING/);
      const dirs = readdirSync(join(session.workspace, '.modellab', 'runs')).sort();
      const meta = JSON.parse(readFileSync(join(session.workspace, '.modellab', 'runs', dirs[dirs.length - 1], 'meta.json'), 'utf8')) as { status: string; job?: { id: string } };
      assert.deepEqual([meta.status, meta.job?.id], ['cancelled', jobId]);
      slurm('scancel', [blocker]);
      await clusterStatusBar(page).filter({ hasText: 'SLURM: 0 queued, 0 running' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await shots.take(experimentsView(page), 'sidebar-cancelled');
    });

    await check('a sweep on SLURM is one job array: its CodeLens counts the jobs, its four runs complete under the sweep', async () => {
      await quickOpen(page, SWEEP_CONFIG);
      const lens = codeLens(page, 'Run sweep on SLURM (4 jobs)');
      await lens.first().waitFor({ state: 'visible', timeout: 60_000 });
      await shots.take(page, 'codelens-sweep-on-slurm');
      await lens.first().click();
      const sweep = experimentsView(page).getByRole('treeitem', { name: /^Sweep \(4\/4 runs\)/ });
      await sweep.first().waitFor({ state: 'visible', timeout: 60_000 });
      // One array job, a task per point, each run folder knowing its task.
      const runsDir = join(session.workspace, '.modellab', 'runs');
      const jobs = readdirSync(runsDir)
        .map((id) => JSON.parse(readFileSync(join(runsDir, id, 'meta.json'), 'utf8')) as { sweep?: { index: number }; job?: { id: string; arrayJobId?: string; arrayIndex?: number } })
        .filter((m) => m.sweep)
        .map((m) => [m.sweep!.index, m.job?.arrayJobId, m.job?.arrayIndex, m.job?.id] as const)
        .sort((a, b) => a[0] - b[0]);
      assert.equal(jobs.length, 4);
      const array = jobs[0][1];
      assert.ok(array && /^\d+$/.test(array), `an array job id: ${JSON.stringify(jobs)}`);
      assert.deepEqual(jobs, [0, 1, 2, 3].map((i) => [i, array, i, `${array}_${i}`]));
      if ((await sweep.first().getAttribute('aria-expanded')) !== 'true') await sweep.first().click();
      const pointRows = experimentsView(page).getByRole('treeitem', { name: /^#\d / });
      const labels = await waitFor('the sweep\'s four runs completed', JOB_TIMEOUT_MS, async () => {
        const ls = await pointRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
        const ended = ls.find((l) => UNHAPPY.test(l));
        if (ended) throw new StopWaiting(`a sweep run did not complete: "${ended}"\n${jobFiles(session.workspace)}`);
        return ls.length === 4 && ls.every((l) => /, completed, (★ )?val_loss \d/.test(l)) && ls.filter((l) => l.includes('★')).length === 1 ? ls : undefined;
      });
      log(`sweep runs:\n  ${labels.join('\n  ')}`);
      await clusterStatusBar(page).filter({ hasText: 'SLURM: 0 queued, 0 running' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await shots.take(experimentsView(page), 'sidebar-sweep-completed');
    });
  });
});
