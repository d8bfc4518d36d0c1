// The pipeline's Mermaid text: a snapshot per example config (so a change to
// what the diagram says is seen in review), and what it must say for each
// kind of experiment, whatever the wording. The same texts are parsed and
// drawn by the bundled Mermaid in test/webview/pipeline.test.ts.
//
// Snapshots: test/unit/__snapshots__/pipeline/<example>.mmd. After an
// intended change: UPDATE_SNAPSHOTS=1 node --import tsx --test test/unit/pipeline.test.ts

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { parse as parseJsonc } from 'jsonc-parser';
import { pipelineCommand } from '../../src/cli/pipelineCommand';
import { configSectionRange } from '../../src/core/configSections';
import { deploymentStages, ENGLISH_PIPELINE_WORDS, escapeLabel, pipelineMermaid, pipelineNodes, PIPELINE_STAGES } from '../../src/core/pipeline';
import { PIPELINE_PHRASES } from '../../src/core/pipelineStringTable';
import type { PipelinePhrases } from '../../src/core/pipelineStringTable';
import { resolveConfig } from '../../src/core/resolvedConfig';
import { measureDataSizes, readRunConfig, runPipelineText } from '../../src/node/runPipeline';
import type { ExperimentConfig, RunMeta } from '../../src/core/types';
import { tempDir } from '../helpers/fixtures';

const root = join(import.meta.dirname, '../..');
const snapshotDir = join(import.meta.dirname, '__snapshots__', 'pipeline');

function examples(): { name: string; file: string; config: ExperimentConfig }[] {
  const dir = join(root, 'examples');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => readdirSync(join(dir, e.name)).filter((f) => f.endsWith('.experiment.json')).map((f) => join(dir, e.name, f)))
    .map((file) => ({ name: basename(file, '.experiment.json'), file, config: parseJsonc(readFileSync(file, 'utf8')) as ExperimentConfig }));
}

/** Node label lines by node id. */
function labels(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/^ {2}(\w+)\["(.*)"\]$/gm)) out[m[1]!] = m[2]!.split('<br/>');
  return out;
}

function baseConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return {
    name: 'base',
    task: 'regression',
    data: { source: 'data/x.csv', features: ['a', 'b'], target: 'y' },
    model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: {},
    ...overrides,
  };
}

test('every example config matches its snapshot', () => {
  const list = examples();
  assert.ok(list.length >= 3, `only ${list.length} examples`);
  const update = process.env.UPDATE_SNAPSHOTS === '1';
  const missing: string[] = [];
  for (const { name, config } of list) {
    const text = pipelineMermaid(config);
    const file = join(snapshotDir, `${name}.mmd`);
    if (update) {
      mkdirSync(snapshotDir, { recursive: true });
      writeFileSync(file, text);
      continue;
    }
    if (!existsSync(file)) {
      missing.push(name);
      continue;
    }
    assert.equal(text, readFileSync(file, 'utf8'), `${name}: the pipeline differs from ${file} (UPDATE_SNAPSHOTS=1 if intended)`);
  }
  assert.deepEqual(missing, [], 'examples without a snapshot (run with UPDATE_SNAPSHOTS=1)');
});

test('six nodes with stable ids, in pipeline order, each starting with its stage title (and a fine-tuned config\'s pretraining)', () => {
  for (const { name, config } of examples()) {
    const text = pipelineMermaid(config);
    assert.match(text, /^%% .*\nflowchart LR\n/, name);
    const nodes = pipelineNodes(config);
    assert.deepEqual(nodes.slice(0, 6), [...PIPELINE_STAGES], name);
    assert.deepEqual(Object.keys(labels(text)), nodes, name);
    assert.deepEqual(
      Object.values(labels(text)).map((l) => l[0]),
      ['Data collection', 'Preprocessing', 'Training', 'Evaluation', 'Deployment', 'Application', ...(nodes.length > 6 ? ['Pretraining'] : [])],
      name,
    );
    assert.match(text, /^ {2}data --> preprocess --> training --> evaluation --> deployment --> application$/m, name);
    for (const status of ['pending', 'running', 'done', 'failed', 'skipped']) assert.match(text, new RegExp(`^ {2}classDef ${status} fill:`, 'm'), name);
    // Lines stay short enough for six nodes side by side.
    for (const [id, lines] of Object.entries(labels(text))) {
      for (const line of lines) assert.ok(line.length <= 40, `${name}/${id}: "${line}" is ${line.length} characters`);
    }
  }
});

