// Our wasm kernels on every core: a pool of worker threads that run the same
// compiled modules as the main thread over the backend's shared
// WebAssembly.Memory (the threaded build's). A kernel splits its work into
// units — each a short list of calls of the modules' functions with number
// arguments (byte offsets, sizes, an optimizer's float settings) — writes
// them into small SharedArrayBuffers and wakes the workers; then the main thread and the
// workers claim units one at a time until none is left — the main thread from the first
// unit on, the workers from the last back, so that where kernels split their tensors in
// the same order (a batch's images, runs of floats), what a thread wrote one kernel it
// mostly reads the next, from its own core's cache — and the main thread
// waits only for units a worker has claimed. So a worker the system has not
// scheduled yet (a busy machine) costs nothing: the main thread does its
// share. The trainer is a compute process, so blocking its main thread with
// Atomics.wait is fine; both sides spin briefly before they sleep, so the
// short kernels of a training step do not pay a futex wake-up each.
//
// Kernels split by output rows, tiles or images, never across a sum, so each
// value is computed by the same instructions in the same order whatever the
// thread count: results at N threads equal those at 1 exactly.

import { Worker } from 'node:worker_threads';

/** A call of a module function: `fn` on the main thread, the same function by its pool id (KernelPool.id) on a worker, with arguments (at most 17; passed as float64, so any integer offset and any float argument reaches the function as it would here). */
export interface Call {
  fn: (...args: number[]) => void;
  id: number;
  args: readonly number[];
  /**
   * Arguments that address the running thread's own scratch (its lane): bit i set, argument i
   * is lane 0's address and thread t (the main thread 0, the workers 1 … size − 1) gets it plus
   * t × `bytes`. So units that any thread may take each use the scratch of the thread that runs
   * them, one set a thread instead of one a unit — a unit's scratch is written and read within
   * it, so the values do not depend on which thread ran it. Run off the pool (runPlans on one
   * thread), every call takes lane 0's.
   */
  lane?: { mask: number; bytes: number };
}

const ARGS = 17;
/** Units one run holds at most: every split caps its units here (a machine of more than 16 cores would ask for more). Below 1,024: NEXT holds a unit index in 10 bits. */
export const MAX_UNITS = 64;
/** Calls one run holds at most. */
export const MAX_CALLS = 1024;
// Header: GEN (bumped per run), NEXT (the run's GEN in its high 12 bits, then the first unclaimed unit in 10 bits
// and one past the last in 10: the main thread claims from the front, the workers from the back),
// FINISHED (units done by workers), then per unit: its first call, its call count, whether it failed;
// then each call's function id, its lane mask and its lane's bytes (Call.lane; 0 and 0 for none).
// The calls' arguments are in a Float64Array of their own, ARGS per call.
const GEN = 0;
const NEXT = 1;
const FINISHED = 2;
const UNITS = 8;
const CALLS = UNITS + 3 * MAX_UNITS;
const LANE_MASKS = CALLS + MAX_CALLS;
const LANE_BYTES = LANE_MASKS + MAX_CALLS;
const WORDS = LANE_BYTES + MAX_CALLS;
/** How long an idle worker polls before it sleeps, in milliseconds: longer than the gap between most kernels of a step. */
const WORKER_SPIN_MS = 0.3;
/** How long the main thread polls for the workers' last units before it sleeps. */
const SPIN_MS = 0.05;

