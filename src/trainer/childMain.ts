// Entry of the trainer child process (dist/trainer.js), forked by the
// extension host. Receives one StartTrainingMessage, runs it, forwards the
// engine's events over IPC and exits. Metrics (step points already batched by
// the engine) and epoch events are held and sent together at most every
// EVENT_BATCH_MS; every other event at once, after those held. A 'stop'
// message (or the host going away) stops training cleanly; SIGUSR1 or SIGTERM
// interrupts it (resumable).
//
// The same entry is the long-lived inference process: 'attention' and
// 'generate' requests are answered by an InferenceServer (models stay loaded
// between requests), and the process lives until the host disconnects.

import { BATCHED_EVENT_TYPES, EVENT_BATCH_MS } from '../core/protocol/trainer';
import type { HostToTrainerMessage, TrainerEvent, TrainerToHostMessage } from '../core/protocol/trainer';
import { isInferenceRequestType } from '../core/protocol/inference';
import type { InferenceToHostMessage } from '../core/protocol/inference';
import { ConfigInvalidError, ResumeError, resumeTraining, runTraining } from './engine';
import { InferenceServer } from './inferenceServer';
import { interruptOnSignals } from './interruptSignals';
import { setEngineThreads } from './threads';

// A benchmark's fixed thread count (scripts/bench/hostLoop.ts), before any backend starts.
// 0 (every core) or a malformed value leaves the default: the run's own rule (runThreads.ts) reads it again and says what is wrong.
const envThreads = Number(process.env.MODELLAB_THREADS);
if (Number.isInteger(envThreads) && envThreads >= 1) setEngineThreads(envThreads);

function post(msg: TrainerToHostMessage | InferenceToHostMessage): void {
  // The host can go away between the check and the write; with a callback a
  // failed send is dropped here instead of crashing the trainer mid-run.
  if (process.send && process.connected) process.send(msg, undefined, {}, () => undefined);
}

let held: TrainerEvent[] = [];
let lastPost = -Infinity;
let flushTimer: NodeJS.Timeout | undefined;

/** Posts the held events: one as itself, more as one batch. */
function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (held.length === 0) return;
  post(held.length === 1 ? held[0] : { type: 'events', events: held });
  held = [];
  lastPost = performance.now();
}

/**
 * Sends an event to the host. Metrics and epochs are held until EVENT_BATCH_MS
 * after the last post (the first after a quiet spell goes at once; a timer
 * posts what a pause in training leaves held); any other message posts the
 * held ones first, so the host sees every event in order.
 */
function send(msg: TrainerEvent | InferenceToHostMessage): void {
  if ((BATCHED_EVENT_TYPES as readonly string[]).includes(msg.type)) {
    held.push(msg as TrainerEvent);
    if (performance.now() - lastPost >= EVENT_BATCH_MS) flush();
    else flushTimer ??= setTimeout(flush, EVENT_BATCH_MS);
    return;
  }
  flush();
  post(msg);
}

const abort = new AbortController();
let started = false;
let inference: InferenceServer | undefined;

process.on('message', (raw: unknown) => {
  const type = (raw as { type?: unknown } | null)?.type;
  if (isInferenceRequestType(type)) {
    (inference ??= new InferenceServer(send)).handle(raw);
    return;
  }
  const msg = raw as HostToTrainerMessage;
  if (msg?.type === 'stop') {
    // The editor closing or reloading interrupts the run, as losing the host does; a user's Stop stops it.
    abort.abort(msg.reason === 'shutdown' ? 'disconnect' : undefined);
    return;
  }
  if (msg?.type !== 'start' || started) return;
  started = true;
  // SIGUSR1 / SIGTERM (a scheduler, a shutdown) interrupt the run with its checkpoint instead of killing it.
  interruptOnSignals(abort);
  const common = {
    backend: msg.backend,
    nativeModuleDirs: msg.nativeModuleDirs,
    workspaceRoot: msg.workspaceRoot,
    allowPathsOutsideWorkspace: msg.allowPathsOutsideWorkspace,
    // The engine's threads are decided from it (and the config) before the backend starts: engine.ts.
    threads: msg.threads,
    signal: abort.signal,
    onEvent: send,
  };
  const training = msg.resumeRunDir
    ? resumeTraining({ ...common, runDir: msg.resumeRunDir })
    : runTraining({ ...common, configPath: msg.configPath, runsDir: msg.runsDir, epochs: msg.epochs, overrides: msg.overrides, sweep: msg.sweep, fold: msg.fold, retrain: msg.retrain });
  training
    .then((r) => exitSoon(r.meta.status === 'completed' || r.meta.status === 'stopped' ? 0 : 1))
    .catch((e: unknown) => {
      // Only failures before the run folder is written get here (an invalid config, a run that cannot be resumed).
      const message = e instanceof ConfigInvalidError || e instanceof ResumeError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
      send({ type: 'log', level: 'error', message });
      exitSoon(2);
    });
});

// The host went away (window closed, extension host crashed): stop and keep what was written.
process.on('disconnect', () => {
  abort.abort('disconnect');
  // An inference process has nothing left to do without its host.
  if (!started) process.exit(0);
});

function exitSoon(code: number): void {
  // Let IPC drain before exiting.
  setTimeout(() => process.exit(code), 50);
}
