// Image decoding benchmark (not a unit test): the same generated PNG and JPEG
// files, digit-sized (28×28 gray) and photo-sized (224×224 RGB), decoded by
// each pure-JavaScript candidate, in images per second; what Model Lab's own
// decodeImage (pngjs / jpeg-js behind a magic-byte check and the channel
// layout) costs on top. Every decoder's pixels are checked against pngjs's
// (PNG, lossless: equal) or jpeg-js's (JPEG: the largest difference is shown).
//
// Candidates: PNG — pngjs (kept), fast-png, upng-js; JPEG — jpeg-js (kept),
// @jsquash/jpeg (MozJPEG compiled to wasm; its .wasm comes in the package, so
// it is compiled from disk, no download). Those not kept are not in
// package.json: install them in a folder of their own and point --deps at it:
//
//   mkdir -p /tmp/imgbench && cd /tmp/imgbench && npm init -y && \
//     npm install pngjs@7.0.0 jpeg-js@0.4.4 fast-png@8.0.0 upng-js@2.1.0 @jsquash/jpeg@1.6.0
//   node --import tsx scripts/bench-image-decode.ts --deps /tmp/imgbench [--seconds 1] [--rounds 3]
//
// A candidate that is not installed there is reported as missing.
//
// What it showed when the libraries were chosen (Node 20, a shared 2-core
// machine): for PNG, pngjs and upng-js are within ±25% of each other
// (fast-png about half as fast on 28×28); pngjs is kept (no dependencies,
// maintained, 16-bit and palettes read as 8-bit). For JPEG, @jsquash/jpeg's
// wasm MozJPEG decodes 5–7× faster than jpeg-js (224×224: ~480 vs ~90
// images/s); jpeg-js is kept for now because it is synchronous (the loaders
// and the inference path decode synchronously), needs no .wasm shipped and
// located beside the bundles, and a run decodes each image once, not per epoch.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage } from '../src/node/imageDecode';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const DEPS = argValue('--deps') ?? '/tmp/imgbench';
const SECONDS = Number(argValue('--seconds') ?? 1);
/** Measurements per decoder, taken in turn with the other decoders' (the machine's load drifts); the median is shown. */
const ROUNDS = Number(argValue('--rounds') ?? 3);

/** mulberry32, so the images are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 28×28 "digit": a few thick bright strokes on black, as RGBA. */
function digitImage(seed: number): Uint8Array {
  const r = rng(seed);
  const side = 28;
  const gray = new Float32Array(side * side);
  for (let s = 0; s < 3; s++) {
    const x0 = 6 + r() * 16, y0 = 4 + r() * 20, x1 = 6 + r() * 16, y1 = 4 + r() * 20;
    for (let t = 0; t <= 1; t += 0.02) {
      const cx = x0 + (x1 - x0) * t, cy = y0 + (y1 - y0) * t;
      for (let y = Math.floor(cy - 2); y <= cy + 2; y++) for (let x = Math.floor(cx - 2); x <= cx + 2; x++) {
        if (x < 0 || y < 0 || x >= side || y >= side) continue;
        const d = Math.hypot(x - cx, y - cy);
        gray[y * side + x] = Math.max(gray[y * side + x], Math.max(0, 255 * (1 - d / 2.2)));
      }
    }
  }
  const rgba = new Uint8Array(side * side * 4);
  for (let p = 0; p < side * side; p++) rgba.set([gray[p], gray[p], gray[p], 255], p * 4);
  return rgba;
}

/** A 224×224 "photo": smooth colour gradients, a few discs, and sensor-like noise, as RGBA. */
function photoImage(seed: number): Uint8Array {
  const r = rng(seed);
  const side = 224;
  const base = [r() * 255, r() * 255, r() * 255];
  const grad = [r() - 0.5, r() - 0.5, r() - 0.5];
  const discs = Array.from({ length: 6 }, () => ({ x: r() * side, y: r() * side, rad: 10 + r() * 50, c: [r() * 255, r() * 255, r() * 255] }));
  const rgba = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    let c = base.map((b, k) => b + grad[k] * (x + y));
    for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.rad ** 2) c = d.c.map((v, k) => 0.6 * v + 0.4 * c[k]);
    const p = (y * side + x) * 4;
    for (let k = 0; k < 3; k++) rgba[p + k] = Math.max(0, Math.min(255, c[k] + (r() - 0.5) * 24));
    rgba[p + 3] = 255;
  }
  return rgba;
}

function encodePng(rgba: Uint8Array, side: number, gray: boolean): Buffer {
  const png = new PNG({ width: side, height: side });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType: gray ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
}

interface Sample { name: string; side: number; channels: 1 | 3; png: Buffer[]; jpeg: Buffer[] }

function samples(): Sample[] {
  const digits = Array.from({ length: 200 }, (_, i) => digitImage(i + 1));
  const photos = Array.from({ length: 24 }, (_, i) => photoImage(1000 + i));
  return [
    { name: 'digit 28×28 gray', side: 28, channels: 1, png: digits.map((d) => encodePng(d, 28, true)), jpeg: digits.map((d) => jpeg.encode({ width: 28, height: 28, data: Buffer.from(d) }, 90).data) },
    { name: 'photo 224×224 RGB', side: 224, channels: 3, png: photos.map((d) => encodePng(d, 224, false)), jpeg: photos.map((d) => jpeg.encode({ width: 224, height: 224, data: Buffer.from(d) }, 90).data) },
  ];
}

