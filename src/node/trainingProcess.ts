// One training: the trainer child process, its IPC and its lifecycle.
// Knows nothing of VS Code, so it is tested by forking a fake trainer.
// Whatever the child does (garbled messages, a crash, ignoring a stop), the
// caller gets exactly one `onExit`, and the run folder says how the run ended.

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { isTrainerEvent, isTrainerEventBatch } from '../core/protocol/trainer';
import { assertNever } from '../core/protocol/fields';
import type { HostToTrainerMessage, StartTrainingMessage, TrainerEvent } from '../core/protocol/trainer';
import { markRunEnded as markRunEndedOnDisk } from './runStoreReader';
import type { RunMeta, RunStatus } from '../core/types';
import { LineSplitter } from './lineSplitter';
import type { TrainerRuntime } from './trainerRuntime';
import { NO_PROGRESS, progressAfter } from '../core/trainingProgress';
import type { TrainingProgress } from '../core/trainingProgress';

export const STOP_TIMEOUT_MS = 10_000;
/** How long to wait for the stdio streams to close after the process exited. */
const CLOSE_GRACE_MS = 2_000;
const STDERR_TAIL_LINES = 12;

export interface TrainingOutcome {
  status: RunStatus;
  /** The run's final meta, when a run folder was created. */
  meta?: RunMeta;
  /** Why the run ended, when the trainer did not say so itself. */
  reason?: string;
  /** True when the trainer sent `runEnded`; false when the host had to decide. */
  reportedByTrainer: boolean;
}

export interface TrainingListener {
  /** Every valid trainer event, after this object's progress fields were updated. */
  onEvent(event: TrainerEvent): void;
  onOutput(stream: 'stdout' | 'stderr', line: string): void;
  /** Something the host noticed (a malformed message, a forced kill). */
  onNote(message: string): void;
  onExit(outcome: TrainingOutcome): void;
}

export interface TrainingProcessOptions {
  /** Absolute path of dist/trainer.js. */
  trainerScript: string;
  runtime: Pick<TrainerRuntime, 'execPath' | 'env'>;
  start: StartTrainingMessage;
  cwd?: string;
  stopTimeoutMs?: number;
  /** Replaceable in tests; by default the run store's atomic writer. */
  markRunEnded?: (runDir: string, status: RunStatus, error?: string) => RunMeta | undefined;
}

export class TrainingProcess {
  readonly configPath: string;
  runId: string | undefined;
  runDir: string | undefined;
  meta: RunMeta | undefined;
  /** How far the training is, folded from its events: what every surface shows (core/trainingProgress.ts). */
  progress: TrainingProgress = NO_PROGRESS;
  /** Epochs finished so far. */
  get epochsDone(): number {
    return this.progress.epochsDone;
  }
  /** The epoch the latest metrics belong to (1-based), 0 before the first batch. */
  get currentEpoch(): number {
    return this.progress.epoch;
  }
  get epochs(): number | undefined {
    return this.progress.epochs || undefined;
  }
  /** Latest training loss seen (a batch loss mid-epoch, the epoch loss at its end). */
  get loss(): number | undefined {
    return this.progress.loss;
  }
  /** The last finished epoch's logs. */
  get lastLogs(): Record<string, number> | undefined {
    return this.progress.lastLogs;
  }
  stopRequested = false;
  readonly done: Promise<TrainingOutcome>;

  private readonly child: ChildProcess;
  private ended: RunMeta | undefined;
  private exited = false;
  private finished = false;
  private interruptReason: string | undefined;
  private killedAfterTimeout = false;
  private killTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly stderrTail: string[] = [];
  /** The last error the trainer reported as a log event: the best explanation of a crash. */
  private lastErrorLog: string | undefined;
  private resolveDone!: (outcome: TrainingOutcome) => void;

  constructor(private readonly options: TrainingProcessOptions, private readonly listener: TrainingListener) {
    this.configPath = options.start.configPath;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.child = fork(options.trainerScript, [], {
      execPath: options.runtime.execPath,
      // Never inherit the extension host's flags (--inspect, Electron switches).
      execArgv: [],
      env: { ...process.env, ...options.runtime.env },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // fork passes this on to spawn (no console window on Windows); its typings omit it.
      ...({ windowsHide: true } as object),
    });
    this.pipe('stdout');
    this.pipe('stderr');
    this.child.on('message', (raw) => this.receive(raw));
    this.child.on('error', (err) => {
      // Without a pid the process never started (missing executable…); no 'exit' will follow.
      if (this.child.pid === undefined) this.finish(`cannot start the trainer with ${options.runtime.execPath}: ${err.message}`);
      else this.safeNote(`trainer process: ${err.message}`);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.clearKillTimer();
      // 'close' follows once stdout/stderr are drained; do not wait forever for it.
      this.closeTimer = setTimeout(() => this.finish(this.exitReason(code, signal)), CLOSE_GRACE_MS);
    });
    this.child.on('close', (code, signal) => this.finish(this.exitReason(code, signal)));
    this.send(options.start);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.finished;
  }

