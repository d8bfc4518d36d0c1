import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkConfigText, checkConfigValue, pathToString } from '../../src/core/configCheck';
import type { ConfigDiagnostic } from '../../src/core/configCheck';
import type { DataProbe } from '../../src/core/configRules';
import { TASKS } from '../../src/core/types';

/** The schema's words for a task it does not know: every task, in TASKS' order (the schema's enum is held to TASKS). */
const TASK_ONE_OF = `task: must be one of ${TASKS.map((t) => `"${t}"`).join(', ')}`;

const probe: DataProbe = { refusal: () => undefined, where: (p) => `/w/${p}`, kind: () => 'file', columns: () => ['x1', 'x2', 'y'] };
const base = { name: 't', task: 'regression', data: { source: 'd.csv', features: ['x1', 'x2'], target: 'y' }, model: { layers: [{ type: 'dense', units: 1 }] }, training: { epochs: 2 } };

type Row = [ConfigDiagnostic['severity'], string, string, number, number, number, number, number, number];
const rows = (text: string): Row[] => checkConfigText(text, probe).diagnostics.map((d) => [d.severity, d.message, d.path, d.offset, d.length, d.line, d.column, d.endLine, d.endColumn]);
const messages = (config: unknown): string[] => checkConfigText(JSON.stringify(config), probe).diagnostics.map((d) => d.message);

test('a valid config comes back typed, with no diagnostics', () => {
  const r = checkConfigText(JSON.stringify(base, null, 2), probe);
  assert.deepEqual(r.diagnostics, []);
  // jsonc-parser's values have no prototype: compare as plain JSON
  assert.deepEqual(JSON.parse(JSON.stringify(r.config)), base);
  assert.deepEqual(checkConfigValue(base, probe), []);
});

test('JSON syntax errors: the problem in words, at its line and column', () => {
  assert.deepEqual(rows(''), [['error', 'JSON syntax: value expected', '(syntax)', 0, 1, 0, 0, 0, 1]]);
  assert.deepEqual(rows('   '), [['error', 'JSON syntax: value expected', '(syntax)', 3, 1, 0, 3, 0, 4]]);
  assert.deepEqual(rows('{\n  "name": "t"\n  "task": 1\n}'), [['error', 'JSON syntax: "," expected', '(syntax)', 18, 6, 2, 2, 2, 8]]);
  assert.deepEqual(rows('{ "name": "t'), [
    ['error', 'JSON syntax: unterminated string', '(syntax)', 10, 2, 0, 10, 0, 12],
    ['error', 'JSON syntax: "}" expected', '(syntax)', 12, 1, 0, 12, 0, 13],
  ]);
  assert.deepEqual(rows('{ /* x').map((r) => r[1]), ['JSON syntax: unterminated comment', 'JSON syntax: "}" expected']);
  assert.deepEqual(rows('{} x').map((r) => r[1]), ['JSON syntax: unexpected character']);
  assert.deepEqual(rows('{ "a": 01 }').map((r) => r[1]), ['JSON syntax: "," expected', 'JSON syntax: property name expected', 'JSON syntax: value expected']);
  assert.equal(checkConfigText('{ "name": ', probe).config, undefined);
});

