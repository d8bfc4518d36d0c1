// Number formatting for tables and labels.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A metric value, short but exact enough to compare runs: 0.8731, 12,346, 1.235e+10. */
export function formatMetric(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e9 || abs < 1e-4) return value.toExponential(3).replace(/\.?0+e/, 'e');
  if (abs >= 1000) return grouped.format(value);
  return String(Number(value.toPrecision(4)));
}

/** A count with thousands separators, as Keras prints parameter counts. */
export function formatCount(value: number): string {
  return grouped.format(value);
}

/** A tensor shape as Keras prints it: (None, 64). */
export function formatShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** A ratio in [0, 1] as a percentage with one decimal: 93.4%. */
export function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : formatMetric(value);
}
