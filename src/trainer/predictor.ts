// Prediction from a saved model folder (a run's model/, or an export) in plain
// Node: raw row objects in, values in target units or labels with
// probabilities out; strings for text classifiers; prompts for language
// models; images (PNG/JPEG bytes as { b64 }, or pixel arrays) for image
// classifiers. Preprocessing and tokenizing are the ones fitted at training time,
// read from the folder, so every caller (CLI, HTTP server, playground) predicts
// exactly what the run's model predicts.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { encodeFeatures, inverseTarget } from '../core/preprocess';
import type { FittedPreprocessor } from '../core/preprocess';
import { seededRng } from '../core/random';
import type { Cell } from '../core/table';
import type { Tokenizer } from '../core/tokenizer';
import type { Prediction, PredictorSignature } from '../core/prediction';
import type { GenerationResult, ImageModelInfo } from '../core/types';
import { imageBytesToInput, isImageModelDir, loadImageModel, scaleForModel } from './imageModel';
import { continuation, generateIds, GENERATE_DEFAULTS, resolveModelDir } from './inference';
import type { GenerateOptions } from './inference';
import { loadModel, loadTextModel, TEXT_TASK_FILE, textTargetPreprocessor } from './modelIo';
import { checkEnsembleJson, ENSEMBLE_FILE, meanPrediction } from '../core/ensemble';
import type { EnsembleJson } from '../core/ensemble';
import type { TextTaskJson } from './modelIo';
import { RECOMMENDER_FILE, scoreAllItems } from './recommenderTraining';
import type { RecommenderJson } from './recommenderTraining';

/** Items a recommender returns when the request gives no "k". */
export const DEFAULT_TOP_K = 10;

/** A request that cannot be answered as given; the message names the field. */
export class PredictionInputError extends Error {}

/** Rounds probabilities to 6 decimals: compact JSON, still sums to 1 within 1e-5. */
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

export class Predictor {
  private constructor(
    readonly dir: string,
    readonly signature: PredictorSignature,
    private readonly model: tfl.LayersModel | undefined,
    private readonly preprocessor?: FittedPreprocessor,
    private readonly tokenizer?: Tokenizer,
    private readonly textTask?: TextTaskJson,
    private readonly recommender?: { json: RecommenderJson; userIndex: Map<string, number>; seen: Set<number>[] },
    private readonly image?: ImageModelInfo,
    /** An ensemble's members (ensemble.json): each predicts, the ensemble answers their mean. */
    private readonly members?: Predictor[],
  ) {}

  /** Image instances already checked, as the model's input: checking decodes, predicting reuses it. */
  private readonly imageInputs = new WeakMap<object, Float32Array>();

