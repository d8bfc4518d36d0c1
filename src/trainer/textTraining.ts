// The text tasks, from config to trained Transformer (a classifier, a text
// regression model, a language model, a masked-language model): loading the text,
// fitting the tokenizer on the training split, building the encoder or
// decoder, a training loop over token batches (loss on real tokens only,
// tokens per second in the epoch logs), and evaluation.
//
// Its own loop rather than model.fit: a language model's loss is over every
// next token with padding left out, and batches are cut to their longest text
// rather than padded to maxLength — neither fits model.fit's shapes.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { totalRows } from '../core/dataset';
import { loadSplits } from '../node/dataFiles';
import type { TrainingDataPart } from '../core/crossValidation';
import { classificationMetrics, regressionEvaluation } from '../core/evaluationMetrics';
import { seededRng, shuffleInPlace } from '../core/random';
import type { Rng, SeededRng } from '../core/random';
import { resolveTokenizer, resolveTransformer } from '../core/resolvedConfig';
import type { ResolvedConfig } from '../core/resolvedConfig';
import { labelledTexts, sortLabels } from '../core/textData';
import { loadCorpusSplits } from '../node/dataFiles';
import type { LabelledTexts } from '../core/textData';
import { Tokenizer } from '../core/tokenizer';
import type { ClassificationEvaluation, LanguageModelEvaluation, LossName, MaskedLanguageModelEvaluation, RegressionEvaluation, TransformerModelConfig } from '../core/types';
import { inverseTarget, scaledTargetLog, standardizedTarget, targetNumber } from '../core/preprocess';
import type { FittedPreprocessor } from '../core/preprocess';
import { maskingRng } from '../core/masking';
import { formatMetric } from '../core/metrics';
import { MASK_TOKEN } from '../core/tokenizer';
import { baselineAccuracy, fillInSamples, loadMaskedTexts, maskBatches, maskShare, mostFrequentToken, TEST_MASKING_EPOCH, VALIDATION_MASKING_EPOCH } from './maskedLanguageModel';
import { logText } from '../core/trainerLogTable';
import type { StageReporter, TrainerLog } from '../core/protocol/trainer';
import { continuation, generateIds } from './inference';
import { applyAdamFused } from './kernels/adamUpdate';
import { summarize } from './model';
import { saveTextModel } from './modelIo';
import type { FitArgs, PreparedExperiment } from './preparedExperiment';
import { buildTransformer } from './transformer';
import type { TextFineTune } from './fineTune';

type Stage = StageReporter;
type Log = TrainerLog;

/** Sequences per forward pass when no gradient is needed (validation, evaluation). */
const EVAL_BATCH = 64;
/** Hand control back to the event loop this often, so a stop message is seen mid-epoch. */
const YIELD_EVERY_MS = 50;

/** One batch: ids [rows, length]; classifier labels [rows], regression values [rows] (standardized) or language-model targets [rows, length] with their weights. */
interface Batch {
  rows: number;
  length: number;
  ids: Int32Array;
  labels?: Int32Array;
  values?: Float32Array;
  targets?: Int32Array;
  weights?: Float32Array;
  /** Real (non-padding) tokens in `ids`. */
  tokens: number;
  /** A masked-language model's batch: the masked tokens it predicts. */
  predicted?: number;
}

interface TextDataset {
  /** Sequences. */
  size: number;
  batches(batchSize: number, rng: Rng | undefined): Batch[];
}

// ───────────────────────── classification ─────────────────────────

class ClassificationData implements TextDataset {
  readonly size: number;
  private readonly ids: Int32Array;
  private readonly lengths: Int32Array;
  /** Undefined for a masked-language model's sentences (no labels: the masking makes its targets) and for text regression. */
  readonly labels: Int32Array | undefined;
  /** Text regression: each text's target, standardized. */
  readonly values: Float32Array | undefined;

