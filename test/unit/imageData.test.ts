// Image data below the model: decoding PNG and JPEG (and refusing what is not
// a readable image), the pure pixel transforms, and loading folders of class
// folders or listings into splits and pixels.
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { splitTable } from '../../src/core/dataset';
import { applyAugmentation, applyScaling, augmentBatch, convertChannels, drawAugmentation, fitChannelStats, resizeBilinear } from '../../src/core/imageTransforms';
import { sortClassNames, splitImageSet } from '../../src/core/imageSet';
import { seededRng } from '../../src/core/random';
import { resolveImage } from '../../src/core/resolvedConfig';
import type { ResolvedImage } from '../../src/core/resolvedConfig';
import { columnarTable, DataError } from '../../src/core/table';
import { decodeImage, detectImageFormat, readImageFile } from '../../src/node/imageDecode';
import { loadImageSplits, readImagePixels } from '../../src/node/imageFiles';
import { summarizeImageFolder } from '../../src/node/imageFolder';
import { tempDir } from '../helpers/fixtures';
import { formatLogText } from '../../src/core/trainerLogTable';
import type { LogText } from '../../src/core/trainerLogTable';
import { zhCnLogTemplates } from '../helpers/zhCnStrings';
import { grayPngBytes, handMadeJpeg, jpegBytes, png16Bytes, pngBytes } from '../helpers/imageBytes';

/** RGBA of a w×h image whose pixel p has R = p, G = 100 + p, B = 200 - p, A = 255 - p. */
function ramp(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) out.set([p, 100 + p, 200 - p, 255 - p], p * 4);
  return out;
}

function solid(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) out.set([...rgb, 255], p * 4);
  return out;
}

function throwsData(fn: () => unknown, pattern: RegExp, file?: string): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  if (file !== undefined) assert.equal(caught.file, file);
  return caught;
}

const image = (over: Partial<Parameters<typeof resolveImage>[0]> = {}): ResolvedImage => resolveImage({ size: [4, 4], ...over });
const quiet = (): void => {};
/** A log line as the CLI prints it (English), and as the dashboard shows it in Chinese. */
const english = (m: string | LogText): string => (typeof m === 'string' ? m : formatLogText(m));
const chinese = (m: string | LogText): string => (typeof m === 'string' ? m : formatLogText(m, zhCnLogTemplates()));

// ---------------------------------------------------------------- decoding

test('an RGBA PNG decodes to its exact pixels, alpha kept as a fourth channel', () => {
  const d = decodeImage(pngBytes(3, 2, ramp(3, 2)), 'a.png');
  assert.deepEqual([d.format, d.width, d.height, d.channels], ['png', 3, 2, 4]);
  assert.deepEqual([...d.data], [...ramp(3, 2)]);
});

test('an RGB PNG decodes to 3 channels, a gray PNG to 1, gray + alpha to 2', () => {
  const opaque = ramp(3, 2).map((v, i) => (i % 4 === 3 ? 255 : v));
  const rgb = decodeImage(pngBytes(3, 2, opaque, 2), 'rgb.png');
  assert.equal(rgb.channels, 3);
  assert.deepEqual([...rgb.data.subarray(0, 6)], [0, 100, 200, 1, 101, 199]);
  const gray = decodeImage(grayPngBytes(2, 2, [0, 50, 200, 255]), 'g.png');
  assert.equal(gray.channels, 1);
  assert.deepEqual([...gray.data], [0, 50, 200, 255]);
  const grayRgba = new Uint8Array([10, 10, 10, 255, 20, 20, 20, 128]);
  const ga = decodeImage(pngBytes(2, 1, grayRgba, 4), 'ga.png');
  assert.equal(ga.channels, 2);
  assert.deepEqual([...ga.data], [10, 255, 20, 128]);
});

test('a 16-bit PNG is read as 8-bit samples (scaled from 0..65535)', () => {
  const d = decodeImage(png16Bytes(2, 1, [0x8080, 65535, 0, 65535, 1000, 0, 65535, 65535]), 'deep.png');
  assert.equal(d.channels, 3);
  assert.deepEqual([...d.data], [128, 255, 0, 4, 0, 255]);
});

test('a JPEG decodes to RGB close to what was encoded; a gray JPEG to one channel', () => {
  const d = decodeImage(jpegBytes(16, 16, solid(16, 16, [200, 40, 90])), 'a.jpg');
  assert.deepEqual([d.format, d.width, d.height, d.channels], ['jpeg', 16, 16, 3]);
  for (let p = 0; p < 256; p++) {
    assert.ok(Math.abs(d.data[p * 3] - 200) <= 3 && Math.abs(d.data[p * 3 + 1] - 40) <= 3 && Math.abs(d.data[p * 3 + 2] - 90) <= 3, `pixel ${p}: ${d.data.subarray(p * 3, p * 3 + 3).join(',')}`);
  }
  const g = decodeImage(handMadeJpeg({ components: 1 }), 'g.jpg');
  assert.deepEqual([g.channels, g.width, g.height], [1, 8, 8]);
  assert.deepEqual([...new Set(g.data)], [128]);
});

