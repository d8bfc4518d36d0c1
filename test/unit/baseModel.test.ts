// model.base resolved on real folders: a run id of the config's runs folder, a
// run folder (relative to the config), a run's model folder, an export folder;
// and each refusal with the path and the problem in its message.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseFitProblems, baseOptions, configOnBase, resolveBase, runBaseOf } from '../../src/node/baseModel';
import { exportRun } from '../../src/node/modelExport';
import type { ExperimentConfig, RunStatus, Task } from '../../src/core/types';
import { houseRunMeta, tempDir, writeFiles } from '../helpers/fixtures';

const ID = '20261206-120000-intent-pretrain-ab12';

/** A workspace: a config in project/, its runs folder project/.modellab/runs, and one run. */
function workspace(t: { after(fn: () => void): void }, opts: { status?: RunStatus; task?: Task; model?: boolean; id?: string } = {}) {
  const root = tempDir('modellab-base-', t);
  const project = join(root, 'project');
  const runsDir = join(project, '.modellab', 'runs');
  const id = opts.id ?? ID;
  const runDir = join(runsDir, id);
  const task = opts.task ?? 'masked-language-model';
  const config = { name: 'intent-pretrain', task, data: { source: 'texts.txt' }, model: { type: 'transformerEncoder', dModel: 32 } };
  const configText = JSON.stringify(config, null, 2) + '\n';
  writeFiles(runDir, {
    'meta.json': JSON.stringify(houseRunMeta({ id, name: 'intent-pretrain', task, status: opts.status ?? 'completed', epochsDone: 2, epochsPlanned: 2 })),
    'config.json': configText,
    ...(opts.model === false
      ? {}
      : { 'model/model.json': '{"modelTopology":{}}', 'model/weights.bin': 'xxxx', 'model/tokenizer.json': '{}', 'model/task.json': JSON.stringify({ format: 'modellab-text-task', version: 1, task, maxLength: 32 }) }),
  });
  mkdirSync(project, { recursive: true });
  const configPath = join(project, 'fine-tune.experiment.json');
  writeFileSync(configPath, '{}');
  return { root, project, runsDir, runDir, configPath, configText, id };
}

const hash16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

test('a run id is looked up in the runs folder: the model folder, task, config, meta and config hash', (t) => {
  const w = workspace(t);
  const b = resolveBase(ID, w.configPath, w.runsDir);
  assert.equal(b.kind, 'run');
  assert.equal(b.id, ID);
  assert.equal(b.runDir, w.runDir);
  assert.equal(b.modelDir, join(w.runDir, 'model'));
  assert.equal(b.path, join(w.runDir, 'model'));
  assert.equal(b.task, 'masked-language-model');
  assert.equal((b.config?.model as { dModel: number }).dModel, 32);
  assert.equal(b.meta?.status, 'completed');
  assert.equal(b.configHash, hash16(w.configText));
  assert.match(b.configHash!, /^[0-9a-f]{16}$/);
  assert.deepEqual(runBaseOf(b), { kind: 'run', id: ID, path: join(w.runDir, 'model'), task: 'masked-language-model', configHash: hash16(w.configText) });
});

test('the object form with freezeEpochs and learningRate finds the same base; the options get their defaults', (t) => {
  const w = workspace(t);
  assert.equal(resolveBase({ from: ID, freezeEpochs: 2, learningRate: 1e-4 }, w.configPath, w.runsDir).runDir, w.runDir);
  assert.deepEqual(baseOptions(ID), { from: ID, freezeEpochs: 0 });
  assert.deepEqual(baseOptions({ from: ID, freezeEpochs: 2, learningRate: 1e-4 }), { from: ID, freezeEpochs: 2, learningRate: 1e-4 });
  assert.throws(() => baseOptions({ from: ID, freezeEpochs: 1.5 }), /model\.base\.freezeEpochs must be a whole number of epochs ≥ 0, not 1\.5/);
  assert.throws(() => baseOptions({ from: ID, learningRate: 0 }), /model\.base\.learningRate must be a number > 0, not 0/);
  assert.throws(() => baseOptions({ from: ' ' }), /"from" must name a run id, a run folder or an export folder/);
});

test('a run folder or its model folder, relative to the config, is the same run', (t) => {
  const w = workspace(t);
  const rel = resolveBase(`.modellab/runs/${ID}`, w.configPath, w.runsDir);
  assert.equal(rel.kind, 'run');
  assert.equal(rel.runDir, w.runDir);
  assert.equal(rel.id, ID);
  const model = resolveBase(`./.modellab/runs/${ID}/model`, w.configPath, w.runsDir);
  assert.equal(model.runDir, w.runDir);
  assert.equal(model.modelDir, join(w.runDir, 'model'));
  const abs = resolveBase(w.runDir, join(w.root, 'elsewhere', 'x.experiment.json'), join(w.root, 'no-runs'));
  assert.equal(abs.runDir, w.runDir);
});

