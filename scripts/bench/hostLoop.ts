// The extension host while a run trains: this process plays the host (as
// scripts/bench-load.ts does), forks a real trainer (dist/trainer.js) through
// the host's own TrainingProcess on the digits example's CNN, receives its
// events, and measures its own event-loop delay (perf_hooks.monitorEventLoopDelay)
// from the first step's metrics to the run's end — with the trainer at a given
// thread count, so the delay at every core can be set beside the delay at one.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StartTrainingMessage } from '../../src/core/protocol/trainer';
import { TrainingProcess } from '../../src/node/trainingProcess';
import { PROJECT_ROOT } from './trainerProcess';

const root = PROJECT_ROOT;
const RESOLUTION_MS = 1;

export interface HostLoopDelay {
  threads: number;
  /** Event-loop delay beyond the sampler's own period, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Training steps the trainer reported while the delay was measured, and over how long. */
  steps: number;
  seconds: number;
  /** The host's own CPU time over the same span, as a share of one core. */
  hostCpuShare: number;
  /** The thread count the run recorded in its meta (RunMeta.threads), when it records one. */
  trainedWith?: number;
}

/** A copy of the digits example in `tmp`, made once; its images written there (`npm run digits`'s script) where the checkout has none yet. */
export function digitsWorkspace(tmp: string): string {
  const ws = join(tmp, 'digits');
  if (!existsSync(ws)) {
    cpSync(join(root, 'examples', 'digits'), ws, { recursive: true });
    if (!existsSync(join(ws, 'data', 'train'))) execFileSync(process.execPath, [join(root, 'scripts', 'make-digits.mjs'), '--out', join(ws, 'data')], { stdio: 'ignore' });
  }
  return join(ws, 'digits.experiment.json');
}

/**
 * Trains the digits example for `epochs` epoch(s) in a trainer child that runs its engine on
 * `threads` threads (MODELLAB_THREADS, read by src/trainer/childMain.ts), and measures this
 * process's event-loop delay while the trainer trains.
 */
export async function hostLoopDuringTraining(tmp: string, threads: number, epochs = 1): Promise<HostLoopDelay> {
  const trainerScript = join(root, 'dist', 'trainer.js');
  if (!existsSync(trainerScript)) throw new Error('dist/trainer.js is missing: npm run build');
  const configPath = digitsWorkspace(tmp);
  const runsDir = join(tmp, 'digits-runs');
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  let steps = 0;
  let measuring = false;
  let startedAt = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let seconds = NaN;
  let hostCpuShare = NaN;
  let tail = '';
  let trainedWith: number | undefined;
  const stopMeasuring = () => {
    if (!measuring) return;
    measuring = false;
    h.disable();
    seconds = (performance.now() - startedAt) / 1000;
    const used = process.cpuUsage(cpuAtStart);
    hostCpuShare = (used.user + used.system) / 1e6 / Math.max(seconds, 1e-3);
  };
  const p = new TrainingProcess(
    {
      trainerScript,
      runtime: { execPath: process.execPath, env: { MODELLAB_THREADS: String(threads) } },
      // The start message's own thread count, for a trainer that reads one (asserted: older protocols lack the field).
      start: { type: 'start', configPath, runsDir, backend: 'wasm', epochs, threads } as StartTrainingMessage,
    },
    {
      onEvent: (e) => {
        // What the host does with every event: forward it to the dashboard (serialized by postMessage).
        JSON.stringify({ type: 'event', runId: p.runId, event: e });
        if (e.type === 'metrics') {
          if (!measuring && startedAt === 0) {
            measuring = true;
            startedAt = performance.now();
            cpuAtStart = process.cpuUsage();
            h.enable();
          }
          if (measuring) steps += e.points.filter((x) => x.kind === 'step').length;
        }
        if (e.type === 'runEnded') {
          stopMeasuring();
          trainedWith = e.meta.threads;
        }
      },
      onOutput: (_stream, line) => (tail = `${tail}\n${line}`.slice(-2000)),
      onNote: () => undefined,
      onExit: () => undefined,
    },
  );
  const outcome = await p.done;
  stopMeasuring();
  if (outcome.status !== 'completed') throw new Error(`the digits run ended ${outcome.status}: ${outcome.reason ?? ''}${tail}`);
  const toMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return { threads, p50: toMs(h.percentile(50)), p99: toMs(h.percentile(99)), max: toMs(h.max), steps, seconds, hostCpuShare, trainedWith };
}
