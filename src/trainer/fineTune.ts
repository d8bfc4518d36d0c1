// Fine-tuning a Transformer from a base (`model.base`): the run takes the
// base's tokenizer and hyperparameters (src/node/baseModel.ts fits the config
// to them before the run starts), builds the model as a fresh run would, then
// copies the base's embedding and blocks into it by layer name and checks the
// copies equal. A classifier's head (pooling + softmax over this config's
// classes) and a text regression model's (pooling + a linear Dense(1)) stay as
// the run's seed initialised them; a language model fine-tuned
// from a language model takes everything, its next-token head included, and so
// does a masked-language model from a masked-language model (continued
// pretraining; over a classifier's encoder its token head is new).
//
// Freezing and the base's own learning rate: two optimizers over disjoint
// variable lists (the base's, the head's), behind one tf.Optimizer the engine
// drives as any other. Not scaled gradients: Adam divides a gradient by its
// own running size, so scaling it changes nothing but epsilon's share — the
// rate has to be the optimizer's. Each inner optimizer always sees its own
// variables in the same order (tfjs keeps Adam's moments by position), and a
// frozen epoch computes no gradient for the base at all (its weights cannot
// move, and the backward pass stops at the head). The pair saves into the
// checkpoint as one optimizer: the head's state, then the base's, each
// starting with its own `iter`, so Adam's moments survive a resume.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import type { ResolvedConfig, ResolvedTransformer } from '../core/resolvedConfig';
import { isTransformerModel } from '../core/resolvedConfig';
import { Tokenizer, UNK_ID } from '../core/tokenizer';
import type { TokenizerJson } from '../core/tokenizer';
import { logText } from '../core/trainerLogTable';
import type { TrainerLog } from '../core/protocol/trainer';
import type { ExperimentConfig, RunBase } from '../core/types';
import { baseOptions, configOnBase, resolveBase, runBaseOf } from '../node/baseModel';
import type { BaseOptions } from '../node/baseModel';
import { writeJsonAtomic } from '../node/runStoreWriter';
import { applyAdamFused } from './kernels/adamUpdate';
import { buildOptimizer, getLearningRate, setLearningRate } from './model';
import { buildTransformer, REGRESSION_HEAD_LAYER } from './transformer';
import type { TransformerOutputs } from './transformer';

/** The base's tokenizer, kept in the fine-tuned run's folder when it starts: a resume reads it there, never from the base. */
export const FINE_TUNE_TOKENIZER_FILE = 'base-tokenizer.json';

/** A classifier's or a text regression model's layers that are new in a fine-tuned run (buildTransformer's names); every other weighted layer comes from the base. */
const NEW_HEAD_LAYERS: ReadonlySet<string> = new Set(['classifier', REGRESSION_HEAD_LAYER]);
/** A language model's head, copied from its base like the rest, but trained as the head (while the base is frozen it alone trains). */
const COPIED_HEAD_LAYERS: ReadonlySet<string> = new Set(['next_token_logits']);
/** A masked-language model's head (the contract's name): copied from a masked-language-model base, new over any other encoder. */
const MLM_HEAD_LAYERS: ReadonlySet<string> = new Set(['mlm_logits']);

/** A share of unknown training tokens above which the base's tokenizer is said not to fit the data. */
const UNKNOWN_SHARE_WARNING = 0.5;

export interface FineTunedConfig {
  /** The config with the base's hyperparameters and tokenizer settings (what the run trains and snapshots). */
  config: ExperimentConfig;
  /** RunMeta.base. */
  base: RunBase;
}

/**
 * A Transformer config with `model.base`, fitted to its base; undefined for
 * any other config. Throws (before any run folder exists) when the base
 * cannot be found or does not fit.
 */
export function fineTuneConfig(config: ExperimentConfig, configPath: string, runsDir: string): FineTunedConfig | undefined {
  if (config.model.base === undefined || !isTransformerModel(config.model)) return undefined;
  const base = resolveBase(config.model.base, configPath, runsDir);
  const fitted = configOnBase(config, base);
  // What the config names that the base overrides (data.tokenizer) the validation says, once (baseFitProblems' infos).
  return { config: fitted.config, base: runBaseOf(base) };
}

/** What the text loop asks of a fine-tuned run (textTraining.ts). */
export interface TextFineTune {
  /** The base's tokenizer (a resume: the copy in the run's folder). */
  readonly tokenizer: Tokenizer;
  /** Warns when most of the training tokens are unknown to the base's tokenizer. */
  checkTexts(texts: readonly string[]): void;
  /** The model as the config builds it, the base's weights copied in (not on a resume: the checkpoint has them). */
  buildModel(cfg: ResolvedTransformer, vocabSize: number, outputs: TransformerOutputs): tfl.LayersModel;
  /** The variables epoch `epoch` (0-based, counted from the run's start) trains: the head alone while the base is frozen. */
  trainableAt(epoch: number): tf.Variable[];
  /** One optimizer over the base's and the head's variables, each with its rate (after buildModel). */
  optimizer(): tf.Optimizer;
}

