// Decoding image files to 8-bit pixels: PNG with pngjs, JPEG with jpeg-js —
// both pure JavaScript, so one VSIX works on every platform with no native
// build (scripts/bench-image-decode.ts measures them against the alternatives).
// The format is told by the file's first bytes, never by its extension; what
// cannot become 8-bit gray or RGB(A) is refused with a message naming the file.

import { readFileSync } from 'node:fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImagePixels } from '../core/imageTransforms';
import { DataError } from '../core/table';

export type ImageFormat = 'png' | 'jpeg';

/** A decoded image: 8-bit pixels, HWC, with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels. */
export interface DecodedImage extends ImagePixels {
  data: Uint8Array;
  format: ImageFormat;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Formats we recognise but do not read, so the message can say what the file is. */
const OTHER_FORMATS: { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: 'a GIF image', test: (b) => startsWith(b, ascii('GIF8')) },
  { name: 'a BMP image', test: (b) => startsWith(b, ascii('BM')) && b.length >= 26 },
  { name: 'a WebP image', test: (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8) },
  { name: 'a TIFF image', test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  { name: 'an AVIF or HEIC image', test: (b) => startsWith(b, ascii('ftyp'), 4) },
  { name: 'a PDF document', test: (b) => startsWith(b, ascii('%PDF')) },
  { name: 'a zip archive', test: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) },
];

const CONVERT_HINT = 'Model Lab reads PNG and JPEG images';

/** Largest image decoded, in pixels (jpeg-js' own default): a small file can hold a huge image, and its pixels are all allocated at once. */
export const MAX_IMAGE_PIXELS = 100_000_000;

function refuseHuge(file: string, width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError(file, undefined, `an image of ${width}×${height} pixels, larger than the ${MAX_IMAGE_PIXELS / 1e6} megapixels Model Lab decodes; scale it down first`);
  }
}

/** The image format of a file's first bytes, or a DataError saying what the file is instead. */
export function detectImageFormat(bytes: Uint8Array, file: string): ImageFormat {
  if (bytes.length === 0) throw new DataError(file, undefined, 'the file is empty, not an image');
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  const other = OTHER_FORMATS.find((f) => f.test(bytes));
  if (other) throw new DataError(file, undefined, `${other.name}; ${CONVERT_HINT} (convert it, or set "onError": "skip" to leave such files out)`);
  const head = bytes.subarray(0, Math.min(bytes.length, 512));
  const text = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c !== 127));
  throw new DataError(file, undefined, `not a PNG or JPEG image (${text ? 'it is text' : 'unknown content'}); ${CONVERT_HINT}, told by their first bytes, whatever the extension`);
}

/** What a JPEG's markers say before any pixel is decoded. */
interface JpegLayout {
  /** The start-of-frame marker's type (0xc0 baseline, 0xc1 extended, 0xc2 progressive, …). */
  sof?: number;
  precision?: number;
  width?: number;
  height?: number;
  components?: number;
  adobe: boolean;
  /** The end-of-image marker was reached: the file is whole. */
  complete: boolean;
}

/** Walks a JPEG's segments and entropy-coded data up to its end-of-image marker. */
function jpegLayout(b: Uint8Array): JpegLayout {
  const layout: JpegLayout = { adobe: false, complete: false };
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) {
      i++; // entropy-coded data of a scan
      continue;
    }
    const m = b[i + 1];
    if (m === 0xff || m === 0x00 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      i += m === 0xff ? 1 : 2; // fill byte, stuffed zero, restart marker, TEM
      continue;
    }
    if (m === 0xd9) {
      layout.complete = true;
      return layout;
    }
    if (i + 3 >= b.length) break;
    const length = (b[i + 2] << 8) | b[i + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc && layout.sof === undefined && i + 9 < b.length) {
      layout.sof = m;
      layout.precision = b[i + 4];
      layout.height = (b[i + 5] << 8) | b[i + 6];
      layout.width = (b[i + 7] << 8) | b[i + 8];
      layout.components = b[i + 9];
    }
    if (m === 0xee && startsWith(b, ascii('Adobe'), i + 4)) layout.adobe = true;
    i += 2 + length;
  }
  return layout;
}

