// Every message that crosses a process or webview boundary, in one place.
// host ⇄ trainer (child_process IPC) and host ⇄ webview (postMessage).
// Both sides import these constants; messages from the webview are untrusted
// and go through `parseWebviewMessage` before the host acts on them.

import type {
  AttentionResult,
  BackendChoice,
  BackendName,
  Evaluation,
  GenerationResult,
  MetricPoint,
  ModelSummary,
  RunMeta,
  RunSnapshot,
  StageName,
  StageStatus,
  SweepMembership,
} from './types';
import { checkPlaygroundInput } from './prediction';
import type { PlaygroundInput, Prediction, PredictorSignature } from './prediction';

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
  /** Extra folders where a natively installed @tensorflow/tfjs-node may live. */
  nativeModuleDirs?: string[];
  /** The workspace folder of the config: the trainer refuses data and export paths outside it. */
  workspaceRoot?: string;
  /** The user's modelLab.allowPathsOutsideWorkspace (restricted in untrusted workspaces). */
  allowPathsOutsideWorkspace?: boolean;
  /** Carry on this run folder from its checkpoint instead of starting a new run (configPath is then the run's own). */
  resumeRunDir?: string;
}

export interface StopTrainingMessage {
  type: 'stop';
  /** 'shutdown': the editor is closing or reloading — the run is interrupted (resumable), not stopped by the user. */
  reason?: 'user' | 'shutdown';
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
  /** The run's pipeline as Mermaid text (src/core/pipeline.ts), when its config could be read. */
  pipeline?: string;
  /** Whether the shown run can carry on from its checkpoint (interrupted or stopped before its last epoch). */
  resumable?: boolean;
}

/** The shown run ended and can (or cannot) be resumed from its checkpoint. */
export interface DashboardResumableMessage {
  type: 'resumable';
  runId: string;
  resumable: boolean;
}

/** Live update for the shown run. */
export interface DashboardEventMessage {
  type: 'event';
  runId: string;
  event: TrainerEvent;
}

/** The shown run's pipeline text again, now with what the run has learned (its split sizes). */
export interface DashboardPipelineMessage {
  type: 'pipeline';
  runId: string;
  pipeline: string;
}

/** The Transformer run the attention view uses. */
export interface AttentionModelInfo {
  runId: string;
  /** The experiment's name. */
  name: string;
  task: 'classification' | 'language-model';
  /** Chosen by the user (Pin Model for Attention) rather than the latest Transformer run. */
  pinned: boolean;
}

/**
 * What the attention section shows, for the text of the active editor:
 * `noModel` (no Transformer run yet: says how to get one), `noText` (no text
 * file open), `pending` (a request is running; the last result stays drawn),
 * `ready` (with the result), `error`.
 */
export interface DashboardAttentionMessage {
  type: 'attention';
  status: 'noModel' | 'noText' | 'pending' | 'ready' | 'error';
  model?: AttentionModelInfo;
  /** The file the text came from (workspace-relative), and the lines taken (1-based). */
  source?: { file: string; startLine: number; endLine: number; selection: boolean };
  result?: AttentionResult;
  error?: string;
  /** Milliseconds the child spent on the request. */
  millis?: number;
}

/** The answer to a `generate` request from the page. */
export interface DashboardGeneratedMessage {
  type: 'generated';
  requestId: number;
  result?: GenerationResult;
  error?: string;
  millis?: number;
}

export type HostToWebviewMessage =
  | DashboardStateMessage
  | DashboardEventMessage
  | DashboardPipelineMessage
  | DashboardResumableMessage
  | DashboardAttentionMessage
  | DashboardGeneratedMessage
  | DashboardPredictionMessage;

/** The answer to a predict-playground request (`describeModel` or `predict`) for the shown run. */
export interface DashboardPredictionMessage {
  type: 'prediction';
  requestId: number;
  runId: string;
  /** What the model takes: the playground builds its form from this. */
  signature?: PredictorSignature;
  /** Tabular models and text classifiers: the prediction for the one input. */
  prediction?: Prediction;
  error?: string;
  /** Time spent in the inference process. */
  millis?: number;
}

// ───────────────────────── webview → host (untrusted) ─────────────────────────

