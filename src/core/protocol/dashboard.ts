// host ⇄ dashboard webview (postMessage). Messages from the webview are
// untrusted and go through `parseWebviewMessage` before the host acts on them.

import { SALIENCY_METHODS } from '../types';
import type { AttentionResult, GenerationResult, RunSnapshot, SaliencyMethod, SaliencyResult, StageName, StageStatus } from '../types';
import { checkPlaygroundInput } from '../prediction';
import type { PlaygroundInput, Prediction, PredictorSignature } from '../prediction';
import { isOneOf } from '../choices';
import { exactFields, isIntegerIn, isNumberIn, isRecord, isRequestId, isRunId, unknownType } from './fields';
import type { TrainerEvent } from './trainer';
import { PROJECTIONS } from '../projection';
import type { EmbeddingProjection, ProjectionMethod } from '../projection';
import type { RowPrediction, RowPredictionSummary, RowScope } from '../rowPredictions';
import type { LayerDistributions } from '../distributions';
import { FILL_MASK_LIMITS } from '../fillMask';
import type { FillMaskResult } from '../fillMask';

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
  /** Set while the shown run is followed from its files (a cluster job, queued or running): the host re-sends the state when they change. */
  follow?: DashboardFollow;
  /** The shown run is a fold of a cross-validation: its folds' epoch curves as mean ± std bands. */
  foldBand?: DashboardFoldBand;
}

/** A cross-validation's folds on the shown fold's charts: per epoch metric, the folds' mean ± std at each epoch two or more reached. */
export interface DashboardFoldBand {
  groupId: string;
  k: number;
  series: FoldEpochBand[];
}

export interface FoldEpochBand {
  key: string;
  epochs: number[];
  /** The shown run's step at each epoch (null where it has not reached that epoch), for the step axis. */
  steps: (number | null)[];
  mean: number[];
  std: number[];
  /** How many folds reached each epoch. */
  folds: number[];
}

