// The trainings running now, one per config, and what they say: a map of
// trainer processes, their events fanned out to the status bar, CodeLenses
// and the dashboard, their output and progress logged to the output channel,
// and the `modelLab.training` context key. Progress has one source, each
// process's `progress` (core/trainingProgress.ts), and one clock,
// `onDidProgress`: the status bar, the notification and the CodeLens redraw
// on the same ticks from the same numbers.

import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { StartTrainingMessage, TrainerEvent } from '../../core/protocol/trainer';
import { assertNever } from '../../core/protocol/fields';
import { ContextKey } from '../shell/commandIds';
import { formatMetric } from '../../core/metrics';
import { TrainingProcess } from '../../node/trainingProcess';
import type { TrainingOutcome } from '../../node/trainingProcess';
import type { TrainerRuntime } from '../../node/trainerRuntime';
import { configKey } from '../editor/workspaceConfigs';
import { Throttle } from '../shell/throttle';

/** How long the editor's shutdown waits for trainers to stop cleanly before killing them. */
const SHUTDOWN_WAIT_MS = 3_000;
/** Progress surfaces redraw at most this often (a fast run finishes many epochs a second), and once more after the last change. */
export const PROGRESS_TICK_MS = 250;

export interface TrainingSession {
  readonly configUri: vscode.Uri;
  /** The experiment's name (from the config), for messages. */
  readonly name: string;
  readonly runsDir: string;
  readonly process: TrainingProcess;
  readonly startedAt: number;
}

export interface TrainingUpdate {
  session: TrainingSession;
  /** The trainer event; absent when the host changed the session (a stop was requested). */
  event?: TrainerEvent;
}

export interface TrainingEnd {
  session: TrainingSession;
  outcome: TrainingOutcome;
}

export interface StartTrainingOptions {
  configUri: vscode.Uri;
  name: string;
  runsDir: string;
  runtime: TrainerRuntime;
  start: StartTrainingMessage;
  /** Tells apart several trainings of one config (a sweep's points); by default one per config. */
  sessionKey?: string;
}