export type WebviewToHostMessage =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'train' }
  | { type: 'openRun'; runId: string }
  | { type: 'revealRunFolder'; runId: string }
  /** The application stage's actions: Export Run… and Deploy Run for the shown run. */
  | { type: 'exportRun'; runId: string }
  | { type: 'deployRun'; runId: string }
  /** Resume the shown run from its checkpoint. */
  | { type: 'resumeRun'; runId: string }
  | { type: 'revealConfigSection'; section: StageName }
  | { type: 'pinAttentionModel' }
  | DashboardGenerateRequest
  | { type: 'cancelGenerate'; requestId: number }
  /** The predict playground (the application stage): the shown run's model inputs, then a prediction. */
  | { type: 'describeModel'; requestId: number }
  | { type: 'predict'; requestId: number; input: PlaygroundInput };

/** Generation with the attention view's language model, asked for from the dashboard. */
export interface DashboardGenerateRequest {
  type: 'generate';
  requestId: number;
  prompt: string;
  length: number;
  temperature: number;
  topK: number;
}

/** Bounds the host accepts for a dashboard `generate` request. */
export const GENERATE_LIMITS = {
  promptChars: 10_000,
  length: { min: 1, max: 2000 },
  temperature: { min: 0, max: 5 },
  topK: { min: 0, max: 10_000 },
} as const;

/** The sections a pipeline node can reveal: one per stage. */
export const CONFIG_SECTIONS: readonly StageName[] = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** A message's `type` for a log line. Never String(x): an object such as { toString: 1 } makes that throw. */
function typeName(type: unknown): string {
  return typeof type === 'string' ? type.slice(0, 60) : `(${type === null ? 'null' : typeof type})`;
}

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
    case 'pinAttentionModel':
      if (keys.length !== 1) return `unexpected fields in '${msg.type}' message: ${keys.filter((k) => k !== 'type').join(', ')}`;
      return { type: msg.type };
    case 'openRun':
    case 'revealRunFolder':
    case 'exportRun':
    case 'deployRun':
    case 'resumeRun': {
      if (keys.length !== 2) return `'${msg.type}' takes exactly one field, runId`;
      if (typeof msg.runId !== 'string' || !RUN_ID.test(msg.runId)) return `'${msg.type}': runId is not a run id`;
      return { type: msg.type, runId: msg.runId };
    }
    case 'revealConfigSection': {
      if (keys.length !== 2 || !keys.includes('section')) return `'revealConfigSection' takes exactly one field, section`;
      const section = CONFIG_SECTIONS.find((s) => s === msg.section);
      if (!section) return `'revealConfigSection': section must be one of ${CONFIG_SECTIONS.join(', ')}`;
      return { type: 'revealConfigSection', section };
    }
    case 'generate':
      return parseGenerateRequest(msg);
    case 'cancelGenerate': {
      const bad = exactFields(msg, ['requestId']);
      if (bad) return bad;
      if (!isRequestId(msg.requestId)) return `'cancelGenerate': requestId is not a whole number`;
      return { type: 'cancelGenerate', requestId: msg.requestId };
    }
    case 'describeModel':
    case 'predict':
      return parsePlaygroundMessage(msg);
    default:
      return `unknown message type ${JSON.stringify(typeName(msg.type)).slice(0, 60)}`;
  }
}

function isRequestId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseGenerateRequest(msg: Record<string, unknown>): DashboardGenerateRequest | string {
  const bad = exactFields(msg, ['requestId', 'prompt', 'length', 'temperature', 'topK']);
  if (bad) return bad;
  const { requestId, prompt, length, temperature, topK } = msg;
  const L = GENERATE_LIMITS;
  if (!isRequestId(requestId)) return `'generate': requestId is not a whole number`;
  if (typeof prompt !== 'string' || prompt.length > L.promptChars) return `'generate': prompt must be a string of at most ${L.promptChars} characters`;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < L.length.min || length > L.length.max) {
    return `'generate': length must be a whole number in [${L.length.min}, ${L.length.max}]`;
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < L.temperature.min || temperature > L.temperature.max) {
    return `'generate': temperature must be a number in [${L.temperature.min}, ${L.temperature.max}]`;
  }
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < L.topK.min || topK > L.topK.max) {
    return `'generate': topK must be a whole number in [${L.topK.min}, ${L.topK.max}]`;
  }
  return { type: 'generate', requestId, prompt, length, temperature, topK };
}

