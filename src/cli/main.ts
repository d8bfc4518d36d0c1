// The `modellab` command line: the same engine and validator as the editor.
//   modellab train <config> [--backend B] [--epochs N] [--runs-dir D] [--json]
//   modellab validate <config>
//   modellab runs [--runs-dir D] [--json]

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic, validateConfigFile } from '../core/configValidation';
import type { TrainerEvent } from '../core/protocol';
import { listRuns, runsDirFor } from '../core/runStore';
import type { BackendChoice, Evaluation } from '../core/types';
import { ConfigInvalidError, runTraining } from '../trainer/engine';
import packageJson from '../../package.json';

const USAGE = `Model Lab ${packageJson.version}

Usage:
  modellab train <config> [--backend auto|tensorflow|wasm|cpu] [--epochs N] [--runs-dir DIR] [--json]
  modellab validate <config>
  modellab runs [--runs-dir DIR] [--json]

Runs are stored in DIR (default: ./.modellab/runs).`;

const BACKENDS = new Set(['auto', 'tensorflow', 'wasm', 'cpu']);

class UsageError extends Error {}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(4);
}

export function formatEvaluation(ev: Evaluation): string {
  if (ev.task === 'regression') {
    const m = ev.metrics;
    return `${ev.split} (${ev.count} rows): mse ${fmt(m.mse)}  mae ${fmt(m.mae)}  rmse ${fmt(m.rmse)}  r2 ${fmt(m.r2)}`;
  }
  const m = ev.metrics;
  const lines = [`${ev.split} (${ev.count} rows): accuracy ${fmt(m.accuracy)}  macro precision ${fmt(m.macroPrecision)}  recall ${fmt(m.macroRecall)}  f1 ${fmt(m.macroF1)}`];
  for (const c of ev.perClass) lines.push(`  ${c.label.padEnd(16)} precision ${fmt(c.precision)}  recall ${fmt(c.recall)}  f1 ${fmt(c.f1)}  support ${c.support}`);
  return lines.join('\n');
}

function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

