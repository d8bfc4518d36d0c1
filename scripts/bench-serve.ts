// Throughput of `modellab serve` for single-row predictions, measured with
// autocannon against loopback. The server runs in a child process of its own
// (as `modellab serve` would), so the load generator does not share its thread.
//
//   node --import tsx scripts/bench-serve.ts [--run DIR] [--duration S] [--connections N,N,...]
//                                            [--batch-window MS] [--backend wasm|tensorflow|cpu]
//
// Without --run it first trains the house-prices example for 2 epochs in a
// temporary folder. Prints requests/s and p50/p99 latency per connection count.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// autocannon ships no types; the part used here.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: { url: string; method: string; body: string; headers: Record<string, string>; connections: number; duration: number; pipelining: number }) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const root = join(__dirname, '..');
const CLI = join(root, 'src/cli/main.ts');
const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const duration = Number(option('duration') ?? 10);
const connectionCounts = (option('connections') ?? '1,16,64').split(',').map(Number);
const backend = option('backend') ?? 'wasm';

function trainExample(work: string): string {
  cpSync(join(root, 'examples/house-prices'), join(work, 'house-prices'), { recursive: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', join(work, 'house-prices/house-prices.experiment.json'), '--epochs', '2', '--backend', backend, '--runs-dir', join(work, 'runs'), '--json'], {
    encoding: 'utf8',
    cwd: root,
  });
  const result = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; runDir?: string }).find((l) => l.type === 'result');
  if (!result?.runDir) throw new Error(`training failed:\n${r.stderr}`);
  return result.runDir;
}

async function startServer(run: string): Promise<{ child: ChildProcess; url: string }> {
  const args = ['--import', 'tsx', CLI, 'serve', run, '--port', '0', '--name', 'house', '--backend', backend, '--json'];
  const window = option('batch-window');
  if (window !== undefined) args.push('--batch-window', window);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const msg = JSON.parse(line) as { type: string; url: string };
    if (msg.type === 'listening') return { child, url: msg.url };
  }
  throw new Error('the server exited before listening');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'modellab-bench-serve-'));
  try {
    const run = option('run') ?? trainExample(work);
    const [header, first] = readFileSync(join(root, 'examples/house-prices/data/houses.csv'), 'utf8').split('\n');
    const cols = header.split(',');
    const row = Object.fromEntries(first.split(',').map((v, i) => [cols[i], Number(v)]).filter(([k]) => k !== 'price'));
    const body = JSON.stringify({ instances: [row] });
    const { child, url } = await startServer(run);
    try {
      // Warm up (first predict compiles the wasm kernels' paths).
      for (let i = 0; i < 50; i++) await fetch(`${url}:predict`, { method: 'POST', body });
      process.stdout.write(`modellab serve, house-prices MLP (10→64→1), one row per request, ${backend} backend, ${cpus().length} cores, ${duration} s per point\n`);
      process.stdout.write('connections  requests/s   p50 ms   p99 ms   errors\n');
      for (const connections of connectionCounts) {
        const r = await autocannon({ url: `${url}:predict`, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration, pipelining: 1 });
        const errors = r.non2xx + r.errors + r.timeouts;
        process.stdout.write(`${String(connections).padStart(11)}  ${r.requests.average.toFixed(0).padStart(10)}  ${r.latency.p50.toFixed(1).padStart(7)}  ${r.latency.p99.toFixed(1).padStart(7)}  ${String(errors).padStart(7)}\n`);
      }
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
