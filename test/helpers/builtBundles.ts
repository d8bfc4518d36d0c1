// Tests that run the real bundles (dist/trainer.js, dist/cli.js) need them
// built. A missing bundle is built here, once per test process; a build that
// fails fails the test. A test never skips because dist/ is absent, so a
// passing run always means the real trainer was exercised.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..');

export type Bundle = 'trainer' | 'cli';

/** The path of dist/<bundle>.js for each bundle asked for, building the missing ones first. */
export function builtBundles(...bundles: Bundle[]): Record<Bundle, string> {
  const paths: Record<Bundle, string> = { trainer: join(repoRoot, 'dist', 'trainer.js'), cli: join(repoRoot, 'dist', 'cli.js') };
  const missing = bundles.filter((b) => !existsSync(paths[b]));
  if (missing.length > 0) {
    try {
      execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), `--only=${missing.join(',')}`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`dist/ lacks ${missing.map((b) => `${b}.js`).join(', ')} and building it failed:\n${e.stderr || e.stdout || e.message}`);
    }
    for (const b of missing) if (!existsSync(paths[b])) throw new Error(`node scripts/build.mjs --only=${b} did not produce ${paths[b]}`);
  }
  return paths;
}
