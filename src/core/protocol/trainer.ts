// host ⇄ trainer child process (child_process IPC). The trainer engine emits
// TrainerEvents; the CLI prints them, the child process forwards them over IPC
// (step metrics batched), the host forwards them to the dashboard.

import type {
  BackendChoice,
  BackendName,
  Evaluation,
  MetricPoint,
  ModelSummary,
  RunMeta,
  StageName,
  StageStatus,
  SweepMembership,
  FoldMembership,
  RetrainSource,
} from '../types';
import { isOneOf } from '../choices';
import type { ThreadRequest } from '../threads';
import { formatLogText } from '../trainerLogTable';
import type { LogText } from '../trainerLogTable';
import { isRecord } from './fields';
import type { SameMembers } from './fields';

// ───────────────────────── host → trainer ─────────────────────────

export interface StartTrainingMessage {
  type: 'start';
  /** Absolute path of the experiment config file. */
  configPath: string;
  /** Absolute path of the folder that holds run folders (…/.modellab/runs). */
  runsDir: string;
  backend: BackendChoice;
  /** Overrides, as from the CLI's --epochs. */
  epochs?: number;
  /** Config values replaced for this run (a sweep point), keyed by config path like "training.optimizer.learningRate". */
  overrides?: Record<string, unknown>;
  /** Set when the run is one point of a sweep; recorded in its meta. */
  sweep?: SweepMembership;
  /** Set when the run is one fold of a cross-validation: it trains on the other folds and validates on this one; recorded in its meta. */
  fold?: FoldMembership;
  /** Set when the run retrains a sweep's best point on train + validation for `retrain.epochs` epochs; recorded in its meta. */
  retrain?: RetrainSource;
  /** Extra folders where a natively installed @tensorflow/tfjs-node may live. */
  nativeModuleDirs?: string[];
  /** The workspace folder of the config: the trainer refuses data and export paths outside it. */
  workspaceRoot?: string;
  /** The user's modelLab.allowPathsOutsideWorkspace (restricted in untrusted workspaces). */
  allowPathsOutsideWorkspace?: boolean;
  /** Carry on this run folder from its checkpoint instead of starting a new run (configPath is then the run's own). */
  resumeRunDir?: string;
  /**
   * What the user asked of the engine's threads besides the config's training.threads (--threads,
   * the modelLab.threads setting, a sweep's concurrency). The trainer decides the count with the
   * config and its own machine's CPUs (src/core/threads.ts) before it starts the backend.
   */
  threads?: ThreadRequest;
}

export interface StopTrainingMessage {
  type: 'stop';
  /** 'shutdown': the editor is closing or reloading — the run is interrupted (resumable), not stopped by the user. */
  reason?: 'user' | 'shutdown';
}

export type HostToTrainerMessage = StartTrainingMessage | StopTrainingMessage;

// ───────────────────────── trainer → host ─────────────────────────

export interface RunStartedEvent {
  type: 'runStarted';
  runDir: string;
  meta: RunMeta;
}
export interface BackendEvent {
  type: 'backend';
  backend: BackendName;
  /** Why a preferred backend was skipped, if one was. */
  fallbackReasons: string[];
  /** The engine threads the run trains with (RunMeta.threads); absent for the native backend, which keeps its own threading. */
  threads?: number;
}
export interface StageEvent {
  type: 'stage';
  stage: StageName;
  status: StageStatus;
  /** In English; with detailId, the dashboard shows it in the editor's language (src/core/trainerLogTable.ts). */
  detail?: string;
  detailId?: LogText['id'];
  detailArgs?: LogText['args'];
}
export interface SummaryEvent {
  type: 'summary';
  summary: ModelSummary;
  /** Rows per split after loading, for the pipeline and the log. */
  dataSizes: { train: number; validation: number; test: number };
}
export interface MetricsEvent {
  type: 'metrics';
  /** Batched: many step points and the epoch points of the interval. */
  points: MetricPoint[];
}
export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  epochs: number;
  logs: Record<string, number>;
  /** Milliseconds the epoch took. */
  millis: number;
}
export interface EvaluationEvent {
  type: 'evaluation';
  evaluation: Evaluation;
}
export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  /** In English: what the CLI prints, and what the dashboard shows of a message without an id. */
  message: string;
  /** A message of src/core/trainerLogTable.ts and its arguments: the dashboard shows it in the editor's language. */
  id?: LogText['id'];
  args?: LogText['args'];
  /** Its line number in the run's log.jsonl (src/core/runLog.ts), once the run has a folder. */
  seq?: number;
}
export interface RunEndedEvent {
  type: 'runEnded';
  meta: RunMeta;
}

