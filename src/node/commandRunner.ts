// Runs an external command (npm) with its output streamed line by line and an
// AbortSignal for cancellation. A cancellation is reported as such, not as a
// failure; a missing executable is reported as such, not as a crash.

import { spawn } from 'node:child_process';
import { LineSplitter } from './lineSplitter';

export type CommandResult =
  | { kind: 'succeeded' }
  | { kind: 'failed'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'notFound'; command: string }
  | { kind: 'cancelled' };

export interface RunCommandOptions {
  cwd: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  platform?: NodeJS.Platform;
}

export function runCommand(command: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  const platform = options.platform ?? process.platform;
  // Windows runs npm.cmd only through a shell, which needs the arguments quoted.
  const viaShell = platform === 'win32' && /\.(cmd|bat)$/i.test(command);
  const file = viaShell ? quoteForCmd(command) : command;
  const argv = viaShell ? args.map(quoteForCmd) : [...args];
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'cancelled' });
      return;
    }
    let settled = false;
    const settle = (result: CommandResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal: options.signal,
      shell: viaShell,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = new LineSplitter();
      const readable = child[stream];
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => lines.push(chunk).forEach((l) => options.onLine?.(stream, l)));
      readable.on('end', () => lines.flush().forEach((l) => options.onLine?.(stream, l)));
      readable.on('error', () => undefined);
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') settle({ kind: 'cancelled' });
      else if (err.code === 'ENOENT') settle({ kind: 'notFound', command });
      else settle({ kind: 'failed', code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      if (options.signal?.aborted) settle({ kind: 'cancelled' });
      else if (code === 0) settle({ kind: 'succeeded' });
      else settle({ kind: 'failed', code, signal });
    });
  });
}

function quoteForCmd(arg: string): string {
  return /[\s"&|<>^()]/.test(arg) ? `"${arg.replace(/"/g, '""')}"` : arg;
}

export const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node@4.22.0';

/** `npm install --no-save --prefix <dir> @tensorflow/tfjs-node@4.22.0`, arguments only. */
export function nativeBackendInstallArgs(prefix: string): string[] {
  return ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, TFJS_NODE_PACKAGE];
}

export function npmExecutableName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'npm.cmd' : 'npm';
}
