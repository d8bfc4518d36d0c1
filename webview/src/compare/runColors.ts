// One colour per compared run, as many as there are runs: the theme's chart
// palette first (blue, orange, green, red, purple, yellow, so the first runs
// look like the rest of VS Code), then generated colours, each kept as far as
// it can be from every colour already taken.

import type { ChartTheme } from '../theme';

type Rgb = [number, number, number];

/** RGB of a CSS colour the canvas understands (theme variables come as hex or rgb()). */
export function parseColor(color: string, parser: CanvasRenderingContext2D | null): Rgb | undefined {
  if (!parser) return undefined;
  parser.fillStyle = '#000000';
  parser.fillStyle = color;
  const text = String(parser.fillStyle);
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const m = /^rgba?\(([^)]+)\)$/.exec(text);
  if (!m) return undefined;
  const [r, g, b] = m[1].split(',').map((x) => parseFloat(x));
  return [r, g, b];
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** CIELAB (D65) of an sRGB colour: distances there follow what the eye tells apart far better than RGB's. */
function toLab([r, g, b]: Rgb): Rgb {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function deltaE(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * `count` distinguishable colours. Beyond the palette, each next colour is the
 * candidate (24 hues × 3 lightness/saturation levels suited to the theme, only
 * those with enough lightness contrast against the background) farthest, in
 * CIELAB, from every colour already taken; once the candidates run out, hues
 * repeat at new levels along the golden angle.
 */
export function runColors(count: number, theme: ChartTheme, dark: boolean): string[] {
  const parser = document.createElement('canvas').getContext('2d');
  const colors: string[] = [];
  const taken: Rgb[] = [];
  for (const c of [theme.train, theme.validation, theme.green, theme.red, theme.purple, theme.yellow]) {
    if (colors.length >= count) break;
    if (!c || c === theme.foreground || colors.includes(c)) continue;
    colors.push(c);
    const rgb = parseColor(c, parser);
    if (rgb) taken.push(toLab(rgb));
  }
  if (colors.length >= count) return colors;
  const background = parseColor(theme.background, parser);
  const backgroundLab = background ? toLab(background) : undefined;
  const levels = dark ? [[0.8, 0.62], [0.65, 0.78], [0.9, 0.48]] : [[0.8, 0.42], [0.7, 0.3], [0.9, 0.56]];
  const candidates: { rgb: Rgb; lab: Rgb }[] = [];
  for (const [s, l] of levels) {
    for (let i = 0; i < 24; i++) {
      const rgb = hslToRgb(i * 15 + 7, s, l);
      const lab = toLab(rgb);
      // A thin line needs lightness contrast with the background, not only a different hue.
      if (backgroundLab && Math.abs(lab[0] - backgroundLab[0]) < 38) continue;
      candidates.push({ rgb, lab });
    }
  }
  while (colors.length < count && candidates.length > 0) {
    let best = 0;
    let bestDistance = -1;
    candidates.forEach((c, i) => {
      let nearest = Infinity;
      for (const t of taken) nearest = Math.min(nearest, deltaE(c.lab, t));
      if (nearest > bestDistance) {
        bestDistance = nearest;
        best = i;
      }
    });
    const [chosen] = candidates.splice(best, 1);
    colors.push(`rgb(${chosen.rgb[0]}, ${chosen.rgb[1]}, ${chosen.rgb[2]})`);
    taken.push(chosen.lab);
  }
  for (let k = 0; colors.length < count; k++) {
    const [s, l] = levels[k % levels.length];
    const rgb = hslToRgb((k * 137.508 + 3) % 360, s * 0.9, l + (k % 2 ? 0.05 : -0.05));
    colors.push(`rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`);
  }
  return colors;
}
