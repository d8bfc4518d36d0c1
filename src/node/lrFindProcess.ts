// One learning-rate range test: `modellab lr-find <config> --json` in a child
// process (forked with the trainer's executable, like a deployment), its JSON
// lines read as they come: a line per step, then the result. Knows nothing of
// VS Code; the editor's Find Learning Rate shows what it reports.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { forkCli } from './cliChild';
import type { CliChildOptions } from './cliChild';
import { THREADS_ENV } from '../core/threads';

export interface LrFindProcessOptions extends CliChildOptions {
  configPath: string;
  backend?: string;
  nativeModuleDirs?: string[];
  /** Data files must lie inside this folder (the editor's path policy); anywhere when undefined. */
  workspaceRoot?: string;
  /** Where a `model.base` run id is looked up (the editor's modelLab.runsDirectory, as its training gets it). */
  runsDir?: string;
  /** The editor's modelLab.threads (0: every core), given to the CLI as MODELLAB_THREADS: below the config's training.threads. */
  threadsSetting?: number;
}

export interface LrFindStepLine {
  step: number;
  lr: number;
  loss: number;
  smoothed: number;
}

export interface LrFindResultLine {
  configLr: number;
  end: 'diverged' | 'completed' | 'stopped';
  points: LrFindStepLine[];
  suggestion?: { lr: number; rounded: number; index: number; slopePerDecade: number; minLossLr: number; reason: string };
  /** A config with model.base: what the swept rate drives (`sweep`: the CLI's line saying it). */
  fineTune?: { baseWeights: 'frozen' | 'fixed' | 'shared'; baseLr?: number; sweep: string };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

function isStep(v: Record<string, unknown>): boolean {
  return isNumber(v.step) && isNumber(v.lr) && (isNumber(v.loss) || v.loss === null) && (isNumber(v.smoothed) || v.smoothed === null);
}

export class LrFindProcess {
  /** The result; rejects with the CLI's error when it fails. */
  readonly result: Promise<LrFindResultLine>;
  private readonly child: ChildProcess;
  private readonly stderrTail: string[];
  private ended = false;

  constructor(
    options: LrFindProcessOptions,
    onStep: (step: LrFindStepLine) => void,
  ) {
    const args = ['lr-find', options.configPath, '--json'];
    if (options.backend) args.push('--backend', options.backend);
    for (const dir of options.nativeModuleDirs ?? []) args.push('--native-modules', dir);
    if (options.workspaceRoot) args.push('--workspace-root', options.workspaceRoot);
    if (options.runsDir) args.push('--runs-dir', options.runsDir);
    const env = options.threadsSetting !== undefined ? { ...options.runtime.env, [THREADS_ENV]: String(options.threadsSetting) } : options.runtime.env;
    ({ child: this.child, stderrTail: this.stderrTail } = forkCli({ ...options, runtime: { ...options.runtime, env } }, args));
    let result: LrFindResultLine | undefined;
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a JSON line
      }
      if (msg.type === 'step' && isStep(msg)) onStep({ step: msg.step as number, lr: msg.lr as number, loss: Number(msg.loss ?? NaN), smoothed: Number(msg.smoothed ?? NaN) });
      else if (msg.type === 'result' && Array.isArray(msg.points)) result = msg as unknown as LrFindResultLine;
    });
    const closed = new Promise<void>((resolve) => lines.on('close', resolve));
    this.result = new Promise((resolve, reject) => {
      this.child.on('exit', (code) => {
        this.ended = true;
        void closed.then(() => {
          if (result) resolve(result);
          else {
            // The CLI says what went wrong as "modellab: <message>"; the config's errors follow on their own lines.
            const said = this.stderrTail.filter((l) => !/^data:|^the loss and metrics/.test(l));
            reject(new Error(said.length ? said.join('\n').replace(/^modellab: /, '') : `the range test ended without a result (exit code ${code})`));
          }
        });
      });
      this.child.on('error', (e) => {
        if (this.child.pid === undefined) {
          this.ended = true;
          reject(e);
        }
      });
    });
    this.result.catch(() => undefined);
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Stops the test (SIGTERM: the CLI ends after the step and reports what it has). */
  stop(): void {
    if (!this.ended) this.child.kill('SIGTERM');
  }
}
