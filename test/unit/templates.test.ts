import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import { copyPlannedFiles, listTemplates, planTemplateCopy, withoutRelativeSchema } from '../../src/host/editor/templates';
import { tempDir, writeFiles } from '../helpers/fixtures';

const EXAMPLES = join(import.meta.dirname, '../../examples');

test('the bundled templates include house-prices, named and described from its config', () => {
  const templates = listTemplates(EXAMPLES);
  const house = templates.find((t) => t.id === 'house-prices');
  assert.ok(house, `templates: ${templates.map((t) => t.id).join(', ')}`);
  assert.equal(house.name, 'house-prices');
  assert.equal(house.task, 'regression');
  assert.equal(house.configFile, 'house-prices.experiment.json');
  assert.match(house.description ?? '', /house/i);
});

test('a new experiment from house-prices is a valid config with its data, in an empty folder', () => {
  const house = listTemplates(EXAMPLES).find((t) => t.id === 'house-prices')!;
  const dest = tempDir('modellab-new-');
  const plan = planTemplateCopy(house, dest);
  assert.deepEqual(plan.map((f) => f.relative).sort(), ['data/houses.csv', 'house-prices.experiment.json']);
  assert.ok(plan.every((f) => !f.exists));
  const result = copyPlannedFiles(plan, false);
  assert.equal(result.written.length, 2);
  assert.deepEqual(result.skipped, []);
  const configPath = join(dest, 'house-prices.experiment.json');
  const validation = validateConfigText(readFileSync(configPath, 'utf8'), configPath);
  assert.deepEqual(validation.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(readFileSync(join(dest, 'data/houses.csv'), 'utf8'), readFileSync(join(EXAMPLES, 'house-prices/data/houses.csv'), 'utf8'));
});

test('a copied config loses a relative "$schema" (it would not resolve there) and keeps its comments', () => {
  const text = '{\n  "$schema": "../../schema/experiment.schema.json",\n  // the name\n  "name": "x"\n}\n';
  assert.equal(withoutRelativeSchema(text), '{\n  // the name\n  "name": "x"\n}\n');
  const url = '{ "$schema": "https://example.com/s.json", "name": "x" }';
  assert.equal(withoutRelativeSchema(url), url);
  assert.equal(withoutRelativeSchema('{ "name": "x" }'), '{ "name": "x" }');
  assert.equal(withoutRelativeSchema('{ nope'), '{ nope');
  assert.equal(withoutRelativeSchema('{ "$schema": "s.json", "name": "x" }'), '{ "name": "x" }');
  assert.equal(withoutRelativeSchema('{ "name": "x", "$schema": "../s.json" }'), '{ "name": "x" }');

  const house = listTemplates(EXAMPLES).find((t) => t.id === 'house-prices')!;
  const dest = tempDir('modellab-new-');
  copyPlannedFiles(planTemplateCopy(house, dest), false);
  const copied = readFileSync(join(dest, 'house-prices.experiment.json'), 'utf8');
  assert.doesNotMatch(copied, /\$schema/);
  assert.match(copied, /\/\/ Statistics are fitted/);
});

test('existing files are reported, kept unless overwriting was chosen', () => {
  const house = listTemplates(EXAMPLES).find((t) => t.id === 'house-prices')!;
  const dest = tempDir('modellab-new-');
  writeFiles(dest, { 'data/houses.csv': 'my,own\n1,2\n' });
  const plan = planTemplateCopy(house, dest);
  assert.deepEqual(plan.filter((f) => f.exists).map((f) => f.relative), ['data/houses.csv']);

  const kept = copyPlannedFiles(plan, false);
  assert.deepEqual(kept, { written: ['house-prices.experiment.json'], skipped: ['data/houses.csv'] });
  assert.equal(readFileSync(join(dest, 'data/houses.csv'), 'utf8'), 'my,own\n1,2\n');

  const replaced = copyPlannedFiles(plan, true);
  assert.equal(replaced.written.length, 2);
  assert.notEqual(readFileSync(join(dest, 'data/houses.csv'), 'utf8'), 'my,own\n1,2\n');
});

test('folders without a config are not templates; run outputs inside a template are not copied', () => {
  const examples = tempDir('modellab-examples-');
  writeFiles(examples, {
    'notes/readme.md': '# not a template',
    'spam/spam.experiment.json': '{ "name": "spam", "task": "classification" /* comment */ }',
    'spam/data/spam.csv': 'text,label\n',
    'spam/.modellab/runs/x/meta.json': '{}',
    'broken/broken.experiment.json': '{ nope',
  });
  const templates = listTemplates(examples);
  assert.deepEqual(templates.map((t) => [t.id, t.name, t.task]), [
    ['broken', 'broken', undefined],
    ['spam', 'spam', 'classification'],
  ]);
  const plan = planTemplateCopy(templates[1]!, tempDir());
  assert.deepEqual(plan.map((f) => f.relative), ['data/spam.csv', 'spam.experiment.json']);
});

test('a missing examples folder means no templates, not an exception', () => {
  assert.deepEqual(listTemplates(join(tempDir(), 'absent')), []);
});

test('each config of a folder is a template of its own; a copy takes its config and the shared data only', () => {
  const templates = listTemplates(EXAMPLES);
  const sweep = templates.find((t) => t.id === 'house-prices/house-prices-sweep');
  assert.ok(sweep, `templates: ${templates.map((t) => t.id).join(', ')}`);
  assert.equal(sweep.name, 'house-prices-sweep');
  // the folder's main config comes first
  assert.ok(templates.findIndex((t) => t.id === 'house-prices') < templates.indexOf(sweep));
  const dest = tempDir('modellab-new-');
  const plan = planTemplateCopy(sweep, dest);
  assert.deepEqual(plan.map((f) => f.relative).sort(), ['data/houses.csv', 'house-prices-sweep.experiment.json']);
  copyPlannedFiles(plan, false);
  const configPath = join(dest, 'house-prices-sweep.experiment.json');
  const validation = validateConfigText(readFileSync(configPath, 'utf8'), configPath);
  assert.deepEqual(validation.diagnostics, []);
  assert.ok(validation.config?.sweep);

  const examples = tempDir('modellab-examples-');
  writeFiles(examples, { 'x/a.experiment.json': '{ "name": "a" }', 'x/b.experiment.json': '{ "name": "b" }', 'x/data.csv': 'q\n', 'y/only.experiment.json': '{}' });
  assert.deepEqual(listTemplates(examples).map((t) => [t.id, t.name]), [['x/a', 'a'], ['x/b', 'b'], ['y', 'y']]);
  assert.deepEqual(planTemplateCopy(listTemplates(examples)[1]!, tempDir()).map((f) => f.relative), ['b.experiment.json', 'data.csv']);
});

test('a template that was trained (its exported model and runs beside it) copies only the config and its data', () => {
  const examples = tempDir('modellab-examples-');
  writeFiles(examples, {
    'demo/demo.experiment.json': JSON.stringify({ name: 'demo', deployment: { export: 'model/' } }),
    'demo/data/rows.csv': 'a,b\n1,2\n',
    'demo/model/model.json': '{}',
    'demo/model/weights.bin': 'x',
    'demo/.modellab/runs/r1/meta.json': '{}',
  });
  const [demo] = listTemplates(examples);
  const plan = planTemplateCopy(demo, tempDir('modellab-new-'));
  assert.deepEqual(plan.map((f) => f.relative).sort(), ['data/rows.csv', 'demo.experiment.json']);
});

test('a second config of a trained folder (a sweep beside the main config) does not take the main config\'s exported model either', () => {
  const examples = tempDir('modellab-examples-');
  writeFiles(examples, {
    'demo/demo.experiment.json': JSON.stringify({ name: 'demo', deployment: { export: 'model/' } }),
    'demo/demo-sweep.experiment.json': JSON.stringify({ name: 'demo-sweep' }),
    'demo/data/rows.csv': 'a,b\n1,2\n',
    'demo/model/model.json': '{}',
    'demo/model/weights.bin': 'x',
  });
  const sweep = listTemplates(examples).find((t) => t.id === 'demo/demo-sweep');
  assert.ok(sweep);
  const plan = planTemplateCopy(sweep, tempDir('modellab-new-'));
  assert.deepEqual(plan.map((f) => f.relative).sort(), ['data/rows.csv', 'demo-sweep.experiment.json']);
});
