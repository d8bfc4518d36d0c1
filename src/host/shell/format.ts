// Which metric stands for a run in the status bar, notifications and CodeLenses
// (values are printed by core/metrics.ts formatMetric).


/** The metric shown as "the" result of a run: validation loss when there is one. */
export function headlineMetric(logs: Record<string, number> | undefined): { name: string; value: number } | undefined {
  if (!logs) return undefined;
  for (const name of ['val_loss', 'loss']) {
    const value = logs[name];
    if (typeof value === 'number') return { name, value };
  }
  return undefined;
}
