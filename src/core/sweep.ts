// Sweeps: the points of a grid or of seeded random draws over config paths
// (a bayes sweep's points come one at a time from src/core/sweepPlan.ts),
// and config overrides by path ("training.optimizer.learningRate",
// "model.layers[0].units"). Pure: the host, the CLI and the trainer share it.

import { seededRng, shuffleInPlace } from './random';
import type { Rng } from './random';
import { describeLayerStack } from './runComparison';
import type { SweepConfig, SweepMethod, SweepParameter, SweepRange } from './types';

export type PathSegment = string | number;

/** Sweeps larger than this are refused: each point is a full training run. */
export const MAX_SWEEP_POINTS = 1000;

export class ConfigPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigPathError';
  }
}

const KEY = /[A-Za-z_$][\w$]*/y;
const INDEX = /\[(\d+)\]/y;

/** "model.layers[0].units" → ["model", "layers", 0, "units"]. Throws ConfigPathError on bad syntax. */
export function parseConfigPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const bad = (at: number) =>
    new ConfigPathError(`"${path}" is not a config path: expected keys joined by "." and list indexes like [0] (e.g. "model.layers[0].units"); see character ${at + 1}`);
  let at = 0;
  while (at < path.length) {
    if (path[at] === '[' && segments.length > 0) {
      INDEX.lastIndex = at;
      const m = INDEX.exec(path);
      if (!m) throw bad(at);
      segments.push(Number(m[1]));
      at = INDEX.lastIndex;
      continue;
    }
    if (segments.length > 0) {
      if (path[at] !== '.') throw bad(at);
      at++;
    }
    KEY.lastIndex = at;
    const m = KEY.exec(path);
    if (!m) throw bad(at);
    segments.push(m[0]);
    at = KEY.lastIndex;
  }
  if (segments.length === 0) throw new ConfigPathError('an empty config path: name a setting, e.g. "training.epochs"');
  return segments;
}

export function formatConfigPath(segments: readonly PathSegment[]): string {
  let s = '';
  for (const p of segments) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeKind(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A copy of `value` with the value at `segments` replaced; nothing is mutated
 * and untouched branches are shared. Missing object keys are created; a list
 * index must exist (a sweep never grows a list). Throws ConfigPathError.
 */
export function setAtPath<T>(value: T, segments: readonly PathSegment[], newValue: unknown): T {
  const set = (cur: unknown, i: number): unknown => {
    if (i === segments.length) return newValue;
    const seg = segments[i];
    const where = formatConfigPath(segments.slice(0, i)) || 'the config';
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) throw new ConfigPathError(`${where} is ${cur === undefined ? 'not set' : describeKind(cur)}, not a list, so it has no [${seg}]`);
      if (seg >= cur.length) throw new ConfigPathError(`${where} has ${cur.length} item${cur.length === 1 ? '' : 's'}, so there is no [${seg}]`);
      const copy = cur.slice();
      copy[seg] = set(cur[seg], i + 1);
      return copy;
    }
    if (cur === undefined) return { [seg]: set(undefined, i + 1) };
    if (!isPlainObject(cur)) throw new ConfigPathError(`${where} is ${describeKind(cur)}, not an object, so it has no "${seg}"`);
    return { ...cur, [seg]: set(cur[seg], i + 1) };
  };
  return set(value, 0) as T;
}

/** Applies overrides keyed by config path, in order. Throws ConfigPathError. */
export function applyOverrides<T>(config: T, overrides: Readonly<Record<string, unknown>>): T {
  let out = config;
  for (const [path, value] of Object.entries(overrides)) out = setAtPath(out, parseConfigPath(path), value);
  return out;
}

export function isSweepRange(p: SweepParameter): p is SweepRange {
  return isPlainObject(p);
}

export function sweepMethod(sweep: Pick<SweepConfig, 'method'>): SweepMethod {
  return sweep.method ?? 'grid';
}

/** How many runs the sweep launches (0 when a grid holds a range, which validation reports). */
export function sweepSize(sweep: SweepConfig): number {
  if (sweepMethod(sweep) !== 'grid') return sweep.count ?? 0;
  let n = 1;
  for (const p of Object.values(sweep.parameters)) {
    if (!Array.isArray(p)) return 0;
    n *= p.length;
  }
  return n;
}

export interface SweepPoint {
  /** 0-based. */
  index: number;
  /** Config path → value, in the order of the sweep's parameters. */
  params: Record<string, unknown>;
}

/**
 * Every point of the sweep, in the order they run. A grid is the cartesian
 * product in the order the parameters are written, the last one varying
 * fastest (like nested loops) — shuffled by `seed` when the sweep has early
 * termination, whose decisions depend on the order.
 * Random draws `count` points from `seed`: one draw per parameter per point,
 * so the same sweep always gives the same points.
 */