/** A run followed from its files: its scheduler job and when its files last changed ("updated N s ago"). */
export interface DashboardFollow {
  jobId: string;
  /** Why a queued job waits, as the scheduler says. */
  reason?: string;
  /** The node a running job runs on. */
  node?: string;
  /** When the run's files last changed (ms since the epoch). */
  updatedAt: number;
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

/** Live updates for the shown run, several at once in the order the trainer sent them (a fast run's events are sent a few times a second). */
export interface DashboardEventsMessage {
  type: 'events';
  runId: string;
  events: TrainerEvent[];
}

/** The shown run's pipeline text again, now with what the run has learned (its split sizes). */
export interface DashboardPipelineMessage {
  type: 'pipeline';
  runId: string;
  pipeline: string;
  /** The deployment and application stages as they are now (deploymentStages): an export or a server started since the run ended. */
  stages?: Partial<Record<StageName, StageStatus>>;
}

/** The Transformer run the attention view uses. */
export interface AttentionModelInfo {
  runId: string;
  /** The experiment's name. */
  name: string;
  task: 'classification' | 'regression' | 'language-model' | 'masked-language-model';
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
  /** A fine-tuned run's base (meta.base) with attention, and its attention over the same text (#17 "What changed"). */
  base?: AttentionBaseInfo;
}

/** The base of the attention view's run: which it is and its attention over the same text (pending while the child computes it). */
export interface AttentionBaseInfo {
  kind: 'run' | 'export';
  /** The base run's id, or the export folder's name. */
  label: string;
  status: 'pending' | 'ready' | 'error';
  result?: AttentionResult;
  error?: string;
}

/** The answer to a `generate` request from the page. */
export interface DashboardGeneratedMessage {
  type: 'generated';
  requestId: number;
  result?: GenerationResult;
  error?: string;
  millis?: number;
}

/** The answer to a `fillMask` request: the shown masked-language model's top tokens at each mask, or why not. */
export interface DashboardFilledMaskMessage {
  type: 'filledMask';
  requestId: number;
  runId: string;
  result?: FillMaskResult;
  error?: string;
  /** Time spent in the inference process. */
  millis?: number;
}

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

/** The answer to a projector request: the shown run's embedding table in 2-D, or why not. */
export interface DashboardEmbeddingsMessage {
  type: 'embeddings';
  requestId: number;
  runId: string;
  result?: EmbeddingProjection;
  error?: string;
  /** Time spent in the inference process. */
  millis?: number;
}

/** The rows of a run's data file where its model errs most (from the editor's row predictions), for the dashboard's list. */
export interface DashboardWorstRowsMessage {
  type: 'worstRows';
  runId: string;
  /** The data file's name, as the list's title shows it. */
  file: string;
  scope: RowScope;
  rows: RowPrediction[];
  scopeRows: number;
  summary?: RowPredictionSummary;
}

/** The image classifier run the saliency view uses. */
export interface SaliencyModelInfo {
  runId: string;
  /** The experiment's name. */
  name: string;
  /** Chosen by the user rather than the latest image classifier run. */
  pinned: boolean;
}

/**
 * What the saliency section shows for the image open in the editor:
 * `noModel` (an image is open but there is no image classifier run yet),
 * `noImage` (there is a model but no image is open), `pending` (a request
 * runs; the last result stays drawn), `ready`, `error`. The page shows the
 * section once it gets one of these.
 */
export interface DashboardSaliencyMessage {
  type: 'saliency';
  status: 'noModel' | 'noImage' | 'pending' | 'ready' | 'error';
  model?: SaliencyModelInfo;
  /** The image: its path (workspace-relative) and a URI the page can load it from (a webview resource, or data:). */
  source?: { file: string; uri: string };
  /** The method asked for. */
  method: SaliencyMethod;
  result?: SaliencyResult;
  error?: string;
  /** Milliseconds the child spent on the request. */
  millis?: number;
}

/**
 * Where the shown run's evaluation images are: `base` is the webview URI of
 * the run's config folder (the paths in `evaluation.images` are relative to
 * it), without a trailing slash.
 */
export interface DashboardImageRootMessage {
  type: 'imageRoot';
  runId: string;
  base: string;
  /** Images the evaluation lists by absolute path (outside the config's folder), by that path: their webview URIs. */
  files?: Record<string, string>;
}

/** The shown run's weight and gradient distributions (distributions.jsonl, thinned to a bounded number of epochs), sent with its state and after each epoch. */
export interface DashboardDistributionsMessage {
  type: 'distributions';
  runId: string;
  lines: LayerDistributions[];
}

export type HostToWebviewMessage =
  | DashboardDistributionsMessage
  | DashboardSaliencyMessage
  | DashboardImageRootMessage
  | DashboardStateMessage
  | DashboardEventMessage
  | DashboardEventsMessage
  | DashboardPipelineMessage
  | DashboardResumableMessage
  | DashboardAttentionMessage
  | DashboardGeneratedMessage
  | DashboardFilledMaskMessage
  | DashboardPredictionMessage
  | DashboardEmbeddingsMessage
  | DashboardWorstRowsMessage;

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
  /** Choose the image classifier run the saliency view uses. */
  | { type: 'pinSaliencyModel' }
  | DashboardGenerateRequest
  | { type: 'cancelGenerate'; requestId: number }
  /** The predict playground (the application stage): the shown run's model inputs, then a prediction. */
  | { type: 'describeModel'; requestId: number }
  | { type: 'predict'; requestId: number; input: PlaygroundInput }
  /** The fill-mask box of a masked-language-model run: the sentence typed, with its [MASK]s (a newer request cancels an older one). */
  | { type: 'fillMask'; requestId: number; text: string }
  /** Open one of the shown run's evaluation images (a path as its evaluation lists it: relative to the config's folder, or absolute) in the editor. */
  | { type: 'openImage'; runId: string; file: string }
  /** The saliency view's method switch: compute the open image's map again with this method. */
  | { type: 'saliencyMethod'; method: SaliencyMethod }
  /** The embedding projector: the shown run's table (default: its last) laid out by this method. */
  | { type: 'projectEmbeddings'; requestId: number; method: ProjectionMethod; table?: string }
  /** Reveal the worst-rows list's row `index` in its data file. */
  | { type: 'revealWorstRow'; index: number };

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

/** The dashboard's messages that carry nothing but their type. */
const BARE_TYPES = ['ready', 'stop', 'train', 'pinAttentionModel', 'pinSaliencyModel'] as const;
/** The dashboard's messages that name one run and nothing else. */
const RUN_TYPES = ['openRun', 'revealRunFolder', 'exportRun', 'deployRun', 'resumeRun'] as const;

/**
 * Checks a message that came from a webview. Returns the typed message, or a
 * string saying why it was rejected (logged by the host, never acted upon).
 */
export function parseWebviewMessage(raw: unknown): WebviewToHostMessage | string {
  if (!isRecord(raw)) return 'message is not an object';
  const msg = raw;
  const type = msg.type;
  if (isOneOf(BARE_TYPES, type)) return exactFields(msg, []) ?? { type };
  if (isOneOf(RUN_TYPES, type)) {
    const bad = exactFields(msg, ['runId']);
    if (bad) return bad;
    if (!isRunId(msg.runId)) return `'${type}': runId is not a run id`;
    return { type, runId: msg.runId };
  }
  switch (type) {
    case 'revealConfigSection': {
      const bad = exactFields(msg, ['section']);
      if (bad) return bad;
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
    case 'fillMask': {
      const bad = exactFields(msg, ['requestId', 'text']);
      if (bad) return bad;
      if (!isRequestId(msg.requestId)) return `'fillMask': requestId is not a whole number`;
      if (typeof msg.text !== 'string' || msg.text.length > FILL_MASK_LIMITS.textChars) return `'fillMask': text must be a string of at most ${FILL_MASK_LIMITS.textChars} characters`;
      return { type: 'fillMask', requestId: msg.requestId, text: msg.text };
    }
    case 'openImage': {
      const bad = exactFields(msg, ['runId', 'file']);
      if (bad) return bad;
      if (!isRunId(msg.runId)) return `'openImage': runId is not a run id`;
      if (!isEvaluationImagePath(msg.file)) return `'openImage': file must be the path of a PNG or JPEG file as the evaluation lists it`;
      return { type: 'openImage', runId: msg.runId, file: msg.file };
    }
    case 'saliencyMethod': {
      const bad = exactFields(msg, ['method']);
      if (bad) return bad;
      if (!isOneOf(SALIENCY_METHODS, msg.method)) return `'saliencyMethod': method must be one of ${SALIENCY_METHODS.join(', ')}`;
      return { type: 'saliencyMethod', method: msg.method };
    }
    case 'revealWorstRow': {
      const bad = exactFields(msg, ['index']);
      if (bad) return bad;
      if (!isIntegerIn(msg.index, 0, 99)) return `'revealWorstRow': index must be a whole number from 0 to 99`;
      return { type: 'revealWorstRow', index: msg.index as number };
    }
    case 'projectEmbeddings': {
      const bad = exactFields(msg, ['requestId', 'method'], ['table']);
      if (bad) return bad;
      if (!isRequestId(msg.requestId)) return `'projectEmbeddings': requestId is not a whole number`;
      if (!isOneOf(PROJECTIONS, msg.method)) return `'projectEmbeddings': method must be one of ${PROJECTIONS.join(', ')}`;
      if (msg.table !== undefined && (typeof msg.table !== 'string' || !/^[a-z]{1,40}$/.test(msg.table))) return `'projectEmbeddings': table must be a table's name (users, items, tokens)`;
      return { type: 'projectEmbeddings', requestId: msg.requestId, method: msg.method, ...(msg.table !== undefined ? { table: msg.table } : {}) };
    }
    default:
      return unknownType(type);
  }
}

/** Longest image path the page may name. */
export const IMAGE_PATH_MAX_CHARS = 1000;
const IMAGE_EXTENSION = /\.(png|jpe?g|jpe|jfif)$/i;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/])/;

