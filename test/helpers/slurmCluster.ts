// A real one-node SLURM cluster for a test file (scripts/slurm-test-cluster.sh):
// its own folder and ports, started in `before`, stopped in `after` — and at
// process exit or on SIGINT/SIGTERM too, so a failing or interrupted test
// leaves no daemon behind.
// Needs root and Debian's slurm-wlm and munge (scripts/install-test-deps.sh);
// a machine without them fails the test with the script's message.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'slurm-test-cluster.sh');

export interface TestCluster {
  /** The environment SLURM's commands (and the CLI under test) need: SLURM_CONF. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Stops the cluster and removes its folder; safe to call twice. */
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two free consecutive ports: slurmctld's and slurmd's. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
  throw new Error('no two free consecutive ports for the test cluster');
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'modellab-slurm-test-'));
  const port = await freePortPair();
  const scriptEnv = { ...process.env, MODELLAB_SLURM_DIR: dir, MODELLAB_SLURM_PORT: String(port) };
  let stopped = false;
  // Interrupted (Ctrl+C, the runner's SIGTERM): stop the cluster, then end as the signal would have.
  const onSignal = (signal: NodeJS.Signals) => {
    stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try {
      execFileSync('bash', [script, 'stop'], { env: scriptEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', stop);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let out: string;
  try {
    out = execFileSync('bash', [script, 'start'], { env: scriptEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    stop();
    throw new Error(`the test SLURM cluster did not start:\n${e.stderr || e.message}`);
  }
  const conf = /^export SLURM_CONF=(.+)$/m.exec(out)?.[1];
  if (!conf) {
    stop();
    throw new Error(`scripts/slurm-test-cluster.sh start printed no SLURM_CONF:\n${out}`);
  }
  return { env: { ...process.env, SLURM_CONF: conf }, dir, stop };
}
