// npm run bench [-- --quick] [-- --rounds N] [-- --only mlp,encoder,decoder,cnn,around] [-- --no-peer]
//                [-- --no-build] [-- --backend wasm|tensorflow|cpu] [-- --threads N]
//
// Model Lab's engine (wasm backend, the trainer's own code) against PyTorch on
// the CPU (Debian's python3-torch with OpenBLAS, same thread count), on the
// same data, initial weights and batch order, alternating, several rounds
// (mlp: the first lesson's MLP; encoder, decoder: the Transformers; cnn: a
// small convolutional network on 28×28 digits);
// prints medians, the ratio ours/peer and each side's final loss; then the
// path around training (trainer start, a 100k-row CSV, metrics IPC,
// attention for 128 tokens). The targets are printed beside each.

import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { attention128, largeCsv, trainerProcess } from './aroundTraining';
import { ensurePeerInstalled, Peer } from './peer';
import { cnnWorkload, matMulGflops, mlpWorkload, transformerWorkload } from './workloads';
import type { RunResult, Workload } from './workloads';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const rounds = Number(option('rounds') ?? (quick ? 3 : 5));
const only = new Set((option('only') ?? 'mlp,encoder,decoder,cnn,around').split(','));
const root = join(__dirname, '..', '..');
const backendChoice = (option('backend') ?? 'wasm') as BackendChoice;