test('the same text from the config file and from the resolved config a run records', () => {
  for (const { name, config } of examples()) {
    assert.equal(pipelineMermaid(resolveConfig(config)), pipelineMermaid(config), name);
  }
});

test('regression: source, features, steps, split, layers, optimizer, metrics, export', () => {
  const house = examples().find((e) => e.name === 'house-prices')!;
  const l = labels(pipelineMermaid(house.config, { dataSizes: { train: 700, validation: 200, test: 100 } }));
  assert.deepEqual(l.data, ['Data collection', 'data/houses.csv', '1,000 rows', '10 features → price']);
  assert.ok(l.preprocess!.join(' ').includes('standardize features · standardize price'));
  assert.ok(l.preprocess!.includes('train 700 · val 200 · test 100'));
  assert.ok(l.training!.includes('Dense 64 relu → Dense 1'));
  assert.ok(l.training!.includes('adam lr 0.003 · mse loss'));
  assert.ok(l.training!.includes('40 epochs · batch 32'));
  assert.ok(l.training!.includes('early stop 6 · lr ×0.5 after 3'));
  assert.deepEqual(l.evaluation, ['Evaluation', 'test split', 'mse · mae · rmse · r2', 'predicted vs actual']);
  assert.deepEqual(l.deployment, ['Deployment', 'export to model/', 'TensorFlow.js model']);
  assert.deepEqual(l.application, ['Application', 'predict price for new rows']);
  // Without sizes, the split as configured.
  assert.ok(labels(pipelineMermaid(house.config)).preprocess!.includes('split 70 / 20 / 10 %'));
});

test('text classification and language modelling: tokenizer, Transformer dimensions, task metrics', () => {
  const intent = labels(pipelineMermaid(examples().find((e) => e.name === 'intent-classifier')!.config));
  assert.ok(intent.data!.includes('text #34;text#34; → label #34;intent#34;'));
  assert.ok(intent.preprocess!.join(' ').match(/word tokens · lowercase/));
  assert.ok(intent.training!.includes('Transformer encoder'));
  assert.ok(intent.training!.includes('2 × (4 heads, d 64, ff 128)'));
  assert.ok(intent.evaluation!.includes('confusion matrix'));
  assert.ok(intent.deployment!.includes('TensorFlow.js model + tokenizer'));

  const lm = labels(pipelineMermaid(examples().find((e) => e.name === 'text-generator')!.config, { dataSizes: { train: 90, validation: 12, test: 11 } }));
  assert.ok(lm.data!.includes('113 sequences'));
  assert.ok(lm.data!.includes('plain text corpus'));
  assert.ok(lm.preprocess!.join(' ').includes('char tokens'));
  assert.ok(lm.training!.includes('Transformer decoder (causal)'));
  assert.ok(lm.training!.some((line) => line.includes('sparse cross-entropy loss')));
  assert.deepEqual(lm.evaluation, ['Evaluation', 'test split', 'loss · perplexity', 'generated samples']);
  assert.deepEqual(lm.application, ['Application', 'generate text from a prompt', 'modellab generate']);
});