async function train(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { backend: { type: 'string' }, epochs: { type: 'string' }, 'runs-dir': { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('train takes one config file');
  const backend = (values.backend ?? 'auto') as BackendChoice;
  if (!BACKENDS.has(backend)) throw new UsageError(`--backend must be auto, tensorflow, wasm or cpu, not "${values.backend}"`);
  let epochs: number | undefined;
  if (values.epochs !== undefined) {
    epochs = Number(values.epochs);
    if (!Number.isInteger(epochs) || epochs < 1) throw new UsageError(`--epochs must be a whole number ≥ 1, not "${values.epochs}"`);
  }
  const json = values.json === true;
  const tty = !json && process.stderr.isTTY === true;
  const runsDir = resolve(values['runs-dir'] ?? runsDirFor(process.cwd()));
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after this batch… (Ctrl+C again to quit at once)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });

  let stepsInEpoch = 0;
  let epochSteps = 0;
  let epochs_ = 0;
  const onEvent = (e: TrainerEvent) => {
    if (json) {
      if (e.type === 'epoch') process.stdout.write(JSON.stringify({ type: 'epoch', epoch: e.epoch, epochs: e.epochs, ...e.logs, millis: e.millis }) + '\n');
      else if (e.type === 'log' && e.level !== 'info') process.stderr.write(`${e.level}: ${e.message}\n`);
      return;
    }
    switch (e.type) {
      case 'runStarted':
        epochs_ = e.meta.epochsPlanned;
        process.stderr.write(`run ${e.meta.id}\n`);
        break;
      case 'backend':
        process.stderr.write(`backend: ${e.backend}${e.fallbackReasons.length ? ` (${e.fallbackReasons.join('; ')})` : ''}\n`);
        break;
      case 'log':
        process.stderr.write(e.level === 'info' ? `${e.message}\n` : `${e.level}: ${e.message}\n`);
        break;
      case 'summary':
        epochSteps = 0;
        break;
      case 'metrics':
        if (tty) {
          for (const p of e.points) if (p.kind === 'step') stepsInEpoch++;
          const last = [...e.points].reverse().find((p) => p.kind === 'step');
          const epoch = last?.epoch ?? 1;
          const frac = epochSteps > 0 ? Math.min(stepsInEpoch / epochSteps, 1) : 0;
          process.stderr.write(`\r\x1b[2Kepoch ${epoch}/${epochs_} ${progressBar((epoch - 1 + frac), epochs_)} loss ${fmt(last?.values.loss)}`);
        }
        break;
      case 'epoch': {
        if (epochSteps === 0) epochSteps = stepsInEpoch;
        stepsInEpoch = 0;
        const rest = Object.entries(e.logs)
          .filter(([k]) => k !== 'lr')
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join('  ');
        process.stderr.write(`${tty ? '\r\x1b[2K' : ''}epoch ${String(e.epoch).padStart(String(e.epochs).length)}/${e.epochs}  ${rest}  (${e.millis} ms)\n`);
        break;
      }
      default:
        break;
    }
  };

  let result;
  try {
    result = await runTraining({ configPath: positionals[0], runsDir, backend, epochs, signal: abort.signal, onEvent });
  } catch (e) {
    if (e instanceof ConfigInvalidError) {
      for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(positionals[0], d) + '\n');
      return 1;
    }
    throw e;
  }
  const { meta, runDir, evaluation } = result;
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'result', status: meta.status, runId: meta.id, runDir, backend: meta.backend, epochs: meta.epochsDone, bestEpoch: meta.bestEpoch, lastMetrics: meta.lastMetrics, evaluation, error: meta.error }) + '\n');
  } else {
    process.stdout.write(`\n${meta.status}: ${meta.name} on ${meta.backend ?? '?'} after ${meta.epochsDone} epoch(s)${meta.error ? ` — ${meta.error}` : ''}\n`);
    if (evaluation) process.stdout.write(formatEvaluation(evaluation) + '\n');
    process.stdout.write(`run folder: ${runDir}\n`);
  }
  return meta.status === 'completed' || meta.status === 'stopped' ? 0 : 1;
}

function validate(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('validate takes one config file');
  const { diagnostics } = validateConfigFile(resolve(positionals[0]));
  for (const d of diagnostics) process.stdout.write(formatDiagnostic(positionals[0], d) + '\n');
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors === 0) process.stderr.write(`${positionals[0]}: ok${diagnostics.length ? ` (${diagnostics.length} warning(s))` : ''}\n`);
  return errors ? 1 : 0;
}

function runs(args: string[]): number {
  const { values } = parseArgs({ args, options: { 'runs-dir': { type: 'string' }, json: { type: 'boolean' } } });
  const runsDir = resolve(values['runs-dir'] ?? runsDirFor(process.cwd()));
  const list = listRuns(runsDir);
  if (values.json) {
    process.stdout.write(JSON.stringify(list.map((r) => ({ id: r.id, dir: r.dir, status: r.meta?.status ?? 'unknown', name: r.meta?.name, backend: r.meta?.backend, epochs: r.meta?.epochsDone, lastMetrics: r.meta?.lastMetrics, warnings: r.warnings })), null, 2) + '\n');
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return 0;
  }
  for (const r of list) {
    const m = r.meta;
    const metric = m?.lastMetrics ? Object.entries(m.lastMetrics).filter(([k]) => k === 'loss' || k === 'val_loss' || k.includes('acc')).map(([k, v]) => `${k} ${fmt(v)}`).join('  ') : '';
    process.stdout.write(`${r.id.padEnd(44)} ${(m?.status ?? 'unknown').padEnd(11)} ${(m?.backend ?? '').padEnd(10)} ${metric}${r.warnings.length ? `  ⚠ ${r.warnings.join('; ')}` : ''}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'train':
        return await train(rest);
      case 'validate':
        return validate(rest);
      case 'runs':
        return runs(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      case '--version':
        process.stdout.write(packageJson.version + '\n');
        return 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`modellab: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`modellab: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
