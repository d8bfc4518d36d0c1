// The `modellab` command line: the same engine and validator as the editor.
// Its commands and their options are listed once, in USAGE below (what
// `modellab help` prints).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { whyNotResumable } from '../node/checkpointFile';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { formatMetric } from '../core/metrics';
import type { TrainerEvent } from '../core/protocol/trainer';
import { assertNever } from '../core/protocol/fields';
import { listRuns, readRunSnapshot } from '../node/runStoreReader';
import { runsDirFor } from '../node/runsDirectory';
import { latestTextModelRun } from '../node/textModelRuns';
import { imageClassifierRuns } from '../node/imageModelRuns';
import { prunedRung } from '../core/earlyTermination';
import { ATTENTION_TOKENS, BACKEND_CHOICES } from '../core/types';
import type { AttentionResult, BackendChoice, RunLiveness } from '../core/types';
import { selectBackend } from '../trainer/backend';
import { ConfigInvalidError, resumeTraining, runTraining } from '../trainer/engine';
import type { TrainResult } from '../trainer/engine';
import { interruptOnSignals } from '../trainer/interruptSignals';
import { RunDirError, trainInRunDir } from '../trainer/runDirTraining';
import { defaultTrainerScripts, sweepCommand } from './sweepCommand';
import { pipelineCommand } from './pipelineCommand';
import { saliencyCommand } from './saliencyCommand';
import { lrFindCommand, LR_FIND_USAGE } from './lrFindCommand';
import { predictCommand, PREDICT_USAGE } from './predictCommand';
import { fillMaskCommand, FILL_MASK_USAGE } from './fillMaskCommand';
import { backendOption, intOption, numberOption, runsDirOption, threadRequest, THREADS_OPTION, UsageError } from './args';
import { MAX_THREADS, THREADS_ENV } from '../core/threads';
import type { ThreadRequest } from '../core/threads';
import { DEPLOY_USAGE, exportCommand, serveCommand } from './deployCommands';
import { attentionFor, generate, GENERATE_DEFAULTS } from '../trainer/inference';
import packageJson from '../../package.json';
import { describeBackend, fmt, INTERRUPTED_EXIT, printTrainResult, runMetricsText } from './trainReport';
import { foldGroupLine, printFoldResults } from './foldReport';
import { describePlan, ensembleCommand, planRetrain, printRetrainResult } from './bestCommand';
import type { FoldResult } from './foldReport';
import { foldMemberships, groupFolds, isFoldGroup } from '../core/crossValidation';
import { cancelRun, carriedOnByScheduler, clusterRequest, describeJobState, EXECUTOR_OPTIONS, EXECUTOR_USAGE, jobNotes, submitSweep, submitTrain } from './clusterCommands';

export { formatEvaluation } from './trainReport';


