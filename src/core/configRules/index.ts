// The semantic rules of an experiment config, beyond its schema: the checks
// every task makes, then those of its task family (tabular, text,
// recommender). Pure: the disk is reached through the DataProbe the caller
// gives (see node/configValidation.ts).

import { isImageExperiment, isRecommenderModel, isTextExperiment } from '../resolvedConfig';
import { checkBase } from './base';
import { checkImageDataFiles } from './imageData';
import { checkImageLayersWithoutImage, checkImageModel } from './imageModel';
import { checkRecommendationExperiment } from './recommender';
import { checkCrossValidation, checkDataFiles, checkExportPath, checkSplitAndMonitors, checkTransformerOnlyKeys } from './shared';
import type { DataProbe, RuleReport } from './shared';
import { checkTabularExperiment } from './tabular';
import { checkTextExperiment } from './text';
import type { ExperimentConfig } from '../types';

export { checkDataFilesDespiteSchema, columnChecker, didYouMean, editDistance, isCorpusFile } from './shared';
export type { DataProbe, ImageFolderInfo, ProbedBase, RuleReport, RuleSeverity } from './shared';

/** Reports every semantic problem of a config that matches the schema. */
export function checkConfigRules(config: ExperimentConfig, probe: DataProbe, report: RuleReport): void {
  const imageData = isImageExperiment(config) ? checkImageDataFiles(config, probe, report) : undefined;
  const columns = imageData ? imageData.columns : checkDataFiles(config, probe, report);
  checkExportPath(config, probe, report);
  checkTransformerOnlyKeys(config, report);
  const base = checkBase(config, probe, report);
  if (config.task === 'recommendation' || isRecommenderModel(config.model)) checkRecommendationExperiment(config, columns, report);
  else if (isTextExperiment(config)) checkTextExperiment(config, columns, report);
  else if (isImageExperiment(config)) {
    checkImageModel(config, report, imageData?.classes, base.headInput);
  } else {
    checkTabularExperiment(config, columns, report, config.task === 'classification' ? probedClasses(config, columns, probe) : undefined);
    checkImageLayersWithoutImage(config, report);
  }
  checkSplitAndMonitors(config, report);
  checkCrossValidation(config, report);
}

/** A tabular classifier's classes: the target's distinct values in the file it trains on, when the probe can read them (a problem reading is reported by the data checks). */
function probedClasses(config: ExperimentConfig, columns: string[] | undefined, probe: DataProbe): string[] | undefined {
  const file = config.data.source ?? config.data.train;
  const target = config.data.target;
  if (!file || !target || !columns?.includes(target) || !probe.classes) return undefined;
  const classes = probe.classes(file, target, config.data.format);
  return Array.isArray(classes) ? classes : undefined;
}
