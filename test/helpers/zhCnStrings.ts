// The dashboard's strings as the host sends them to a Simplified Chinese
// editor (src/host/panels/dashboardStrings.ts, which needs vscode): each
// English text of the tables looked up in l10n/bundle.l10n.zh-cn.json, the
// trainer's log messages under their prefix.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_STRINGS } from '../../src/core/dashboardStringTable';
import { LOG_STRING_PREFIX, logTemplates, TRAINER_LOG_MESSAGES } from '../../src/core/trainerLogTable';
import type { LogTemplates } from '../../src/core/trainerLogTable';

const bundle = JSON.parse(readFileSync(join(import.meta.dirname, '../../l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;

export function zhCnDashboardStrings(): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [id, english] of Object.entries(DEFAULT_STRINGS)) strings[id] = bundle[english] ?? english;
  for (const [id, english] of Object.entries(TRAINER_LOG_MESSAGES)) strings[LOG_STRING_PREFIX + id] = bundle[english] ?? english;
  return strings;
}

/** The trainer log's templates in Simplified Chinese, as the dashboard builds them from those strings. */
export function zhCnLogTemplates(): LogTemplates {
  return logTemplates(zhCnDashboardStrings());
}