const USAGE = `Model Lab ${packageJson.version}

Usage:
  modellab train <config> [--backend ${BACKEND_CHOICES.join('|')}] [--epochs N] [--threads N] [--runs-dir DIR | --run-dir RUN] [--json]
                 ${EXECUTOR_USAGE}
  modellab resume <run> [--backend B] [--threads N] [--runs-dir DIR] [--json]   (an interrupted or stopped run, from its checkpoint)
  modellab validate <config>
  modellab pipeline <config> [--no-data]    (prints the pipeline as Mermaid text)
  modellab runs [--runs-dir DIR] [--json]
  modellab sweep <config> [--concurrency N] [--backend B] [--epochs N] [--threads N] [--runs-dir DIR] [--json] [--executor slurm …]
  modellab best <config> [--sweep ID] [--backend B] [--threads N] [--runs-dir DIR] [--json]
                 (Train Best on All Training Data: the best point of the config's newest sweep,
                 retrained on train + validation for the epochs its run stopped at, then tested)
  modellab best <config> --ensemble K [--out DIR] [--sweep ID] [--json]
                 (the top K points' models as one ensemble folder that serve serves; its test
                 metrics beside the best run's)
  modellab cancel <run> [--runs-dir DIR]    (a queued or running cluster job: scancel; a local run: stops it)
  modellab attention <run> <text-file> [--max-tokens N] [--json] [--runs-dir DIR] [--backend B]
  modellab generate <run> --prompt TEXT [--length N] [--temperature T] [--top-k K] [--seed S] [--json] [--runs-dir DIR] [--backend B]
  modellab saliency <run> <image> [--method gradcam|gradient] [--json] [--runs-dir DIR] [--backend B]
${LR_FIND_USAGE}
${PREDICT_USAGE}
${FILL_MASK_USAGE}
${DEPLOY_USAGE}

<run> is a run id in DIR, a run folder, a model folder, or "latest" (the newest
finished run with a Transformer; for saliency, with an image classifier).
<text-file> "-" reads standard input. <image> is a PNG or JPEG file.
Runs are stored in DIR (default: ./.modellab/runs).

--executor slurm submits the training to a SLURM cluster instead of training
here: train is one job, sweep one job array (a task per point, --concurrency
at a time). Both create the run folders at once (queued, with the job script
job.sh; the job writes job.out and job.err there), print the job ids and
return; --wait follows the jobs to their end and prints what a local train or
sweep prints. --partition, --account, --time, --cpus, --mem and --gres are
sbatch's own; --node and --cli are the Node.js and Model Lab CLI the compute
node runs (default: these). The workspace must be on a file system the compute
nodes see.

--threads N caps the WebAssembly engine's threads per run (1 to ${MAX_THREADS}). It
comes first, then the config's training.threads, then ${THREADS_ENV} (0: every core;
the editor's modelLab.threads). Without any, a run takes every core, and a sweep
running N points at once gives each ⌊cores / N⌋; in a SLURM job, its CPUs per
task (SLURM_CPUS_PER_TASK) stand for the cores. A count that makes the runs ask
for more threads than there are cores is kept, with a warning. The run records
it (meta.json "threads"; runs --json).

train --run-dir RUN trains that run folder to its end, as a cluster job does
each time it starts: a new or queued folder starts there (a sweep point's
folder trains its point, a fold's folder its fold), an interrupted one
resumes from its checkpoint (or starts again without one), a completed one is
left as it is (exit 0).
SIGUSR1 or SIGTERM interrupts a training: it stops after the current batch,
keeps the checkpoint of its last whole epoch and exits with ${INTERRUPTED_EXIT}; running
the same command again carries it on. Ctrl+C stops it (exit 0).`;


function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

async function train(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { backend: { type: 'string' }, epochs: { type: 'string' }, 'runs-dir': { type: 'string' }, 'run-dir': { type: 'string' }, json: { type: 'boolean' }, ...THREADS_OPTION, ...EXECUTOR_OPTIONS },
  });
  if (positionals.length !== 1) throw new UsageError('train takes one config file');
  const backend = backendOption(values.backend);
  const epochs = epochsOption(values.epochs);
  const threads = threadRequest(values.threads);
  const runDir = values['run-dir'];
  const cluster = clusterRequest(values);
  if (cluster) {
    if (runDir !== undefined) throw new UsageError('--run-dir is what a cluster job runs; leave it out with --executor');
    return submitTrain(cluster, { configPath: positionals[0], runsDir: runsDirArg(values['runs-dir']), backend, epochs, threads: threads.cli, json: values.json === true });
  }
  if (runDir !== undefined) {
    if (values['runs-dir'] !== undefined) throw new UsageError('--run-dir names the run folder itself; leave out --runs-dir');
    if (!runDir) throw new UsageError('--run-dir needs a folder');
    const json = values.json === true;
    return trainOnConsole(json, positionals[0], async (onEvent, signal) => {
      const { plan, result } = await trainInRunDir({ configPath: positionals[0], runsDir: resolve(runDir, '..'), runDir, backend, epochs, threads, signal, onEvent });
      if (result) return result;
      // Already completed (a job requeued after its run finished): nothing to train.
      const meta = plan.action === 'finished' ? plan.meta : undefined;
      if (!meta) throw new RunDirError(runDir, 'nothing to train');
      process.stderr.write(`the run in ${resolve(runDir)} is already ${meta.status}\n`);
      return { meta, runDir: resolve(runDir) };
    });
  }
  const runsDir = runsDirArg(values['runs-dir']);
  const folds = crossValidationFolds(positionals[0]);
  if (folds) return crossValidate(values.json === true, positionals[0], folds, { runsDir, backend, epochs, threads });
  return trainOnConsole(values.json === true, positionals[0], (onEvent, signal) => runTraining({ configPath: positionals[0], runsDir, backend, epochs, threads, signal, onEvent }));
}

