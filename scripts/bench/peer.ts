// The PyTorch peer: installed from Debian's packages when missing, run as
// long-lived workers (peer_torch.py, one per thread count) that answer JSON
// requests line by line; LineWorker also runs our side (oursChild.ts).

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Debian's interpreter: the one python3-torch installs into (a pyenv or venv python3 on PATH would not see it). */
export const PYTHON = '/usr/bin/python3';

function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Installs python3-torch and OpenBLAS (pthread build) with apt-get when torch is missing; returns why not when it cannot. */
export function ensurePeerInstalled(log: (s: string) => void): string | undefined {
  if (hasTorch()) return undefined;
  if (process.getuid?.() !== 0) return `PyTorch is missing and installing it needs root: apt-get install python3-torch libopenblas0-pthread`;
  log('installing the PyTorch peer: apt-get install python3-torch libopenblas0-pthread …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'python3-torch', 'libopenblas0-pthread']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) return `apt-get ${args[0]} failed (exit ${r.status})`;
  }
  return hasTorch() ? undefined : 'python3-torch installed, but `import torch` still fails';
}

/** A long-lived worker that answers one JSON request per line on stdin with one JSON line on stdout. */
export class LineWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  info: Record<string, unknown> = {};

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(`[${label}] ${d}`));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits for the worker's first line (its ready line). */
  async start(): Promise<void> {
    this.info = await this.next();
  }

  private async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.label} exited`);
    return JSON.parse(r.value) as Record<string, unknown>;
  }

  async request<T>(req: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const out = await this.next();
    if (typeof out.error === 'string') throw new Error(`${this.label}: ${out.error}`);
    return out as T;
  }

  /** Ends the worker (it exits when its stdin closes) and waits for it to go. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await gone;
  }
}

/**
 * PyTorch at a thread count fixed for the process: torch.set_num_threads(threads) on every
 * request and OMP_NUM_THREADS for its OpenMP pool and OpenBLAS (pthread build, which reads
 * OMP_NUM_THREADS when OPENBLAS_NUM_THREADS is unset) — one process per count, so no pool is
 * resized mid-run.
 */
export class Peer extends LineWorker {
  constructor(readonly threads: number) {
    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the peer's command only: set, they
    // override OpenBLAS's own choice of kernel and cache size for this CPU.
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
    for (const name of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'MKL_NUM_THREADS']) delete env[name];
    super(`peer ×${threads}`, PYTHON, [join(__dirname, 'peer_torch.py')], env);
  }
}
