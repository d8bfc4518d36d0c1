// One training run, start to end: validate the config, load and prepare the
// data, build the model, train with callbacks, evaluate, save — writing the
// run folder as it goes and emitting TrainerEvents. Used by the child process
// (forwarded to VS Code) and by the CLI (printed).

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { formatDiagnostic, validateConfigFile, validateConfigValue } from '../node/configValidation';
import type { ConfigDiagnostic } from '../node/configValidation';
import { CHECKPOINT_FILE, checkpointPath, CHECKPOINT_FORMAT, readCheckpoint, whyNotResumable } from '../node/checkpointFile';
import type { Checkpoint, CheckpointHeader } from '../node/checkpointFile';
import { logEvent, stageEvent } from '../core/protocol/trainer';
import type { StageReporter, StartTrainingMessage, TrainerEvent, TrainerLog } from '../core/protocol/trainer';
import { formatLogText, logText, modelSummaryLog } from '../core/trainerLogTable';
import type { LogText } from '../core/trainerLogTable';
import { seededRng } from '../core/random';
import { trainingDataPartOf } from '../core/crossValidation';
import type { SeededRng } from '../core/random';
import { distributionsEvery, isImageExperiment, isTextExperiment, resolveConfig } from '../core/resolvedConfig';
import type { ResolvedConfig } from '../core/resolvedConfig';
import { HeartbeatWriter, thisProcess } from '../node/heartbeat';
import { readRunMeta } from '../node/runStoreReader';
import { RunWriter, writeFileAtomic } from '../node/runStoreWriter';
import { configForSweepPoint } from '../node/sweepPoint';
import { decideAtRung } from '../node/sweepRungs';
import { isRungEpoch, pruningLog } from '../core/earlyTermination';
import { formatMetric } from '../core/metrics';
import type { Evaluation, MetricPoint, RunMeta, StageName, StageStatus } from '../core/types';
import { selectBackend } from './backend';
import { applyEngineThreads, threadsOfBackend } from './runThreads';
import { SystemSampler } from './systemSampler';
import { DistributionsRecorder } from './distributionsRecorder';
import { restoredMessage, TrainingCallbacks } from './callbacks';
import { encodeTrainingCheckpoint, restoreTrainingCheckpoint } from './checkpoint';
import { prepareImageExperiment } from './imageTraining';
import { buildOptimizer, getLearningRate, setLearningRate } from './model';
import type { LoopState, PreparedExperiment } from './preparedExperiment';
import { prepareRecommenderExperiment } from './recommenderTraining';
import { prepareTabularExperiment } from './tabularTraining';
import { prepareTextExperiment } from './textTraining';
import { fineTuneConfig, textFineTune } from './fineTune';
import type { TextFineTune } from './fineTune';
import { imageBaseOf, imageFineTune } from './imageFineTune';
import type { ImageFineTune } from './imageFineTune';
import packageJson from '../../package.json';

/** What the host's start message says (core/protocol/trainer.ts; resuming is ResumeOptions), and what runs in-process adds. */
export interface TrainOptions extends Omit<StartTrainingMessage, 'type' | 'resumeRunDir'> {
  signal?: AbortSignal;
  onEvent: (e: TrainerEvent) => void;
  /** Longest time step metrics wait before being sent as one batch. */
  metricsIntervalMs?: number;
  /**
   * Train in this run folder instead of a new one under runsDir: a folder made
   * at submission (meta.json `queued`, with the scheduler's job), or one whose
   * earlier attempt ended before its first checkpoint. Its id, job, sweep
   * membership and creation time are kept; its metrics start again.
   */
  runDir?: string;
  /** The scheduler job this process runs as (a cluster job's SLURM_JOB_ID), recorded as RunMeta.trainerJob. */
  schedulerJobId?: string;
}

/**
 * Abort reasons that interrupt a run (it ends `interrupted`, resumable from its
 * checkpoint) rather than stop it: the host going away, or a signal — a
 * scheduler's warning before a time limit or preemption (SIGUSR1), or its
 * SIGTERM. Any other reason is a user's Stop.
 */
export const INTERRUPT_REASONS = ['disconnect', 'SIGUSR1', 'SIGTERM'] as const;
const interrupts = (reason: unknown): boolean => (INTERRUPT_REASONS as readonly unknown[]).includes(reason);