function decodeJpeg(bytes: Uint8Array, file: string): DecodedImage {
  const layout = jpegLayout(bytes);
  const refuse = (what: string): never => {
    throw new DataError(file, undefined, `${what}; Model Lab reads JPEGs of 8-bit gray, RGB or (with an Adobe marker) CMYK samples, baseline or progressive: convert it to an 8-bit RGB or gray JPEG or PNG, or set "onError": "skip" to leave such files out`);
  };
  if (layout.sof === undefined) throw new DataError(file, undefined, 'a damaged or truncated JPEG: it has no image frame');
  if (layout.sof === 0xc3 || layout.sof === 0xc7 || layout.sof === 0xcb || layout.sof === 0xcf) refuse('a lossless JPEG');
  if (layout.sof >= 0xc9) refuse('an arithmetic-coded JPEG');
  if (layout.sof >= 0xc5) refuse('a hierarchical JPEG');
  if (layout.precision !== 8) refuse(`a ${layout.precision}-bit JPEG`);
  if (layout.components !== 1 && layout.components !== 3 && layout.components !== 4) refuse(`a JPEG with ${layout.components} colour components`);
  if (layout.components === 4 && !layout.adobe) refuse('a 4-channel (CMYK) JPEG without the Adobe marker that says how to read its colours');
  if (!layout.complete) throw new DataError(file, undefined, 'a truncated JPEG: the file ends before the image does');
  refuseHuge(file, layout.width ?? 0, layout.height ?? 0);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: true, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new DataError(file, undefined, `cannot decode the JPEG (${e instanceof Error ? e.message : String(e)})`);
  }
  if (layout.components === 1) {
    // jpeg-js repeats gray in R, G and B; keep one channel.
    const n = decoded.width * decoded.height;
    const gray = new Uint8Array(n);
    for (let p = 0; p < n; p++) gray[p] = decoded.data[p * 3];
    return { width: decoded.width, height: decoded.height, channels: 1, data: gray, format: 'jpeg' };
  }
  return { width: decoded.width, height: decoded.height, channels: 3, data: decoded.data, format: 'jpeg' };
}

/** Whether a PNG's chunks run whole from its signature to its IEND chunk. */
function pngComplete(b: Uint8Array): boolean {
  let i = 8;
  while (i + 8 <= b.length) {
    const length = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
    const end = i + 12 + length;
    if (end > b.length) return false;
    if (b[i + 4] === 0x49 && b[i + 5] === 0x45 && b[i + 6] === 0x4e && b[i + 7] === 0x44) return true; // IEND
    i = end;
  }
  return false;
}

function decodePng(bytes: Uint8Array, file: string): DecodedImage {
  if (!pngComplete(bytes)) throw new DataError(file, undefined, 'a truncated PNG: the file ends before the image does');
  // IHDR is the first chunk: width and height at bytes 16 and 20.
  const u32 = (at: number): number => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  refuseHuge(file, u32(16), u32(20));
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    // 16-bit samples are scaled to 8 bits; palettes and low bit depths expanded (pngjs always gives RGBA).
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DataError(file, undefined, `a damaged PNG: cannot decode it (${e instanceof Error ? e.message : String(e)})`);
  }
  const { width, height } = png;
  const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  if (rgba.length < width * height * 4) throw new DataError(file, undefined, 'a truncated or damaged PNG: fewer pixels than its size says');
  if (png.color) return { width, height, channels: png.alpha ? 4 : 3, data: png.alpha ? rgba : dropChannel(rgba, width * height), format: 'png' };
  const gray = new Uint8Array(width * height * (png.alpha ? 2 : 1));
  for (let p = 0, d = 0; p < width * height; p++) {
    gray[d++] = rgba[p * 4];
    if (png.alpha) gray[d++] = rgba[p * 4 + 3];
  }
  return { width, height, channels: png.alpha ? 2 : 1, data: gray, format: 'png' };
}

function dropChannel(rgba: Uint8Array, n: number): Uint8Array {
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    rgb[p * 3] = rgba[p * 4];
    rgb[p * 3 + 1] = rgba[p * 4 + 1];
    rgb[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return rgb;
}

/** Decodes PNG or JPEG bytes (told apart by their first bytes); DataError naming `file` when they are not a readable 8-bit image. */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const format = detectImageFormat(bytes, file);
  const image = format === 'png' ? decodePng(bytes, file) : decodeJpeg(bytes, file);
  if (image.width < 1 || image.height < 1) throw new DataError(file, undefined, `an image of ${image.width}×${image.height} pixels`);
  return image;
}

/** Reads and decodes one image file. */
export function readImageFile(file: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(file, undefined, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return decodeImage(bytes, file);
}