test('the format comes from the first bytes, not the extension', () => {
  assert.equal(detectImageFormat(pngBytes(1, 1, [1, 2, 3, 255]), 'photo.jpg'), 'png');
  assert.equal(detectImageFormat(jpegBytes(8, 8, solid(8, 8, [1, 2, 3])), 'digit.png'), 'jpeg');
  assert.equal(decodeImage(jpegBytes(8, 8, solid(8, 8, [9, 9, 9])), 'digit.png').format, 'jpeg');
});

test('a text file named .png is refused as not an image, naming the file', () => {
  throwsData(() => decodeImage(Buffer.from('label,path\ncat,1.png\n'), '/d/cat/1.png'), /^\/d\/cat\/1\.png: not a PNG or JPEG image \(it is text\)/, '/d/cat/1.png');
  throwsData(() => decodeImage(Buffer.from([0, 1, 2, 3, 250, 251]), 'x.png'), /not a PNG or JPEG image \(unknown content\)/);
  throwsData(() => decodeImage(Buffer.alloc(0), 'empty.png'), /empty\.png: the file is empty, not an image/);
});

test('GIF, WebP and BMP are named as what they are', () => {
  throwsData(() => decodeImage(Buffer.from('GIF89a\x01\x00\x01\x00'), 'a.png'), /a\.png: a GIF image; Model Lab reads PNG and JPEG images/);
  throwsData(() => decodeImage(Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ')]), 'b.jpg'), /b\.jpg: a WebP image/);
  throwsData(() => decodeImage(Buffer.concat([Buffer.from('BM'), Buffer.alloc(40)]), 'c.png'), /c\.png: a BMP image/);
});

test('a truncated PNG or JPEG is refused as truncated, naming the file', () => {
  const png = pngBytes(8, 8, ramp(8, 8));
  for (const cut of [png.length - 5, png.length - 20, 40, 9]) {
    throwsData(() => decodeImage(png.subarray(0, cut), 'cut.png'), /^cut\.png: a truncated PNG: the file ends before the image does$/);
  }
  const jpg = jpegBytes(16, 16, solid(16, 16, [30, 60, 90]));
  for (const cut of [jpg.length - 2, jpg.length - 40, Math.floor(jpg.length / 2)]) {
    throwsData(() => decodeImage(jpg.subarray(0, cut), 'cut.jpg'), /^cut\.jpg: a truncated JPEG: the file ends before the image does$/);
  }
  throwsData(() => decodeImage(jpg.subarray(0, 20), 'head.jpg'), /^head\.jpg: a damaged or truncated JPEG: it has no image frame$/);
});

test('a PNG whose data is damaged is refused as damaged', () => {
  const png = Buffer.from(pngBytes(8, 8, ramp(8, 8)));
  const idat = png.indexOf('IDAT');
  for (let i = idat + 6; i < idat + 14; i++) png[i] ^= 0x5a;
  throwsData(() => decodeImage(png, 'bad.png'), /^bad\.png: a damaged PNG: cannot decode it \(/);
});

test('CMYK JPEGs: with the Adobe marker converted to RGB, without it refused', () => {
  const withAdobe = decodeImage(handMadeJpeg({ components: 4, adobe: true }), 'cmyk.jpg');
  assert.deepEqual([withAdobe.channels, withAdobe.width, withAdobe.height], [3, 8, 8]);
  // C = M = Y = K = 127 (stored inverted): a mid-dark gray.
  assert.deepEqual([...new Set(withAdobe.data)], [64]);
  throwsData(() => decodeImage(handMadeJpeg({ components: 4 }), 'cmyk.jpg'), /^cmyk\.jpg: a 4-channel \(CMYK\) JPEG without the Adobe marker/);
});

test('12-bit, lossless, arithmetic-coded and two-channel JPEGs are refused by name', () => {
  throwsData(() => decodeImage(handMadeJpeg({ sof: 0xc1, precision: 12 }), 'deep.jpg'), /^deep\.jpg: a 12-bit JPEG; Model Lab reads JPEGs of 8-bit gray, RGB/);
  throwsData(() => decodeImage(handMadeJpeg({ sof: 0xc3 }), 'l.jpg'), /^l\.jpg: a lossless JPEG;/);
  throwsData(() => decodeImage(handMadeJpeg({ sof: 0xc9 }), 'a.jpg'), /^a\.jpg: an arithmetic-coded JPEG;/);
  throwsData(() => decodeImage(handMadeJpeg({ components: 2 }), 'two.jpg'), /^two\.jpg: a JPEG with 2 colour components;/);
});

test('an image over 100 megapixels is refused before its pixels are allocated', () => {
  const png = Buffer.from(pngBytes(2, 2, ramp(2, 2)));
  png.writeUInt32BE(20000, 16);
  png.writeUInt32BE(6000, 20);
  throwsData(() => decodeImage(png, 'huge.png'), /^huge\.png: an image of 20000×6000 pixels, larger than the 100 megapixels Model Lab decodes; scale it down first$/);
  const jpg = Buffer.from(handMadeJpeg());
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  jpg.writeUInt16BE(12000, sof + 5);
  jpg.writeUInt16BE(9000, sof + 7);
  throwsData(() => decodeImage(jpg, 'huge.jpg'), /^huge\.jpg: an image of 9000×12000 pixels, larger than the 100 megapixels/);
});

test('an unreadable path is a DataError naming it', () => {
  const dir = tempDir();
  throwsData(() => readImageFile(join(dir, 'nope.png')), /nope\.png: cannot read the file \(ENOENT\)/, join(dir, 'nope.png'));
  throwsData(() => readImageFile(dir), /cannot read the file \(EISDIR\)/, dir);
});

test('damaged bytes give a decoded image of the stated size or a DataError, never another error', () => {
  const rand = seededRng(99);
  const originals = [pngBytes(12, 10, ramp(12, 10)), grayPngBytes(6, 6, new Array<number>(36).fill(90)), jpegBytes(16, 16, solid(16, 16, [10, 200, 30])), handMadeJpeg({ components: 1 })];
  let decoded = 0;
  let refused = 0;
  for (let round = 0; round < 400; round++) {
    const original = originals[round % originals.length];
    const bytes = Buffer.from(original);
    const flips = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < flips; k++) bytes[2 + Math.floor(rand() * (bytes.length - 2))] = Math.floor(rand() * 256);
    try {
      const d = decodeImage(bytes, 'fuzz');
      assert.equal(d.data.length, d.width * d.height * d.channels);
      decoded++;
    } catch (e) {
      assert.ok(e instanceof DataError, `round ${round}: ${String(e)}`);
      assert.match(e.message, /^fuzz: /);
      refused++;
    }
  }
  assert.equal(decoded + refused, 400);
  assert.ok(refused > 0 && decoded > 0, `${decoded} decoded, ${refused} refused`);
});

// ---------------------------------------------------------------- transforms

test('channels: gray → RGB repeats, RGB → gray is the BT.601 luma, alpha is dropped', () => {
  const gray = { width: 2, height: 1, channels: 1, data: new Uint8Array([10, 200]) };
  assert.deepEqual([...convertChannels(gray, 3)], [10, 10, 10, 200, 200, 200]);
  const rgba = { width: 2, height: 1, channels: 4, data: new Uint8Array([255, 0, 0, 7, 10, 20, 30, 0]) };
  assert.deepEqual([...convertChannels(rgba, 3)], [255, 0, 0, 10, 20, 30]);
  const luma = [...convertChannels(rgba, 1)];
  assert.ok(Math.abs(luma[0] - 76.245) < 1e-4 && Math.abs(luma[1] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30)) < 1e-4, luma.join(','));
  const grayAlpha = { width: 2, height: 1, channels: 2, data: new Uint8Array([40, 255, 90, 0]) };
  assert.deepEqual([...convertChannels(grayAlpha, 1)], [40, 90]);
  assert.deepEqual([...convertChannels(grayAlpha, 3)], [40, 40, 40, 90, 90, 90]);
  const out = new Float32Array(8).fill(-1);
  convertChannels(gray, 3, out, 1);
  assert.deepEqual([...out], [-1, 10, 10, 10, 200, 200, 200, -1]);
});

test('bilinear resize with half-pixel centres: 2×2 → 4×4 and back, values exact', () => {
  // a b / c d with a = 0, b = 40, c = 80, d = 120
  const src = new Float32Array([0, 40, 80, 120]);
  const up = resizeBilinear(src, 2, 2, 1, 4, 4);
  // columns sample x = 0 (clamped), 0.25, 0.75, 1 (clamped); rows likewise
  assert.deepEqual([...up], [0, 10, 30, 40, 20, 30, 50, 60, 60, 70, 90, 100, 80, 90, 110, 120]);
  const down = resizeBilinear(up, 4, 4, 1, 2, 2);
  assert.deepEqual([...down], [15, 45, 75, 105]);
  // each channel on its own; the same size is a copy
  const rgb = new Float32Array([0, 100, 200, 40, 60, 80]);
  assert.deepEqual([...resizeBilinear(rgb, 1, 2, 3, 1, 3)], [0, 100, 200, 20, 80, 140, 40, 60, 80]);
  assert.deepEqual([...resizeBilinear(rgb, 1, 2, 3, 1, 2)], [0, 100, 200, 40, 60, 80]);
});

test('resize writes into a larger output at an offset, and refuses a short input', () => {
  const out = new Float32Array(6).fill(-1);
  resizeBilinear(new Float32Array([0, 40, 80, 120]), 2, 2, 1, 2, 2, out, 1);
  assert.deepEqual([...out], [-1, 0, 40, 80, 120, -1]);
  assert.throws(() => resizeBilinear(new Float32Array(3), 2, 2, 1, 4, 4), /3 values do not hold a 2×2×1 image/);
});

test('standardize: per-channel mean and population std fitted, then applied; unit divides by 255', () => {
  // two RGB pixels: channel 0 = 0, 10; channel 1 = 100, 100 (constant); channel 2 = 255, 55
  const px = new Float32Array([0, 100, 255, 10, 100, 55]);
  const stats = fitChannelStats(px, 3);
  assert.deepEqual(stats, { mean: [5, 100, 155], std: [5, 1, 100] });
  assert.deepEqual([...applyScaling(px.slice(), 3, 'standardize', stats)], [-1, 0, 1, 1, 0, -1]);
  const unit = applyScaling(new Float32Array([0, 51, 255]), 1, 'unit');
  assert.deepEqual([...unit], [0, Math.fround(0.2), 1]);
  assert.throws(() => applyScaling(px, 3, 'standardize'), /standardize needs a mean and a std for each of the 3 channels/);
  assert.throws(() => fitChannelStats(new Float32Array(0), 3), /no pixels/);
});

function testImage(h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = (i * 37) % 256;
  return out;
}

test('augmentation: the same seed gives the same pixels, another seed other pixels', () => {
  const aug = image({ size: [12, 10], channels: 3, augment: { flip: true, shift: 0.2, rotate: 15, brightness: 0.1 } });
  const px = testImage(12 * 10 * 3 * 4, 1, 1);
  const a = augmentBatch(px, 0, 4, aug, seededRng(7));
  const b = augmentBatch(px, 0, 4, aug, seededRng(7));
  const c = augmentBatch(px, 0, 4, aug, seededRng(8));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, px);
  for (const v of a) assert.ok(v >= 0 && v <= 255, `value ${v} outside 0..255`);
  // the generator is drawn five times per image: flip, shift down, shift right, rotation, brightness
  const rng = seededRng(7);
  augmentBatch(px, 0, 4, aug, rng);
  const counted = seededRng(7);
  for (let i = 0; i < 20; i++) counted();
  assert.equal(rng.state(), counted.state());
});

