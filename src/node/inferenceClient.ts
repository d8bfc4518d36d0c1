// The host's handle on the long-lived inference child: dist/trainer.js forked
// once and kept alive (models stay loaded between requests), requests sent
// with ids and replies matched to them, cancellation, timeouts, and a fresh
// child after a crash. The model never runs in the extension host. No
// `vscode` import, so tests fork the real trainer bundle.

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { INFERENCE_REPLY_TYPES, whyNotInferenceResponse } from '../core/protocol/inference';
import { isOneOf } from '../core/choices';
import { isRecord, isRequestId } from '../core/protocol/fields';
import type {
  AttentionRequestMessage,
  AttentionResultMessage,
  GenerateRequestMessage,
  GenerateResultMessage,
  FillMaskRequestMessage,
  FillMaskResultMessage,
  HostToInferenceMessage,
  InferenceToHostMessage,
  PredictRequestMessage,
  PredictResultMessage,
  SaliencyRequestMessage,
  SaliencyResultMessage,
  EmbeddingsRequestMessage,
  EmbeddingsResultMessage,
  RowPredictionsRequestMessage,
  RowPredictionsResultMessage,
} from '../core/protocol/inference';
import type { BackendChoice } from '../core/types';
import type { TrainerRuntime } from './trainerRuntime';

/** A first request loads tfjs and the model; later ones take milliseconds. */
export const INFERENCE_TIMEOUT_MS = 120_000;
const STDERR_TAIL_LINES = 8;

export interface InferenceClientOptions {
  /** Absolute path of dist/trainer.js. */
  trainerScript: string;
  /** Read at every fork, so a changed modelLab.nodePath applies to the next child. */
  runtime: () => Pick<TrainerRuntime, 'execPath' | 'env'>;
  backend?: () => BackendChoice;
  nativeModuleDirs?: () => string[];
  /** modelLab.threads, sent with every request; the child applies it when it starts its backend. */
  threads?: () => number;
  /** A request not answered in this time fails, and the child (stuck or crashed) is replaced. */
  timeoutMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** The request was cancelled (a newer one superseded it, or the caller gave up); not a failure. */
export class InferenceCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'InferenceCancelledError';
  }
}

export type AttentionQuery = Pick<AttentionRequestMessage, 'modelDir' | 'text' | 'maxTokens'>;
export type GenerateQuery = Pick<GenerateRequestMessage, 'modelDir' | 'prompt' | 'length' | 'temperature' | 'topK' | 'seed'>;
export type FillMaskQuery = Pick<FillMaskRequestMessage, 'modelDir' | 'text' | 'topK'>;
export type PredictQuery = Pick<PredictRequestMessage, 'modelDir' | 'instances'>;
export type SaliencyQuery = Pick<SaliencyRequestMessage, 'modelDir' | 'imagePath' | 'method'>;

export type EmbeddingsQuery = Pick<EmbeddingsRequestMessage, 'modelDir' | 'table' | 'method' | 'rows'>;
export type RowPredictionsQuery = Pick<RowPredictionsRequestMessage, 'modelDir' | 'dataFile' | 'scope' | 'fromLine' | 'toLine' | 'worst'>;

/** Every reply but an error; every request but a cancel, without its id (derived, so a new request type needs no edit here). */
type Reply = Exclude<InferenceToHostMessage, { type: 'inferenceError' }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'requestId'> : never;
type RequestBody = WithoutId<Exclude<HostToInferenceMessage, { type: 'cancelInference' }>>;

interface Pending {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  cleanup(): void;
}

