// An ensemble of a sweep's top points built for the editor: `modellab best
// <config> --ensemble K --json` in a child process (forked with the trainer's
// executable, like the learning-rate test: scoring the models on the test
// rows loads TensorFlow.js, which the extension host never does), its one
// result line read. Knows nothing of VS Code; the editor's Build Ensemble
// command shows what it reports.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { forkCli } from './cliChild';
import type { CliChildOptions } from './cliChild';
import { THREADS_ENV } from '../core/threads';

export interface EnsembleProcessOptions extends CliChildOptions {
  configPath: string;
  runsDir: string;
  /** The sweep; its config's newest when undefined. */
  sweepId?: string;
  /** How many of the sweep's top points (a cross-validated point brings all its fold models). */
  k: number;
  backend?: string;
  /** The editor's modelLab.threads, given to the CLI as MODELLAB_THREADS. */
  threadsSetting?: number;
}

/** What `modellab best --ensemble --json` reports. */
export interface EnsembleResultLine {
  /** The ensemble folder. */
  dir: string;
  sweepId: string;
  /** The member runs' ids, best first. */
  members: string[];
  /** The ensemble's test metrics and the best run's, scored by the same code on the same `count` test rows. */
  test: Record<string, number>;
  bestRun: string;
  bestRunTest: Record<string, number>;
  count: number;
}

const isMetrics = (v: unknown): v is Record<string, number> => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'number');

function isResult(v: Record<string, unknown>): boolean {
  return v.type === 'ensemble' && typeof v.dir === 'string' && typeof v.sweepId === 'string' && Array.isArray(v.members) && v.members.every((m) => typeof m === 'string') && isMetrics(v.test) && typeof v.bestRun === 'string' && isMetrics(v.bestRunTest) && typeof v.count === 'number';
}

export class EnsembleProcess {
  /** The result; rejects with the CLI's own message when it fails (no sweep, too few models, no test split). */
  readonly result: Promise<EnsembleResultLine>;
  private readonly child: ChildProcess;

  constructor(options: EnsembleProcessOptions) {
    const args = ['best', options.configPath, '--ensemble', String(options.k), '--runs-dir', options.runsDir, '--json'];
    if (options.sweepId) args.push('--sweep', options.sweepId);
    if (options.backend) args.push('--backend', options.backend);
    const env = options.threadsSetting !== undefined ? { ...options.runtime.env, [THREADS_ENV]: String(options.threadsSetting) } : options.runtime.env;
    const forked = forkCli({ ...options, runtime: { ...options.runtime, env } }, args);
    this.child = forked.child;
    // The CLI's own word ("modellab: <message>"), kept apart: a usage error prints the usage after it, past the stderr tail.
    let said: string | undefined;
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      if (said === undefined && line.startsWith('modellab: ')) said = line.slice('modellab: '.length);
    });
    let result: EnsembleResultLine | undefined;
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (isResult(msg)) result = msg as unknown as EnsembleResultLine;
      } catch {
        // not a JSON line
      }
    });
    const closed = new Promise<void>((resolve) => lines.on('close', resolve));
    this.result = new Promise((resolve, reject) => {
      this.child.on('exit', (code, signal) => {
        void closed.then(() => {
          if (result) resolve(result);
          else if (signal) reject(new Error(`building the ensemble was stopped (${signal})`));
          else reject(new Error(said ?? (forked.stderrTail.join('\n') || `building the ensemble ended without a result (exit code ${code})`)));
        });
      });
      this.child.on('error', (e) => {
        if (this.child.pid === undefined) reject(e);
      });
    });
    this.result.catch(() => undefined);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}