  constructor(
    texts: string[],
    labels: number[] | undefined,
    tokenizer: Tokenizer,
    private readonly maxLength: number,
    values?: ArrayLike<number>,
  ) {
    this.size = texts.length;
    this.ids = new Int32Array(this.size * maxLength);
    this.lengths = new Int32Array(this.size);
    texts.forEach((t, i) => {
      const enc = tokenizer.encode(t, maxLength);
      this.ids.set(enc.ids, i * maxLength);
      this.lengths[i] = Math.max(enc.length, 1); // an all-padding row still gets one position
    });
    this.labels = labels && Int32Array.from(labels);
    this.values = values && Float32Array.from(values);
  }

  batches(batchSize: number, rng: Rng | undefined): Batch[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (rng) shuffleInPlace(order, rng);
    const out: Batch[] = [];
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      // Cut the batch to its longest text: attention costs grow with length².
      const length = Math.max(...rows.map((r) => this.lengths[r]));
      const ids = new Int32Array(rows.length * length);
      let tokens = 0;
      rows.forEach((r, i) => {
        ids.set(this.ids.subarray(r * this.maxLength, r * this.maxLength + length), i * length);
        tokens += this.lengths[r];
      });
      const labels = this.labels;
      const values = this.values;
      out.push({ rows: rows.length, length, ids, labels: labels && Int32Array.from(rows, (r) => labels[r]), values: values && Float32Array.from(rows, (r) => values[r]), tokens });
    }
    return out;
  }
}

// ───────────────────────── language model ─────────────────────────

/** A token stream cut into windows: input ids[s..s+L), target ids[s+1..s+L+1). */
class CorpusData implements TextDataset {
  readonly size: number;

  constructor(
    readonly stream: Int32Array,
    private readonly window: number,
  ) {
    this.size = this.windowStarts(0).length;
  }

  private windowStarts(offset: number): number[] {
    const starts: number[] = [];
    // Every window needs at least one (input, next token) pair.
    for (let s = offset; s < this.stream.length - 1; s += this.window) starts.push(s);
    return starts;
  }

  /** With an rng: a random offset each epoch (so windows start everywhere) and shuffled windows. */
  batches(batchSize: number, rng: Rng | undefined): Batch[] {
    const starts = this.windowStarts(rng ? Math.floor(rng() * Math.min(this.window, Math.max(1, this.stream.length - 2))) : 0);
    if (rng) shuffleInPlace(starts, rng);
    const L = this.window;
    const out: Batch[] = [];
    for (let b = 0; b < starts.length; b += batchSize) {
      const chunk = starts.slice(b, b + batchSize);
      const ids = new Int32Array(chunk.length * L);
      const targets = new Int32Array(chunk.length * L);
      const weights = new Float32Array(chunk.length * L);
      let tokens = 0;
      chunk.forEach((s, i) => {
        const n = Math.min(L, this.stream.length - 1 - s);
        ids.set(this.stream.subarray(s, s + n), i * L);
        targets.set(this.stream.subarray(s + 1, s + 1 + n), i * L);
        weights.fill(1, i * L, i * L + n);
        tokens += n;
      });
      out.push({ rows: chunk.length, length: L, ids, targets, weights, tokens });
    }
    return out;
  }
}

// ───────────────────────── losses ─────────────────────────

/** Mean cross-entropy of softmax probabilities [B, K] against class ids. */
export function classificationLoss(probs: tf.Tensor, labels: tf.Tensor1D, classes: number): tf.Scalar {
  const picked = tf.sum(tf.mul(probs, tf.oneHot(labels, classes)), 1);
  return tf.neg(tf.mean(tf.log(tf.clipByValue(picked, 1e-7, 1)))) as tf.Scalar;
}

/** Text regression's loss on outputs [B, 1] against standardized targets [B]: mse, mae or huber (δ = 1, as the tabular models' huber). */
export function regressionLoss(out: tf.Tensor, values: tf.Tensor1D, loss: LossName): tf.Scalar {
  const predicted = tf.reshape(out, [-1]);
  if (loss === 'huber') return tf.losses.huberLoss(values, predicted, undefined, 1.0) as tf.Scalar;
  const diff = tf.sub(predicted, values);
  return tf.mean(loss === 'mae' ? tf.abs(diff) : tf.square(diff)) as tf.Scalar;
}