/** Checks a playground message (`describeModel`, `predict`) from the webview; the rest of parseWebviewMessage's rules apply. */
export function parsePlaygroundMessage(msg: Record<string, unknown>): WebviewToHostMessage | string {
  const keys = Object.keys(msg);
  if (msg.type === 'describeModel') {
    if (keys.length !== 2 || !keys.includes('requestId')) return `'describeModel' takes exactly one field, requestId`;
    if (!isRequestId(msg.requestId)) return `'describeModel': requestId is not a whole number`;
    return { type: 'describeModel', requestId: msg.requestId };
  }
  const extra = keys.filter((k) => k !== 'type' && k !== 'requestId' && k !== 'input');
  if (extra.length > 0) return `unexpected fields in 'predict' message: ${extra.join(', ')}`;
  if (!isRequestId(msg.requestId)) return `'predict': requestId is not a whole number`;
  if (!('input' in msg)) return `'predict': input is missing`;
  const input = checkPlaygroundInput(msg.input);
  if (typeof input === 'string' && (typeof msg.input !== 'string' || input !== msg.input)) return `'predict': ${input}`;
  return { type: 'predict', requestId: msg.requestId, input };
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

// ───────────────────────── compare panel (host ⇄ webview) ─────────────────────────
// The comparison webview gets each run's flattened parameters and final
// metrics once, then asks for curves; the host smooths and downsamples them
// (a run may have logged millions of points) before answering.

export type CompareXAxis = 'step' | 'epoch' | 'time';
/** A flattened config value: what a table cell shows. */
export type ParamValue = string | number | boolean | null;

export interface CompareRun {
  id: string;
  name: string;
  /** Short label for legends and column headers (time of the run, or its sweep point). */
  label: string;
  status: RunMeta['status'];
  createdAt: string;
  backend?: BackendName;
  /** The resolved config (config.json), flattened to dotted paths. */
  params: Record<string, ParamValue>;
  /** Final epoch logs, then evaluation metrics as `evaluation.<name>`. */
  final: Record<string, number>;
  /** Metric points logged (step and epoch). */
  points: number;
  sweep?: { id: string; index: number; total: number };
  /** The best run of its sweep (as the sidebar marks it). */
  best?: boolean;
  warnings?: string[];
}

export interface CompareStateMessage {
  type: 'compareState';
  runs: CompareRun[];
  /** Base metric names with curves in at least one run (loss, mae, …; `val_` twins are drawn with them). */
  metrics: string[];
  strings?: Record<string, string>;
}

export interface CompareSeries {
  runId: string;
  /** The metric key: `loss`, `val_loss`, … */
  key: string;
  /** Batch-level (step) or epoch-level points. */
  kind: 'step' | 'epoch';
  /** An EMA-smoothed twin of the raw series (smoothed before downsampling). */
  smoothed: boolean;
  x: number[];
  y: number[];
  /** Points before downsampling. */
  rawCount: number;
}

export interface CompareSeriesMessage {
  type: 'compareSeries';
  /** Echoes the request, so answers to superseded requests can be dropped. */
  requestId: number;
  metric: string;
  xAxis: CompareXAxis;
  smoothing: number;
  series: CompareSeries[];
}

export type HostToCompareMessage = CompareStateMessage | CompareSeriesMessage;

export interface CompareSeriesRequest {
  type: 'requestSeries';
  requestId: number;
  metric: string;
  xAxis: CompareXAxis;
  smoothing: number;
  /** Points per series the chart can show (about 4 per pixel column). */
  maxPoints: number;
}

export type CompareToHostMessage =
  | { type: 'ready' }
  | { type: 'exportCsv' }
  | CompareSeriesRequest
  | { type: 'exportPng'; dataUrl: string }
  | { type: 'openRun'; runId: string }
  | { type: 'removeRun'; runId: string };

/** Every message type the compare webview may send. */
export const CompareMessageType = {
  ready: 'ready',
  exportCsv: 'exportCsv',
  requestSeries: 'requestSeries',
  exportPng: 'exportPng',
  openRun: 'openRun',
  removeRun: 'removeRun',
} as const satisfies Record<string, CompareToHostMessage['type']>;

export const COMPARE_MAX_POINTS = { min: 100, max: 50_000 } as const;
/** An exported chart is a PNG of a few hundred KB; anything far larger is not one. */
export const COMPARE_MAX_PNG_DATA_URL = 40 * 1024 * 1024;
export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
const METRIC_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

function exactFields(msg: Record<string, unknown>, fields: readonly string[]): string | undefined {
  const extra = Object.keys(msg).filter((k) => k !== 'type' && !fields.includes(k));
  if (extra.length) return `unexpected fields in '${typeName(msg.type)}' message: ${extra.join(', ')}`;
  const missing = fields.filter((f) => !(f in msg));
  if (missing.length) return `'${typeName(msg.type)}' lacks ${missing.join(', ')}`;
  return undefined;
}

/**
 * Checks a message that came from the compare webview. Returns the typed
 * message, or a string saying why it was rejected (logged, never acted upon).
 */
export function parseCompareMessage(raw: unknown): CompareToHostMessage | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'message is not an object';
  const msg = raw as Record<string, unknown>;
  switch (msg.type) {
    case CompareMessageType.ready:
    case CompareMessageType.exportCsv:
      return exactFields(msg, []) ?? { type: msg.type };
    case CompareMessageType.openRun:
    case CompareMessageType.removeRun: {
      const bad = exactFields(msg, ['runId']);
      if (bad) return bad;
      if (typeof msg.runId !== 'string' || !RUN_ID.test(msg.runId)) return `'${msg.type}': runId is not a run id`;
      return { type: msg.type, runId: msg.runId };
    }
    case CompareMessageType.requestSeries: {
      const bad = exactFields(msg, ['requestId', 'metric', 'xAxis', 'smoothing', 'maxPoints']);
      if (bad) return bad;
      const { requestId, metric, xAxis, smoothing, maxPoints } = msg;
      if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId) || requestId < 0) return `'requestSeries': requestId is not a whole number`;
      if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) return `'requestSeries': metric is not a metric name`;
      if (xAxis !== 'step' && xAxis !== 'epoch' && xAxis !== 'time') return `'requestSeries': xAxis must be step, epoch or time`;
      if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) return `'requestSeries': smoothing must be in [0, 1)`;
      if (typeof maxPoints !== 'number' || !Number.isInteger(maxPoints) || maxPoints < COMPARE_MAX_POINTS.min || maxPoints > COMPARE_MAX_POINTS.max) {
        return `'requestSeries': maxPoints must be a whole number in [${COMPARE_MAX_POINTS.min}, ${COMPARE_MAX_POINTS.max}]`;
      }
      return { type: 'requestSeries', requestId, metric, xAxis, smoothing, maxPoints };
    }
    case CompareMessageType.exportPng: {
      const bad = exactFields(msg, ['dataUrl']);
      if (bad) return bad;
      const { dataUrl } = msg;
      if (typeof dataUrl !== 'string' || !dataUrl.startsWith(PNG_DATA_URL_PREFIX)) return `'exportPng': dataUrl is not a PNG data URL`;
      if (dataUrl.length > COMPARE_MAX_PNG_DATA_URL) return `'exportPng': dataUrl is larger than ${COMPARE_MAX_PNG_DATA_URL} characters`;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(dataUrl.slice(PNG_DATA_URL_PREFIX.length))) return `'exportPng': dataUrl is not base64`;
      return { type: 'exportPng', dataUrl };
    }
    default:
      return `unknown message type ${JSON.stringify(typeName(msg.type)).slice(0, 60)}`;
  }
}

