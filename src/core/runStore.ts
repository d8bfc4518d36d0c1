// The run store: one plain folder per run under .modellab/runs/.
//   config.json      resolved config (every default filled in)
//   meta.json        status, times, backend, versions, seed, error   (atomic writes)
//   metrics.jsonl    one MetricPoint per line, append-only, flushed per epoch
//   summary.json     model summary
//   evaluation.json  test-split evaluation
//   model/           saved model (tfjs format) + preprocessing.json
// Readers never throw: a damaged folder is listed with warnings.

import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Evaluation, MetricPoint, ModelSummary, RunMeta, RunSnapshot, RunStatus } from './types';

export const RUN_FORMAT = 1;
export const RUNS_DIR_DEFAULT = join('.modellab', 'runs');

export function runsDirFor(workspaceFolder: string): string {
  return join(workspaceFolder, RUNS_DIR_DEFAULT);
}

/** Write-then-rename, so a crash mid-write leaves the old file, never half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
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

  constructor(runsDir: string, meta: Omit<RunMeta, 'id' | 'format'> & { id?: string }) {
    const id = meta.id ?? newRunId(meta.name);
    this.dir = join(runsDir, id);
    mkdirSync(this.dir, { recursive: true });
    this.metaValue = { ...meta, id, format: RUN_FORMAT };
    this.writeMeta();
    appendFileSync(join(this.dir, 'metrics.jsonl'), '');
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
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    const fd = openSync(join(this.dir, 'metrics.jsonl'), 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
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

function readMeta(dir: string, warnings: string[]): RunMeta | undefined {
  const meta = readJson<RunMeta>(join(dir, 'meta.json'), warnings, 'meta.json');
  if (!meta) {
    if (!existsSync(join(dir, 'meta.json'))) warnings.push('meta.json is missing');
    return undefined;
  }
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
      if (p && typeof p.step === 'number' && p.values && typeof p.values === 'object') points.push(p);
      else bad++;
    } catch {
      bad++;
    }
  }
  if (bad) warnings.push(`metrics.jsonl: ${bad} damaged line${bad === 1 ? '' : 's'} skipped`);
  return points;
}

export function readRunSnapshot(runDir: string): RunSnapshot {
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
    metrics = readMetrics(join(runDir, 'metrics.jsonl'), warnings);
  } catch (e) {
    warnings.push(`metrics.jsonl is unreadable (${(e as Error).message})`);
  }
  const summary = readJson<ModelSummary>(join(runDir, 'summary.json'), warnings, 'summary.json');
  const evaluation = readJson<Evaluation>(join(runDir, 'evaluation.json'), warnings, 'evaluation.json');
  return { meta, metrics, summary, evaluation, stages: meta.stages, warnings: warnings.length ? warnings : undefined };
}

/** For the host when a trainer died without saying so. Keeps every metric already written. */
export function markRunEnded(runDir: string, status: RunStatus, error?: string): RunMeta | undefined {
  const warnings: string[] = [];
  const metaFile = join(runDir, 'meta.json');
  const meta = readJson<RunMeta>(metaFile, warnings, 'meta.json');
  if (!meta) return undefined;
  if (meta.format > RUN_FORMAT) return meta; // never overwrite what a newer version wrote
  if (meta.status !== 'running' && meta.status !== 'queued') return meta;
  const next: RunMeta = { ...meta, status, endedAt: new Date().toISOString(), error: error ?? meta.error, pid: undefined };
  writeJsonAtomic(metaFile, next);
  return next;
}

/** Newest run whose config is `configPath`. */
export function latestRunForConfig(runsDir: string, configPath: string): RunListEntry | undefined {
  return listRuns(runsDir).find((r) => r.meta?.configPath === configPath);
}
