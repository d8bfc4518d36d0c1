// Reading the run store: one plain folder per run under .modellab/runs/.
//   config.json      resolved config (every default filled in)
//   meta.json        status, times, backend, versions, seed, error
//   metrics.jsonl    one MetricPoint per line (core/metricLines.ts)
//   summary.json     model summary
//   evaluation.json  test-split evaluation
//   model/           saved model (tfjs format) + preprocessing.json
//   heartbeat.json   the running trainer's sign of life (src/node/heartbeat.ts)
//   log.jsonl        the trainer's log lines (core/runLog.ts); a snapshot holds the last 500
// Readers never throw: a damaged folder is listed with warnings. The folders
// are written by runStoreWriter.ts.

import * as fs from 'node:fs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isOneOf } from '../core/choices';
import { MetricLineReader } from '../core/metricLines';
import { pidToCheck, runLiveness } from '../core/runLiveness';
import { parseRunLog, RUN_LOG_FILE } from '../core/runLog';
import type { RunLogLine } from '../core/runLog';
import { pidState, readHeartbeat, thisHost } from './heartbeat';
import { RUN_FORMAT, writeJsonAtomic } from './runStoreWriter';
import { RUN_STATUSES, TASKS } from '../core/types';
import type { Evaluation, JobState, MetricPoint, ModelSummary, RunLiveness, RunMeta, RunSnapshot, RunStatus } from '../core/types';

export interface RunListEntry {
  id: string;
  dir: string;
  /** meta.json, its status as shown (liveness.status). */
  meta?: RunMeta;
  /** How the status was judged: what meta.json says, the last heartbeat, why it is shown otherwise. */
  liveness?: RunLiveness;
  warnings: string[];
}

/** What a scheduler said of cluster runs' jobs, by SchedulerJob.id: asked by whoever reads (the reader itself never calls a scheduler). */
export type JobStates = ReadonlyMap<string, JobState>;

function readJson<T>(file: string, warnings: string[], what: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    warnings.push(`${what} is unreadable (${(e as Error).message})`);
    return undefined;
  }
}


const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbersOnly = (v: unknown): Record<string, number> | undefined =>
  isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number')) : undefined;

/** A fine-tuned run's record of its base (RunMeta.base): the sidebar and the dashboard name it and look it up by id and path. */
function isRunBase(x: unknown): boolean {
  return (
    isRecord(x) &&
    (x.kind === 'run' || x.kind === 'export') &&
    typeof x.path === 'string' &&
    x.path !== '' &&
    isOneOf(TASKS, x.task) &&
    (x.id === undefined || (typeof x.id === 'string' && x.id !== '')) &&
    (x.configHash === undefined || typeof x.configHash === 'string')
  );
}

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
    host: (x) => typeof x === 'string',
    pidStart: (x) => typeof x === 'string',
    startedAt: (x) => typeof x === 'string',
    trainerJob: (x) => typeof x === 'string',
    lastMetrics: isRecord,
    bestMetrics: isRecord,
    system: isRecord,
    stages: isRecord,
    dataSizes: (x) => isRecord(x) && typeof x.train === 'number' && typeof x.validation === 'number' && typeof x.test === 'number',
    sweep: (x) => isRecord(x) && typeof x.id === 'string' && typeof x.index === 'number' && typeof x.total === 'number' && isRecord(x.params),
    resumes: (x) => Array.isArray(x) && x.every((r) => isRecord(r) && typeof r.at === 'string' && typeof r.fromEpoch === 'number'),
    base: isRunBase,
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
  if (meta.system) meta.system = numbersOnly(meta.system);
  if (bad.length) warnings.push(`meta.json: ${bad.join(', ')} missing or of the wrong type`);
  return meta;
}

/**
 * A run's status as a reader shows it: for a run meta.json calls running or
 * queued, the scheduler's word on its job (when `jobs` has it), else its
 * process on this host, else its heartbeat (src/core/runLiveness.ts).
 */
export function judgeLiveness(dir: string, meta: RunMeta, jobs?: JobStates): RunLiveness {
  if (meta.status !== 'running' && meta.status !== 'queued' && !(meta.status === 'interrupted' && meta.job)) return { status: meta.status, recorded: meta.status };
  const host = thisHost();
  const pid = pidToCheck(meta, host);
  return runLiveness({
    meta,
    heartbeat: readHeartbeat(dir),
    thisHost: host,
    now: Date.now(),
    pid: pid === undefined ? undefined : pidState(pid, meta.pidStart),
    job: meta.job ? jobs?.get(meta.job.id) : undefined,
  });
}

