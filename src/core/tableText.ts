// Parsing the text of a data file into a Table: CSV through our column-wise
// scanner (csvScanner.ts, Papa Parse for the dialect and for malformed quoting),
// JSON (an array of records) and JSONL (a record per line). Pure: no file access.

import Papa from 'papaparse';
import { scanCsv } from './csvScanner';
import { checkHeader, DataError, formatOf, parseScalar } from './table';
import type { Cell, Row, Table } from './table';

/** The table in `text` (the contents of `file`, named in errors), by its format. */
export function parseTableText(file: string, text: string, declaredFormat?: string): Table {
  const format = formatOf(file, declaredFormat);
  if (text.trim() === '') throw new DataError(file, undefined, 'the file is empty');
  if (format === 'csv') return parseCsv(file, text);
  if (format === 'jsonl') return parseJsonl(file, text);
  return parseJson(file, text);
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseScalar(v);
  return JSON.stringify(v);
}

/**
 * CSV: one pass over the text by hand instead of Papa Parse's rows of strings.
 * Papa still guesses the dialect (delimiter and line break, from the head of
 * the file exactly as it would for the whole), but the records are scanned
 * here: numbers are read straight from the text, without a string per cell,
 * into a Float64Array per numeric column (see Table.cells), and no row objects
 * are made. On a 100k-row file this is several times faster and makes far
 * less garbage. RFC 4180 quoting ("a, b", "say ""hi""", line breaks inside
 * quotes) is handled; quoting Papa would repair or reject (an unterminated
 * quote, text after a closing quote) falls back to the Papa parse below, so
 * such files read, or fail, as before.
 */
function parseCsv(file: string, text: string): Table {
  const head = Papa.parse<string[]>(text.slice(0, DIALECT_WINDOW), { preview: 10, skipEmptyLines: 'greedy' });
  return scanCsv(file, text, head.meta.delimiter || ',', head.meta.linebreak || '\n') ?? parseCsvWithPapa(file, text);
}

/** Papa guesses line breaks from the first 1 MiB and the delimiter from the first 10 records. */
const DIALECT_WINDOW = 1024 * 1024;

/** CSV through Papa Parse, for files whose quoting the scanner above leaves to it. */
function parseCsvWithPapa(file: string, text: string): Table {
  const result = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  // A failed delimiter guess falls back to ","; field-count problems are reported per row below.
  const fatal = result.errors.find((e) => e.type === 'Quotes');
  if (fatal) throw new DataError(file, lineOfIndex(text, fatal.index) ?? (fatal.row ?? 0) + 1, `${fatal.message.toLowerCase()}`);
  const data = result.data;
  if (data.length === 0) throw new DataError(file, undefined, 'the file is empty');
  const header = data[0].map((h) => h.trim());
  checkHeader(file, header);
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

/** The 1-based line of character `index` of `text` (Papa's row counts records, header included, not lines). */
function lineOfIndex(text: string, index: number | undefined): number | undefined {
  if (index === undefined || !(index >= 0)) return undefined;
  return text.slice(0, index).split(/\r\n|\r|\n/).length;
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

/** The column names in the first lines of a CSV or JSONL file (for validation while typing). */
export function columnsFromHead(file: string, head: string, format: 'csv' | 'jsonl'): string[] {
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
      break; // a partial last line of the window
    }
  }
  return [...cols];
}
