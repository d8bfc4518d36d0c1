// A run's log (log.jsonl in its run folder): every trainer log line, as the
// trainer emitted it, one JSON object per line, appended as it happens. The
// dashboard opened on a run (finished, running, or followed on a cluster)
// shows its tail; the lines arriving live after that carry a higher `seq`.

/** The file in the run folder. */
export const RUN_LOG_FILE = 'log.jsonl';

/** How many of the last lines a reader keeps, and the dashboard's Log card shows. */
export const RUN_LOG_TAIL = 500;

/** One line of log.jsonl: a trainer log event with its place in the run's log and its time. */
export interface RunLogLine {
  /** 1 for the run's first line, then counting up; a resumed run carries on. */
  seq: number;
  /** ISO time the trainer emitted it. */
  at: string;
  level: RunLogLevel;
  /** In English. */
  message: string;
  /** A message id of src/core/trainerLogTable.ts and its arguments, when the line has one (checked where it is shown). */
  id?: string;
  args?: (string | number)[];
}

export const RUN_LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type RunLogLevel = (typeof RUN_LOG_LEVELS)[number];
const LEVELS: readonly string[] = RUN_LOG_LEVELS;

function isRunLogLine(v: unknown): v is RunLogLine {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    Number.isInteger(o.seq) &&
    (o.seq as number) > 0 &&
    typeof o.at === 'string' &&
    typeof o.level === 'string' &&
    LEVELS.includes(o.level) &&
    typeof o.message === 'string' &&
    (o.id === undefined || typeof o.id === 'string') &&
    (o.args === undefined || Array.isArray(o.args))
  );
}

/**
 * The last `tail` lines of a log.jsonl's text, in order. A line that is not a log line (a torn
 * last line of a trainer that died mid-write, an edit by hand) is skipped and counted.
 */
export function parseRunLog(text: string, tail = RUN_LOG_TAIL): { lines: RunLogLine[]; skipped: number } {
  const raw = text.split('\n');
  const lines: RunLogLine[] = [];
  let skipped = 0;
  // Read from the end: a long run's log need not be parsed whole to show its tail.
  for (let i = raw.length - 1; i >= 0 && lines.length < tail; i--) {
    const s = raw[i].trim();
    if (!s) continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      skipped++;
      continue;
    }
    if (isRunLogLine(v)) lines.push(v);
    else skipped++;
  }
  return { lines: lines.reverse(), skipped };
}

/** The highest seq in a log's text (0 for none): where a resumed run's lines carry on. */
export function lastRunLogSeq(text: string): number {
  const { lines } = parseRunLog(text, 1);
  return lines.length ? lines[0].seq : 0;
}
