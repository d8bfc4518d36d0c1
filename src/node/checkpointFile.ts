// The resume checkpoint of a run: everything training needs to carry on after
// the last finished epoch as if it had never stopped — the model's weights,
// the optimizer's state (Adam's moments and step count), the random
// generators' positions, the shuffle order, and the callbacks' counters
// (best value, early-stopping and plateau waits, learning rate).
//
// One file, written atomically at the end of every epoch, so a crash mid-write
// leaves the previous epoch's checkpoint whole:
//   "MLCK" | u32 header length | header JSON (UTF-8) | padding to 4 | arrays
// The arrays are little-endian float32/int32, in the header's order.
// This module is pure (no tfjs): the host reads headers to offer "Resume".

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMeta } from '../core/types';

export const CHECKPOINT_FILE = 'checkpoint.bin';
export const CHECKPOINT_FORMAT = 1;
const MAGIC = 'MLCK';

export type CheckpointDtype = 'float32' | 'int32';

export interface CheckpointArrayInfo {
  /** Which part of the state the array belongs to. */
  group: 'model' | 'optimizer' | 'best' | 'order';
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
}

/**
 * The callbacks' state at the end of the checkpoint's epoch, as one value:
 * what trainer/callbacks.ts's TrainingCallbacks writes with toJSON and reads
 * back with fromJSON (NaN is written as null). Best epoch by the checkpoint
 * monitor, early stopping's best and wait, reduce-on-plateau's best and wait,
 * and the learning rate it left.
 */
export interface CheckpointCallbacks {
  bestValue: number | null;
  bestEpoch: number;
  esBest: number | null;
  esWait: number;
  lrBest: number | null;
  lrWait: number;
  learningRate: number;
}

export interface CheckpointHeader {
  format: number;
  /** Epochs finished (1-based count): training resumes with the next one. */
  epoch: number;
  /** Optimizer steps taken, as the metric points count them. */
  step: number;
  /** The run's clock (ms since it started) at the end of the epoch, so resumed points continue the time axis. */
  timeMs: number;
  savedAt: string;
  /** Positions of the seeded generators: `global` is the trainer's Math.random, `loop` the training loop's own. */
  random: { global: number; loop?: number };
  callbacks: CheckpointCallbacks;
  arrays: CheckpointArrayInfo[];
}

export type CheckpointArray = Float32Array | Int32Array;

export interface Checkpoint {
  header: CheckpointHeader;
  arrays: CheckpointArray[];
}

export class CheckpointError extends Error {
  constructor(file: string, what: string) {
    super(`the checkpoint ${file} cannot be used: ${what}`);
    this.name = 'CheckpointError';
  }
}

export function checkpointPath(runDir: string): string {
  return join(runDir, CHECKPOINT_FILE);
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeCheckpoint(header: CheckpointHeader, arrays: CheckpointArray[]): Uint8Array {
  if (arrays.length !== header.arrays.length) throw new Error(`checkpoint header lists ${header.arrays.length} arrays but ${arrays.length} were given`);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 8 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const dataBytes = arrays.reduce((s, a) => s + a.byteLength, 0);
  const out = Buffer.alloc(dataStart + dataBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  let at = dataStart;
  arrays.forEach((a, i) => {
    const info = header.arrays[i];
    if (a.length !== sizeOf(info.shape)) throw new Error(`checkpoint array ${info.name} has ${a.length} values for shape [${info.shape}]`);
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
    at += a.byteLength;
  });
  return out;
}

const isFiniteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function isCallbackState(cb: CheckpointCallbacks | undefined): boolean {
  return !!cb && [cb.bestValue, cb.esBest, cb.lrBest].every(isFiniteOrNull) && [cb.bestEpoch, cb.esWait, cb.lrWait].every(isCount) && Number.isFinite(cb.learningRate);
}

/** Parses a checkpoint; every way it can be damaged gives a CheckpointError naming the file and the fault. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) throw new CheckpointError(file, 'it is not a Model Lab checkpoint');
  const jsonLength = buf.readUInt32LE(4);
  if (8 + jsonLength > buf.length) throw new CheckpointError(file, `it is truncated (header of ${jsonLength} bytes, file of ${buf.length})`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + jsonLength)) as CheckpointHeader;
  } catch (e) {
    throw new CheckpointError(file, `its header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null) throw new CheckpointError(file, 'its header is not an object');
  if (typeof header.format !== 'number' || header.format > CHECKPOINT_FORMAT) throw new CheckpointError(file, `it was written by a newer Model Lab (format ${String(header.format)})`);
  if (!Number.isInteger(header.epoch) || header.epoch < 1 || !Number.isInteger(header.step) || header.step < 0) throw new CheckpointError(file, 'its epoch or step count is not a whole number');
  if (typeof header.random?.global !== 'number') throw new CheckpointError(file, 'the random generator state is missing');
  if (!isCallbackState(header.callbacks)) throw new CheckpointError(file, 'the callback state is missing or not numeric');
  if (!Array.isArray(header.arrays)) throw new CheckpointError(file, 'the array list is missing');
  let at = Math.ceil((8 + jsonLength) / 4) * 4;
  const arrays: CheckpointArray[] = [];
  for (const info of header.arrays) {
    if (!info || (info.dtype !== 'float32' && info.dtype !== 'int32') || !Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CheckpointError(file, `array ${String(info?.name)} has an unknown type or shape`);
    }
    const n = sizeOf(info.shape);
    const end = at + n * 4;
    if (end > buf.length) throw new CheckpointError(file, `it is truncated (array ${info.name} needs bytes ${at}–${end}, the file has ${buf.length})`);
    // Copied out: the arrays outlive the file's buffer and must be 4-byte aligned.
    const copy = new ArrayBuffer(n * 4);
    buf.copy(Buffer.from(copy), 0, at, end);
    arrays.push(info.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy));
    at = end;
  }
  return { header, arrays };
}

export function readCheckpoint(runDir: string): Checkpoint {
  const file = checkpointPath(runDir);
  if (!existsSync(file)) throw new CheckpointError(file, 'it does not exist (the run finished no epoch, or was written before checkpoints)');
  return decodeCheckpoint(readFileSync(file), file);
}

/** Statuses a run can be resumed from: cut off (reload, quit, lost host) or stopped by the user before its last epoch. */
const RESUMABLE: readonly string[] = ['interrupted', 'stopped'];

/**
 * Why a run cannot be resumed, or undefined when it can. Cheap (meta and a
 * file's existence): the sidebar asks for every run.
 */
export function whyNotResumable(meta: RunMeta | undefined, runDir: string): string | undefined {
  if (!meta) return 'its meta.json is unreadable';
  if (!RESUMABLE.includes(meta.status)) return `it is ${meta.status}; only interrupted or stopped runs can be resumed`;
  // Interrupted after its last epoch (killed while it evaluated): resuming only evaluates and saves.
  if (meta.epochsDone >= meta.epochsPlanned && meta.status !== 'interrupted') return `it already ran all ${meta.epochsPlanned} epochs`;
  if (!existsSync(checkpointPath(runDir))) return 'it has no checkpoint (it ended before finishing an epoch)';
  return undefined;
}
