// Pure pixel work for image classification, on images laid out HWC (row by
// row, each pixel's channels together) in Float32Arrays on the 0..255 scale:
// channel conversion, bilinear resizing, scaling (unit or standardize, whose
// statistics are fitted on the training split) and seeded augmentation of the
// training images. Decoding files is src/node/imageDecode.ts.

import type { Rng } from './random';
import type { ResolvedImage } from './resolvedConfig';

/** Pixels of one image, HWC. */
export interface ImagePixels {
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: number;
  data: Uint8Array | Float32Array;
}

/** Per-channel mean and standard deviation on the 0..255 scale (what ImageModelInfo saves). */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** ITU-R BT.601 luma weights, as PIL's "L" mode and tf.image.rgb_to_grayscale use. */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * The same pixels with `to` channels: gray → RGB repeats the value, RGB → gray
 * takes the luma, an alpha channel (2 or 4 channels in) is dropped. Written into
 * `out` at `offset` when given.
 */
export function convertChannels(image: ImagePixels, to: 1 | 3, out?: Float32Array, offset = 0): Float32Array {
  const { width, height, channels: from, data } = image;
  if (from < 1 || from > 4) throw new Error(`images have 1 to 4 channels, not ${from}`);
  const n = width * height;
  const dst = out ?? new Float32Array(n * to);
  if (dst.length < offset + n * to) throw new Error('the output is too small for the image');
  const color = from >= 3;
  for (let p = 0, s = 0, d = offset; p < n; p++, s += from, d += to) {
    if (to === 1) dst[d] = color ? LUMA[0] * data[s] + LUMA[1] * data[s + 1] + LUMA[2] * data[s + 2] : data[s];
    else if (color) {
      dst[d] = data[s];
      dst[d + 1] = data[s + 1];
      dst[d + 2] = data[s + 2];
    } else dst[d] = dst[d + 1] = dst[d + 2] = data[s];
  }
  return dst;
}

/**
 * Bilinear resize to [outHeight, outWidth] with half-pixel centres (the output
 * pixel centres spread evenly over the input, edges clamped), as
 * tf.image.resize and Keras' image_dataset_from_directory do; no antialiasing.
 * Same size: a copy. Written into `out` at `offset` when given.
 */
export function resizeBilinear(src: Float32Array, height: number, width: number, channels: number, outHeight: number, outWidth: number, out?: Float32Array, offset = 0): Float32Array {
  if (src.length < height * width * channels) throw new Error(`${src.length} values do not hold a ${height}×${width}×${channels} image`);
  const dst = out ?? new Float32Array(outHeight * outWidth * channels);
  if (dst.length < offset + outHeight * outWidth * channels) throw new Error('the output is too small for the image');
  if (height === outHeight && width === outWidth) {
    dst.set(src.subarray(0, height * width * channels), offset);
    return dst;
  }
  const sy = height / outHeight;
  const sx = width / outWidth;
  // Column weights once per call, not once per pixel.
  const x0s = new Int32Array(outWidth);
  const x1s = new Int32Array(outWidth);
  const fxs = new Float32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, width - 1);
    fxs[x] = fx - x0s[x];
  }
  let d = offset;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    const r0 = y0 * width * channels;
    const r1 = y1 * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const wx = fxs[x];
      const a = r0 + x0s[x] * channels;
      const b = r0 + x1s[x] * channels;
      const c = r1 + x0s[x] * channels;
      const e = r1 + x1s[x] * channels;
      for (let k = 0; k < channels; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * wx;
        const bottom = src[c + k] + (src[e + k] - src[c + k]) * wx;
        dst[d++] = top + (bottom - top) * wy;
      }
    }
  }
  return dst;
}

/**
 * Per-channel mean and (population) standard deviation over every pixel of
 * `count` images, on the 0..255 scale. A channel that never changes gets std 1,
 * so standardizing leaves it centred instead of dividing by zero.
 */
export function fitChannelStats(pixels: Float32Array, channels: number): ChannelStats {
  const n = Math.floor(pixels.length / channels);
  if (n === 0) throw new Error('no pixels to fit the scaling statistics on');
  const sum = new Float64Array(channels);
  for (let i = 0; i < n * channels; i += channels) for (let k = 0; k < channels; k++) sum[k] += pixels[i + k];
  const mean = Array.from(sum, (s) => s / n);
  const sq = new Float64Array(channels);
  for (let i = 0; i < n * channels; i += channels) {
    for (let k = 0; k < channels; k++) {
      const d = pixels[i + k] - mean[k];
      sq[k] += d * d;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / n);
    return v > 1e-6 ? v : 1;
  });
  return { mean, std };
}

/**
 * Scales 0..255 pixels in place as the model sees them: `unit` divides by 255;
 * `standardize` subtracts each channel's mean and divides by its std (from
 * fitChannelStats on the training split).
 */
export function applyScaling(pixels: Float32Array, channels: number, scaling: ResolvedImage['scaling'], stats?: ChannelStats): Float32Array {
  if (scaling === 'unit') {
    for (let i = 0; i < pixels.length; i++) pixels[i] /= 255;
    return pixels;
  }
  if (!stats || stats.mean.length !== channels || stats.std.length !== channels) throw new Error(`standardize needs a mean and a std for each of the ${channels} channels`);
  const inv = stats.std.map((s) => 1 / s);
  for (let i = 0; i < pixels.length; i += channels) {
    for (let k = 0; k < channels; k++) pixels[i + k] = (pixels[i + k] - stats.mean[k]) * inv[k];
  }
  return pixels;
}

