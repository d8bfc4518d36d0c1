// Reading an image-classification experiment's data: which files are in each
// split with which class (a folder of class sub-folders, or a CSV/JSONL
// listing of paths and labels), then their pixels, decoded, converted to the
// model's channels and resized (imageDecode.ts, core/imageTransforms.ts).

import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { convertChannels, resizeBilinear } from '../core/imageTransforms';
import { sortClassNames, splitImageSet } from '../core/imageSet';
import type { ImageSet, ImageSplits } from '../core/imageSet';
import type { ResolvedImage } from '../core/resolvedConfig';
import { carvedValidationShare, splitSeed, SPLIT_DEFAULTS } from '../core/splitPlan';
import { cellAt, columnOf, DataError, rowCount } from '../core/table';
import type { DataConfig } from '../core/types';
import { logText } from '../core/trainerLogTable';
import type { LogText } from '../core/trainerLogTable';
import { readImageFile } from './imageDecode';
import { classFolderNames, imageFilesUnder, looseImageCount } from './imageFolder';
import { describeBytes, maxDataBytes, readTable } from './tableFile';

export type { ImageSet, ImageSplits } from '../core/imageSet';

/** The trainer's log: a line in English, or by message id (src/core/trainerLogTable.ts). */
export type ImageLog = (message: string | LogText, level?: 'info' | 'warn') => void;

/** One folder's or listing's images, labelled by class name. */
interface LabelledImages {
  where: string;
  files: string[];
  labels: string[];
  /** Class names this source defines (a folder's sub-folders, a listing's labels), sorted. */
  classes: string[];
}

function sizeLimitError(where: string, total: number, limit: number, count: number): DataError {
  return new DataError(where, undefined, `the ${count} images are ${describeBytes(total)} in all, larger than the ${describeBytes(limit)} Model Lab reads into memory; use a sample of them, or raise the limit (modelLab.maxDataFileMB)`);
}

function readClassFolder(dir: string, training: boolean, log: ImageLog): LabelledImages {
  const classes = classFolderNames(dir);
  if (classes.length === 0) {
    const loose = imageFilesUnder(dir).length;
    const here = loose === 1 ? 'the 1 image here is' : `the ${loose} images here are`;
    throw new DataError(dir, undefined, `no class folders: put each class's images in a sub-folder named after the class (e.g. ${join(dir, 'cat', '1.png')}, ${join(dir, 'dog', '1.png')})${loose ? `; ${here} in no class folder` : ''}`);
  }
  if (classes.length === 1 && training) {
    throw new DataError(dir, undefined, `only one class folder ("${classes[0]}"): a classifier needs at least two, one sub-folder per class`);
  }
  const files: string[] = [];
  const labels: string[] = [];
  for (const name of classes) {
    const classFiles = imageFilesUnder(resolve(dir, name));
    if (classFiles.length === 0) throw new DataError(resolve(dir, name), undefined, `the class folder "${name}" holds no images (PNG or JPEG files)`);
    for (const f of classFiles) {
      files.push(f);
      labels.push(name);
    }
  }
  const loose = looseImageCount(dir);
  if (loose > 0) log(loose === 1 ? logText('images.looseOne', dir) : logText('images.loose', dir, loose), 'warn');
  return { where: dir, files, labels, classes };
}

