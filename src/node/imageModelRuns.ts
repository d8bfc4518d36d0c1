// Which runs hold an image classifier the saliency view can use (a finished
// classification run whose model folder has image.json beside model.json),
// and the files of an image classifier's evaluation a page may ask to open.
// Pure Node (no tfjs, no vscode), for the host and tests.

import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { RunListEntry } from './runStoreReader';
import { IMAGE_INFO_FILE } from '../core/types';
import type { ClassificationEvaluation, Evaluation, RunMeta } from '../core/types';
import { byEndTimeNewestFirst } from './textModelRuns';

/** What an image model keeps beside its weights (ImageModelInfo), in the model folder. */

/** The model folder of a run with an image model, or undefined. */
export function imageModelDir(runDir: string): string | undefined {
  const dir = join(runDir, 'model');
  return existsSync(join(dir, IMAGE_INFO_FILE)) && existsSync(join(dir, 'model.json')) ? dir : undefined;
}

export interface ImageClassifierRun {
  id: string;
  dir: string;
  name: string;
  modelDir: string;
  meta: Pick<RunMeta, 'createdAt' | 'endedAt'>;
}

/** Completed classification runs with a saved image model, the one that ended last first. */
export function imageClassifierRuns(entries: Iterable<RunListEntry>): ImageClassifierRun[] {
  const runs: ImageClassifierRun[] = [];
  for (const r of entries) {
    const meta = r.meta;
    if (!meta || meta.status !== 'completed' || meta.task !== 'classification') continue;
    const modelDir = imageModelDir(r.dir);
    if (!modelDir) continue;
    runs.push({ id: r.id, dir: r.dir, name: meta.name, modelDir, meta: { createdAt: meta.createdAt, endedAt: meta.endedAt } });
  }
  return runs.sort(byEndTimeNewestFirst);
}

/** Whether `child` is `parent` or inside it (both absolute). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** The folder an image run's evaluation paths are relative to: its config's folder. */
export function configFolderOf(meta: Pick<RunMeta, 'configPath'> | undefined): string | undefined {
  return meta?.configPath ? dirname(meta.configPath) : undefined;
}

/**
 * The absolute path of an evaluation image a page asked to open, or why not:
 * the evaluation must list `file`; a relative path must stay inside the
 * config's folder (symbolic links resolved); and the file must exist inside
 * one of `allowedRoots` (the workspace folders). The evaluation lists an image
 * outside the config's folder by its absolute path.
 */
export function evaluationImagePath(
  evaluation: Evaluation | undefined,
  configFolder: string | undefined,
  file: string,
  allowedRoots: readonly string[],
): { path: string } | { error: string } {
  if (!evaluation || evaluation.task !== 'classification') return { error: 'the run has no classification evaluation' };
  const images = (evaluation as ClassificationEvaluation).images;
  if (!Array.isArray(images) || !images.some((i) => i && i.file === file)) return { error: `the run's evaluation does not list ${file}` };
  let real: string;
  if (isAbsolute(file)) {
    try {
      real = realpathSync(file);
    } catch {
      return { error: `${file} does not exist` };
    }
  } else {
    if (!configFolder) return { error: 'the run does not name its config' };
    const path = resolve(configFolder, file);
    if (!isInside(configFolder, path)) return { error: `${file} is outside the config's folder` };
    let realFolder: string;
    try {
      real = realpathSync(path);
      realFolder = realpathSync(configFolder);
    } catch {
      return { error: `${file} does not exist` };
    }
    if (!isInside(realFolder, real)) return { error: `${file} leads outside the config's folder` };
  }
  const roots = allowedRoots.map((root) => {
    try {
      return realpathSync(root);
    } catch {
      return resolve(root);
    }
  });
  if (!roots.some((root) => isInside(root, real))) return { error: `${file} is outside the workspace` };
  return { path: real };
}
