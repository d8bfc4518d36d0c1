// Listing a folder of images with one sub-folder per class (the convention of
// Keras' image_dataset_from_directory and fastai's from_folder): the class
// names, and each class's image files. No decoding here, so the editor's
// config checks can use it without loading the decoders.

import { readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { sortClassNames } from '../core/imageSet';

/**
 * Extensions of the files a class folder's images are taken from. GIF, BMP,
 * WebP and TIFF are listed so that such a file is reported (or skipped) by
 * name rather than silently left out; only PNG and JPEG decode.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.gif', '.bmp', '.webp', '.tif', '.tiff']);

export function isImageFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function entries(dir: string): Dirent[] {
  // Hidden entries (.DS_Store, .git) are never data.
  return readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
}

/** Every image file under `dir` (its sub-folders too), sorted by path. */
export function imageFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of entries(d).sort((a, b) => byCodePoint(a.name, b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && isImageFileName(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Whether any image file is under `dir`, stopping at the first found. */
function hasImage(dir: string): boolean {
  const subdirs: string[] = [];
  for (const e of entries(dir)) {
    if (e.isDirectory()) subdirs.push(join(dir, e.name));
    else if (isImageFileName(e.name)) return true;
  }
  return subdirs.some(hasImage);
}

/** The sub-folders of a class folder, sorted as class names are (numerically when all are numbers). */
export function classFolderNames(dir: string): string[] {
  return sortClassNames(entries(dir).filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name)))).map((e) => e.name));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** What the editor's checks need to know about a folder of class folders, cheaply. */
export interface ImageFolderSummary {
  /** Class (sub-folder) names, sorted. */
  classes: string[];
  /** Class folders without a single image file. */
  empty: string[];
  /** Image files directly in the folder, outside any class folder (not used). */
  loose: number;
}

/** The class folders of `dir` and which of them hold no image. Throws what readdir throws. */
export function summarizeImageFolder(dir: string): ImageFolderSummary {
  const classes = classFolderNames(dir);
  const empty = classes.filter((c) => !hasImage(join(dir, c)));
  return { classes, empty, loose: looseImageCount(dir) };
}

/** Image files directly in `dir`, outside any class folder. */
export function looseImageCount(dir: string): number {
  return entries(dir).filter((e) => !e.isDirectory() && isImageFileName(e.name)).length;
}
