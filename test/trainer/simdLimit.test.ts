// The bench's limit line (scripts/bench/simdLimit.ts): the generated peak loop
// computes what it claims (so its flop count is honest), and the theoretical
// peak is read from /proc/cpuinfo as 4 lanes × 2 flops × pipes × clock.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { hasRelaxedSimd } from '../../src/trainer/kernels/wasmGemm';
import { measuredPeak, peakModuleBytes, theoreticalPeak } from '../../scripts/bench/simdLimit';

const ACCUMULATORS = 12;

function run(fused: boolean, iterations: number): number {
  const peak = new WebAssembly.Instance(new WebAssembly.Module(peakModuleBytes(fused))).exports.peak as (n: number) => number;
  return peak(iterations);
}

test('the unfused loop is acc = acc·b + c on every accumulator, step after step', () => {
  assert.ok(WebAssembly.validate(peakModuleBytes(false)));
  // Lane 0 of the sum of the accumulators, each after n steps from 0, in float32 as wasm computes it.
  for (const n of [1, 2, 7, 100]) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc = Math.fround(Math.fround(acc * Math.fround(0.999)) + Math.fround(0.001));
    let sum = acc;
    for (let i = 1; i < ACCUMULATORS; i++) sum = Math.fround(sum + acc);
    assert.equal(run(false, n), sum);
  }
});

test('the fused loop adds b·c to every accumulator each step', { skip: !hasRelaxedSimd() && 'no relaxed SIMD in this engine' }, () => {
  for (const n of [1, 3, 50]) {
    const expected = ACCUMULATORS * n * 0.999 * 0.001;
    assert.ok(Math.abs(run(true, n) - expected) <= 1e-5 * expected, `${n} steps: ${run(true, n)} against ${expected}`);
  }
});

test('the measured peak is a positive rate; the theoretical one is 4 lanes × 2 flops × pipes × clock', () => {
  const g = measuredPeak(false, 0.002, 3);
  assert.ok(g !== undefined && g > 0 && Number.isFinite(g));
  const t = theoreticalPeak();
  if (!existsSync('/proc/cpuinfo')) return assert.equal(t, undefined);
  assert.ok(t);
  assert.ok(t.ghz > 0);
  assert.equal(t.pipes, t.fma ? 2 : 1);
  assert.ok(Math.abs(t.gflopsPerCore - 4 * 2 * t.pipes * t.ghz) < 1e-9);
  assert.match(t.assumption, /GHz/);
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))![1].split(/\s+/);
  assert.equal(t.widestBits, flags.includes('avx512f') ? 512 : flags.includes('avx') ? 256 : 128);
});
