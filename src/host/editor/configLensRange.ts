// Where the CodeLenses of an experiment config sit: on the root object's
// "name" key when there is one, else on the first `{`, else at the start.

import { parseTree } from 'jsonc-parser';

export interface TextSpan {
  offset: number;
  length: number;
}

export function configLensSpan(text: string): TextSpan {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (root?.type === 'object') {
    for (const property of root.children ?? []) {
      const key = property.children?.[0];
      if (key?.value === 'name') return { offset: key.offset, length: key.length };
    }
    return { offset: root.offset, length: 1 };
  }
  const brace = firstBraceOutsideComments(text);
  return brace >= 0 ? { offset: brace, length: 1 } : { offset: 0, length: 0 };
}

/** The first `{` that is not inside a comment (the file may be too broken to parse). */
function firstBraceOutsideComments(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      if (end < 0) return -1;
      i = end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 1;
    } else if (c === '{') {
      return i;
    }
  }
  return -1;
}