/** Carrying on an interrupted or stopped run from its checkpoint: the run's own config snapshot, not the file as it is now. */
export interface ResumeOptions extends Omit<TrainOptions, 'configPath' | 'runsDir' | 'epochs' | 'overrides' | 'sweep' | 'fold' | 'retrain'> {
  /** The run folder (…/.modellab/runs/<id>). */
  runDir: string;
  /** The caller knows the recorded trainer is gone though meta.json says running (its scheduler job, requeued, is this process). */
  takeOver?: boolean;
}

export interface TrainResult {
  meta: RunMeta;
  runDir: string;
  evaluation?: Evaluation;
}

export class ConfigInvalidError extends Error {
  constructor(
    readonly configPath: string,
    readonly diagnostics: ConfigDiagnostic[],
  ) {
    super(
      `the config has ${diagnostics.filter((d) => d.severity === 'error').length} error(s):\n` +
        diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(configPath, d)).join('\n'),
    );
    this.name = 'ConfigInvalidError';
  }
}

/** A run that cannot be resumed (finished, no checkpoint, damaged checkpoint): said before anything in its folder changes. */
export class ResumeError extends Error {
  constructor(runDir: string, why: string) {
    super(`the run in ${runDir} cannot be resumed: ${why}`);
    this.name = 'ResumeError';
  }
}

const RENAMED_LOGS: Record<string, string> = { acc: 'accuracy', val_acc: 'val_accuracy' };

function renameLogs(logs: tfl.Logs | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs ?? {})) out[RENAMED_LOGS[k] ?? k] = typeof v === 'number' ? v : Number(v);
  return out;
}

/** Runs with Math.random replaced by a seeded generator: tfjs draws initial weights, dropout masks and fit's shuffles from it. */
export async function withSeededRandom<T>(seed: number, fn: (rng: SeededRng) => Promise<T>): Promise<T> {
  const original = Math.random;
  const rng = seededRng(seed);
  Math.random = rng;
  try {
    return await fn(rng);
  } finally {
    Math.random = original;
  }
}

/** A run folder ready to train into: new, or reopened to resume from its checkpoint. */
interface OpenedRun {
  config: ResolvedConfig;
  configPath: string;
  writer: RunWriter;
  /** Printed as warnings once the run has started. */
  warnings: (string | LogText)[];
  resume?: { checkpoint: Checkpoint; file: string };
}

export async function runTraining(opts: TrainOptions): Promise<TrainResult> {
  const configPath = resolve(opts.configPath);
  // runsDir: where a model.base run id is looked up, as the run folders go there.
  const pathPolicy = { workspaceRoot: opts.workspaceRoot, allowOutside: opts.allowPathsOutsideWorkspace, runsDir: opts.runsDir };
  const validation = validateConfigFile(configPath, pathPolicy);
  if (!validation.config) throw new ConfigInvalidError(configPath, validation.diagnostics);
  // The sweep section is not part of a run; a sweep point's values are, validated again.
  const point = configForSweepPoint(configPath, validation.config, opts.overrides, pathPolicy);
  if (!point.config) throw new ConfigInvalidError(configPath, point.diagnostics);
  // Fine-tuning: the base found and the config fitted to it (its hyperparameters, its tokenizer) before any run folder exists.
  const fine = fineTuneConfig(point.config, configPath, opts.runsDir);
  const imageBase = imageBaseOf(point.config, configPath, opts.runsDir);
  const config = retrainable(resolveConfig(fine?.config ?? point.config, { epochs: opts.retrain?.epochs ?? opts.epochs }), opts.retrain !== undefined);

  const now = new Date().toISOString();
  const fresh: Omit<RunMeta, 'id' | 'format'> = {
    name: config.name,
    task: config.task,
    configPath,
    status: 'running',
    createdAt: now,
    startedAt: now,
    versions: { modelLab: packageJson.version, node: process.versions.node },
    seed: config.training.seed,
    epochsPlanned: config.training.epochs,
    epochsDone: 0,
    ...thisProcess(),
    trainerJob: opts.schedulerJobId,
    sweep: opts.sweep,
    ...(opts.fold ? { fold: opts.fold } : {}),
    ...(opts.retrain ? { retrain: opts.retrain } : {}),
    ...(fine ? { base: fine.base } : imageBase ? { base: imageBase } : {}),
  };
  const writer = opts.runDir ? startInFolder(resolve(opts.runDir), fresh) : new RunWriter(opts.runsDir, fresh);
  writer.writeConfig({ ...config, configPath });
  return trainOpenedRun(opts, { config, configPath, writer, warnings: validation.diagnostics.map((d) => formatDiagnostic(configPath, d)) });
}

