// Reading tabular data files (CSV, JSON, JSONL) into rows of cells.
// Pure Node (fs + papaparse): shared by config validation (column probing)
// and the trainer (loading).

import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import Papa from 'papaparse';

export type Cell = number | string | null;
export type Row = Record<string, Cell>;
export type DataFormat = 'csv' | 'json' | 'jsonl';
/**
 * One column's cells, row by row: a column of numbers (and empty cells) as a
 * Float64Array with NaN for an empty cell (a cell is never NaN: "NaN" reads as
 * empty), any other column as its cells. Read a cell with cellAt.
 */
export type Column = Float64Array | Cell[];

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
  /**
   * The same cells column by column (in the order of `columns`), when the
   * reader keeps them so (CSV). Preprocessing reads these; `rows` is then
   * only built, once, when something asks for it: 100k row objects of 20
   * boxed numbers cost more than reading the file. Count rows with rowCount.
   */
  cells?: Column[];
}

/** The cell of a column at a row (null for an empty cell). */
export function cellAt(column: Column, row: number): Cell {
  const v = column[row];
  return v === v ? v : null; // NaN marks an empty cell in a numeric column
}

/** Number of rows, without building row objects. */
export function rowCount(t: Table): number {
  return t.cells ? t.lines.length : t.rows.length;
}

/** One column's cells (undefined where a row lacks the key), from `cells` when the table has them. */
export function columnOf(t: Table, name: string): Column {
  const at = t.cells ? t.columns.indexOf(name) : -1;
  if (t.cells && at >= 0) return t.cells[at];
  if (t.cells) return new Array<Cell>(t.lines.length).fill(null);
  return t.rows.map((r) => r[name]);
}