function readMeta(dir: string, warnings: string[], jobs?: JobStates): { meta?: RunMeta; liveness?: RunLiveness } {
  const raw = readJson<unknown>(join(dir, 'meta.json'), warnings, 'meta.json');
  if (raw === undefined) {
    if (!existsSync(join(dir, 'meta.json'))) warnings.push('meta.json is missing');
    return {};
  }
  const meta = sanitizeMeta(raw, dir, warnings);
  if (!meta) return {};
  if (typeof meta.format === 'number' && meta.format > RUN_FORMAT) {
    warnings.push(`written by a newer Model Lab (format ${meta.format}); shown read-only`);
  }
  // A run that says "running" but whose trainer is gone was cut off (crash, reload, quit, kill -9, a lost node).
  const liveness = judgeLiveness(dir, meta, jobs);
  return { meta: liveness.status === meta.status ? meta : { ...meta, status: liveness.status }, liveness };
}

/** A run's meta.json alone, without its metrics (undefined when unreadable); its status as shown (judgeLiveness). */
export function readRunMeta(runDir: string, jobs?: JobStates): RunMeta | undefined {
  return readMeta(runDir, [], jobs).meta;
}

/** Every run folder, newest first; `jobs`: what the scheduler said of cluster runs' jobs, when asked. Never throws. */
export function listRuns(runsDir: string, jobs?: JobStates): RunListEntry[] {
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
    const { meta, liveness } = readMeta(dir, warnings, jobs);
    out.push({ id, dir, meta, ...(liveness ? { liveness } : {}), warnings });
  }
  return out;
}

export function readMetrics(file: string, warnings: string[]): MetricPoint[] {
  if (!existsSync(file)) return [];
  const lines = new MetricLineReader();
  for (const line of readFileSync(file, 'utf8').split('\n')) lines.take(line);
  if (lines.warning) warnings.push(lines.warning);
  return lines.points;
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
  const lines = new MetricLineReader();
  try {
    const size = (await handle.stat()).size; // a snapshot: lines appended meanwhile wait for the next read
    const buf = Buffer.allocUnsafe(ASYNC_METRICS_SLICE);
    let rest = '';
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = (rest + buf.toString('utf8', 0, bytesRead)).split('\n');
      rest = chunk.pop() ?? '';
      for (const l of chunk) lines.take(l);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    lines.take(rest);
  } catch (e) {
    warnings.push(`metrics.jsonl is unreadable (${(e as Error).message})`);
  } finally {
    await handle.close();
  }
  if (lines.warning) warnings.push(lines.warning);
  return lines.points;
}

/** readRunSnapshot for the extension host: the same result, without blocking its event loop on a long run. */
export async function readRunSnapshotAsync(runDir: string): Promise<RunSnapshot> {
  const snapshot = readRunSnapshot(runDir, false);
  const warnings = snapshot.warnings ?? [];
  const metrics = await readMetricsAsync(join(runDir, 'metrics.jsonl'), warnings);
  const logs = readRunLog(runDir, warnings);
  return { ...snapshot, metrics, warnings: warnings.length ? warnings : undefined, ...(logs.length ? { logs } : {}) };
}

export function readRunSnapshot(runDir: string, withMetrics = true, jobs?: JobStates): RunSnapshot {
  const warnings: string[] = [];
  const id = basename(runDir);
  const read = readMeta(runDir, warnings, jobs);
  const meta: RunMeta = read.meta ?? {
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
  // The log goes with the metrics: to a reader that shows the run, not to one that lists runs.
  const logs = withMetrics ? readRunLog(runDir, warnings) : [];
  return {
    meta,
    metrics,
    summary,
    evaluation,
    stages: meta.stages,
    warnings: warnings.length ? warnings : undefined,
    ...(read.liveness ? { liveness: read.liveness } : {}),
    ...(logs.length ? { logs } : {}),
  };
}

/** The bytes of log.jsonl's end a reader looks at: far more than its tail of lines ever takes. */
const RUN_LOG_READ_BYTES = 512 * 1024;

/** The tail of the run's log.jsonl (none for a run written before it existed). */
export function readRunLog(runDir: string, warnings: string[] = []): RunLogLine[] {
  const file = join(runDir, RUN_LOG_FILE);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - RUN_LOG_READ_BYTES);
    const buffer = Buffer.alloc(size - start);
    fs.readSync(fd, buffer, 0, buffer.length, start);
    let text = buffer.toString('utf8');
    // Started mid-file: the first (partial) line is not a line.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const { lines, skipped } = parseRunLog(text);
    if (skipped > 0) warnings.push(`${RUN_LOG_FILE}: ${skipped} line(s) unreadable, skipped`);
    return lines;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`${RUN_LOG_FILE} is unreadable (${(e as Error).message})`);
    return [];
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
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