test('an export folder: its model folder, its task from task.json, its card\'s config, the same config hash as its run', (t) => {
  const w = workspace(t);
  const out = join(w.project, 'exports', 'pretrained');
  exportRun(w.runDir, out);
  const b = resolveBase('exports/pretrained', w.configPath, w.runsDir);
  assert.equal(b.kind, 'export');
  assert.equal(b.modelDir, out);
  assert.equal(b.path, out);
  assert.equal(b.runDir, undefined);
  assert.equal(b.meta, undefined);
  assert.equal(b.task, 'masked-language-model');
  assert.equal(b.id, ID, 'the run it was exported from, from the card');
  assert.equal((b.config?.model as { dModel: number }).dModel, 32);
  assert.equal(b.configHash, hash16(w.configText));
  // Without a card or a task file, the task cannot be told.
  const bare = join(w.project, 'bare');
  writeFiles(bare, { 'model.json': '{}', 'weights.bin': '' });
  assert.throws(() => resolveBase('bare', w.configPath, w.runsDir), (e: Error) => e.message === `model.base: ${bare} does not say its task (no task.json, preprocessing.json or model-card.json with a task)`);
});

test('an unknown run id: the runs folder, close ids suggested, and the folder it also looked for', (t) => {
  const w = workspace(t);
  workspace(t); // another workspace, unrelated
  writeFiles(join(w.runsDir, '20261206-130000-house-prices-9f00'), { 'meta.json': '{}' });
  const typo = ID.replace('ab12', 'ab13');
  assert.throws(
    () => resolveBase(typo, w.configPath, w.runsDir),
    (e: Error) => e.message === `model.base: no run "${typo}" in ${w.runsDir} — did you mean "${ID}"?, and no folder ${join(w.project, typo)}`,
  );
  // A part of an id is close enough to suggest the ids that hold it.
  assert.throws(() => resolveBase('intent-pretrain', w.configPath, w.runsDir), new RegExp(`did you mean "${ID}"\\?`));
  // Nothing close: no suggestion.
  assert.throws(() => resolveBase('zzzz', w.configPath, w.runsDir), (e: Error) => e.message === `model.base: no run "zzzz" in ${w.runsDir}, and no folder ${join(w.project, 'zzzz')}`);
  assert.throws(() => resolveBase('x', w.configPath, join(w.root, 'none')), /no run "x" in .*none \(the runs folder does not exist\)/);
});

test('a path that is a file, or a folder that is neither a run nor an export', (t) => {
  const w = workspace(t);
  writeFiles(w.project, { 'notes.txt': 'hi', 'empty/readme.md': '#' });
  assert.throws(() => resolveBase('./notes.txt', w.configPath, w.runsDir), (e: Error) => e.message === `model.base: ${join(w.project, 'notes.txt')} is not a folder (a base is a run folder, a run id or an export folder)`);
  assert.throws(() => resolveBase('./empty', w.configPath, w.runsDir), (e: Error) => e.message === `model.base: ${join(w.project, 'empty')} is neither a run folder (meta.json) nor an export folder (model.json)`);
  assert.throws(() => resolveBase('../nowhere/run', w.configPath, w.runsDir), (e: Error) => e.message === `model.base: no folder ${join(w.root, 'nowhere', 'run')}`);
});

test('a run without a saved model: failed, interrupted, queued — each says why', (t) => {
  const failed = workspace(t, { status: 'failed', model: false });
  assert.throws(
    () => resolveBase(ID, failed.configPath, failed.runsDir),
    (e: Error) => e.message === `model.base: run "${ID}" (${failed.runDir}) has no saved model (model/model.json): it failed`,
  );
  const interrupted = workspace(t, { status: 'interrupted', model: false });
  assert.throws(() => resolveBase(ID, interrupted.configPath, interrupted.runsDir), /has no saved model \(model\/model\.json\): it was interrupted before it ended \(resume it first\)$/);
  const queued = workspace(t, { status: 'queued', model: false });
  assert.throws(() => resolveBase(ID, queued.configPath, queued.runsDir), /has no saved model \(model\/model\.json\): it is queued and has not trained yet$/);
});

test('a running run (its process alive) is refused even with a model folder; one whose trainer is gone reads interrupted', (t) => {
  const w = workspace(t, { status: 'running' });
  // This process is alive: the run is running.
  const meta = JSON.parse(readFileSync(join(w.runDir, 'meta.json'), 'utf8'));
  writeFileSync(join(w.runDir, 'meta.json'), JSON.stringify({ ...meta, pid: process.pid, host: hostname() }));
  assert.throws(() => resolveBase(ID, w.configPath, w.runsDir), /is still running; wait until it ends, its model is not final yet$/);
  const gone = workspace(t, { status: 'running', model: false });
  assert.throws(() => resolveBase(ID, gone.configPath, gone.runsDir), /has no saved model \(model\/model\.json\): it was interrupted/);
});