/** A target's probability below this counts as this in the loss (its log, −69.1, bounds one token's loss); the gradient is exact. */
const LEAST_PROBABILITY = 1e-30;

/**
 * Per-token next-token cross-entropy of logits [B, T, V], weighted (0 =
 * padding), averaged over the real tokens: Σ w·(−log softmax(z)[target]) / max(Σ w, 1),
 * with its gradient written out, w/W·(softmax(z) − onehot). One softmax
 * serves both passes: through tf.logSoftmax the engine took an element-wise
 * exp forward and another backward (on wasm a scalar loop, ~8 ns a float: a
 * character model's step spent ~5% in them).
 */
export function languageModelLoss(logits: tf.Tensor, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  const vocab = logits.shape[2]!;
  const loss = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = tf.softmax(z);
    const onehot = tf.oneHot(targets, vocab);
    const picked = tf.sum(tf.mul(p, onehot), 2);
    const total = tf.maximum(tf.sum(weights), 1);
    const share = tf.div(weights, total);
    save([p, onehot, share]);
    return {
      value: tf.sum(tf.mul(tf.neg(tf.log(tf.maximum(picked, LEAST_PROBABILITY))), share)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [probs, hot, w]: tf.Tensor[]) => tf.mul(tf.sub(probs, hot), tf.mul(tf.expandDims(w, 2), dy)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: tf.Tensor) => tf.Scalar;
  return loss(logits);
}

// ───────────────────────── the experiment ─────────────────────────

export function prepareTextExperiment(config: ResolvedConfig, configPath: string, stage: Stage, log: Log, part?: TrainingDataPart, fineTune?: TextFineTune): PreparedExperiment {
  const modelConfig = resolveTransformer(config.model as TransformerModelConfig, config.data.tokenizer);
  const tokSettings = resolveTokenizer(config);
  const maxLength = Math.min(tokSettings.maxLength, modelConfig.maxLength);
  const lm = config.task === 'language-model';
  // A masked-language model always logs masked_accuracy and perplexity; "accuracy" in metrics names the same thing.
  const mlm = config.task === 'masked-language-model';
  const reg = config.task === 'regression';
  const wantAccuracy = !mlm && !reg && config.training.metrics.includes('accuracy');
  // Text regression logs what tabular regression logs: mae and mse as the config asks, on the standardized target.
  const regMetrics = reg ? config.training.metrics.filter((m): m is 'mae' | 'mse' => m === 'mae' || m === 'mse') : [];
  const share = maskShare(config.data);
  if (mlm && part) throw new Error('cross-validation and retraining deal table rows with labels; a masked-language model pretrains on all of its training text');

  // ── data
  stage('data', 'running');
  let tokenizer: Tokenizer;
  let train: TextDataset;
  let val: TextDataset | undefined;
  let test: TextDataset | undefined;
  let labels: string[] | undefined;
  /** Text regression: the target's standardization (the training split's mean and std). */
  let targetScaling: FittedPreprocessor | undefined;
  let evalText: string | undefined;
  /** A masked-language model: the training split's most frequent token (the baseline's guess). */
  let frequentToken = -1;
  if (mlm) {
    const texts = loadMaskedTexts(config.data, configPath);
    stage('data', 'done', texts.rows !== undefined ? logText('stage.rows', texts.rows) : logText('stage.characters', (texts.characters ?? 0).toLocaleString('en')));
    stage('preprocess', 'running');
    tokenizer = fineTune?.tokenizer ?? Tokenizer.fit(texts.train, tokSettings, { prependCls: modelConfig.pooling === 'first', mask: true });
    if (tokenizer.maskId === null) throw new Error(`the base's tokenizer has no ${MASK_TOKEN} token, so a masked-language model cannot be trained on it: pretrain from scratch or from a masked-language model's run`);
    fineTune?.checkTexts(texts.train);
    const dataset = (t: string[] | undefined) => t && new ClassificationData(t, undefined, tokenizer, maxLength);
    train = dataset(texts.train)!;
    val = dataset(texts.validation);
    test = dataset(texts.test);
    frequentToken = mostFrequentToken(texts.train, tokenizer);
    if (texts.skipped) log(logText('text.emptyTextSkipped', texts.skipped), 'warn');
    log(logText('text.masking', Math.round(share * 1000) / 10));
  } else if (lm) {
    const corpus = loadCorpusSplits(config.data, configPath);
    const chars = corpus.train.length + (corpus.validation?.length ?? 0) + (corpus.test?.length ?? 0);
    stage('data', 'done', logText('stage.characters', chars.toLocaleString('en')));
    stage('preprocess', 'running');
    tokenizer = fineTune?.tokenizer ?? Tokenizer.fit([corpus.train], tokSettings);
    fineTune?.checkTexts([corpus.train]);
    train = new CorpusData(tokenizer.encodeAll(corpus.train), maxLength);
    val = corpus.validation ? new CorpusData(tokenizer.encodeAll(corpus.validation), maxLength) : undefined;
    test = corpus.test ? new CorpusData(tokenizer.encodeAll(corpus.test), maxLength) : undefined;
    evalText = corpus.test ?? corpus.validation;
    const tokens = (d?: TextDataset) => (d as CorpusData | undefined)?.stream.length ?? 0;
    log(logText('text.corpus', tokens(train).toLocaleString('en'), tokens(val).toLocaleString('en'), tokens(test).toLocaleString('en'), maxLength));
  } else {
    const splits = loadSplits(config.data, configPath, part);
    const textColumn = config.data.text!;
    const target = config.data.target!;
    const pairs = {
      train: labelledTexts(splits.train, textColumn, target),
      validation: splits.validation && labelledTexts(splits.validation, textColumn, target),
      test: splits.test && labelledTexts(splits.test, textColumn, target),
    };
    stage('data', 'done', logText('stage.rows', totalRows(splits)));
    stage('preprocess', 'running');
    if (reg) {
      // Rows whose target is not a number are skipped and counted, as rows without text or target are.
      let notNumbers = 0;
      const numeric = (p: LabelledTexts | undefined) => {
        if (!p) return undefined;
        const texts: string[] = [];
        const values: number[] = [];
        p.labels.forEach((l, i) => {
          const v = targetNumber(l);
          if (v === undefined) notNumbers++;
          else {
            texts.push(p.texts[i]);
            values.push(v);
          }
        });
        return { texts, values };
      };
      const trainPairs = numeric(pairs.train)!;
      const valPairs = numeric(pairs.validation);
      const testPairs = numeric(pairs.test);
      if (trainPairs.values.length === 0) throw new Error(`the target "${target}" holds no numbers in the training split; text regression predicts a number`);
      const scaling = (targetScaling = standardizedTarget(target, trainPairs.values));
      tokenizer = fineTune?.tokenizer ?? Tokenizer.fit(trainPairs.texts, tokSettings, { prependCls: modelConfig.pooling === 'first' });
      fineTune?.checkTexts(trainPairs.texts);
      const s = scaling.scale[target];
      const dataset = (p: { texts: string[]; values: number[] } | undefined) => p && new ClassificationData(p.texts, undefined, tokenizer, maxLength, p.values.map((v) => (v - s.shift) / s.scale));
      train = dataset(trainPairs)!;
      val = dataset(valPairs);
      test = dataset(testPairs);
      const skipped = pairs.train.skipped + (pairs.validation?.skipped ?? 0) + (pairs.test?.skipped ?? 0);
      if (skipped) log(logText('text.rowsSkipped', skipped), 'warn');
      if (notNumbers) log(logText('text.targetNotNumberSkipped', notNumbers, target), 'warn');
      const note = scaledTargetLog(scaling, config.training.loss, regMetrics);
      if (note) log(note);
    } else {
      labels = sortLabels(pairs.train.labels);
      if (labels.length < 2) {
        throw new Error(`the target "${target}" has ${labels.length === 0 ? 'no values' : `only one class ("${labels[0]}")`} in the training split; a classifier needs at least two`);
      }
      tokenizer = fineTune?.tokenizer ?? Tokenizer.fit(pairs.train.texts, tokSettings, { prependCls: modelConfig.pooling === 'first' });
      fineTune?.checkTexts(pairs.train.texts);
      const index = new Map(labels.map((l, i) => [l, i]));
      let unseen = 0;
      const dataset = (p: LabelledTexts | undefined) => {
        if (!p) return undefined;
        const keep = p.labels.map((l) => index.has(l));
        unseen += keep.filter((k) => !k).length;
        const texts = p.texts.filter((_, i) => keep[i]);
        return new ClassificationData(texts, p.labels.filter((_, i) => keep[i]).map((l) => index.get(l)!), tokenizer, maxLength);
      };
      train = dataset(pairs.train)!;
      val = dataset(pairs.validation);
      test = dataset(pairs.test);
      const skipped = pairs.train.skipped + (pairs.validation?.skipped ?? 0) + (pairs.test?.skipped ?? 0);
      if (skipped) log(logText('text.rowsSkipped', skipped), 'warn');
      if (unseen) log(logText('text.unseenClassSkipped', unseen), 'warn');
    }
  }
  const dataSizes = { train: train.size, validation: val?.size ?? 0, test: test?.size ?? 0 };
  if (dataSizes.train === 0) throw new Error('no training text is left after loading');
  const detail = logText(`text.tokenizer.${tokSettings.type}.${lm || (mlm && config.data.text === undefined) ? 'sequences' : 'rows'}`, tokenizer.vocabSize, dataSizes.train, dataSizes.validation, dataSizes.test);
  stage('preprocess', 'done', detail);
  log(detail);

  // ── model
  const classes = labels?.length ?? 0;
  const outputs = { classes, tokenLogits: mlm, regression: reg };
  const model = fineTune ? fineTune.buildModel(modelConfig, tokenizer.vocabSize, outputs) : buildTransformer(modelConfig, tokenizer.vocabSize, outputs);
  const summary = summarize(model, null);

  const lossOf = (out: tf.Tensor, tensors: BatchTensors): tf.Scalar =>
    lm || mlm ? languageModelLoss(out, tensors.targets!, tensors.weights!) : reg ? regressionLoss(out, tensors.values!, config.training.loss) : classificationLoss(out, tensors.labels!, classes);
  /** Text regression: a batch's sums of absolute and squared errors (standardized target), for mae and mse. */
  const errorSums = (out: tf.Tensor, t: BatchTensors): tf.Tensor =>
    tf.tidy(() => {
      const d = tf.sub(tf.reshape(out, [-1]), t.values!);
      return tf.stack([tf.sum(tf.abs(d)), tf.sum(tf.square(d))]);
    });
  const errorLogs = (sums: number[], rows: number, prefix: string, logs: tfl.Logs): void => {
    for (const m of regMetrics) logs[`${prefix}${m}`] = sums[m === 'mae' ? 0 : 1] / Math.max(rows, 1);
  };
  /** What a batch's loss is the mean over: masked tokens, next tokens, or rows. */
  const weightOf = (batch: Batch): number => (mlm ? batch.predicted! : lm ? batch.tokens : batch.rows);

  /** A held-out split's batches; a masked-language model's masked once by its own seed, the same at every epoch. */
  const heldOutBatches = (data: TextDataset): Batch[] => {
    const batches = data.batches(EVAL_BATCH, undefined);
    if (!mlm) return batches;
    return maskBatches(batches, tokenizer, share, maskingRng(config.training.seed, data === test ? TEST_MASKING_EPOCH : VALIDATION_MASKING_EPOCH));
  };

  if (mlm && val && val.size > 0) log(logText('text.maskedBaseline', tokenizer.token(frequentToken), formatMetric(baselineAccuracy(heldOutBatches(val), frequentToken))));

  /** Loss (and accuracy) over a dataset, without dropout. */
  const measure = (data: TextDataset): { loss: number; accuracy: number; weight: number; errors: number[] } => {
    let lossSum = 0;
    let weight = 0;
    let correct = 0;
    const errors = [0, 0];
    for (const batch of heldOutBatches(data)) {
      const t = batchTensors(batch);
      const [loss, hits] = tf.tidy(() => {
        const out = model.apply(t.ids, { training: false }) as tf.Tensor;
        return [lossOf(out, t), reg ? errorSums(out, t) : countCorrect(out, t)];
      });
      const w = weightOf(batch);
      lossSum += loss.dataSync()[0] * w;
      const h = hits.dataSync();
      if (reg) {
        errors[0] += h[0];
        errors[1] += h[1];
      } else correct += h[0];
      weight += w;
      tf.dispose([loss, hits]);
      disposeBatch(t);
    }
    return { loss: lossSum / Math.max(weight, 1), accuracy: correct / Math.max(weight, 1), weight, errors };
  };

  let rng: SeededRng | undefined;
  const fit = async ({ epochs, batchSize, shuffle, seed, optimizer, callbacks, resume, gradients }: FitArgs): Promise<void> => {
    const random = (rng = seededRng(seed ^ 0x7e47));
    if (resume?.loop.random !== undefined) random.restore(resume.loop.random);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let lastYield = Date.now();
    for (let epoch = resume?.epochsDone ?? 0; epoch < epochs && !model.stopTraining; epoch++) {
      await callbacks.onEpochBegin?.(epoch);
      // Fine-tuning: the head alone while the base is frozen.
      const trainable = fineTune ? fineTune.trainableAt(epoch) : variables;
      let lossSum = 0;
      let weight = 0;
      let correct = 0;
      const errors = [0, 0];
      let tokens = 0;
      let trainMillis = 0;
      const unmasked = train.batches(batchSize, shuffle ? random : undefined);
      // A masked-language model: new masks every epoch, drawn from the seed and the epoch alone (so a resume draws the same).
      const batches = mlm ? maskBatches(unmasked, tokenizer, share, maskingRng(seed, epoch)) : unmasked;
      let cutShort = false;
      for (let b = 0; b < batches.length; b++) {
        const started = performance.now();
        const batch = batches[b];
        const t = batchTensors(batch);
        let hits: tf.Tensor | undefined;
        let errs: tf.Tensor | undefined;
        const tap = gradients && b === batches.length - 1 && gradients.wants(epoch) ? gradients : undefined;
        const cost = tf.tidy(() => {
          const { value, grads } = optimizer.computeGradients(() => {
            const out = model.apply(t.ids, { training: true }) as tf.Tensor;
            if (wantAccuracy || mlm) hits = tf.keep(countCorrect(out, t));
            if (regMetrics.length) errs = tf.keep(errorSums(out, t));
            return lossOf(out, t);
          }, trainable);
          tap?.take(grads);
          // Adam as one kernel call where the backend has it: ~13 fewer kernels per variable per step.
          if (!applyAdamFused(optimizer, grads)) optimizer.applyGradients(grads);
          return value;
        });
        const loss = (await cost.data())[0];
        const hitCount = hits ? (await hits.data())[0] : 0;
        const batchErrors = errs ? Array.from(await errs.data()) : [0, 0];
        tf.dispose([cost, hits as tf.Tensor, errs as tf.Tensor]);
        disposeBatch(t);
        trainMillis += performance.now() - started;
        const w = weightOf(batch);
        lossSum += loss * w;
        correct += hitCount;
        weight += w;
        errors[0] += batchErrors[0];
        errors[1] += batchErrors[1];
        tokens += batch.tokens;
        const batchLogs: tfl.Logs = mlm ? { loss, masked_accuracy: hitCount / Math.max(w, 1) } : wantAccuracy ? { loss, accuracy: hitCount / w } : { loss };
        if (reg) errorLogs(batchErrors, batch.rows, '', batchLogs);
        await callbacks.onBatchEnd?.(b, batchLogs);
        if (Date.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
        if (model.stopTraining) {
          cutShort = b < batches.length - 1;
          break;
        }
      }
      // Cut short by a stop: not an epoch (see trainLoop.ts).
      if (cutShort) break;
      const logs: tfl.Logs = { loss: lossSum / Math.max(weight, 1) };
      if (wantAccuracy) logs.accuracy = correct / Math.max(weight, 1);
      if (reg) errorLogs(errors, weight, '', logs);
      if (mlm) {
        logs.masked_accuracy = correct / Math.max(weight, 1);
        logs.perplexity = Math.exp(logs.loss);
      }
      if (val && val.size > 0) {
        const v = measure(val);
        logs.val_loss = v.loss;
        if (wantAccuracy) logs.val_accuracy = v.accuracy;
        if (reg) errorLogs(v.errors, v.weight, 'val_', logs);
        if (mlm) {
          logs.val_masked_accuracy = v.accuracy;
          logs.val_perplexity = Math.exp(v.loss);
        }
      }
      logs.tokensPerSecond = Math.round(tokens / Math.max(trainMillis / 1000, 1e-9));
      await callbacks.onEpochEnd?.(epoch, logs);
    }
  };

  const countCorrect = (out: tf.Tensor, t: BatchTensors): tf.Tensor =>
    tf.tidy(() => {
      if (!lm && !mlm) return tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), t.labels!), 'float32'));
      return tf.sum(tf.mul(tf.cast(tf.equal(tf.argMax(out, 2), t.targets!), 'float32'), t.weights!));
    });

  const evaluate = async (): Promise<ClassificationEvaluation | RegressionEvaluation | LanguageModelEvaluation | MaskedLanguageModelEvaluation | undefined> => {
    const data = test && test.size > 0 ? test : val && val.size > 0 ? val : undefined;
    if (!data) return undefined;
    const split = data === test ? ('test' as const) : ('validation' as const);
    if (mlm) {
      const m = measure(data);
      const batches = heldOutBatches(data);
      const baseline = { token: tokenizer.token(frequentToken), masked_accuracy: baselineAccuracy(batches, frequentToken) };
      const metrics = { loss: m.loss, perplexity: Math.exp(m.loss), masked_accuracy: m.accuracy };
      log(logText('text.maskedEvaluation', formatMetric(metrics.masked_accuracy), formatMetric(metrics.perplexity), baseline.token, formatMetric(baseline.masked_accuracy)));
      return { task: 'masked-language-model', split, count: m.weight, metrics, baseline, samples: fillInSamples(model, tokenizer, batches) };
    }
    if (reg) {
      // Tabular regression's evaluation: mse, mae, rmse, r2 and the scatter's samples, in the target's units.
      const d = data as ClassificationData;
      const predicted: number[] = [];
      for (const batch of d.batches(EVAL_BATCH, undefined)) {
        const ids = tf.tensor2d(batch.ids, [batch.rows, batch.length], 'int32');
        const out = tf.tidy(() => tf.reshape(model.predict(ids) as tf.Tensor, [-1]));
        predicted.push(...(await out.data()));
        tf.dispose([ids, out]);
      }
      const back = (v: number) => inverseTarget(targetScaling!, v);
      return regressionEvaluation(split, Array.from(d.values!, back), predicted.map(back));
    }
    if (!lm) {
      const d = data as ClassificationData;
      const predicted: number[] = [];
      for (const batch of d.batches(EVAL_BATCH, undefined)) {
        const ids = tf.tensor2d(batch.ids, [batch.rows, batch.length], 'int32');
        const out = tf.tidy(() => tf.argMax(model.predict(ids) as tf.Tensor, 1));
        predicted.push(...(await out.data()));
        tf.dispose([ids, out]);
      }
      return { task: 'classification', split, count: predicted.length, labels: labels!, ...classificationMetrics(Array.from(d.labels!), predicted, labels!) };
    }
    const m = measure(data);
    const samples = await sampleGenerations(model, tokenizer, evalText ?? '', maxLength, config.training.seed);
    return {
      task: 'language-model',
      split,
      count: m.weight,
      metrics: { loss: m.loss, perplexity: Math.exp(m.loss) },
      samples: samples.map((s) => s.prompt + s.text),
      prompts: samples.map((s) => s.prompt),
    };
  };

  const targetScale = targetScaling?.scale[targetScaling.target];
  const targetJson = targetScaling && targetScale ? { target: { column: targetScaling.target, kind: 'standardize' as const, shift: targetScale.shift, scale: targetScale.scale } } : {};
  const save = (dir: string) =>
    saveTextModel(model, dir, tokenizer, { format: 'modellab-text-task', version: 1, task: mlm ? 'masked-language-model' : lm ? 'language-model' : reg ? 'regression' : 'classification', labels, ...targetJson, maxLength: modelConfig.maxLength });

  return {
    model,
    summary,
    dataSizes,
    hasValidation: (val?.size ?? 0) > 0,
    ...(fineTune ? { optimizer: fineTune.optimizer() } : {}),
    fit,
    loopState: () => ({ random: rng?.state() }),
    save,
    evaluate,
    dispose: () => model.dispose(),
  };
}