test('tabular classification, separate split files, no held-out data, no export, a server', () => {
  const config = baseConfig({
    task: 'classification',
    data: { train: 'train.csv', validation: 'val.csv', features: ['a', 'b', 'c', 'd'], target: 'label', preprocess: [{ fillMissing: { strategy: 'constant', value: 0 } }, { oneHot: ['d'] }, { minMax: ['a'] }] },
    model: { layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 3, activation: 'softmax' }] },
    training: { optimizer: { type: 'sgd', learningRate: 0.1 }, loss: 'categoricalCrossentropy', epochs: 5, batchSize: 8 },
  });
  const l = labels(pipelineMermaid(config, { server: 'http://localhost:8080/predict' }));
  assert.deepEqual(l.data, ['Data collection', 'train: train.csv', 'validation: val.csv', '4 features → label']);
  assert.ok(l.preprocess!.join(' ').includes('fill missing: constant 0 · one-hot d · min-max a'));
  assert.ok(l.preprocess!.includes('given splits: train, validation'));
  assert.ok(!l.preprocess!.some((line) => line.includes('shuffle')));
  assert.ok(l.training!.join(' ').includes('Dense 32 relu → BatchNorm → Dropout 0.25 → Dense 3 softmax'));
  assert.ok(l.training!.includes('sgd lr 0.1 · cross-entropy loss'));
  assert.deepEqual(l.evaluation, ['Evaluation', 'validation split', 'accuracy · precision · recall · f1', 'confusion matrix']);
  assert.deepEqual(l.deployment, ['Deployment', 'no export', 'TensorFlow.js model', 'kept in the run folder', 'served: TF Serving REST API']);
  assert.deepEqual(l.application, ['Application', 'classify new rows by label', 'http://localhost:8080/predict']);

  const noHeldOut = labels(pipelineMermaid(baseConfig({ data: { source: 'x.csv', features: ['a'], target: 'y', split: { validation: 0, test: 0 } } })));
  assert.deepEqual(noHeldOut.evaluation, ['Evaluation', 'skipped: no held-out data']);
  assert.ok(labels(pipelineMermaid(baseConfig(), { exportPath: '/srv/models/base' })).deployment!.includes('export to /srv/models/base'));
});

test('a model served or exported since its run ended: deployment done, the application running while served', () => {
  // A run without deployment.export recorded its deployment skipped.
  const recorded = { data: 'done', preprocess: 'done', training: 'done', evaluation: 'done', deployment: 'skipped' } as const;
  assert.deepEqual(deploymentStages(recorded), { deployment: 'skipped', application: 'pending' });
  assert.deepEqual(deploymentStages(recorded, { exportPath: '/srv/models/base' }), { deployment: 'done', application: 'pending' });
  assert.deepEqual(deploymentStages(recorded, { server: 'http://127.0.0.1:8501/v1/models/m' }), { deployment: 'done', application: 'running' });
  assert.deepEqual(deploymentStages(undefined), { deployment: 'pending', application: 'pending' });
  // The diagram's own classes agree, for renderers other than the dashboard.
  const classes = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('class ')).map((l) => l.trim());
  const served = classes(pipelineMermaid(baseConfig(), { statuses: recorded, server: 'http://127.0.0.1:8501/v1/models/m' }));
  assert.deepEqual(served, ['class application running', 'class data,preprocess,training,evaluation,deployment done']);
  assert.ok(classes(pipelineMermaid(baseConfig(), { statuses: recorded })).includes('class deployment skipped'));
});