  /** Loads a run folder, its model/ folder, or an export. A backend must be selected first. */
  static async load(runOrModelDir: string): Promise<Predictor> {
    const dir = resolveModelDir(runOrModelDir);
    if (existsSync(join(dir, ENSEMBLE_FILE))) return Predictor.loadEnsemble(dir);
    if (existsSync(join(dir, RECOMMENDER_FILE))) {
      let json: RecommenderJson;
      try {
        json = JSON.parse(readFileSync(join(dir, RECOMMENDER_FILE), 'utf8')) as RecommenderJson;
      } catch (e) {
        throw new Error(`${join(dir, RECOMMENDER_FILE)}: cannot read the recommender's users and items (${(e as Error).message})`);
      }
      if (json.format !== 'modellab-recommender' || !Array.isArray(json.users) || !Array.isArray(json.items) || !Array.isArray(json.seen)) {
        throw new Error(`${join(dir, RECOMMENDER_FILE)}: not a Model Lab recommender file`);
      }
      const { model } = await loadModel(dir);
      const signature: PredictorSignature = {
        kind: 'recommender',
        task: 'recommendation',
        inputs: [
          { name: 'user', dtype: 'string', categories: json.users },
          { name: 'k', dtype: 'number', optional: true, default: DEFAULT_TOP_K },
        ],
        labels: json.items,
      };
      const rec = { json, userIndex: new Map(json.users.map((u, i) => [u, i])), seen: json.seen.map((s) => new Set(s)) };
      return new Predictor(dir, signature, model, undefined, undefined, undefined, rec);
    }
    if (isImageModelDir(dir)) {
      const { model, info } = await loadImageModel(dir);
      const signature: PredictorSignature = {
        kind: 'image',
        task: 'classification',
        inputs: [{ name: 'image', dtype: 'string' }],
        labels: info.labels,
        image: { size: [info.size[0], info.size[1]], channels: info.channels, scaling: info.scaling, formats: ['png', 'jpeg'] },
      };
      return new Predictor(dir, signature, model, undefined, undefined, undefined, undefined, info);
    }
    if (existsSync(join(dir, TEXT_TASK_FILE))) {
      const { model, tokenizer, task } = await loadTextModel(dir);
      const lm = task.task === 'language-model';
      const signature: PredictorSignature = {
        kind: lm ? 'language-model' : 'text',
        task: task.task,
        inputs: [{ name: lm ? 'prompt' : 'text', dtype: 'string' }],
        labels: task.labels,
        ...(task.target ? { target: task.target.column } : {}),
        maxLength: task.maxLength,
      };
      // Text regression: the target's standardization, undone on every prediction as for a table's.
      return new Predictor(dir, signature, model, textTargetPreprocessor(task), tokenizer, task);
    }
    const { model, preprocessor } = await loadModel(dir);
    if (!preprocessor) {
      model.dispose();
      throw new Error(`${dir}: no preprocessing.json beside the model, so raw rows cannot be encoded`);
    }
    const oneHot = new Map(preprocessor.oneHot.map((o) => [o.column, o.categories]));
    const signature: PredictorSignature = {
      kind: 'tabular',
      task: preprocessor.task,
      inputs: preprocessor.features.map((name) => {
        const categories = oneHot.get(name);
        const optional = name in preprocessor.fill || categories !== undefined;
        return { name, dtype: categories ? 'string' : 'number', ...(categories ? { categories } : {}), ...(optional ? { optional } : {}) };
      }),
      target: preprocessor.target,
      labels: preprocessor.labels,
      encodedWidth: preprocessor.inputNames.length,
    };
    return new Predictor(dir, signature, model, preprocessor);
  }

