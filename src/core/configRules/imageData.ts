// Config rules for an image classifier's data (a config with `data.image`):
// `source` / `train` / `validation` / `test` each name a folder with one
// sub-folder per class, or a CSV/JSONL listing of image paths and labels. The
// folders are looked at through the DataProbe. The model's shapes are checked
// in imageModel.ts.

import { checkSplitWithSeparateFiles, columnChecker, probedKind } from './shared';
import type { DataProbe, RuleReport } from './shared';
import type { ExperimentConfig } from '../types';

/** What the image data's files tell the other rules. */
export interface ImageDataFindings {
  /** The columns of the first listing that could be read. */
  columns?: string[];
  /** The class names of the `source` or `train` folder, when it is a folder that could be read. */
  classes?: string[];
}

const FOLDER_HINT = 'a folder with one sub-folder per class (its name is the label), or a CSV/JSONL listing of image paths and labels';

function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

const IMAGE_FILE = /^\.(png|jpe?g|jpe|jfif|gif|bmp|webp|tiff?)$/;

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

/** The data section of an image experiment: each folder or listing there, of a usable shape. */
export function checkImageDataFiles(config: ExperimentConfig, probe: DataProbe, report: RuleReport): ImageDataFindings {
  const data = config.data;
  const image = data.image;
  const findings: ImageDataFindings = {};
  if (!image) return findings;
  if (data.source !== undefined && data.train !== undefined) {
    report(['data', 'train'], 'error', 'give either "source" (one folder or listing, split by "split") or "train" (with optional "validation" and "test"), not both');
  }
  if (data.source === undefined && data.train === undefined) {
    report(['data'], 'error', `data needs a "source": ${FOLDER_HINT} (or a "train" one)`);
  }
  checkSplitWithSeparateFiles(data, 'folder or listing', report);
  const trainKey = data.source !== undefined ? 'source' : 'train';
  let trainClasses: string[] | undefined;
  for (const key of ['source', 'train', 'validation', 'test'] as const) {
    const rel = data[key];
    if (rel === undefined) continue;
    const kind = probedKind(key, rel, probe, report, 'image folder');
    if (kind === undefined) continue;
    if (kind === 'file') {
      const ext = extensionOf(rel);
      if (IMAGE_FILE.test(ext) || data.format === 'txt' || ext === '.txt') {
        report(['data', key], 'error', `${rel} is ${IMAGE_FILE.test(ext) ? 'one image' : 'a text file'}; image data is ${FOLDER_HINT}`);
        continue;
      }
      const cols = probe.columns(rel, data.format);
      if (!Array.isArray(cols)) {
        report(['data', key], 'error', cols.detail);
        continue;
      }
      if (findings.columns === undefined) {
        findings.columns = cols;
        const check = columnChecker(cols, report);
        if (image.column !== undefined) check(['data', 'image', 'column'], image.column);
        else if (!cols.includes('path')) report(['data', key], 'error', `the listing ${rel} has no column "path" with the images' paths: name the column in "image": { "column": … } (the listing has: ${cols.slice(0, 12).join(', ')})`);
        if (data.target === undefined) report(['data'], 'error', 'missing "target": the listing\'s column with each image\'s label');
        else check(['data', 'target'], data.target);
      }
      continue;
    }
    const folder = probe.imageFolder?.(rel);
    if (!folder) continue;
    if ('detail' in folder) {
      report(['data', key], 'error', folder.detail);
      continue;
    }
    if (folder.classes.length === 0) {
      report(['data', key], 'error', `no class folders in ${rel}: it needs one sub-folder per class holding that class's images${folder.loose > 0 ? ` (the ${folder.loose} images directly in it belong to no class)` : ''}`);
      continue;
    }
    if (key === trainKey) {
      trainClasses = folder.classes;
      // The model's outputs are held to the classes only when there are enough of them to train on.
      if (folder.classes.length === 1) report(['data', key], 'error', `only one class folder in ${rel} ("${folder.classes[0]}"): a classifier needs at least two, one sub-folder per class`);
      else findings.classes = folder.classes;
    } else if (trainClasses) {
      const known = trainClasses;
      const unknown = folder.classes.filter((c) => !known.includes(c));
      if (unknown.length > 0) report(['data', key], 'error', `${unknown.length === 1 ? 'class folder' : 'class folders'} ${quoted(unknown)} in ${rel} ${unknown.length === 1 ? 'is' : 'are'} not among the training classes (${quoted(known)}): the model has no output for ${unknown.length === 1 ? 'it' : 'them'}`);
    }
    if (folder.empty.length === 1) report(['data', key], 'error', `the class folder "${folder.empty[0]}" in ${rel} holds no images (PNG or JPEG files)`);
    else if (folder.empty.length > 1) report(['data', key], 'error', `the class folders ${quoted(folder.empty)} in ${rel} hold no images (PNG or JPEG files)`);
  }
  return findings;
}
