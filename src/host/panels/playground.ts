// The dashboard's predict playground (the application stage) and embedding
// projector, host side: the page asks for the shown run's model inputs and
// sends one input at a time, or asks for its embedding table in 2-D; the model
// runs in an inference child process (dist/trainer.js, the same program that
// answers attention requests), never in the extension host.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DashboardEmbeddingsMessage, DashboardPredictionMessage, WebviewToHostMessage } from '../../core/protocol/dashboard';
import { backendSetting, nodePathSetting, threadsSetting } from '../shell/settings';
import { InferenceCancelledError, InferenceClient } from '../../node/inferenceClient';
import { resolveTrainerRuntime, systemRuntimeProbe } from '../../node/trainerRuntime';

type PlaygroundRequest = Extract<WebviewToHostMessage, { type: 'describeModel' | 'predict' }>;
type ProjectorRequest = Extract<WebviewToHostMessage, { type: 'projectEmbeddings' }>;

export interface PlaygroundOptions {
  trainerScript: string;
  log: vscode.LogOutputChannel;
  nativeModuleDirs?: () => string[];
}

export class PredictPlayground implements vscode.Disposable {
  private client: InferenceClient | undefined;
  /** The page's latest request wins: an older one still queued is cancelled (predictions and projections apart). */
  private inFlight: AbortController | undefined;
  private projecting: AbortController | undefined;

  constructor(private readonly options: PlaygroundOptions) {}

  /** Answers a playground request for the run in `runDir`; never throws. */
  async answer(request: PlaygroundRequest, run: { id: string; dir: string } | undefined): Promise<DashboardPredictionMessage | undefined> {
    const base = { type: 'prediction' as const, requestId: request.requestId, runId: run?.id ?? '' };
    if (!run) return { ...base, error: vscode.l10n.t('No run is shown.') };
    if (!existsSync(join(run.dir, 'model', 'model.json'))) return { ...base, error: vscode.l10n.t('This run has no saved model yet.') };
    this.inFlight?.abort();
    const abort = (this.inFlight = new AbortController());
    try {
      const instances = request.type === 'predict' ? [request.input] : [];
      const reply = await this.inference().predict({ modelDir: run.dir, instances }, abort.signal);
      return { ...base, signature: reply.signature, prediction: reply.predictions[0], millis: reply.millis };
    } catch (e) {
      if (e instanceof InferenceCancelledError) return undefined;
      this.options.log.warn(`playground: ${(e as Error).message}`);
      return { ...base, error: (e as Error).message };
    } finally {
      if (this.inFlight === abort) this.inFlight = undefined;
    }
  }

  /** Answers a projector request for the run in `runDir`; never throws. */
  async project(request: ProjectorRequest, run: { id: string; dir: string } | undefined): Promise<DashboardEmbeddingsMessage | undefined> {
    const base = { type: 'embeddings' as const, requestId: request.requestId, runId: run?.id ?? '' };
    if (!run) return { ...base, error: vscode.l10n.t('No run is shown.') };
    if (!existsSync(join(run.dir, 'model', 'model.json'))) return { ...base, error: vscode.l10n.t('This run has no saved model yet.') };
    this.projecting?.abort();
    const abort = (this.projecting = new AbortController());
    try {
      const reply = await this.inference().embeddings({ modelDir: run.dir, method: request.method, table: request.table }, abort.signal);
      return { ...base, result: reply.result, millis: reply.millis };
    } catch (e) {
      if (e instanceof InferenceCancelledError) return undefined;
      this.options.log.warn(`projector: ${(e as Error).message}`);
      return { ...base, error: (e as Error).message };
    } finally {
      if (this.projecting === abort) this.projecting = undefined;
    }
  }

  private inference(): InferenceClient {
    const probe = systemRuntimeProbe();
    this.client ??= new InferenceClient({
      trainerScript: this.options.trainerScript,
      runtime: () => resolveTrainerRuntime(nodePathSetting(), probe),
      backend: () => backendSetting(),
      nativeModuleDirs: this.options.nativeModuleDirs,
      threads: () => threadsSetting(),
      log: (level, message) => (level === 'warn' ? this.options.log.warn(message) : this.options.log.info(message)),
    });
    return this.client;
  }

  dispose(): void {
    this.inFlight?.abort();
    this.projecting?.abort();
    this.client?.dispose();
    this.client = undefined;
  }
}
