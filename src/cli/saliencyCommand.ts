// `modellab saliency <run> <image>`: an image classifier's prediction for one
// image file and where in the image it looked (Grad-CAM or the pixel
// gradient), as text or as JSON.

import { parseArgs } from 'node:util';
import { isOneOf, listInWords } from '../core/choices';
import { SALIENCY_METHODS } from '../core/types';
import type { SaliencyMethod, SaliencyResult } from '../core/types';
import { selectBackend } from '../trainer/backend';
import { saliencyFor } from '../trainer/saliency';
import { backendOption, runsDirOption, UsageError } from './args';

export interface SaliencyCommandContext {
  /** A run id, prefix, "latest" (the latest finished image classifier) or folder → a folder. */
  resolveRun(arg: string, runsDir: string): string;
  defaultRunsDir: string;
}

/** --method: one of the saliency methods, "gradcam" when not given. */
export function saliencyMethodOption(value: string | undefined): SaliencyMethod {
  const method = value ?? 'gradcam';
  if (!isOneOf(SALIENCY_METHODS, method)) throw new UsageError(`--method must be ${listInWords(SALIENCY_METHODS)}, not "${value}"`);
  return method;
}

const SHADES = [' ', '░', '▒', '▓', '█'];
/** Widest map drawn, in cells (each two characters wide, so a cell looks square). */
const MAX_CELLS = 32;

/**
 * The map as lines of shades, block-averaged down to at most MAX_CELLS cells
 * across (and as many down as keeps its proportions), framed.
 */
export function shadedMap(map: number[][]): string[] {
  const height = map.length;
  const width = map[0]?.length ?? 0;
  if (height === 0 || width === 0) return [];
  const step = Math.max(1, Math.ceil(Math.max(width, height) / MAX_CELLS));
  const rows = Math.ceil(height / step);
  const cols = Math.ceil(width / step);
  const lines = [`┌${'─'.repeat(cols * 2)}┐`];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      let n = 0;
      for (let y = r * step; y < Math.min(height, (r + 1) * step); y++) {
        for (let x = c * step; x < Math.min(width, (c + 1) * step); x++) {
          sum += map[y][x];
          n++;
        }
      }
      const shade = SHADES[Math.round((n ? sum / n : 0) * (SHADES.length - 1))];
      line += shade + shade;
    }
    lines.push(`│${line}│`);
  }
  lines.push(`└${'─'.repeat(cols * 2)}┘`);
  return lines;
}

export function formatSaliency(r: SaliencyResult, millis: number): string {
  const top = [...r.prediction.probabilities].sort((a, b) => b.probability - a.probability).slice(0, 5);
  const labelWidth = Math.min(24, Math.max(...top.map((p) => p.label.length)));
  const out = [`${r.file}`, `prediction: ${r.prediction.label} (${r.size[0]}×${r.size[1]} input; ${millis} ms)`];
  for (const p of top) out.push(`  ${p.label.slice(0, 24).padEnd(labelWidth)} ${(p.probability * 100).toFixed(1).padStart(5)}%  ${'█'.repeat(Math.round(p.probability * 20))}`);
  const more = r.prediction.probabilities.length - top.length;
  if (more > 0) out.push(`  … ${more} more class${more === 1 ? '' : 'es'}`);
  const how = r.method === 'gradcam' ? 'Grad-CAM on the last convolution' : 'gradient of the class score with respect to the pixels';
  out.push(`where the model looked for "${r.explains}" (${how}; █ = most salient):`);
  out.push(...shadedMap(r.saliency).map((l) => `  ${l}`));
  return out.join('\n');
}

export async function saliencyCommand(args: string[], ctx: SaliencyCommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { method: { type: 'string' }, json: { type: 'boolean' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('saliency takes a run and an image file');
  const method = saliencyMethodOption(values.method);
  const backend = backendOption(values.backend);
  const runDir = ctx.resolveRun(positionals[0], runsDirOption(values['runs-dir'], ctx.defaultRunsDir));
  await selectBackend(backend);
  const started = Date.now();
  const result = await saliencyFor(runDir, positionals[1], method);
  const millis = Date.now() - started;
  if (values.json) {
    const prediction = { label: result.prediction.label, probabilities: result.prediction.probabilities };
    process.stdout.write(JSON.stringify({ prediction, saliency: result.saliency, method: result.method, explains: result.explains, size: result.size, file: result.file }) + '\n');
  } else process.stdout.write(formatSaliency(result, millis) + '\n');
  return 0;
}
