// Reading tabular data files (CSV, JSON, JSONL) into rows of cells.
// Pure Node (fs + papaparse): shared by config validation (column probing)
// and the trainer (loading).

import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import Papa from 'papaparse';

export type Cell = number | string | null;
export type Row = Record<string, Cell>;
export type DataFormat = 'csv' | 'json' | 'jsonl';

export interface Table {
  file: string;
  columns: string[];
  rows: Row[];
  /** 1-based line (CSV/JSONL) or record index (JSON) of each row, for error messages. */
  lines: number[];
  /**
   * Set when the last line was cut short and left out: the file did not end
   * with a newline and its last row was incomplete (a file still being written).
   */
  partialLastLine?: number;
}

/** A data problem that names the file and the line. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'DataError';
  }
}

export function formatOf(file: string, declared?: string): DataFormat {
  if (declared === 'csv' || declared === 'json' || declared === 'jsonl') return declared;
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseScalar(v);
  return JSON.stringify(v);
}

/** CSV cells arrive as text: numbers become numbers, empty cells become null. */
function parseScalar(s: string): Cell {
  const t = s.trim();
  if (t === '' || t === 'NA' || t === 'NaN' || t === 'null') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return s;
}

function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 4096);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * Largest data file read into memory (bytes). A file is parsed whole, as text
 * and then as rows, taking several times its size; past this it is refused with
 * a clear error instead of exhausting the trainer's memory. The environment
 * variable MODELLAB_MAX_DATA_BYTES (set by the host from modelLab.maxDataFileMB) changes it.
 */
export const DEFAULT_MAX_DATA_BYTES = 256 * 1024 * 1024;

export function maxDataBytes(): number {
  const fromEnv = Number(process.env.MODELLAB_MAX_DATA_BYTES);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_DATA_BYTES;
}

function describeBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB` : `${n} bytes`;
}

/**
 * The bytes of a file as it was when opened: its size is taken first and only
 * that many bytes are read, so a file that grows while it is read (a log still
 * being written) gives a consistent snapshot, and a huge file is refused before
 * anything is allocated. When the file did grow, a partial last line is dropped.
 */
function readSnapshot(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) {
      throw new DataError(file, undefined, `the file is ${describeBytes(size)}, larger than the ${describeBytes(maxBytes)} Model Lab reads into memory; use a sample of it, or raise the limit (modelLab.maxDataFileMB)`);
    }
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break; // truncated meanwhile
      got += n;
    }
    const snapshot = buf.subarray(0, got);
    if (fstatSync(fd).size > size && got > 0 && snapshot[got - 1] !== 10) {
      const lastNewline = snapshot.lastIndexOf(10);
      return snapshot.subarray(0, lastNewline + 1);
    }
    return snapshot;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, undefined, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
}

/** A UTF-8 text file without its BOM; DataError when unreadable, binary or too large. */
export function readText(file: string, maxBytes = maxDataBytes()): string {
  const buf = readSnapshot(file, maxBytes);
  if (looksBinary(buf)) throw new DataError(file, undefined, 'the file is binary, not text (expected UTF-8 CSV, JSON or JSONL)');
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

export function readTable(file: string, declaredFormat?: string): Table {
  const format = formatOf(file, declaredFormat);
  const text = readText(file);
  if (text.trim() === '') throw new DataError(file, undefined, 'the file is empty');
  if (format === 'csv') return parseCsv(file, text);
  if (format === 'jsonl') return parseJsonl(file, text);
  return parseJson(file, text);
}

function parseCsv(file: string, text: string): Table {
  const result = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  // A failed delimiter guess falls back to ","; field-count problems are reported per row below.
  const fatal = result.errors.find((e) => e.type === 'Quotes');
  if (fatal) throw new DataError(file, (fatal.row ?? 0) + 2, `${fatal.message.toLowerCase()}`);
  const data = result.data;
  if (data.length === 0) throw new DataError(file, undefined, 'the file is empty');
  const header = data[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new DataError(file, 1, `column ${i + 1} has no name in the header`);
    if (seen.has(h)) throw new DataError(file, 1, `column name "${h}" appears twice in the header`);
    seen.add(h);
  });
  // Papa reports rows, not lines; with quoted newlines they differ, so keep its row index + 1
  // for the common case (one record per line) and say "row" rather than guess.
  const rows: Row[] = [];
  const lines: number[] = [];
  for (let r = 1; r < data.length; r++) {
    const rec = data[r];
    if (rec.length !== header.length) {
      // The last row of a file being appended to, read mid-write: leave it for the next read.
      if (r === data.length - 1 && r > 1 && !text.endsWith('\n')) return { file, columns: header, rows, lines, partialLastLine: r + 1 };
      throw new DataError(file, r + 1, `expected ${header.length} fields (as in the header) but found ${rec.length}`);
    }
    const row: Row = {};
    for (let c = 0; c < header.length; c++) row[header[c]] = parseScalar(rec[c]);
    rows.push(row);
    lines.push(r + 1);
  }
  return { file, columns: header, rows, lines };
}

function rowFromObject(file: string, line: number, v: unknown): Row {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(file, line, 'each record must be a JSON object');
  const row: Row = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) row[k] = toCell(x);
  return row;
}

function columnsOf(rows: Row[]): string[] {
  const cols = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) cols.add(k);
  return [...cols];
}

function parseJsonl(file: string, text: string): Table {
  const rows: Row[] = [];
  const lines: number[] = [];
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const s = all[i].trim();
    if (s === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      // The last line of a file being appended to, read mid-write: leave it for the next read.
      if (i === all.length - 1 && rows.length > 0 && !text.endsWith('\n')) return { file, columns: columnsOf(rows), rows, lines, partialLastLine: i + 1 };
      throw new DataError(file, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    rows.push(rowFromObject(file, i + 1, v));
    lines.push(i + 1);
  }
  if (rows.length === 0) throw new DataError(file, undefined, 'the file has no records');
  return { file, columns: columnsOf(rows), rows, lines };
}

function parseJson(file: string, text: string): Table {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, undefined, `not valid JSON (${(e as Error).message})`);
  }
  // Accept an array of records or { "data": [...] } / { "rows": [...] }.
  if (!Array.isArray(v) && typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    v = Array.isArray(o.data) ? o.data : Array.isArray(o.rows) ? o.rows : v;
  }
  if (!Array.isArray(v)) throw new DataError(file, undefined, 'expected an array of records');
  const rows = v.map((x, i) => rowFromObject(file, i + 1, x));
  if (rows.length === 0) throw new DataError(file, undefined, 'the file has no records');
  return { file, columns: columnsOf(rows), rows, lines: rows.map((_, i) => i + 1) };
}

/**
 * The column names of a data file without reading all of it (for validation
 * while typing). CSV: the header line. JSON/JSONL: keys of the first records.
 */
export function probeColumns(file: string, declaredFormat?: string): string[] {
  const format = formatOf(file, declaredFormat);
  if (format === 'json') return readTable(file, format).columns;
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  let head: string;
  try {
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (looksBinary(buf.subarray(0, n))) throw new DataError(file, undefined, 'the file is binary, not text');
    head = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
  const firstLines = head.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (firstLines.length === 0) throw new DataError(file, undefined, 'the file is empty');
  if (format === 'csv') {
    const parsed = Papa.parse<string[]>(firstLines[0]);
    return (parsed.data[0] ?? []).map((h) => h.trim());
  }
  const cols = new Set<string>();
  for (const l of firstLines.slice(0, 20)) {
    try {
      const v = JSON.parse(l);
      if (v && typeof v === 'object') for (const k of Object.keys(v)) cols.add(k);
    } catch {
      break; // a partial last line of the 64 KiB window
    }
  }
  return [...cols];
}