  /**
   * Asks the trainer to stop after the current batch; kills it if it has not
   * exited in time. 'shutdown' (the editor going away) has the trainer record
   * the run as interrupted, so it can be resumed.
   */
  stop(reason: 'user' | 'shutdown' = 'user'): void {
    if (this.finished || this.exited) return;
    if (!this.stopRequested) {
      this.stopRequested = true;
      if (!this.send({ type: 'stop', reason })) {
        this.kill();
        return;
      }
    }
    if (!this.killTimer) {
      const timeout = this.options.stopTimeoutMs ?? STOP_TIMEOUT_MS;
      this.killTimer = setTimeout(() => {
        this.killTimer = undefined;
        if (this.exited) return;
        this.killedAfterTimeout = true;
        this.safeNote(`the trainer did not stop within ${Math.round(timeout / 1000)} s; killing it`);
        this.kill();
      }, timeout);
    }
  }

  /**
   * For the editor shutting down: asks for a stop, waits at most `waitMs`,
   * then kills. A run ended this way is recorded as interrupted.
   */
  async shutdown(waitMs: number, reason: string): Promise<void> {
    if (this.finished) return;
    this.interruptReason = reason;
    this.stop('shutdown');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    if (!this.finished) this.kill();
  }

  private kill(): void {
    try {
      this.child.kill(process.platform === 'win32' ? undefined : 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private send(message: HostToTrainerMessage): boolean {
    if (!this.child.connected) return false;
    try {
      this.child.send(message, (err) => {
        if (err) this.safeNote(`could not send '${message.type}' to the trainer: ${err.message}`);
      });
      return true;
    } catch (err) {
      this.safeNote(`could not send '${message.type}' to the trainer: ${(err as Error).message}`);
      return false;
    }
  }

  private pipe(stream: 'stdout' | 'stderr'): void {
    const readable = this.child[stream];
    if (!readable) return;
    const lines = new LineSplitter();
    readable.setEncoding('utf8');
    const emit = (line: string) => {
      if (stream === 'stderr') {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }
      this.safely(() => this.listener.onOutput(stream, line));
    };
    readable.on('data', (chunk: string) => lines.push(chunk).forEach(emit));
    readable.on('end', () => lines.flush().forEach(emit));
    readable.on('error', () => undefined);
  }

  private receive(raw: unknown): void {
    if (this.finished) return;
    if (isTrainerEventBatch(raw)) {
      // The trainer's frequent events sent together: each in order, as if sent one by one.
      for (const event of raw.events) this.receive(event);
      return;
    }
    if (!isTrainerEvent(raw)) {
      this.safeNote(`ignored a malformed message from the trainer: ${truncate(safeJson(raw), 200)}`);
      return;
    }
    this.track(raw);
    this.safely(() => this.listener.onEvent(raw));
  }

  private track(event: TrainerEvent): void {
    this.progress = progressAfter(this.progress, event);
    switch (event.type) {
      case 'runStarted':
        this.runId = event.meta.id;
        this.runDir = event.runDir;
        this.meta = event.meta;
        break;
      case 'metrics':
      case 'epoch':
        break;
      case 'log':
        if (event.level === 'error') this.lastErrorLog = event.message;
        break;
      case 'runEnded':
        this.ended = event.meta;
        this.meta = event.meta;
        break;
      case 'backend':
      case 'stage':
      case 'summary':
      case 'evaluation':
        break;
      default:
        assertNever(event, 'trainer event');
    }
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    if (this.killedAfterTimeout) {
      const seconds = Math.round((this.options.stopTimeoutMs ?? STOP_TIMEOUT_MS) / 1000);
      return `the trainer did not stop within ${seconds} s and was killed`;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const said = this.lastErrorLog ?? this.stderrTail.filter((l) => l.trim()).slice(-3).join(' | ');
    return `the trainer ${how} before finishing the run${said ? `: ${truncate(said, 500)}` : ''}`;
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.clearKillTimer();
    clearTimeout(this.closeTimer);
    let outcome: TrainingOutcome;
    if (this.ended) {
      outcome = { status: this.ended.status, meta: this.ended, reportedByTrainer: true };
    } else {
      const status: RunStatus = this.interruptReason ? 'interrupted' : this.stopRequested ? 'stopped' : 'failed';
      const why = this.interruptReason ?? reason;
      let meta: RunMeta | undefined;
      if (this.runDir) {
        try {
          meta = (this.options.markRunEnded ?? markRunEndedOnDisk)(this.runDir, status, why);
        } catch (err) {
          this.safeNote(`could not record the end of the run: ${(err as Error).message}`);
        }
      }
      this.meta = meta ?? this.meta;
      // The run folder may already say how it ended (the trainer wrote meta.json, then died).
      outcome = { status: meta?.status ?? status, meta, reason: why, reportedByTrainer: false };
      // Everyone listening for `runEnded` (dashboard, status bar) learns how it ended.
      if (meta) this.safely(() => this.listener.onEvent({ type: 'runEnded', meta }));
    }
    this.safely(() => this.listener.onExit(outcome));
    this.resolveDone(outcome);
  }

  private clearKillTimer(): void {
    clearTimeout(this.killTimer);
    this.killTimer = undefined;
  }

  private safeNote(message: string): void {
    this.safely(() => this.listener.onNote(message));
  }

  /** A listener's bug must not break the process bookkeeping. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      console.error('[Model Lab] training listener failed', err);
    }
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
