// Where a config holds its optimizer's learning rate, and the edit that writes
// a new one: jsonc-parser's modify, so comments, formatting and every other
// value stay as they are (the editor applies it as one undoable WorkspaceEdit).

import { findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import type { Edit, FormattingOptions } from 'jsonc-parser';

export const LEARNING_RATE_PATH = ['training', 'optimizer', 'learningRate'] as const;

/** The span the Find Learning Rate lens sits on: `learningRate`'s key, else the optimizer's; undefined when the config has neither. */
export function learningRateSpan(text: string): { offset: number; length: number } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root) return undefined;
  for (const path of [LEARNING_RATE_PATH, LEARNING_RATE_PATH.slice(0, 2)]) {
    const key = findNodeAtLocation(root, [...path])?.parent?.children?.[0];
    if (key) return { offset: key.offset, length: key.length };
  }
  return undefined;
}

/** The indentation the text uses (its first indented line), for a property modify has to insert. */
function formattingOf(text: string): FormattingOptions {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: indent.length, eol };
}

/** The edits that set training.optimizer.learningRate to `lr` (replacing the value, or adding the property). */
export function learningRateEdits(text: string, lr: number): Edit[] {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`a learning rate must be a positive number, not ${lr}`);
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root || root.type !== 'object') throw new Error('the config is not a JSON object');
  if (!findNodeAtLocation(root, ['training', 'optimizer'])) throw new Error('the config has no training.optimizer to set the learning rate of');
  return modify(text, [...LEARNING_RATE_PATH], lr, { formattingOptions: formattingOf(text) });
}

/** The text after the edits (what the editor's WorkspaceEdit leaves on disk once saved). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.content + out.slice(e.offset + e.length);
  return out;
}