/**
 * A retrain on train + validation has no validation data to watch: it trains
 * exactly its epochs and keeps the last, so early stopping, the best-epoch
 * checkpoint and the plateau schedule are left out (the snapshot says so).
 */
function retrainable(config: ResolvedConfig, retrain: boolean): ResolvedConfig {
  if (!retrain) return config;
  const { earlyStopping: _e, checkpoint: _c, reduceLrOnPlateau: _r, ...training } = config.training;
  return { ...config, training: training as ResolvedConfig['training'] };
}

/**
 * A run folder that exists (made at submission, or left by an attempt that
 * ended before its first checkpoint) opened to train from the start: its
 * metrics, model and evaluation go; its meta keeps the id, the job, the sweep
 * membership and the creation time, and what an earlier attempt recorded of
 * its training is cleared. A folder without meta.json is a new run named after it.
 */
function startInFolder(runDir: string, fresh: Omit<RunMeta, 'id' | 'format'>): RunWriter {
  if (!existsSync(join(runDir, 'meta.json'))) return new RunWriter(dirname(runDir), { ...fresh, id: basename(runDir) }, runDir);
  const { createdAt: _keep, sweep, ...rest } = fresh;
  const cleared: Partial<RunMeta> = { backend: undefined, lastMetrics: undefined, system: undefined, bestEpoch: undefined, bestMetrics: undefined, stages: undefined, dataSizes: undefined, resumes: undefined };
  const { writer } = RunWriter.reopen(runDir, 0, { ...cleared, ...rest, ...(sweep ? { sweep } : {}) });
  // An earlier attempt's checkpoint too: a run that starts again must never be resumed from it.
  for (const stale of ['model', 'evaluation.json', 'summary.json', CHECKPOINT_FILE]) rmSync(join(runDir, stale), { recursive: true, force: true });
  return writer;
}

/**
 * Carries on an interrupted or stopped run in its own folder from the
 * checkpoint of its last finished epoch: same config snapshot, weights,
 * optimizer state, random streams and callback counters, so the finished run
 * matches one that was never interrupted. Refuses, before changing anything,
 * a run that is finished, running, from a newer Model Lab, or whose
 * checkpoint or data no longer fit.
 */
export async function resumeTraining(opts: ResumeOptions): Promise<TrainResult> {
  const runDir = resolve(opts.runDir);
  const read = readRunMeta(runDir);
  const meta = read && opts.takeOver && read.status === 'running' ? { ...read, status: 'interrupted' as const } : read;
  const why = whyNotResumable(meta, runDir);
  if (why || !meta) throw new ResumeError(runDir, why ?? 'its meta.json is unreadable');
  const file = checkpointPath(runDir);
  let checkpoint: Checkpoint;
  try {
    checkpoint = readCheckpoint(runDir);
  } catch (e) {
    throw new ResumeError(runDir, (e as Error).message);
  }
  const configFile = join(runDir, 'config.json');
  let snapshot: Record<string, unknown>;
  try {
    snapshot = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ResumeError(runDir, `its config.json is unreadable (${(e as Error).message})`);
  }
  const { configPath: _savedPath, ...value } = snapshot;
  // The snapshot is checked as a config again: the data files must still be there, inside the workspace, with the same columns.
  const diagnostics = validateConfigValue(withoutBase(value), meta.configPath, { workspaceRoot: opts.workspaceRoot, allowOutside: opts.allowPathsOutsideWorkspace, runsDir: dirname(runDir) });
  if (diagnostics.some((d) => d.severity === 'error')) throw new ConfigInvalidError(configFile, diagnostics);
  const config = value as unknown as ResolvedConfig;
  const epochsDone = checkpoint.header.epoch;
  // A checkpoint of the last epoch (a run killed while it evaluated) resumes to evaluate and save only.
  if (epochsDone > config.training.epochs) throw new ResumeError(runDir, `its checkpoint is of epoch ${epochsDone}, past the last of ${config.training.epochs}`);
  const { writer, dropped } = RunWriter.reopen(runDir, epochsDone, {
    status: 'running',
    ...thisProcess(),
    trainerJob: opts.schedulerJobId,
    startedAt: new Date().toISOString(),
    epochsDone,
    versions: { ...meta.versions, modelLab: packageJson.version, node: process.versions.node },
    resumes: [...(meta.resumes ?? []), { at: new Date().toISOString(), fromEpoch: epochsDone }],
  });
  const warnings: OpenedRun['warnings'] = diagnostics.map((d) => formatDiagnostic(configFile, d));
  if (dropped) warnings.push(logText('resume.pointsDropped', dropped, epochsDone));
  return trainOpenedRun({ ...opts, configPath: meta.configPath, runsDir: dirname(runDir) }, { config, configPath: meta.configPath, writer, warnings, resume: { checkpoint, file } });
}

