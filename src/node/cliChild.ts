// The `modellab` CLI as a child process of the host (a deployment's `serve`,
// a learning-rate range test's `lr-find`): forked with the trainer's Node
// and environment, its stdout piped for the JSON lines it prints, and the
// last lines of its stderr kept for the error a failure reports.

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { TrainerRuntime } from './trainerRuntime';

/** Lines of stderr kept for the message of a child that failed. */
const STDERR_TAIL_LINES = 20;

export interface CliChildOptions {
  /** dist/cli.js (or the CLI's source, with a loader in execArgv, in tests). */
  cliScript: string;
  runtime: Pick<TrainerRuntime, 'execPath' | 'env'>;
  execArgv?: string[];
  cwd?: string;
}

export interface CliChild {
  child: ChildProcess;
  /** The last lines the child wrote to stderr, oldest first. */
  stderrTail: string[];
}

export function forkCli(options: CliChildOptions, args: string[]): CliChild {
  const child = fork(options.cliScript, args, {
    execPath: options.runtime.execPath,
    execArgv: options.execArgv ?? [],
    env: { ...process.env, ...options.runtime.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...({ windowsHide: true } as object),
  });
  const stderrTail: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderrTail.push(...text.split('\n').filter(Boolean));
    stderrTail.splice(0, Math.max(0, stderrTail.length - STDERR_TAIL_LINES));
  });
  return { child, stderrTail };
}
