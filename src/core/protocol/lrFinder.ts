// host ⇄ learning-rate finder webview (postMessage). The host runs the range
// test (`modellab lr-find --json` in a child process) and sends the whole
// state on every change, a few times a second at most: the loss per learning
// rate so far and, at the end, the suggestion. The page asks to apply the
// suggestion to the config, or to run the test again. Messages from the page
// are untrusted and go through `parseLrFinderMessage`.

import { isOneOf } from '../choices';
import { exactFields, isRecord, typeTable, unknownType } from './fields';

export const LR_FINDER_STATUSES = ['running', 'done', 'failed', 'stopped'] as const;
export type LrFinderStatus = (typeof LR_FINDER_STATUSES)[number];

export interface LrFinderPoint {
  lr: number;
  loss: number;
  smoothed: number;
}

export interface LrFinderStateMessage {
  type: 'lrState';
  /** The config's file name, for the title. */
  configName: string;
  status: LrFinderStatus;
  points: LrFinderPoint[];
  /** The config's learning rate as the test started. */
  configLr?: number;
  /** At the end: the suggested rate (rounded as it goes into the config) and the numbers behind the reason. */
  suggestion?: { lr: number; rounded: number; slopePerDecade: number; minLossLr: number };
  /** How the test ended: the loss blew up, or the schedule ran out. */
  end?: 'diverged' | 'completed' | 'stopped';
  /** The learning rate last written into the config from this panel. */
  applied?: number;
  error?: string;
  strings?: Record<string, string>;
}

export type HostToLrFinderMessage = LrFinderStateMessage;

export const LR_FINDER_TO_HOST_TYPES = ['ready', 'apply', 'rerun'] as const;
export const LrFinderMessageType = typeTable(LR_FINDER_TO_HOST_TYPES);
export type LrFinderToHostMessage = { type: 'ready' } | { type: 'apply' } | { type: 'rerun' };

export function parseLrFinderMessage(raw: unknown): LrFinderToHostMessage | string {
  if (!isRecord(raw)) return 'message is not an object';
  if (!isOneOf(LR_FINDER_TO_HOST_TYPES, raw.type)) return unknownType(raw.type);
  return exactFields(raw, []) ?? { type: raw.type };
}
