// Number formatting for tables and labels.

import { formatMetric as formatMetricIn } from '../../src/core/metrics';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A metric value in the webviews' tables, axes and tooltips: core's formatter, in its table style. */
export function formatMetric(value: number): string {
  return formatMetricIn(value, 'table');
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