// ───────────────────────── host ⇄ inference child ─────────────────────────
// The trainer entry (dist/trainer.js) also serves as a long-lived inference
// process: the host forks it once and sends requests; the child keeps the
// models it loaded (reloading one when its model.json changes) and answers
// each request exactly once, in order, with a result or an error, matched by
// requestId. Attention never runs in the extension host. A process that got
// inference requests can still be sent a 'start', but training is best left
// to its own process.

interface InferenceRequestBase {
  /** Chosen by the host, echoed in the reply. */
  requestId: number;
  /** A run folder or its model/ folder. */
  modelDir: string;
  /** Backend to start on the first request (later ones reuse it). Default 'auto'. */
  backend?: BackendChoice;
  nativeModuleDirs?: string[];
}

export interface AttentionRequestMessage extends InferenceRequestBase {
  type: 'attention';
  text: string;
  /** Tokens taken from the start of `text` (capped by the model's maxLength). Default 128. */
  maxTokens?: number;
}

export interface GenerateRequestMessage extends InferenceRequestBase {
  type: 'generate';
  prompt: string;
  length?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
}

/** Drops a queued request or stops a running generation; its reply is an InferenceErrorMessage with `cancelled: true`. */
export interface CancelInferenceMessage {
  type: 'cancelInference';
  requestId: number;
}

