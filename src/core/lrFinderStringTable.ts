// Learning-rate finder panel strings (English defaults), shared by the webview
// and the host, which sends them translated (the English text is the l10n bundle key).

export const LR_FINDER_STRINGS = {
  'lr.title': 'Find Learning Rate: {0}',
  'lr.running': 'Running the range test… {0} steps',
  'lr.done': 'Range test done: {0} steps.',
  'lr.diverged': 'Stopped once the smoothed loss passed 4× its best.',
  'lr.completed': 'The schedule ended before the loss blew up.',
  'lr.stopped': 'Stopped before the end.',
  'lr.failed': 'The range test failed: {0}',
  'lr.suggested': 'Suggested learning rate: {0}',
  'lr.reason': 'Why: the smoothed loss falls fastest there ({0} per decade of learning rate), below its lowest at {1}, before it blows up.',
  'lr.noSuggestion': 'No suggestion: the loss never fell. Check the data and the model.',
  'lr.current': 'The config has {0}.',
  'lr.apply': 'Apply {0} to the config',
  'lr.applied': '{0} written into the config (undo with Ctrl+Z in its editor).',
  'lr.rerun': 'Run again',
  'lr.xAxis': 'learning rate (log scale)',
  'lr.yAxis': 'loss',
  'lr.loss': 'loss',
  'lr.smoothed': 'smoothed loss',
  'lr.suggestionPoint': 'suggested',
  'lr.chart.aria': 'Loss against learning rate on a logarithmic axis',
} as const;

export type LrFinderStringId = keyof typeof LR_FINDER_STRINGS;
