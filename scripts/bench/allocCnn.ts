// JavaScript allocated per training step of the bench CNN (workloads.ts,
// cnnStepRunner: batch 64, Adam, through trainStep), by allocation site:
// V8's sampling heap profiler over 100 steps after 50 warm-up steps, counting
// objects the collector has already freed too. Allocation is what drives the
// collector, and at every-core runs its helper threads compete with the
// engine's for the cores, so bytes a step is a figure to keep down.
// Deterministic to a few per cent, unlike timings on a shared machine.
//
// node --import tsx scripts/bench/allocCnn.ts [--threads N] [--top K]

import { Session } from 'node:inspector';
import { selectBackend } from '../../src/trainer/backend';
import { setEngineThreads } from '../../src/trainer/threads';
import { cnnStepRunner } from './workloads';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
}

async function main(): Promise<void> {
  const threads = option('threads');
  if (threads) setEngineThreads(Number(threads));
  await selectBackend('wasm');
  const runner = cnnStepRunner(64);
  for (let i = 0; i < 50; i++) runner.step();
  const session = new Session();
  session.connect();
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const steps = 100;
  for (let i = 0; i < steps; i++) runner.step();
  const { profile } = await post<{ profile: { head: ProfileNode } }>(session, 'HeapProfiler.stopSampling');
  runner.dispose();
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, stack: string[]) => {
    const f = node.callFrame;
    const here = [...stack, `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`];
    if (node.selfSize) {
      const site = here.slice(-3).reverse().join(' < ');
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, []);
  console.log(`CNN step, batch 64: ${(total / steps / 1024).toFixed(0)} KB of JavaScript objects allocated a step (${steps} steps sampled)`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(option('top') ?? 15))) console.log(`${(bytes / steps / 1024).toFixed(1).padStart(7)} KB  ${site}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