/**
 * A config snapshot as a resume checks it, without model.base: a fine-tuned run's base was checked
 * when it started, and its resume reads nothing of the base (its own checkpoint and tokenizer), so a
 * base deleted or moved since must not stop it.
 */
function withoutBase(value: Record<string, unknown>): Record<string, unknown> {
  const model = value.model;
  if (typeof model !== 'object' || model === null || !('base' in model)) return value;
  const { base: _base, ...rest } = model as Record<string, unknown>;
  return { ...value, model: rest };
}

async function trainOpenedRun(optsIn: TrainOptions, run: OpenedRun): Promise<TrainResult> {
  const { config, configPath, writer } = run;
  const opts: TrainOptions = { ...optsIn, onEvent: keepingLog(optsIn.onEvent, writer) };
  const emit = opts.onEvent;
  emit({ type: 'runStarted', runDir: writer.dir, meta: writer.meta });
  for (const message of run.warnings) emit(logEvent('warn', message));
  if (run.resume) emit(logEvent('info', logText('resuming', writer.meta.name, run.resume.checkpoint.header.epoch, config.training.epochs)));

  const stages: Partial<Record<StageName, StageStatus>> = {};
  let current: StageName | undefined;
  const stage: StageReporter = (name, status, detail) => {
    stages[name] = status;
    writer.updateMeta({ stages: { ...stages } });
    current = status === 'running' ? name : current === name ? undefined : current;
    emit(stageEvent(name, status, detail));
  };

  // Readers on other hosts (a cluster node's run read from the editor's machine) know the trainer lives by this.
  const heartbeat = new HeartbeatWriter(writer.dir, (message) => emit({ type: 'log', level: 'warn', message }));
  try {
    return await withSeededRandom(config.training.seed, (rng) => trainInner({ ...opts, configPath }, config, writer, stage, rng, run.resume));
  } catch (e) {
    const message = describeFailure(e);
    emit({ type: 'log', level: 'error', message });
    let meta: RunMeta;
    try {
      if (current) stage(current, 'failed', message);
      meta = writer.end('failed', { error: message });
    } catch (writeError) {
      // The run folder cannot be written (a full disk): what is on disk stays as it was; the host still learns how the run ended.
      emit({ type: 'log', level: 'error', message: `could not record the end of the run in ${writer.dir}: ${describeFailure(writeError)}` });
      meta = { ...writer.meta, status: 'failed', error: message, endedAt: new Date().toISOString(), pid: undefined };
    }
    emit({ type: 'runEnded', meta });
    return { meta, runDir: writer.dir };
  } finally {
    heartbeat.stop();
  }
}

/** Every log line also goes to the run's log.jsonl, so a dashboard opened later shows it; the event carries its seq. */
function keepingLog(onEvent: TrainOptions['onEvent'], writer: RunWriter): TrainOptions['onEvent'] {
  return (event) => {
    if (event.type !== 'log') return onEvent(event);
    const seq = writer.appendLog(event);
    return onEvent(seq === undefined ? event : { ...event, seq });
  };
}

