// Option parsing the `modellab` commands share. A bad command line is a
// UsageError: the CLI prints its message with the usage and exits with 2.

import { resolve } from 'node:path';
import { isOneOf, listInWords } from '../core/choices';
import { BACKEND_CHOICES } from '../core/types';
import type { BackendChoice } from '../core/types';

export class UsageError extends Error {}

/** --backend: one of the backend choices, "auto" when not given. */
export function backendOption(value: string | undefined): BackendChoice {
  const backend = (value ?? 'auto') as BackendChoice;
  if (!isOneOf(BACKEND_CHOICES, backend)) throw new UsageError(`--backend must be ${listInWords(BACKEND_CHOICES)}, not "${value}"`);
  return backend;
}

/** A numeric option that passes `check` (described by `rule` in the error), undefined when not given. */
export function numberOption(name: string, value: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${rule}, not "${value}"`);
  return n;
}

/** A whole-number option from `lo` to `hi`. */
export function intOption(name: string, value: string | undefined, lo: number, hi: number): number | undefined {
  return numberOption(name, value, (n) => Number.isInteger(n) && n >= lo && n <= hi, `a whole number from ${lo} to ${hi}`);
}

/** --runs-dir (resolved against the current directory), else `defaultDir`. */
export function runsDirOption(value: string | undefined, defaultDir: string): string {
  return resolve(value ?? defaultDir);
}