// The worker: plain JavaScript run by `new Worker(…, { eval: true })`, so the
// same text serves the bundle and the sources. It instantiates the modules
// over the shared memory, then forever: waits for GEN to move, claims units
// of that run while there are any, runs them and counts them done. A worker
// that cannot start only waits (the main thread does all the work).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, control, argBuffer, index } = workerData;
const c = new Int32Array(control);
const a = new Float64Array(argBuffer);
const laneArgs = new Float64Array(${ARGS});
const fns = [];
for (const module of modules) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  for (const e of WebAssembly.Module.exports(module)) if (e.kind === 'function') fns.push(exports[e.name]);
}
let seen = Atomics.load(c, ${GEN});
for (;;) {
  let gen = Atomics.load(c, ${GEN});
  if (gen === seen) {
    const until = performance.now() + ${WORKER_SPIN_MS};
    for (let i = 1; gen === seen; i++) {
      if ((i & 255) === 0 && performance.now() > until) Atomics.wait(c, ${GEN}, seen);
      gen = Atomics.load(c, ${GEN});
    }
  }
  seen = gen;
  for (;;) {
    const next = Atomics.load(c, ${NEXT});
    const back = next & 0x3ff;
    if (next >>> 20 !== (gen & 0xfff) || ((next >>> 10) & 0x3ff) >= back) break;
    if (Atomics.compareExchange(c, ${NEXT}, next, next - 1) !== next) continue;
    const unit = back - 1;
    try {
      const first = c[${UNITS} + 3 * unit];
      const n = c[${UNITS} + 3 * unit + 1];
      for (let k = first, end = first + n; k < end; k++) {
        const mask = c[${LANE_MASKS} + k];
        let at = k * ${ARGS};
        let v = a;
        if (mask !== 0) {
          // This thread's lane: the marked arguments moved by index × the lane's bytes.
          const shift = index * c[${LANE_BYTES} + k];
          for (let i = 0; i < ${ARGS}; i++) laneArgs[i] = (mask >>> i) & 1 ? a[at + i] + shift : a[at + i];
          v = laneArgs;
          at = 0;
        }
        fns[c[${CALLS} + k]](v[at], v[at + 1], v[at + 2], v[at + 3], v[at + 4], v[at + 5], v[at + 6], v[at + 7], v[at + 8], v[at + 9], v[at + 10], v[at + 11], v[at + 12], v[at + 13], v[at + 14], v[at + 15], v[at + 16]);
      }
    } catch (e) {
      c[${UNITS} + 3 * unit + 2] = 1;
    }
    Atomics.add(c, ${FINISHED}, 1);
    Atomics.notify(c, ${FINISHED});
  }
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
  /** Runs the units (each a list of calls, at most 1024), in any order and on any thread, returning when all are done (in several runs when there are more than 64 units or 1024 calls). */
  run(units: readonly (readonly Call[])[]): void;
}

class Pool implements KernelPool {
  readonly size: number;
  threads: number;
  runs = 0;
  private readonly c: Int32Array;
  private readonly a: Float64Array;
  private readonly ids = new Map<string, number>();
  private readonly workers: Worker[] = [];

  constructor(memory: WebAssembly.Memory, modules: readonly { key: string; module: WebAssembly.Module }[], threads: number) {
    this.size = threads;
    this.threads = threads;
    this.c = new Int32Array(new SharedArrayBuffer(4 * WORDS));
    this.a = new Float64Array(new SharedArrayBuffer(8 * MAX_CALLS * ARGS));
    for (const { key, module } of modules) {
      for (const e of WebAssembly.Module.exports(module)) if (e.kind === 'function') this.ids.set(`${key}/${e.name}`, this.ids.size);
    }
    for (let index = 1; index < this.size; index++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, modules: modules.map((m) => m.module), control: this.c.buffer, argBuffer: this.a.buffer, index } });
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

  run(units: readonly (readonly Call[])[]): void {
    // More than one run holds (a machine with many cores, a product of many panels): consecutive
    // groups that fit, one run each — a run's units are independent, whatever their order.
    let total = 0;
    for (const unit of units) total += unit.length;
    if (units.length > MAX_UNITS || total > MAX_CALLS) {
      let start = 0;
      while (start < units.length) {
        let [end, calls] = [start, 0];
        while (end < units.length && end - start < MAX_UNITS && calls + units[end].length <= MAX_CALLS) calls += units[end++].length;
        if (end === start) throw new Error(`kernel pool: a unit of ${units[start].length} calls (at most ${MAX_CALLS})`);
        this.run(units.slice(start, end));
        start = end;
      }
      return;
    }
    const { c, a } = this;
    this.runs++;
    const gen = (Atomics.load(c, GEN) + 1) | 0;
    const tag = (gen & 0xfff) << 20;
    // Closed first (no unit between the ends): a worker still looking at the last run (its units
    // all taken) can then take nothing while the table changes under it.
    Atomics.store(c, NEXT, tag);
    let calls = 0;
    for (let u = 0; u < units.length; u++) {
      const unit = units[u];
      c[UNITS + 3 * u] = calls;
      c[UNITS + 3 * u + 1] = unit.length;
      c[UNITS + 3 * u + 2] = 0;
      for (const { id, args, lane } of unit) {
        if (args.length > ARGS) throw new Error(`kernel pool: ${args.length} arguments (at most ${ARGS})`);
        if (lane && !(Number.isInteger(lane.bytes) && lane.bytes >= 0 && lane.bytes * (this.size - 1) <= 0x7fffffff)) throw new Error(`kernel pool: a lane of ${lane.bytes} bytes`);
        c[CALLS + calls] = id;
        c[LANE_MASKS + calls] = lane?.mask ?? 0;
        c[LANE_BYTES + calls] = lane?.bytes ?? 0;
        const at = calls++ * ARGS;
        // The worker passes all ARGS: a function ignores those past its parameters, and takes 0 for
        // those a call leaves out (as here, where a left-out number argument of a wasm function is 0).
        for (let i = 0; i < ARGS; i++) a[at + i] = i < args.length ? args[i] : 0;
      }
    }
    Atomics.store(c, FINISHED, 0);
    Atomics.store(c, NEXT, tag | units.length);
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    // Claim units here too, as the workers do; then wait for those the workers took (also when
    // a unit here throws: the next run must not rewrite the table under a worker).
    let here = 0;
    try {
      for (;;) {
        const next = Atomics.load(c, NEXT);
        const u = (next >>> 10) & 0x3ff;
        if (u >= (next & 0x3ff)) break;
        if (Atomics.compareExchange(c, NEXT, next, next + (1 << 10)) !== next) continue;
        here++;
        for (const { fn, args } of units[u]) fn(...args);
      }
    } finally {
      // Units not yet taken (a throw above) are closed to the workers before counting theirs:
      // the workers took those from the back end on.
      const theirs = units.length - (Atomics.exchange(c, NEXT, tag) & 0x3ff);
      const until = performance.now() + SPIN_MS;
      for (let i = 1; ; i++) {
        const finished = Atomics.load(c, FINISHED);
        if (finished === theirs) break;
        if ((i & 255) === 0 && performance.now() > until) Atomics.wait(c, FINISHED, finished, 1);
      }
    }
    // A unit whose call trapped on a worker: again here, which says why.
    for (let u = 0; u < units.length; u++) if (c[UNITS + 3 * u + 2] !== 0) for (const { fn, args } of units[u]) fn(...args);
  }
}

