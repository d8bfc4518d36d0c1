// host ⇄ inference child. The trainer entry (dist/trainer.js) also serves as
// a long-lived inference process: the host forks it once and sends requests;
// the child keeps the models it loaded (reloading one when its model.json
// changes) and answers each request exactly once, in order, with a result or
// an error, matched by requestId. Attention never runs in the extension host.
// A process that got inference requests can still be sent a 'start', but
// training is best left to its own process.

import { SALIENCY_METHODS } from '../types';
import type { AttentionResult, BackendChoice, BackendName, GenerationResult, SaliencyMethod, SaliencyResult } from '../types';
import type { Prediction, PredictorSignature } from '../prediction';
import { PROJECTIONS } from '../projection';
import { ROW_SCOPES } from '../rowPredictions';
import type { RowPrediction, RowPredictionSummary, RowScope } from '../rowPredictions';
import type { EmbeddingProjection, ProjectionMethod } from '../projection';
import { isOneOf } from '../choices';
import { whyNotFillMaskResult } from '../fillMask';
import type { FillMaskResult } from '../fillMask';
import { isFiniteNumber, isOptional, isRecord, isRequestId, typeName, typeTable, unknownType } from './fields';
import type { SameMembers } from './fields';

// ───────────────────────── host → inference child ─────────────────────────

