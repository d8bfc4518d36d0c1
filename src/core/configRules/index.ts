// The semantic rules of an experiment config, beyond its schema: the checks
// every task makes, then those of its task family (tabular, text,
// recommender). Pure: the disk is reached through the DataProbe the caller
// gives (see node/configValidation.ts).

import { isImageExperiment, isRecommenderModel, isTextExperiment } from '../resolvedConfig';
import { checkImageDataFiles } from './imageData';
import { checkImageLayersWithoutImage, checkImageModel } from './imageModel';
import { checkRecommendationExperiment } from './recommender';
import { checkCrossValidation, checkDataFiles, checkExportPath, checkSplitAndMonitors, checkTransformerOnlyKeys } from './shared';
import type { DataProbe, RuleReport } from './shared';
import { checkTabularExperiment } from './tabular';
import { checkTextExperiment } from './text';
import type { ExperimentConfig } from '../types';

export { checkDataFilesDespiteSchema, columnChecker, didYouMean, editDistance, isCorpusFile } from './shared';
export type { DataProbe, ImageFolderInfo, RuleReport, RuleSeverity } from './shared';

/** Reports every semantic problem of a config that matches the schema. */
export function checkConfigRules(config: ExperimentConfig, probe: DataProbe, report: RuleReport): void {
  const imageData = isImageExperiment(config) ? checkImageDataFiles(config, probe, report) : undefined;
  const columns = imageData ? imageData.columns : checkDataFiles(config, probe, report);
  checkExportPath(config, probe, report);
  checkTransformerOnlyKeys(config, report);
  if (config.task === 'recommendation' || isRecommenderModel(config.model)) checkRecommendationExperiment(config, columns, report);
  else if (isTextExperiment(config)) checkTextExperiment(config, columns, report);
  else if (isImageExperiment(config)) {
    checkImageModel(config, report, imageData?.classes);
  } else {
    checkTabularExperiment(config, columns, report);
    checkImageLayersWithoutImage(config, report);
  }
  checkSplitAndMonitors(config, report);
  checkCrossValidation(config, report);
}