/** A failure as the user reads it; a full disk says so in words. */
function describeFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk is full: the run folder could not be written (${message}); metrics written so far are kept`;
  return message;
}

async function trainInner(
  opts: TrainOptions,
  config: ResolvedConfig,
  writer: RunWriter,
  stage: StageReporter,
  rng: SeededRng,
  resume: OpenedRun['resume'],
): Promise<TrainResult> {
  const emit = opts.onEvent;
  const t0 = Date.now() - (resume?.checkpoint.header.timeMs ?? 0);
  const log: TrainerLog = (message, level = 'info') => emit(logEvent(level, message));

  // The engine's threads are fixed before the backend starts (its thread pool is made then).
  const threadDecision = applyEngineThreads(opts.threads, config.training.threads);
  const sel = await selectBackend(opts.backend, opts.nativeModuleDirs);
  const threads = threadsOfBackend(sel.backend);
  writer.updateMeta({ backend: sel.backend, threads, versions: { ...writer.meta.versions, tfjs: tf.version_core } });
  emit({ type: 'backend', backend: sel.backend, fallbackReasons: sel.fallbackReasons, ...(threads !== undefined ? { threads } : {}) });
  if (sel.backend === 'wasm' && threadDecision.oversubscribed) log(threadDecision.oversubscribed, 'warn');

  // A fold of a cross-validation, or a retrain on all the training data: recorded in the meta, so a resume trains the same rows.
  const part = trainingDataPartOf(writer.meta);
  if (part && (config.task === 'recommendation' || config.task === 'language-model' || isImageExperiment(config))) throw new Error(`${part.kind === 'fold' ? 'cross-validation' : 'retraining on train + validation'} is for tables (regression, classification, text classification and regression), not this ${config.task} config`);
  const fineTune = fineTuneOf(config, writer, resume !== undefined, log);
  const prepared = prepareExperiment(config, opts.configPath, stage, log, part, fineTune ?? imageFineTuneOf(config, writer, resume !== undefined, log));
  const optimizer = prepared.optimizer ?? buildOptimizer(config.training.optimizer);
  try {
    return await trainPrepared(opts, config, writer, stage, prepared, optimizer, t0, rng, resume);
  } finally {
    // Whether the run completed, stopped or failed: the model and its tensors go.
    prepared.dispose();
    optimizer.dispose();
  }
}

/** A fine-tuned text run's base (RunMeta.base, recorded when it started): its tokenizer and weights, or on a resume its own copies. */
function fineTuneOf(config: ResolvedConfig, writer: RunWriter, resuming: boolean, log: TrainerLog): TextFineTune | undefined {
  if (config.model.base === undefined || !isTextExperiment(config)) return undefined;
  const base = writer.meta.base;
  if (!base) throw new Error(`${join(writer.dir, 'meta.json')} does not record the base (meta.base) its config's model.base names`);
  return textFineTune({ config, runDir: writer.dir, base, resuming, log });
}

/** A fine-tuned image run's base (RunMeta.base): its kept layers and their weights, or on a resume its own copies. */
function imageFineTuneOf(config: ResolvedConfig, writer: RunWriter, resuming: boolean, log: TrainerLog): ImageFineTune | undefined {
  if (config.model.base === undefined || !isImageExperiment(config)) return undefined;
  const base = writer.meta.base;
  if (!base) throw new Error(`${join(writer.dir, 'meta.json')} does not record the base (meta.base) its config's model.base names`);
  return imageFineTune({ config, runDir: writer.dir, base, resuming, log });
}

/** Loads the data and builds the model of any task (the learning-rate range test builds its throwaway model the same way). */
export function prepareExperiment(
  config: ResolvedConfig,
  configPath: string,
  stage: StageReporter,
  log: TrainerLog,
  part?: ReturnType<typeof trainingDataPartOf>,
  fineTune?: TextFineTune | ImageFineTune,
): PreparedExperiment {
  if (config.task === 'recommendation') return prepareRecommenderExperiment(config, configPath, stage, log);
  if (isTextExperiment(config)) return prepareTextExperiment(config, configPath, stage, log, part, fineTune as TextFineTune | undefined);
  if (isImageExperiment(config)) return prepareImageExperiment(config, configPath, stage, log, fineTune as ImageFineTune | undefined);
  return prepareTabularExperiment(config, configPath, stage, log, part);
}

