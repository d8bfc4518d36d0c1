// Reading a run's distributions.jsonl (written by the trainer's
// DistributionsRecorder through RunWriter.appendDistributions) for the
// dashboard and the compare panel: whole lines only, thinned to a bounded
// number of epochs so a long run's message stays small.
//
// A live run's dashboard reads it again at every epoch. Reading and parsing
// the whole file each time cost the extension host time in proportion to the
// run's length (a run of a few hundred fast epochs kept the host seconds
// behind its trainer: the status bar and the CodeLens lagged). DistributionsTail
// reads only the bytes appended since its last read, keeps where each epoch's
// lines are, and parses just the lines the thinning keeps.

import { open, readFile } from 'node:fs/promises';
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

/** Where one whole, valid line of the file is. */
interface LineSpan {
  epoch: number;
  start: number;
  end: number;
}

const NEWLINE = 0x0a;

/**
 * A growing distributions.jsonl, read incrementally: `read()` gives what
 * `readDistributions` would give for the file as it is now, reading only the
 * bytes written since the last call (the whole file again when it was replaced
 * or cut short, as a resume does when it drops later epochs' lines). Memory: a
 * few numbers per line, not the lines.
 */
export class DistributionsTail {
  private spans: LineSpan[] = [];
  /** Bytes looked at so far: every whole line before it is in `spans` (or was not a valid line). */
  private offset = 0;
  private inode = -1;

  constructor(
    readonly runDir: string,
    private readonly maxEpochs = MAX_DISTRIBUTION_EPOCHS,
  ) {}

  async read(): Promise<LayerDistributions[]> {
    let handle;
    try {
      handle = await open(join(this.runDir, DISTRIBUTIONS_FILE), 'r');
    } catch {
      this.spans = [];
      this.offset = 0;
      return [];
    }
    try {
      const stat = await handle.stat();
      if (stat.ino !== this.inode || stat.size < this.offset) {
        this.spans = [];
        this.offset = 0;
        this.inode = stat.ino;
      }
      if (stat.size > this.offset) {
        const fresh = Buffer.alloc(stat.size - this.offset);
        const { bytesRead } = await handle.read(fresh, 0, fresh.length, this.offset);
        let lineStart = 0;
        for (let i = 0; i < bytesRead; i++) {
          if (fresh[i] !== NEWLINE) continue;
          const parsed = parseDistributionsLine(fresh.toString('utf8', lineStart, i));
          if (parsed) this.spans.push({ epoch: parsed.epoch, start: this.offset + lineStart, end: this.offset + i });
          lineStart = i + 1;
        }
        // A last line without its newline yet is read again next time, whole.
        this.offset += lineStart;
      }
      const lines: LayerDistributions[] = [];
      for (const span of thinDistributionEpochs(this.spans, this.maxEpochs)) {
        const bytes = Buffer.alloc(span.end - span.start);
        await handle.read(bytes, 0, bytes.length, span.start);
        const parsed = parseDistributionsLine(bytes.toString('utf8'));
        if (parsed) lines.push(parsed);
      }
      return lines;
    } finally {
      await handle.close();
    }
  }
}