test('augmentation draws: only the changes that are on, within their bounds', () => {
  const rng = seededRng(3);
  for (let i = 0; i < 200; i++) {
    const d = drawAugmentation({ flip: false, shift: 0.1, rotate: 20, brightness: 0 }, 30, 50, rng);
    assert.equal(d.flip, false);
    assert.equal(d.brightness, 0);
    assert.ok(Math.abs(d.dy) <= 3 && Math.abs(d.dx) <= 5, `${d.dy}, ${d.dx}`);
    assert.ok(Math.abs(d.angle) <= (20 * Math.PI) / 180);
  }
  const none = seededRng(3);
  const before = none.state();
  assert.deepEqual(drawAugmentation({ flip: false, shift: 0, rotate: 0, brightness: 0 }, 8, 8, none), { flip: false, dy: 0, dx: 0, angle: 0, brightness: 0 });
  assert.equal(none.state(), before);
});

test('each augmentation by itself: flip mirrors, a whole-pixel shift moves, brightness adds and clips', () => {
  // 2×3 gray: 0 1 2 / 3 4 5
  const src = new Float32Array([0, 1, 2, 3, 4, 5]);
  const none = { flip: false, dy: 0, dx: 0, angle: 0, brightness: 0 };
  assert.deepEqual([...applyAugmentation(src, 2, 3, 1, { ...none, flip: true })], [2, 1, 0, 5, 4, 3]);
  // one pixel right: the left column comes from the reflected border (its own value)
  assert.deepEqual([...applyAugmentation(src, 2, 3, 1, { ...none, dx: 1 })], [0, 0, 1, 3, 3, 4]);
  assert.deepEqual([...applyAugmentation(src, 2, 3, 1, { ...none, dy: 1 })], [0, 1, 2, 0, 1, 2]);
  const bright = applyAugmentation(new Float32Array([0, 100, 250]), 1, 3, 1, { ...none, brightness: 20 });
  assert.deepEqual([...bright], [20, 120, 255]);
  const dark = applyAugmentation(new Float32Array([0, 100, 250]), 1, 3, 1, { ...none, brightness: -20 });
  assert.deepEqual([...dark], [0, 80, 230]);
  // a half turn about the centre of a 3×3 image reverses it
  const sq = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...applyAugmentation(sq, 3, 3, 1, { ...none, angle: Math.PI })].map((v) => Math.round(v * 1e4) / 1e4), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
});