test('an unreadable meta.json names the file', (t) => {
  const w = workspace(t);
  writeFileSync(join(w.runDir, 'meta.json'), '{"id": ');
  assert.throws(() => resolveBase(ID, w.configPath, w.runsDir), (e: Error) => e.message.startsWith(`model.base: ${join(w.runDir, 'meta.json')} is unreadable: meta.json is not valid JSON (`));
  writeFileSync(join(w.runDir, 'meta.json'), '[1,2]');
  assert.throws(() => resolveBase(ID, w.configPath, w.runsDir), (e: Error) => e.message === `model.base: ${join(w.runDir, 'meta.json')} is unreadable: it does not hold a run description (not a JSON object)`);
});

test('an ensemble folder is not a base', (t) => {
  const w = workspace(t);
  const ens = join(w.project, 'ensemble');
  writeFiles(ens, { 'ensemble.json': '{}' });
  assert.throws(() => resolveBase('ensemble', w.configPath, w.runsDir), /is an ensemble \(the mean of several models\), which cannot be a base/);
});

test('baseFitProblems / configOnBase: the kind and shape rules in the editor\'s words, the base\'s hyperparameters and tokenizer filled in', (t) => {
  const w = workspace(t, { task: 'classification' });
  const tokenizer = { format: 'modellab-tokenizer', version: 1, settings: { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 500, maxLength: 24 }, prependCls: false, vocab: ['<pad>', '<unk>', '<cls>', 'order'] };
  const baseConfig = { name: 'b', task: 'classification', data: { source: 'x.jsonl' }, model: { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 24, positional: 'learned', dropout: 0, pooling: 'mean' } };
  writeFiles(w.runDir, { 'config.json': JSON.stringify(baseConfig), 'model/tokenizer.json': JSON.stringify(tokenizer) });
  const base = resolveBase(ID, w.configPath, w.runsDir);
  const config = (model: Record<string, unknown>, task = 'classification', data: Record<string, unknown> = {}) =>
    ({ name: 'f', task, data: { source: 'y.jsonl', text: 'text', target: 'label', ...data }, model: { type: 'transformerEncoder', base: ID, ...model } }) as unknown as ExperimentConfig;
  const name = `run "${ID}" (${w.runDir})`;
  assert.deepEqual(baseFitProblems(config({ dModel: 64, heads: 2 }), base), [
    { path: ['model', 'dModel'], severity: 'error', message: `"dModel" is 64 here but 16 in the base, ${name}: the base's weights keep their shapes — remove "dModel" (it comes from the base) or set it to 16` },
  ]);
  assert.match(baseFitProblems(config({ type: 'transformerDecoder' }, 'language-model'), base)[0].message, /its attention looks both ways, so it cannot predict the next token as a language model does/);
  assert.deepEqual(baseFitProblems(config({}, 'regression', { target: 'score' }), base), [], 'text regression on an encoder base: a new head');
  assert.deepEqual(baseFitProblems(config({ pooling: 'first' }, 'regression', { target: 'score' }), base).map((p) => p.path), [['model', 'pooling']]);
  assert.deepEqual(configOnBase(config({}, 'regression', { target: 'score' }), base).config.model, { type: 'transformerEncoder', base: ID, layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 24, positional: 'learned' });
  assert.match(baseFitProblems(config({ type: 'transformerDecoder' }, 'regression'), base)[0].message, /the trainer fine-tunes a text classifier, a text regression model or a masked language model \(transformerEncoder\) or a language model \(transformerDecoder\) from a base, not a regression transformerDecoder/);
  assert.deepEqual(baseFitProblems(config({ pooling: 'first' }), base).map((p) => p.path), [['model', 'pooling']]);
  assert.deepEqual(baseFitProblems(config({}, 'masked-language-model'), base), [], 'continued pretraining of an encoder');
  const fitted = configOnBase(config({ dropout: 0.2 }, 'classification', { tokenizer: { type: 'char' } }), base);
  assert.deepEqual(fitted.infos, [{ path: ['data', 'tokenizer'], severity: 'info', message: "data.tokenizer is ignored: the run takes the base's tokenizer (word, 4 tokens)" }]);
  assert.deepEqual(fitted.config.model, { type: 'transformerEncoder', base: ID, dropout: 0.2, layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 24, positional: 'learned' });
  assert.deepEqual(fitted.config.data.tokenizer, { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 500, maxLength: 24 });
  assert.throws(() => configOnBase(config({ layers: 3 }), base), (e: Error) => e.message.startsWith('"layers" is 3 here but 1 in the base'));
});