/** The config's training.crossValidation.folds, when it is a valid config that asks for folds. */
function crossValidationFolds(configPath: string): number | undefined {
  const file = resolve(configPath);
  if (!existsSync(file)) return undefined;
  return validateConfigFile(file).config?.training?.crossValidation?.folds;
}

/** modellab train on a cross-validated config: k fold runs one after another, then each fold's and the mean ± std of the validation metrics. */
async function crossValidate(json: boolean, configPath: string, k: number, opts: { runsDir: string; backend: BackendChoice; epochs?: number; threads: ThreadRequest }): Promise<number> {
  const memberships = foldMemberships(k);
  const results: FoldResult[] = [];
  if (!json) process.stderr.write(`cross-validation ${memberships[0].id}: ${k} folds, one run each\n`);
  const code = await trainOnConsole(
    json,
    configPath,
    async (onEvent, signal) => {
      let last: TrainResult | undefined;
      for (const fold of memberships) {
        if (signal.aborted && last) break;
        if (!json) process.stderr.write(`\n── fold ${fold.index + 1} of ${k}\n`);
        const r = await runTraining({ configPath, ...opts, fold, signal, onEvent });
        results.push({ meta: r.meta, runDir: r.runDir, evaluation: r.evaluation });
        last = r;
        if (r.meta.status === 'interrupted') break;
      }
      return last!;
    },
    () => printFoldResults(json, memberships[0].id, k, results),
  );
  return code;
}

/** modellab best <config>: retrains the best point of the config's newest sweep (or --sweep ID) on train + validation for its best epoch count, and evaluates on test. */
async function best(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { sweep: { type: 'string' }, ensemble: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, 'runs-dir': { type: 'string' }, json: { type: 'boolean' }, ...THREADS_OPTION } });
  if (positionals.length !== 1) throw new UsageError('best takes one config file');
  const backend = backendOption(values.backend);
  const threads = threadRequest(values.threads);
  const runsDir = runsDirArg(values['runs-dir']);
  const json = values.json === true;
  const ensemble = intOption('ensemble', values.ensemble, 2, 100);
  if (values.out !== undefined && ensemble === undefined) throw new UsageError('--out names the ensemble folder; give --ensemble K too');
  const plan = planRetrain(positionals[0], runsDir, values.sweep);
  if (ensemble !== undefined) {
    await selectBackend(backend);
    return ensembleCommand(plan, ensemble, values.out, runsDir, json);
  }
  if (!json) process.stderr.write(describePlan(plan) + '\n');
  return trainOnConsole(
    json,
    positionals[0],
    (onEvent, signal) => runTraining({ configPath: plan.configPath, runsDir, backend, overrides: plan.best.params, retrain: plan.source, threads, signal, onEvent }),
    (result) => printRetrainResult(json, plan, result),
  );
}

/** modellab resume <run>: carries an interrupted or stopped run on from its checkpoint, in its own folder. */
async function resume(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { backend: { type: 'string' }, 'runs-dir': { type: 'string' }, json: { type: 'boolean' }, ...THREADS_OPTION },
  });
  if (positionals.length !== 1) throw new UsageError('resume takes one run');
  const backend = backendOption(values.backend);
  const threads = threadRequest(values.threads);
  const runDir = resolveRun(positionals[0], runsDirArg(values['runs-dir']));
  const carried = await carriedOnByScheduler(runDir);
  if (carried) {
    process.stderr.write(`error: ${positionals[0]} is not resumed here: ${carried}\n`);
    return 1;
  }
  return trainOnConsole(values.json === true, positionals[0], (onEvent, signal) => resumeTraining({ runDir, backend, threads, signal, onEvent }));
}

