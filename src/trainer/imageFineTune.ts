// Fine-tuning an image classifier from a base (`model.base` naming a trained
// image classifier's run or export): the model is the base's layers up to its
// head — every layer whose output is still a feature map, the rule of
// imageBaseBody (src/core/configRules/base.ts), so its convolutions and
// pooling — with their weights copied and checked equal, then this config's
// layers, a new head initialised from the run's seed for this data's labels.
//
// Freezing and the base's own learning rate are fineTune.ts's: one
// BaseAndHeadOptimizer over the kept layers' variables and the head's. A frozen
// epoch trains the head alone (the loop is handed the head's variables only, so
// no gradient is computed for the kept layers); the loop is run in two parts,
// the frozen epochs and the rest, on the same shuffle order and optimizer.
//
// The kept layers (their configs, names and the input they take) are written
// to the run's folder when it starts: a resume builds the model from there and
// takes every weight from its own checkpoint, without reading the base again.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { imageBaseBody } from '../core/configRules/base';
import { shapeText } from '../core/layerShapes';
import { isImageExperiment } from '../core/resolvedConfig';
import type { ResolvedConfig } from '../core/resolvedConfig';
import { logText } from '../core/trainerLogTable';
import type { TrainerLog } from '../core/protocol/trainer';
import { IMAGE_INFO_FILE } from '../core/types';
import type { ExperimentConfig, LayerConfig, RunBase } from '../core/types';
import { baseOptions, resolveBase, runBaseOf } from '../node/baseModel';
import { writeJsonAtomic } from '../node/runStoreWriter';
import { BaseAndHeadOptimizer, copyBaseWeights } from './fineTune';
import { buildOptimizer, buildSequential } from './model';
import { fitInOrder } from './preparedExperiment';
import type { FitArgs, OrderedFit } from './preparedExperiment';

/** The base's kept layers, written to a fine-tuned image run's folder when it starts (a resume builds from it). */
export const IMAGE_BASE_LAYERS_FILE = 'base-layers.json';

interface KeptLayersJson {
  format: 'modellab-image-base';
  version: 1;
  /** [height, width, channels] the first kept layer takes. */
  input: number[];
  /** The kept layers' configs, each named as in the base's model (its weights are stored under those names). */
  layers: LayerConfig[];
}

/** RunMeta.base of an image config with `model.base` (undefined for any other config). Throws the resolver's error when the base is not there. */
export function imageBaseOf(config: ExperimentConfig, configPath: string, runsDir: string): RunBase | undefined {
  if (config.model.base === undefined || !isImageExperiment(config)) return undefined;
  return runBaseOf(resolveBase(config.model.base, configPath, runsDir));
}

/** What the image loop asks of a fine-tuned run (imageTraining.ts). */
export interface ImageFineTune {
  /** The base's kept layers (their weights copied and checked; on a resume, left to the checkpoint) and then `head`, on `inputShape`. */
  buildModel(head: LayerConfig[], inputShape: readonly number[]): tfl.Sequential;
  /** Trains as fitInOrder does, the kept layers frozen for the first freezeEpochs epochs. */
  fit(fit: OrderedFit, args: FitArgs): Promise<void>;
  /** One optimizer over the kept layers' variables and the head's, each with its rate (after buildModel). */
  optimizer(): tf.Optimizer;
}