/** Predicts `instances` (raw rows, or texts for a text classifier); with none, only describes the model. */
export interface PredictRequestMessage extends InferenceRequestBase {
  type: 'predict';
  instances: unknown[];
}

export type HostToInferenceMessage = AttentionRequestMessage | GenerateRequestMessage | PredictRequestMessage | CancelInferenceMessage;

export interface AttentionResultMessage {
  type: 'attentionResult';
  requestId: number;
  /** The model folder used. */
  modelDir: string;
  result: AttentionResult;
  /** Time spent on this request in the child (loading a model included). */
  millis: number;
  backend: BackendName;
}

export interface GenerateResultMessage {
  type: 'generateResult';
  requestId: number;
  modelDir: string;
  result: GenerationResult;
  millis: number;
  backend: BackendName;
}

export interface InferenceErrorMessage {
  type: 'inferenceError';
  requestId: number;
  message: string;
  /** The request was cancelled, not failed. */
  cancelled?: boolean;
}

export interface PredictResultMessage {
  type: 'predictResult';
  requestId: number;
  modelDir: string;
  signature: PredictorSignature;
  predictions: Prediction[];
  millis: number;
  backend: BackendName;
}

export type InferenceToHostMessage = AttentionResultMessage | GenerateResultMessage | PredictResultMessage | InferenceErrorMessage;

export const InferenceMessageType = {
  attention: 'attention',
  generate: 'generate',
  cancelInference: 'cancelInference',
  attentionResult: 'attentionResult',
  generateResult: 'generateResult',
  inferenceError: 'inferenceError',
  predict: 'predict',
  predictResult: 'predictResult',
} as const satisfies Record<string, HostToInferenceMessage['type'] | InferenceToHostMessage['type']>;

/** Checks a reply from the inference child (separate from isTrainerEvent, which training consumers use). */
export function isInferenceResponse(raw: unknown): raw is InferenceToHostMessage {
  if (typeof raw !== 'object' || raw === null) return false;
  const m = raw as { type?: unknown; requestId?: unknown };
  if (typeof m.requestId !== 'number') return false;
  return (
    m.type === InferenceMessageType.attentionResult ||
    m.type === InferenceMessageType.generateResult ||
    m.type === InferenceMessageType.predictResult ||
    m.type === InferenceMessageType.inferenceError
  );
}

/** Checks a request that reached the child; returns it typed, or why it was rejected. */
export function parseInferenceRequest(raw: unknown): HostToInferenceMessage | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'message is not an object';
  const m = raw as Record<string, unknown>;
  if (typeof m.requestId !== 'number' || !Number.isSafeInteger(m.requestId)) return `'${typeName(m.type)}': requestId is not a whole number`;
  const optionalNumber = (name: string) => m[name] === undefined || (typeof m[name] === 'number' && Number.isFinite(m[name]));
  switch (m.type) {
    case InferenceMessageType.cancelInference:
      return { type: 'cancelInference', requestId: m.requestId };
    case InferenceMessageType.attention:
    case InferenceMessageType.generate: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'${m.type}': modelDir is not a path`;
      if (m.type === 'attention' && typeof m.text !== 'string') return `'attention': text is not a string`;
      if (m.type === 'generate' && typeof m.prompt !== 'string') return `'generate': prompt is not a string`;
      for (const n of ['maxTokens', 'length', 'temperature', 'topK', 'seed']) if (!optionalNumber(n)) return `'${m.type}': ${n} is not a number`;
      return m as unknown as AttentionRequestMessage | GenerateRequestMessage;
    }
    case InferenceMessageType.predict: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'predict': modelDir is not a path`;
      if (!Array.isArray(m.instances)) return `'predict': instances is not an array`;
      return m as unknown as PredictRequestMessage;
    }
    default:
      return `unknown message type ${JSON.stringify(typeName(m.type)).slice(0, 60)}`;
  }
}