const TARGETS: Record<string, number> = { mlp: 0.5, encoder: 0.4, decoder: 0.4, cnn: 0.5 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r, ri) => r.map((c, i) => (i === 0 || ri === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/** The 1-, 5- and 15-minute load averages: measurements on a machine with load above its core count are unsteady. */
const loadNote = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} on ${cpus().length} cores`;

function commitNote(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain', { cwd: root, encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted change(s)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const log = (s: string) => console.log(s);
  const tmp = mkdtempSync(join(tmpdir(), 'modellab-bench-'));
  try {
    if (!flag('no-build') && only.has('around')) {
      log('building dist/ (npm run build) for the trainer-process measurements …');
      const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      if (b.status !== 0) throw new Error('the build failed');
    }
    const sel = await selectBackend(backendChoice);
    // The peer gets as many threads as our side uses: one for wasm in Node (no threaded build there).
    const threads = Number(option('threads') ?? (sel.backend === 'wasm' ? getThreadsCount() : cpus().length));
    let peer: Peer | undefined;
    if (!flag('no-peer')) {
      const why = ensurePeerInstalled(log);
      if (why) log(`PyTorch peer unavailable: ${why}; measuring Model Lab alone.`);
      else {
        peer = new Peer(threads);
        await peer.start();
      }
    }
    log(`\nModel Lab engine benchmark — commit ${commitNote()}, ${quick ? 'quick' : 'full'}, ${rounds} rounds alternating`);
    log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${loadNote()}; node ${process.versions.node}; tfjs ${tf.version_core} on ${sel.backend} (${threads} thread${threads === 1 ? '' : 's'})`);
    if (peer) log(`peer: PyTorch ${String(peer.info.torch)} (${String(peer.info.blas)}), torch.set_num_threads(${threads}), OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset`);

    // The backend's plain 2-D product, measured in this run: the ceiling for the models' arithmetic.
    const mm = { m: 2048, k: 128, n: 128 };
    const oursMm = median(Array.from({ length: 3 }, () => matMulGflops(mm.m, mm.k, mm.n, quick ? 50 : 200)));
    const peerMms: number[] = [];
    for (let i = 0; peer && i < 3; i++) peerMms.push((await peer.request<{ gflops: number }>({ cmd: 'matmul', ...mm, reps: quick ? 50 : 200, threads })).gflops);
    const peerMm = peerMms.length ? median(peerMms) : NaN;
    log(`plain 2-D matMul [${mm.m}×${mm.k}]·[${mm.k}×${mm.n}]: ours ${fmt(oursMm, 1)} GFLOP/s, peer ${fmt(peerMm, 1)} GFLOP/s\n`);

    const workloads: [string, Workload][] = [];
    if (only.has('mlp')) workloads.push(['mlp', mlpWorkload({ rows: quick ? 4096 : 8192, epochs: quick ? 3 : 5, dir: join(tmp, 'mlp') })]);
    if (only.has('encoder')) workloads.push(['encoder', transformerWorkload({ decoder: false, rows: quick ? 256 : 512, epochs: 2, dir: join(tmp, 'encoder') })]);
    if (only.has('decoder')) workloads.push(['decoder', transformerWorkload({ decoder: true, rows: quick ? 256 : 512, epochs: 2, dir: join(tmp, 'decoder') })]);
    if (only.has('cnn')) workloads.push(['cnn', cnnWorkload({ rows: quick ? 1024 : 2048, epochs: 2, dir: join(tmp, 'cnn') })]);

    const results = new Map<string, { ours: RunResult[]; peer: { seconds: number; cpuSeconds: number; items: number; finalLoss: number }[] }>();
    for (let r = 0; r < rounds; r++) {
      for (const [key, w] of workloads) {
        const entry = results.get(key) ?? { ours: [], peer: [] };
        results.set(key, entry);
        const before = tf.memory().numTensors;
        entry.ours.push(await w.ours());
        const leaked = tf.memory().numTensors - before;
        if (leaked !== 0) log(`warning: ${w.name} leaked ${leaked} tensor(s) in round ${r + 1}`);
        if (peer) {
          const p = await peer.request<{ seconds: number; cpuSeconds: number; samples?: number; tokens?: number; finalLoss: number }>({ ...w.peer, threads });
          entry.peer.push({ seconds: p.seconds, cpuSeconds: p.cpuSeconds, items: p.samples ?? p.tokens ?? 0, finalLoss: p.finalLoss });
        }
        process.stdout.write('.');
      }
    }
    if (workloads.length) process.stdout.write('\n');

    // CPU time beside wall time: on a machine other work shares, wall time counts the waits
    // for a core as well, and the two sides need not wait alike.
    const rows: string[][] = [['workload', 'unit', 'ours', 'peer', 'ours/peer', 'target', 'ours/peer by CPU time', 'loss ours', 'loss peer', 'Δloss', 'ours % of matMul', 'peer % of matMul']];
    for (const [key, w] of workloads) {
      const e = results.get(key)!;
      const ours = median(e.ours.map((x) => x.items / x.seconds));
      const theirs = e.peer.length ? median(e.peer.map((x) => x.items / x.seconds)) : NaN;
      const lossOurs = median(e.ours.map((x) => x.finalLoss));
      const lossPeer = e.peer.length ? median(e.peer.map((x) => x.finalLoss)) : NaN;
      const ratio = ours / theirs;
      const cpuRatio = median(e.ours.map((x) => x.items / x.cpuSeconds)) / (e.peer.length ? median(e.peer.map((x) => x.items / x.cpuSeconds)) : NaN);
      const dLoss = Math.abs(lossOurs - lossPeer) / Math.abs(lossPeer);
      rows.push([
        w.name,
        w.unit,
        fmt(ours),
        fmt(theirs),
        `${fmt(ratio, 2)}×`,
        `≥ ${TARGETS[key]}× ${ratio >= TARGETS[key] ? 'met' : 'NOT met'}`,
        `${fmt(cpuRatio, 2)}×`,
        lossOurs.toPrecision(5),
        Number.isFinite(lossPeer) ? lossPeer.toPrecision(5) : '—',
        Number.isFinite(dLoss) ? `${(dLoss * 100).toFixed(2)}% ${dLoss <= 0.1 ? 'ok' : 'OFF'}` : '—',
        `${fmt((100 * ours * w.flopsPerItem) / 1e9 / oursMm, 1)}%`,
        `${fmt((100 * theirs * w.flopsPerItem) / 1e9 / peerMm, 1)}%`,
      ]);
    }
    if (workloads.length) log('\n' + table(rows) + `\n(${loadNote()} at the end)\n`);
    peer?.close();

    if (only.has('around')) {
      const around: string[][] = [['around training', 'measured', 'target', '']];
      const tp = await trainerProcess(tmp, sel.backend);
      around.push(['trainer start → first step (fork dist/trainer.js)', `${fmt(tp.firstStepMs)} ms`, '≤ 1,500 ms', tp.firstStepMs <= 1500 ? 'met' : 'NOT met']);
      around.push([`metrics IPC: ${tp.steps} steps in ${tp.metricMessages} messages; host CPU while training`, `${fmt(tp.hostCpuShare * 100, 1)}% of a core`, 'idle-ish (≤ 5%)', tp.hostCpuShare <= 0.05 ? 'met' : 'NOT met']);
      const csv = largeCsv(tmp);
      around.push([`${fmt(csv.rows)}-row × ${csv.columns}-column CSV loaded and preprocessed`, `${fmt(csv.millis)} ms`, '≤ 2,000 ms', csv.millis <= 2000 ? 'met' : 'NOT met']);
      const att = await attention128(tmp, quick ? 5 : 15, sel.backend);
      around.push([`attention, example encoder, ${att.tokens} tokens (warm; first call ${fmt(att.coldMs)} ms with model load)`, `${fmt(att.warmMs, 1)} ms`, '≤ 100 ms', att.warmMs <= 100 ? 'met' : 'NOT met']);
      log(table(around));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
