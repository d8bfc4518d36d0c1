// The run store: one plain folder per run under .modellab/runs/.
//   config.json      resolved config (every default filled in)
//   meta.json        status, times, backend, versions, seed, error   (atomic writes)
//   metrics.jsonl    one MetricPoint per line, append-only, flushed per epoch
//   summary.json     model summary
//   evaluation.json  test-split evaluation
//   model/           saved model (tfjs format) + preprocessing.json
// Readers never throw: a damaged folder is listed with warnings.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isOneOf } from '../core/choices';
import { resolveRunsDirectory } from './runsDirectory';
import { RUN_STATUSES, TASKS } from '../core/types';
import type { Evaluation, MetricPoint, ModelSummary, RunMeta, RunSnapshot, RunStatus } from '../core/types';

export const RUN_FORMAT = 1;
/** The runs folder of a workspace folder when nothing else is set. */
export function runsDirFor(workspaceFolder: string): string {
  return resolveRunsDirectory(workspaceFolder, undefined);
}

/**
 * The file-system calls that write a run folder. Replaceable (tests inject a
 * full disk: ENOSPC) through `setRunStoreIo`; the real `fs` otherwise.
 */
export interface RunStoreIo {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array | string): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

const realIo: RunStoreIo = {
  openSync: (p, f) => fs.openSync(p, f),
  writeSync: (fd, d) => (typeof d === 'string' ? fs.writeSync(fd, d) : fs.writeSync(fd, d)),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  unlinkSync: (p) => fs.unlinkSync(p),
};
let io: RunStoreIo = realIo;

/** For tests: replace some of the writer's file-system calls; no argument restores the real ones. */
export function setRunStoreIo(replacement?: Partial<RunStoreIo>): void {
  io = { ...realIo, ...replacement };
}

/** Write-then-rename, so a crash mid-write leaves the old file, never half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  // Not Math.random: inside the trainer it is the seeded generator of the run, and a
  // file write must not move the random stream that weight init and dropout draw from.
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = io.openSync(tmp, 'w');
    try {
      io.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
    io.renameSync(tmp, file);
  } catch (e) {
    // A full disk (ENOSPC) or a vanished folder: the old file stays, the half-written one goes.
    try {
      io.unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Sortable by creation time, unique even for two runs started in the same second. */
export function newRunId(name: string, now = new Date()): string {
  return `${timestamp(now)}-${slug(name)}-${Math.random().toString(16).slice(2, 6)}`;
}

export class RunWriter {
  readonly dir: string;
  private metaValue: RunMeta;
  private pending: string[] = [];

  constructor(runsDir: string, meta: Omit<RunMeta, 'id' | 'format'> & { id?: string }, existingDir?: string) {
    const id = meta.id ?? newRunId(meta.name);
    this.dir = existingDir ?? join(runsDir, id);
    mkdirSync(this.dir, { recursive: true });
    this.metaValue = { ...meta, id, format: RUN_FORMAT };
    this.writeMeta();
    fs.appendFileSync(join(this.dir, 'metrics.jsonl'), '');
  }

  /**
   * Opens an existing run folder to carry on training it (a resume from the
   * checkpoint of epoch `epochsDone`). metrics.jsonl keeps every point up to
   * and including that epoch; the points of the unfinished epoch after it
   * (and a torn last line) are dropped, since training repeats that epoch.
   * The file is rewritten atomically. Refuses a folder a newer Model Lab wrote.
   */
  static reopen(runDir: string, epochsDone: number, patch: Partial<RunMeta>): { writer: RunWriter; dropped: number } {
    const warnings: string[] = [];
    const raw = readJson<RunMeta>(join(runDir, 'meta.json'), warnings, 'meta.json');
    if (!isRecord(raw)) throw new Error(`the run in ${runDir} cannot be reopened: ${warnings[0] ?? 'meta.json is missing'}`);
    if (typeof raw.format !== 'number' || raw.format > RUN_FORMAT) throw new Error(`the run in ${runDir} was written by a newer Model Lab (format ${String(raw.format)}); it is left as it is`);
    const metricsFile = join(runDir, 'metrics.jsonl');
    const lines = existsSync(metricsFile) ? readFileSync(metricsFile, 'utf8').split('\n') : [];
    const kept: string[] = [];
    let dropped = 0;
    for (const line of lines) {
      if (!line.trim()) continue;
      let point: Partial<MetricPoint> | undefined;
      try {
        point = JSON.parse(line) as Partial<MetricPoint>;
      } catch {
        point = undefined;
      }
      if (point && typeof point.epoch === 'number' && point.epoch <= epochsDone) kept.push(line);
      else dropped++;
    }
    writeFileAtomic(metricsFile, kept.length ? kept.join('\n') + '\n' : '');
    const { endedAt: _endedAt, error: _error, ...rest } = raw;
    const writer = new RunWriter(dirname(runDir), { ...rest, ...patch, id: raw.id }, runDir);
    return { writer, dropped };
  }