interface Pixels { data: ArrayLike<number>; channels: number }
/** A decoder: bytes → pixels with `channels` per pixel (what the comparison looks at); @jsquash's API is async. */
interface Decoder { name: string; format: 'png' | 'jpeg'; decode: (b: Buffer) => Pixels | Promise<Pixels> }

async function candidates(): Promise<{ decoders: Decoder[]; missing: string[] }> {
  const missing: string[] = [];
  const decoders: Decoder[] = [
    { name: 'pngjs', format: 'png', decode: (b) => ({ data: PNG.sync.read(b).data, channels: 4 }) },
    { name: 'decodeImage (pngjs)', format: 'png', decode: (b) => decodeImage(b, 'x.png') },
    { name: 'jpeg-js', format: 'jpeg', decode: (b) => ({ data: jpeg.decode(b, { useTArray: true, formatAsRGBA: false }).data, channels: 3 }) },
    { name: 'decodeImage (jpeg-js)', format: 'jpeg', decode: (b) => decodeImage(b, 'x.jpg') },
  ];
  const modules = join(DEPS, 'node_modules');
  const req = createRequire(join(DEPS, 'package.json'));
  const file = (p: string): string | undefined => (existsSync(join(modules, p)) ? join(modules, p) : undefined);
  const fastPng = file('fast-png/lib/index.js');
  if (fastPng) {
    const m = (await import(pathToFileURL(fastPng).href)) as { decode: (b: Uint8Array) => { data: ArrayLike<number>; channels: number } };
    decoders.push({ name: 'fast-png', format: 'png', decode: (b) => m.decode(b) });
  } else missing.push('fast-png');
  if (file('upng-js/UPNG.js')) {
    const UPNG = req('upng-js') as { decode: (b: ArrayBuffer) => { data: Uint8Array; ctype: number } };
    // decode() gives the unfiltered samples in the file's own layout (gray: 1, RGB: 3 per pixel) — all a model needs.
    decoders.push({ name: 'upng-js', format: 'png', decode: (b) => { const r = UPNG.decode(Uint8Array.from(b).buffer); return { data: r.data, channels: r.ctype === 0 ? 1 : r.ctype === 2 ? 3 : 4 }; } });
  } else missing.push('upng-js');
  const jsquash = file('@jsquash/jpeg/decode.js');
  if (jsquash) {
    const m = (await import(pathToFileURL(jsquash).href)) as { default: (b: ArrayBuffer) => Promise<{ data: Uint8ClampedArray }>; init: (w: WebAssembly.Module) => Promise<void> };
    await m.init(await WebAssembly.compile(readFileSync(join(modules, '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'))));
    decoders.push({ name: '@jsquash/jpeg (wasm)', format: 'jpeg', decode: (b) => m.default(Uint8Array.from(b).buffer).then((r) => ({ data: r.data, channels: 4 })) });
  } else missing.push('@jsquash/jpeg');
  return { decoders, missing };
}

/** Pixels in the sample's channels (gray or RGB) from what a decoder gave. */
function toChannels(data: ArrayLike<number>, from: number, to: 1 | 3, n: number): Uint8Array {
  const out = new Uint8Array(n * to);
  for (let p = 0; p < n; p++) for (let k = 0; k < to; k++) out[p * to + k] = data[p * from + (from === 1 || from === 2 ? 0 : k)];
  return out;
}

async function time(d: Decoder, files: Buffer[]): Promise<number> {
  const run = async (): Promise<void> => {
    for (const f of files) {
      const r = d.decode(f);
      if (r instanceof Promise) await r;
    }
  };
  await run(); // warm-up
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await run();
    rounds++;
  }
  return (rounds * files.length) / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const { decoders, missing } = await candidates();
  if (missing.length) console.log(`not installed under ${DEPS}/node_modules (skipped): ${missing.join(', ')}`);
  console.log(`node ${process.version}; images/s is the median of ${ROUNDS} measurements of ${SECONDS} s each, taken in turn; × is against the first (kept) library\n`);
  for (const s of samples()) {
    for (const format of ['png', 'jpeg'] as const) {
      const files = s[format];
      const kb = files.reduce((t, f) => t + f.length, 0) / files.length / 1024;
      console.log(`${s.name}, ${format.toUpperCase()} (${files.length} files, ${kb.toFixed(1)} KB each on average)`);
      const group = decoders.filter((d) => d.format === format);
      const ref = group[0];
      const n = s.side * s.side;
      const checks = new Map<Decoder, string>();
      for (const d of group) {
        let worst = 0;
        for (const f of files.slice(0, 10)) {
          const want = await ref.decode(f);
          const got = await d.decode(f);
          const a = toChannels(want.data, want.channels, s.channels, n);
          const b = toChannels(got.data, got.channels, s.channels, n);
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        checks.set(d, d === ref ? 'reference' : format === 'png' ? (worst === 0 ? 'same pixels' : `DIFFERS by up to ${worst}`) : `max |Δ| ${worst} vs jpeg-js`);
      }
      const rates = new Map<Decoder, number[]>(group.map((d) => [d, []]));
      for (let round = 0; round < ROUNDS; round++) for (const d of group) rates.get(d)!.push(await time(d, files));
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const rows = group.map((d) => ({ name: d.name, rate: median(rates.get(d)!), check: checks.get(d)! }));
      for (const r of rows) console.log(`  ${r.name.padEnd(24)} ${r.rate.toFixed(0).padStart(8)} images/s   ×${(r.rate / rows[0].rate).toFixed(2)}   ${r.check}`);
      console.log('');
    }
  }
}

void main();
