// What `modellab train` prints when a run ended — trained here, or as a
// cluster job followed with --wait: its status, the test evaluation and the
// run folder (or one JSON line), and the exit code that goes with them.

import { formatMetric, metricGoal } from '../core/metrics';
import type { BackendName, Evaluation, RunMeta } from '../core/types';
import { NATIVE_NOT_INSTALLED } from '../trainer/backend';
import { threadsText } from '../core/threads';

/** The exit code of a training that a signal interrupted (EX_TEMPFAIL: try again, it resumes). */
export const INTERRUPTED_EXIT = 75;

/** Metric values in the CLI's reports: core's formatter, in its table style. */
export function fmt(v: number | undefined): string {
  return formatMetric(v, 'table');
}

const BACKEND_LABELS: Record<BackendName, string> = { tensorflow: 'native TensorFlow', wasm: 'WebAssembly', cpu: 'plain JavaScript' };

/**
 * The backend line(s) of `modellab train`: the backend the run uses, then why a faster one was
 * passed over — native TensorFlow not installed is the usual case, with how to get it.
 */
export function describeBackend(backend: BackendName, fallbackReasons: readonly string[], threads?: number): string {
  const lines = [`backend: ${backend} (${BACKEND_LABELS[backend]})${threads !== undefined ? `, ${threadsText(threads)}` : ''}`];
  for (const reason of fallbackReasons) {
    lines.push(reason === NATIVE_NOT_INSTALLED ? `  ${reason}; it trains faster: npm install @tensorflow/tfjs-node in Model Lab's folder, and "auto" uses it` : `  not used: ${reason}`);
  }
  return lines.join('\n');
}

/**
 * A run's metrics as `modellab runs` shows them: the loss, val_loss and the metrics that rise,
 * of the epoch whose weights the run keeps (the last, or the best its config asks for), labelled
 * with that epoch; the last epoch's before any is kept.
 */
export function runMetricsText(meta: Pick<RunMeta, 'bestEpoch' | 'bestMetrics' | 'lastMetrics' | 'epochsDone'>): string {
  const kept = meta.bestMetrics && meta.bestEpoch ? meta.bestMetrics : undefined;
  const logs = kept ?? meta.lastMetrics;
  if (!logs) return '';
  const shown = Object.entries(logs)
    .filter(([k]) => k === 'loss' || k === 'val_loss' || k === 'perplexity' || k === 'val_perplexity' || metricGoal(k) === 'maximize')
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join('  ');
  return kept ? `${shown} (epoch ${meta.bestEpoch}, kept)` : `${shown} (epoch ${meta.epochsDone}, last)`;
}

/** Misclassified images listed after an image classifier's evaluation. */
const IMAGE_MISTAKES_SHOWN = 5;

