// Image files made in memory for the image data tests: PNGs and JPEGs from
// the pngjs and jpeg-js encoders, and JPEGs assembled marker by marker for the
// layouts no encoder at hand writes (CMYK, 12-bit, lossless).
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ColorType } from 'pngjs';

/**
 * A PNG of `width`×`height` from RGBA pixels (row by row), written with the
 * colour type asked for (0 gray, 2 RGB, 4 gray + alpha, 6 RGBA); gray types
 * take the red value of gray pixels.
 */
export function pngBytes(width: number, height: number, rgba: ArrayLike<number>, colorType: ColorType = 6): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height * 4; i++) png.data[i] = rgba[i];
  return PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true });
}

/** A 16-bit RGB PNG from 16-bit RGBA values. */
export function png16Bytes(width: number, height: number, rgba16: ArrayLike<number>): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(new Uint16Array(Array.from(rgba16)).buffer);
  return PNG.sync.write(png, { colorType: 2, bitDepth: 16, inputColorType: 6, inputHasAlpha: true });
}

/** A gray PNG: one value per pixel. */
export function grayPngBytes(width: number, height: number, gray: ArrayLike<number>): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = gray[p];
    rgba[p * 4 + 3] = 255;
  }
  return pngBytes(width, height, rgba, 0);
}

/** A JPEG (jpeg-js, quality 95) of RGB pixels given as RGBA. */
export function jpegBytes(width: number, height: number, rgba: ArrayLike<number>, quality = 95): Buffer {
  return jpeg.encode({ width, height, data: Buffer.from(Uint8Array.from(rgba)) }, quality).data;
}

const u16 = (n: number): number[] => [n >> 8, n & 255];

/**
 * An 8×8 JPEG assembled marker by marker, every block flat (its one DC
 * coefficient 0, so every sample decodes to 128): `components` channels
 * (4: CMYK), the start-of-frame marker `sof` (0xc0 baseline, 0xc1 extended,
 * 0xc3 lossless, 0xc9 arithmetic), sample `precision` bits, and an Adobe
 * APP14 segment when `adobe` (what says how to read four channels).
 */
export function handMadeJpeg(options: { components?: number; sof?: number; precision?: number; adobe?: boolean } = {}): Buffer {
  const nc = options.components ?? 3;
  const bytes: number[] = [0xff, 0xd8];
  if (options.adobe) bytes.push(0xff, 0xee, ...u16(14), ...[...'Adobe'].map((c) => c.charCodeAt(0)), ...u16(100), ...u16(0), ...u16(0), 0);
  bytes.push(0xff, 0xdb, ...u16(67), 0x00, ...new Array<number>(64).fill(1));
  bytes.push(0xff, options.sof ?? 0xc0, ...u16(8 + 3 * nc), options.precision ?? 8, ...u16(8), ...u16(8), nc);
  for (let c = 0; c < nc; c++) bytes.push(c + 1, 0x11, 0x00);
  // One code of length 1 in each table: DC difference category 0, AC end-of-block.
  const table = [1, ...new Array<number>(15).fill(0), 0x00];
  bytes.push(0xff, 0xc4, ...u16(2 + 2 * 17 + 2), 0x00, ...table, 0x10, ...table);
  bytes.push(0xff, 0xda, ...u16(6 + 2 * nc), nc);
  for (let c = 0; c < nc; c++) bytes.push(c + 1, 0x00);
  bytes.push(0, 63, 0);
  // Two zero bits per component, the byte padded with ones.
  const bits = 2 * nc;
  bytes.push(bits >= 8 ? 0x00 : (1 << (8 - bits)) - 1);
  bytes.push(0xff, 0xd9);
  return Buffer.from(bytes);
}