  /** An ensemble folder: its members loaded, all of one kind, task and labels; its signature is theirs. */
  private static async loadEnsemble(dir: string): Promise<Predictor> {
    const file = join(dir, ENSEMBLE_FILE);
    let json: EnsembleJson;
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as EnsembleJson;
    } catch (e) {
      throw new Error(`${file}: cannot read the ensemble (${(e as Error).message})`);
    }
    const problem = checkEnsembleJson(json);
    if (problem) throw new Error(`${file}: ${problem}`);
    const members: Predictor[] = [];
    try {
      for (const m of json.members) members.push(await Predictor.load(join(dir, m)));
      const first = members[0].signature;
      if (first.kind !== 'tabular' && first.kind !== 'text' && first.kind !== 'image') throw new Error(`${file}: an ensemble averages regressors or classifiers, not ${first.kind} models`);
      members.forEach((m, i) => {
        const s = m.signature;
        if (s.kind !== first.kind || s.task !== first.task || JSON.stringify(s.labels ?? null) !== JSON.stringify(first.labels ?? null)) {
          throw new Error(`${file}: member ${json.members[i]} is a ${s.task} ${s.kind} model${s.labels ? ` of ${s.labels.join(', ')}` : ''}, unlike ${json.members[0]}`);
        }
      });
      return new Predictor(dir, first, undefined, undefined, undefined, undefined, undefined, undefined, members);
    } catch (e) {
      for (const m of members) m.dispose();
      throw e;
    }
  }

  /**
   * Checks one instance; returns what is wrong with it, naming the field
   * (`instances[3].rooms`), or undefined when it can be predicted.
   */
  checkInstance(instance: unknown, where: string): string | undefined {
    if (this.members) return this.members[0].checkInstance(instance, where);
    if (this.signature.kind === 'recommender') return this.checkRecommendation(instance, where);
    if (this.signature.kind === 'image') return this.checkImage(instance, where);
    if (this.signature.kind !== 'tabular') {
      if (typeof instance === 'string') return undefined;
      const field = this.signature.inputs[0].name;
      if (instance && typeof instance === 'object' && !Array.isArray(instance)) {
        const v = (instance as Record<string, unknown>)[field];
        if (typeof v === 'string') return undefined;
        return v === undefined ? `${where}.${field} is missing` : `${where}.${field} must be a string, not ${typeName(v)}`;
      }
      return `${where} must be a string (or an object with a "${field}" string), not ${typeName(instance)}`;
    }
    if (!instance || typeof instance !== 'object' || Array.isArray(instance)) return `${where} must be an object of feature values, not ${typeName(instance)}`;
    const row = instance as Record<string, unknown>;
    const known = new Set(this.signature.inputs.map((i) => i.name));
    for (const key of Object.keys(row)) if (!known.has(key)) return `${where}.${key} is not an input of this model (inputs: ${[...known].join(', ')})`;
    for (const input of this.signature.inputs) {
      const v = row[input.name];
      if (v === undefined || v === null) {
        if (input.optional) continue;
        return `${where}.${input.name} is missing`;
      }
      if (input.categories) {
        if (typeof v !== 'string' && typeof v !== 'number') return `${where}.${input.name} must be a category (string), not ${typeName(v)}`;
      } else if (typeof v !== 'number' || !Number.isFinite(v)) {
        return `${where}.${input.name} must be a finite number, not ${typeName(v)}`;
      }
    }
    return undefined;
  }

  /**
   * Predicts a batch. Tabular: row objects of raw feature values; text
   * classifiers: strings (or { text }). Throws PredictionInputError naming
   * the first bad field.
   */
  async predict(instances: readonly unknown[]): Promise<Prediction[]> {
    if (this.signature.kind === 'language-model') throw new PredictionInputError('this model is a language model: send a generation request instead');
    if (this.signature.task === 'masked-language-model') {
      throw new PredictionInputError('this model is a masked-language model (a pretrained encoder): it predicts no label; fill in a [MASK] with `modellab fill-mask` or the dashboard, or fine-tune a classifier or a text regression model from it (model.base) and serve that');
    }
    instances.forEach((inst, i) => {
      const problem = this.checkInstance(inst, `instances[${i}]`);
      if (problem) throw new PredictionInputError(problem);
    });
    if (instances.length === 0) return [];
    if (this.members) {
      const each = await Promise.all(this.members.map((m) => m.predict(instances)));
      return instances.map((_, i) => meanPrediction(each.map((predictions) => predictions[i])));
    }
    if (this.signature.kind === 'recommender') return this.recommend(instances);
    if (this.signature.kind === 'image') return this.predictImages(instances);
    return this.signature.kind === 'tabular' ? this.predictRows(instances as Record<string, Cell>[]) : this.predictTexts(instances.map((i) => (typeof i === 'string' ? i : String((i as Record<string, unknown>).text))));
  }

  private async predictRows(rows: Record<string, Cell>[]): Promise<Prediction[]> {
    const p = this.preprocessor!;
    const d = p.inputNames.length;
    const x = new Float32Array(rows.length * d);
    rows.forEach((row, i) => {
      try {
        encodeFeatures(p, row, x, i * d, 'request', undefined);
      } catch (e) {
        throw new PredictionInputError(`instances[${i}]: ${(e as Error).message}`);
      }
    });
    const out = tf.tidy(() => this.model!.predict(tf.tensor2d(x, [rows.length, d])) as tf.Tensor);
    const width = out.shape[1] ?? 1;
    const values = await out.data();
    out.dispose();
    if (p.task === 'regression') return rows.map((_, i) => ({ value: inverseTarget(p, values[i * width]) }));
    return rows.map((_, i) => this.classify(Array.from(values.subarray(i * width, (i + 1) * width)), p.labels!));
  }

  private async predictTexts(texts: string[]): Promise<Prediction[]> {
    const maxLength = this.textTask!.maxLength;
    const ids = new Int32Array(texts.length * maxLength);
    texts.forEach((t, i) => ids.set(this.tokenizer!.encode(t, maxLength).ids, i * maxLength));
    const out = tf.tidy(() => this.model!.predict(tf.tensor2d(ids, [texts.length, maxLength], 'int32')) as tf.Tensor);
    const width = out.shape[1] ?? 1;
    const values = await out.data();
    out.dispose();
    if (this.textTask!.task === 'regression') return texts.map((_, i) => ({ value: this.preprocessor ? inverseTarget(this.preprocessor, values[i * width]) : values[i * width] }));
    return texts.map((_, i) => this.classify(Array.from(values.subarray(i * width, (i + 1) * width)), this.textTask!.labels ?? []));
  }

  /** A recommendation request: a user id, or { user, k? }. */
  private checkRecommendation(instance: unknown, where: string): string | undefined {
    const rec = this.recommender!;
    const known = (user: unknown, at: string): string | undefined => {
      if (typeof user !== 'string' && typeof user !== 'number') return user === undefined ? `${at} is missing` : `${at} must be a user id (string), not ${typeName(user)}`;
      return rec.userIndex.has(String(user)) ? undefined : `${at} ${JSON.stringify(String(user).slice(0, 60))} is not a user this model was trained on`;
    };
    if (typeof instance === 'string') return known(instance, where);
    if (!instance || typeof instance !== 'object' || Array.isArray(instance)) return `${where} must be a user id or an object {"user": …, "k": …}, not ${typeName(instance)}`;
    const o = instance as Record<string, unknown>;
    for (const key of Object.keys(o)) if (key !== 'user' && key !== 'k') return `${where}.${key} is not a field of a recommendation request (user, k)`;
    const bad = known(o.user, `${where}.user`);
    if (bad) return bad;
    const k = o.k;
    if (k !== undefined && k !== null && (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > rec.json.items.length)) {
      return `${where}.k must be a whole number from 1 to ${rec.json.items.length}, not ${typeName(k)}`;
    }
    return undefined;
  }

  /** The top-k items for each user, best first, leaving out the items of the user's training interactions. */
  private async recommend(instances: readonly unknown[]): Promise<Prediction[]> {
    const rec = this.recommender!;
    const asks = instances.map((inst) => {
      const o = typeof inst === 'object' && inst !== null ? (inst as Record<string, unknown>) : { user: inst };
      return { user: rec.userIndex.get(String(o.user))!, k: typeof o.k === 'number' ? o.k : DEFAULT_TOP_K };
    });
    const items = rec.json.items.length;
    const scores = scoreAllItems(this.model!, asks.map((a) => a.user), items);
    return asks.map(({ user, k }, r) => {
      const candidates: number[] = [];
      for (let i = 0; i < items; i++) if (!rec.seen[user]?.has(i)) candidates.push(i);
      candidates.sort((a, b) => scores[r * items + b] - scores[r * items + a] || a - b);
      return { items: candidates.slice(0, k).map((i) => ({ item: rec.json.items[i], score: round6(scores[r * items + i]) })) };
    });
  }

  /**
   * An image instance: `{ "b64": … }` (a PNG or JPEG file's bytes, TF
   * Serving's convention for binary values), pixel values 0..255 nested
   * [height][width][channels] ([height][width] for one channel), or either
   * under the input's name (`{ "image": … }`). Decodes it; the input is kept
   * for predict.
   */
  private checkImage(instance: unknown, where: string): string | undefined {
    if (instance !== null && typeof instance === 'object' && this.imageInputs.has(instance)) return undefined;
    const info = this.image!;
    let value = instance;
    let at = where;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'image' in value) {
      value = (value as { image: unknown }).image;
      at = `${where}.image`;
    }
    let input: Float32Array | string;
    if (Array.isArray(value)) input = pixelArrayInput(value, info, at);
    else if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      const b64 = (value as { b64?: unknown }).b64;
      if (keys.length !== 1 || keys[0] !== 'b64') return `${at} must be {"b64": "<base64 PNG or JPEG bytes>"} or pixel values, not an object with ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no fields'}`;
      if (typeof b64 !== 'string') return `${at}.b64 must be a base64 string, not ${typeName(b64)}`;
      input = base64Input(b64, info, `${at}.b64`);
    } else {
      const [h, w] = info.size;
      return `${at} must be an image: {"b64": "<base64 PNG or JPEG bytes>"} or pixel values 0..255 nested [${h}][${w}][${info.channels}], not ${typeName(value)}`;
    }
    if (typeof input === 'string') return input;
    if (instance !== null && typeof instance === 'object') this.imageInputs.set(instance, input);
    return undefined;
  }

  private async predictImages(instances: readonly unknown[]): Promise<Prediction[]> {
    const info = this.image!;
    const [h, w] = info.size;
    const per = h * w * info.channels;
    const x = new Float32Array(instances.length * per);
    instances.forEach((inst, i) => {
      // checkInstance (run by predict) left every instance's input here; only objects and arrays pass it.
      x.set(this.imageInputs.get(inst as object)!, i * per);
    });
    const out = tf.tidy(() => this.model!.predict(tf.tensor4d(x, [instances.length, h, w, info.channels])) as tf.Tensor);
    const width = out.shape[1] ?? 1;
    const values = await out.data();
    out.dispose();
    return instances.map((_, i) => this.classify(Array.from(values.subarray(i * width, (i + 1) * width)), info.labels));
  }

  private classify(outputs: number[], labels: string[]): Prediction {
    // One sigmoid unit: the probability of the second label.
    const probs = outputs.length === 1 && labels.length === 2 ? [1 - outputs[0], outputs[0]] : outputs;
    let best = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
    return { label: labels[best] ?? String(best), probabilities: Object.fromEntries(probs.map((v, k) => [labels[k] ?? String(k), round6(v)])) };
  }

  /** Continues a prompt with a language model. */
  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerationResult> {
    if (this.signature.kind !== 'language-model') throw new PredictionInputError('this model is not a language model; send "instances" to :predict');
    const o = {
      length: options.length ?? GENERATE_DEFAULTS.length,
      temperature: options.temperature ?? GENERATE_DEFAULTS.temperature,
      topK: options.topK ?? GENERATE_DEFAULTS.topK,
      seed: options.seed ?? GENERATE_DEFAULTS.seed,
    };
    const promptIds = this.tokenizer!.encodeAll(prompt);
    const ids = await generateIds(this.model!, this.tokenizer!, promptIds, this.textTask!.maxLength, { ...o, rng: seededRng(o.seed), signal: options.signal });
    return { prompt, text: continuation(this.tokenizer!, promptIds, ids), tokens: ids.length };
  }

  dispose(): void {
    this.model?.dispose();
    for (const m of this.members ?? []) m.dispose();
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** A base64 PNG or JPEG as the model's input, or what is wrong with it (naming `where`). */
function base64Input(b64: string, info: ImageModelInfo, where: string): Float32Array | string {
  const text = b64.replace(/\s+/g, '');
  if (text.length === 0) return `${where} is empty`;
  if (!BASE64.test(text) || text.length % 4 === 1) return `${where} is not base64 text`;
  try {
    return imageBytesToInput(Buffer.from(text, 'base64'), info, where);
  } catch (e) {
    return (e as Error).message;
  }
}

/** Nested pixel values of exactly the model's input shape (0..255) as its scaled input, or what is wrong (naming `where`). */
function pixelArrayInput(value: unknown[], info: ImageModelInfo, where: string): Float32Array | string {
  const [h, w] = info.size;
  const c = info.channels;
  const shape = `[${h}][${w}][${c}]${c === 1 ? ` (or [${h}][${w}])` : ''}`;
  const wrong = (found: string) => `${where} has shape ${found}, but this model takes pixel values 0..255 nested ${shape}`;
  const out = new Float32Array(h * w * c);
  if (value.length !== h) return wrong(`[${value.length}]…`);
  for (let y = 0; y < h; y++) {
    const row = value[y];
    if (!Array.isArray(row)) return `${where}[${y}] must be a row of ${w} pixels, not ${typeName(row)}`;
    if (row.length !== w) return wrong(`[${h}][${row.length}]…`);
    for (let x = 0; x < w; x++) {
      const px = row[x];
      const at = (y * w + x) * c;
      if (typeof px === 'number' && c === 1) {
        if (!(px >= 0 && px <= 255)) return `${where}[${y}][${x}] must be a pixel value from 0 to 255, not ${typeName(px)}`;
        out[at] = px;
        continue;
      }
      if (!Array.isArray(px)) return `${where}[${y}][${x}] must be ${c === 1 ? 'a number or ' : ''}a list of ${c} channel value(s), not ${typeName(px)}`;
      if (px.length !== c) return wrong(`[${h}][${w}][${px.length}]`);
      for (let k = 0; k < c; k++) {
        const v = px[k];
        if (typeof v !== 'number' || !(v >= 0 && v <= 255)) return `${where}[${y}][${x}][${k}] must be a pixel value from 0 to 255, not ${typeName(v)}`;
        out[at + k] = v;
      }
    }
  }
  return scaleForModel(out, info);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.slice(0, 30))})`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'a non-finite number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