export interface ImageFineTuneArgs {
  config: ResolvedConfig;
  /** The run's folder (the kept layers are written there). */
  runDir: string;
  /** RunMeta.base: where the base's weights are (`path`). */
  base: RunBase;
  resuming: boolean;
  log: TrainerLog;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function imageFineTune({ config, runDir, base, resuming, log }: ImageFineTuneArgs): ImageFineTune {
  const options = baseOptions(config.model.base!);
  const keptFile = join(runDir, IMAGE_BASE_LAYERS_FILE);
  let model: tfl.Sequential | undefined;
  let kept = 0;
  const baseVariables: tf.Variable[] = [];
  const headVariables: tf.Variable[] = [];
  const setBaseTrainable = (trainable: boolean) => model!.layers.slice(0, kept).forEach((l) => (l.trainable = trainable));

  return {
    buildModel(head, inputShape) {
      const fromBase = resuming ? undefined : keptLayersOfBase(base);
      const keptLayers = fromBase?.kept ?? readKeptLayers(keptFile);
      if (!sameShape(keptLayers.input, inputShape)) {
        throw new Error(`model.base: the base takes ${shapeText(keptLayers.input)} images but this config reads them as ${shapeText(inputShape)}: set data.image's "size" and "channels" to the base's`);
      }
      kept = keptLayers.layers.length;
      const taken = new Set(keptLayers.layers.map((l) => l.name!));
      head.forEach((l, i) => {
        if (l.name && taken.has(l.name)) throw new Error(`model.layers[${i}]: the name "${l.name}" is a layer of the base; name the new head's layers apart`);
      });
      for (const l of head) if (l.name) taken.add(l.name);
      // The head's layers named apart from the kept ones (a name the base's layers have would clash).
      const named = head.map((l, i) => (l.name ? l : { ...l, name: uniqueName(`head_${i}_${l.type}`, taken) }));
      const headNames = new Set(named.map((l) => l.name!));
      model = buildSequential([...keptLayers.layers, ...named], inputShape);
      try {
        if (resuming) {
          log(logText('fineTune.imageResumed', kept));
        } else {
          writeJsonAtomic(keptFile, keptLayers);
          log(base.kind === 'run' ? logText('fineTune.fromRun', base.id ?? '', base.task, base.path) : logText('fineTune.fromExport', base.path, base.task));
          const copied = copyBaseWeights(model, base.path, headNames, false);
          const out = model.layers[kept - 1].outputShape as number[];
          log(logText('fineTune.imageKept', kept, keptLayers.layers.map((l) => l.type).join(', '), shapeText(out.slice(1)), copied, fromBase!.dropped.join(', '), head.length));
        }
      } catch (e) {
        model.dispose();
        throw e;
      }
      model.layers.forEach((layer, i) => (i < kept ? baseVariables : headVariables).push(...layer.trainableWeights.map((w) => w.read() as tf.Variable)));
      if (options.freezeEpochs > 0) log(logText('fineTune.frozen', options.freezeEpochs));
      if (options.learningRate !== undefined) log(logText('fineTune.learningRates', options.learningRate, config.training.optimizer.learningRate));
      return model;
    },
    async fit(fit, args) {
      const freeze = Math.min(options.freezeEpochs, args.epochs);
      const start = args.resume?.epochsDone ?? 0;
      if (start >= freeze) return fitInOrder(fit, args);
      // Not trainable while the model is compiled and the loop takes its variables (the head's alone), then
      // trainable again at once: the model's weights keep their order (trainable ones first), so the
      // checkpoints of frozen epochs list them as every other checkpoint does.
      setBaseTrainable(false);
      const onEpochBegin = args.callbacks.onEpochBegin;
      try {
        await fitInOrder(fit, {
          ...args,
          epochs: freeze,
          callbacks: {
            ...args.callbacks,
            onEpochBegin: async (epoch, logs) => {
              setBaseTrainable(true);
              await onEpochBegin?.(epoch, logs);
            },
          },
        });
      } finally {
        setBaseTrainable(true);
      }
      // Stopped (by the user, early stopping, a signal) during the frozen epochs: the rest is not trained.
      if (freeze >= args.epochs || model!.stopTraining) return;
      log(logText('fineTune.unfrozen', freeze + 1));
      // The same shuffle order carries on (fitInOrder keeps it in place); compiled again, the base's variables train too.
      await fitInOrder(fit, { ...args, resume: { epochsDone: freeze, loop: {} } });
    },
    optimizer() {
      const head = buildOptimizer(config.training.optimizer);
      const baseOpt = buildOptimizer({ ...config.training.optimizer, learningRate: options.learningRate ?? config.training.optimizer.learningRate });
      return new BaseAndHeadOptimizer(head, baseOpt, headVariables.map((v) => v.name), baseVariables.map((v) => v.name));
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function uniqueName(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
  taken.add(n);
  return n;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new Error(`${file}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function readKeptLayers(file: string): KeptLayersJson {
  if (!existsSync(file)) throw new Error(`${file} is missing: a fine-tuned image run keeps its base's layers there, and a resume builds its model from them`);
  const json = readJson(file, "the base's kept layers");
  if (!isRecord(json) || json.format !== 'modellab-image-base' || !Array.isArray(json.layers) || !Array.isArray(json.input)) throw new Error(`${file}: not a fine-tuned run's base layers (format "modellab-image-base")`);
  return json as unknown as KeptLayersJson;
}

/** Keras class names of our layer types, to check the base's saved model is the one its config describes. */
const CLASS_OF: Record<LayerConfig['type'], string> = {
  dense: 'Dense',
  conv2d: 'Conv2D',
  maxPooling2d: 'MaxPooling2D',
  averagePooling2d: 'AveragePooling2D',
  globalAveragePooling2d: 'GlobalAveragePooling2D',
  flatten: 'Flatten',
  dropout: 'Dropout',
  batchNormalization: 'BatchNormalization',
  layerNormalization: 'LayerNormalization',
  activation: 'Activation',
};

/**
 * The base's layers a fine-tuned classifier keeps (imageBaseBody's rule), from its config, each
 * named as its saved model names it (so its weights are found by name), checked against the
 * saved model's layer classes and the input its image.json states.
 */
function keptLayersOfBase(base: RunBase): { kept: KeptLayersJson; dropped: string[] } {
  const found = resolveBase(base.path, join(base.path, 'config'), base.path);
  const name = base.kind === 'run' ? `run "${base.id ?? ''}" (${base.path})` : `the export ${base.path}`;
  const info = readJson(join(base.path, IMAGE_INFO_FILE), "the base's image input (is it an image classifier?)");
  if (!isRecord(info) || !Array.isArray(info.size) || typeof info.channels !== 'number') throw new Error(`model.base: ${join(base.path, IMAGE_INFO_FILE)} does not give the base's image size and channels`);
  const input = [...(info.size as number[]), info.channels];
  const model = found.config?.model;
  if (!isRecord(model) || !Array.isArray(model.layers)) throw new Error(`model.base: ${name} does not say its layers (no config.json, or a model card without its config)`);
  const layers = model.layers as LayerConfig[];
  const body = imageBaseBody(layers, input);
  if ('problem' in body) throw new Error(`model.base: ${name}: ${body.problem}`);
  const topology = readJson(join(base.path, 'model.json'), "the base's model") as { modelTopology?: { config?: { layers?: { class_name?: string; config?: { name?: string } }[] } } };
  const saved = (topology.modelTopology?.config?.layers ?? []).filter((l) => l.class_name !== 'InputLayer');
  if (saved.length !== layers.length) throw new Error(`model.base: ${name}'s saved model has ${saved.length} layers but its config lists ${layers.length}`);
  const keptLayers = layers.slice(0, body.keep).map((l, i) => {
    const s = saved[i];
    if (s.class_name !== CLASS_OF[l.type] || typeof s.config?.name !== 'string') throw new Error(`model.base: ${name}'s saved layer ${i} is ${s.class_name ?? 'unknown'}, but its config says ${l.type}`);
    return { ...l, name: s.config.name };
  });
  return { kept: { format: 'modellab-image-base', version: 1, input, layers: keptLayers }, dropped: body.dropped };
}
