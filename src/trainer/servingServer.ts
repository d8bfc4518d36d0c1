// A local prediction server speaking TensorFlow Serving's REST API, so clients
// written for TF Serving work unchanged:
//   GET  /v1/models/{name}            → { model_version_status: [{ version, state: "AVAILABLE", … }] }
//   GET  /v1/models/{name}/metadata   → { model_spec, metadata: { signature_def: … } }
//   POST /v1/models/{name}:predict    { "instances": [...] } → { "predictions": [...] }
// (`/versions/1` may follow the name, as in TF Serving.) Instances are row
// objects of raw feature values (tabular), strings (text classifiers), images
// ({ "b64": PNG or JPEG bytes } or nested pixel values) for image classifiers, or
// prompts — a string or { prompt, length?, temperature?, topK?, seed? } — for
// language models, which answer { text, tokens } per instance.
// Bad requests get 4xx with { "error": "…" } naming the field; concurrent
// predict requests are answered from one model call per micro-batch.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PredictionInputError } from './predictor';
import type { Prediction } from '../core/prediction';
import type { Predictor } from './predictor';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** 0: a batch is whatever arrived while the model was busy; more waits that long for company. */
export const DEFAULT_BATCH_WINDOW_MS = 0;
export const DEFAULT_MAX_BATCH = 256;
/** Most tokens one generation request may ask for. */
export const MAX_GENERATE_LENGTH = 2000;
/** Most instances one request may carry. */
export const MAX_INSTANCES = 10_000;

export interface ServeOptions {
  predictor: Predictor;
  /** The model name in the URL. */
  name: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxBodyBytes?: number;
  /** How long the first request of a batch waits for others to join it (0: only while the model is busy). */
  batchWindowMs?: number;
  maxBatch?: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** Predict requests answered by the batcher, and the model calls that answered them. */
  stats(): { batches: number; rows: number };
  /** Stops accepting connections, answers what is in flight, then resolves. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  instances: unknown[];
  resolve: (p: Prediction[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects predict requests and answers them from one model call: requests
 * that arrive while the model is busy (or within the window) join the next batch,
 * so an idle server answers a lone request at once and a busy one batches.
 */
class MicroBatcher {
  private queue: Pending[] = [];
  private rows = 0;
  private scheduled = false;
  private busy = false;
  /** Model calls made and rows predicted, for the server's stats. */
  batches = 0;
  predictedRows = 0;

  constructor(
    private readonly predictor: Predictor,
    private readonly windowMs: number,
    private readonly maxBatch: number,
  ) {}

  submit(instances: unknown[]): Promise<Prediction[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ instances, resolve, reject });
      this.rows += instances.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.run();
    };
    if (this.windowMs > 0 && this.rows < this.maxBatch) setTimeout(go, this.windowMs);
    else setImmediate(go);
  }

  private async run(): Promise<void> {
    if (this.busy) return;
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0].instances.length <= this.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.instances.length;
    }
    this.rows -= rows;
    if (batch.length === 0) return;
    this.busy = true;
    this.batches++;
    this.predictedRows += rows;
    try {
      const all = await this.predictor.predict(batch.flatMap((p) => p.instances));
      let at = 0;
      for (const p of batch) {
        p.resolve(all.slice(at, at + p.instances.length));
        at += p.instances.length;
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.busy = false;
      this.schedule();
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `the request body is ${declared} bytes; the limit is ${limit} (--max-body)`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `the request body is over the limit of ${limit} bytes (--max-body)`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', (e) => failed || reject(e));
  });
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** TF Serving's dtype names. */
const dtype = (t: 'number' | 'string'): string => (t === 'number' ? 'DT_FLOAT' : 'DT_STRING');
const tensorInfo = (name: string, t: 'number' | 'string', dims: number[]) => ({
  dtype: dtype(t),
  tensor_shape: { dim: dims.map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
  name,
});

export function signatureMetadata(predictor: Predictor, name: string): unknown {
  const s = predictor.signature;
  const inputs = Object.fromEntries(s.inputs.map((i) => [i.name, tensorInfo(i.name, i.dtype, [-1])]));
  let outputs: Record<string, unknown>;
  if (s.kind === 'language-model') outputs = { text: tensorInfo('text', 'string', [-1]), tokens: tensorInfo('tokens', 'number', [-1]) };
  else if (s.kind === 'recommender') outputs = { items: tensorInfo('items', 'string', [-1, -1]), scores: tensorInfo('scores', 'number', [-1, -1]) };
  else if (s.task === 'regression') outputs = { value: tensorInfo('value', 'number', [-1]) };
  else outputs = { label: tensorInfo('label', 'string', [-1]), probabilities: tensorInfo('probabilities', 'number', [-1, s.labels?.length ?? -1]) };
  return {
    model_spec: { name, signature_name: '', version: '1' },
    metadata: {
      signature_def: {
        signature_def: { serving_default: { inputs, outputs, method_name: 'tensorflow/serving/predict' } },
      },
      // Not in TF Serving: what a client needs to build valid instances (clients that do not know it ignore it).
      modellab: s,
    },
  };
}

interface GenerateInstance {
  prompt: string;
  length?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
}

function parseGenerateInstance(v: unknown, where: string): GenerateInstance {
  if (typeof v === 'string') return { prompt: v };
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `${where} must be a prompt string or an object with "prompt", not ${typeOf(v)}`);
  const o = v as Record<string, unknown>;
  const allowed = new Set(['prompt', 'length', 'temperature', 'topK', 'seed']);
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw new HttpError(400, `${where}.${k} is not a generation option (prompt, length, temperature, topK, seed)`);
  if (typeof o.prompt !== 'string') throw new HttpError(400, o.prompt === undefined ? `${where}.prompt is missing` : `${where}.prompt must be a string, not ${typeOf(o.prompt)}`);
  const out: GenerateInstance = { prompt: o.prompt };
  const int = (k: 'length' | 'topK' | 'seed', lo: number, hi: number) => {
    const x = o[k];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw new HttpError(400, `${where}.${k} must be a whole number from ${lo} to ${hi}`);
    out[k] = x;
  };
  int('length', 1, MAX_GENERATE_LENGTH);
  int('topK', 0, 1_000_000);
  int('seed', -2147483648, 2147483647);
  if (o.temperature !== undefined) {
    if (typeof o.temperature !== 'number' || !(o.temperature >= 0) || o.temperature > 100) throw new HttpError(400, `${where}.temperature must be a number from 0 to 100`);
    out.temperature = o.temperature;
  }
  return out;
}

