// Our wasm kernels on every core: a pool of worker threads that run the same
// compiled modules as the main thread over the backend's shared
// WebAssembly.Memory (the threaded build's). A kernel splits its work into
// one plan per thread — a short list of calls of the modules' functions with
// integer arguments (byte offsets, sizes) — writes the workers' plans into a
// small SharedArrayBuffer, wakes the workers, runs its own plan and waits for
// theirs: the trainer is a compute process, so blocking its main thread with
// Atomics.wait is fine. Both sides spin briefly before they sleep, so the
// short kernels of a training step do not pay a futex wake-up each.
//
// Kernels split by output rows, tiles or images, never across a sum, so each
// value is computed by the same instructions in the same order whatever the
// thread count: results at N threads equal those at 1 exactly.

import { Worker } from 'node:worker_threads';

/** A call of a module function: `fn` on the main thread, the same function by its pool id (KernelPool.id) on a worker, with integer arguments (at most 16). */
export interface Call {
  fn: (...args: number[]) => void;
  id: number;
  args: readonly number[];
}

const ARGS = 16;
const CALL = 1 + ARGS;
const MAX_CALLS = 64;
/** Header: GEN (bumped per run), DONE (workers finished), READY (workers started), then one status per worker (0 ok, 1 failed). */
const GEN = 0;
const DONE = 1;
const READY = 2;
const STATUS = 4;
const MAX_WORKERS = 64;
const HEADER = STATUS + MAX_WORKERS;
const SLOT = 1 + MAX_CALLS * CALL;
/** Spins before a futex wait: ~20–50 µs of polling, longer than the gap between most kernels of a step. */
const SPIN = 20000;