/** One image's random changes, drawn by drawAugmentation. */
export interface AugmentDraw {
  flip: boolean;
  /** Shift in pixels (down, right). */
  dy: number;
  dx: number;
  /** Rotation in radians about the image's centre. */
  angle: number;
  /** Added to every value, on the 0..255 scale. */
  brightness: number;
}

/**
 * Draws one image's changes. The generator is called in a fixed order —
 * flip, vertical shift, horizontal shift, rotation, brightness — and only for
 * the changes that are on, so a seed gives the same images on every machine.
 */
export function drawAugmentation(augment: NonNullable<ResolvedImage['augment']>, height: number, width: number, rng: Rng): AugmentDraw {
  const flip = augment.flip ? rng() < 0.5 : false;
  const dy = augment.shift > 0 ? (rng() * 2 - 1) * augment.shift * height : 0;
  const dx = augment.shift > 0 ? (rng() * 2 - 1) * augment.shift * width : 0;
  const angle = augment.rotate > 0 ? (((rng() * 2 - 1) * augment.rotate) * Math.PI) / 180 : 0;
  const brightness = augment.brightness > 0 ? (rng() * 2 - 1) * augment.brightness * 255 : 0;
  return { flip, dy, dx, angle, brightness };
}

/** Reflects a coordinate into [0, n - 1] about the outer edges of the border pixels (d c b a | a b c d | d c b a), as Keras' fill_mode "reflect". */
function reflect(v: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let t = (v + 0.5) % period;
  if (t < 0) t += period;
  t = t < n ? t : period - t;
  return Math.min(Math.max(t - 0.5, 0), n - 1);
}

/**
 * One augmented copy of an HWC image on the 0..255 scale: mirrored, then
 * shifted and rotated about its centre (bilinear, the border reflected, as
 * Keras' RandomTranslation and RandomRotation), then brightened and clipped
 * to 0..255. Written into `out` at `offset` when given.
 */
export function applyAugmentation(src: Float32Array, height: number, width: number, channels: number, draw: AugmentDraw, out?: Float32Array, offset = 0): Float32Array {
  const size = height * width * channels;
  const dst = out ?? new Float32Array(size);
  if (dst.length < offset + size) throw new Error('the output is too small for the image');
  const geometric = draw.dx !== 0 || draw.dy !== 0 || draw.angle !== 0;
  if (!geometric) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s = (y * width + (draw.flip ? width - 1 - x : x)) * channels;
        const d = offset + (y * width + x) * channels;
        for (let k = 0; k < channels; k++) dst[d + k] = src[s + k];
      }
    }
  } else {
    const cy = (height - 1) / 2;
    const cx = (width - 1) / 2;
    const cos = Math.cos(draw.angle);
    const sin = Math.sin(draw.angle);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Where this output pixel comes from: undo the shift, then the rotation (y grows downwards).
        const ry = y - draw.dy - cy;
        const rx = x - draw.dx - cx;
        const syRaw = cy + cos * ry - sin * rx;
        let sxRaw = cx + sin * ry + cos * rx;
        if (draw.flip) sxRaw = width - 1 - sxRaw;
        const sy = reflect(syRaw, height);
        const sx = reflect(sxRaw, width);
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(y0 + 1, height - 1);
        const x1 = Math.min(x0 + 1, width - 1);
        const wy = sy - y0;
        const wx = sx - x0;
        const a = (y0 * width + x0) * channels;
        const b = (y0 * width + x1) * channels;
        const c = (y1 * width + x0) * channels;
        const e = (y1 * width + x1) * channels;
        const d = offset + (y * width + x) * channels;
        for (let k = 0; k < channels; k++) {
          const top = src[a + k] + (src[b + k] - src[a + k]) * wx;
          const bottom = src[c + k] + (src[e + k] - src[c + k]) * wx;
          dst[d + k] = top + (bottom - top) * wy;
        }
      }
    }
  }
  if (draw.brightness !== 0) {
    for (let i = offset; i < offset + size; i++) {
      const v = dst[i] + draw.brightness;
      dst[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return dst;
}

/**
 * A batch of augmented training images: `count` HWC images of `image.size` ×
 * `image.channels` starting at image `start` of `pixels`, each with changes
 * drawn from `rng` (the training loop's seeded generator, so an epoch's
 * images follow from the seed). Returns new pixels on the 0..255 scale.
 */
export function augmentBatch(pixels: Float32Array, start: number, count: number, image: Pick<ResolvedImage, 'size' | 'channels' | 'augment'>, rng: Rng, out?: Float32Array): Float32Array {
  const [height, width] = image.size;
  const per = height * width * image.channels;
  const dst = out ?? new Float32Array(count * per);
  for (let i = 0; i < count; i++) {
    const src = pixels.subarray((start + i) * per, (start + i + 1) * per);
    if (!image.augment) dst.set(src, i * per);
    else applyAugmentation(src, height, width, image.channels, drawAugmentation(image.augment, height, width, rng), dst, i * per);
  }
  return dst;
}
