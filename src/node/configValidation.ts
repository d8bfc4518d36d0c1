// Validation of experiment configs on disk: the checks of core/configCheck.ts
// (syntax, schema, the rules of core/configRules, sweeps) with the data files
// looked at on disk, relative to the config's folder and within the workspace.
// Used by the editor diagnostics, the CLI and the trainer (which refuses a bad
// config).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkConfigText, checkConfigValue } from '../core/configCheck';
import type { ConfigDiagnostic, ValidationResult } from '../core/configCheck';
import type { DataProbe, ProbedBase } from '../core/configRules';
import { classLabels } from '../core/preprocess';
import { cellAt, columnOf, DataError, rowCount } from '../core/table';
import { IMAGE_INFO_FILE } from '../core/types';
import type { ExperimentConfig } from '../core/types';
import { isTransformerModel } from '../core/resolvedConfig';
import { baseFitProblems, describeBase, resolveBase } from './baseModel';
import { summarizeImageFolder } from './imageFolder';
import { runsDirFor } from './runsDirectory';
import { probeColumns, readTable } from './tableFile';
import { OUTSIDE_WORKSPACE_HINT, pathEscapesWorkspace } from './workspacePaths';
import type { PathPolicy } from './workspacePaths';

export { didYouMean } from '../core/configRules';
export type { ConfigDiagnostic, ValidationResult } from '../core/configCheck';

export const CONFIG_FILE_SUFFIX = '.experiment.json';

/**
 * Where the config's paths may point (see workspacePaths.ts); without a workspace root nothing
 * is checked. `runsDir`: where a `model.base` run id is looked up (default: the workspace root's,
 * else the working folder's, default runs folder).
 */
export type ValidationOptions = PathPolicy & { runsDir?: string };

export function validateConfigText(text: string, configPath: string, options: ValidationOptions = {}): ValidationResult {
  return checkConfigText(text, diskProbe(configPath, options));
}

/**
 * Checks a config that has no text of its own (a sweep point: the file's
 * config with some values replaced). The diagnostics carry paths, not ranges.
 */
export function validateConfigValue(value: unknown, configPath: string, options: ValidationOptions = {}): ConfigDiagnostic[] {
  return checkConfigValue(value, diskProbe(configPath, options));
}

export function validateConfigFile(configPath: string, options: ValidationOptions = {}): ValidationResult {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    return {
      diagnostics: [{ severity: 'error', message: `cannot read the config (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path: '(file)', offset: 0, length: 0, line: 0, column: 0, endLine: 0, endColumn: 0 }],
    };
  }
  return validateConfigText(text, configPath, options);
}

/** `file:line:col: severity: message`, 1-based, as compilers print. */
export function formatDiagnostic(configPath: string, d: ConfigDiagnostic): string {
  return `${configPath}:${d.line + 1}:${d.column + 1}: ${d.severity}: ${d.message}`;
}

/** The data files a config names, looked at on disk relative to the config's folder, within the path policy. */
function diskProbe(configPath: string, options: ValidationOptions): DataProbe {
  const baseDir = dirname(configPath);
  return {
    refusal: (path) => {
      const escape = pathEscapesWorkspace(path, baseDir, options);
      return escape ? `${escape}: ${OUTSIDE_WORKSPACE_HINT}` : undefined;
    },
    where: (path) => resolve(baseDir, path),
    kind: (path) => {
      const file = resolve(baseDir, path);
      if (!existsSync(file)) return 'missing';
      return statSync(file).isFile() ? 'file' : 'other';
    },
    columns: (path, format) => {
      const file = resolve(baseDir, path);
      try {
        return probeColumns(file, format);
      } catch (e) {
        return e instanceof DataError ? e : new DataError(file, undefined, String(e));
      }
    },
    classes: (path, column, format) => classesOnDisk(resolve(baseDir, path), column, format),
    base: (config) => probeBase(config, configPath, options.runsDir ?? runsDirFor(options.workspaceRoot ?? process.cwd())),
    imageFolder: (path) => {
      const dir = resolve(baseDir, path);
      try {
        return summarizeImageFolder(dir);
      } catch (e) {
        return new DataError(dir, undefined, `cannot read the folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    },
  };
}

/**
 * The base a config names, found by the trainer's resolver; what its model folder says of its
 * input; for a Transformer config, the trainer's own verdict on fitting the config to it.
 */
function probeBase(config: ExperimentConfig, configPath: string, runsDir: string): ProbedBase | { problem: string } {
  try {
    const found = resolveBase(config.model.base!, resolve(configPath), runsDir);
    return {
      name: describeBase(found),
      task: found.task,
      ...(found.config ? { config: found.config } : {}),
      ...imageInput(join(found.modelDir, IMAGE_INFO_FILE)),
      ...(existsSync(join(found.modelDir, 'task.json')) ? { textModel: true } : {}),
      ...(isTransformerModel(config.model) ? { fit: baseFitProblems(config, found) } : {}),
    };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** An image model's input size and channels from its image.json (the trainer reads the rest when it loads it). */
function imageInput(file: string): { image?: ProbedBase['image'] } {
  if (!existsSync(file)) return {};
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { size?: unknown; channels?: unknown };
    const size = info.size;
    if (Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n)) && typeof info.channels === 'number') return { image: { size: [size[0], size[1]], channels: info.channels } };
  } catch {
    // Unreadable: the trainer's loader names the file and the problem when it loads the base.
  }
  return {};
}

/** The last files' classes, by file, size and modification time: validation runs on every pause in typing, the file rarely changes. */
const classCache = new Map<string, string[] | DataError>();
const CLASS_CACHE_SIZE = 16;

/** A column's classes in a table file on disk (the whole file is read, once per version of it). */
function classesOnDisk(file: string, column: string, format?: string): string[] | DataError {
  let key: string;
  try {
    const st = statSync(file);
    key = JSON.stringify([file, st.size, st.mtimeMs, column, format ?? '']);
  } catch (e) {
    return new DataError(file, undefined, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const cached = classCache.get(key);
  if (cached) return cached;
  let classes: string[] | DataError;
  try {
    const table = readTable(file, format);
    const cells = columnOf(table, column);
    classes = classLabels(Array.from({ length: rowCount(table) }, (_, i) => cellAt(cells, i)));
  } catch (e) {
    classes = e instanceof DataError ? e : new DataError(file, undefined, String(e));
  }
  if (classCache.size >= CLASS_CACHE_SIZE) classCache.delete(classCache.keys().next().value!);
  classCache.set(key, classes);
  return classes;
}
