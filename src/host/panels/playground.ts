// The dashboard's predict playground (the application stage), embedding
// projector and fill-mask box, host side: the page asks for the shown run's
// model inputs and sends one input at a time, asks for its embedding table in
// 2-D, or sends a sentence with [MASK]s for a masked-language model; the model
// runs in an inference child process (dist/trainer.js, the same program that
// answers attention requests), never in the extension host.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DashboardEmbeddingsMessage, DashboardFilledMaskMessage, DashboardPredictionMessage, WebviewToHostMessage } from '../../core/protocol/dashboard';
import { backendSetting, nodePathSetting, threadsSetting } from '../shell/settings';
import { InferenceCancelledError, InferenceClient } from '../../node/inferenceClient';
import { resolveTrainerRuntime, systemRuntimeProbe } from '../../node/trainerRuntime';

type PlaygroundRequest = Extract<WebviewToHostMessage, { type: 'describeModel' | 'predict' }>;
type ProjectorRequest = Extract<WebviewToHostMessage, { type: 'projectEmbeddings' }>;
type FillMaskRequest = Extract<WebviewToHostMessage, { type: 'fillMask' }>;

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
  /** The fill-mask box's request in flight: the page sends one per pause in typing, and a newer one cancels it. */
  private filling: AbortController | undefined;

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

  /** Answers the fill-mask box for the run in `runDir` (a masked-language model); never throws, undefined when a newer request cancelled it. */
  async fillMask(request: FillMaskRequest, run: { id: string; dir: string } | undefined): Promise<DashboardFilledMaskMessage | undefined> {
    const base = { type: 'filledMask' as const, requestId: request.requestId, runId: run?.id ?? '' };
    if (!run) return { ...base, error: vscode.l10n.t('No run is shown.') };
    if (!existsSync(join(run.dir, 'model', 'model.json'))) return { ...base, error: vscode.l10n.t('This run has no saved model yet.') };
    this.filling?.abort();
    const abort = (this.filling = new AbortController());
    try {
      const reply = await this.inference().fillMask({ modelDir: run.dir, text: request.text }, abort.signal);
      return { ...base, result: reply.result, millis: reply.millis };
    } catch (e) {
      if (e instanceof InferenceCancelledError) return undefined;
      this.options.log.warn(`fill-mask: ${(e as Error).message}`);
      return { ...base, error: (e as Error).message };
    } finally {
      if (this.filling === abort) this.filling = undefined;
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
    this.filling?.abort();
    this.client?.dispose();
    this.client = undefined;
  }
}
