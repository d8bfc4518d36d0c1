// Chart colours come from VS Code's theme variables, read from computed
// styles at startup and again whenever VS Code switches the theme (it changes
// the body class and the variables on <html>).

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Training series. */
  train: string;
  /** Validation series. */
  validation: string;
  green: string;
  red: string;
  purple: string;
  yellow: string;
}

function cssVar(style: CSSStyleDeclaration, name: string): string {
  return style.getPropertyValue(name).trim();
}

export function readTheme(): ChartTheme {
  const root = getComputedStyle(document.documentElement);
  const body = getComputedStyle(document.body);
  const pick = (...names: string[]): string => {
    for (const name of names) {
      const v = cssVar(root, name) || cssVar(body, name);
      if (v) return v;
    }
    return '';
  };
  const foreground = pick('--vscode-editor-foreground', '--vscode-foreground') || body.color;
  const fontSize = parseFloat(pick('--vscode-font-size')) || 13;
  return {
    foreground,
    muted: pick('--vscode-descriptionForeground') || withAlpha(foreground, 0.7),
    grid: withAlpha(pick('--vscode-editorWidget-border', '--vscode-panel-border') || foreground, 0.35),
    background: pick('--vscode-editor-background') || body.backgroundColor,
    fontFamily: pick('--vscode-font-family') || body.fontFamily,
    fontSize,
    train: pick('--vscode-charts-blue') || foreground,
    validation: pick('--vscode-charts-orange') || foreground,
    green: pick('--vscode-charts-green') || foreground,
    red: pick('--vscode-charts-red', '--vscode-errorForeground') || foreground,
    purple: pick('--vscode-charts-purple') || foreground,
    yellow: pick('--vscode-charts-yellow') || foreground,
  };
}

let parser: CanvasRenderingContext2D | null = null;

/** The colour with the given opacity, as rgba(); any CSS colour the canvas understands is accepted. */
export function withAlpha(color: string, alpha: number): string {
  parser ??= document.createElement('canvas').getContext('2d');
  if (!parser) return color;
  parser.fillStyle = '#000000';
  parser.fillStyle = color;
  const normalized = String(parser.fillStyle);
  let r: number, g: number, b: number, a = 1;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normalized);
  if (hex) {
    [r, g, b] = [hex[1], hex[2], hex[3]].map((x) => parseInt(x, 16));
  } else {
    const rgba = /^rgba?\(([^)]+)\)$/.exec(normalized);
    if (!rgba) return color;
    const parts = rgba[1].split(',').map((x) => parseFloat(x));
    [r, g, b] = parts;
    if (parts.length > 3) a = parts[3];
  }
  return `rgba(${r}, ${g}, ${b}, ${+(a * alpha).toFixed(3)})`;
}

/** Calls `onChange` after VS Code switches theme (light, dark, high contrast). */
export function watchTheme(onChange: () => void): MutationObserver {
  const signature = () => document.body.className + '|' + (document.documentElement.getAttribute('style') ?? '');
  let last = signature();
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    // The class and the variables change in separate mutations; read both settled.
    requestAnimationFrame(() => {
      pending = false;
      const now = signature();
      if (now === last) return;
      last = now;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  return observer;
}
