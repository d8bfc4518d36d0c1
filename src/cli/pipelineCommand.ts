// `modellab pipeline <config>`: the experiment's pipeline as Mermaid text on
// standard output (paste it into Markdown, or pipe it to a Mermaid renderer),
// the same text the dashboard draws. The config is validated first.

import { resolve } from 'node:path';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { pipelineMermaid } from '../core/pipeline';
import { measureDataSizes } from '../node/runPipeline';

export interface PipelineCommandOptions {
  /** As given on the command line: diagnostics name the file this way. */
  configPath: string;
  /** Leave the data files unread: no row counts. */
  noData?: boolean;
}

/** Prints the pipeline; returns the exit code (1 when the config has errors, each printed as file:line:col: …). */
export function pipelineCommand(opts: PipelineCommandOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  const configPath = resolve(opts.configPath);
  const { config, diagnostics } = validateConfigFile(configPath);
  for (const d of diagnostics) err.write(formatDiagnostic(opts.configPath, d) + '\n');
  if (!config || diagnostics.some((d) => d.severity === 'error')) return 1;
  const dataSizes = opts.noData ? undefined : measureDataSizes(config, configPath);
  out.write(pipelineMermaid(config, { dataSizes }));
  return 0;
}