interface BatchTensors {
  ids: tf.Tensor2D;
  labels?: tf.Tensor1D;
  values?: tf.Tensor1D;
  targets?: tf.Tensor2D;
  weights?: tf.Tensor2D;
}

function batchTensors(b: Batch): BatchTensors {
  return {
    ids: tf.tensor2d(b.ids, [b.rows, b.length], 'int32'),
    labels: b.labels && tf.tensor1d(b.labels, 'int32'),
    values: b.values && tf.tensor1d(b.values, 'float32'),
    targets: b.targets && tf.tensor2d(b.targets, [b.rows, b.length], 'int32'),
    weights: b.weights && tf.tensor2d(b.weights, [b.rows, b.length]),
  };
}

function disposeBatch(t: BatchTensors): void {
  tf.dispose([t.ids, t.labels, t.values, t.targets, t.weights].filter((x) => x !== undefined) as tf.Tensor[]);
}

const SAMPLE_COUNT = 3;

/**
 * A few continuations of prompts taken from held-out text (the start of
 * evenly spaced lines), so the evaluation shows what the model writes.
 */
async function sampleGenerations(model: tfl.LayersModel, tokenizer: Tokenizer, text: string, maxLength: number, seed: number): Promise<{ prompt: string; text: string }[]> {
  const char = tokenizer.settings.type === 'char';
  const promptTokens = char ? 16 : 4;
  const length = char ? 120 : 30;
  const lines = text.split('\n').filter((l) => tokenizer.pieces(l).length >= promptTokens + 2);
  const picked = Array.from({ length: Math.min(SAMPLE_COUNT, lines.length) }, (_, i) => lines[Math.floor((i * lines.length) / SAMPLE_COUNT)]);
  const rng = seededRng(seed);
  const samples: { prompt: string; text: string }[] = [];
  for (const line of picked) {
    const enc = tokenizer.encode(line, promptTokens, { pad: false });
    const last = enc.pieces[enc.pieces.length - 1];
    const prompt = last ? line.slice(0, last.end) : '';
    const ids = await generateIds(model, tokenizer, enc.ids, maxLength, { length, temperature: 0.8, topK: 0, rng });
    samples.push({ prompt, text: continuation(tokenizer, enc.ids, ids) });
  }
  return samples;
}
