// The trainer process forked as VS Code forks it (dist/trainer.js on the
// house-prices example), timed from the host's side: start-up to the first
// step, and the host's CPU while metrics stream in. The CPU line is measured
// in a host process of its own (trainerProcessInOwnHost): in the bench's
// process, work that is not the run's — V8's memory reducer collecting what
// earlier lines left (a timer ~8 s after start), and tsx's loader thread —
// landed in the window some runs and not others (1.0% and 5.1% of a core for
// the same 400 epochs, one after the other in one process).

import { fork } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StartTrainingMessage, TrainerToHostMessage } from '../../src/core/protocol/trainer';
import type { BackendName } from '../../src/core/types';
import { editConfigFile } from '../../test/helpers/fixtures';

/** The project's folder (dist/trainer.js, examples/). */
export const PROJECT_ROOT = join(__dirname, '..', '..');

export interface TrainerProcessTimes {
  /** fork() to the first step's metrics arriving at the host. */
  firstStepMs: number;
  /** fork() to the run's end. */
  totalMs: number;
  steps: number;
  metricMessages: number;
  /** Host CPU time while the trainer trained (receiving and decoding IPC), as a share of one core. */
  hostCpuShare: number;
  /** The wall time that share is over: the first step's metrics to the run's end. */
  trainingMs: number;
}

/**
 * Forks dist/trainer.js on the house-prices example, as the extension does,
 * and times it. With `epochs`, the example trains that many epochs with no
 * early stop or learning-rate schedule: as the example stands it trains for
 * ~0.3 s here, too short a window for the host's CPU share (one compilation
 * or collection in the host is then a percent of it).
 */
export async function trainerProcess(tmp: string, backend: BackendName, epochs?: number, root = PROJECT_ROOT): Promise<TrainerProcessTimes> {
  const trainer = join(root, 'dist', 'trainer.js');
  if (!existsSync(trainer)) throw new Error('dist/trainer.js is missing: npm run build');
  const ws = join(tmp, `house-prices${epochs === undefined ? '' : `-${epochs}`}`);
  cpSync(join(root, 'examples', 'house-prices'), ws, { recursive: true });
  const configPath = join(ws, 'house-prices.experiment.json');
  if (epochs !== undefined) editConfigFile(configPath, [[['training', 'epochs'], epochs], [['training', 'earlyStopping'], undefined], [['training', 'reduceLrOnPlateau'], undefined]]);
  const start: StartTrainingMessage = { type: 'start', configPath, runsDir: join(ws, '.modellab', 'runs'), backend };
  const t0 = performance.now();
  const child = fork(trainer, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let firstStepMs = NaN;
  let steps = 0;
  let metricMessages = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let wallAtFirst = 0;
  let hostCpuShare = NaN;
  let trainingMs = NaN;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const msg = raw as TrainerToHostMessage;
      // Held events come as one batch (childMain.ts): unpacked here as TrainingProcess does.
      const events = msg.type === 'events' ? msg.events : [msg];
      if (events.some((e) => e.type === 'metrics')) metricMessages++;
      for (const e of events) {
        if (e.type === 'metrics') {
          if (Number.isNaN(firstStepMs)) {
            firstStepMs = performance.now() - t0;
            cpuAtFirst = process.cpuUsage();
            wallAtFirst = performance.now();
          }
          steps += e.points.filter((p) => p.kind === 'step').length;
        }
        if (e.type === 'runEnded' && cpuAtFirst) {
          const used = process.cpuUsage(cpuAtFirst);
          trainingMs = performance.now() - wallAtFirst;
          hostCpuShare = (used.user + used.system) / 1000 / Math.max(trainingMs, 1);
        }
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the trainer exited with ${code}`))));
    child.send(start);
  });
  return { firstStepMs, totalMs: performance.now() - t0, steps, metricMessages, hostCpuShare, trainingMs };
}

/**
 * trainerProcess in a host process that does nothing else: this file bundled
 * by esbuild (no tsx) and forked with plain node, the result sent back. The
 * host's CPU share is then the run's: receiving and decoding the trainer's
 * messages, and the collections of what that allocates.
 */
export async function trainerProcessInOwnHost(tmp: string, backend: BackendName, epochs?: number): Promise<TrainerProcessTimes> {
  const bundle = join(tmp, 'trainer-process-host.cjs');
  // Imported here, and left out of the bundle: the host never builds.
  const { buildSync } = await import('esbuild');
  buildSync({ entryPoints: [__filename], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, external: ['esbuild'], mainFields: ['module', 'main'], logLevel: 'error' });
  const host = fork(bundle, [HOST_ARG], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: TrainerProcessTimes | undefined;
    host.on('message', (m) => {
      const reply = m as { result?: TrainerProcessTimes; error?: string };
      if (reply.error !== undefined) reject(new Error(`the bench's host process: ${reply.error}`));
      result = reply.result;
    });
    host.on('exit', (code) => (result ? resolve(result) : reject(new Error(`the bench's host process exited with ${code} and no result`))));
    host.send({ tmp, backend, epochs, root: PROJECT_ROOT });
  });
}

/** The argument that makes this file, bundled, the host process. */
const HOST_ARG = '--modellab-bench-host';

if (process.argv.includes(HOST_ARG) && process.send) {
  process.once('message', (m) => {
    const { tmp, backend, epochs, root } = m as { tmp: string; backend: BackendName; epochs?: number; root: string };
    trainerProcess(tmp, backend, epochs, root).then(
      (result) => process.send!({ result }, () => process.disconnect()),
      (e: unknown) => process.send!({ error: e instanceof Error ? e.message : String(e) }, () => process.disconnect()),
    );
  });
}