export type TrainerEvent =
  | RunStartedEvent
  | BackendEvent
  | StageEvent
  | SummaryEvent
  | MetricsEvent
  | EpochEvent
  | EvaluationEvent
  | LogEvent
  | RunEndedEvent;

/**
 * Trainer events sent as one message: the trainer process holds its frequent
 * events (BATCHED_EVENT_TYPES) and sends them together at most every
 * EVENT_BATCH_MS (src/trainer/childMain.ts); the host takes them in order
 * (src/node/trainingProcess.ts). A model that trains 150 epochs a second sent
 * 300 messages a second, one metrics and one epoch event per epoch, and the
 * extension host spent 6–12% of a core receiving them.
 */
export interface TrainerEventBatch {
  type: 'events';
  events: TrainerEvent[];
}

export type TrainerToHostMessage = TrainerEvent | TrainerEventBatch;

/** The trainer events the trainer process holds back to send together: every other event goes at once, after those held. */
export const BATCHED_EVENT_TYPES: readonly TrainerEvent['type'][] = ['metrics', 'epoch'];
/** The least time between two messages of held events, in milliseconds (the first after a pause goes at once). */
export const EVENT_BATCH_MS = 100;

/** How the trainer's parts report a stage and log a line: in plain text, or by message id. */
export type StageReporter = (name: StageName, status: StageStatus, detail?: string | LogText) => void;
export type TrainerLog = (message: string | LogText, level?: 'info' | 'warn') => void;

/** A log event of a plain message, or of a message by id (its English text filled in). */
export function logEvent(level: LogEvent['level'], message: string | LogText): LogEvent {
  return typeof message === 'string' ? { type: 'log', level, message } : { type: 'log', level, message: formatLogText(message), id: message.id, args: message.args };
}

/** A stage event, its detail plain or by id. */
export function stageEvent(stage: StageName, status: StageStatus, detail?: string | LogText): StageEvent {
  if (detail === undefined || typeof detail === 'string') return { type: 'stage', stage, status, detail };
  return { type: 'stage', stage, status, detail: formatLogText(detail), detailId: detail.id, detailArgs: detail.args };
}

/** Every trainer event type: the one list the guard checks against. */
export const TRAINER_EVENT_TYPES = ['runStarted', 'backend', 'stage', 'summary', 'metrics', 'epoch', 'evaluation', 'log', 'runEnded'] as const;
export type TrainerEventType = (typeof TRAINER_EVENT_TYPES)[number];
// Compiles only while the list names every TrainerEvent, and nothing else.
true satisfies SameMembers<TrainerEventType, TrainerEvent['type']>;

/** Whether a message from the trainer process is a batch of events (each still to be checked with isTrainerEvent). */
export function isTrainerEventBatch(raw: unknown): raw is { type: 'events'; events: unknown[] } {
  return isRecord(raw) && raw.type === 'events' && Array.isArray(raw.events);
}

/** Checks a message that came from the trainer process (trusted code, but a crash can garble it). */
export function isTrainerEvent(raw: unknown): raw is TrainerEvent {
  return isRecord(raw) && isOneOf(TRAINER_EVENT_TYPES, raw.type);
}