test('schema errors in words, at the value (an object or array at its first character)', () => {
  assert.deepEqual(rows('[]'), [['error', 'must be an object', '(root)', 0, 1, 0, 0, 0, 1]]);
  assert.deepEqual(messages({ ...base, training: { epochs: 1.5 } }), ['training.epochs: must be a whole number']);
  assert.deepEqual(messages({ ...base, training: { epochs: 0 } }), ['training.epochs: must be >= 1']);
  assert.deepEqual(messages({ ...base, name: 5 }), ['name: must be a string']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, features: 'x1' } }), ['data.features: must be an array']);
  assert.deepEqual(messages({ ...base, task: 'clustering' }), [TASK_ONE_OF]);
  assert.deepEqual(messages({ ...base, model: { layers: [] } }), ['model.layers: must have at least 1 item']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, features: ['x1', 'x1'] } }), ['data.features: items 1 and 0 are the same']);
  assert.deepEqual(messages({ ...base, name: 'x'.repeat(300) }), ['name: must be at most 100 characters']);
  assert.deepEqual(messages({ ...base, name: '-bad' }), ['name: may contain only letters, digits, spaces, ".", "_" and "-", starting with a letter or digit']);
  assert.deepEqual(messages({ ...base, name: '' }), ['name: must not be empty', 'name: may contain only letters, digits, spaces, ".", "_" and "-", starting with a letter or digit']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, preprocess: [{}] } }), ['data.preprocess[0]: each step must name exactly one operation (standardize, minMax, oneHot or fillMissing)']);
  assert.deepEqual(messages({ name: 't' }), ['missing required property "task"', 'missing required property "data"', 'missing required property "model"', 'missing required property "training"']);
  const t = JSON.stringify({ ...base, training: 5 });
  assert.deepEqual(rows(t), [['error', 'training: must be an object', 'training', t.indexOf('"training":5') + 11, 1, 0, t.indexOf('"training":5') + 11, 0, t.indexOf('"training":5') + 12]]);
  const e = JSON.stringify({ ...base, task: 'clustering' });
  assert.deepEqual(rows(e)[0].slice(2), ['task', e.indexOf('"clustering"'), 12, 0, e.indexOf('"clustering"'), 0, e.indexOf('"clustering"') + 12]);
  const l = JSON.stringify({ ...base, model: { layers: [] } });
  assert.deepEqual(rows(l)[0].slice(3, 5), [l.indexOf('[]'), 1]);
});

test('an unknown property is underlined at its key, with the closest allowed name where it stands', () => {
  const root = JSON.stringify({ ...base, nmae: 'x' });
  assert.deepEqual(rows(root), [['error', 'unknown property "nmae" — did you mean "name"?', 'nmae', root.indexOf('"nmae"'), 6, 0, root.indexOf('"nmae"'), 0, root.indexOf('"nmae"') + 6]]);
  assert.deepEqual(messages({ ...base, data: { ...base.data, split: { validaton: 0.1 } } }), ['unknown property "validaton" — did you mean "validation"?']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, tokenizer: { tpye: 'word' } } }), ['unknown property "tpye" — did you mean "type"?']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, preprocess: [{ standardise: 'features' }] } }), ['unknown property "standardise" — did you mean "standardize"?']);
  assert.deepEqual(messages({ ...base, data: { ...base.data, preprocess: [{ fillMissing: { strategi: 'mean' } }] } }), [
    'data.preprocess[0].fillMissing: missing required property "strategy"',
    'unknown property "strategi" — did you mean "strategy"?',
  ]);
  assert.deepEqual(messages({ ...base, training: { optimizer: { learningrate: 0.1 } } }), [
    'training.optimizer: missing required property "type"',
    'unknown property "learningrate" — did you mean "learningRate"?',
  ]);
  // a layer's allowed properties depend on its type
  assert.deepEqual(messages({ ...base, model: { layers: [{ type: 'dense', unit: 1 }] } }), ['model.layers[0]: missing required property "units"', 'unknown property "unit" — did you mean "units"?']);
  assert.deepEqual(messages({ ...base, model: { layers: [{ type: 'dense', units: 1, rate: 0.5 }] } }), ['unknown property "rate" — did you mean "name"?']);
  assert.deepEqual(checkConfigText(JSON.stringify({ ...base, nmae: 'x' }), probe).diagnostics.map((d) => d.path), ['nmae']);
});