export interface TextFineTuneArgs {
  config: ResolvedConfig;
  /** The run's folder (the tokenizer is kept there). */
  runDir: string;
  /** RunMeta.base: where the base's weights are (`path`). */
  base: RunBase;
  resuming: boolean;
  log: TrainerLog;
}

export function textFineTune({ config, runDir, base, resuming, log }: TextFineTuneArgs): TextFineTune {
  const options: BaseOptions = baseOptions(config.model.base!);
  const kept = join(runDir, FINE_TUNE_TOKENIZER_FILE);
  let json: TokenizerJson;
  if (resuming) {
    if (!existsSync(kept)) throw new Error(`${kept} is missing: a fine-tuned run keeps its base's tokenizer there, and a resume reads it from there`);
    json = readTokenizer(kept);
  } else {
    json = readTokenizer(join(base.path, 'tokenizer.json'));
    writeJsonAtomic(kept, json);
    log(base.kind === 'run' ? logText('fineTune.fromRun', base.id ?? '', base.task, base.path) : logText('fineTune.fromExport', base.path, base.task));
  }
  const tokenizer = Tokenizer.fromJson(json);
  const decoder = config.model.type === 'transformerDecoder';
  const mlm = config.task === 'masked-language-model';
  const headLayers = decoder ? COPIED_HEAD_LAYERS : mlm ? MLM_HEAD_LAYERS : NEW_HEAD_LAYERS;
  const baseVariables: tf.Variable[] = [];
  const headVariables: tf.Variable[] = [];
  const baseRate = () => options.learningRate ?? config.training.optimizer.learningRate;

  return {
    tokenizer,
    checkTexts(texts) {
      let unknown = 0;
      let total = 0;
      for (const text of texts) {
        const ids = tokenizer.encodeAll(text);
        total += ids.length;
        for (const id of ids) if (id === UNK_ID) unknown++;
      }
      const share = total ? unknown / total : 0;
      if (share > UNKNOWN_SHARE_WARNING) log(logText('fineTune.unknownTokens', Math.round(share * 100)), 'warn');
    },
    buildModel(cfg, vocabSize, outputs) {
      const model = buildTransformer(cfg, vocabSize, outputs);
      for (const layer of model.layers) {
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        if (headLayers.has(layer.name)) headVariables.push(...vars);
        else baseVariables.push(...vars);
      }
      if (resuming) {
        log(logText('fineTune.resumed'));
      } else {
        try {
          // Continued pretraining takes the base's head too when it has one.
          const copyHead = decoder || (mlm && readSavedWeights(base.path).has('mlm_logits/kernel'));
          const copied = copyBaseWeights(model, base.path, headLayers, copyHead);
          log(
            copyHead
              ? logText('fineTune.copiedAll', copied)
              : mlm
                ? logText('fineTune.copiedNewTokenHead', copied, cfg.layers)
                : outputs.regression
                  ? logText('fineTune.copiedRegressionHead', copied, cfg.layers, cfg.pooling)
                  : logText('fineTune.copied', copied, cfg.layers, cfg.pooling, outputs.classes ?? 0),
          );
        } catch (e) {
          model.dispose();
          throw e;
        }
      }
      if (options.freezeEpochs > 0) log(logText('fineTune.frozen', options.freezeEpochs));
      if (options.learningRate !== undefined) log(logText('fineTune.learningRates', options.learningRate, config.training.optimizer.learningRate));
      return model;
    },
    trainableAt(epoch) {
      if (epoch < options.freezeEpochs) return headVariables;
      if (epoch === options.freezeEpochs && options.freezeEpochs > 0) log(logText('fineTune.unfrozen', epoch + 1));
      return [...baseVariables, ...headVariables];
    },
    optimizer() {
      const head = buildOptimizer(config.training.optimizer);
      const baseOpt = buildOptimizer({ ...config.training.optimizer, learningRate: baseRate() });
      const names = (vs: tf.Variable[]) => vs.map((v) => v.name);
      return new BaseAndHeadOptimizer(head, baseOpt, names(headVariables), names(baseVariables));
    },
  };
}

