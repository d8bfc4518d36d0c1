// `modellab fill-mask <run> <sentence>`: a masked-language model's most likely
// tokens at each [MASK] (or <mask>) of a sentence, as the dashboard's
// fill-mask box shows them — one line per mask with its position and the
// tokens' probabilities, then the words it read as <unk>; --json: the result.

import { parseArgs } from 'node:util';
import { FILL_MASK_LIMITS } from '../core/fillMask';
import type { FillMaskResult } from '../core/fillMask';
import { CLS_TOKEN } from '../core/tokenizer';
import { selectBackend } from '../trainer/backend';
import { fillMask } from '../trainer/fillMask';
import { backendOption, numberOption, runsDirOption, UsageError } from './args';

export interface FillMaskCommandContext {
  resolveRun(arg: string, runsDir: string): string;
  defaultRunsDir: string;
}

export const FILL_MASK_USAGE = `  modellab fill-mask <run> <sentence> [--top-k K] [--json] [--runs-dir DIR] [--backend B]   (a masked-language model's top tokens at each [MASK] of the sentence; K default ${FILL_MASK_LIMITS.topK.default})`;

export async function fillMaskCommand(argv: string[], ctx: FillMaskCommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'top-k': { type: 'string' }, json: { type: 'boolean' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('fill-mask takes a run and a sentence: modellab fill-mask <run> "the order [MASK] late"');
  const max = FILL_MASK_LIMITS.topK.max;
  const topK = numberOption('top-k', values['top-k'], (n) => Number.isInteger(n) && n >= 1 && n <= max, `a whole number from 1 to ${max}`);
  const runDir = ctx.resolveRun(positionals[0], runsDirOption(values['runs-dir'], ctx.defaultRunsDir));
  await selectBackend(backendOption(values.backend));
  const result = await fillMask(runDir, positionals[1], { topK });
  process.stdout.write((values.json ? JSON.stringify(result) : formatFillMask(result).join('\n')) + '\n');
  return 0;
}

/** One line per mask ("mask 1 (token 3): is 0.410 · was 0.220 …"), then the words read as <unk>. */
export function formatFillMask(result: FillMaskResult): string[] {
  const first = result.tokens[0] === CLS_TOKEN ? 1 : 0;
  const lines = result.masks.map((m) => `mask ${m.index + 1} (token ${m.tokenIndex - first + 1}): ${m.candidates.map((c) => `${c.token} ${c.probability.toFixed(3)}`).join(' · ')}`);
  if (result.unknown.length > 0) lines.push(`not in the model's vocabulary (read as <unk>): ${result.unknown.map((u) => u.word).join(', ')}`);
  return lines;
}