async function trainPrepared(
  opts: TrainOptions,
  config: ResolvedConfig,
  writer: RunWriter,
  stage: StageReporter,
  prepared: PreparedExperiment,
  optimizer: tf.Optimizer,
  t0: number,
  rng: SeededRng,
  resume: OpenedRun['resume'],
): Promise<TrainResult> {
  const emit = opts.onEvent;
  const log: TrainerLog = (message, level = 'info') => emit(logEvent(level, message));
  const model = prepared.model;
  const { summary, dataSizes } = prepared;
  writer.writeSummary(summary);
  writer.updateMeta({ dataSizes });
  emit({ type: 'summary', summary, dataSizes });
  log(modelSummaryLog(summary));

  // ── training
  const tc = config.training;
  const header = resume?.checkpoint.header;
  stage('training', 'running', header ? logText('stage.resumedAfter', header.epoch, tc.epochs) : logText('stage.epochs', tc.epochs));
  const interval = opts.metricsIntervalMs ?? 250;
  let step = header?.step ?? 0;
  let epochNow = (header?.epoch ?? 0) + 1;
  let epochStart = Date.now();
  let pending: MetricPoint[] = [];
  let lastSend = Date.now();
  const send = () => {
    if (pending.length) emit({ type: 'metrics', points: pending });
    pending = [];
    lastSend = Date.now();
  };
  const record = (p: MetricPoint) => {
    pending.push(p);
    writer.addMetric(p);
  };

  // One object for the best-epoch, early-stopping and plateau state; a resumed run's comes from its checkpoint.
  const callbacks = header ? TrainingCallbacks.fromJSON(tc, header.callbacks) : new TrainingCallbacks(tc, getLearningRate(optimizer));
  let bestWeights: tf.Tensor[] | undefined;
  let stopReason: 'user' | 'interrupted' | 'early' | 'nan' | 'pruned' | undefined;
  // A sweep with early termination: at each rung epoch the run compares itself with its siblings (src/core/earlyTermination.ts).
  const pruning = writer.meta.sweep?.earlyTermination;
  let pruneNote: LogText | undefined;
  let rungMetricMissing = false;
  let diverged: LogText | undefined;
  // The trainer process's CPU, memory, step time and throughput (system/ keys): on a step point every few seconds and on every epoch point.
  const sampler = new SystemSampler();
  // Weight and gradient distributions (distributions.jsonl) at the epochs the config asks for.
  const every = distributionsEvery(tc);
  const distributions = every > 0 ? new DistributionsRecorder(model, every, tc.epochs) : undefined;

  // A resumed run takes up where its checkpoint left off: weights, optimizer state, counters, random streams.
  let loop: LoopState = {};
  if (resume && header) {
    const restored = await restoreTrainingCheckpoint(resume.checkpoint, resume.file, model, optimizer);
    bestWeights = restored.best;
    loop = { random: header.random.loop, order: restored.order };
    setLearningRate(optimizer, callbacks.learningRate);
  }
  /** The state at the end of epoch `e`, written over the previous epoch's in one atomic write. */
  const saveCheckpoint = async (e: number) => {
    const now = prepared.loopState();
    const head: Omit<CheckpointHeader, 'arrays'> = {
      format: CHECKPOINT_FORMAT,
      epoch: e,
      step,
      timeMs: Date.now() - t0,
      savedAt: new Date().toISOString(),
      random: { global: rng.state(), loop: now.random },
      callbacks: callbacks.toJSON(),
    };
    writeFileAtomic(checkpointPath(writer.dir), await encodeTrainingCheckpoint(head, { model, optimizer, best: bestWeights, order: now.order }));
  };

  let fitting = false;
  const onAbort = () => {
    // The host going away (reload, quit, crash) aborts with reason 'disconnect': the run was interrupted, not stopped.
    stopReason ??= interrupts(opts.signal?.reason) ? 'interrupted' : 'user';
    if (stopReason === 'interrupted' && typeof opts.signal?.reason === 'string' && opts.signal.reason.startsWith('SIG')) {
      const done = writer.meta.epochsDone;
      log(done ? logText('signal.stopping.resumable', opts.signal.reason, done) : logText('signal.stopping.fromStart', opts.signal.reason));
    }
    // Before fit the model is not compiled yet (a sequential model refuses the flag then): fit is skipped instead.
    if (fitting) model.stopTraining = true;
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);

  const loopCallbacks: tfl.CustomCallbackArgs = {
    onEpochBegin: async (epoch) => {
      epochNow = epoch + 1;
      epochStart = Date.now();
    },
    onBatchEnd: async (_batch, logs) => {
      step++;
      const loss = Number(logs?.loss);
      const system = sampler.batch(Number(logs?.size) || tc.batchSize);
      record({ kind: 'step', step, epoch: epochNow, time: Date.now() - t0, values: system ? { loss, ...system } : { loss } });
      if (!Number.isFinite(loss)) {
        stopReason = 'nan';
        // The loss as text: NaN and Infinity do not survive JSON (the IPC channel, log.jsonl).
        diverged = logText('diverged.loss', String(loss), step, epochNow);
        model.stopTraining = true;
      }
      // The first step goes out at once (the chart starts as soon as training does), then batched.
      if (step === 1 || Date.now() - lastSend >= interval) send();
    },
    onEpochEnd: async (epoch, rawLogs) => {
      const e = epoch + 1;
      const logs = renameLogs(rawLogs);
      logs.lr = getLearningRate(optimizer);
      const system = sampler.epoch();
      record({ kind: 'epoch', step, epoch: e, time: Date.now() - t0, values: { ...logs, ...system } });
      if (distributions) writer.appendDistributions(distributions.epochEnd(e));
      writer.flush();
      send();
      const millis = Date.now() - epochStart;
      emit({ type: 'epoch', epoch: e, epochs: tc.epochs, logs, millis });
      writer.updateMeta({ epochsDone: e, lastMetrics: logs, system });
      if (Object.values(logs).some((v) => !Number.isFinite(v))) {
        stopReason = 'nan';
        diverged ??= logText('diverged.metric', e);
        model.stopTraining = true;
        return;
      }
      const decision = callbacks.epochEnd(e, logs);
      // The model folder always holds the epoch kept so far: the last, or the best when the config asks.
      if (decision.keep) {
        if (callbacks.kept.epoch === 'best') {
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.getWeights().map((w) => tf.clone(w));
        }
        await prepared.save(writer.modelDir);
        writer.updateMeta({ bestEpoch: e, bestMetrics: logs });
      }
      // In the order they happened: the plateau's cut, then the stop.
      if (decision.learningRate) {
        setLearningRate(optimizer, decision.learningRate.value);
        log(decision.learningRate.message);
      }
      if (pruning && stopReason === undefined && isRungEpoch(pruning, e, tc.epochs)) {
        const value = logs[pruning.metric];
        if (value === undefined) {
          if (!rungMetricMissing) log(logText('pruning.metricMissing', pruning.metric), 'warn');
          rungMetricMissing = true;
        } else {
          const verdict = decideAtRung(writer, pruning, e, value);
          if (!verdict.continue) {
            stopReason = 'pruned';
            pruneNote = pruningLog(e, pruning.metric, formatMetric(value), verdict);
            log(pruneNote);
            model.stopTraining = true;
          }
        }
      }
      if (decision.stop) {
        stopReason ??= 'early';
        log(decision.stop);
        model.stopTraining = true;
      }
      // Last, so the random streams are captured exactly where the next epoch picks them up.
      // The loops call onEpochEnd for whole epochs only, so every one gets its checkpoint.
      await saveCheckpoint(e);
    },
  };

  // Restored last: building the model and optimizer drew from the generator too.
  if (header) rng.restore(header.random.global);
  try {
    // Stopped before training began (a signal while the data loaded): no epoch to train; the loops would clear the flag.
    fitting = !stopReason;
    if (fitting) await prepared.fit({ epochs: tc.epochs, batchSize: tc.batchSize, shuffle: tc.shuffle, seed: tc.seed, optimizer, callbacks: loopCallbacks, resume: header && { epochsDone: header.epoch, loop }, gradients: distributions, onStepPath: (path) => path.fast && log(logText('train.oneCallStep')) });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    writer.flush();
    send();
  }

  const { bestEpoch, bestValue, kept } = callbacks;
  // A NaN loss mid-epoch: the weights it left, so the Distributions card shows which layers blew up (a failed run is never resumed).
  if (stopReason === 'nan' && distributions && writer.meta.epochsDone !== epochNow) writer.appendDistributions(distributions.weightsNow(epochNow));
  if (stopReason === 'nan') {
    stage('training', 'failed', diverged);
    const which = kept.epoch === 'best' ? 'the best before that' : 'the last whole epoch before that';
    const keptNote = bestEpoch ? ` The model of epoch ${bestEpoch} (${which}) is kept in model/.` : '';
    throw new Error(`${diverged ? formatLogText(diverged) : ''}; training stopped. Try a lower learning rate or standardize the inputs.${keptNote}`);
  }
  if (bestEpoch === 0) await prepared.save(writer.modelDir); // no epoch, or no monitored value (e.g. no validation data)
  else if (kept.epoch === 'best' && bestWeights && bestEpoch !== writer.meta.epochsDone) {
    model.setWeights(bestWeights);
    log(restoredMessage(bestEpoch, bestValue, kept));
  }
  bestWeights?.forEach((w) => w.dispose());

  // An interruption that came after the last epoch's end has nothing left to save: the run finishes (evaluation is quick).
  if (stopReason === 'interrupted' && writer.meta.epochsDone >= tc.epochs) stopReason = undefined;
  if (stopReason === 'pruned') {
    // Fell behind its sweep at a rung: not evaluated (a pruned run is never the sweep's best) and not resumable.
    stage('training', 'done', pruneNote);
    for (const s of ['evaluation', 'deployment', 'application'] as const) stage(s, 'skipped');
    const meta = writer.end('pruned');
    rmSync(checkpointPath(writer.dir), { force: true });
    emit({ type: 'runEnded', meta });
    return { meta, runDir: writer.dir };
  }
  if (stopReason === 'user' || stopReason === 'interrupted') {
    // A run cancelled meanwhile (its job cancelled: meta.json says so before the scheduler's SIGTERM arrives) stays cancelled.
    const cancelled = stopReason === 'interrupted' && readRunMeta(writer.dir)?.status === 'cancelled';
    const status = stopReason === 'user' ? 'stopped' : cancelled ? 'cancelled' : 'interrupted';
    stage('training', 'done', logText(status === 'stopped' ? 'stage.stoppedAt' : status === 'cancelled' ? 'stage.cancelledAt' : 'stage.interruptedAt', writer.meta.epochsDone));
    for (const s of ['evaluation', 'deployment', 'application'] as const) stage(s, 'skipped');
    const meta = writer.end(status);
    emit({ type: 'runEnded', meta });
    return { meta, runDir: writer.dir };
  }
  stage('training', 'done', logText('stage.epochs', writer.meta.epochsDone));

  // ── evaluation on the held-out test split (validation when there is no test split)
  stage('evaluation', 'running');
  const evaluation = await prepared.evaluate();
  if (evaluation) {
    writer.writeEvaluation(evaluation);
    emit({ type: 'evaluation', evaluation });
    stage('evaluation', 'done', logText(evaluation.split === 'test' ? 'stage.testSplit' : 'stage.validationSplit'));
  } else {
    stage('evaluation', 'skipped', logText('stage.noHeldOut'));
  }

  // ── deployment: copy the saved model to the export folder when one is configured
  if (config.deployment?.export) {
    stage('deployment', 'running');
    const out = resolve(dirname(opts.configPath), config.deployment.export);
    mkdirSync(out, { recursive: true });
    cpSync(writer.modelDir, out, { recursive: true });
    stage('deployment', 'done', out);
  } else {
    stage('deployment', 'skipped');
  }
  stage('application', 'skipped');

  const meta = writer.end('completed');
  // Finished: nothing is left to resume, and model/ holds the result.
  rmSync(checkpointPath(writer.dir), { force: true });
  emit({ type: 'runEnded', meta });
  return { meta, runDir: writer.dir, evaluation };
}
