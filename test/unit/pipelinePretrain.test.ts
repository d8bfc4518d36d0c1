// A fine-tuned config's pipeline (model.base): the pretraining node drawn
// before training and linked into it, naming where the base comes from — what
// the config says, or what a run recorded (its task and run id, or its export
// folder) — done in a run's pipeline; none without a base; in the reader's language.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENGLISH_PIPELINE_WORDS, pipelineMermaid, pipelineNodes, PIPELINE_STAGES, PRETRAIN_NODE } from '../../src/core/pipeline';
import { PIPELINE_PHRASES } from '../../src/core/pipelineStringTable';
import type { PipelinePhrases } from '../../src/core/pipelineStringTable';
import { runPipelineText } from '../../src/node/runPipeline';
import type { ExperimentConfig, RunBase, RunMeta } from '../../src/core/types';
import { tempDir } from '../helpers/fixtures';

/** Node label lines by node id. */
function labels(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/^ {2}(\w+)\["(.*)"\]$/gm)) out[m[1]!] = m[2]!.split('<br/>');
  return out;
}

function fineTune(base: ExperimentConfig['model']['base']): ExperimentConfig {
  return {
    name: 'intent-finetuned',
    task: 'classification',
    data: { train: 'data/train.jsonl', text: 'text', target: 'intent' },
    model: { type: 'transformerEncoder', layers: 2, heads: 4, dModel: 64, base },
    training: { epochs: 5 },
  };
}

const RUN_BASE: RunBase = { kind: 'run', id: '20261206-120000-tickets-mlm-3f2a', path: '/w/.modellab/runs/20261206-120000-tickets-mlm-3f2a/model', task: 'masked-language-model', configHash: '0123456789abcdef' };

test('a config with model.base draws the pretraining node, linked into training, saying where the base comes from', () => {
  const text = pipelineMermaid(fineTune({ from: '../pretrain/base', freezeEpochs: 2, learningRate: 0.0005 }));
  const l = labels(text);
  assert.deepEqual(Object.keys(l), [...PIPELINE_STAGES, PRETRAIN_NODE]);
  assert.deepEqual(l.pretrain, ['Pretraining', 'pretrained: ../pretrain/base', 'base frozen for 2 epoch(s)', 'base lr 0.0005', 'new classification head']);
  // Into training, apart from the chain of stages (which the dashboard lays out in rows).
  assert.match(text, /^ {2}data --> preprocess --> training --> evaluation --> deployment --> application\n {2}pretrain --> training$/m);
  assert.equal(text.match(/-->/g)!.length, 6);
  // The reader of the accessible description hears it first.
  assert.match(text, /^ {2}accDescr: pretraining, then data collection, then preprocessing, /m);
  // A config alone has no statuses: no class lines.
  assert.doesNotMatch(text, /^ {2}class /m);
  // The string form, with the defaults: nothing said of freezing or a learning rate.
  assert.deepEqual(labels(pipelineMermaid(fineTune('20261206-120000-tickets-mlm-3f2a'))).pretrain, ['Pretraining', 'pretrained: 20261206-120000-tickets-mlm-3f2a', 'new classification head']);
  assert.deepEqual(pipelineNodes(fineTune('runs/x')), [...PIPELINE_STAGES, PRETRAIN_NODE]);
});

test('without model.base there is no pretraining node', () => {
  for (const base of [undefined, '']) {
    const config = fineTune(base);
    const text = pipelineMermaid(config);
    assert.deepEqual(Object.keys(labels(text)), [...PIPELINE_STAGES]);
    assert.doesNotMatch(text, /pretrain/i);
    assert.deepEqual(pipelineNodes(config), [...PIPELINE_STAGES]);
  }
});

test("a run's pipeline names the base it recorded (task and run id, or export folder) and shows it done", () => {
  const statuses = { data: 'done', preprocess: 'done', training: 'running' } as const;
  const run = pipelineMermaid(fineTune({ from: RUN_BASE.id!, freezeEpochs: 1 }), { statuses, base: RUN_BASE });
  assert.deepEqual(labels(run).pretrain, ['Pretraining', 'base: masked-language-model', 'run 20261206-120000-tickets-mlm-3f2a', 'base frozen for 1 epoch(s)', 'new classification head']);
  assert.match(run, /^ {2}class pretrain,data,preprocess done$/m);
  assert.match(run, /^ {2}class training running$/m);
  for (const line of labels(run).pretrain!) assert.ok(line.length <= 40, `"${line}" is ${line.length} characters`);

  const exported = pipelineMermaid(fineTune('C:\\models\\encoder-v1'), { statuses: {}, base: { kind: 'export', path: 'C:\\models\\encoder-v1', task: 'language-model' } });
  assert.deepEqual(labels(exported).pretrain, ['Pretraining', 'base: language-model', 'export encoder-v1', 'new classification head']);
  // Nothing else of the run done yet: the pretraining alone.
  assert.match(exported, /^ {2}class pretrain done$/m);

  // A run folder recorded without its id: the folder's name, not "model".
  const noId = pipelineMermaid(fineTune('x'), { statuses, base: { kind: 'run', path: '/w/.modellab/runs/20261206-1200-a-0001/model', task: 'classification' } });
  assert.ok(labels(noId).pretrain!.includes('run 20261206-1200-a-0001'));
  // The recorded base stands even where the config has no model.base (a run's resolved config).
  assert.deepEqual(Object.keys(labels(pipelineMermaid(fineTune(undefined), { statuses, base: RUN_BASE }))), [...PIPELINE_STAGES, PRETRAIN_NODE]);
});

test("runPipelineText draws the base from the run's meta.json", () => {
  const dir = join(tempDir(), '20261206-130000-intent-finetuned-0001');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(fineTune(undefined)));
  const meta = {
    format: 1,
    id: '20261206-130000-intent-finetuned-0001',
    name: 'intent-finetuned',
    task: 'classification',
    configPath: '/w/finetune.experiment.json',
    status: 'completed',
    createdAt: '2026-12-06T13:00:00.000Z',
    versions: { modelLab: '0.1.0', node: '20' },
    seed: 1,
    epochsPlanned: 5,
    epochsDone: 5,
    stages: { data: 'done', preprocess: 'done', training: 'done', evaluation: 'done', deployment: 'skipped', application: 'skipped' },
    base: RUN_BASE,
  } satisfies RunMeta;
  const text = runPipelineText(dir, meta)!;
  assert.deepEqual(labels(text).pretrain!.slice(1, 3), ['base: masked-language-model', `run ${RUN_BASE.id}`]);
  assert.match(text, /^ {2}class pretrain,data,preprocess,training,evaluation done$/m);
  const { base: _, ...plain } = meta;
  assert.doesNotMatch(runPipelineText(dir, plain)!, /pretrain/);
});

test('the pretraining node speaks the reader\'s language', () => {
  const zh: PipelinePhrases = { ...PIPELINE_PHRASES, 'pretrain.title': '预训练', 'pretrain.base': '基础模型：{0}', 'pretrain.run': '运行 {0}', 'pretrain.newHead': '新的 {0} 输出头' };
  const text = pipelineMermaid(fineTune(RUN_BASE.id), { statuses: {}, base: RUN_BASE, words: { ...ENGLISH_PIPELINE_WORDS, phrases: zh } });
  assert.deepEqual(labels(text).pretrain, ['预训练', '基础模型：masked-language-model', `运行 ${RUN_BASE.id}`, '新的 classification 输出头']);
});