  get meta(): RunMeta {
    return this.metaValue;
  }

  get modelDir(): string {
    return join(this.dir, 'model');
  }

  updateMeta(patch: Partial<RunMeta>): RunMeta {
    this.metaValue = { ...this.metaValue, ...patch };
    this.writeMeta();
    return this.metaValue;
  }

  private writeMeta(): void {
    writeJsonAtomic(join(this.dir, 'meta.json'), this.metaValue);
  }

  writeConfig(config: unknown): void {
    writeJsonAtomic(join(this.dir, 'config.json'), config);
  }
  writeSummary(summary: ModelSummary): void {
    writeJsonAtomic(join(this.dir, 'summary.json'), summary);
  }
  writeEvaluation(evaluation: Evaluation): void {
    writeJsonAtomic(join(this.dir, 'evaluation.json'), evaluation);
  }

  /** Buffers a metric point; `flush` appends the buffer (called per epoch and at the end). */
  addMetric(point: MetricPoint): void {
    this.pending.push(JSON.stringify(point));
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    const text = lines.join('\n') + '\n';
    this.pending = [];
    try {
      const fd = io.openSync(join(this.dir, 'metrics.jsonl'), 'a');
      try {
        io.writeSync(fd, text);
        io.fsyncSync(fd);
      } finally {
        io.closeSync(fd);
      }
    } catch (e) {
      // Kept for the next flush (the disk may have room again); the lines already on disk are untouched.
      this.pending = lines.concat(this.pending);
      throw e;
    }
  }

  end(status: RunStatus, extra: Partial<RunMeta> = {}): RunMeta {
    this.flush();
    return this.updateMeta({ ...extra, status, endedAt: new Date().toISOString(), pid: undefined });
  }
}

export interface RunListEntry {
  id: string;
  dir: string;
  meta?: RunMeta;
  warnings: string[];
}

function readJson<T>(file: string, warnings: string[], what: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    warnings.push(`${what} is unreadable (${(e as Error).message})`);
    return undefined;
  }
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}


const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbersOnly = (v: unknown): Record<string, number> | undefined =>
  isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number')) : undefined;

/**
 * A meta.json as the UI can use it: a foreign or damaged file (another tool's
 * JSON, a hand edit, a newer format) never reaches the sidebar or the dashboard
 * with a number where a name should be. Fields of the wrong type are replaced
 * (required) or dropped (optional), with a warning naming them.
 */