function readListing(file: string, training: boolean, data: DataConfig, image: ResolvedImage, base: string, log: ImageLog): LabelledImages {
  const table = readTable(file, data.format);
  const n = rowCount(table);
  if (n === 0) throw new DataError(file, undefined, 'the listing has no rows: it needs one row per image, with its path and its label');
  if (!data.target) throw new DataError(file, undefined, `a listing of images needs "target": the column with each image's label (the columns are: ${table.columns.join(', ')})`);
  for (const name of [image.column, data.target]) {
    if (!table.columns.includes(name)) throw new DataError(file, undefined, `no column "${name}" (the columns are: ${table.columns.join(', ')})`);
  }
  const paths = columnOf(table, image.column);
  const targets = columnOf(table, data.target);
  const files: string[] = [];
  const labels: string[] = [];
  let missing = 0;
  for (let r = 0; r < n; r++) {
    const p = cellAt(paths, r);
    const label = cellAt(targets, r);
    if (p === null || String(p).trim() === '') throw new DataError(file, table.lines[r], `no image path in column "${image.column}"`);
    if (label === null || String(label).trim() === '') throw new DataError(file, table.lines[r], `no label in column "${data.target}"`);
    const abs = resolve(base, String(p));
    if (!isFile(abs)) {
      if (image.onError === 'fail') throw new DataError(file, table.lines[r], `image not found: ${String(p)} (looked for ${abs}; paths are relative to the config's folder)`);
      if (missing++ < 5) log(logText('images.notFoundSkipped', file, table.lines[r] ?? '', abs), 'warn');
      continue;
    }
    files.push(abs);
    labels.push(String(label));
  }
  if (missing > 0) log(missing === 1 ? logText('images.missingOne', file) : logText('images.missing', file, missing), 'warn');
  if (files.length === 0) throw new DataError(file, undefined, 'none of the listed images was found');
  const classes = sortClassNames(labels);
  if (classes.length === 1 && training) throw new DataError(file, undefined, `every image has the label "${classes[0]}": a classifier needs at least two classes`);
  return { where: file, files, labels, classes };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * A folder of class folders or a listing file, by what is on disk; the sum of
 * its images' sizes held to the data limit. The training data (`training`)
 * must hold two classes or more; a validation or test split may hold one.
 */
function readImageSource(rel: string, training: boolean, data: DataConfig, image: ResolvedImage, base: string, log: ImageLog): LabelledImages {
  const abs = resolve(base, rel);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new DataError(abs, undefined, `image folder not found: ${rel} (a folder with one sub-folder per class, or a CSV/JSONL listing of image paths and labels)`);
  }
  const source = isDir ? readClassFolder(abs, training, log) : readListing(abs, training, data, image, base, log);
  const limit = maxDataBytes();
  let total = 0;
  for (const f of source.files) {
    try {
      total += statSync(f).size;
    } catch {
      // an unreadable file is reported when it is read
    }
  }
  if (total > limit) throw sizeLimitError(abs, total, limit, source.files.length);
  return source;
}

function toSet(source: LabelledImages, classNames: string[], trainWhere: string): ImageSet {
  const index = new Map(classNames.map((c, i) => [c, i]));
  const labels = new Int32Array(source.files.length);
  source.labels.forEach((name, i) => {
    const k = index.get(name);
    if (k === undefined) {
      throw new DataError(source.where, undefined, `class "${name}" is not among the training classes (${classNames.join(', ')}, from ${trainWhere}): the model has no output for it`);
    }
    labels[i] = k;
  });
  return { files: source.files, labels };
}

function classCounts(set: ImageSet, classNames: string[]): string {
  const counts = new Array<number>(classNames.length).fill(0);
  for (const l of set.labels) counts[l]++;
  return classNames.map((c, i) => `${c} ${counts[i]}`).join(', ');
}

/**
 * Which images make up each split, with their classes. `data.source` (a folder
 * of class folders or a listing) is split by `data.split` as a table is
 * (validation 0.2, test 0.1, seed 42, shuffled); otherwise `train` and the
 * optional `validation` and `test` each name a folder or a listing, and the
 * class names come from `train`. Paths are relative to the config's folder.
 * DataError (naming the path) for a missing folder, a class folder without
 * images, a single class, an empty listing, or images over the data-size limit.
 */
