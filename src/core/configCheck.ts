// Checking an experiment config's text: JSONC syntax, the JSON schema (the
// same file VS Code uses for completion), the semantic rules (configRules/)
// and the sweep section. Every problem carries an exact range in the text.
// Pure: the data files are looked at through the DataProbe the caller gives
// (node/configValidation.ts gives one that reads the disk).

import type { ErrorObject } from 'ajv';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import schema from '../../schema/experiment.schema.json';
import { checkConfigRules, checkDataFilesDespiteSchema, didYouMean } from './configRules';
import type { DataProbe } from './configRules';
import { validateSchema } from './schemaValidator';
import { checkSweepSection } from './sweepValidation';
import type { ExperimentConfig } from './types';
import type { ConfigFix } from './configFixes';

export interface ConfigDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Where in the config, e.g. `data.features[2]`. */
  path: string;
  offset: number;
  length: number;
  /** 0-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** A quick fix the editor offers for it. */
  fix?: ConfigFix;
}

export interface ValidationResult {
  /** Set when there are no errors (warnings allowed). */
  config?: ExperimentConfig;
  diagnostics: ConfigDiagnostic[];
}

type Segment = string | number;

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
}

export function pathToString(path: Segment[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '(root)';
}

class Reporter {
  readonly diagnostics: ConfigDiagnostic[] = [];
  private readonly lines: LineIndex;
  constructor(
    text: string,
    private readonly root: JsonNode | undefined,
  ) {
    this.lines = new LineIndex(text);
  }

  at(offset: number, length: number, severity: ConfigDiagnostic['severity'], path: string, message: string, fix?: ConfigFix): void {
    const start = this.lines.position(offset);
    const end = this.lines.position(offset + length);
    this.diagnostics.push({ severity, message, path, offset, length, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, ...(fix ? { fix } : {}) });
  }

  /** Reports at the value node of `path` (or its nearest existing parent). */
  node(path: Segment[], severity: ConfigDiagnostic['severity'], message: string, keyOnly = false, fix?: ConfigFix): void {
    let p = path.slice();
    let n: JsonNode | undefined;
    while (this.root && !(n = findNodeAtLocation(this.root, p)) && p.length > 0) p = p.slice(0, -1);
    n ??= this.root;
    if (!n) return this.at(0, 0, severity, pathToString(path), message, fix);
    // For a property of an object, underline the key: the value may span many lines.
    if (keyOnly || (n.type === 'object' && n.parent?.type === 'property')) {
      const key = n.parent?.type === 'property' ? n.parent.children?.[0] : undefined;
      if (key) return this.at(key.offset, key.length, severity, pathToString(path), message, fix);
      return this.at(n.offset, 1, severity, pathToString(path), message, fix);
    }
    if (n.type === 'object' || n.type === 'array') return this.at(n.offset, 1, severity, pathToString(path), message, fix);
    this.at(n.offset, n.length, severity, pathToString(path), message, fix);
  }
}

function instancePathSegments(instancePath: string, root: unknown): Segment[] {
  if (!instancePath) return [];
  const out: Segment[] = [];
  let cur: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** Property names the schema allows at an instance path (for "did you mean"). */
function allowedProperties(path: Segment[], value: unknown): string[] {
  const s = schema as unknown as Record<string, any>;
  const props = (o: any): string[] => (o && o.properties ? Object.keys(o.properties).filter((k) => k !== '$schema') : []);
  if (path.length === 0) return props(s);
  const [a, b, c] = path;
  if (path.length === 1) return props(s.properties[a as string]);
  if (a === 'data' && (b === 'split' || b === 'tokenizer' || b === 'image') && path.length === 2) return props(s.properties.data.properties[b]);
  if (a === 'data' && b === 'image' && c === 'augment' && path.length === 3) return props(s.properties.data.properties.image.properties.augment);
  if (a === 'data' && b === 'preprocess' && path.length === 3) return props(s.properties.data.properties.preprocess.items);
  if (a === 'data' && b === 'preprocess' && path.length === 4) return ['strategy', 'value', 'columns'];
  if (a === 'training' && path.length === 2) return props(s.properties.training.properties[b as string]);
  if (a === 'model' && b === 'layers' && typeof c === 'number') {
    const type = (value as { type?: string } | undefined)?.type;
    for (const branch of s.definitions.layer.allOf) {
      const t = branch.if.properties.type;
      if (t.const === type || (Array.isArray(t.enum) && t.enum.includes(type))) return props(branch.then);
    }
  }
  return [];
}

function describeSchemaError(e: ErrorObject): string | undefined {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'if':
    case 'anyOf':
      return undefined; // the specific errors of the branches say more
    case 'required':
      return `missing required property "${p.missingProperty}"`;
    case 'type':
      return `must be ${p.type === 'integer' ? 'a whole number' : `${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${p.type}`}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${p.comparison} ${p.limit}`;
    case 'minItems':
      return `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'uniqueItems':
      return `items ${p.j} and ${p.i} are the same`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'pattern':
      return 'may contain only letters, digits, spaces, ".", "_" and "-", starting with a letter or digit';
    case 'minProperties':
    case 'maxProperties':
      return 'each step must name exactly one operation (standardize, minMax, oneHot or fillMissing)';
    default:
      return e.message;
  }
}

export function checkConfigText(text: string, probe: DataProbe): ValidationResult {
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  const r = new Reporter(text, root);
  for (const pe of parseErrors) r.at(pe.offset, Math.max(pe.length, 1), 'error', '(syntax)', `JSON syntax: ${humanParseError(printParseErrorCode(pe.error))}`);
  if (!root || parseErrors.length > 0) {
    if (!root && parseErrors.length === 0) r.at(0, 0, 'error', '(root)', 'the file is empty; an experiment config is a JSON object');
    return { diagnostics: r.diagnostics };
  }
  const value = getNodeValue(root) as unknown;
  const config = checkValue(value, probe, r);
  if (!config) return { diagnostics: r.diagnostics };
  if (config.sweep) {
    checkSweepSection(config, (v) => checkConfigValue(v, probe), (path, severity, message, keyOnly) => r.node(path, severity, message, keyOnly));
  }
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  return { config: hasError ? undefined : config, diagnostics: r.diagnostics };
}

/**
 * Checks a config that has no text of its own (a sweep point: the file's
 * config with some values replaced). The diagnostics carry paths, not ranges.
 */
export function checkConfigValue(value: unknown, probe: DataProbe): ConfigDiagnostic[] {
  const r = new Reporter('', undefined);
  checkValue(value, probe, r);
  return r.diagnostics;
}

/** Schema, then semantic checks; the typed config when it matches the schema. */
function checkValue(value: unknown, probe: DataProbe, r: Reporter): ExperimentConfig | undefined {
  if (!validateSchema(value)) {
    const seen = new Set<string>();
    for (const e of validateSchema.errors ?? []) {
      const path = instancePathSegments(e.instancePath, value);
      if (e.keyword === 'additionalProperties') {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        const parentValue = path.reduce<any>((o, k) => (o == null ? o : o[k]), value);
        const suggestion = didYouMean(extra, allowedProperties(path, parentValue));
        const key = `${e.instancePath}|extra|${extra}`;
        if (seen.has(key)) continue;
        seen.add(key);
        r.node([...path, extra], 'error', `unknown property "${extra}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, true);
        continue;
      }
      const message = describeSchemaError(e);
      if (!message) continue;
      const key = `${e.instancePath}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = pathToString(path);
      r.node(path, 'error', where === '(root)' ? message : `${where}: ${message}`);
    }
    // Specific errors inside an anyOf can be absent (e.g. a wrong type); make sure something is said.
    if (r.diagnostics.length === 0) r.at(0, 1, 'error', '(root)', 'the config does not match the experiment schema');
    // Every problem at once: a missing data file is knowable without a valid model section.
    checkDataFilesDespiteSchema(value, probe, (path, severity, message, keyOnly, fix) => r.node(path, severity, message, keyOnly, fix));
    return undefined;
  }
  const config = value as unknown as ExperimentConfig;
  checkConfigRules(config, probe, (path, severity, message, keyOnly, fix) => r.node(path, severity, message, keyOnly, fix));
  return config;
}

function humanParseError(code: string): string {
  const map: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'property name expected',
    ValueExpected: 'value expected',
    ColonExpected: '":" expected',
    CommaExpected: '"," expected',
    CloseBraceExpected: '"}" expected',
    CloseBracketExpected: '"]" expected',
    EndOfFileExpected: 'unexpected text after the end of the object',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfComment: 'unterminated comment',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character',
  };
  return map[code] ?? code;
}