test('augmentBatch without augmentation copies the images', () => {
  const px = testImage(2 * 2 * 1 * 3, 1, 1);
  const out = augmentBatch(px, 1, 2, image({ size: [2, 2], channels: 1 }), seededRng(1));
  assert.deepEqual([...out], [...px.subarray(4, 12)]);
});

// ---------------------------------------------------------------- sets and splits

test('an image split assigns the same images as a table split with the same seed', () => {
  const n = 37;
  const set = { files: Array.from({ length: n }, (_, i) => `/f/${i}.png`), labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
  const parts = splitImageSet(set, 0.2, 0.1, 9, true, '/f');
  const table = columnarTable('/f.csv', ['i'], [Float64Array.from({ length: n }, (_, i) => i)], Array.from({ length: n }, (_, i) => i + 2));
  const rows = splitTable(table, 0.2, 0.1, 9, true);
  const idsOf = (t: typeof rows.train | undefined): number[] => Array.from((t?.cells?.[0] ?? []) as Float64Array);
  assert.deepEqual(parts.train.files, idsOf(rows.train).map((i) => `/f/${i}.png`));
  assert.deepEqual(parts.validation?.files, idsOf(rows.validation).map((i) => `/f/${i}.png`));
  assert.deepEqual(parts.test?.files, idsOf(rows.test).map((i) => `/f/${i}.png`));
  assert.deepEqual([...parts.train.labels], idsOf(rows.train).map((i) => i % 3));
  assert.deepEqual([parts.train.files.length, parts.validation?.files.length, parts.test?.files.length], [26, 7, 4]);
  throwsData(() => splitImageSet({ files: ['/a.png'], labels: new Int32Array(1) }, 0.5, 0.5, 1, true, '/imgs'), /^\/imgs: only 1 images: nothing is left for training/);
});

test('class names sort numerically when all are numbers, else by code point', () => {
  assert.deepEqual(sortClassNames(['10', '2', '0', '1']), ['0', '1', '2', '10']);
  assert.deepEqual(sortClassNames(['dog', 'Cat', 'cat', 'bird', 'dog']), ['Cat', 'bird', 'cat', 'dog']);
});

// ---------------------------------------------------------------- folders and listings

/** Writes a folder of class folders: each class's files as given (name → bytes). */
function writeTree(root: string, tree: Record<string, Buffer | string>): void {
  for (const [rel, bytes] of Object.entries(tree)) {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bytes);
  }
}

