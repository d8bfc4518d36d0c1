// Every message that crosses a process or webview boundary, in one place.
// host ⇄ trainer (child_process IPC) and host ⇄ webview (postMessage).
// Both sides import these constants; messages from the webview are untrusted
// and go through `parseWebviewMessage` before the host acts on them.

import type {
  BackendChoice,
  BackendName,
  Evaluation,
  MetricPoint,
  ModelSummary,
  RunMeta,
  RunSnapshot,
  StageName,
  StageStatus,
} from './types';

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
  /** Extra folders where a natively installed @tensorflow/tfjs-node may live. */
  nativeModuleDirs?: string[];
}

export interface StopTrainingMessage {
  type: 'stop';
}

export type HostToTrainerMessage = StartTrainingMessage | StopTrainingMessage;

// ───────────────────────── trainer → host ─────────────────────────
// The trainer engine emits these as events; the CLI prints them, the child
// process forwards them over IPC (step metrics batched), the host forwards
// them to the dashboard.

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
}
export interface StageEvent {
  type: 'stage';
  stage: StageName;
  status: StageStatus;
  detail?: string;
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
  message: string;
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

export type TrainerToHostMessage = TrainerEvent;

// ───────────────────────── host → webview ─────────────────────────

export interface DashboardStateMessage {
  type: 'state';
  /** The run shown, or null when the workspace has none yet. */
  run: RunSnapshot | null;
  /** Whether a training process is running for the shown run. */
  training: boolean;
  /** Localized UI strings keyed by id, so the webview needs no l10n runtime. */
  strings?: Record<string, string>;
}

/** Live update for the shown run. */
export interface DashboardEventMessage {
  type: 'event';
  runId: string;
  event: TrainerEvent;
}

export type HostToWebviewMessage = DashboardStateMessage | DashboardEventMessage;

// ───────────────────────── webview → host (untrusted) ─────────────────────────

export type WebviewToHostMessage =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'train' }
  | { type: 'openRun'; runId: string }
  | { type: 'revealRunFolder'; runId: string };

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Checks a message that came from a webview. Returns the typed message, or a
 * string saying why it was rejected (logged by the host, never acted upon).
 */
export function parseWebviewMessage(raw: unknown): WebviewToHostMessage | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'message is not an object';
  const msg = raw as Record<string, unknown>;
  const keys = Object.keys(msg);
  switch (msg.type) {
    case 'ready':
    case 'stop':
    case 'train':
      if (keys.length !== 1) return `unexpected fields in '${msg.type}' message: ${keys.filter((k) => k !== 'type').join(', ')}`;
      return { type: msg.type };
    case 'openRun':
    case 'revealRunFolder': {
      if (keys.length !== 2) return `'${msg.type}' takes exactly one field, runId`;
      if (typeof msg.runId !== 'string' || !RUN_ID.test(msg.runId)) return `'${msg.type}': runId is not a run id`;
      return { type: msg.type, runId: msg.runId };
    }
    default:
      return `unknown message type ${JSON.stringify(String(msg.type)).slice(0, 60)}`;
  }
}

/** Checks a message that came from the trainer process (trusted code, but a crash can garble it). */
export function isTrainerEvent(raw: unknown): raw is TrainerEvent {
  if (typeof raw !== 'object' || raw === null) return false;
  const t = (raw as { type?: unknown }).type;
  return (
    t === 'runStarted' || t === 'backend' || t === 'stage' || t === 'summary' || t === 'metrics' ||
    t === 'epoch' || t === 'evaluation' || t === 'log' || t === 'runEnded'
  );
}