test('image classification: the folders, image size and colour, resize, scaling and augmentation, the layers', () => {
  const digits = examples().find((e) => e.name === 'digits')!;
  const l = labels(pipelineMermaid(digits.config, { dataSizes: { train: 8000, validation: 500, test: 1500 } }));
  assert.deepEqual(l.data, ['Data collection', 'train: data/train', 'validation: data/validation', 'test: data/test', '10,000 images', 'one folder per class', '28×28 grayscale images']);
  assert.deepEqual(l.preprocess, ['Preprocessing', 'resize to 28×28×1', 'pixels / 255', 'augment shift 8% · rotate ±8°', 'train 8,000 · val 500 · test 1,500']);
  assert.ok(l.training!.join(' ').includes('Conv2D 32 3×3 relu → MaxPool 2×2 →'));
  assert.ok(l.training!.join(' ').includes('Flatten → Dense 128 relu'));
  assert.deepEqual(l.deployment, ['Deployment', 'no export', 'TensorFlow.js model + image.json', 'kept in the run folder']);
  assert.deepEqual(l.application, ['Application', 'classify new images']);

  const listing = baseConfig({
    task: 'classification',
    data: { source: 'photos.csv', target: 'kind', image: { size: [64, 48], scaling: 'standardize', column: 'file', onError: 'skip', augment: { flip: true, shift: 0.1, rotate: 15, brightness: 0.2 } } },
    model: { layers: [{ type: 'conv2d', filters: 16, kernelSize: [5, 3] }, { type: 'averagePooling2d' }, { type: 'globalAveragePooling2d' }, { type: 'dense', units: 3, activation: 'softmax' }] },
  });
  const m = labels(pipelineMermaid(listing));
  assert.deepEqual(m.data, ['Data collection', 'photos.csv', 'paths #34;file#34; → label #34;kind#34;', '64×48 RGB images']);
  assert.deepEqual(m.preprocess, ['Preprocessing', 'resize to 64×48×3', 'standardize each channel', 'augment flip · shift 10% ·', 'rotate ±15° · brightness ±20%', 'unreadable files skipped', 'split 70 / 20 / 10 %', 'seeded shuffle (seed 42)']);
  assert.ok(m.training!.join(' ').includes('Conv2D 16 5×3 → AvgPool 2×2 → GlobalAvgPool → Dense 3 softmax'));
  // No augmentation line when every augmentation is off.
  const plain = labels(pipelineMermaid(baseConfig({ task: 'classification', data: { source: 'pics', image: { size: [32, 32], augment: { flip: false, shift: 0 } } } })));
  assert.deepEqual(plain.preprocess!.slice(0, 3), ['Preprocessing', 'resize to 32×32×3', 'pixels / 255']);
  assert.ok(!plain.preprocess!.some((line) => line.startsWith('augment')));
  assert.ok(plain.data!.includes('32×32 RGB images'));
});

test('a sweep names the settings it varies', () => {
  const grid = baseConfig({ sweep: { parameters: { 'training.optimizer.learningRate': [0.01, 0.001], 'model.layers[0].units': [8, 64] } } });
  assert.ok(labels(pipelineMermaid(grid)).training!.join(' ').includes('grid sweep over learningRate · units'));
  const random = baseConfig({ sweep: { method: 'random', count: 12, parameters: { 'training.batchSize': [16, 32] } } });
  assert.ok(labels(pipelineMermaid(random)).training!.includes('random sweep of 12 over batchSize'));
});

test('statuses become class lines, one per status, in pipeline order', () => {
  const text = pipelineMermaid(baseConfig(), { statuses: { data: 'done', preprocess: 'done', training: 'running', evaluation: 'pending', deployment: 'skipped', application: 'failed' } });
  assert.match(text, /^ {2}class data,preprocess done$/m);
  assert.match(text, /^ {2}class training running$/m);
  assert.match(text, /^ {2}class evaluation pending$/m);
  assert.match(text, /^ {2}class deployment skipped$/m);
  assert.match(text, /^ {2}class application failed$/m);
  assert.doesNotMatch(pipelineMermaid(baseConfig()), /^ {2}class /m);
});

