// What the pipeline text is made from, read from disk: a run's recorded
// config (config.json, every default filled in), stage statuses and split
// sizes; or, for a config not yet trained, the sizes of its data files.
// Readers never throw: what cannot be read is left out.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { loadSplits } from './dataFiles';
import { rowCount } from '../core/table';
import { pipelineMermaid } from '../core/pipeline';
import type { DataSizes, DeploymentInfo, PipelineWords } from '../core/pipeline';
import type { ExperimentConfig, RunMeta } from '../core/types';

/** The run's config: its config.json, else (a run folder from before config.json) the config file it names. */
export function readRunConfig(runDir: string, configPath?: string): ExperimentConfig | undefined {
  for (const file of [join(runDir, 'config.json'), configPath]) {
    if (!file || !existsSync(file)) continue;
    try {
      const value: unknown = parseJsonc(readFileSync(file, 'utf8'));
      if (looksLikeConfig(value)) return value;
    } catch {
      // unreadable: try the next
    }
  }
  return undefined;
}

/** `deployment`: where the host exported the run's model and the address it is served at, when it is; `words`: the reader's language. */
export function runPipelineText(runDir: string, meta: RunMeta, dataSizes?: DataSizes, deployment: DeploymentInfo = {}, words?: PipelineWords): string | undefined {
  const config = readRunConfig(runDir, meta.configPath);
  if (!config) return undefined;
  try {
    return pipelineMermaid(config, { statuses: meta.stages, dataSizes: dataSizes ?? meta.dataSizes, exportPath: deployment.exportPath, server: deployment.server, words, base: meta.base });
  } catch {
    return undefined;
  }
}

/**
 * Rows per split of a tabular or text-classification config's data, as its
 * files and split say (before rows with missing values are dropped). A
 * language model's sequences depend on its fitted tokenizer: undefined.
 */
export function measureDataSizes(config: ExperimentConfig, configPath: string): DataSizes | undefined {
  if (config.task === 'language-model') return undefined;
  try {
    const splits = loadSplits(config.data, configPath);
    return { train: rowCount(splits.train), validation: splits.validation ? rowCount(splits.validation) : 0, test: splits.test ? rowCount(splits.test) : 0 };
  } catch {
    return undefined;
  }
}

function looksLikeConfig(value: unknown): value is ExperimentConfig {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return typeof c.name === 'string' && typeof c.task === 'string' && isObject(c.data) && isObject(c.model) && (c.training === undefined || isObject(c.training));
}
