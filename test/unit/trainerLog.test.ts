// The trainer's log messages by id: the English the CLI prints, the same
// message in another language's templates, the model summary's table, and
// the guard the dashboard applies to an id that came over the channel.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logEvent, stageEvent } from '../../src/core/protocol/trainer';
import { asLogText, formatLogText, imagePreprocessLog, logTemplates, LOG_STRING_PREFIX, logText, modelSummaryLog, TRAINER_LOG_MESSAGES } from '../../src/core/trainerLogTable';
import type { ModelSummary } from '../../src/core/types';

const summary: ModelSummary = {
  inputShape: [null, 10],
  layers: [
    { name: 'dense_Dense1', type: 'Dense', outputShape: [null, 64], params: 704 },
    { name: 'dense_Dense2', type: 'Dense', outputShape: [null, 1], params: 65 },
  ],
  totalParams: 1_769,
  trainableParams: 769,
};

test('a message by id reads in English as the CLI prints it; its event carries the id, the arguments and that English', () => {
  assert.deepEqual(logEvent('info', logText('callbacks.earlyStop', 5, 'val_loss', 4)), {
    type: 'log',
    level: 'info',
    message: 'early stopping at epoch 5: val_loss has not improved for 4 epoch(s)',
    id: 'callbacks.earlyStop',
    args: [5, 'val_loss', 4],
  });
  assert.deepEqual(logEvent('warn', 'plain'), { type: 'log', level: 'warn', message: 'plain' });
  assert.deepEqual(stageEvent('training', 'done', logText('stage.epochs', 12)), { type: 'stage', stage: 'training', status: 'done', detail: '12 epochs', detailId: 'stage.epochs', detailArgs: [12] });
  assert.deepEqual(stageEvent('deployment', 'skipped'), { type: 'stage', stage: 'deployment', status: 'skipped', detail: undefined });
});

test('the dashboard strings hold the translations under their prefix; a missing one falls back to English', () => {
  const templates = logTemplates({ [`${LOG_STRING_PREFIX}stage.epochs`]: '{0} 轮', 'stage.epochs': 'not this one' });
  assert.equal(formatLogText(logText('stage.epochs', 12), templates), '12 轮');
  assert.equal(formatLogText(logText('stage.rows', 200), templates), '200 rows');
  assert.equal(formatLogText(logText('stage.rows', 200), logTemplates(undefined)), '200 rows');
});

test('the model summary: the Keras table in English, its headings translated and the rows kept in another language', () => {
  const english = formatLogText(modelSummaryLog(summary)).split('\n');
  assert.equal(english.length, 9);
  assert.match(english[1]!, /^Layer \(type\)\s+Output shape\s+Param #\s*$/);
  assert.match(english[3]!, /^dense_Dense1 \(Dense\)\s+\[null,64\]\s+704\s*$/);
  assert.deepEqual(english.slice(6, 8), ['Total params: 1,769', 'Trainable params: 769']);
  // The columns line up: every cell starts where its heading does.
  assert.equal(english[3]!.indexOf('[null'), english[1]!.indexOf('Output'));
  const zh = { 'summary.layer': '层（类型）', 'summary.shape': '输出形状', 'summary.params': '参数数量', 'summary.total': '参数总数：{0}', 'summary.trainable': '可训练参数：{0}' };
  const chinese = formatLogText(modelSummaryLog(summary), (id) => zh[id as keyof typeof zh] ?? TRAINER_LOG_MESSAGES[id]).split('\n');
  assert.match(chinese[1]!, /^层（类型）\s+输出形状\s+参数数量\s*$/);
  const cells = (line: string) => line.trim().split(/\s{2,}/);
  assert.deepEqual(cells(chinese[3]!), cells(english[3]!));
  assert.deepEqual(cells(chinese[3]!), ['dense_Dense1 (Dense)', '[null,64]', '704']);
  assert.deepEqual(chinese.slice(6, 8), ['参数总数：1,769', '可训练参数：769']);
});

test('only a known id with string and number arguments is taken as a message; anything else shows its plain text', () => {
  assert.deepEqual(asLogText('stage.epochs', [3]), { id: 'stage.epochs', args: [3] });
  assert.deepEqual(asLogText('modelSummary', ['1', '1']), { id: 'modelSummary', args: ['1', '1'] });
  assert.equal(asLogText('toString', []), undefined);
  assert.equal(asLogText('no.such', []), undefined);
  assert.equal(asLogText('stage.epochs', [{}]), undefined);
  assert.equal(asLogText('stage.epochs', undefined), undefined);
  assert.equal(asLogText(undefined, undefined), undefined);
});

test("an image classifier's preprocess detail is laid out from its parts: the English as before, each part translated", () => {
  const plain = imagePreprocessLog({ height: 28, width: 28, channels: 3 });
  assert.equal(formatLogText(plain), '28×28×3, unit scaling (pixels / 255)');
  const augmented = imagePreprocessLog({ height: 14, width: 14, channels: 1, standardized: { mean: '33.1', std: '80.2' }, augment: [['flip'], ['brightness', 20]] });
  assert.equal(formatLogText(augmented), "14×14×1, standardized with the training split's mean 33.1 and std 80.2; training images augmented (flip, brightness ±20%)");
  assert.equal(formatLogText(imagePreprocessLog({ height: 14, width: 14, channels: 1 }, true)), 'preprocess: 14×14×1, unit scaling (pixels / 255)');
  // Over the channel: the dashboard takes it by id, and lays it out with its own templates.
  const received = asLogText(augmented.id, JSON.parse(JSON.stringify(augmented.args)));
  assert.ok(received);
  const zh: Partial<Record<string, string>> = { 'image.preprocess.augmented': '{0}×{1}×{2}，{3}；训练图像已增强（{4}）', 'image.scaling.standardized': '按训练集的均值 {0} 和标准差 {1} 标准化', 'image.augment.flip': '翻转', 'list.join': '{0}、{1}' };
  assert.equal(formatLogText(received, (id) => zh[id] ?? TRAINER_LOG_MESSAGES[id]), '14×14×1，按训练集的均值 33.1 和标准差 80.2 标准化；训练图像已增强（翻转、brightness ±20%）');
});
