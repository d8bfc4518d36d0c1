// Number formatting for the status bar, notifications and CodeLenses.

/** Three significant digits; exponent notation when that would hide the value (MSE of prices, tiny losses). */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return '–';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** The metric shown as "the" result of a run: validation loss when there is one. */
export function headlineMetric(logs: Record<string, number> | undefined): { name: string; value: number } | undefined {
  if (!logs) return undefined;
  for (const name of ['val_loss', 'loss']) {
    const value = logs[name];
    if (typeof value === 'number') return { name, value };
  }
  return undefined;
}
