// Which text of the open file the attention view sends to the model: the
// selection if there is one, else whole lines around the cursor, about as many
// as fit in the token budget. The child tokenizes from the start of the text
// and stops at the budget, so the window starts a little above the cursor and
// grows downwards first. Pure (no vscode), unit-tested.

export interface TextWindow {
  text: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  selection: boolean;
}

const HAN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;

/**
 * A rough token count: for a character tokenizer every character; for a word
 * tokenizer every word, every punctuation mark and every CJK character.
 */
export function estimateTokens(text: string, charLevel: boolean): number {
  if (charLevel) return [...text].length;
  let n = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}_'’]+|[^\s\p{L}\p{N}_]/gu)) {
    const piece = m[0];
    if (HAN.test(piece)) {
      for (const ch of piece) n += HAN.test(ch) ? 1 : 0;
      if (/[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u.test(piece)) n += 1;
    } else {
      n += 1;
    }
  }
  return n;
}

/**
 * Lines around `cursorLine` (0-based) whose estimated tokens fit `maxTokens`:
 * the cursor's line, then up to a quarter of the budget above it, then lines
 * below, then more above if the file ends first.
 */
export function windowAroundCursor(lines: readonly string[], cursorLine: number, maxTokens: number, charLevel: boolean): TextWindow {
  if (lines.length === 0) return { text: '', startLine: 1, endLine: 1, selection: false };
  const cursor = Math.max(0, Math.min(lines.length - 1, cursorLine));
  const cost = (i: number) => estimateTokens(lines[i], charLevel) + (charLevel ? 1 : 0);
  let start = cursor;
  let end = cursor;
  let used = cost(cursor);
  const above = Math.floor(maxTokens / 4);
  let aboveUsed = 0;
  while (start > 0 && aboveUsed + cost(start - 1) <= above && used + cost(start - 1) <= maxTokens) {
    aboveUsed += cost(start - 1);
    used += cost(--start);
  }
  while (end < lines.length - 1 && used + cost(end + 1) <= maxTokens) used += cost(++end);
  while (start > 0 && used + cost(start - 1) <= maxTokens) used += cost(--start);
  return { text: lines.slice(start, end + 1).join('\n'), startLine: start + 1, endLine: end + 1, selection: false };
}
