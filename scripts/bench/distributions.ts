// node --import tsx scripts/bench/distributions.ts [--rounds N] [--only house-prices,customer-churn,text-generator,digits]
//
// What recording weight and gradient distributions (distributions.jsonl, every
// epoch by default) costs a training: each example is trained through the
// engine with `training.distributions` at its default and with `false`,
// alternating, round after round, and the medians of the process's CPU time
// (user + system: what a busy machine disturbs least) and wall time compared.
// Prints one line per example and the overhead in percent. On a loaded machine
// the difference of two medians is mostly noise, so the recorder's own time
// (its two methods and the file append with its fsync, timed from inside) is also reported as a share of the
// training's wall time: the cost itself, not a difference of noisy totals.

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { RunWriter } from '../../src/node/runStoreWriter';
import { DistributionsRecorder } from '../../src/trainer/distributionsRecorder';
import { runTraining } from '../../src/trainer/engine';
import { tempDir } from '../../test/helpers/fixtures';

const examples = join(__dirname, '../../examples');
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const rounds = Number(option('rounds') ?? 5);
/** Example, its config file, epochs to train (a bounded time per round). */
const EXAMPLES: [string, string, number][] = [
  ['house-prices', 'house-prices.experiment.json', 20],
  ['customer-churn', 'customer-churn.experiment.json', 20],
  ['text-generator', 'text-generator.experiment.json', 2],
  ['digits', 'digits.experiment.json', 1],
];
const only = option('only')?.split(',');

function workspace(example: string, file: string, distributions: boolean): string {
  const ws = tempDir(`modellab-bench-dist-${example}-`);
  cpSync(join(examples, example), ws, { recursive: true });
  const configPath = join(ws, file);
  if (!distributions) {
    const text = readFileSync(configPath, 'utf8');
    writeFileSync(configPath, applyEdits(text, modify(text, ['training', 'distributions'], false, { formattingOptions: { insertSpaces: true, tabSize: 2 } })));
  }
  return configPath;
}

async function timed(configPath: string, epochs: number): Promise<{ cpu: number; wall: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const r = await runTraining({ configPath, runsDir: join(configPath, '..', 'runs'), backend: 'wasm', epochs, onEvent: () => {} });
  if (r.meta.status !== 'completed') throw new Error(`${configPath}: ${r.meta.status} ${r.meta.error ?? ''}`);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1e6, wall: (performance.now() - wall0) / 1000 };
}

/** Milliseconds spent inside the recorder (reading gradients and weights, summarizing them) since the last reset. */
let recorderMs = 0;
for (const [proto, method] of [
  [DistributionsRecorder.prototype, 'take'],
  [DistributionsRecorder.prototype, 'epochEnd'],
  [RunWriter.prototype, 'appendDistributions'],
] as const) {
  const original = (proto as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  (proto as unknown as Record<string, unknown>)[method] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    try {
      return original.apply(this, a);
    } finally {
      recorderMs += performance.now() - t0;
    }
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  console.log(`distributions overhead, ${rounds} rounds alternating, wasm backend`);
  for (const [example, file, epochs] of EXAMPLES.filter(([e]) => !only || only.includes(e))) {
    const withConfig = workspace(example, file, true);
    const withoutConfig = workspace(example, file, false);
    await timed(withoutConfig, 1); // warm-up: backend, kernels, data caches
    const on: { cpu: number; wall: number }[] = [];
    const shares: number[] = [];
    const off: { cpu: number; wall: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternating which goes first, so a drift in the machine's load falls on both.
      const measureOn = async () => {
        recorderMs = 0;
        const t = await timed(withConfig, epochs);
        shares.push(recorderMs / 1000 / t.wall);
        on.push(t);
      };
      if (r % 2 === 0) {
        await measureOn();
        off.push(await timed(withoutConfig, epochs));
      } else {
        off.push(await timed(withoutConfig, epochs));
        await measureOn();
      }
    }
    const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
    const [cOn, cOff, wOn, wOff] = [median(on.map((x) => x.cpu)), median(off.map((x) => x.cpu)), median(on.map((x) => x.wall)), median(off.map((x) => x.wall))];
    console.log(`${example} (${epochs} epochs): CPU ${cOff.toFixed(2)} s → ${cOn.toFixed(2)} s with distributions (${pct(cOn, cOff)}); wall ${wOff.toFixed(2)} s → ${wOn.toFixed(2)} s (${pct(wOn, wOff)}); inside the recorder ${(median(shares) * 100).toFixed(2)}% of the wall time`);
  }
}

void main();
