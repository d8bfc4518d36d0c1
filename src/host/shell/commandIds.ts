// The ids of every command the extension contributes. Kept apart from the
// command table (which needs `vscode`) so tests can check package.json
// against it without launching an editor.

export const CommandId = {
  train: 'modelLab.train',
  runSweep: 'modelLab.runSweep',
  trainBest: 'modelLab.trainBest',
  ensembleBest: 'modelLab.ensembleBest',
  stop: 'modelLab.stop',
  openDashboard: 'modelLab.openDashboard',
  validateConfig: 'modelLab.validateConfig',
  newExperiment: 'modelLab.newExperiment',
  installNativeBackend: 'modelLab.installNativeBackend',
  showLog: 'modelLab.showLog',
  // The Experiments view and the comparison.
  refreshExperiments: 'modelLab.refreshExperiments',
  openRun: 'modelLab.openRun',
  compareRuns: 'modelLab.compareRuns',
  compareWith: 'modelLab.compareWith',
  trainAgain: 'modelLab.trainAgain',
  resumeRun: 'modelLab.resumeRun',
  stopRun: 'modelLab.stopRun',
  cancelRun: 'modelLab.cancelRun',
  deleteRun: 'modelLab.deleteRun',
  revealRun: 'modelLab.revealRun',
  exportRunCsv: 'modelLab.exportRunCsv',
  showBaseRun: 'modelLab.showBaseRun',
  // Deployment.
  deployRun: 'modelLab.deployRun',
  stopDeployment: 'modelLab.stopDeployment',
  exportRun: 'modelLab.exportRun',
  // Attention for the open file.
  pinAttentionModel: 'modelLab.pinAttentionModel',
  // Predictions at the rows of a data file.
  toggleRowPredictions: 'modelLab.toggleRowPredictions',
  // The learning-rate range test of a config.
  findLearningRate: 'modelLab.findLearningRate',
} as const;

export type CommandName = keyof typeof CommandId;

/** Context keys set by the extension, for `when` clauses in package.json. */
export const ContextKey = {
  /** True while at least one training process runs. */
  training: 'modelLab.training',
  /** True while this window serves at least one model (Stop Deployment shows then). */
  deployed: 'modelLab.deployed',
} as const;
