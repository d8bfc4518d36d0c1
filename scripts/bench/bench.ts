// npm run bench [-- --quick] [-- --rounds N] [-- --only mlp,encoder,decoder,encoderLarge,cnn,limit,host,around]
//               [-- --no-peer] [-- --no-build] [-- --backend wasm|tensorflow|cpu] [-- --threads N] [-- --warm-up S]
//
// Model Lab's engine against PyTorch at its best on the same CPU, on the same
// data, initial weights and batch order (mlp: the first lesson's MLP; encoder,
// decoder: the Transformers at the examples' sizes; encoderLarge: a larger
// encoder where threads matter; cnn: a small convolutional network on 28×28
// digits). Our side runs as a user's run would, in processes of its own
// (oursChild.ts): at every core unless --threads N limits it, and at one thread
// for the scaling line. PyTorch (peer_torch.py, Debian's python3-torch) runs at
// one thread and at every core, and our ratio is taken against the faster of
// the two. The sides take turns, never two at once, each waiting until the
// others are idle; per side and workload, one untimed batch, then untimed
// whole runs for --warm-up seconds (warmUpSeconds) first.
// Prints medians of the rounds, each side's final loss, the scaling line, the
// limit line (matMul per core against what 128-bit SIMD allows this
// processor), the memory line (what a second thread gives a pass that streams
// a tensor the CNN's size, bandwidth.ts), the core line (the CNN step on one
// thread pinned to each core: how far unequal cores bound the speed-up,
// coreLine.ts), the extension host's event-loop delay while a trainer uses every
// core, and the path around training. The targets (one table, TARGETS) are
// printed beside each figure.

import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice, BackendName } from '../../src/core/types';
import { attention128, largeCsv } from './aroundTraining';
import { PROJECT_ROOT, trainerProcess, trainerProcessInOwnHost } from './trainerProcess';
import { hostLoopDuringTraining } from './hostLoop';
import type { HostLoopDelay } from './hostLoop';
import { ensurePeerInstalled, LineWorker, Peer } from './peer';
import type { StreamFigures } from './bandwidth';
import { theoreticalPeak } from './simdLimit';
import { coreLine, pairBound, pairLine, speedUpBound } from './coreLine';
import { WORKLOAD_KEYS } from './workloads';
import type { RunResult, WorkloadKey } from './workloads';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const rounds = Number(option('rounds') ?? 3);
/**
 * Untimed training per side and workload before the timed rounds, in seconds: whole runs until
 * this much has passed. Our engine's JavaScript (tfjs's bookkeeping, our kernels' wrappers) runs
 * unoptimized until V8 has seen it often enough — kernels called a few times a step take hundreds
 * of steps — and the compiler's threads then take cores from the training threads, so a cold
 * process measures its warm-up, not what a run of more than a few seconds trains at.
 */
const warmUpSeconds = Number(option('warm-up') ?? (quick ? 0 : 6));
if (!(warmUpSeconds >= 0)) throw new Error(`--warm-up wants seconds (0 or more), got ${option('warm-up')}`);
const only = new Set((option('only') ?? [...WORKLOAD_KEYS, 'limit', 'host', 'around'].join(',')).split(','));
const root = PROJECT_ROOT;
const backendChoice = (option('backend') ?? 'wasm') as BackendChoice;
const cores = availableParallelism();
/** Our side's thread count as a user's run gets it: every core, unless --threads limits it. */
const ourThreads = Number(option('threads') ?? cores);
if (!Number.isInteger(ourThreads) || ourThreads < 1) throw new Error(`--threads wants a whole number of at least 1, got ${option('threads')}`);

/**
 * The targets, the one table of them: our throughput over PyTorch at its best (same run,
 * final losses equal), and our speed-up from one thread to every core.
 */
const TARGETS: Record<WorkloadKey, { ratio: number; speedUp?: number }> = {
  mlp: { ratio: 1.0 },
  encoder: { ratio: 0.6 },
  decoder: { ratio: 0.6 },
  encoderLarge: { ratio: 0.4, speedUp: 1.6 },
  cnn: { ratio: 0.5, speedUp: 1.6 },
};
/** Final losses of the two sides agree within this share. */
const LOSS_TOLERANCE = 0.1;