export function expandSweep(sweep: SweepConfig): SweepPoint[] {
  const entries = Object.entries(sweep.parameters);
  if (sweepMethod(sweep) === 'bayes') throw new Error('a bayes sweep draws each point from the runs finished before it: ask planSweep (src/core/sweepPlan.ts) for its points');
  if (sweepMethod(sweep) === 'random') {
    const rng = seededRng(sweep.seed ?? 1);
    const count = sweep.count ?? 0;
    const points: SweepPoint[] = [];
    for (let index = 0; index < count; index++) {
      const params: Record<string, unknown> = {};
      for (const [path, p] of entries) params[path] = isSweepRange(p) ? sampleRange(p, rng) : p[Math.min(p.length - 1, Math.floor(rng() * p.length))];
      points.push({ index, params });
    }
    return points;
  }
  const lists = entries.map(([path, p]) => {
    if (!Array.isArray(p)) throw new Error(`grid sweep: "${path}" is a range; a grid needs a list of values`);
    return p;
  });
  const total = sweepSize(sweep);
  if (total > MAX_SWEEP_POINTS) throw new Error(`the sweep has ${total} points; at most ${MAX_SWEEP_POINTS} are run`);
  const points: SweepPoint[] = [];
  for (let index = 0; index < total; index++) {
    const params: Record<string, unknown> = {};
    let rest = index;
    for (let k = entries.length - 1; k >= 0; k--) {
      const list = lists[k];
      params[entries[k][0]] = list[rest % list.length];
      rest = Math.floor(rest / list.length);
    }
    // Keep the parameters' written order (the loop above filled them backwards).
    const ordered: Record<string, unknown> = {};
    for (const [path] of entries) ordered[path] = params[path];
    points.push({ index, params: ordered });
  }
  if (!sweep.earlyTermination) return points;
  // With early termination the order decides what is pruned (a run is judged against the runs that reached its
  // rung before it): written order often runs from one end of a range to the other, so each run would beat all
  // before it and none would be pruned (or the reverse). A seeded shuffle runs the grid in the order of a random sweep.
  return shuffleInPlace(points, seededRng(sweep.seed ?? 1)).map((p, index) => ({ index, params: p.params }));
}

/**
 * One draw from a range: uniform, or uniform in log space. Floats keep four
 * significant digits (a learning rate of 0.003162, not 0.0031622776601683794)
 * and stay within [min, max]; integers are whole numbers in [min, max].
 */
export function sampleRange(range: SweepRange, rng: Rng): number {
  const { min, max } = range;
  const log = range.scale === 'log';
  const u = rng();
  if (range.integer) {
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    if (hi <= lo) return lo;
    if (!log) return Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
    // Even in log space over [lo − ½, hi + ½], so the end values are as likely as their neighbours allow.
    const a = Math.log(Math.max(lo - 0.5, lo / 2));
    const b = Math.log(hi + 0.5);
    return Math.min(hi, Math.max(lo, Math.round(Math.exp(a + u * (b - a)))));
  }
  const v = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
  return Math.min(max, Math.max(min, Number(v.toPrecision(4))));
}


/** Shared by every run of one sweep launch; sortable by time. */
export function newSweepId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `sweep-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/**
 * Short names for config paths, for tables and hints: the last key
 * ("learningRate", "units"), longer only where two paths would share one
 * ("layers[0].units", "layers[1].units").
 */
export function shortParamNames(paths: readonly string[]): Record<string, string> {
  const segs = paths.map((p) => {
    try {
      return parseConfigPath(p);
    } catch {
      return [p];
    }
  });
  const out: Record<string, string> = {};
  const take = (s: PathSegment[], n: number) => {
    let start = s.length;
    let keys = 0;
    while (start > 0 && keys < n) {
      start--;
      if (typeof s[start] === 'string') keys++;
    }
    return formatConfigPath(s.slice(start));
  };
  paths.forEach((path, i) => {
    for (let n = 1; ; n++) {
      const name = take(segs[i], n);
      const clash = segs.some((other, j) => j !== i && take(other, n) === name);
      if (!clash || name === formatConfigPath(segs[i])) {
        out[path] = name;
        break;
      }
    }
  });
  return out;
}

/** A value as a person reads it in a table or hint: numbers as written, strings bare, layer stacks by describeLayerStack, the rest as JSON. */
export function formatParamValue(value: unknown, maxLength = 24): string {
  let s: string;
  // Numbers as a config writes them (0.0003, not 3e-4), without float noise.
  if (typeof value === 'number') s = String(Number(value.toPrecision(6)));
  else if (typeof value === 'string') s = value;
  else if (value === undefined) s = '—';
  else s = describeLayerStack(value) ?? JSON.stringify(value);
  return s.length > maxLength ? `${s.slice(0, maxLength - 1)}…` : s;
}

/** "learningRate=0.01, units=32". */
export function describeParams(params: Readonly<Record<string, unknown>>): string {
  const names = shortParamNames(Object.keys(params));
  return Object.entries(params).map(([path, v]) => `${names[path]}=${formatParamValue(v)}`).join(', ');
}