test('user text is escaped: nothing in it can end a label, open markup, start an entity, Markdown or math', () => {
  assert.equal(escapeLabel('a"b'), 'a#34;b');
  assert.equal(escapeLabel('<img src=x onerror=alert(1)>'), '#60;img src=x onerror=alert(1)#62;');
  assert.equal(escapeLabel('R&D #1; `x` $$y$$ \\'), 'R#38;D #35;1; #96;x#96; #36;#36;y#36;#36; #92;');
  assert.equal(escapeLabel('two\nlines\r\n\tand tabs'), 'two lines and tabs');
  assert.equal(escapeLabel('房价 [元] (万) {a} |b|'), '房价 [元] (万) {a} |b|');
  const text = pipelineMermaid(baseConfig({ name: 'x', data: { source: 'a"]\n  click data call alert()\n  x["', features: ['f'], target: 't' } }));
  // The hostile source stays inside its label: no line of the text starts a statement of its own.
  assert.equal(text.split('\n').filter((line) => /^\s*click\b/.test(line)).length, 0);
  assert.equal(Object.keys(labels(text)).length, 6);
});

test('a run folder: its recorded config, statuses and split sizes', (t) => {
  const dir = tempDir('modellab-pipeline-', t);
  const house = examples().find((e) => e.name === 'house-prices')!;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...resolveConfig(house.config), configPath: house.file }));
  const meta = { id: 'r', name: 'house-prices', configPath: house.file, stages: { data: 'done', preprocess: 'running' }, dataSizes: { train: 7, validation: 2, test: 1 } } as unknown as RunMeta;
  const text = runPipelineText(dir, meta)!;
  assert.match(text, /class data done/);
  assert.match(text, /class preprocess running/);
  assert.ok(labels(text).preprocess!.includes('train 7 · val 2 · test 1'));
  // Sizes from a live summary event win over the meta's.
  assert.ok(labels(runPipelineText(dir, meta, { train: 70, validation: 20, test: 10 })!).preprocess!.includes('train 70 · val 20 · test 10'));
  // No config.json: the config file the run names; nothing readable: no pipeline.
  const bare = tempDir('modellab-pipeline-', t);
  assert.equal(readRunConfig(bare, house.file)?.name, 'house-prices');
  assert.equal(runPipelineText(bare, { ...meta, configPath: join(bare, 'gone.experiment.json') }), undefined);
  writeFileSync(join(bare, 'config.json'), '{"name": 3}');
  assert.equal(readRunConfig(bare), undefined);
});

test('measureDataSizes counts the rows of each split as the trainer splits them', () => {
  const house = examples().find((e) => e.name === 'house-prices')!;
  assert.deepEqual(measureDataSizes(house.config, house.file), { train: 700, validation: 200, test: 100 });
  assert.equal(measureDataSizes(examples().find((e) => e.name === 'text-generator')!.config, house.file), undefined);
  assert.equal(measureDataSizes(baseConfig({ data: { source: 'missing.csv', features: ['a'], target: 'y' } }), house.file), undefined);
});

