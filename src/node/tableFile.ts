// Reading data files from disk: a size-limited snapshot of the bytes, checked
// to be text, then parsed by core (tableText.ts).

import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { DataError, formatOf } from '../core/table';
import type { Table } from '../core/table';
import { columnsFromHead, parseTableText } from '../core/tableText';

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

export function describeBytes(n: number): string {
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
  return parseTableText(file, readText(file), declaredFormat);
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
  return columnsFromHead(file, head, format);
}