/** Runs a training with its progress on stderr (or epochs as JSON lines) and its result on stdout; Ctrl+C stops it cleanly. */
async function trainOnConsole(json: boolean, what: string, start: (onEvent: (e: TrainerEvent) => void, signal: AbortSignal) => Promise<TrainResult>, print: (result: TrainResult) => number = (result) => printTrainResult(json, result)): Promise<number> {
  const tty = !json && process.stderr.isTTY === true;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after this batch… (Ctrl+C again to quit at once)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  // A scheduler's warning before a time limit or preemption, or its SIGTERM: interrupted, resumable.
  const removeSignals = interruptOnSignals(abort, (signal) => process.stderr.write(`\n${signal}: interrupting after this batch; the last whole epoch's checkpoint is kept\n`));

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
        process.stderr.write(describeBackend(e.backend, e.fallbackReasons, e.threads) + '\n');
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
          .filter(([k]) => k !== 'lr' && k !== 'tokensPerSecond')
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join('  ');
        const speed = e.logs.tokensPerSecond !== undefined ? `, ${Math.round(e.logs.tokensPerSecond).toLocaleString('en')} tokens/s` : '';
        process.stderr.write(`${tty ? '\r\x1b[2K' : ''}epoch ${String(e.epoch).padStart(String(e.epochs).length)}/${e.epochs}  ${rest}  (${e.millis} ms${speed})\n`);
        break;
      }
      case 'stage':
      case 'evaluation':
      case 'runEnded':
        break;
      default:
        assertNever(e, 'trainer event');
    }
  };

  let result;
  try {
    result = await start(onEvent, abort.signal);
  } catch (e) {
    if (e instanceof RunDirError) {
      process.stderr.write(`modellab: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ConfigInvalidError) {
      // A resumed run's snapshot is its config.json; a new run's is the file named on the command line.
      const file = e.configPath.endsWith('config.json') ? e.configPath : what;
      for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(file, d) + '\n');
      return 1;
    }
    throw e;
  } finally {
    removeSignals();
  }
  return print(result);
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

async function runs(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'runs-dir': { type: 'string' }, json: { type: 'boolean' } } });
  const runsDir = runsDirArg(values['runs-dir']);
  let list = listRuns(runsDir);
  // Cluster runs: what the scheduler says of their jobs (a job that ended unseen brings its folder up to date, so list again).
  const { notes, warnings: jobWarnings } = await jobNotes(list);
  // Listed again with the scheduler's word, which the liveness rule puts first (a requeued job's run shows queued, not dead).
  if (notes.size) list = listRuns(runsDir, new Map([...notes.values()].map((n) => [n.job, n.state])));
  for (const w of jobWarnings) process.stderr.write(`warning: ${w}\n`);
  if (values.json) {
    const rows = list.map((r) => {
      // The evaluation comes with the snapshot's own checks (a damaged evaluation.json is a warning, not a crash).
      const snapshot = r.meta ? readRunSnapshot(r.dir, false) : undefined;
      const warnings = [...new Set([...r.warnings, ...(snapshot?.warnings ?? [])])];
      const l = r.liveness;
      return { id: r.id, dir: r.dir, status: r.meta?.status ?? 'unknown', name: r.meta?.name, task: r.meta?.task, backend: r.meta?.backend, threads: r.meta?.threads, epochs: r.meta?.epochsDone, lastMetrics: r.meta?.lastMetrics, keptEpoch: r.meta?.bestEpoch, keptMetrics: r.meta?.bestMetrics, system: r.meta?.system, evaluation: snapshot?.evaluation, host: r.meta?.host, recordedStatus: l?.recorded, statusWhy: l?.why, lastHeartbeat: l?.lastHeartbeat, job: r.meta?.job?.id, jobState: notes.get(r.dir)?.state, fold: r.meta?.fold, retrain: r.meta?.retrain, sweep: r.meta?.sweep && { id: r.meta.sweep.id, index: r.meta.sweep.index }, base: r.meta?.base, warnings };
    });
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return 0;
  }
  // The folds of a cross-validation as one group: a line with their mean ± std, then each fold indented.
  for (const item of groupFolds(list, (r) => r.meta)) {
    if (!isFoldGroup(item)) {
      printRunLine(item, notes, '');
      continue;
    }
    process.stdout.write(foldGroupLine(item.id, item.k, item.runs.map((r) => r.meta)) + '\n');
    for (const r of item.runs) printRunLine(r, notes, `  fold ${(r.meta?.fold?.index ?? 0) + 1}/${item.k} `);
  }
  return 0;
}

function printRunLine(r: ReturnType<typeof listRuns>[number], notes: Awaited<ReturnType<typeof jobNotes>>['notes'], prefix: string): void {
  {
    const m = r.meta;
    const metric = m ? runMetricsText(m) : '';
    const rung = m?.status === 'pruned' ? prunedRung(m.sweep) : undefined;
    const pruned = rung ? `  (pruned at epoch ${rung.epoch}/${m!.epochsPlanned}: placed ${rung.rank} of ${rung.of} runs at that rung, the best ${rung.kept} went on)` : '';
    const resumable = m && whyNotResumable(m, r.dir) === undefined ? `  ↻ resumable after epoch ${m.epochsDone}/${m.epochsPlanned}: modellab resume ${r.id}` : '';
    const note = notes.get(r.dir);
    const job = m?.job ? `  [${m.job.executor} job ${m.job.id}${note ? `: ${describeJobState(note.state)}` : ''}]` : '';
    const retrain = m?.retrain ? `  [retrained on train + validation, ${m.retrain.epochs} epochs, from ${m.retrain.fromRun}]` : '';
    process.stdout.write(`${prefix}${r.id.padEnd(44)} ${(m?.status ?? 'unknown').padEnd(11)} ${(m?.backend ?? '').padEnd(10)} ${metric}${job}${retrain}${pruned}${resumable}${livenessNote(r.liveness)}${r.warnings.length ? `  ⚠ ${r.warnings.join('; ')}` : ''}\n`);
  }
}

/** Why a run is shown otherwise than its meta.json says (or where it runs), and its trainer's last heartbeat; nothing for a run that ended as recorded. */
function livenessNote(l: RunLiveness | undefined): string {
  if (!l || (l.recorded !== 'running' && l.recorded !== 'queued' && l.status === l.recorded)) return '';
  // A queued job's reason is in its [job …] note already.
  if (l.recorded === 'queued' && l.status === 'queued') return '';
  const parts = l.why ? [l.why] : [];
  if (l.lastHeartbeat && !l.why?.includes(l.lastHeartbeat)) parts.push(`last heartbeat ${l.lastHeartbeat}`);
  return parts.length ? `  (${parts.join('; ')})` : '';
}

/**
 * A run given on the command line: a folder (run or model), a run id in the
 * runs folder (or a unique prefix of one), or "latest": the newest completed
 * run with a text model (of `task`, when given), or with an image classifier
 * for `task` "image".
 */
export function resolveRun(arg: string, runsDir: string, task?: 'classification' | 'language-model' | 'image'): string {
  if (arg === 'latest') {
    if (task === 'image') {
      const image = imageClassifierRuns(listRuns(runsDir))[0];
      if (!image) throw new UsageError(`no finished image classification run in ${runsDir}`);
      return image.dir;
    }
    const run = latestTextModelRun(runsDir, task);
    if (!run) throw new UsageError(`no finished Transformer ${task === 'language-model' ? 'language model' : 'run'} in ${runsDir}`);
    return run.dir;
  }
  if (existsSync(arg) && statSync(arg).isDirectory()) return resolve(arg);
  const runs = listRuns(runsDir);
  const exact = runs.find((r) => r.id === arg);
  if (exact) return exact.dir;
  const prefixed = runs.filter((r) => r.id.startsWith(arg));
  if (prefixed.length === 1) return prefixed[0].dir;
  if (prefixed.length > 1) throw new UsageError(`"${arg}" matches ${prefixed.length} runs: ${prefixed.slice(0, 5).map((r) => r.id).join(', ')}${prefixed.length > 5 ? ', …' : ''}`);
  throw new UsageError(`no run "${arg}": not a folder, and not a run id in ${runsDir}`);
}

function epochsOption(value: string | undefined): number | undefined {
  return numberOption('epochs', value, (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
}

/** --runs-dir, else the runs folder of the current directory. */
function runsDirArg(value: string | undefined): string {
  return runsDirOption(value, runsDirFor(process.cwd()));
}

const SHADES = [' ', '░', '▒', '▓', '█'];
/** Characters a terminal draws two columns wide (CJK, full-width forms). */
const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff01-\uff60]/u;

/** `text` cut and padded to `columns` terminal columns. */
function fitColumns(text: string, columns: number): string {
  let out = '';
  let width = 0;
  for (const ch of text) {
    const w = WIDE.test(ch) ? 2 : 1;
    if (width + w > columns) break;
    out += ch;
    width += w;
  }
  return out + ' '.repeat(columns - width);
}

/**
 * A layer's head-averaged attention as a grid of shades for a terminal:
 * rows are queries, columns keys, each shade relative to the row's largest weight.
 */
function shadedGrid(tokens: string[], heads: number[][][]): string[] {
  const n = tokens.length;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const weights = Array.from({ length: n }, (_, j) => heads.reduce((sum, h) => sum + h[i][j], 0) / heads.length);
    const max = Math.max(...weights) || 1;
    const row = weights.map((w) => SHADES[Math.round((w / max) * (SHADES.length - 1))]).join('');
    lines.push(`  ${String(i).padStart(3)} ${fitColumns(JSON.stringify(tokens[i]).slice(1, -1), 10)} │${row}│`);
  }
  return lines;
}

function formatAttention(r: AttentionResult, millis: number): string {
  const layers = r.attention.length;
  const heads = r.attention[0]?.length ?? 0;
  const out = [`${r.tokens.length} tokens${r.truncated ? ' (text truncated)' : ''}; attention ${layers} layers × ${heads} heads × ${r.tokens.length} × ${r.tokens.length}; ${millis} ms`];
  if (r.prediction) {
    out.push(`prediction: ${r.prediction.label}`);
    for (const p of [...r.prediction.probabilities].sort((a, b) => b.probability - a.probability).slice(0, 5)) out.push(`  ${p.label.padEnd(20)} ${(p.probability * 100).toFixed(1)}%`);
  }
  if (r.predictedValue) out.push(`prediction: ${r.predictedValue.target} ≈ ${formatMetric(r.predictedValue.value)}`);
  const shown = Math.min(r.tokens.length, 48);
  r.attention.forEach((layer, l) => {
    out.push(`layer ${l + 1}, average of ${heads} heads (rows: queries, columns: keys, darkest: the row's largest weight${shown < r.tokens.length ? `; first ${shown} tokens` : ''}):`);
    out.push(...shadedGrid(r.tokens.slice(0, shown), layer.map((h) => h.slice(0, shown).map((row) => row.slice(0, shown)))));
  });
  out.push('(--json prints every head in full)');
  return out.join('\n');
}

async function attention(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'max-tokens': { type: 'string' }, json: { type: 'boolean' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('attention takes a run and a text file');
  const maxTokens = numberOption('max-tokens', values['max-tokens'], (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1') ?? ATTENTION_TOKENS.default;
  const runDir = resolveRun(positionals[0], runsDirArg(values['runs-dir']));
  const text = positionals[1] === '-' ? readFileSync(0, 'utf8') : readFileSync(positionals[1], 'utf8');
  await selectBackend(backendOption(values.backend));
  const started = Date.now();
  const result = await attentionFor(runDir, text, maxTokens);
  const millis = Date.now() - started;
  process.stdout.write((values.json ? JSON.stringify(result) : formatAttention(result, millis)) + '\n');
  return 0;
}

async function generateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      prompt: { type: 'string' },
      length: { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      'runs-dir': { type: 'string' },
      backend: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('generate takes one run');
  const options = {
    length: numberOption('length', values.length, (n) => Number.isInteger(n) && n >= 1 && n <= 100000, 'a whole number from 1 to 100000'),
    temperature: numberOption('temperature', values.temperature, (n) => n >= 0, 'a number ≥ 0'),
    topK: numberOption('top-k', values['top-k'], (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0 (0: no limit)'),
    seed: numberOption('seed', values.seed, Number.isInteger, 'a whole number'),
  };
  const runDir = resolveRun(positionals[0], runsDirArg(values['runs-dir']), 'language-model');
  await selectBackend(backendOption(values.backend));
  const prompt = values.prompt ?? '';
  const result = await generate(runDir, prompt, options);
  if (values.json) process.stdout.write(JSON.stringify({ ...result, ...GENERATE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }) + '\n');
  else process.stdout.write(prompt + result.text + '\n');
  return 0;
}

/** One run per point of the config's sweep section; prints the runs ranked by the sweep's metric. */
async function sweep(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { concurrency: { type: 'string' }, backend: { type: 'string' }, epochs: { type: 'string' }, 'runs-dir': { type: 'string' }, json: { type: 'boolean' }, ...THREADS_OPTION, ...EXECUTOR_OPTIONS },
  });
  if (positionals.length !== 1) throw new UsageError('sweep takes one config file');
  const threads = threadRequest(values.threads);
  const cluster = clusterRequest(values);
  const common = {
    configPath: positionals[0],
    runsDir: runsDirArg(values['runs-dir']),
    backend: backendOption(values.backend),
    epochs: epochsOption(values.epochs),
    json: values.json === true,
  };
  if (cluster) {
    // A job array runs as many tasks at once as the cluster gives it; --concurrency caps them (%N).
    const concurrency = numberOption('concurrency', values.concurrency, (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
    return submitSweep(cluster, { ...common, concurrency, threads: threads.cli });
  }
  return sweepCommand({
    ...common,
    concurrency: numberOption('concurrency', values.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 16, 'a whole number from 1 to 16'),
    trainerScripts: defaultTrainerScripts(__dirname),
    threads,
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'train':
        return await train(rest);
      case 'resume':
        return await resume(rest);
      case 'validate':
        return validate(rest);
      case 'pipeline': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'no-data': { type: 'boolean' } } });
        if (positionals.length !== 1) throw new UsageError('pipeline takes one config file');
        return pipelineCommand({ configPath: positionals[0]!, noData: values['no-data'] === true });
      }
      case 'runs':
        return await runs(rest);
      case 'cancel': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'runs-dir': { type: 'string' } } });
        if (positionals.length !== 1) throw new UsageError('cancel takes one run');
        return await cancelRun(resolveRun(positionals[0], runsDirArg(values['runs-dir'])));
      }
      case 'sweep':
        return await sweep(rest);
      case 'best':
        return await best(rest);
      case 'attention':
        return await attention(rest);
      case 'generate':
        return await generateCommand(rest);
      case 'saliency':
        return await saliencyCommand(rest, { resolveRun: (arg, dir) => resolveRun(arg, dir, 'image'), defaultRunsDir: runsDirFor(process.cwd()) });
      case 'lr-find':
        return await lrFindCommand(rest);
      case 'fill-mask':
        return await fillMaskCommand(rest, { resolveRun: (arg, dir) => resolveRun(arg, dir), defaultRunsDir: runsDirFor(process.cwd()) });
      case 'predict':
        return await predictCommand(rest, { resolveRun: (arg, dir) => resolveRun(arg, dir), defaultRunsDir: runsDirFor(process.cwd()) });
      case 'export':
        return await exportCommand(rest, { resolveRun: (arg, dir) => resolveRun(arg, dir), defaultRunsDir: runsDirFor(process.cwd()) });
      case 'serve':
        return await serveCommand(rest, { resolveRun: (arg, dir) => resolveRun(arg, dir), defaultRunsDir: runsDirFor(process.cwd()) });
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
