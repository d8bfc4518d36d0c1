// Reading a run's distributions.jsonl (written by the trainer's
// DistributionsRecorder through RunWriter.appendDistributions) for the
// dashboard and the compare panel: whole lines only, thinned to a bounded
// number of epochs so a long run's message stays small.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DISTRIBUTIONS_FILE, parseDistributionsLine, thinDistributionEpochs } from '../core/distributions';
import type { LayerDistributions } from '../core/distributions';

/** Epochs sent to a chart at most: more than a band chart's width in points would show. */
export const MAX_DISTRIBUTION_EPOCHS = 120;

/** The run's recorded distributions, oldest first; none when it recorded none (or an older run). */
export async function readDistributions(runDir: string, maxEpochs = MAX_DISTRIBUTION_EPOCHS): Promise<LayerDistributions[]> {
  let text: string;
  try {
    text = await readFile(join(runDir, DISTRIBUTIONS_FILE), 'utf8');
  } catch {
    return [];
  }
  const lines: LayerDistributions[] = [];
  for (const line of text.split('\n')) {
    const parsed = parseDistributionsLine(line);
    if (parsed) lines.push(parsed);
  }
  return thinDistributionEpochs(lines, maxEpochs);
}
