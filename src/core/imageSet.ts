// The images of an image-classification experiment, by split: file paths and
// class indices (reading them is src/node/imageFiles.ts), and the seeded split
// of one set into train / validation / test.

import { seededRng, shuffleInPlace } from './random';
import { DataError } from './table';

/** Images and their classes (indices into ImageSplits.classNames). */
export interface ImageSet {
  /** Absolute paths. */
  files: string[];
  labels: Int32Array;
}

export interface ImageSplits {
  /** Class names in the order of the model's outputs (a label is an index into them). */
  classNames: string[];
  train: ImageSet;
  validation?: ImageSet;
  test?: ImageSet;
}

/** The images of a set at the given positions, in that order. */
export function subsetImages(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  const files = new Array<string>(idx.length);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    files[k] = set.files[idx[k]];
    labels[k] = set.labels[idx[k]];
  }
  return { files, labels };
}

/**
 * Seeded split of one set, as a table's rows are split (core/dataset.ts
 * splitTable): the positions shuffled with the seed, then the first for
 * training, the next `validation` share for validation, the last `test` share
 * for testing. `where` names the data in an error.
 */
export function splitImageSet(set: ImageSet, validation: number, test: number, seed: number, shuffle: boolean, where: string): Pick<ImageSplits, 'train' | 'validation' | 'test'> {
  const idx = Array.from({ length: set.files.length }, (_, i) => i);
  if (shuffle) shuffleInPlace(idx, seededRng(seed));
  const n = idx.length;
  const nTest = Math.round(n * test);
  const nVal = Math.round(n * validation);
  const nTrain = n - nTest - nVal;
  if (nTrain < 1) throw new DataError(where, undefined, `only ${n} images: nothing is left for training after the validation and test split`);
  return {
    train: subsetImages(set, idx.slice(0, nTrain)),
    validation: nVal > 0 ? subsetImages(set, idx.slice(nTrain, nTrain + nVal)) : undefined,
    test: nTest > 0 ? subsetImages(set, idx.slice(nTrain + nVal)) : undefined,
  };
}

/** Sorted class names: numerically when every name is a number ("2" before "10"), else by code point (Python's sorted, as Keras and fastai list class folders). */
export function sortClassNames(names: Iterable<string>): string[] {
  const list = [...new Set(names)];
  const numeric = list.length > 0 && list.every((n) => n.trim() !== '' && Number.isFinite(Number(n)));
  return numeric ? list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)) : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
