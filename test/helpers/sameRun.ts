// A resumed run must end exactly as the same run never interrupted: every
// epoch once in metrics.jsonl with the same values and step counts, every
// step once, the same saved weights byte for byte, the same evaluation, and
// no checkpoint left. Used by the preemption tests (signals, SLURM requeues).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath } from '../../src/node/checkpointFile';
import { withoutSystemKeys } from '../../src/core/systemMetrics';
import { epochPoints, metricsOf } from './fixtures';

/** The model folder's weight files, in name order. */
export function savedWeights(runDir: string): Buffer[] {
  return readdirSync(join(runDir, 'model')).filter((f) => f.endsWith('.bin')).sort().map((f) => readFileSync(join(runDir, 'model', f)));
}

export function assertSameRun(resumedDir: string, fullDir: string, epochs: number): void {
  const full = epochPoints(fullDir);
  const resumed = epochPoints(resumedDir);
  assert.deepEqual(resumed.map((p) => p.epoch), Array.from({ length: epochs }, (_, i) => i + 1), 'every epoch once, in order');
  assert.deepEqual(resumed.map((p) => p.step), full.map((p) => p.step));
  for (let i = 0; i < full.length; i++) {
    // system/ values (CPU, memory, speed) measure the machine, not the training.
    for (const [k, v] of Object.entries(withoutSystemKeys(full[i].values))) assert.ok(Math.abs(resumed[i].values[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `epoch ${i + 1} ${k}: ${resumed[i].values[k]} vs ${v}`);
  }
  const steps = metricsOf(resumedDir).filter((p) => p.kind === 'step').map((p) => p.step);
  assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i + 1), 'every step once');
  const [a, b] = [savedWeights(resumedDir), savedWeights(fullDir)];
  assert.ok(a.length > 0, 'the run saved its model');
  assert.deepEqual(a, b, 'the same saved weights, byte for byte');
  const evalOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')).metrics;
  assert.deepEqual(evalOf(resumedDir), evalOf(fullDir), 'the same evaluation');
  assert.equal(existsSync(checkpointPath(resumedDir)), false, 'a completed run drops its checkpoint');
}