export class InferenceClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private disposed = false;
  /** Children started so far (a restart after a crash counts). */
  starts = 0;

  constructor(private readonly options: InferenceClientOptions) {}

  /** The child's pid while one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  attention(query: AttentionQuery, signal?: AbortSignal): Promise<AttentionResultMessage> {
    return this.request({ type: 'attention', ...query }, signal) as Promise<AttentionResultMessage>;
  }

  generate(query: GenerateQuery, signal?: AbortSignal): Promise<GenerateResultMessage> {
    return this.request({ type: 'generate', ...query }, signal) as Promise<GenerateResultMessage>;
  }

  /** A masked-language model's most likely tokens at each mask of a sentence. */
  fillMask(query: FillMaskQuery, signal?: AbortSignal): Promise<FillMaskResultMessage> {
    return this.request({ type: 'fillMask', ...query }, signal) as Promise<FillMaskResultMessage>;
  }

  /** The model's signature and, for each instance, its prediction (none: only the signature). */
  predict(query: PredictQuery, signal?: AbortSignal): Promise<PredictResultMessage> {
    return this.request({ type: 'predict', ...query }, signal) as Promise<PredictResultMessage>;
  }

  /** An image classifier's prediction for an image file, with its saliency map. */
  saliency(query: SaliencyQuery, signal?: AbortSignal): Promise<SaliencyResultMessage> {
    return this.request({ type: 'saliency', ...query }, signal) as Promise<SaliencyResultMessage>;
  }

  /** A model's embedding table in 2-D with each row's nearest neighbours (the projector). */
  embeddings(query: EmbeddingsQuery, signal?: AbortSignal): Promise<EmbeddingsResultMessage> {
    return this.request({ type: 'embeddings', ...query }, signal) as Promise<EmbeddingsResultMessage>;
  }

  /** What a run's model predicts for the rows of a data file (the editor's hints), and the worst rows of the scope. */
  rowPredictions(query: RowPredictionsQuery, signal?: AbortSignal): Promise<RowPredictionsResultMessage> {
    return this.request({ type: 'rowPredictions', ...query }, signal) as Promise<RowPredictionsResultMessage>;
  }

  private request(body: RequestBody, signal?: AbortSignal): Promise<Reply> {
    if (this.disposed) return Promise.reject(new Error('the inference client was disposed'));
    if (signal?.aborted) return Promise.reject(new InferenceCancelledError());
    const requestId = this.nextId++;
    const message = {
      ...body,
      requestId,
      backend: this.options.backend?.() ?? 'auto',
      nativeModuleDirs: this.options.nativeModuleDirs?.(),
      threads: this.options.threads?.(),
    } as AttentionRequestMessage | GenerateRequestMessage | PredictRequestMessage | SaliencyRequestMessage;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(requestId)) return;
        this.settle(requestId)?.reject(new InferenceCancelledError());
        // The child drops it from its queue or stops it between tokens; its reply is ignored.
        this.send({ type: 'cancelInference', requestId });
      };
      const timeoutMs = this.options.timeoutMs ?? INFERENCE_TIMEOUT_MS;
      const timer = setTimeout(() => {
        const p = this.settle(requestId);
        if (!p) return;
        p.reject(new Error(`the inference process did not answer within ${Math.round(timeoutMs / 1000)} s`));
        // A child that does not answer is stuck (or far behind); start over with a fresh one.
        this.options.log?.('warn', 'inference: a request timed out; restarting the inference process');
        this.killChild();
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, { resolve, reject, timer, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      if (!this.ensureChild() || !this.send(message)) {
        this.settle(requestId)?.reject(new Error(`cannot start the inference process${this.tail()}`));
      }
    });
  }

  /** Removes a pending request and returns it (once). */
  private settle(requestId: number): Pending | undefined {
    const p = this.pending.get(requestId);
    if (!p) return undefined;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    p.cleanup();
    return p;
  }

  private ensureChild(): boolean {
    if (this.child && this.child.connected) return true;
    const runtime = this.options.runtime();
    let child: ChildProcess;
    try {
      child = fork(this.options.trainerScript, [], {
        execPath: runtime.execPath,
        execArgv: [],
        env: { ...process.env, ...runtime.env },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        ...({ windowsHide: true } as object),
      });
    } catch (err) {
      this.options.log?.('warn', `inference: cannot start ${runtime.execPath}: ${(err as Error).message}`);
      return false;
    }
    this.child = child;
    this.starts++;
    this.stderrTail.length = 0;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }
    });
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('error', (err) => this.options.log?.('warn', `inference process: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.disposed) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.options.log?.('warn', `inference: the inference process ${how}${this.tail()}`);
      // Whatever it was working on is lost; the next request starts a new child.
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error(`the inference process ${how}${this.tail()}`));
    });
    return true;
  }

  private receive(raw: unknown): void {
    const why = whyNotInferenceResponse(raw);
    if (why !== undefined) {
      // A reply to a pending request that its check refuses fails that request now, rather than at the timeout.
      if (isRecord(raw) && isOneOf(INFERENCE_REPLY_TYPES, raw.type) && isRequestId(raw.requestId)) {
        this.settle(raw.requestId)?.reject(new Error(`the inference process sent a malformed reply: ${why}`));
      }
      return;
    }
    const reply = raw as InferenceToHostMessage;
    const p = this.settle(reply.requestId);
    if (!p) return; // cancelled or timed out already
    if (reply.type === 'inferenceError') p.reject(reply.cancelled ? new InferenceCancelledError() : new Error(reply.message));
    else p.resolve(reply);
  }

  private send(message: HostToInferenceMessage): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    try {
      child.send(message, (err) => {
        if (err) this.options.log?.('warn', `inference: could not send '${message.type}': ${err.message}`);
      });
      return true;
    } catch {
      return false;
    }
  }

  private tail(): string {
    const said = this.stderrTail.slice(-3).join(' | ');
    return said ? `: ${said.slice(0, 500)}` : '';
  }

  private killChild(): void {
    const child = this.child;
    this.child = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error('the inference process was restarted'));
    try {
      child?.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new InferenceCancelledError());
    const child = this.child;
    this.child = undefined;
    // The child exits by itself when its IPC channel closes; kill it if it lingers.
    try {
      child?.disconnect();
    } catch {
      // already gone
    }
    if (child) setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 2000).unref();
  }
}
