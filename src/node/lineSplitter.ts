// Turns a stream of text chunks into whole lines (a chunk can end mid-line).

export class LineSplitter {
  private partial = '';

  /** Returns the lines completed by this chunk, without their line breaks. */
  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** Returns what is left after the last line break, if anything. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}
