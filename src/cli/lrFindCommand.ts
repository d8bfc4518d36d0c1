// `modellab lr-find <config>`: the learning-rate range test (fastai's lr_find)
// on a config — the loss at each learning rate of an exponential schedule and
// the suggested rate with its reason. With --json, one JSON line per step
// ({"type":"step",…}) and a last line with the result ({"type":"result",…}),
// which the editor's Find Learning Rate reads.

import { parseArgs } from 'node:util';
import { describeSuggestion, LR_FIND_DEFAULTS } from '../core/lrFinder';
import { formatMetric } from '../core/metrics';
import { formatLogText } from '../core/trainerLogTable';
import { runsDirFor } from '../node/runsDirectory';
import { findLearningRate, fineTuneSweepLog } from '../trainer/lrFind';
import type { LrFindResult } from '../trainer/lrFind';
import { backendOption, intOption, numberOption, runsDirOption, threadRequest, THREADS_OPTION, UsageError } from './args';
import { threadsText } from '../core/threads';

export const LR_FIND_USAGE = `  modellab lr-find <config> [--start LR] [--end LR] [--steps N] [--backend B] [--threads N] [--runs-dir DIR] [--workspace-root DIR] [--json]   (learning-rate range test: loss per rate, a suggested rate; a fine-tune's model as its training starts)`;

export async function lrFindCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    // --workspace-root: data files must lie inside it, as the editor's training asks (modelLab.allowPathsOutsideWorkspace off).
    options: { start: { type: 'string' }, end: { type: 'string' }, steps: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, 'native-modules': { type: 'string', multiple: true }, 'workspace-root': { type: 'string' }, 'runs-dir': { type: 'string' }, ...THREADS_OPTION },
  });
  if (positionals.length !== 1) throw new UsageError('lr-find takes one config file');
  const positive = (n: number) => n > 0;
  const settings = {
    startLr: numberOption('start', values.start, positive, 'a positive number') ?? LR_FIND_DEFAULTS.startLr,
    endLr: numberOption('end', values.end, positive, 'a positive number') ?? LR_FIND_DEFAULTS.endLr,
    steps: intOption('steps', values.steps, 5, 10000) ?? LR_FIND_DEFAULTS.steps,
  };
  if (settings.endLr <= settings.startLr) throw new UsageError(`--end (${settings.endLr}) must be larger than --start (${settings.startLr})`);
  const json = values.json === true;
  const threads = threadRequest(values.threads);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await findLearningRate({
      configPath: positionals[0],
      // Where a model.base run id is looked up, as `modellab train` looks it up.
      runsDir: runsDirOption(values['runs-dir'], runsDirFor(process.cwd())),
      backend: backendOption(values.backend),
      nativeModuleDirs: values['native-modules'],
      workspaceRoot: values['workspace-root'],
      allowPathsOutsideWorkspace: values['workspace-root'] === undefined,
      settings,
      threads,
      signal: controller.signal,
      onStep: json ? (s) => process.stdout.write(JSON.stringify({ type: 'step', ...s }) + '\n') : undefined,
      onLog: (m) => process.stderr.write(m + '\n'),
    });
    process.stdout.write((json ? JSON.stringify(resultJson(result)) : formatLrFind(result)) + '\n');
    return result.end === 'stopped' ? 130 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The result line of --json. */
export function resultJson(r: LrFindResult) {
  return {
    type: 'result' as const,
    configPath: r.configPath,
    backend: r.backend,
    threads: r.threads,
    settings: r.settings,
    configLr: r.configLr,
    end: r.end,
    steps: r.points.length,
    points: r.points,
    suggestion: r.suggestion && { ...r.suggestion, reason: describeSuggestion(r.suggestion) },
    ...(r.fineTune ? { fineTune: { ...r.fineTune, sweep: formatLogText(fineTuneSweepLog(r.fineTune)) } } : {}),
  };
}

const ENDS: Record<LrFindResult['end'], string> = {
  diverged: 'stopped once the smoothed loss passed 4× its best',
  completed: 'the schedule ended before the loss blew up: try a larger --end',
  stopped: 'stopped before the end',
};

/** The test as text: the loss every few rates, how it ended, the suggestion. */
export function formatLrFind(r: LrFindResult): string {
  const lines = [`learning-rate range test of ${r.configPath} (${r.backend}${r.threads !== undefined ? `, ${threadsText(r.threads)}` : ''}): ${r.points.length} steps from ${r.settings.startLr} to ${r.settings.endLr}`];
  if (r.fineTune) lines.push(formatLogText(fineTuneSweepLog(r.fineTune)));
  lines.push('');
  lines.push(`${'learning rate'.padEnd(14)}${'loss'.padStart(12)}${'smoothed'.padStart(12)}`);
  const every = Math.max(1, Math.ceil(r.points.length / 20));
  r.points.forEach((p, i) => {
    if (i % every === 0 || i === r.points.length - 1 || i === r.suggestion?.index) {
      const mark = i === r.suggestion?.index ? '  ← suggested' : '';
      lines.push(`${p.lr.toExponential(2).padEnd(14)}${formatMetric(p.loss).padStart(12)}${formatMetric(p.smoothed).padStart(12)}${mark}`);
    }
  });
  lines.push('', `${r.points.length} steps: ${ENDS[r.end]}`);
  if (r.suggestion) {
    lines.push(`suggested learning rate: ${r.suggestion.rounded} (the config has ${r.configLr})`);
    lines.push(`  why: ${describeSuggestion(r.suggestion)}`);
  } else lines.push('no suggestion: the loss never fell (check the data and the model, or try a smaller --start)');
  return lines.join('\n');
}