/** Runs units: among `pool`'s threads, or one after another here (the same results: units write apart, or in an order that keeps each sum's). */
export function runPlans(pool: KernelPool | undefined, units: readonly (readonly Call[])[]): void {
  if (pool && pool.threads > 1 && units.length > 1) pool.run(units);
  else for (const unit of units) for (const { fn, args } of unit) fn(...args);
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
/** Parts per thread a loop is split into, so that the faster threads take more of it. */
const PARTS_PER_THREAD = 4;
/** The fewest elements a part gets past the first `threads` parts: a part's claim and call cost next to nothing beside it. */
const PART_MIN_ELEMENTS = 1 << 14;

/**
 * How many parts a loop of `units` independent units (`elements` elements in
 * all) is split into on `threads` threads: none (1) below SPLIT_MIN_ELEMENTS
 * or on one thread, else up to PARTS_PER_THREAD a thread, each at least
 * PART_MIN_ELEMENTS, and at most MAX_UNITS. The threads claim parts as they come free, so on cores
 * of unequal speed — a laptop's performance and efficiency cores, or a core
 * another program shares — the fast ones take more instead of waiting for
 * the slowest's equal share (one part a thread made the loop as slow as its
 * slowest core).
 */
export function splitParts(threads: number, units: number, elements: number): number {
  if (threads < 2 || elements < SPLIT_MIN_ELEMENTS) return 1;
  return Math.max(1, Math.min(units, MAX_UNITS, threads * PARTS_PER_THREAD, Math.max(threads, Math.floor(elements / PART_MIN_ELEMENTS))));
}

/** One call a unit of splitSteps makes: module `key`'s function `name` (here: `fn`), `args(u0, u1)` its arguments for units [u0, u1). */
export interface UnitStep {
  key: string;
  name: string;
  fn: (...args: never[]) => void;
  args: (u0: number, u1: number) => number[];
}

/**
 * Runs `steps` in order over `units` independent units (images, runs of four
 * floats), the units split into parts (splitParts) that `backend`'s pool
 * threads claim, each part making every step's call for its own units; on
 * this thread alone when there is no pool or `elements` (the work's size) is
 * below SPLIT_MIN_ELEMENTS.
 */
export function splitSteps(backend: object, steps: readonly UnitStep[], units: number, elements: number): void {
  const pool = kernelPool(backend);
  const parts = pool ? splitParts(pool.threads, units, elements) : 1;
  if (parts <= 1) {
    for (const step of steps) (step.fn as unknown as Call['fn'])(...step.args(0, units));
    return;
  }
  const ids = steps.map((step) => pool!.id(step.key, step.name));
  pool!.run(
    Array.from({ length: parts }, (_, t) => {
      const [u0, u1] = share(units, parts, t);
      return steps.map((step, i) => ({ fn: step.fn as unknown as Call['fn'], id: ids[i], args: step.args(u0, u1) }));
    }),
  );
}

/** splitSteps with one step: module `key`'s function `name` (here: `fn`) over `units` units, `args(u0, u1)` its arguments. */
export function splitUnits(backend: object, key: string, name: string, fn: (...args: never[]) => void, units: number, elements: number, args: (u0: number, u1: number) => number[]): void {
  splitSteps(backend, [{ key, name, fn, args }], units, elements);
}