const grayImg = (v: number, side = 4): Buffer => grayPngBytes(side, side, new Array<number>(side * side).fill(v));

function digitsTree(): Record<string, Buffer | string> {
  return {
    'images/zero/a.png': grayImg(0),
    'images/zero/b.png': grayImg(10),
    'images/zero/notes.txt': 'not an image, not listed',
    'images/one/c.png': grayImg(100),
    'images/one/sub/d.jpg': jpegBytes(8, 8, solid(8, 8, [120, 120, 120])),
    'images/one/.hidden.png': 'hidden files are never data',
    'images/two/e.png': grayImg(200),
    'images/stray.png': grayImg(7),
  };
}

test('a folder of class folders: sorted classes, files sorted, labels by folder, then a seeded split', () => {
  const dir = tempDir();
  writeTree(dir, digitsTree());
  const config = join(dir, 'digits.experiment.json');
  const messages: (string | LogText)[] = [];
  const all = loadImageSplits({ source: 'images', split: { validation: 0, test: 0, shuffle: false } }, config, image(), (m) => messages.push(m));
  assert.deepEqual(all.classNames, ['one', 'two', 'zero']);
  assert.deepEqual(all.train.files, ['one/c.png', 'one/sub/d.jpg', 'two/e.png', 'zero/a.png', 'zero/b.png'].map((f) => join(dir, 'images', f)));
  assert.deepEqual([...all.train.labels], [0, 0, 1, 2, 2]);
  assert.equal(all.validation, undefined);
  assert.deepEqual(messages.map(english), [`${join(dir, 'images')}: 1 image outside the class folders is not used`, '3 classes, train 5 images; training images per class: one 2, two 1, zero 2']);
  assert.deepEqual(messages.map(chinese), [`${join(dir, 'images')}：有 1 张图像不在类别文件夹中，未被使用`, '3 个类别，训练 5 张图像；每个类别的训练图像数：one 2, two 1, zero 2']);

  const split = loadImageSplits({ source: 'images', split: { validation: 0.2, test: 0.2, seed: 4 } }, config, image(), quiet);
  const again = loadImageSplits({ source: 'images', split: { validation: 0.2, test: 0.2, seed: 4 } }, config, image(), quiet);
  assert.deepEqual(split, again);
  assert.deepEqual([split.train.files.length, split.validation?.files.length, split.test?.files.length], [3, 1, 1]);
  assert.deepEqual([...split.train.files, ...split.validation!.files, ...split.test!.files].sort(), [...all.train.files].sort());
  const expected = splitImageSet(all.train, 0.2, 0.2, 4, true, 'x');
  assert.deepEqual(split.train, expected.train);
});

