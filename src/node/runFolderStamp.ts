// A run folder's files as a change stamp, for readers that cannot rely on
// change events: network file systems (where cluster jobs write their run
// folders) send none, so the host compares stamps on a timer instead.

import { statSync } from 'node:fs';
import { join } from 'node:path';

/** The files a reader shows: when any of them is written, the stamp changes. */
const FOLLOWED_FILES = ['meta.json', 'metrics.jsonl', 'summary.json', 'evaluation.json'] as const;

export interface RunFolderStamp {
  /** Size and modification time of each followed file ('' for a missing one), joined. */
  key: string;
  /** The newest modification time among them (ms since the epoch), 0 when none exists. */
  updatedAt: number;
}

export function runFolderStamp(runDir: string): RunFolderStamp {
  const parts: string[] = [];
  let updatedAt = 0;
  for (const name of FOLLOWED_FILES) {
    try {
      const s = statSync(join(runDir, name));
      parts.push(`${s.size}@${s.mtimeMs}`);
      updatedAt = Math.max(updatedAt, s.mtimeMs);
    } catch {
      parts.push('');
    }
  }
  return { key: parts.join('|'), updatedAt };
}
