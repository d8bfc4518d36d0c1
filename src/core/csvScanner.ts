// The CSV scanner: one pass over the text that reads numbers straight into
// a Float64Array per numeric column, without a string per cell or a row object.

import { checkHeader, columnarTable, DataError, parseScalar } from './table';
import type { Cell, Column, Table } from './table';


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
export function scanCsv(file: string, text: string, delimiter: string, newline: string): Table | undefined {
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