function readTokenizer(file: string): TokenizerJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson;
  } catch (e) {
    throw new Error(`${file}: cannot read the base's tokenizer (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

interface StoredWeight {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** A saved model's weights by their names (model.json's manifest over weights.bin), read without building the model. */
export function readSavedWeights(modelDir: string): Map<string, StoredWeight> {
  const file = join(modelDir, 'model.json');
  let json: { weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`model.base: ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new Error(`model.base: ${file} is not a TensorFlow.js layers model (no weightsManifest)`);
  const out = new Map<string, StoredWeight>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(modelDir, p))));
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization || (spec.dtype !== 'float32' && spec.dtype !== 'int32')) throw new Error(`model.base: ${file}: weight ${spec.name} is ${spec.quantization ? 'quantized' : spec.dtype}; a base's weights must be float32`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const end = offset + count * 4;
      if (end > bytes.length) throw new Error(`model.base: ${file}: the weight files end before weight ${spec.name}`);
      const slice = new Uint8Array(bytes.subarray(offset, end)).buffer; // a copy, 4-byte aligned
      out.set(spec.name, { shape: spec.shape, dtype: spec.dtype, data: spec.dtype === 'int32' ? new Int32Array(slice) : new Float32Array(slice) });
      offset = end;
    }
  }
  return out;
}

/**
 * Writes the base's weights into every weighted layer of `model` but the new
 * head, matched by their names, and reads each back to check it is the base's
 * bit for bit. Returns the number of weight arrays copied.
 */
export function copyBaseWeights(model: tfl.LayersModel, baseModelDir: string, newHead: ReadonlySet<string>, copyHead: boolean): number {
  const stored = readSavedWeights(baseModelDir);
  let copied = 0;
  for (const layer of model.layers) {
    if (newHead.has(layer.name) && !copyHead) continue;
    for (const w of layer.weights) {
      const from = stored.get(w.originalName);
      if (!from) {
        const layers = [...new Set([...stored.keys()].map((n) => n.split('/')[0]))];
        throw new Error(`model.base: the base's model (${join(baseModelDir, 'model.json')}) has no weight ${w.originalName}: its layers (${layers.join(', ')}) do not match this model's`);
      }
      if (!tf.util.arraysEqual(from.shape, w.shape as number[])) {
        throw new Error(`model.base: weight ${w.originalName} is [${from.shape}] in the base but [${w.shape}] in this model`);
      }
      const t = tf.tensor(from.data, from.shape, from.dtype);
      w.write(t);
      t.dispose();
      const back = w.read().dataSync();
      const a = new Uint8Array(back.buffer, back.byteOffset, back.byteLength);
      const b = new Uint8Array(from.data.buffer, from.data.byteOffset, from.data.byteLength);
      if (a.length !== b.length || !a.every((x, i) => x === b[i])) throw new Error(`model.base: weight ${w.originalName} differs from the base's after copying it`);
      copied++;
    }
  }
  return copied;
}

/**
 * One optimizer to the engine: the head's variables stepped by `head`, the
 * base's by `base` (its own learning rate). A plateau's new rate goes to the
 * head, and to the base scaled alike (their ratio stays).
 */
export class BaseAndHeadOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'ModelLabBaseAndHead';
  }
  learningRate: number;

  constructor(
    readonly head: tf.Optimizer,
    readonly base: tf.Optimizer,
    private readonly headNames: readonly string[],
    private readonly baseNames: readonly string[],
  ) {
    super();
    this.learningRate = getLearningRate(head);
  }

  setLearningRate(lr: number): void {
    const ratio = getLearningRate(this.base) / getLearningRate(this.head);
    setLearningRate(this.head, lr);
    setLearningRate(this.base, lr * ratio);
    this.learningRate = lr;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads: tf.NamedTensorMap = Array.isArray(variableGradients) ? Object.fromEntries(variableGradients.map((g) => [g.name, g.tensor])) : variableGradients;
    for (const [opt, names] of [
      [this.head, this.headNames],
      [this.base, this.baseNames],
    ] as const) {
      if (!names.some((n) => grads[n] != null)) continue; // frozen: not a step of this optimizer
      // Always every variable of the group, in the same order: tfjs keeps Adam's moments by position.
      const part: tf.NamedTensorMap = {};
      for (const n of names) part[n] = grads[n];
      if (!applyAdamFused(opt, part)) opt.applyGradients(part);
    }
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    // Each list starts with its own `iter`; setWeights splits there.
    return [...(await this.head.getWeights()), ...(await this.base.getWeights())];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const second = weightValues.findIndex((w, i) => i > 0 && w.name === 'iter');
    if (weightValues[0]?.name !== 'iter' || second < 0) throw new Error(`a fine-tuned run's optimizer state holds the head's and the base's, each starting with "iter"; this one does not (${weightValues.length} arrays)`);
    await this.head.setWeights(weightValues.slice(0, second));
    await this.base.setWeights(weightValues.slice(second));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { head: this.head.getConfig(), base: this.base.getConfig() };
  }

  override dispose(): void {
    this.head.dispose();
    this.base.dispose();
    super.dispose();
  }
}