test('separate train / validation / test folders share the training classes', () => {
  const dir = tempDir();
  writeTree(dir, {
    'train/cat/1.png': grayImg(1),
    'train/dog/2.png': grayImg(2),
    'val/dog/3.png': grayImg(3),
    'test/cat/4.png': grayImg(4),
    'test/dog/5.png': grayImg(5),
    'bad/cow/6.png': grayImg(6),
    'bad/dog/7.png': grayImg(7),
  });
  const config = join(dir, 'x.experiment.json');
  const s = loadImageSplits({ train: 'train', validation: 'val', test: 'test' }, config, image(), quiet);
  assert.deepEqual(s.classNames, ['cat', 'dog']);
  assert.deepEqual([...s.validation!.labels], [1]);
  assert.deepEqual([...s.test!.labels], [0, 1]);
  throwsData(() => loadImageSplits({ train: 'train', validation: 'bad' }, config, image(), quiet), /bad: class "cow" is not among the training classes \(cat, dog, from .*train\)/, join(dir, 'bad'));
});

test('a train folder without a validation folder: split.validation carves a seeded share of it; the test folder stays whole', () => {
  const dir = tempDir();
  const tree: Record<string, Buffer> = {};
  for (let i = 0; i < 10; i++) tree[`train/${i % 2 ? 'dog' : 'cat'}/${i}.png`] = grayImg(i);
  tree['test/cat/t1.png'] = grayImg(20);
  tree['test/dog/t2.png'] = grayImg(21);
  writeTree(dir, tree);
  const config = join(dir, 'x.experiment.json');
  const all = loadImageSplits({ train: 'train', split: { validation: 0 } }, config, image(), quiet);
  assert.equal(all.validation, undefined);
  const s = loadImageSplits({ train: 'train', test: 'test', split: { validation: 0.3, seed: 6 } }, config, image(), quiet);
  assert.deepEqual([s.train.files.length, s.validation?.files.length, s.test?.files.length], [7, 3, 2]);
  assert.deepEqual([...s.train.files, ...s.validation!.files].sort(), [...all.train.files].sort(), 'disjoint and complete');
  assert.deepEqual(s, loadImageSplits({ train: 'train', test: 'test', split: { validation: 0.3, seed: 6 } }, config, image(), quiet), 'seeded');
  assert.deepEqual(s.validation, splitImageSet(all.train, 0.3, 0, 6, true, 'x').validation);
  assert.deepEqual(s.classNames, ['cat', 'dog']);
  // The default share is 0.2.
  assert.equal(loadImageSplits({ train: 'train' }, config, image(), quiet).validation?.files.length, 2);
});

test('a CSV or JSONL listing: paths relative to the config, labels from the target column', () => {
  const dir = tempDir();
  writeTree(dir, {
    'pics/a.png': grayImg(1),
    'pics/b.png': grayImg(2),
    'pics/c.jpg': jpegBytes(8, 8, solid(8, 8, [5, 5, 5])),
    'lists/all.csv': 'file,digit\npics/a.png,7\npics/b.png,10\npics/c.jpg,7\n',
    'lists/all.jsonl': '{"path":"pics/a.png","label":"cat"}\n{"path":"pics/b.png","label":"dog"}\n',
  });
  const config = join(dir, 'x.experiment.json');
  const csv = loadImageSplits({ source: 'lists/all.csv', target: 'digit', split: { validation: 0, test: 0, shuffle: false } }, config, image({ column: 'file' }), quiet);
  assert.deepEqual(csv.classNames, ['7', '10']);
  assert.deepEqual(csv.train.files, ['a.png', 'b.png', 'c.jpg'].map((f) => join(dir, 'pics', f)));
  assert.deepEqual([...csv.train.labels], [0, 1, 0]);
  const jsonl = loadImageSplits({ train: 'lists/all.jsonl', target: 'label' }, config, image(), quiet);
  assert.deepEqual(jsonl.classNames, ['cat', 'dog']);
  assert.deepEqual([...jsonl.train.labels], [0, 1]);
});

