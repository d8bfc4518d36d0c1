// What a trained model takes and gives, as plain data shared by the predictor
// (trainer), the inference protocol, the host and the dashboard's predict
// playground; and the checks on a playground request coming from the webview,
// which is untrusted.

import type { Task } from './types';

export type PredictorKind = 'tabular' | 'text' | 'language-model' | 'recommender' | 'image';

/** One input a caller gives, by name. */
export interface PredictorInput {
  name: string;
  dtype: 'number' | 'string';
  /** A one-hot column: the categories seen in training (others encode as all zeros). */
  categories?: string[];
  /** Filled in when missing (the fitted fillMissing value, or a one-hot column). */
  optional?: boolean;
  /** What a missing optional number becomes, where that is one fixed value (a recommender's k); the playground shows it. */
  default?: number;
}

/** What a model takes and gives: the server's metadata and the playground's form. */
export interface PredictorSignature {
  kind: PredictorKind;
  task: Task;
  inputs: PredictorInput[];
  /** Tabular and text regression: the target column (regression values are in its units). */
  target?: string;
  /** Classifiers: the label of each class. */
  labels?: string[];
  /** Tabular: the width of the encoded feature vector the network sees. */
  encodedWidth?: number;
  /** Text models: the longest token sequence. */
  maxLength?: number;
  /**
   * Image models: what the one input, "image", is — a PNG or JPEG file's bytes
   * as `{ "b64": … }`, or pixel values 0..255 nested [height][width][channels]
   * (or [height][width] for one channel); a file of any size is converted to
   * the channels and resized (bilinear) to the size, then scaled as in training.
   */
  image?: ImageInputSpec;
}

export interface ImageInputSpec {
  /** [height, width] the model sees. */
  size: [number, number];
  /** 1 grayscale, 3 RGB. */
  channels: 1 | 3;
  scaling: 'unit' | 'standardize';
  /** The image files read (told apart by their first bytes). */
  formats: ImageFileKind[];
}

export type Prediction =
  | { value: number }
  | { label: string; probabilities: Record<string, number> }
  /** A recommender: the top items for the user, best first (items the user interacted with in training left out). */
  | { items: { item: string; score: number }[] };

/**
 * A playground input: feature values by name (tabular), a text (classifier) or
 * prompt (language model), or an image file's bytes as `{ b64: base64 }`.
 */
export type PlaygroundInput = string | Record<string, number | string | null>;

export const PLAYGROUND_LIMITS = {
  /** Characters of a text or prompt. */
  textChars: 100_000,
  /** Features in one row. */
  fields: 1000,
  fieldNameChars: 200,
  /** Characters of one categorical value. */
  valueChars: 1000,
  generateLength: { min: 1, max: 1000 },
  temperature: { min: 0, max: 10 },
} as const;

/** Checks a playground input; returns it typed, or why it was rejected. */
export function checkPlaygroundInput(raw: unknown): PlaygroundInput | string {
  if (typeof raw === 'string') return raw.length <= PLAYGROUND_LIMITS.textChars ? raw : `input is longer than ${PLAYGROUND_LIMITS.textChars} characters`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'input must be a text or an object of feature values';
  if (Object.getPrototypeOf(raw) !== Object.prototype) return 'input must be a plain object';
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === 'b64' && typeof entries[0][1] === 'string') {
    const why = checkImageBase64(entries[0][1]);
    return why ?? { b64: entries[0][1] };
  }
  if (entries.length > PLAYGROUND_LIMITS.fields) return `input has more than ${PLAYGROUND_LIMITS.fields} fields`;
  const out: Record<string, number | string | null> = {};
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > PLAYGROUND_LIMITS.fieldNameChars) return `input field name ${JSON.stringify(name.slice(0, 40))} is empty or too long`;
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') return `input field ${name} is not allowed`;
    if (value === null) out[name] = null;
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `input.${name} is not a finite number`;
      out[name] = value;
    } else if (typeof value === 'string') {
      if (value.length > PLAYGROUND_LIMITS.valueChars) return `input.${name} is longer than ${PLAYGROUND_LIMITS.valueChars} characters`;
      out[name] = value;
    } else return `input.${name} must be a number, a string or null`;
  }
  return out;
}

/** Most bytes of an image file sent to the playground as `{ b64 }` (its base64 text is a third longer). */
export const PLAYGROUND_IMAGE_BYTES = 10 * 1024 * 1024;

/** The kinds of image file an image model reads. */
export type ImageFileKind = 'png' | 'jpeg';

/** PNG or JPEG by the file's first bytes (its signature), or undefined. */
export function imageKindOf(bytes: ArrayLike<number>): ImageFileKind | undefined {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why `b64` is not an image file the playground takes (base64 of a PNG or JPEG of at most PLAYGROUND_IMAGE_BYTES), or undefined. */
export function checkImageBase64(b64: string): string | undefined {
  const maxChars = Math.ceil(PLAYGROUND_IMAGE_BYTES / 3) * 4;
  if (b64.length > maxChars) return `the image is larger than ${PLAYGROUND_IMAGE_BYTES / (1024 * 1024)} MiB`;
  if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) return 'input.b64 is not base64 text';
  let head: string;
  try {
    head = atob(b64.slice(0, 12));
  } catch {
    return 'input.b64 is not base64 text';
  }
  const bytes = Array.from(head, (c) => c.charCodeAt(0));
  if (!imageKindOf(bytes)) return 'the file is not a PNG or JPEG image';
  return undefined;
}
