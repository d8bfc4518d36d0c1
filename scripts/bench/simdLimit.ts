// The limit line of `npm run bench`: what 128-bit SIMD allows one core of this
// processor, in theory (from /proc/cpuinfo) and as measured by a generated wasm
// loop of independent f32x4 multiply-adds (fused where the engine has relaxed
// SIMD, else a multiply then an add), so a kernel's GFLOP/s can be read as a
// share of the physical limit.

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { F32, I32, V128, op, section, str, u32, vec } from '../../src/trainer/kernels/wasmGemm';
import type { Bytes } from '../../src/trainer/kernels/wasmGemm';

export interface TheoreticalPeak {
  /** GFLOP/s of one core: 4 float lanes × 2 flops per multiply-add × multiply-add pipes × clock. */
  gflopsPerCore: number;
  ghz: number;
  /** Where the clock came from. */
  clockSource: string;
  fma: boolean;
  pipes: number;
  /** The widest SIMD vectors this processor has, in bits (512 with avx512f, 256 with avx, else 128): what a native BLAS such as the peer's computes on, where our wasm has 128. */
  widestBits: 128 | 256 | 512;
  /** The assumption, in words, for the printout. */
  assumption: string;
}

/** Reads model name, flags and clock from /proc/cpuinfo (Linux); undefined elsewhere. */
export function theoreticalPeak(): TheoreticalPeak | undefined {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const model = field('model name') ?? cpus()[0]?.model ?? 'unknown';
  // The highest clock on offer: cpufreq's maximum where the kernel exposes it (a virtual machine
  // usually does not), else the "cpu MHz" cpuinfo reports, which under a hypervisor is often the
  // base clock (the TSC's), not what the core reaches under load.
  let mhz = NaN;
  let clockSource = '';
  try {
    mhz = Number(readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq', 'utf8')) / 1000;
    clockSource = 'cpufreq cpuinfo_max_freq';
  } catch {
    mhz = Math.max(...[...info.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1])));
    clockSource = '/proc/cpuinfo "cpu MHz" (may be the base clock; no cpufreq here)';
  }
  const fma = flags.has('fma');
  // Every x86 core with the fma flag since Intel Haswell and AMD Zen issues two 128-bit
  // multiply-adds per cycle (AVX-512 parts with a single 512-bit unit still have two ports for
  // 128-bit vectors); without FMA, one multiply and one add per cycle.
  const pipes = fma ? 2 : 1;
  const flopsPerCycle = 4 * 2 * pipes;
  const simd = ['avx512f', 'avx2', 'avx', 'sse4_2'].filter((f) => flags.has(f)).join(', ');
  return {
    gflopsPerCore: (flopsPerCycle * mhz) / 1000,
    ghz: mhz / 1000,
    clockSource,
    fma,
    pipes,
    widestBits: flags.has('avx512f') ? 512 : flags.has('avx') ? 256 : 128,
    assumption:
      `${model}: flags ${fma ? 'fma' : 'no fma'}${simd ? `, ${simd}` : ''}; ` +
      (fma ? `assumed 2 FMA pipes for 128-bit vectors (x86 with FMA since Haswell / Zen)` : 'no FMA: 1 multiply + 1 add per cycle assumed') +
      `: 4 lanes × 2 flops × ${pipes} × ${(mhz / 1000).toFixed(2)} GHz (${clockSource})`,
  };
}

const ACCUMULATORS = 12; // independent chains: more than latency × pipes (4 × 2 on current cores), fewer than 16 xmm registers

/**
 * A module exporting `peak(iterations) → f32`: each iteration updates ACCUMULATORS
 * independent f32x4 accumulators, fused as acc = b·c + acc (relaxed_madd, the form a
 * matrix kernel's inner loop takes) or unfused as acc = acc·b + c (a multiply, then an
 * add, both on the chain, so neither can be hoisted). The values stay finite: b < 1, and
 * the fused sum grows by b·c a step.
 */
export function peakModuleBytes(fused: boolean): Uint8Array<ArrayBuffer> {
  const it = 0;
  const b = 1;
  const c = 2;
  const acc = (i: number) => 3 + i;
  const f32Const = (x: number): Bytes => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
  const splat: Bytes = op.simd(0x13);
  const zero: Bytes = op.simd(0x0c, ...new Array<number>(16).fill(0));
  const update = (i: number): Bytes =>
    fused
      ? [...op.get(b), ...op.get(c), ...op.get(acc(i)), ...op.simd(0x105), ...op.set(acc(i))]
      : [...op.get(acc(i)), ...op.get(b), ...op.simd(0xe6), ...op.get(c), ...op.simd(0xe4), ...op.set(acc(i))];
  const body: Bytes = [
    ...f32Const(0.999), ...splat, ...op.set(b),
    ...f32Const(0.001), ...splat, ...op.set(c),
    ...Array.from({ length: ACCUMULATORS }, (_, i) => [...zero, ...op.set(acc(i))]).flat(),
    ...op.loop(
      ...Array.from({ length: ACCUMULATORS }, (_, i) => update(i)),
      op.get(it), op.i32(1), op.sub, [0x22, ...u32(it)], op.brIf(0),
    ),
    ...op.get(acc(0)),
    ...Array.from({ length: ACCUMULATORS - 1 }, (_, i) => [...op.get(acc(i + 1)), ...op.simd(0xe4)]).flat(),
    ...op.simd(0x1f, 0),
  ];
  const type = [0x60, ...vec([[I32]]), ...vec([[F32]])];
  const code = [...vec([[...u32(2 + ACCUMULATORS), V128]]), ...body, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(3, vec([u32(0)])),
    ...section(7, vec([[...str('peak'), 0x00, ...u32(0)]])),
    ...section(10, vec([[...u32(code.length), ...code]])),
  ]);
}

/**
 * The loop's GFLOP/s on this thread: the best of `repeats` calls of about `seconds` each
 * (short calls, many of them: on a shared machine some run without losing the core), or
 * undefined where the engine refuses the module (no SIMD, or no relaxed SIMD for the fused one).
 */
export function measuredPeak(fused: boolean, seconds = 0.01, repeats = 50): number | undefined {
  const bytes = peakModuleBytes(fused);
  if (!WebAssembly.validate(bytes)) return undefined;
  const peak = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.peak as (n: number) => number;
  const flopsPerIteration = ACCUMULATORS * 4 * 2;
  let n = 1 << 16;
  for (;;) {
    const t = performance.now();
    peak(n);
    const ms = performance.now() - t;
    if (ms > 5) {
      n = Math.max(1, Math.round((n * seconds * 1000) / ms));
      break;
    }
    n *= 4;
  }
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const v = peak(n);
    const s = (performance.now() - t) / 1000;
    if (!Number.isFinite(v)) throw new Error('the peak loop overflowed');
    best = Math.max(best, (flopsPerIteration * n) / s / 1e9);
  }
  return best;
}