export class TrainingSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, TrainingSession>();
  private readonly updateEmitter = new vscode.EventEmitter<TrainingUpdate>();
  private readonly startEmitter = new vscode.EventEmitter<TrainingSession>();
  private readonly endEmitter = new vscode.EventEmitter<TrainingEnd>();
  /** Every trainer event, after the session's progress fields were updated. */
  readonly onDidUpdate = this.updateEmitter.event;
  readonly onDidStart = this.startEmitter.event;
  readonly onDidEnd = this.endEmitter.event;
  private readonly progressEmitter = new vscode.EventEmitter<void>();
  /**
   * Some training's progress (`session.process.progress`, or a stop request)
   * changed: at most every PROGRESS_TICK_MS, and always once after the last
   * change, so what the surfaces show settles on the latest numbers.
   */
  readonly onDidProgress = this.progressEmitter.event;
  private readonly progressTick = new Throttle(PROGRESS_TICK_MS, () => this.progressEmitter.fire());

  constructor(
    private readonly trainerScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The training of a config; with several (a sweep's points), the one started last. */
  get(configUri: vscode.Uri): TrainingSession | undefined {
    const key = configKey(configUri);
    return this.sessions.get(key) ?? this.all().find((s) => configKey(s.configUri) === key);
  }

  forRun(runId: string | undefined): TrainingSession | undefined {
    if (!runId) return undefined;
    return this.all().find((s) => s.process.runId === runId);
  }

  /** Running sessions, most recently started first. */
  all(): TrainingSession[] {
    return [...this.sessions.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  get size(): number {
    return this.sessions.size;
  }

  start(options: StartTrainingOptions): TrainingSession {
    const key = options.sessionKey ?? configKey(options.configUri);
    const existing = this.sessions.get(key);
    if (existing) return existing;
    const tag = `[${options.name}]`;
    this.log.info(`${tag} starting the trainer with ${options.runtime.execPath} (${options.runtime.source}), backend ${options.start.backend}`);
    for (const note of options.runtime.notes) this.log.info(`${tag} ${note}`);
    let session: TrainingSession | undefined;
    const process = new TrainingProcess(
      {
        trainerScript: this.trainerScript,
        runtime: options.runtime,
        start: options.start,
        // Relative paths the trainer may print or resolve are the config's.
        cwd: dirname(options.configUri.fsPath),
      },
      {
        onEvent: (event) => {
          if (!session) return;
          this.logEvent(tag, event);
          this.updateEmitter.fire({ session, event });
          if (event.type === 'runStarted' || event.type === 'metrics' || event.type === 'epoch' || event.type === 'stage') this.progressTick.schedule();
        },
        onOutput: (stream, line) => (stream === 'stderr' ? this.log.warn(`${tag} ${line}`) : this.log.info(`${tag} ${line}`)),
        onNote: (message) => this.log.warn(`${tag} ${message}`),
        onExit: (outcome) => {
          if (!session) return;
          this.sessions.delete(key);
          this.updateContextKey();
          const how = outcome.reportedByTrainer ? '' : ` (${outcome.reason ?? 'no reason given'})`;
          this.log.info(`${tag} trainer process ended: ${outcome.status}${how}`);
          this.endEmitter.fire({ session, outcome });
        },
      },
    );
    session = { configUri: options.configUri, name: options.name, runsDir: options.runsDir, process, startedAt: Date.now() };
    this.sessions.set(key, session);
    this.updateContextKey();
    this.startEmitter.fire(session);
    return session;
  }

  /** Asks a training to stop (the trainer finishes the batch, records the run, exits). */
  stop(session: TrainingSession): void {
    if (session.process.stopRequested || !session.process.running) return;
    this.log.info(`[${session.name}] stop requested`);
    session.process.stop();
    this.updateEmitter.fire({ session });
    this.progressEmitter.fire();
  }

  /** Stops every training, waiting a little for each to record its end. For deactivation. */
  async shutdown(): Promise<void> {
    await Promise.all(this.all().map((s) => s.process.shutdown(SHUTDOWN_WAIT_MS, 'VS Code closed or reloaded the window during training')));
  }

  private updateContextKey(): void {
    void vscode.commands.executeCommand('setContext', ContextKey.training, this.sessions.size > 0);
  }

  private logEvent(tag: string, event: TrainerEvent): void {
    switch (event.type) {
      case 'runStarted':
        this.log.info(`${tag} run ${event.meta.id} started in ${event.runDir}`);
        break;
      case 'backend':
        this.log.info(`${tag} backend: ${event.backend}${event.fallbackReasons.length ? ` (${event.fallbackReasons.join('; ')})` : ''}`);
        break;
      case 'stage':
        this.log.info(`${tag} ${event.stage}: ${event.status}${event.detail ? ` — ${event.detail}` : ''}`);
        break;
      case 'summary': {
        const { train, validation, test } = event.dataSizes;
        this.log.info(`${tag} model: ${event.summary.totalParams} parameters; data: ${train} train, ${validation} validation, ${test} test rows`);
        break;
      }
      case 'epoch': {
        const logs = Object.entries(event.logs).map(([k, v]) => `${k} ${formatMetric(v)}`).join(' · ');
        this.log.info(`${tag} epoch ${event.epoch}/${event.epochs}: ${logs} (${event.millis} ms)`);
        break;
      }
      case 'evaluation': {
        const metrics = Object.entries(event.evaluation.metrics).map(([k, v]) => `${k} ${formatMetric(v)}`).join(' · ');
        this.log.info(`${tag} evaluation on the ${event.evaluation.split} split (${event.evaluation.count} rows): ${metrics}`);
        break;
      }
      case 'log':
        if (event.level === 'error') this.log.error(`${tag} ${event.message}`);
        else if (event.level === 'warn') this.log.warn(`${tag} ${event.message}`);
        else this.log.info(`${tag} ${event.message}`);
        break;
      case 'runEnded':
        this.log.info(`${tag} run ${event.meta.id} ${event.meta.status}${event.meta.error ? `: ${event.meta.error}` : ''}`);
        break;
      case 'metrics':
        // Batches of step losses: the dashboard draws them; the log would drown in them.
        break;
      default:
        assertNever(event, 'trainer event');
    }
  }

  dispose(): void {
    // VS Code disposes the subscriptions without waiting for deactivate(): killing the trainers
    // here would cut short the stop deactivate() asked for, and the trainer could not record its
    // run as interrupted. The same grace applies; a trainer whose host is gone stops by itself.
    for (const s of this.sessions.values()) void s.process.shutdown(SHUTDOWN_WAIT_MS, 'VS Code closed or reloaded the window during training');
    this.progressTick.dispose();
    this.updateEmitter.dispose();
    this.startEmitter.dispose();
    this.endEmitter.dispose();
    this.progressEmitter.dispose();
  }
}

