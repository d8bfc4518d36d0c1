// `modellab export` and `modellab serve`: a run's model as files other
// programs load, and as a local TensorFlow Serving-compatible HTTP server.

import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportRun, locateRun, MODEL_CARD_JSON } from '../node/modelExport';
import { readRunMeta } from '../node/runStoreReader';
import { backendOption, intOption, runsDirOption, UsageError } from './args';
import { selectBackend } from '../trainer/backend';
import { Predictor } from '../trainer/predictor';
import { DEFAULT_BATCH_WINDOW_MS, DEFAULT_MAX_BODY_BYTES, isLoopback, startServing } from '../trainer/servingServer';

export const DEPLOY_USAGE = `  modellab export <run> [--out DIR] [--runs-dir DIR] [--json]
  modellab serve <run-or-export> [--port P] [--host 127.0.0.1] [--name N] [--max-body BYTES]
                 [--batch-window MS] [--backend B] [--runs-dir DIR] [--json]`;

export interface DeployCommandContext {
  /** A run id, prefix, "latest" or folder → a folder (the CLI's resolver). */
  resolveRun(arg: string, runsDir: string): string;
  defaultRunsDir: string;
}

export async function exportCommand(args: string[], ctx: DeployCommandContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, 'runs-dir': { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('export takes one run');
  const runDir = ctx.resolveRun(positionals[0], runsDirOption(values['runs-dir'], ctx.defaultRunsDir));
  const located = locateRun(runDir);
  const id = readRunMeta(located.runDir ?? runDir)?.id ?? basename(runDir);
  const out = resolve(values.out ?? `${id}-export`);
  const { outDir, card } = exportRun(runDir, out);
  if (values.json) process.stdout.write(JSON.stringify({ outDir, card }) + '\n');
  else process.stdout.write(`exported ${card.name} (${card.task}, run ${card.runId}) to ${outDir}\n  ${card.files.join('\n  ')}\n`);
  return 0;
}

/** The run name an export's model card records. */
function exportedName(modelDir: string): string | undefined {
  try {
    const card = JSON.parse(readFileSync(join(modelDir, MODEL_CARD_JSON), 'utf8')) as { name?: unknown };
    return typeof card.name === 'string' ? card.name : undefined;
  } catch {
    return undefined;
  }
}

/** A model name as it may appear in a URL path segment. */
export function servableName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

export async function serveCommand(args: string[], ctx: DeployCommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      'max-body': { type: 'string' },
      'batch-window': { type: 'string' },
      backend: { type: 'string' },
      // Where the editor's "Install Native TensorFlow Backend" put @tensorflow/tfjs-node.
      'native-modules': { type: 'string', multiple: true },
      'runs-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('serve takes one run or export folder');
  const port = intOption('port', values.port, 0, 65535) ?? 8501;
  const maxBodyBytes = intOption('max-body', values['max-body'], 256, 1 << 30) ?? DEFAULT_MAX_BODY_BYTES;
  const batchWindowMs = intOption('batch-window', values['batch-window'], 0, 1000) ?? DEFAULT_BATCH_WINDOW_MS;
  const backend = backendOption(values.backend);
  if (values.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(values.name)) throw new UsageError(`--name may hold letters, digits, ".", "_" and "-" only, not "${values.name}"`);
  const host = values.host ?? '127.0.0.1';
  const dir = ctx.resolveRun(positionals[0], runsDirOption(values['runs-dir'], ctx.defaultRunsDir));
  const selection = await selectBackend(backend, values['native-modules'] ?? []);
  const predictor = await Predictor.load(dir);
  const located = locateRun(dir);
  const name = values.name ?? servableName(readRunMeta(located.runDir ?? dir)?.name ?? exportedName(located.modelDir) ?? basename(dir));
  const server = await startServing({ predictor, name, host, port, maxBodyBytes, batchWindowMs });
  if (!isLoopback(host)) process.stderr.write(`warning: listening on ${host}, reachable from other machines; the server has no authentication\n`);
  if (values.json) process.stdout.write(JSON.stringify({ type: 'listening', url: server.url, host: server.host, port: server.port, name, kind: predictor.signature.kind, backend: selection.backend, modelDir: predictor.dir }) + '\n');
  else process.stdout.write(`serving "${name}" (${predictor.signature.kind}, ${selection.backend}) at ${server.url}\n  POST ${server.url}:predict  {"instances": [...]}\n  Ctrl+C stops\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write('stopping: answering requests in flight…\n');
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // A parent (the extension) that goes away takes the server with it.
    if (process.send) process.on('disconnect', stop);
  });
  predictor.dispose();
  // A parent's IPC channel would keep this process alive after the server has stopped.
  if (process.connected) process.disconnect();
  return 0;
}
