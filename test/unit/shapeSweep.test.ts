// Parameters that change a model's shape are swept as learning rates are:
// units and filters of one layer, a Transformer's heads, blocks and width,
// and whole layer stacks ("model.layers": a list of stacks) — each value
// checked like a config of its own, drawn by random and bayes sweeps as
// choices, and shown in a few characters where runs are listed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { paramLabel } from '../../src/core/runComparison';
import { describeParams, formatParamValue } from '../../src/core/sweep';
import { planSweep } from '../../src/core/sweepPlan';
import type { SweepObservation } from '../../src/core/sweepPlan';
import type { ExperimentConfig, LayerConfig, SequentialModelConfig, SweepConfig } from '../../src/core/types';
import { validateConfigText } from '../../src/node/configValidation';
import { configForSweepPoint } from '../../src/node/sweepPoint';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const repoRoot = join(import.meta.dirname, '../..');
const dense = (units: number, activation?: 'relu'): LayerConfig => ({ type: 'dense', units, ...(activation ? { activation } : {}) });
const STACKS = [[dense(8, 'relu'), dense(1)], [dense(32, 'relu'), dense(32, 'relu'), dense(1)]];

function shown(config: string, fileName = 'exp.experiment.json', files: Record<string, string> = { 'data.csv': linearCsv(60) }): string[] {
  const dir = tempDir();
  writeFiles(dir, { ...files, [fileName]: config });
  return validateConfigText(config, join(dir, fileName)).diagnostics.map((d) => `${d.severity} ${config.slice(d.offset, d.offset + d.length).replace(/\s+/g, ' ').slice(0, 40)}: ${d.message}`);
}

test('a sweep over whole layer stacks validates each stack, and a stack that cannot fit the task is reported on that stack', () => {
  assert.deepEqual(shown(regressionConfig({ sweep: { parameters: { 'model.layers': STACKS } } })), []);
  const bad = shown(regressionConfig({ sweep: { parameters: { 'model.layers': [...STACKS, [dense(16, 'relu'), dense(3)]] } } }));
  assert.equal(bad.length, 1, bad.join('\n'));
  assert.match(bad[0], /^error \[: with model\.layers = \[\{"type":"dense","units":16,"activation":"relu"\},\{"type":"dense","units":3\}\]: .*the last dense layer needs "units": 1, not 3/);
});

test('each point of a stack sweep is the config with that whole stack, validated again', () => {
  const config = JSON.parse(regressionConfig({ sweep: { parameters: { 'model.layers': STACKS, 'training.optimizer.learningRate': [0.01] } } })) as ExperimentConfig;
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(60) });
  const point = configForSweepPoint(join(dir, 'exp.experiment.json'), config, { 'model.layers': STACKS[1], 'training.optimizer.learningRate': 0.01 });
  assert.deepEqual(point.diagnostics, []);
  assert.deepEqual((point.config!.model as SequentialModelConfig).layers, STACKS[1]);
  assert.equal(point.config!.sweep, undefined);
});

test('random and bayes sweeps draw layer stacks as choices, with units and learning rates as ranges, and bayes favours the stack that did well', () => {
  const sweep: SweepConfig = {
    method: 'bayes',
    count: 20,
    seed: 4,
    parameters: { 'model.layers': STACKS, 'model.layers[0].units': { min: 4, max: 64, integer: true }, 'training.optimizer.learningRate': { min: 0.0001, max: 0.1, scale: 'log' } },
  };
  const plan = planSweep(sweep, 'minimize');
  const finished: SweepObservation[] = [];
  const picked: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = plan.point(i, finished).params;
    const stack = STACKS.findIndex((s) => JSON.stringify(s) === JSON.stringify(p['model.layers']));
    assert.ok(stack >= 0, `point ${i} drew a stack of the list: ${JSON.stringify(p['model.layers'])}`);
    const units = p['model.layers[0].units'] as number;
    assert.ok(Number.isInteger(units) && units >= 4 && units <= 64);
    picked.push(stack);
    // The deeper stack does better here: a bayes sweep learns to draw it.
    finished.push({ params: p, value: stack === 1 ? 0.1 + 1 / units : 1 + 1 / units });
  }
  const late = picked.slice(10);
  assert.ok(late.filter((s) => s === 1).length >= 8, `after its random start, bayes drew the better stack ${late.filter((s) => s === 1).length} of 10 times: ${picked.join('')}`);

  const random = planSweep({ ...sweep, method: 'random' }, 'minimize');
  const draws = Array.from({ length: 20 }, (_, i) => JSON.stringify(random.point(i, []).params['model.layers']));
  assert.equal(new Set(draws).size, 2, 'random draws both stacks');
});

test("a Transformer's heads, blocks and width are sweepable; a head count the width cannot split is reported on that value", () => {
  const example = readFileSync(join(repoRoot, 'examples/intent-classifier/intent-classifier.experiment.json'), 'utf8');
  const data = readFileSync(join(repoRoot, 'examples/intent-classifier/data/intents.jsonl'), 'utf8');
  const withSweep = (sweep: unknown) => example.replace(/\n}\s*$/, `,\n  "sweep": ${JSON.stringify(sweep)}\n}\n`);
  assert.deepEqual(shown(withSweep({ parameters: { 'model.heads': [2, 4, 8], 'model.layers': [1, 2], 'model.dModel': [32, 64] } }), 'intents.experiment.json', { 'data/intents.jsonl': data }), []);
  const bad = shown(withSweep({ parameters: { 'model.heads': [4, 3] } }), 'intents.experiment.json', { 'data/intents.jsonl': data });
  assert.equal(bad.length, 1, bad.join('\n'));
  assert.match(bad[0], /^error 3: with model\.heads = 3: .*64/);
});

test('a layer stack reads as its layers and sizes in tables, hints and the sidebar', () => {
  assert.equal(formatParamValue(STACKS[1]), 'dense32→dense32→dense1');
  assert.equal(formatParamValue([{ type: 'conv2d', filters: 16, kernelSize: 3 }, { type: 'maxPooling2d' }, { type: 'flatten' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 10 }], 60), 'conv2d16→maxPooling2d→flatten→dropout0.2→dense10');
  assert.equal(describeParams({ 'model.layers': STACKS[0], 'training.optimizer.learningRate': 0.003 }), 'layers=dense8→dense1, learningRate=0.003');
  assert.equal(paramLabel({ 'model.layers': STACKS[0], 'model.layers[0].units': 8 }), 'layers=dense8→dense1 · units=8');
  // Not a stack: a list of numbers stays JSON.
  assert.equal(formatParamValue([16, 32]), '[16,32]');
});