// The worker: plain JavaScript run by `new Worker(…, { eval: true })`, so the
// same text serves the bundle and the sources. It instantiates the modules
// over the shared memory, then forever waits for GEN to move, runs its plan
// and counts itself done. A worker that cannot start marks itself failed and
// still counts itself done each time, so the main thread never waits for it
// in vain (it then runs that worker's plan itself).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, control, index } = workerData;
const c = new Int32Array(control);
const slot = ${HEADER} + (index - 1) * ${SLOT};
let fns;
try {
  fns = [];
  for (const module of modules) {
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    for (const e of WebAssembly.Module.exports(module)) if (e.kind === 'function') fns.push(exports[e.name]);
  }
} catch (e) {
  Atomics.store(c, ${STATUS} + index, 1);
  fns = undefined;
}
Atomics.add(c, ${READY}, 1);
Atomics.notify(c, ${READY});
let seen = 0;
for (;;) {
  let gen = Atomics.load(c, ${GEN});
  for (let i = 0; gen === seen; i++) {
    if (i >= ${SPIN}) Atomics.wait(c, ${GEN}, seen);
    gen = Atomics.load(c, ${GEN});
  }
  seen = gen;
  if (fns) {
    try {
      const n = c[slot];
      for (let k = 0, at = slot + 1; k < n; k++, at += ${CALL}) {
        fns[c[at]](c[at + 1], c[at + 2], c[at + 3], c[at + 4], c[at + 5], c[at + 6], c[at + 7], c[at + 8], c[at + 9], c[at + 10], c[at + 11], c[at + 12], c[at + 13], c[at + 14], c[at + 15], c[at + 16]);
      }
    } catch (e) {
      Atomics.store(c, ${STATUS} + index, 1);
    }
  }
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
`;

export interface KernelPool {
  /** Threads the pool has, the main thread included. */
  readonly size: number;
  /** Threads a kernel splits its work into: at most size (tests lower it to compare with one thread). */
  threads: number;
  /** How many times work was split among the threads (run calls): what a test checks. */
  readonly runs: number;
  /** The id of module `key`'s exported function `name`, for calls. */
  id(key: string, name: string): number;
  /** Runs plans[0] here and plans[t] on worker t (at most `size` plans, at most 64 calls each), returning when all are done. */
  run(plans: readonly (readonly Call[])[]): void;
}

class Pool implements KernelPool {
  readonly size: number;
  threads: number;
  runs = 0;
  private readonly c: Int32Array;
  private readonly ids = new Map<string, number>();
  private readonly workers: Worker[] = [];

  constructor(memory: WebAssembly.Memory, modules: readonly { key: string; module: WebAssembly.Module }[], threads: number) {
    this.size = Math.min(threads, MAX_WORKERS + 1);
    this.threads = this.size;
    this.c = new Int32Array(new SharedArrayBuffer(4 * (HEADER + (this.size - 1) * SLOT)));
    for (const { key, module } of modules) {
      for (const e of WebAssembly.Module.exports(module)) if (e.kind === 'function') this.ids.set(`${key}/${e.name}`, this.ids.size);
    }
    for (let index = 1; index < this.size; index++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, modules: modules.map((m) => m.module), control: this.c.buffer, index } });
      // Idle workers wait in Atomics.wait: they must not keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
  }

  id(key: string, name: string): number {
    const id = this.ids.get(`${key}/${name}`);
    if (id === undefined) throw new Error(`kernel pool: no function ${key}/${name}`);
    return id;
  }

  run(plans: readonly (readonly Call[])[]): void {
    const c = this.c;
    this.runs++;
    if (plans.length > this.size) throw new Error(`kernel pool: ${plans.length} plans for ${this.size} threads`);
    for (let t = 1; t < this.size; t++) {
      const plan = plans[t] ?? [];
      if (plan.length > MAX_CALLS) throw new Error(`kernel pool: ${plan.length} calls in one plan (at most ${MAX_CALLS})`);
      const slot = HEADER + (t - 1) * SLOT;
      c[slot] = plan.length;
      for (let k = 0; k < plan.length; k++) {
        const { id, args } = plan[k];
        const at = slot + 1 + k * CALL;
        if (args.length > ARGS) throw new Error(`kernel pool: ${args.length} arguments (at most ${ARGS})`);
        c[at] = id;
        for (let i = 0; i < args.length; i++) c[at + 1 + i] = args[i];
      }
    }
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    this.runHere(plans[0] ?? []);
    const need = this.size - 1;
    for (let i = 0; ; i++) {
      const done = Atomics.load(c, DONE);
      if (done === need) break;
      if (i >= SPIN) Atomics.wait(c, DONE, done);
    }
    // A worker that failed (it could not start, or a call trapped): its plan again here, which says why if it fails again.
    for (let t = 1; t < this.size; t++) {
      if (Atomics.load(c, STATUS + t) === 0) continue;
      Atomics.store(c, STATUS + t, 0);
      this.runHere(plans[t] ?? []);
    }
  }

  private runHere(plan: readonly Call[]): void {
    for (const { fn, args } of plan) fn(...args);
  }
}

/** Runs plans: split among `pool`'s threads, or one after another here (the same results: plans write apart, or in an order that keeps each sum's). */
export function runPlans(pool: KernelPool | undefined, plans: readonly (readonly Call[])[]): void {
  if (pool && plans.length > 1) pool.run(plans);
  else for (const plan of plans) for (const { fn, args } of plan) fn(...args);
}

const pools = new WeakMap<object, KernelPool>();

/** Starts the pool of `backend` (once): `threads` threads over its shared `memory`, running `modules`. */
export function createKernelPool(backend: object, memory: WebAssembly.Memory, modules: readonly { key: string; module: WebAssembly.Module }[], threads: number): KernelPool {
  let pool = pools.get(backend);
  if (!pool) {
    pool = new Pool(memory, modules, threads);
    pools.set(backend, pool);
  }
  return pool;
}

/** The pool of `backend`, if it has one (a threaded wasm backend with more than one engine thread). */
export function kernelPool(backend: object): KernelPool | undefined {
  return pools.get(backend);
}

/**
 * [start, end) of part `t` of `units` units split into `parts` nearly equal
 * parts (the first `units % parts` one unit larger).
 */
export function share(units: number, parts: number, t: number): [number, number] {
  const base = Math.floor(units / parts);
  const extra = units % parts;
  const start = t * base + Math.min(t, extra);
  return [start, start + base + (t < extra ? 1 : 0)];
}

/** Floats (or comparable elements) below which an element loop stays on one thread. */
export const SPLIT_MIN_ELEMENTS = 1 << 16;

/**
 * Runs module `key`'s function `name` (here: `fn`) over `units` independent
 * units (images, runs of four floats) split among `backend`'s pool threads,
 * `args(u0, u1)` giving the arguments for units [u0, u1); on this thread
 * alone when there is no pool or `elements` (the work's size) is below
 * SPLIT_MIN_ELEMENTS.
 */
export function splitUnits(backend: object, key: string, name: string, fn: (...args: never[]) => void, units: number, elements: number, args: (u0: number, u1: number) => number[]): void {
  const pool = kernelPool(backend);
  const parts = pool && elements >= SPLIT_MIN_ELEMENTS ? Math.min(pool.threads, units) : 1;
  const f = fn as unknown as Call['fn'];
  if (parts <= 1) {
    f(...args(0, units));
    return;
  }
  const id = pool!.id(key, name);
  pool!.run(Array.from({ length: parts }, (_, t) => [{ fn: f, id, args: args(...share(units, parts, t)) }]));
}
