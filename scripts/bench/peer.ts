// The PyTorch peer: installed from Debian's packages when missing, run as one
// long-lived worker (peer_torch.py) that answers JSON requests line by line.

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

export class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  info: Record<string, unknown> = {};

  constructor(threads: number) {
    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the peer's command only: set, they
    // override OpenBLAS's own choice of kernel and cache size for this CPU.
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    this.child = spawn(PYTHON, [join(__dirname, 'peer_torch.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(`[peer] ${d}`));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async start(): Promise<void> {
    this.info = await this.next();
  }

  private async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error('the PyTorch peer exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  }

  async request<T>(req: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const out = await this.next();
    if (typeof out.error === 'string') throw new Error(`peer: ${out.error}`);
    return out as T;
  }

  close(): void {
    this.child.stdin.end();
  }
}