export function loadImageSplits(data: DataConfig, configPath: string, image: ResolvedImage, log: ImageLog): ImageSplits {
  const base = dirname(configPath);
  let splits: ImageSplits;
  if (data.source !== undefined) {
    const source = readImageSource(data.source, true, data, image, base, log);
    const classNames = source.classes;
    const { seed, shuffle } = splitSeed(data);
    const parts = splitImageSet(toSet(source, classNames, source.where), data.split?.validation ?? SPLIT_DEFAULTS.validation, data.split?.test ?? SPLIT_DEFAULTS.test, seed, shuffle, source.where);
    splits = { classNames, ...parts };
  } else {
    if (data.train === undefined) throw new Error('data needs a "source" or a "train" folder');
    const train = readImageSource(data.train, true, data, image, base, log);
    const classNames = train.classes;
    const other = (rel: string | undefined): ImageSet | undefined => (rel === undefined ? undefined : toSet(readImageSource(rel, false, data, image, base, log), classNames, train.where));
    const trainSet = toSet(train, classNames, train.where);
    const carve = carvedValidationShare(data);
    if (carve > 0 && Math.round(trainSet.files.length * carve) > 0) {
      // No validation folder or listing: a seeded share of the training images validates.
      const { seed, shuffle } = splitSeed(data);
      const parts = splitImageSet(trainSet, carve, 0, seed, shuffle, train.where);
      splits = { classNames, train: parts.train, validation: parts.validation, test: other(data.test) };
    } else {
      splits = { classNames, train: trainSet, validation: other(data.validation), test: other(data.test) };
    }
  }
  const [classes, train, perClass] = [splits.classNames.length, splits.train.files.length, classCounts(splits.train, splits.classNames)];
  const validation = splits.validation?.files.length;
  const test = splits.test?.files.length;
  if (validation !== undefined && test !== undefined) log(logText('images.classes.all', classes, train, validation, test, perClass));
  else if (validation !== undefined) log(logText('images.classes.validation', classes, train, validation, perClass));
  else if (test !== undefined) log(logText('images.classes.test', classes, train, test, perClass));
  else log(logText('images.classes', classes, train, perClass));
  return splits;
}

/** How many skipped files are named one by one in the log before only the count is given. */
const SKIPS_NAMED = 10;

/**
 * The pixels of a set's images, N × height × width × channels (HWC), on the
 * 0..255 scale (before scaling): each decoded, converted to `image.channels`
 * and resized to `image.size`. A file that cannot be read as an image stops
 * with a DataError naming it (`onError` "fail"), or is left out and counted
 * (`onError` "skip"); `files` and `labels` are those of the images kept.
 */
export function readImagePixels(set: ImageSet, image: ResolvedImage, log: ImageLog): { pixels: Float32Array; files: string[]; labels: Int32Array; skipped: number } {
  const [height, width] = image.size;
  const per = height * width * image.channels;
  let pixels: Float32Array;
  try {
    pixels = new Float32Array(set.files.length * per);
  } catch {
    throw new DataError(set.files.length > 0 ? dirname(set.files[0]) : '(images)', undefined, `${set.files.length} images of ${height}×${width}×${image.channels} do not fit in memory (${describeBytes(set.files.length * per * 4)}); use a smaller "size" or fewer images`);
  }
  const files: string[] = [];
  const labels = new Int32Array(set.files.length);
  let skipped = 0;
  let scratch = new Float32Array(0);
  for (let i = 0; i < set.files.length; i++) {
    const file = set.files[i];
    try {
      const decoded = readImageFile(file);
      const n = decoded.width * decoded.height * image.channels;
      if (decoded.width === width && decoded.height === height) {
        convertChannels(decoded, image.channels, pixels, files.length * per);
      } else {
        if (scratch.length < n) scratch = new Float32Array(n);
        convertChannels(decoded, image.channels, scratch, 0);
        resizeBilinear(scratch, decoded.height, decoded.width, image.channels, height, width, pixels, files.length * per);
      }
    } catch (e) {
      if (!(e instanceof DataError) || image.onError === 'fail') throw e;
      if (skipped++ < SKIPS_NAMED) log(`${e.message} — skipped`, 'warn');
      continue;
    }
    labels[files.length] = set.labels[i];
    files.push(file);
  }
  if (skipped > 0) log(logText('images.unreadableSkipped', skipped, set.files.length), 'warn');
  if (files.length === 0 && set.files.length > 0) throw new DataError(dirname(set.files[0]), undefined, `none of the ${set.files.length} images could be read`);
  return {
    pixels: skipped > 0 ? pixels.slice(0, files.length * per) : pixels,
    files,
    labels: skipped > 0 ? labels.slice(0, files.length) : labels,
    skipped,
  };
}

/** A path for messages and records: relative to the config's folder when inside it. */
export function imagePathForRecord(file: string, configPath: string): string {
  const rel = relative(dirname(configPath), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split('\\').join('/');
}