function sanitizeMeta(raw: unknown, dir: string, warnings: string[]): RunMeta | undefined {
  if (!isRecord(raw)) {
    warnings.push('meta.json does not hold a run description (not a JSON object)');
    return undefined;
  }
  const bad: string[] = [];
  const str = (key: string, fallback: string): string => {
    if (typeof raw[key] === 'string') return raw[key] as string;
    bad.push(key);
    return fallback;
  };
  const num = (key: string): number => {
    if (typeof raw[key] === 'number' && Number.isFinite(raw[key])) return raw[key] as number;
    bad.push(key);
    return 0;
  };
  const id = str('id', basename(dir));
  const status: RunStatus = isOneOf(RUN_STATUSES, raw.status) ? raw.status : (bad.push('status'), 'interrupted');
  const task: RunMeta['task'] = isOneOf(TASKS, raw.task) ? raw.task : (bad.push('task'), 'regression');
  const v = raw.versions;
  const versions = isRecord(v) && typeof v.modelLab === 'string' && typeof v.node === 'string' ? (v as RunMeta['versions']) : (bad.push('versions'), { modelLab: 'unknown', node: 'unknown' });
  const meta: RunMeta = {
    ...(raw as unknown as RunMeta),
    format: (typeof raw.format === 'number' ? raw.format : (bad.push('format'), RUN_FORMAT)) as 1,
    id,
    name: str('name', id),
    task,
    configPath: str('configPath', ''),
    status,
    createdAt: str('createdAt', ''),
    versions,
    seed: num('seed'),
    epochsPlanned: num('epochsPlanned'),
    epochsDone: num('epochsDone'),
  };
  const optional: Record<string, (x: unknown) => boolean> = {
    endedAt: (x) => typeof x === 'string',
    backend: (x) => typeof x === 'string',
    bestEpoch: (x) => typeof x === 'number',
    error: (x) => typeof x === 'string',
    pid: (x) => typeof x === 'number',
    lastMetrics: isRecord,
    bestMetrics: isRecord,
    stages: isRecord,
    dataSizes: (x) => isRecord(x) && typeof x.train === 'number' && typeof x.validation === 'number' && typeof x.test === 'number',
    sweep: (x) => isRecord(x) && typeof x.id === 'string' && typeof x.index === 'number' && typeof x.total === 'number' && isRecord(x.params),
    resumes: (x) => Array.isArray(x) && x.every((r) => isRecord(r) && typeof r.at === 'string' && typeof r.fromEpoch === 'number'),
  };
  const m = meta as unknown as Record<string, unknown>;
  for (const [key, ok] of Object.entries(optional)) {
    if (m[key] !== undefined && !ok(m[key])) {
      bad.push(key);
      delete m[key];
    }
  }
  if (meta.lastMetrics) meta.lastMetrics = numbersOnly(meta.lastMetrics);
  if (meta.bestMetrics) meta.bestMetrics = numbersOnly(meta.bestMetrics);
  if (bad.length) warnings.push(`meta.json: ${bad.join(', ')} missing or of the wrong type`);
  return meta;
}

function readMeta(dir: string, warnings: string[]): RunMeta | undefined {
  const raw = readJson<unknown>(join(dir, 'meta.json'), warnings, 'meta.json');
  if (raw === undefined) {
    if (!existsSync(join(dir, 'meta.json'))) warnings.push('meta.json is missing');
    return undefined;
  }
  const meta = sanitizeMeta(raw, dir, warnings);
  if (!meta) return undefined;
  if (typeof meta.format === 'number' && meta.format > RUN_FORMAT) {
    warnings.push(`written by a newer Model Lab (format ${meta.format}); shown read-only`);
  }
  // A run that says "running" but whose trainer is gone was cut off (crash, reload, quit).
  if (meta.status === 'running' && !pidAlive(meta.pid)) return { ...meta, status: 'interrupted' };
  return meta;
}

/** A run's meta.json alone, without its metrics (undefined when unreadable). */
export function readRunMeta(runDir: string): RunMeta | undefined {
  return readMeta(runDir, []);
}

/** Every run folder, newest first. Never throws. */
export function listRuns(runsDir: string): RunListEntry[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return [];
  }
  const out: RunListEntry[] = [];
  for (const id of names.sort().reverse()) {
    const dir = join(runsDir, id);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    const warnings: string[] = [];
    const meta = readMeta(dir, warnings);
    out.push({ id, dir, meta, warnings });
  }
  return out;
}

export function readMetrics(file: string, warnings: string[]): MetricPoint[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const points: MetricPoint[] = [];
  const lines = text.split('\n');
  let bad = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') continue;
    try {
      const p = JSON.parse(l) as MetricPoint;
      if (p && typeof p.step === 'number' && typeof p.epoch === 'number' && isRecord(p.values)) points.push(p);
      else bad++;
    } catch {
      bad++;
    }
  }
  if (bad) warnings.push(`metrics.jsonl: ${bad} damaged line${bad === 1 ? '' : 's'} skipped`);
  return points;
}

/** The bytes of metrics.jsonl parsed per slice by the async reader (~10 ms of work, then the event loop runs). */
const ASYNC_METRICS_SLICE = 256 * 1024;

/**
 * readMetrics without blocking the event loop: a day-long run's metrics.jsonl
 * is 100+ MB and takes seconds to parse; the extension host reads it in
 * slices, letting other work run between them.
 */