interface InferenceRequestBase {
  /** Chosen by the host, echoed in the reply. */
  requestId: number;
  /** A run folder or its model/ folder. */
  modelDir: string;
  /** Backend to start on the first request (later ones reuse it). Default 'auto'. */
  backend?: BackendChoice;
  nativeModuleDirs?: string[];
  /** The editor's modelLab.threads (0: every core), read with the first request: the child uses that many threads, at most two (src/core/threads.ts). */
  threads?: number;
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

/** A masked-language model's top tokens for each `[MASK]` / `<mask>` of `text` (src/core/fillMask.ts). */
export interface FillMaskRequestMessage extends InferenceRequestBase {
  type: 'fillMask';
  text: string;
  /** Tokens listed per mask; default FILL_MASK_LIMITS.topK.default. */
  topK?: number;
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

/** An image classifier's prediction for an image file and its saliency map. */
export interface SaliencyRequestMessage extends InferenceRequestBase {
  type: 'saliency';
  /** Absolute path of a PNG or JPEG file. */
  imagePath: string;
  /** Default 'gradcam'. */
  method?: SaliencyMethod;
}

/** A model's embedding table laid out in 2-D for the projector, with each shown row's nearest neighbours. */
export interface EmbeddingsRequestMessage extends InferenceRequestBase {
  type: 'embeddings';
  /** Which table (`users`, `items`, `tokens`); default the model's last. */
  table?: string;
  /** Default 'pca'. */
  method?: ProjectionMethod;
  /** Rows shown at most (PROJECTION_ROWS). */
  rows?: number;
}

/** Predictions for a run's data file, as the editor shows them at the end of each row's line. */
export interface RowPredictionsRequestMessage extends InferenceRequestBase {
  type: 'rowPredictions';
  /** The data file (absolute path). */
  dataFile: string;
  /** The run's test rows in this file, or every row. */
  scope: RowScope;
  /** 1-based lines (record indexes for JSON) to answer for. */
  fromLine: number;
  toLine: number;
  /** How many of the scope's worst rows to list (0: none; they cost a prediction of every row). */
  worst?: number;
}

export type HostToInferenceMessage =
  | RowPredictionsRequestMessage
  | AttentionRequestMessage
  | GenerateRequestMessage
  | FillMaskRequestMessage
  | PredictRequestMessage
  | SaliencyRequestMessage
  | EmbeddingsRequestMessage
  | CancelInferenceMessage;

// ───────────────────────── inference child → host ─────────────────────────

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

export interface FillMaskResultMessage {
  type: 'fillMaskResult';
  requestId: number;
  modelDir: string;
  result: FillMaskResult;
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

export interface SaliencyResultMessage {
  type: 'saliencyResult';
  requestId: number;
  modelDir: string;
  result: SaliencyResult;
  millis: number;
  backend: BackendName;
}

export interface EmbeddingsResultMessage {
  type: 'embeddingsResult';
  requestId: number;
  modelDir: string;
  result: EmbeddingProjection;
  millis: number;
  backend: BackendName;
}

export interface RowPredictionsResultMessage {
  type: 'rowPredictionsResult';
  requestId: number;
  modelDir: string;
  predictions: RowPrediction[];
  worst: RowPrediction[];
  /** Rows in the scope (the test rows, or all). */
  scopeRows: number;
  summary?: RowPredictionSummary;
  millis: number;
  backend: BackendName;
}

export type InferenceToHostMessage =
  | RowPredictionsResultMessage
  | AttentionResultMessage
  | GenerateResultMessage
  | FillMaskResultMessage
  | PredictResultMessage
  | SaliencyResultMessage
  | EmbeddingsResultMessage
  | InferenceErrorMessage;

/** Every request type the inference child takes: the child's entry routes these to its InferenceServer. */
export const INFERENCE_REQUEST_TYPES = ['attention', 'generate', 'cancelInference', 'predict', 'saliency', 'embeddings', 'rowPredictions', 'fillMask'] as const;
/** Every reply type the inference child sends. */
export const INFERENCE_REPLY_TYPES = ['attentionResult', 'generateResult', 'inferenceError', 'predictResult', 'saliencyResult', 'embeddingsResult', 'rowPredictionsResult', 'fillMaskResult'] as const;
// Compiles only while the lists name every message of their unions, and nothing else.
true satisfies SameMembers<(typeof INFERENCE_REQUEST_TYPES)[number], HostToInferenceMessage['type']>;
true satisfies SameMembers<(typeof INFERENCE_REPLY_TYPES)[number], InferenceToHostMessage['type']>;

export const InferenceMessageType = typeTable([...INFERENCE_REQUEST_TYPES, ...INFERENCE_REPLY_TYPES]);

/** Whether a message's type is an inference request's (not a training message's). */
export function isInferenceRequestType(type: unknown): type is HostToInferenceMessage['type'] {
  return isOneOf(INFERENCE_REQUEST_TYPES, type);
}

/** Checks a reply from the inference child (separate from isTrainerEvent, which training consumers use). */
export function isInferenceResponse(raw: unknown): raw is InferenceToHostMessage {
  return whyNotInferenceResponse(raw) === undefined;
}

/** Why a message from the inference child is not a reply the host can use, or undefined. A fill-mask result is checked through (the page draws it as it is). */
export function whyNotInferenceResponse(raw: unknown): string | undefined {
  if (!isRecord(raw)) return 'message is not an object';
  if (!isOneOf(INFERENCE_REPLY_TYPES, raw.type)) return unknownType(raw.type);
  if (!isRequestId(raw.requestId)) return `'${raw.type}': requestId is not a whole number`;
  if (raw.type === 'fillMaskResult') {
    if (typeof raw.modelDir !== 'string' || raw.modelDir === '') return `'fillMaskResult': modelDir is not a path`;
    const why = whyNotFillMaskResult(raw.result);
    if (why) return `'fillMaskResult': ${why}`;
    if (!isFiniteNumber(raw.millis)) return `'fillMaskResult': millis is not a number`;
  }
  return undefined;
}

/** Checks a request that reached the child; returns it typed, or why it was rejected. */
export function parseInferenceRequest(raw: unknown): HostToInferenceMessage | string {
  if (!isRecord(raw)) return 'message is not an object';
  const m = raw;
  if (!isRequestId(m.requestId)) return `'${typeName(m.type)}': requestId is not a whole number`;
  if (!isInferenceRequestType(m.type)) return unknownType(m.type);
  switch (m.type) {
    case InferenceMessageType.cancelInference:
      return { type: 'cancelInference', requestId: m.requestId };
    case InferenceMessageType.attention:
    case InferenceMessageType.generate: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'${m.type}': modelDir is not a path`;
      if (m.type === 'attention' && typeof m.text !== 'string') return `'attention': text is not a string`;
      if (m.type === 'generate' && typeof m.prompt !== 'string') return `'generate': prompt is not a string`;
      for (const n of ['maxTokens', 'length', 'temperature', 'topK', 'seed']) if (!isOptional(m[n], isFiniteNumber)) return `'${m.type}': ${n} is not a number`;
      return m as unknown as AttentionRequestMessage | GenerateRequestMessage;
    }
    case InferenceMessageType.fillMask: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'fillMask': modelDir is not a path`;
      if (typeof m.text !== 'string') return `'fillMask': text is not a string`;
      if (!isOptional(m.topK, isFiniteNumber)) return `'fillMask': topK is not a number`;
      return m as unknown as FillMaskRequestMessage;
    }
    case InferenceMessageType.predict: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'predict': modelDir is not a path`;
      if (!Array.isArray(m.instances)) return `'predict': instances is not an array`;
      return m as unknown as PredictRequestMessage;
    }
    case InferenceMessageType.saliency: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'saliency': modelDir is not a path`;
      if (typeof m.imagePath !== 'string' || m.imagePath === '') return `'saliency': imagePath is not a path`;
      if (m.method !== undefined && !isOneOf(SALIENCY_METHODS, m.method)) return `'saliency': method is not one of ${SALIENCY_METHODS.join(', ')}`;
      return m as unknown as SaliencyRequestMessage;
    }
    case InferenceMessageType.embeddings: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'embeddings': modelDir is not a path`;
      if (!isOptional(m.table, (v) => typeof v === 'string')) return `'embeddings': table is not a string`;
      if (m.method !== undefined && !isOneOf(PROJECTIONS, m.method)) return `'embeddings': method is not one of ${PROJECTIONS.join(', ')}`;
      if (!isOptional(m.rows, isFiniteNumber)) return `'embeddings': rows is not a number`;
      return m as unknown as EmbeddingsRequestMessage;
    }
    case InferenceMessageType.rowPredictions: {
      if (typeof m.modelDir !== 'string' || m.modelDir === '') return `'rowPredictions': modelDir is not a path`;
      if (typeof m.dataFile !== 'string' || m.dataFile === '') return `'rowPredictions': dataFile is not a path`;
      if (!isOneOf(ROW_SCOPES, m.scope)) return `'rowPredictions': scope is not one of ${ROW_SCOPES.join(', ')}`;
      for (const n of ['fromLine', 'toLine']) if (!isFiniteNumber(m[n])) return `'rowPredictions': ${n} is not a number`;
      if (!isOptional(m.worst, isFiniteNumber)) return `'rowPredictions': worst is not a number`;
      return m as unknown as RowPredictionsRequestMessage;
    }
  }
}