/**
 * A path relative to a config's folder that stays inside it: forward slashes,
 * no empty, `.` or `..` segment, no drive or scheme, no control characters,
 * ending in .png, .jpg, .jpeg, .jpe or .jfif. (The host still opens only a file the run's
 * evaluation lists.)
 */
export function isRelativeImagePath(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > IMAGE_PATH_MAX_CHARS) return false;
  if (CONTROL_CHARACTERS.test(v) || /[\\:]/.test(v) || v.startsWith('/') || !IMAGE_EXTENSION.test(v)) return false;
  return v.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * A path as an image classifier's evaluation lists an image: relative to the
 * config's folder (isRelativeImagePath), or absolute (`/…`, `C:\…`) for an
 * image outside it, without `.` or `..` segments. The host opens it only when
 * the evaluation lists it and it is inside the workspace.
 */
export function isEvaluationImagePath(v: unknown): v is string {
  if (typeof v !== 'string' || !ABSOLUTE_PATH.test(v)) return isRelativeImagePath(v);
  if (v.length > IMAGE_PATH_MAX_CHARS || CONTROL_CHARACTERS.test(v) || !IMAGE_EXTENSION.test(v)) return false;
  const segments = v.replace(ABSOLUTE_PATH, '').split(/[\\/]/);
  return segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function parseGenerateRequest(msg: Record<string, unknown>): DashboardGenerateRequest | string {
  const bad = exactFields(msg, ['requestId', 'prompt', 'length', 'temperature', 'topK']);
  if (bad) return bad;
  const { requestId, prompt, length, temperature, topK } = msg;
  const L = GENERATE_LIMITS;
  if (!isRequestId(requestId)) return `'generate': requestId is not a whole number`;
  if (typeof prompt !== 'string' || prompt.length > L.promptChars) return `'generate': prompt must be a string of at most ${L.promptChars} characters`;
  if (!isIntegerIn(length, L.length.min, L.length.max)) return `'generate': length must be a whole number in [${L.length.min}, ${L.length.max}]`;
  if (!isNumberIn(temperature, L.temperature.min, L.temperature.max)) {
    return `'generate': temperature must be a number in [${L.temperature.min}, ${L.temperature.max}]`;
  }
  if (!isIntegerIn(topK, L.topK.min, L.topK.max)) return `'generate': topK must be a whole number in [${L.topK.min}, ${L.topK.max}]`;
  return { type: 'generate', requestId, prompt, length, temperature, topK };
}

/** Checks a playground message (`describeModel`, `predict`) from the webview; the rest of parseWebviewMessage's rules apply. */
export function parsePlaygroundMessage(msg: Record<string, unknown>): WebviewToHostMessage | string {
  if (msg.type === 'describeModel') {
    const bad = exactFields(msg, ['requestId']);
    if (bad) return bad;
    if (!isRequestId(msg.requestId)) return `'describeModel': requestId is not a whole number`;
    return { type: 'describeModel', requestId: msg.requestId };
  }
  if (msg.type !== 'predict') return unknownType(msg.type);
  // `input` is checked after requestId, so a missing one is named on its own.
  const bad = exactFields(msg, ['requestId'], ['input']);
  if (bad) return bad;
  if (!isRequestId(msg.requestId)) return `'predict': requestId is not a whole number`;
  if (!Object.hasOwn(msg, 'input')) return `'predict': input is missing`;
  const input = checkPlaygroundInput(msg.input);
  if (typeof input === 'string' && (typeof msg.input !== 'string' || input !== msg.input)) return `'predict': ${input}`;
  return { type: 'predict', requestId: msg.requestId, input };
}
