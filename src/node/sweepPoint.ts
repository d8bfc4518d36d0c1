// The config one run trains: the file's config without its sweep section,
// with a sweep point's values applied and the result validated again (a value
// may be fine for the schema yet not for this model or data).

import { validateConfigValue } from './configValidation';
import type { ConfigDiagnostic, ValidationOptions } from './configValidation';
import { applyOverrides, ConfigPathError, describeParams } from '../core/sweep';
import { withoutSweep } from '../core/sweepValidation';
import type { ExperimentConfig } from '../core/types';

export interface SweepPointConfig {
  /** Set when the overridden config has no errors. */
  config?: ExperimentConfig;
  /** Problems of the overridden config (paths, no ranges: it has no text). */
  diagnostics: ConfigDiagnostic[];
}

function diagnostic(severity: ConfigDiagnostic['severity'], path: string, message: string): ConfigDiagnostic {
  return { severity, message, path, offset: 0, length: 0, line: 0, column: 0, endLine: 0, endColumn: 0 };
}

export function configForSweepPoint(configPath: string, config: ExperimentConfig, overrides?: Readonly<Record<string, unknown>>, options: ValidationOptions = {}): SweepPointConfig {
  const base = withoutSweep(config) as ExperimentConfig;
  if (!overrides || Object.keys(overrides).length === 0) return { config: base, diagnostics: [] };
  const where = describeParams(overrides);
  let overridden: ExperimentConfig;
  try {
    overridden = applyOverrides(base, overrides);
  } catch (e) {
    if (!(e instanceof ConfigPathError)) throw e;
    return { diagnostics: [diagnostic('error', '(sweep)', `sweep point ${where}: ${e.message}`)] };
  }
  const diagnostics = validateConfigValue(overridden, configPath, options).map((d) => ({ ...d, message: `sweep point ${where}: ${d.message}` }));
  return { config: diagnostics.some((d) => d.severity === 'error') ? undefined : overridden, diagnostics };
}
