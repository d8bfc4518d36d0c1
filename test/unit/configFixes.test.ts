// A tabular classifier whose last layer is a hidden one: the problem says what is missing (an
// output layer with one unit per class, and how many classes the data has, with softmax) and
// offers it as a quick fix; the fix's edit inserts exactly that layer, keeping comments and
// layout, and the config then validates.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyEdits } from 'jsonc-parser';
import { addOutputLayerFix, configFixEdits } from '../../src/core/configFixes';
import { checkConfigText } from '../../src/core/configCheck';
import type { DataProbe } from '../../src/core/configRules';
import { validateConfigText } from '../../src/node/configValidation';
import { lcg, tempDir, writeFiles } from '../helpers/fixtures';

/** Three species, 20 rows each, in a shuffled order; "10" sorts after "9" as a number would. */
function irisCsv(): string {
  const r = lcg(3);
  const rows = ['sepal,petal,species'];
  for (let i = 0; i < 60; i++) rows.push(`${(4 + r() * 3).toFixed(2)},${(1 + r() * 5).toFixed(2)},${['setosa', 'versicolor', 'virginica'][i % 3]}`);
  return rows.join('\n') + '\n';
}

const HIDDEN_LAST = `{
  "name": "iris",
  "task": "classification",
  "data": { "source": "iris.csv", "features": ["sepal", "petal"], "target": "species" },
  "model": {
    // two hidden layers, and no output layer yet
    "layers": [
      { "type": "dense", "units": 32, "activation": "relu" },
      { "type": "dense", "units": 32, "activation": "relu" } // the last hidden layer
    ]
  },
  "training": { "epochs": 5 }
}
`;

function workspace(config: string): string {
  const dir = tempDir('modellab-fix-');
  writeFiles(dir, { 'iris.csv': irisCsv(), 'iris.experiment.json': config });
  return join(dir, 'iris.experiment.json');
}

test('the last layer a hidden one: the error names what is missing and the data\'s class count, on that layer, with the fix', () => {
  const path = workspace(HIDDEN_LAST);
  const errors = validateConfigText(HIDDEN_LAST, path).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, errors.map((d) => d.message).join('\n'));
  const [d] = errors;
  assert.equal(d.path, 'model.layers[1]');
  assert.equal(
    d.message,
    'the last layer (dense 32 relu) is a hidden layer: a classifier needs an output layer after it, with one unit per class and "activation": "softmax" — the data has 3 classes (setosa, versicolor, virginica): add { "type": "dense", "units": 3, "activation": "softmax" }',
  );
  assert.deepEqual(d.fix, addOutputLayerFix(3));
});

test('the quick fix inserts the output layer after the last one, comments and layout kept, and the config then validates', () => {
  const path = workspace(HIDDEN_LAST);
  const fix = validateConfigText(HIDDEN_LAST, path).diagnostics.find((d) => d.fix)!.fix!;
  const fixed = applyEdits(HIDDEN_LAST, configFixEdits(HIDDEN_LAST, fix)!);
  assert.equal(
    fixed,
    HIDDEN_LAST.replace(
      '      { "type": "dense", "units": 32, "activation": "relu" } // the last hidden layer\n',
      '      { "type": "dense", "units": 32, "activation": "relu" }, // the last hidden layer\n      { "type": "dense", "units": 3, "activation": "softmax" }\n',
    ),
  );
  const after = validateConfigText(fixed, path);
  assert.deepEqual(after.diagnostics, []);
  assert.deepEqual(JSON.parse(JSON.stringify((after.config?.model as { layers?: unknown } | undefined)?.layers)), [
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ]);
});

test('the fix follows the array\'s own layout: one line, a trailing comma, CRLF line ends, an empty array', () => {
  const fix = addOutputLayerFix(4);
  const apply = (text: string) => applyEdits(text, configFixEdits(text, fix)!);
  assert.equal(apply('{"model":{"layers":[{"type":"dense","units":8}]}}'), '{"model":{"layers":[{"type":"dense","units":8}, { "type": "dense", "units": 4, "activation": "softmax" }]}}');
  assert.equal(
    apply('{\n  "model": { "layers": [\n    { "type": "dense", "units": 8 },\n  ] }\n}'),
    '{\n  "model": { "layers": [\n    { "type": "dense", "units": 8 },\n    { "type": "dense", "units": 4, "activation": "softmax" }\n  ] }\n}',
  );
  assert.equal(
    apply('{\r\n\t"model": { "layers": [\r\n\t\t{ "type": "dense", "units": 8 }\r\n\t] }\r\n}'),
    '{\r\n\t"model": { "layers": [\r\n\t\t{ "type": "dense", "units": 8 },\r\n\t\t{ "type": "dense", "units": 4, "activation": "softmax" }\r\n\t] }\r\n}',
  );
  assert.equal(apply('{"model":{"layers":[]}}'), '{"model":{"layers":[{ "type": "dense", "units": 4, "activation": "softmax" }]}}');
  // The array gone since the problem was found: no edit.
  assert.equal(configFixEdits('{"model":{}}', fix), undefined);
});

test('an output layer with one unit per class but no softmax is told to add softmax (not a new layer); unknown classes: no fix', () => {
  const path = workspace(HIDDEN_LAST);
  const threeRelu = HIDDEN_LAST.replace('{ "type": "dense", "units": 32, "activation": "relu" } // the last', '{ "type": "dense", "units": 3, "activation": "relu" } // the last');
  const [d] = validateConfigText(threeRelu, path).diagnostics.filter((x) => x.severity === 'error');
  assert.equal(d.message, 'a classifier with several output units needs "activation": "softmax" on the last layer (its 3 units score the 3 classes)');
  assert.equal(d.fix, undefined);
  // A probe that cannot count classes: the message still names the missing layer, with no fix to offer.
  const probe: DataProbe = { refusal: () => undefined, where: (p) => p, kind: () => 'file', columns: () => ['sepal', 'petal', 'species'] };
  const [e] = checkConfigText(HIDDEN_LAST, probe).diagnostics.filter((x) => x.severity === 'error');
  assert.match(e.message, /^the last layer \(dense 32 relu\) is a hidden layer: .*add \{ "type": "dense", "units": <the number of classes of "species">, "activation": "softmax" \}$/);
  assert.equal(e.fix, undefined);
});
