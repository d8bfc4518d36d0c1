// Config rules for the model of an image classifier: a stack of layers whose
// shapes work out from the image's height × width × channels (no window
// larger than what is left of the image, a flatten or global pooling before
// the dense layers), a classification task and loss, and as many outputs as
// there are classes when the data tells how many. Also: convolution and
// pooling layers need image data. The data section's checks are elsewhere.

import { inferLayerShapes, imageInputShape, layerLabel, shapeText } from '../layerShapes';
import { defaultLoss, isRecommenderModel, isTransformerModel } from '../resolvedConfig';
import { checkOutputLayer } from './tabular';
import type { RuleReport } from './shared';
import type { ExperimentConfig, LayerConfig } from '../types';

/** Layers that work on height × width × channels feature maps only. */
const IMAGE_LAYERS: ReadonlySet<LayerConfig['type']> = new Set(['conv2d', 'maxPooling2d', 'averagePooling2d', 'globalAveragePooling2d']);

/**
 * The model of a config with `data.image`. `classes`: the class names the
 * data holds, when known (a folder's sub-folders, a listing's labels); the
 * output layer is then held to their number. `inputShape`: what the layers
 * start from — the image, or a base's kept layers' output (null: not known).
 */
export function checkImageModel(config: ExperimentConfig, report: RuleReport, classes?: readonly string[], inputShape?: readonly number[] | null): void {
  const image = config.data.image;
  if (!image) return;
  if (config.task !== 'classification') {
    report(['task'], 'error', `image data is for "classification": the model learns a label per image; "${config.task}" is not supported for images`);
  }
  const model = config.model;
  if (isTransformerModel(model) || isRecommenderModel(model)) return; // routed to the text or recommendation rules
  const layers = model.layers;
  // With a base, the layers are its new head, on the base's kept layers' output (null: unknown, not checked).
  const start = inputShape === undefined ? imageInputShape(image) : inputShape;
  const shapes = start ? inferLayerShapes(layers, start) : { problem: undefined, output: undefined };
  if (shapes.problem) {
    report(['model', 'layers', shapes.problem.index, 'type'], 'error', shapes.problem.message);
  } else if (shapes.output && shapes.output.length !== 1) {
    const last = layers.length - 1;
    report(
      ['model', 'layers', last, 'type'],
      'error',
      `${layerLabel(last, layers[last].type)} outputs a ${shapeText(shapes.output)} feature map, but a classifier ends in one value per class: add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) and a dense layer with one unit per class`,
    );
  }
  if (config.task !== 'classification') return;
  // A last dense layer that is a hidden one is reported with the output layer it lacks; its units are no class count.
  const noOutputLayer = checkOutputLayer(config, report, classes);
  if (classes && !noOutputLayer) checkClassCount(config, layers, classes, report);
}

/** The output layer has one unit per class (or one sigmoid unit for two classes). */
function checkClassCount(config: ExperimentConfig, layers: LayerConfig[], classes: readonly string[], report: RuleReport): void {
  const lastDense = layers.map((l) => l.type).lastIndexOf('dense');
  if (lastDense < 0 || classes.length === 0) return; // the output layer's own rule reports it
  const units = (layers[lastDense] as Extract<LayerConfig, { type: 'dense' }>).units;
  const k = classes.length;
  const names = `${classes.slice(0, 8).join(', ')}${k > 8 ? ', …' : ''}`;
  const loss = config.training.loss ?? defaultLoss(config);
  if (loss === 'binaryCrossentropy') {
    if (k !== 2) {
      report(['model', 'layers', lastDense, 'units'], 'error', `one sigmoid unit tells two classes apart, but the images have ${k} (${names}): set "units": ${k} with "activation": "softmax"${config.training.loss ? ' and a categorical cross-entropy' : ''}`);
    }
  } else if (units !== k) {
    report(['model', 'layers', lastDense, 'units'], 'error', `the last dense layer has ${units} unit${units === 1 ? '' : 's'} but the images have ${k} classes (${names}): set "units": ${k}`);
  }
}

/** Convolution and pooling layers in a stack whose data are not images. */
export function checkImageLayersWithoutImage(config: ExperimentConfig, report: RuleReport): void {
  if (config.data.image || isTransformerModel(config.model) || isRecommenderModel(config.model)) return;
  config.model.layers.forEach((layer, i) => {
    if (layer.type === 'flatten') {
      report(['model', 'layers', i, 'type'], 'error', `${layerLabel(i, layer.type)} lays an image's feature map out as a vector, but the inputs here are a vector already: remove it`);
    } else if (IMAGE_LAYERS.has(layer.type)) {
      report(['model', 'layers', i, 'type'], 'error', `${layerLabel(i, layer.type)} works on images: add "data.image" (e.g. "image": { "size": [28, 28], "channels": 1 }) with a folder of images as the source, or use dense layers for ${config.data.text !== undefined ? 'text' : 'columns of numbers'}`);
    }
  });
}