export function formatEvaluation(ev: Evaluation): string {
  if (ev.task === 'regression') {
    const m = ev.metrics;
    return `${ev.split} (${ev.count} rows): mse ${fmt(m.mse)}  mae ${fmt(m.mae)}  rmse ${fmt(m.rmse)}  r2 ${fmt(m.r2)}`;
  }
  if (ev.task === 'language-model') {
    const lines = [`${ev.split} (${ev.count.toLocaleString('en')} tokens): loss ${fmt(ev.metrics.loss)}  perplexity ${fmt(ev.metrics.perplexity)}`];
    ev.samples.forEach((sample, i) => lines.push(`  sample ${i + 1}: ${JSON.stringify(sample)}`));
    return lines.join('\n');
  }
  if (ev.task === 'masked-language-model') {
    const lines = [
      `${ev.split} (${ev.count.toLocaleString('en')} masked tokens): masked accuracy ${fmt(ev.metrics.masked_accuracy)}  perplexity ${fmt(ev.metrics.perplexity)}  loss ${fmt(ev.metrics.loss)}`,
      `  baseline (always "${ev.baseline.token}", the most frequent training token): masked accuracy ${fmt(ev.baseline.masked_accuracy)}`,
    ];
    ev.samples.forEach((s, i) => lines.push(`  sample ${i + 1}: ${JSON.stringify(s.masked)} — masked ${s.expected.join(' ')} → guessed ${s.predicted.join(' ')}`));
    return lines.join('\n');
  }
  if (ev.task === 'recommendation') {
    const k = ev.k;
    return [
      `${ev.split} (${ev.count} held-out interactions, one per user; items seen in training not ranked):`,
      `  model                hit rate@${k} ${fmt(ev.metrics.hitRate)}  NDCG@${k} ${fmt(ev.metrics.ndcg)}`,
      `  popularity baseline  hit rate@${k} ${fmt(ev.baseline.hitRate)}  NDCG@${k} ${fmt(ev.baseline.ndcg)}`,
    ].join('\n');
  }
  const m = ev.metrics;
  const lines = [`${ev.split} (${ev.count} ${ev.images ? 'images' : 'rows'}): accuracy ${fmt(m.accuracy)}  macro precision ${fmt(m.macroPrecision)}  recall ${fmt(m.macroRecall)}  f1 ${fmt(m.macroF1)}`];
  for (const c of ev.perClass) lines.push(`  ${c.label.padEnd(16)} precision ${fmt(c.precision)}  recall ${fmt(c.recall)}  f1 ${fmt(c.f1)}  support ${c.support}`);
  if (ev.images) {
    // An image classifier's mistakes, the most confident first: the files worth opening.
    const wrong = ev.images.filter((i) => i.label !== i.predicted).sort((a, b) => b.confidence - a.confidence);
    if (wrong.length) {
      lines.push(`  ${wrong.length} of ${ev.images.length} misclassified${wrong.length > IMAGE_MISTAKES_SHOWN ? `; the ${IMAGE_MISTAKES_SHOWN} most confident` : ''}:`);
      for (const i of wrong.slice(0, IMAGE_MISTAKES_SHOWN)) lines.push(`    ${i.file}: ${i.label} → ${i.predicted} (${fmt(i.confidence)})`);
    }
  }
  return lines.join('\n');
}

/** Prints an ended run (text, or one JSON line with --json); returns the exit code: 0 completed or stopped, 75 interrupted, else 1. */
export function printTrainResult(json: boolean, result: { meta: RunMeta; runDir: string; evaluation?: Evaluation }): number {
  const { meta, runDir, evaluation } = result;
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'result', status: meta.status, runId: meta.id, runDir, backend: meta.backend, epochs: meta.epochsDone, bestEpoch: meta.bestEpoch, lastMetrics: meta.lastMetrics, evaluation, error: meta.error, job: meta.job?.id, base: meta.base }) + '\n');
  } else {
    // An earlier epoch's weights kept (the config asked for the best): the evaluation below is of that epoch.
    const kept = meta.bestEpoch && meta.bestEpoch !== meta.epochsDone && meta.status === 'completed' ? `, the weights of epoch ${meta.bestEpoch} kept` : '';
    process.stdout.write(`\n${meta.status}: ${meta.name} on ${meta.backend ?? '?'} after ${meta.epochsDone} epoch(s)${kept}${meta.error ? ` — ${meta.error}` : ''}\n`);
    if (evaluation) process.stdout.write(formatEvaluation(evaluation) + '\n');
    process.stdout.write(`run folder: ${runDir}\n`);
    if (meta.base) process.stdout.write(`fine-tuned from: ${meta.base.kind === 'run' ? `run ${meta.base.id} (${meta.base.path})` : `the export ${meta.base.path}`}, task ${meta.base.task}\n`);
  }
  // A pruned sweep point ended as its sweep meant it to (a job array's task is not a failure).
  return meta.status === 'completed' || meta.status === 'stopped' || meta.status === 'pruned' ? 0 : meta.status === 'interrupted' ? INTERRUPTED_EXIT : 1;
}
