// A table of cells read from a data file (CSV, JSON, JSONL): the types every
// layer shares, and cell access that never builds row objects it does not need.
// Pure: parsing text is in tableText.ts, reading files in src/node/tableFile.ts.

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
  const ext = /\.[^./\\]*$/.exec(file)?.[0].toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

/** CSV cells arrive as text: numbers become numbers, empty cells become null. */
export function parseScalar(s: string): Cell {
  const t = s.trim();
  if (t === '' || t === 'NA' || t === 'NaN' || t === 'null') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return s;
}

export function checkHeader(file: string, header: string[], line = 1): void {
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new DataError(file, line, `column ${i + 1} has no name in the header`);
    if (seen.has(h)) throw new DataError(file, line, `column name "${h}" appears twice in the header`);
    seen.add(h);
  });
}
