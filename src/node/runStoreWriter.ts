// Writing a run folder under .modellab/runs/ (see runStoreReader.ts for the layout):
//   config.json, summary.json, evaluation.json  written whole, atomically
//   meta.json        status, times, backend, versions, seed, error   (atomic writes)
//   metrics.jsonl    one MetricPoint per line, append-only, flushed per epoch
//   distributions.jsonl  one layer's weight and gradient distributions per line, appended per recorded epoch
//   log.jsonl        the trainer's log lines (core/runLog.ts), appended as they are emitted
// Every write is write-then-rename or an append, so a crash leaves the old
// content and at most a torn last line, which readers skip.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DISTRIBUTIONS_FILE } from '../core/distributions';
import type { LayerDistributions } from '../core/distributions';
import { lastRunLogSeq, RUN_LOG_FILE } from '../core/runLog';
import type { RunLogLine } from '../core/runLog';
import type { Evaluation, MetricPoint, ModelSummary, RunMeta, RunStatus } from '../core/types';

/** The version of the run folder layout this Model Lab writes; a reader shows newer folders read-only. */
export const RUN_FORMAT = 1;

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

/**
 * Rewrites a JSON-lines file of a run (metrics.jsonl, distributions.jsonl), atomically, with only
 * its lines of epochs up to `epochsDone`; torn and foreign lines go too. Returns how many went.
 */
function keepEpochsUpTo(file: string, epochsDone: number): number {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const kept: string[] = [];
  let dropped = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    let entry: { epoch?: unknown } | undefined;
    try {
      entry = JSON.parse(line) as { epoch?: unknown };
    } catch {
      entry = undefined;
    }
    if (entry && typeof entry.epoch === 'number' && entry.epoch <= epochsDone) kept.push(line);
    else dropped++;
  }
  writeFileAtomic(file, kept.length ? kept.join('\n') + '\n' : '');
  return dropped;
}

const isMetaRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class RunWriter {
  readonly dir: string;
  private metaValue: RunMeta;
  private pending: string[] = [];
  /** The seq of the last line in log.jsonl. */
  private logSeq = 0;

  constructor(runsDir: string, meta: Omit<RunMeta, 'id' | 'format'> & { id?: string }, existingDir?: string) {
    const id = meta.id ?? newRunId(meta.name);
    this.dir = existingDir ?? join(runsDir, id);
    mkdirSync(this.dir, { recursive: true });
    this.metaValue = { ...meta, id, format: RUN_FORMAT };
    this.writeMeta();
    fs.appendFileSync(join(this.dir, 'metrics.jsonl'), '');
    // A resumed run's log carries on after its last line.
    if (existingDir && existsSync(join(this.dir, RUN_LOG_FILE))) this.logSeq = lastRunLogSeq(readFileSync(join(this.dir, RUN_LOG_FILE), 'utf8'));
  }

  /**
   * Appends a log line to log.jsonl and returns its seq. A line that cannot be written (a full
   * disk) is not retried: it still reaches the editor live, and the run goes on.
   */
  appendLog(line: Omit<RunLogLine, 'seq' | 'at'>): number | undefined {
    const seq = this.logSeq + 1;
    const record: RunLogLine = { seq, at: new Date().toISOString(), level: line.level, message: line.message, ...(line.id !== undefined ? { id: line.id, args: line.args ?? [] } : {}) };
    try {
      fs.appendFileSync(join(this.dir, RUN_LOG_FILE), JSON.stringify(record) + '\n');
    } catch {
      return undefined;
    }
    this.logSeq = seq;
    return seq;
  }

  /**
   * Opens an existing run folder to carry on training it (a resume from the
   * checkpoint of epoch `epochsDone`). metrics.jsonl keeps every point up to
   * and including that epoch; the points of the unfinished epoch after it
   * (and a torn last line) are dropped, since training repeats that epoch.
   * The file is rewritten atomically. Refuses a folder a newer Model Lab wrote.
   */
  static reopen(runDir: string, epochsDone: number, patch: Partial<RunMeta>): { writer: RunWriter; dropped: number } {
    const metaFile = join(runDir, 'meta.json');
    let raw: RunMeta | undefined;
    let problem = 'meta.json is missing';
    if (existsSync(metaFile)) {
      try {
        raw = JSON.parse(readFileSync(metaFile, 'utf8')) as RunMeta;
      } catch (e) {
        problem = `meta.json is unreadable (${(e as Error).message})`;
      }
    }
    if (!isMetaRecord(raw)) throw new Error(`the run in ${runDir} cannot be reopened: ${problem}`);
    if (typeof raw.format !== 'number' || raw.format > RUN_FORMAT) throw new Error(`the run in ${runDir} was written by a newer Model Lab (format ${String(raw.format)}); it is left as it is`);
    const dropped = keepEpochsUpTo(join(runDir, 'metrics.jsonl'), epochsDone);
    // The distributions of the epochs after the checkpoint are recorded again as training repeats them.
    if (existsSync(join(runDir, DISTRIBUTIONS_FILE))) keepEpochsUpTo(join(runDir, DISTRIBUTIONS_FILE), epochsDone);
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

  /**
   * Appends one recorded epoch's layer lines to distributions.jsonl. Written at once (a crashed
   * trainer's lines are in the page cache; a resume drops lines of epochs after its checkpoint and
   * a torn last line), synced to the disk in the background: a blocking fsync per epoch costs a
   * small model's epoch about a tenth of its time (scripts/bench/distributions.ts).
   */
  appendDistributions(lines: readonly LayerDistributions[]): void {
    if (lines.length === 0) return;
    const fd = io.openSync(join(this.dir, DISTRIBUTIONS_FILE), 'a');
    try {
      io.writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    } catch (e) {
      io.closeSync(fd);
      throw e;
    }
    fs.fsync(fd, () => io.closeSync(fd));
  }

  end(status: RunStatus, extra: Partial<RunMeta> = {}): RunMeta {
    this.flush();
    return this.updateMeta({ ...extra, status, endedAt: new Date().toISOString(), pid: undefined });
  }
}
