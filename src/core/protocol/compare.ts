// host ⇄ compare webview (postMessage). The comparison webview gets each
// run's flattened parameters and final metrics once, then asks for curves;
// the host smooths and downsamples them (a run may have logged millions of
// points) before answering. Messages from the webview are untrusted and go
// through `parseCompareMessage`.

import type { BackendName, RunMeta } from '../types';
import type { LayerDistributions } from '../distributions';
import { isOneOf } from '../choices';
import { exactFields, isIntegerIn, isRecord, isRequestId, isRunId, typeTable, unknownType } from './fields';
import type { SameMembers } from './fields';

export const COMPARE_X_AXES = ['step', 'epoch', 'time'] as const;
export type CompareXAxis = (typeof COMPARE_X_AXES)[number];
/** A flattened config value: what a table cell shows. */
export type ParamValue = string | number | boolean | null;

export interface CompareRun {
  id: string;
  name: string;
  /** Short label for legends and column headers: the experiment (when several are compared) and the parameters that set the run apart (compareLabels). */
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
  /** One fold of a cross-validation: the chart draws the group's folds as one band (mean line, min–max). */
  fold?: { id: string; index: number; k: number };
  warnings?: string[];
  /** A cluster run followed from its files: when they last changed (ms since the epoch), for "updated N s ago". */
  updatedAt?: number;
}

// ───────────────────────── host → compare webview ─────────────────────────

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

/** The compared runs' weight and gradient distributions (distributions.jsonl, thinned), sent after each compareState; runs that recorded none are left out. */
export interface CompareDistributionsMessage {
  type: 'compareDistributions';
  runs: { runId: string; lines: LayerDistributions[] }[];
}

export type HostToCompareMessage = CompareStateMessage | CompareSeriesMessage | CompareDistributionsMessage;

// ───────────────────────── compare webview → host (untrusted) ─────────────────────────

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

/** Every message type the compare webview may send: the one list the table and the validator come from. */
export const COMPARE_TO_HOST_TYPES = ['ready', 'exportCsv', 'requestSeries', 'exportPng', 'openRun', 'removeRun'] as const;
// Compiles only while the list names every CompareToHostMessage, and nothing else.
true satisfies SameMembers<(typeof COMPARE_TO_HOST_TYPES)[number], CompareToHostMessage['type']>;
export const CompareMessageType = typeTable(COMPARE_TO_HOST_TYPES);

export const COMPARE_MAX_POINTS = { min: 100, max: 50_000 } as const;
/** An exported chart is a PNG of a few hundred KB; anything far larger is not one. */
export const COMPARE_MAX_PNG_DATA_URL = 40 * 1024 * 1024;
export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
const METRIC_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

/**
 * Checks a message that came from the compare webview. Returns the typed
 * message, or a string saying why it was rejected (logged, never acted upon).
 */
export function parseCompareMessage(raw: unknown): CompareToHostMessage | string {
  if (!isRecord(raw)) return 'message is not an object';
  const msg = raw;
  if (!isOneOf(COMPARE_TO_HOST_TYPES, msg.type)) return unknownType(msg.type);
  switch (msg.type) {
    case CompareMessageType.ready:
    case CompareMessageType.exportCsv:
      return exactFields(msg, []) ?? { type: msg.type };
    case CompareMessageType.openRun:
    case CompareMessageType.removeRun: {
      const bad = exactFields(msg, ['runId']);
      if (bad) return bad;
      if (!isRunId(msg.runId)) return `'${msg.type}': runId is not a run id`;
      return { type: msg.type, runId: msg.runId };
    }
    case CompareMessageType.requestSeries: {
      const bad = exactFields(msg, ['requestId', 'metric', 'xAxis', 'smoothing', 'maxPoints']);
      if (bad) return bad;
      const { requestId, metric, xAxis, smoothing, maxPoints } = msg;
      if (!isRequestId(requestId)) return `'requestSeries': requestId is not a whole number`;
      if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) return `'requestSeries': metric is not a metric name`;
      if (!isOneOf(COMPARE_X_AXES, xAxis)) return `'requestSeries': xAxis must be step, epoch or time`;
      if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) return `'requestSeries': smoothing must be in [0, 1)`;
      if (!isIntegerIn(maxPoints, COMPARE_MAX_POINTS.min, COMPARE_MAX_POINTS.max)) {
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
  }
}
