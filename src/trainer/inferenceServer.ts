// The inference side of the child process: answers attention and generation
// requests from the host one at a time, in order, each exactly once, keeping
// loaded models cached between requests. Separate from childMain so tests
// can drive it without forking a process.

import { parseInferenceRequest } from '../core/protocol/inference';
import type { AttentionRequestMessage, EmbeddingsRequestMessage, FillMaskRequestMessage, RowPredictionsRequestMessage, GenerateRequestMessage, InferenceToHostMessage, PredictRequestMessage, SaliencyRequestMessage } from '../core/protocol/inference';
import type { BackendName } from '../core/types';
import { selectBackend } from './backend';
import { applyInferenceThreads } from './runThreads';
import { ATTENTION_TOKENS } from '../core/types';
import { attentionFor, generate, resolveModelDir, TextModelCache } from './inference';
import { PredictorCache } from './predictorCache';
import { isRequestId } from '../core/protocol/fields';
import { ImageModelCache } from './imageModel';
import { saliencyFor } from './saliency';
import { EmbeddingCache, projectEmbeddings } from './embeddings';
import { DataRowPredictions } from './rowPredictions';
import { fillMask } from './fillMask';

type Request = AttentionRequestMessage | GenerateRequestMessage | FillMaskRequestMessage | PredictRequestMessage | SaliencyRequestMessage | EmbeddingsRequestMessage | RowPredictionsRequestMessage;

/** Longest text an attention request may carry; the tokenizer reads only the start anyway. */
const MAX_TEXT_CHARS = 1_000_000;

export class InferenceServer {
  private readonly queue: Request[] = [];
  private running?: { requestId: number; abort: AbortController };
  private draining = false;
  private backend?: BackendName;
  private readonly cache = new TextModelCache(2);
  private readonly predictors = new PredictorCache(2);
  private readonly images = new ImageModelCache(2);
  private readonly embeddings = new EmbeddingCache(2);
  private readonly dataRows = new DataRowPredictions();

  constructor(private readonly send: (msg: InferenceToHostMessage) => void) {}

  /** Accepts a raw IPC message; replies (now or later) to every request that has a requestId. */
  handle(raw: unknown): void {
    const msg = parseInferenceRequest(raw);
    if (typeof msg === 'string') {
      const requestId = (raw as { requestId?: unknown } | null)?.requestId;
      if (isRequestId(requestId)) this.send({ type: 'inferenceError', requestId, message: msg });
      return;
    }
    if (msg.type === 'cancelInference') {
      const queued = this.queue.findIndex((r) => r.requestId === msg.requestId);
      if (queued >= 0) {
        this.queue.splice(queued, 1);
        this.send({ type: 'inferenceError', requestId: msg.requestId, message: 'cancelled', cancelled: true });
      } else if (this.running?.requestId === msg.requestId) {
        this.running.abort.abort();
      }
      return;
    }
    this.queue.push(msg);
    void this.drain();
  }

  /** Requests waiting behind the running one. */
  get pending(): number {
    return this.queue.length;
  }

  dispose(): void {
    this.cache.clear();
    this.predictors.clear();
    this.images.clear();
    this.embeddings.clear();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.run(next);
    } finally {
      this.draining = false;
    }
  }

  private async run(req: Request): Promise<void> {
    const started = performance.now();
    const abort = new AbortController();
    this.running = { requestId: req.requestId, abort };
    try {
      if (!this.backend) {
        // One small request at a time: two threads at most, so a training beside it keeps the other cores.
        applyInferenceThreads(req.threads);
        this.backend = (await selectBackend(req.backend ?? 'auto', req.nativeModuleDirs)).backend;
      }
      const modelDir = resolveModelDir(req.modelDir);
      const millis = () => Math.round(performance.now() - started);
      if (req.type === 'predict') {
        const predictor = await this.predictors.get(modelDir);
        // The playground sends one row at a time; a larger batch is still bounded.
        const predictions = req.instances.length > 0 ? await predictor.predict(req.instances.slice(0, 10_000)) : [];
        this.send({ type: 'predictResult', requestId: req.requestId, modelDir, signature: predictor.signature, predictions, millis: millis(), backend: this.backend });
      } else if (req.type === 'attention') {
        const maxTokens = Math.max(1, Math.min(Math.floor(req.maxTokens ?? ATTENTION_TOKENS.default), ATTENTION_TOKENS.max));
        const result = await attentionFor(modelDir, req.text.slice(0, MAX_TEXT_CHARS), maxTokens, this.cache);
        this.send({ type: 'attentionResult', requestId: req.requestId, modelDir, result, millis: millis(), backend: this.backend });
      } else if (req.type === 'fillMask') {
        const result = await fillMask(modelDir, req.text, { topK: req.topK }, this.cache);
        this.send({ type: 'fillMaskResult', requestId: req.requestId, modelDir, result, millis: millis(), backend: this.backend });
      } else if (req.type === 'rowPredictions') {
        const predictor = await this.predictors.get(modelDir);
        const worst = Math.max(0, Math.min(Math.floor(req.worst ?? 0), 100));
        const answer = await this.dataRows.answer(predictor, modelDir, req.dataFile, req.scope, req.fromLine, req.toLine, worst);
        this.send({ type: 'rowPredictionsResult', requestId: req.requestId, modelDir, ...answer, millis: millis(), backend: this.backend });
      } else if (req.type === 'embeddings') {
        const result = await projectEmbeddings(modelDir, { table: req.table, method: req.method, rows: req.rows, signal: abort.signal }, this.embeddings);
        this.send({ type: 'embeddingsResult', requestId: req.requestId, modelDir, result, millis: millis(), backend: this.backend });
      } else if (req.type === 'saliency') {
        const result = await saliencyFor(modelDir, req.imagePath, req.method, this.images);
        this.send({ type: 'saliencyResult', requestId: req.requestId, modelDir, result, millis: millis(), backend: this.backend });
      } else {
        const result = await generate(modelDir, req.prompt, { length: req.length, temperature: req.temperature, topK: req.topK, seed: req.seed, signal: abort.signal }, this.cache);
        this.send({ type: 'generateResult', requestId: req.requestId, modelDir, result, millis: millis(), backend: this.backend });
      }
    } catch (e) {
      const cancelled = abort.signal.aborted;
      this.send({ type: 'inferenceError', requestId: req.requestId, message: cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e), ...(cancelled ? { cancelled } : {}) });
    } finally {
      this.running = undefined;
    }
  }
}
