// A running trainer's sign of life, and what a reader needs to judge one:
//   - heartbeat.json in the run folder (host, pid, the process's start, time),
//     rewritten atomically every few seconds by HeartbeatWriter — from a
//     worker thread, so a main thread busy for a minute (decoding a folder of
//     images, a long batch) still beats: only a dead process stops beating;
//   - who this process is (host name, pid, start), recorded in meta.json;
//   - whether a pid on this host is still the process that was recorded:
//     alive, gone, or reused by another process (a different start time).
// The rule that weighs them is src/core/runLiveness.ts.

import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { PidState } from '../core/runLiveness';
import { HEARTBEAT_FILE, HEARTBEAT_TIMING } from '../core/types';
import type { RunHeartbeat } from '../core/types';
import { writeJsonAtomic } from './runStoreWriter';

/** This machine's name, as runs record it (RunMeta.host). */
export function thisHost(): string {
  return hostname();
}

let bootId: string | undefined | null = null;

/** Linux: the boot's random id, so a start time measured from boot never matches across a reboot. */
function linuxBootId(): string | undefined {
  if (bootId === null) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

/**
 * A token naming when process `pid` started, or undefined when the platform
 * does not tell (or there is no such process). Two processes with the same pid
 * have different tokens. Linux: the boot id and /proc/<pid>/stat's field 22
 * (start time in clock ticks since boot); elsewhere `ps -o lstart=`.
 */
export function processStart(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // Field 2, the command name, is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[22 - 3];
    return ticks && /^\d+$/.test(ticks) ? `linux:${linuxBootId() ?? '?'}:${ticks}` : undefined;
  }
  if (process.platform === 'win32') return undefined;
  try {
    const lstart = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2_000 }).trim();
    return lstart ? `ps:${lstart.replace(/\s+/g, ' ')}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a process of this machine (one of another user counts). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The recorded trainer process on this machine now: alive, gone, or its pid reused (another start). A pid whose start cannot be read counts as alive. */
export function pidState(pid: number, recordedStart: string | undefined): PidState {
  if (!Number.isInteger(pid) || pid <= 0 || !pidExists(pid)) return 'gone';
  if (recordedStart === undefined) return 'alive';
  const now = processStart(pid);
  if (now === undefined) return pidExists(pid) ? 'alive' : 'gone';
  return now === recordedStart ? 'alive' : 'reused';
}

/** Who this process is, for meta.json and the heartbeat. */
export function thisProcess(): { host: string; pid: number; pidStart?: string } {
  const pidStart = processStart(process.pid);
  return { host: thisHost(), pid: process.pid, ...(pidStart ? { pidStart } : {}) };
}

export function heartbeatPath(runDir: string): string {
  return join(runDir, HEARTBEAT_FILE);
}

/** heartbeat.json of a run folder, or undefined when missing or not a heartbeat. Never throws. */
export function readHeartbeat(runDir: string): RunHeartbeat | undefined {
  const file = heartbeatPath(runDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const r = raw as Partial<RunHeartbeat> | null;
  if (!r || typeof r !== 'object' || typeof r.host !== 'string' || typeof r.pid !== 'number' || typeof r.time !== 'string' || !Number.isFinite(Date.parse(r.time))) return undefined;
  return { host: r.host, pid: r.pid, time: r.time, ...(typeof r.pidStart === 'string' ? { pidStart: r.pidStart } : {}) };
}

/**
 * The worker that rewrites heartbeat.json every interval. It runs apart from
 * the bundle (a worker cannot load the bundle's modules), so it does the run
 * store's write-then-rename itself: a temp file, fsync, rename; a failed write
 * removes its temp file and is reported once to the main thread.
 */
const HEARTBEAT_WORKER = `
const { parentPort, workerData, threadId } = require('node:worker_threads');
const fs = require('node:fs');
const { file, who, intervalMs } = workerData;
let n = 0;
let failed = false;
function beat() {
  const tmp = file + '.tmp-' + process.pid + '-w' + threadId + '-' + n++;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ ...who, time: new Date().toISOString() }, null, 2) + '\\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    failed = false;
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch {}
    if (!failed) parentPort.postMessage({ error: String(e && e.message || e) });
    failed = true;
  }
}
setInterval(beat, intervalMs);
`;

/**
 * Writes heartbeat.json now (in this thread, through the run store's atomic
 * write), then every \`intervalMs\` from a worker thread until stopped. The
 * worker does not keep the process alive; a failed write (a full disk, a
 * vanished folder) is reported once through \`onError\` and tried again next time.
 */
export class HeartbeatWriter {
  private worker: Worker | undefined;
  /** The fallback when no worker thread can start: beats from this thread's timers. */
  private timer: NodeJS.Timeout | undefined;
  private failed = false;
  private readonly who = thisProcess();

  constructor(
    readonly runDir: string,
    private readonly onError: (message: string) => void = () => undefined,
    intervalMs: number = HEARTBEAT_TIMING.intervalMs,
  ) {
    this.beat();
    try {
      const worker = new Worker(HEARTBEAT_WORKER, { eval: true, workerData: { file: heartbeatPath(runDir), who: this.who, intervalMs } });
      this.worker = worker;
      worker.unref();
      worker.on('message', (m: { error?: string }) => {
        if (m?.error) this.report(m.error);
      });
      worker.on('error', (e) => this.report(e.message));
    } catch (e) {
      // No thread to spare (a resource limit): beat between batches instead.
      this.onError(`the heartbeat runs on the training thread (no worker thread: ${(e as Error).message}); a long pause in training may look like a dead run from another host`);
      this.timer = setInterval(() => this.beat(), intervalMs);
      this.timer.unref();
    }
  }

  private report(message: string): void {
    if (this.worker) this.onError(`could not write the heartbeat in ${this.runDir}: ${message}`);
  }

  beat(quiet = false): void {
    const heartbeat: RunHeartbeat = { ...this.who, time: new Date().toISOString() };
    try {
      writeJsonAtomic(heartbeatPath(this.runDir), heartbeat);
      this.failed = false;
    } catch (e) {
      if (!this.failed && !quiet) this.onError(`could not write the heartbeat in ${this.runDir}: ${(e as Error).message}`);
      this.failed = true;
    }
  }

  /** No more beats from the worker; a last one from here (the time the trainer ended; a failure goes unsaid: the run has reported its end). */
  stop(): void {
    const worker = this.worker;
    if (!worker && !this.timer) return;
    this.worker = undefined;
    void worker?.terminate();
    clearInterval(this.timer);
    this.timer = undefined;
    this.beat(true);
  }
}