const unique = (xs: number[]) => [...new Set(xs)];
const thr = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
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

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

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

/** A process's CPU time so far (user + system, all its threads), in clock ticks; NaN once it is gone. */
function cpuTicks(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the workers are idle (no CPU time over two 50 ms looks, at most 2 s): a side's
 * thread pool can spin on after its answer (OpenMP, OpenBLAS), and the next side must not
 * share the cores with it. Returns the milliseconds waited.
 */
let settleCount = 0;
let settleMs = 0;
const busyWarned = new Set<string>();
async function settle(workers: LineWorker[]): Promise<number> {
  settleCount++;
  const t = performance.now();
  const ticks = () => workers.map((w) => cpuTicks(w.pid) || 0);
  let last = ticks();
  let quiet = 0;
  let busy: string[] = [];
  while (quiet < 2 && performance.now() - t < 2000) {
    await sleep(50);
    const now = ticks();
    busy = workers.filter((_, i) => now[i] !== last[i]).map((w) => w.label);
    quiet = busy.length === 0 ? quiet + 1 : 0;
    last = now;
  }
  // A worker that never goes idle (a spinning thread pool) would share the cores with the side measured next: said, not hidden.
  for (const label of busy) {
    if (busyWarned.has(label)) continue;
    busyWarned.add(label);
    console.log(`\nwarning: ${label} kept using CPU for 2 s while idle; the next measurement shares the cores with it`);
  }
  settleMs += performance.now() - t;
  return performance.now() - t;
}

interface Side {
  label: string;
  kind: 'ours' | 'peer';
  threads: number;
  worker: LineWorker;
}

interface PeerRun {
  seconds: number;
  cpuSeconds: number;
  samples?: number;
  tokens?: number;
  finalLoss: number;
}

interface Prepared {
  name: string;
  unit: string;
  flopsPerItem: number;
  peer: Record<string, unknown>;
}

async function runOn(side: Side, key: WorkloadKey, w: Prepared, warmUp: boolean): Promise<RunResult & { leaked?: number }> {
  if (side.kind === 'ours') return side.worker.request<RunResult & { leaked: number }>({ cmd: 'run', key, warmUp });
  const p = await side.worker.request<PeerRun>({ ...w.peer, threads: side.threads, warmup: warmUp });
  return { seconds: p.seconds, cpuSeconds: p.cpuSeconds, items: p.samples ?? p.tokens ?? 0, finalLoss: p.finalLoss };
}

async function main(): Promise<void> {
  const log = (s: string) => console.log(s);
  const tmp = mkdtempSync(join(tmpdir(), 'modellab-bench-'));
  const workers: LineWorker[] = [];
  try {
    if (!flag('no-build') && (only.has('around') || only.has('host'))) {
      log('building dist/ (npm run build) for the trainer-process measurements …');
      const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      if (b.status !== 0) throw new Error('the build failed');
    }

    // Our side: one process per thread count (the wasm backend fixes its threads when it starts).
    const ours: Side[] = [];
    for (const n of unique([1, ourThreads])) {
      const worker = new LineWorker(`ours ×${n}`, process.execPath, [...process.execArgv, join(__dirname, 'oursChild.ts'), String(n), backendChoice, quick ? '1' : '0', tmp], process.env);
      workers.push(worker);
      await worker.start();
      ours.push({ label: `ours ${thr(n)}`, kind: 'ours', threads: n, worker });
    }
    const oursAll = ours[ours.length - 1];
    const ours1 = ours[0];
    const backend = oursAll.worker.info.backend as BackendName;

    // PyTorch at one thread and at every core: one process each.
    const peers: Side[] = [];
    if (!flag('no-peer')) {
      const why = ensurePeerInstalled(log);
      if (why) log(`PyTorch peer unavailable: ${why}; measuring Model Lab alone.`);
      else {
        for (const n of unique([1, cores])) {
          const worker = new Peer(n);
          workers.push(worker);
          await worker.start();
          peers.push({ label: `PyTorch ${thr(n)}`, kind: 'peer', threads: n, worker });
        }
      }
    }
    const sides = [...ours, ...peers];

    log(`\nModel Lab engine benchmark — commit ${commitNote()}, ${quick ? 'quick' : 'full'}, ${rounds} rounds after ${warmUpSeconds} s of warm-up per side and workload, sides in turn (never two at once)`);
    log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${loadNote()}; node ${process.versions.node}`);
    log(
      `ours: tfjs ${String(oursAll.worker.info.tfjs)} on ${backend}, one process per thread count: ` +
        ours.map((s) => `${thr(s.threads)} asked → engineThreads() ${String(s.worker.info.threads)}, tfjs-backend-wasm threads ${String(s.worker.info.wasmThreads ?? '—')}`).join('; ') +
        `; relaxed SIMD ${oursAll.worker.info.relaxedSimd ? 'on' : 'off'}`,
    );
    if (peers.length) log(`peer: PyTorch ${String(peers[0].worker.info.torch)} (${String(peers[0].worker.info.blas)}), one process per thread count: ${peers.map((p) => thr(p.threads)).join(' and ')} (torch.set_num_threads + OMP_NUM_THREADS); OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset`);

    // ── the plain 2-D product on every side, in turn.
    // Each side 5 times, in turn; its best counts (as for the measured SIMD peak): other work on
    // the machine only ever lowers a product's rate, and it takes no side's turn alike.
    const mm = { m: 2048, k: 128, n: 128, reps: quick ? 30 : 100 };
    const MM_TRIES = 5;
    const mmResults = new Map<Side, number[]>(sides.map((s) => [s, []]));
    for (let r = 0; r < MM_TRIES; r++) {
      for (const side of r % 2 ? [...sides].reverse() : sides) {
        await settle(workers);
        const g = side.kind === 'ours' ? await side.worker.request<{ gflops: number }>({ cmd: 'matmul', ...mm }) : await side.worker.request<{ gflops: number }>({ cmd: 'matmul', ...mm, threads: side.threads });
        mmResults.get(side)!.push(g.gflops);
      }
    }
    const mmOf = (side: Side | undefined) => (side ? Math.max(...mmResults.get(side)!) : NaN);
    log(`plain 2-D matMul [${mm.m}×${mm.k}]·[${mm.k}×${mm.n}], GFLOP/s, best of ${MM_TRIES}: ${sides.map((s) => `${s.label} ${fmt(mmOf(s), 1)}`).join(', ')}\n`);

    // ── the workloads: prepared in each of our processes (the first writes the peer's files).
    const keys = WORKLOAD_KEYS.filter((k) => only.has(k));
    const prepared = new Map<WorkloadKey, Prepared>();
    for (const key of keys) for (const side of ours) prepared.set(key, await side.worker.request<Prepared>({ cmd: 'prepare', key }));
    const results = new Map<WorkloadKey, Map<Side, RunResult[]>>(keys.map((k) => [k, new Map(sides.map((s) => [s, []]))]));
    const runStarted = performance.now();
    const spent = new Map<WorkloadKey, number>(keys.map((k) => [k, 0]));
    for (let r = 0; r < rounds; r++) {
      for (const key of keys) {
        const keyStarted = performance.now();
        const w = prepared.get(key)!;
        // Every side goes first in some round: the order turns by one each round.
        const order = sides.map((_, i) => sides[(i + r) % sides.length]);
        for (const side of order) {
          if (r === 0) {
            await settle(workers);
            await runOn(side, key, w, true);
            for (const started = performance.now(); performance.now() - started < warmUpSeconds * 1000; ) await runOn(side, key, w, false);
          }
          await settle(workers);
          const res = await runOn(side, key, w, false);
          if (res.leaked) log(`warning: ${w.name} leaked ${res.leaked} tensor(s) on ${side.label} in round ${r + 1}`);
          results.get(key)!.get(side)!.push(res);
        }
        spent.set(key, spent.get(key)! + performance.now() - keyStarted);
        process.stdout.write('.');
      }
    }
    if (keys.length) process.stdout.write(` ${fmt((performance.now() - runStarted) / 1000)} s (${keys.map((k) => `${k} ${fmt(spent.get(k)! / 1000)} s`).join(', ')}; ${fmt(settleMs / Math.max(settleCount, 1))} ms on average waiting for the other sides to go idle)\n`);

    const rate = (rs: RunResult[]) => median(rs.map((x) => x.items / x.seconds));
    const cpuRate = (rs: RunResult[]) => median(rs.map((x) => x.items / x.cpuSeconds));
    const loss = (rs: RunResult[]) => median(rs.map((x) => x.finalLoss));

    // CPU time beside wall time: on a machine other work shares, wall time counts the waits
    // for a core as well, and the two sides need not wait alike.
    const rows: string[][] = [
      ['workload', 'unit', `ours ${ourThreads}t`, ...peers.map((p) => `PyTorch ${p.threads}t`), 'ours/best', 'target', 'by CPU time', 'loss ours', 'loss peer', 'Δloss', 'ours % of matMul', 'peer % of matMul'],
    ];
    const speedUps = new Map<WorkloadKey, number>();
    const scaling: string[][] = [['scaling', 'ours 1t', `ours ${ourThreads}t`, 'speed-up', 'target', 'CPU time ×', 'Δloss 1t/Nt', ...(peers.length > 1 ? ['PyTorch speed-up'] : [])]];
    for (const key of keys) {
      const w = prepared.get(key)!;
      const byside = results.get(key)!;
      const ourRate = rate(byside.get(oursAll)!);
      const best = peers.reduce<Side | undefined>((b, p) => (b === undefined || rate(byside.get(p)!) > rate(byside.get(b)!) ? p : b), undefined);
      const bestRate = best ? rate(byside.get(best)!) : NaN;
      const ratio = ourRate / bestRate;
      const lossOurs = loss(byside.get(oursAll)!);
      const lossPeer = best ? loss(byside.get(best)!) : NaN;
      const dLoss = Math.abs(lossOurs - lossPeer) / Math.abs(lossPeer);
      const target = TARGETS[key];
      rows.push([
        w.name,
        w.unit,
        fmt(ourRate),
        ...peers.map((p) => `${fmt(rate(byside.get(p)!))}${p === best ? ' *' : ''}`),
        `${fmt(ratio, 2)}×`,
        `≥ ${target.ratio}× ${Number.isFinite(ratio) ? met(ratio >= target.ratio) : ''}`,
        `${fmt(cpuRate(byside.get(oursAll)!) / (best ? cpuRate(byside.get(best)!) : NaN), 2)}×`,
        lossOurs.toPrecision(5),
        Number.isFinite(lossPeer) ? lossPeer.toPrecision(5) : '—',
        Number.isFinite(dLoss) ? `${(dLoss * 100).toFixed(2)}% ${dLoss <= LOSS_TOLERANCE ? 'ok' : 'OFF'}` : '—',
        `${fmt((100 * ourRate * w.flopsPerItem) / 1e9 / mmOf(oursAll), 1)}%`,
        `${fmt((100 * bestRate * w.flopsPerItem) / 1e9 / mmOf(best), 1)}%`,
      ]);
      const one = byside.get(ours1)!;
      const all = byside.get(oursAll)!;
      const speedUp = rate(all) / rate(one);
      speedUps.set(key, speedUp);
      const cpuGrowth = median(all.map((x) => x.cpuSeconds / x.items)) / median(one.map((x) => x.cpuSeconds / x.items));
      scaling.push([
        w.name,
        fmt(rate(one)),
        fmt(rate(all)),
        `${fmt(speedUp, 2)}×`,
        target.speedUp ? `≥ ${target.speedUp}× ${met(speedUp >= target.speedUp)}` : '',
        `${fmt(cpuGrowth, 2)}×`,
        `${((Math.abs(loss(all) - loss(one)) / Math.abs(loss(one))) * 100).toFixed(4)}%`,
        ...(peers.length > 1 ? [`${fmt(rate(byside.get(peers[peers.length - 1])!) / rate(byside.get(peers[0])!), 2)}×`] : []),
      ]);
    }
    if (keys.length) {
      log('\n' + table(rows));
      if (peers.length) log(`(* PyTorch at its best: the faster of its thread counts, which ours/best, by CPU time, Δloss and peer % of matMul use; final losses agree within ${LOSS_TOLERANCE * 100}%)`);
      log(`(${loadNote()} at the end)\n`);
      if (ourThreads > 1) log(table(scaling));
      if (ourThreads > 1) log(`(ours at 1 thread and at ${thr(ourThreads)}, medians of the same rounds; CPU time ×: CPU seconds per item at ${ourThreads} over at 1 — 1× when the extra threads do no work; Δloss: the final losses at the two thread counts)\n`);
    }

    // ── the limit line: matMul per core against what 128-bit SIMD allows this processor.
    if (only.has('limit')) {
      const theory = theoreticalPeak();
      await settle(workers);
      const peak = await ours1.worker.request<{ fused: number | null; unfused: number | null }>({ cmd: 'peak' });
      const perCore = (side: Side | undefined) => (side ? mmOf(side) / side.threads : NaN);
      const measured = Math.max(peak.fused ?? 0, peak.unfused ?? 0);
      const share = (g: number, of: number) => (Number.isFinite(of) && of > 0 ? `${fmt((100 * g) / of, 0)}%` : '—');
      const row = (label: string, g: number) => [label, fmt(g, 1), share(g, theory?.gflopsPerCore ?? NaN), share(g, measured)];
      const limit: string[][] = [['limit, GFLOP/s per core', 'GFLOP/s', 'of theoretical', 'of measured peak']];
      if (theory) limit.push(row(`theoretical: 128-bit SIMD, FMA (4 lanes × 2 flops × ${theory.pipes} pipe${theory.pipes === 1 ? '' : 's'} × ${theory.ghz.toFixed(2)} GHz)`, theory.gflopsPerCore));
      const wide = theory && theory.widestBits > 128 ? theory.widestBits / 128 : 1;
      if (theory && wide > 1) limit.push(row(`theoretical: ${theory.widestBits}-bit SIMD, FMA (this processor's widest vectors, which a native BLAS uses; wasm has 128-bit)`, theory.gflopsPerCore * wide));
      if (peak.fused !== null) limit.push(row('measured peak: wasm loop of independent f32x4 relaxed_madd (FMA), 1 thread', peak.fused));
      if (peak.unfused !== null) limit.push(row('measured peak: wasm loop of independent f32x4 mul + add, 1 thread', peak.unfused));
      for (const side of sides) limit.push(row(`plain matMul, ${side.label}${side.threads > 1 ? ` (÷ ${side.threads})` : ''}`, perCore(side)));
      log(table(limit));
      const implied = measured / (theory ? theory.pipes * 8 : NaN);
      if (theory) log(`(${theory.assumption}. The measured peak is the best of 50 calls of 10 ms and implies ${fmt(implied, 2)} GHz at ${theory.pipes * 8} flops a cycle: above the clock assumed, the core runs faster than "cpu MHz" says; below it, other work took the core or the pipes are fewer.${wide > 1 ? ` The peer's BLAS runs on ${theory.widestBits}-bit vectors, ${wide}× the lanes of ours: on a product bound by arithmetic, ours / PyTorch is 1/${wide} × our share of our peak ÷ its share of its peak${peers.length ? ` (the plain products on 1 thread: ${fmt(mmOf(ours1) / mmOf(peers[0]), 2)}×)` : ''}` : ''})\n`);

      // The memory line: what a second thread gives a pass that streams memory (bandwidth.ts).
      if (ourThreads > 1) {
        await settle(workers);
        const { streams } = await oursAll.worker.request<{ streams: StreamFigures[] | null }>({ cmd: 'streams' });
        if (streams) {
          const memory: string[][] = [['memory line: dst += src, our pool’s split', 'GB/s at 1 thread', `GB/s at ${thr(ourThreads)}`, 'speed-up']];
          for (const st of streams) memory.push([st.label, fmt(st.one, 1), fmt(st.all, 1), `${fmt(st.all / st.one, 2)}×`]);
          log(table(memory));
          log(`(12 bytes moved per float; best of 7 tries each, the thread counts alternating in one process. The CNN's kernels stream tensors of the first size several times a step: what threads give such a pass bounds what they can give those kernels, whatever the kernels do)\n`);
        }
        // The core line: the CNN step on one thread pinned to each core (coreLine.ts).
        await settle(workers);
        const cores = coreLine(3, ourThreads);
        if (typeof cores === 'string') log(`core line not measured: ${cores}\n`);
        else {
          const together = await pairLine(3, ourThreads);
          const fastest = Math.min(...cores.map((f) => f.msPerStep));
          const line: string[][] = [['core line: the CNN step on 1 thread, pinned to one core', 'ms a step alone', 'speed / fastest', 'ms, every core busy']];
          for (const f of cores) line.push([`core ${f.cpu}`, fmt(f.msPerStep, 2), fmt(fastest / f.msPerStep, 2), typeof together === 'string' ? '—' : fmt(together[f.cpu].msPerStep, 2)]);
          log(table(line));
          const cnnSpeedUp = speedUps.get('cnn') ?? NaN;
          log(
            `(medians of 3 rounds, the cores in turn, then all at once. From the cores' speeds alone, ${thr(ourThreads)} can give at most ${fmt(speedUpBound(cores, ourThreads), 2)}× over 1 thread on the fastest core, however the work is split; ` +
              (typeof together === 'string' ? `every core at once not measured (${together})` : `${ourThreads} one-thread runs at once, sharing nothing but the machine, got done ${fmt(pairBound(cores, together), 2)}× what one does alone on the fastest core`) +
              `${Number.isFinite(cnnSpeedUp) ? `; the CNN's measured speed-up above: ${fmt(cnnSpeedUp, 2)}×` : ''}. Measured after the workloads: a core's speed here changes from minute to minute)\n`,
          );
        }
      }
    }

    for (const w of workers) await w.close();
    workers.length = 0;

    // ── the extension host while a trainer uses every core, beside one thread.
    if (only.has('host')) {
      const delays: HostLoopDelay[] = [];
      for (const n of unique([ourThreads, 1])) delays.push(await hostLoopDuringTraining(tmp, n, 1));
      const host: string[][] = [['host event-loop delay while a trainer trains (digits CNN, 1 epoch)', 'p50 ms', 'p99 ms', 'max ms', 'host CPU', 'steps/s']];
      for (const d of delays) host.push([`trainer at ${thr(d.threads)}${d.trainedWith !== undefined ? ` (run says ${d.trainedWith})` : ''}`, fmt(d.p50, 1), fmt(d.p99, 1), fmt(d.max, 0), `${fmt(d.hostCpuShare * 100, 1)}%`, fmt(d.steps / d.seconds, 1)]);
      log(table(host));
      log(`(this process as the host: dist/trainer.js forked through TrainingProcess, every event serialized as the dashboard's post; delay beyond the 1 ms sampler; ${loadNote()})\n`);
    }

    if (only.has('around')) {
      const around: string[][] = [['around training', 'measured', 'target', '']];
      const tp = await trainerProcess(tmp, backend);
      around.push(['trainer start → first step (fork dist/trainer.js)', `${fmt(tp.firstStepMs)} ms`, '≤ 1,500 ms', met(tp.firstStepMs <= 1500)]);
      // The same example trained for longer (its own run lasts ~0.3 s here): the host's share over seconds of
      // metrics, in a host process that does nothing else (trainerProcess.ts says why).
      const ipc = await trainerProcessInOwnHost(tmp, backend, quick ? 100 : 400);
      around.push([`metrics IPC: ${fmt(ipc.steps)} steps in ${fmt(ipc.metricMessages)} messages over ${fmt(ipc.trainingMs / 1000, 1)} s; host CPU while training`, `${fmt(ipc.hostCpuShare * 100, 1)}% of a core`, 'idle-ish (≤ 5%)', met(ipc.hostCpuShare <= 0.05)]);
      const csv = largeCsv(tmp);
      around.push([`${fmt(csv.rows)}-row × ${csv.columns}-column CSV loaded and preprocessed`, `${fmt(csv.millis)} ms`, '≤ 2,000 ms', met(csv.millis <= 2000)]);
      const att = await attention128(tmp, quick ? 5 : 15, backend);
      around.push([`attention, example encoder, ${att.tokens} tokens (warm; first call ${fmt(att.coldMs)} ms with model load)`, `${fmt(att.warmMs, 1)} ms`, '≤ 100 ms', met(att.warmMs <= 100)]);
      log(table(around));
      log('(the metrics IPC line\'s host is a node process of its own that only receives the run: scripts/bench/trainerProcess.ts)\n');
    }
  } finally {
    for (const w of workers) await w.close().catch(() => undefined);
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
