// A sweep run at a rung of its early termination (src/core/earlyTermination.ts):
// it records its own result in its meta.json first, then reads what its
// siblings (the run folders beside it with the same sweep id) recorded at the
// same rung, and decides. Two runs reaching a rung together each see the
// other's record or are seen by it, never neither: each writes before it reads.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rungDecision } from '../core/earlyTermination';
import type { RungDecision } from '../core/earlyTermination';
import type { RungResult, SweepEarlyTermination } from '../core/types';
import type { RunWriter } from './runStoreWriter';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The results the other runs of sweep `sweepId` in `runsDir` recorded at rung
 * `epoch`. Folders that are not runs, unreadable or half-written meta.json
 * files, and runs of other sweeps are passed over.
 */
export function siblingRungResults(runsDir: string, sweepId: string, epoch: number, ownDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return [];
  }
  const values: number[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    if (dir === ownDir) continue;
    let meta: unknown;
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    } catch {
      continue;
    }
    const sweep = isRecord(meta) ? meta.sweep : undefined;
    if (!isRecord(sweep) || sweep.id !== sweepId || !Array.isArray(sweep.rungs)) continue;
    const at = sweep.rungs.find((r): r is RungResult => isRecord(r) && r.epoch === epoch && typeof r.value === 'number');
    if (at) values.push(at.value);
  }
  return values;
}

/**
 * Records this run's `value` at rung `epoch` in its meta.json, compares it
 * with its siblings' results there and records the decision beside it.
 */
export function decideAtRung(writer: RunWriter, et: SweepEarlyTermination, epoch: number, value: number): RungDecision {
  const sweep = writer.meta.sweep;
  if (!sweep) throw new Error('decideAtRung: the run is not part of a sweep');
  const before = (sweep.rungs ?? []).filter((r) => r.epoch !== epoch);
  writer.updateMeta({ sweep: { ...sweep, rungs: [...before, { epoch, value }] } });
  const others = siblingRungResults(dirname(writer.dir), sweep.id, epoch, writer.dir);
  const decision = rungDecision(value, others, et.goal, et.reductionFactor);
  writer.updateMeta({ sweep: { ...sweep, rungs: [...before, { epoch, value, rank: decision.rank, of: decision.of, kept: decision.kept }] } });
  return decision;
}