export async function readMetricsAsync(file: string, warnings: string[]): Promise<MetricPoint[]> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`metrics.jsonl is unreadable (${(e as Error).message})`);
    return [];
  }
  const points: MetricPoint[] = [];
  let bad = 0;
  const take = (line: string) => {
    if (line.trim() === '') return;
    try {
      const p = JSON.parse(line) as MetricPoint;
      if (p && typeof p.step === 'number' && typeof p.epoch === 'number' && isRecord(p.values)) points.push(p);
      else bad++;
    } catch {
      bad++;
    }
  };
  try {
    const size = (await handle.stat()).size; // a snapshot: lines appended meanwhile wait for the next read
    const buf = Buffer.allocUnsafe(ASYNC_METRICS_SLICE);
    let rest = '';
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const lines = (rest + buf.toString('utf8', 0, bytesRead)).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) take(l);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    take(rest);
  } catch (e) {
    warnings.push(`metrics.jsonl is unreadable (${(e as Error).message})`);
  } finally {
    await handle.close();
  }
  if (bad) warnings.push(`metrics.jsonl: ${bad} damaged line${bad === 1 ? '' : 's'} skipped`);
  return points;
}

/** readRunSnapshot for the extension host: the same result, without blocking its event loop on a long run. */
export async function readRunSnapshotAsync(runDir: string): Promise<RunSnapshot> {
  const snapshot = readRunSnapshot(runDir, false);
  const warnings = snapshot.warnings ?? [];
  const metrics = await readMetricsAsync(join(runDir, 'metrics.jsonl'), warnings);
  return { ...snapshot, metrics, warnings: warnings.length ? warnings : undefined };
}

export function readRunSnapshot(runDir: string, withMetrics = true): RunSnapshot {
  const warnings: string[] = [];
  const id = basename(runDir);
  const meta: RunMeta = readMeta(runDir, warnings) ?? {
    format: RUN_FORMAT,
    id,
    name: id,
    task: 'regression',
    configPath: '',
    status: 'interrupted',
    createdAt: new Date(0).toISOString(),
    versions: { modelLab: 'unknown', node: 'unknown' },
    seed: 0,
    epochsPlanned: 0,
    epochsDone: 0,
  };
  let metrics: MetricPoint[] = [];
  try {
    if (withMetrics) metrics = readMetrics(join(runDir, 'metrics.jsonl'), warnings);
  } catch (e) {
    warnings.push(`metrics.jsonl is unreadable (${(e as Error).message})`);
  }
  let summary = readJson<ModelSummary>(join(runDir, 'summary.json'), warnings, 'summary.json');
  let evaluation = readJson<Evaluation>(join(runDir, 'evaluation.json'), warnings, 'evaluation.json');
  // Foreign or damaged files are left out rather than handed to the dashboard.
  if (summary !== undefined && !(isRecord(summary) && Array.isArray(summary.layers) && summary.layers.every(isRecord))) {
    warnings.push('summary.json is not a model summary; not shown');
    summary = undefined;
  }
  if (evaluation !== undefined && !(isRecord(evaluation) && isOneOf(TASKS, evaluation.task))) {
    warnings.push('evaluation.json is not an evaluation; not shown');
    evaluation = undefined;
  }
  return { meta, metrics, summary, evaluation, stages: meta.stages, warnings: warnings.length ? warnings : undefined };
}

/** For the host when a trainer died without saying so. Keeps every metric already written. */
export function markRunEnded(runDir: string, status: RunStatus, error?: string): RunMeta | undefined {
  const warnings: string[] = [];
  const metaFile = join(runDir, 'meta.json');
  const meta = readJson<RunMeta>(metaFile, warnings, 'meta.json');
  if (!isRecord(meta)) return undefined; // unreadable or foreign: left as it is
  if (typeof meta.format !== 'number' || meta.format > RUN_FORMAT) return sanitizeMeta(meta, runDir, warnings); // never overwrite what a newer version wrote
  if (meta.status !== 'running' && meta.status !== 'queued') return meta;
  const next: RunMeta = { ...meta, status, endedAt: new Date().toISOString(), error: error ?? meta.error, pid: undefined };
  writeJsonAtomic(metaFile, next);
  return next;
}

/** Newest run whose config is `configPath`. */
export function latestRunForConfig(runsDir: string, configPath: string): RunListEntry | undefined {
  return listRuns(runsDir).find((r) => r.meta?.configPath === configPath);
}