/** A table kept column by column, whose `rows` are built on first use. */
export function columnarTable(file: string, columns: string[], cells: Column[], lines: number[], partialLastLine?: number): Table {
  let rows: Row[] | undefined;
  const t: Table = {
    file,
    columns,
    cells,
    lines,
    get rows(): Row[] {
      if (rows === undefined) {
        rows = new Array<Row>(lines.length);
        for (let i = 0; i < lines.length; i++) {
          const row: Row = {};
          for (let c = 0; c < columns.length; c++) row[columns[c]] = cellAt(cells[c], i);
          rows[i] = row;
        }
      }
      return rows;
    },
  };
  if (partialLastLine !== undefined) t.partialLastLine = partialLastLine;
  return t;
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

const QUOTE = 34;
const LINE_FEED = 10;

/**
 * The CSV records of `text` as a table, or undefined when its quoting is
 * malformed (the caller then lets Papa report it). Follows Papa's rules:
 * a quote opens a quoted field only as a field's first character, records
 * whose cells are all blank are skipped, and a last record cut short in a
 * file without a final newline (still being written) is left out.
 * Lines are the physical line each record starts on.
 */
function scanCsv(file: string, text: string, delimiter: string, newline: string): Table | undefined {
  const n = text.length;
  const delim = delimiter.charCodeAt(0);
  const nl = newline.charCodeAt(0);
  const crlf = newline.length === 2;
  // A line break inside a quoted field still moves the line count on.
  const lineChar = newline === '\r' ? '\r' : '\n';
  let header: string[] | undefined;
  const headerFields: string[] = [];
  // Each column is numeric (a Float64Array, as long as every cell so far is a number
  // or empty) or mixed (its cells); capacity: records cannot outnumber lines.
  let capacity = 1;
  for (let k = text.indexOf(lineChar); k >= 0; k = text.indexOf(lineChar, k + 1)) capacity++;
  let numeric: (Float64Array | undefined)[] = [];
  let mixed: Cell[][] = [];
  let count = 0;
  const lines: number[] = [];
  /** A short last record, forgiven only if no record follows it. */
  let short: { line: number; found: number } | undefined;
  let pos = 0;
  let line = 1;
  while (pos < n) {
    const recordLine = line;
    let fields = 0;
    let blank = true;
    for (;;) {
      let cell: Cell = null;
      let s: string | undefined;
      if (pos < n && text.charCodeAt(pos) === QUOTE) {
        let close = text.indexOf('"', pos + 1);
        let escaped = false;
        while (close >= 0 && text.charCodeAt(close + 1) === QUOTE) {
          escaped = true;
          close = text.indexOf('"', close + 2);
        }
        if (close < 0) return undefined; // unterminated
        s = text.slice(pos + 1, close);
        if (escaped) s = s.replaceAll('""', '"');
        for (let k = s.indexOf(lineChar); k >= 0; k = s.indexOf(lineChar, k + 1)) line++;
        pos = close + 1;
        if (pos < n && text.charCodeAt(pos) !== delim && !(text.charCodeAt(pos) === nl && (!crlf || text.charCodeAt(pos + 1) === LINE_FEED))) return undefined;
      } else {
        let end = pos;
        for (; end < n; end++) {
          const c = text.charCodeAt(end);
          if (c === delim || (c === nl && (!crlf || text.charCodeAt(end + 1) === LINE_FEED))) break;
        }
        if (header === undefined) s = text.slice(pos, end);
        else if (end > pos) {
          cell = plainNumber(text, pos, end);
          if (cell === cell) blank = false;
          else s = text.slice(pos, end);
        }
        pos = end;
      }
      if (s !== undefined) {
        if (blank && s.trim() !== '') blank = false;
        if (header === undefined) headerFields.push(s);
        else cell = parseScalar(s);
      }
      if (header !== undefined && fields < header.length) {
        // Cells go in at row `count`; a record refused below is overwritten by the next.
        const column = numeric[fields];
        if (column === undefined) mixed[fields][count] = cell;
        else if (typeof cell === 'number') column[count] = cell;
        else if (cell === null) column[count] = NaN;
        else {
          mixed[fields] = Array.from(column.subarray(0, count), (v) => (v === v ? v : null));
          mixed[fields][count] = cell;
          numeric[fields] = undefined;
        }
      }
      fields++;
      if (pos < n && text.charCodeAt(pos) === delim) pos++;
      else break; // a line break or the end
    }
    if (pos < n) {
      pos += newline.length;
      line++;
    }
    if (blank) {
      headerFields.length = 0;
      continue;
    }
    if (short) throw new DataError(file, short.line, `expected ${header!.length} fields (as in the header) but found ${short.found}`);
    if (header === undefined) {
      header = headerFields.map((h) => h.trim());
      checkHeader(file, header, recordLine);
      numeric = header.map(() => new Float64Array(capacity));
      mixed = header.map(() => []);
      continue;
    }
    if (fields !== header.length) {
      short = { line: recordLine, found: fields };
      // The last row of a file being appended to, read mid-write: leave it for the next read.
      if (count > 0 && !text.endsWith('\n')) continue;
      throw new DataError(file, recordLine, `expected ${header.length} fields (as in the header) but found ${fields}`);
    }
    count++;
    lines.push(recordLine);
  }
  if (header === undefined) throw new DataError(file, undefined, 'the file is empty');
  const cells = header.map((_, c): Column => {
    const column = numeric[c];
    if (column) return column.subarray(0, count);
    mixed[c].length = count;
    return mixed[c];
  });
  return columnarTable(file, header, cells, lines, short?.line);
}

/** 1, 10, … 1e22: every power of ten a double holds exactly (read from text, which rounds correctly). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * The number spelled by text[start, end) when it is a plain decimal
 * (as parseScalar accepts: no spaces, sign, digits, point, exponent) of at
 * most 15 digits with a small exponent; NaN when it is anything else, for
 * parseScalar to decide. Such a number is an integer below 2^53 times or
 * divided by an exact power of ten, so one rounding gives exactly what
 * Number() gives, without making a string.
 */
function plainNumber(text: string, start: number, end: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === 45; // -
  if (negative || c === 43) c = text.charCodeAt(++i); // + or -
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  for (; i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i), digits++) mantissa = mantissa * 10 + (c - 48);
  if (i < end && c === 46) {
    // .
    for (c = text.charCodeAt(++i); i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i), digits++, scale--) mantissa = mantissa * 10 + (c - 48);
  }
  if (digits === 0 || digits > 15) return NaN;
  if (i < end && (c === 101 || c === 69)) {
    // e or E
    c = text.charCodeAt(++i);
    const negativeExponent = c === 45;
    if (negativeExponent || c === 43) c = text.charCodeAt(++i);
    let exponent = 0;
    let exponentDigits = 0;
    for (; i < end && c >= 48 && c <= 57; c = text.charCodeAt(++i), exponentDigits++) exponent = exponent * 10 + (c - 48);
    if (exponentDigits === 0 || exponentDigits > 3) return NaN;
    scale += negativeExponent ? -exponent : exponent;
  }
  if (i !== end || scale < -22 || scale > 22) return NaN;
  const value = scale < 0 ? mantissa / EXACT_POWERS_OF_TEN[-scale] : mantissa * EXACT_POWERS_OF_TEN[scale];
  return negative ? -value : value;
}

function checkHeader(file: string, header: string[], line = 1): void {
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new DataError(file, line, `column ${i + 1} has no name in the header`);
    if (seen.has(h)) throw new DataError(file, line, `column name "${h}" appears twice in the header`);
    seen.add(h);
  });
}

/** CSV through Papa Parse, for files whose quoting the scanner above leaves to it. */
function parseCsvWithPapa(file: string, text: string): Table {
  const result = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  // A failed delimiter guess falls back to ","; field-count problems are reported per row below.
  const fatal = result.errors.find((e) => e.type === 'Quotes');
  if (fatal) throw new DataError(file, (fatal.row ?? 0) + 2, `${fatal.message.toLowerCase()}`);
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