test('semantic problems on later lines: line and column are 0-based within the text', () => {
  const text = '{\n  "name": "t",\n  "task": "regression",\n  "data": {\n    "source": "d.csv",\n    "features": ["x1", "zz"],\n    "target": "y"\n  },\n  "model": { "layers": [{ "type": "dense", "units": 1 }] },\n  "training": {}\n}';
  const [d] = checkConfigText(text, probe).diagnostics;
  assert.equal(d.path, 'data.features[1]');
  assert.equal(d.offset, text.indexOf('"zz"'));
  assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [5, 23, 5, 27]);
  assert.match(d.message, /^unknown column "zz"/);
});

test('checkConfigValue: the same checks on a value without text (no ranges)', () => {
  const d = checkConfigValue({ ...base, task: 'x' }, probe);
  assert.deepEqual(d.map((x) => [x.message, x.path, x.offset, x.length, x.line, x.column]), [[TASK_ONE_OF, 'task', 0, 0, 0, 0]]);
});

test('pathToString', () => {
  assert.equal(pathToString([]), '(root)');
  assert.equal(pathToString(['a', 0, 'b', 2]), 'a[0].b[2]');
  assert.equal(pathToString([0, 'x']), '[0].x');
  assert.equal(pathToString(['data', 'features']), 'data.features');
});

test('warnings alone keep the config; any error drops it', () => {
  const warned = checkConfigText(JSON.stringify({ ...base, data: { ...base.data, tokenizer: { type: 'word' } } }), probe);
  assert.deepEqual(warned.diagnostics.map((d) => d.severity), ['warning']);
  assert.ok(warned.config);
  const wrong = checkConfigText(JSON.stringify({ ...base, data: { ...base.data, target: 'nope' } }), probe);
  assert.deepEqual(wrong.diagnostics.map((d) => d.severity), ['error']);
  assert.equal(wrong.config, undefined);
});

test('an object value is underlined at its key; a position at the start of a line is column 0 there', () => {
  const text = JSON.stringify({ ...base, training: { optimizer: { learningRate: 0.1 } } });
  const [d] = checkConfigText(text, probe).diagnostics;
  assert.equal(d.message, 'training.optimizer: missing required property "type"');
  assert.deepEqual([d.offset, d.length], [text.indexOf('"optimizer"'), '"optimizer"'.length]);
  const lines = '{\n"nmae": "x",\n"name": "t", "task": "regression", "data": { "source": "d.csv", "features": ["x1"], "target": "y" }, "model": { "layers": [{ "type": "dense", "units": 1 }] }, "training": {}\n}';
  const [u] = checkConfigText(lines, probe).diagnostics;
  assert.deepEqual([u.line, u.column, u.endLine, u.endColumn], [1, 0, 1, 6]);
});

test('each JSON syntax error in words (an unnamed one by its code)', () => {
  const said = (text: string) => checkConfigText(text, probe).diagnostics.map((d) => d.message.replace('JSON syntax: ', ''));
  assert.deepEqual(said('{"a" 1}'), ['":" expected']);
  assert.deepEqual(said('{"a": [1 }'), ['"," expected', 'value expected', '"]" expected', '"}" expected']);
  assert.deepEqual(said('{"a": "\\q"}'), ['invalid escape character']);
  assert.deepEqual(said('{"a": "\\u12"}'), ['invalid unicode escape']);
  assert.deepEqual(said('{"a": "x\u0001"}'), ['invalid character']);
  assert.deepEqual(said('{"a": 1e}'), ['UnexpectedEndOfNumber']);
  assert.deepEqual(said('{"a": 1,, "b": 2}'), ['property name expected', 'value expected']);
});

test("the schema's task list is TASKS, each task with its description (one source: src/core/types.ts)", () => {
  const schema = JSON.parse(readFileSync(join(__dirname, '../../schema/experiment.schema.json'), 'utf8')) as {
    properties: { task: { enum: string[]; markdownEnumDescriptions: string[] } };
  };
  assert.deepEqual(schema.properties.task.enum, [...TASKS]);
  assert.equal(schema.properties.task.markdownEnumDescriptions.length, TASKS.length);
});