test('modellab pipeline: prints the text for a valid config; file:line:col errors and exit 1 for a broken one', (t) => {
  const capture = () => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
    return { stream, text: () => chunks.join('') };
  };
  const house = examples().find((e) => e.name === 'house-prices')!;
  const out = capture();
  const err = capture();
  assert.equal(pipelineCommand({ configPath: house.file }, out.stream, err.stream), 0);
  assert.equal(err.text(), '');
  assert.match(out.text(), /^%% Model Lab pipeline of "house-prices"/);
  assert.ok(labels(out.text()).preprocess!.includes('train 700 · val 200 · test 100'));
  const noData = capture();
  assert.equal(pipelineCommand({ configPath: house.file, noData: true }, noData.stream, capture().stream), 0);
  assert.equal(noData.text(), pipelineMermaid(house.config));

  const dir = tempDir('modellab-pipeline-', t);
  const bad = join(dir, 'bad.experiment.json');
  writeFileSync(bad, '{\n  "name": "bad",\n  "task": "regression",\n  // a comment\n  "data": { "source": "nope.csv", "features": ["a"], "target": "b" },\n  "model": { "layers": [] },\n  "training": { "epochs": 0 }\n}\n');
  const badOut = capture();
  const badErr = capture();
  assert.equal(pipelineCommand({ configPath: bad }, badOut.stream, badErr.stream), 1);
  assert.equal(badOut.text(), '');
  const lines = badErr.text().trim().split('\n');
  assert.ok(lines.length >= 2, badErr.text());
  for (const line of lines) assert.match(line, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error: `));
  assert.ok(lines.some((line) => line.startsWith(`${bad}:6:`)), 'model.layers is on line 6');
});

// ───────────────────────── config sections ─────────────────────────

const CONFIG_TEXT = `{
  // The first lesson
  "name": "house-prices",
  "task": "regression",
  "data": {
    "source": "data/houses.csv",
    "preprocess": [{ "standardize": "features" }],
    "split": { "validation": 0.2 }
  },
  "training": { "epochs": 3 },
  "model": { "layers": [{ "type": "dense", "units": 1 }] },
  "deployment": { "export": "model/" },
}
`;

function selected(text: string, section: Parameters<typeof configSectionRange>[1]): string | undefined {
  const r = configSectionRange(text, section);
  return r && text.slice(r.offset, r.offset + r.length);
}

test('configSectionRange: each stage selects its whole section, comments and trailing commas allowed', () => {
  assert.match(selected(CONFIG_TEXT, 'data')!, /^"data": \{[\s\S]*"split": \{ "validation": 0\.2 \}\n {2}\}$/);
  assert.equal(selected(CONFIG_TEXT, 'preprocess'), '"preprocess": [{ "standardize": "features" }]');
  // Model and training together, in whatever order the file has them.
  assert.equal(selected(CONFIG_TEXT, 'training'), '"training": { "epochs": 3 },\n  "model": { "layers": [{ "type": "dense", "units": 1 }] }');
  assert.deepEqual(configSectionRange(CONFIG_TEXT, 'training')!.paths, ['model', 'training']);
  assert.equal(selected(CONFIG_TEXT, 'deployment'), '"deployment": { "export": "model/" }');
  assert.equal(selected(CONFIG_TEXT, 'application'), '"task": "regression"');
  // No "evaluation" section: where the held-out data is set.
  assert.equal(selected(CONFIG_TEXT, 'evaluation'), '"split": { "validation": 0.2 }');
});

test('configSectionRange: fallbacks, and nothing for a text without the section', () => {
  const text = '{ "name": "t", "task": "classification", "data": { "source": "x.jsonl", "text": "t", "target": "y", "tokenizer": { "type": "word" } }, "model": { "type": "transformerEncoder" } }';
  assert.equal(selected(text, 'preprocess'), '"tokenizer": { "type": "word" }');
  assert.equal(selected(text, 'training'), '"model": { "type": "transformerEncoder" }');
  assert.equal(configSectionRange(text, 'deployment'), undefined);
  assert.equal(configSectionRange('not json', 'data'), undefined);
  assert.equal(configSectionRange('[1, 2]', 'data'), undefined);
});

test('the diagram speaks the reader\'s language: stage titles, accessible title and description from the words given', () => {
  const config = parseJsonc(readFileSync(join(import.meta.dirname, '../../examples/house-prices/house-prices.experiment.json'), 'utf8'));
  const english = pipelineMermaid(config);
  assert.match(english, /accTitle: Pipeline of house-prices\n/);
  assert.match(english, /accDescr: data collection, then preprocessing, then training, then evaluation, then deployment, then application\n/);
  assert.match(english, /data\["Data collection/);
  const titles = { data: '数据采集', preprocess: '预处理', training: '训练', evaluation: '评估', deployment: '部署', application: '应用' } as const;
  const zh = pipelineMermaid(config, { words: { titles, accTitle: (name) => `${name} 的流水线`, accDescr: (ts) => ts.join('，然后'), phrases: PIPELINE_PHRASES } });
  assert.match(zh, /accTitle: house-prices 的流水线\n/);
  assert.match(zh, /accDescr: 数据采集，然后预处理，然后训练，然后评估，然后部署，然后应用\n/);
  for (const stage of PIPELINE_STAGES) assert.match(zh, new RegExp(`  ${stage}\\["${titles[stage]}`));
  assert.doesNotMatch(zh, /Data collection|Preprocessing|Pipeline of/);
  // With the English phrases, the details are the same as the English diagram's.
  assert.equal(zh.split('\n').slice(4).join('\n').replace(/数据采集|预处理|训练|评估|部署|应用/g, 'X'), english.split('\n').slice(4).join('\n').replace(/Data collection|Preprocessing|Training|Evaluation|Deployment|Application/g, 'X'));
});

test('the detail phrases come from the table given: translated, with their placeholders filled, and escaped like any label text', () => {
  const config = parseJsonc(readFileSync(join(root, 'examples/house-prices/house-prices.experiment.json'), 'utf8')) as ExperimentConfig;
  const zhBundle = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  const chinese = Object.fromEntries(Object.entries(PIPELINE_PHRASES).map(([id, english]) => [id, zhBundle[english] ?? english])) as PipelinePhrases;
  const english = labels(pipelineMermaid(config, { dataSizes: { train: 140, validation: 40, test: 20 } }));
  const zh = labels(pipelineMermaid(config, { dataSizes: { train: 140, validation: 40, test: 20 }, words: { ...ENGLISH_PIPELINE_WORDS, phrases: chinese } }));
  assert.match(english.preprocess!.join(' '), /standardize features · standardize price/);
  assert.ok(english.training!.includes('adam lr 0.003 · mse loss'), english.training!.join(' | '));
  assert.ok(zh.data!.includes('200 行'), zh.data!.join(' | '));
  assert.match(zh.preprocess!.join(' '), /标准化 特征 · 标准化 price/);
  assert.ok(zh.preprocess!.includes('训练 140 · 验证 40 · 测试 20'), zh.preprocess!.join(' | '));
  assert.ok(zh.training!.includes('adam lr 0.003 · mse 损失'), zh.training!.join(' | '));
  assert.deepEqual(zh.deployment, ['Deployment', '导出到 model/', 'TensorFlow.js 模型']);
  // No English phrase of the table is left in the translated details (the config's own names stay).
  const zhDetails = Object.values(zh).flatMap((lines) => lines.slice(1)).join('\n');
  for (const word of ['rows', 'standardize', 'features', 'loss', 'epochs', 'batch', 'early stop', 'split', 'export', 'predict', 'seeded']) assert.ok(!zhDetails.includes(word), `"${word}" in ${zhDetails}`);

  // A translation's text is label text: it cannot end the label, open markup or start an entity.
  const hostile: PipelinePhrases = { ...PIPELINE_PHRASES, 'data.rows': '{0} "rows" <b>&amp;</b> #1; `x` $y$', 'export.to': 'to {0}"]\n  evil["x' };
  const text = pipelineMermaid(config, { dataSizes: { train: 140, validation: 40, test: 20 }, words: { ...ENGLISH_PIPELINE_WORDS, phrases: hostile } });
  const nodes = labels(text);
  assert.deepEqual(Object.keys(nodes), [...PIPELINE_STAGES]);
  assert.ok(nodes.data!.includes(escapeLabel('200 "rows" <b>&amp;</b> #1; `x` $y$')), nodes.data!.join(' | '));
  assert.ok(nodes.data!.includes('200 #34;rows#34; #60;b#62;#38;amp;#60;/b#62; #35;1; #96;x#96; #36;y#36;'), nodes.data!.join(' | '));
  assert.ok(nodes.deployment!.includes('to model/#34;]   evil[#34;x'), nodes.deployment!.join(' | '));
  assert.doesNotMatch(text, /^ {2}evil/m);
});