const ROUTE = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+))?(\/metadata|:predict)?$/;

export function startServing(opts: ServeOptions): Promise<RunningServer> {
  const { predictor, name } = opts;
  const host = opts.host ?? '127.0.0.1';
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const batcher = new MicroBatcher(predictor, opts.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS, opts.maxBatch ?? DEFAULT_MAX_BATCH);
  let generating = Promise.resolve();
  const lm = predictor.signature.kind === 'language-model';

  const predict = async (req: IncomingMessage): Promise<unknown> => {
    const text = await readBody(req, limit);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `the body is not valid JSON (${(e as Error).message})`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, `the body must be a JSON object with "instances", not ${typeOf(body)}`);
    const o = body as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k === 'inputs') throw new HttpError(400, '"inputs" (the columnar format) is not supported; send "instances": one row object per prediction');
      if (k !== 'instances' && k !== 'signature_name') throw new HttpError(400, `"${k}" is not a field of a predict request; send {"instances": [...]}`);
    }
    if (o.signature_name !== undefined && o.signature_name !== 'serving_default') throw new HttpError(400, `signature_name "${String(o.signature_name)}" is unknown; the only signature is "serving_default"`);
    const instances = o.instances;
    if (instances === undefined) throw new HttpError(400, '"instances" is missing');
    if (!Array.isArray(instances)) throw new HttpError(400, `"instances" must be an array, not ${typeOf(instances)}`);
    if (instances.length === 0) throw new HttpError(400, '"instances" is empty');
    if (instances.length > MAX_INSTANCES) throw new HttpError(400, `"instances" has ${instances.length} entries; at most ${MAX_INSTANCES} per request`);
    if (lm) {
      const asks = instances.map((v, i) => parseGenerateInstance(v, `instances[${i}]`));
      // Generation is sequential: one long request must not interleave tensors with another.
      const run = generating.then(async () => {
        const out: unknown[] = [];
        for (const a of asks) {
          const r = await predictor.generate(a.prompt, a);
          out.push({ text: r.text, tokens: r.tokens });
        }
        return out;
      });
      generating = run.then(
        () => undefined,
        () => undefined,
      );
      return { predictions: await run };
    }
    instances.forEach((inst, i) => {
      const problem = predictor.checkInstance(inst, `instances[${i}]`);
      if (problem) throw new HttpError(400, problem);
    });
    const predictions = await batcher.submit(instances);
    return { predictions: predictions.map((p) => ('value' in p ? p.value : p)) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const m = ROUTE.exec(path);
    if (!m) throw new HttpError(404, `no route ${path}; try /v1/models/${name}`);
    if (decodeURIComponent(m[1]) !== name) throw new HttpError(404, `no model "${decodeURIComponent(m[1])}"; this server serves "${name}"`);
    if (m[2] !== undefined && m[2] !== '1') throw new HttpError(404, `model "${name}" has no version ${m[2]}; the only version is 1`);
    const action = m[3];
    if (action === ':predict') {
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      send(res, 200, await predict(req));
      return;
    }
    if (req.method !== 'GET') throw new HttpError(405, `${path} takes GET`);
    if (action === '/metadata') send(res, 200, signatureMetadata(predictor, name));
    else send(res, 200, { model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof HttpError) send(res, e.status, { error: e.message });
      else if (e instanceof PredictionInputError) send(res, 400, { error: e.message });
      else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
      // A 413 leaves the rest of the body unread: close rather than drain it.
      if (e instanceof HttpError && e.status === 413) res.once('finish', () => req.socket.destroy());
    });
  });
  server.keepAliveTimeout = 5000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8501, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}/v1/models/${encodeURIComponent(name)}`,
        host,
        port,
        stats: () => ({ batches: batcher.batches, rows: batcher.predictedRows }),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            // Keep-alive clients that never go idle do not hold the stop up for long.
            setTimeout(() => server.closeAllConnections(), 5000).unref();
          }),
      });
    });
  });
}

/** Loopback addresses, which need no warning. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