test('listing errors: empty, no target, unknown column, empty cell, missing image, one label', () => {
  const dir = tempDir();
  writeTree(dir, {
    'a.png': grayImg(1),
    'b.png': grayImg(2),
    'empty.csv': 'path,label\n',
    'ok.csv': 'path,label\na.png,x\nb.png,y\n',
    'gap.csv': 'path,label\na.png,x\n,y\n',
    'nolabel.csv': 'path,label\na.png,x\nb.png,\n',
    'missing.csv': 'path,label\na.png,x\nb.png,y\ngone.png,y\n',
    'one.csv': 'path,label\na.png,x\nb.png,x\n',
  });
  const config = join(dir, 'x.experiment.json');
  const load = (source: string, target: string | undefined = 'label', over: Partial<Parameters<typeof resolveImage>[0]> = {}) =>
    loadImageSplits({ source, target, split: { validation: 0, test: 0 } }, config, image(over), quiet);
  throwsData(() => load('empty.csv'), /empty\.csv: the listing has no rows/, join(dir, 'empty.csv'));
  throwsData(() => loadImageSplits({ source: 'ok.csv' }, config, image(), quiet), /ok\.csv: a listing of images needs "target".*\(the columns are: path, label\)/);
  throwsData(() => load('ok.csv', 'label', { column: 'file' }), /ok\.csv: no column "file" \(the columns are: path, label\)/);
  throwsData(() => load('gap.csv'), /gap\.csv:3: no image path in column "path"/);
  throwsData(() => load('nolabel.csv'), /nolabel\.csv:3: no label in column "label"/);
  throwsData(() => load('missing.csv'), /missing\.csv:4: image not found: gone\.png \(looked for .*gone\.png; paths are relative to the config's folder\)/);
  throwsData(() => load('one.csv'), /one\.csv: every image has the label "x": a classifier needs at least two classes/);
  const warned: string[] = [];
  const skipped = loadImageSplits({ source: 'missing.csv', target: 'label', split: { validation: 0, test: 0 } }, config, image({ onError: 'skip' }), (m) => warned.push(english(m)));
  assert.equal(skipped.train.files.length, 2);
  assert.ok(warned.includes(`${join(dir, 'missing.csv')}: 1 listed image was not found and left out ("onError": "skip")`), warned.join('\n'));
});

test('folder errors: missing folder, no class folders, one class, an empty class folder', () => {
  const dir = tempDir();
  writeTree(dir, {
    'flat/a.png': grayImg(1),
    'single/cat/a.png': grayImg(1),
    'holes/cat/a.png': grayImg(1),
    'holes/dog/readme.txt': 'no images here',
  });
  mkdirSync(join(dir, 'holes', 'emu'));
  const config = join(dir, 'x.experiment.json');
  const load = (source: string) => loadImageSplits({ source }, config, image(), quiet);
  throwsData(() => load('nowhere'), /nowhere: image folder not found: nowhere \(a folder with one sub-folder per class/, join(dir, 'nowhere'));
  throwsData(() => load('flat'), /flat: no class folders: put each class's images in a sub-folder named after the class .*; the 1 image here is in no class folder$/, join(dir, 'flat'));
  throwsData(() => load('single'), /single: only one class folder \("cat"\): a classifier needs at least two/, join(dir, 'single'));
  throwsData(() => load('holes'), /dog: the class folder "dog" holds no images \(PNG or JPEG files\)/, join(dir, 'holes', 'dog'));
});

test('the data-size limit applies to the sum of a folder\'s image files', (t) => {
  const dir = tempDir();
  writeTree(dir, digitsTree());
  const config = join(dir, 'x.experiment.json');
  const sizes = loadImageSplits({ source: 'images', split: { validation: 0, test: 0 } }, config, image(), quiet);
  const old = process.env.MODELLAB_MAX_DATA_BYTES;
  t.after(() => {
    if (old === undefined) delete process.env.MODELLAB_MAX_DATA_BYTES;
    else process.env.MODELLAB_MAX_DATA_BYTES = old;
  });
  const total = sizes.train.files.reduce((s, f) => s + statSync(f).size, 0);
  process.env.MODELLAB_MAX_DATA_BYTES = String(total);
  assert.equal(loadImageSplits({ source: 'images' }, config, image(), quiet).classNames.length, 3);
  process.env.MODELLAB_MAX_DATA_BYTES = String(total - 1);
  throwsData(
    () => loadImageSplits({ source: 'images' }, config, image(), quiet),
    new RegExp(`images: the 5 images are ${total} bytes in all, larger than the ${total - 1} bytes Model Lab reads into memory; use a sample of them, or raise the limit \\(modelLab\\.maxDataFileMB\\)`),
    join(dir, 'images'),
  );
});

test('pixels: decoded, converted to the channels, resized, N×H×W×C on the 0..255 scale', () => {
  const dir = tempDir();
  const rgba = new Uint8Array([0, 0, 0, 255, 40, 80, 120, 255, 80, 160, 240, 255, 120, 120, 120, 255]);
  writeTree(dir, { 'a.png': pngBytes(2, 2, rgba), 'b.png': grayImg(50, 4) });
  const set = { files: [join(dir, 'a.png'), join(dir, 'b.png')], labels: Int32Array.from([1, 0]) };
  const rgb = readImagePixels(set, image({ size: [2, 2], channels: 3 }), quiet);
  assert.equal(rgb.pixels.length, 2 * 2 * 2 * 3);
  assert.deepEqual([...rgb.pixels.subarray(0, 12)], [0, 0, 0, 40, 80, 120, 80, 160, 240, 120, 120, 120]);
  assert.deepEqual([...new Set(rgb.pixels.subarray(12))], [50]);
  assert.equal(rgb.skipped, 0);
  assert.deepEqual([...rgb.labels], [1, 0]);
  const gray = readImagePixels(set, image({ size: [1, 1], channels: 1 }), quiet);
  // 2×2 → 1×1 samples the centre: the mean of the four lumas
  const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;
  const centre = (luma(0, 0, 0) + luma(40, 80, 120) + luma(80, 160, 240) + luma(120, 120, 120)) / 4;
  assert.ok(Math.abs(gray.pixels[0] - centre) < 1e-3, `${gray.pixels[0]} vs ${centre}`);
  assert.ok(Math.abs(gray.pixels[1] - 50) < 1e-4);
});

test('pixels: "skip" leaves bad files out and counts them, "fail" stops naming the file', () => {
  const dir = tempDir();
  writeTree(dir, {
    'good1.png': grayImg(10),
    'text.png': 'this is not an image',
    'good2.jpg': jpegBytes(4, 4, solid(4, 4, [90, 90, 90])),
    'cut.png': grayImg(20).subarray(0, 30),
  });
  const set = { files: ['good1.png', 'text.png', 'good2.jpg', 'cut.png'].map((f) => join(dir, f)), labels: Int32Array.from([0, 1, 2, 3]) };
  const warnings: string[] = [];
  const r = readImagePixels(set, image({ onError: 'skip', channels: 1 }), (m, level) => warnings.push(`${level}: ${english(m)}`));
  assert.equal(r.skipped, 2);
  assert.deepEqual(r.files, [join(dir, 'good1.png'), join(dir, 'good2.jpg')]);
  assert.deepEqual([...r.labels], [0, 2]);
  assert.equal(r.pixels.length, 2 * 16);
  assert.deepEqual([...new Set(r.pixels.subarray(0, 16))], [10]);
  assert.deepEqual(warnings, [
    `warn: ${join(dir, 'text.png')}: not a PNG or JPEG image (it is text); Model Lab reads PNG and JPEG images, told by their first bytes, whatever the extension — skipped`,
    `warn: ${join(dir, 'cut.png')}: a truncated PNG: the file ends before the image does — skipped`,
    'warn: skipped 2 of 4 images that could not be read ("onError": "skip")',
  ]);
  throwsData(() => readImagePixels(set, image({ channels: 1 }), quiet), /text\.png: not a PNG or JPEG image/, join(dir, 'text.png'));
  const bad = { files: [join(dir, 'text.png')], labels: Int32Array.from([0]) };
  throwsData(() => readImagePixels(bad, image({ onError: 'skip' }), quiet), /none of the 1 images could be read/);
});

test('folder summary for the editor: classes, empty class folders, loose images', () => {
  const dir = tempDir();
  writeTree(dir, { 'a/x.png': grayImg(1), 'b/deep/y.jpg': 'bytes', 'c/readme.md': 'none', 'loose.png': grayImg(2), '.git/HEAD': 'x' });
  mkdirSync(join(dir, 'd'));
  assert.deepEqual(summarizeImageFolder(dir), { classes: ['a', 'b', 'c', 'd'], empty: ['c', 'd'], loose: 1 });
});
