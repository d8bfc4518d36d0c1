// Quick fixes the config rules offer with a problem, and the text edits that make them:
// pure, so the editor's code action and the tests share one answer. An edit only inserts
// text — the comments, the layout and the rest of the file are left as they are.

import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { Node as JsonNode } from 'jsonc-parser';
import type { PathSegment } from './sweep';

/** A classifier whose last layer is a hidden one: the dense softmax output layer it lacks, appended to `model.layers`. */
export interface AddOutputLayerFix {
  kind: 'addOutputLayer';
  /** One unit per class: the number of classes the data holds. */
  units: number;
  /** The array the layer is appended to. */
  path: PathSegment[];
  layer: { type: 'dense'; units: number; activation: 'softmax' };
}

/** A property an object lacks, inserted with its value (an image base's channels, where the config left them to the default). */
export interface AddPropertyFix {
  kind: 'addProperty';
  /** The object the property goes into. */
  path: PathSegment[];
  key: string;
  value: string | number | boolean;
}

export type ConfigFix = AddOutputLayerFix | AddPropertyFix;

/** An insertion or replacement in the text, as jsonc-parser's `Edit` and VS Code's TextEdit take it. */
export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

export function addOutputLayerFix(units: number): AddOutputLayerFix {
  return { kind: 'addOutputLayer', units, path: ['model', 'layers'], layer: { type: 'dense', units, activation: 'softmax' } };
}

export function addPropertyFix(path: PathSegment[], key: string, value: AddPropertyFix['value']): AddPropertyFix {
  return { kind: 'addProperty', path, key, value };
}

/** `{ "type": "dense", "units": 3 }`: one line, a space inside the braces and after each colon and comma. */
function oneLine(value: Record<string, unknown>): string {
  return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
}

/** The whitespace that starts the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * The edits that append the fix's layer to its array (or its property to its object), written the
 * way the last element is: on a line of its own, at its indentation, when that element has a line
 * to itself (a comment after it stays on its line), else on the same line after a comma. Undefined
 * when the array or object is not in the text, or already has the property (the config changed
 * since the problem was found).
 */
export function configFixEdits(text: string, fix: ConfigFix): TextEdit[] | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const container: JsonNode | undefined = root && findNodeAtLocation(root, fix.path);
  if (fix.kind === 'addOutputLayer') return container?.type === 'array' ? appendLast(text, container, oneLine(fix.layer)) : undefined;
  if (container?.type !== 'object' || (container.children ?? []).some((p) => p.children?.[0]?.value === fix.key)) return undefined;
  return appendLast(text, container, `${JSON.stringify(fix.key)}: ${JSON.stringify(fix.value)}`);
}

/** Appends `value` (an element, or a property) after the last child of an array or object node. */
function appendLast(text: string, array: JsonNode, value: string): TextEdit[] {
  const elements = array.children ?? [];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const last = elements[elements.length - 1];
  if (!last) {
    // An empty array or object: the value goes inside its brackets.
    return [{ offset: array.offset + 1, length: 0, content: value }];
  }
  const end = last.offset + last.length;
  const lineEnd = text.indexOf('\n', end) < 0 ? text.length : text.indexOf('\n', end);
  const restOfLine = text.slice(end, lineEnd).replace(/\r$/, '');
  // A trailing comma already there (allowed in JSONC) is kept and used.
  const comma = /^\s*,/.exec(restOfLine);
  const afterComma = comma ? restOfLine.slice(comma[0].length) : restOfLine;
  // Before the last element: its opening bracket or brace, a comma, or a line comment of its own (an object's keys often have one above them).
  const before = text.slice(0, last.offset).trimEnd();
  const opensItsLine = /[[{,]$/.test(before) || /(^|\n)[ \t]*\/\/[^\n]*$/.test(before);
  const onItsOwnLine = /^\s*(\/\/.*|\/\*.*\*\/\s*)?$/.test(afterComma) && opensItsLine && /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', last.offset - 1) + 1, last.offset));
  if (onItsOwnLine) {
    const lineEndNoCr = text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
    const edits: TextEdit[] = [];
    if (!comma) edits.push({ offset: end, length: 0, content: ',' });
    edits.push({ offset: lineEndNoCr, length: 0, content: `${eol}${indentAt(text, last.offset)}${value}` });
    return edits;
  }
  return [{ offset: comma ? end + comma[0].length : end, length: 0, content: comma ? ` ${value}` : `, ${value}` }];
}
