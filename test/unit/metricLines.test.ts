import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricLineReader, parseMetricLine } from '../../src/core/metricLines';

test('a metrics.jsonl line is a point, blank, or damaged', () => {
  const point = { kind: 'epoch', step: 3, epoch: 1, time: 9, values: { loss: 0.5 } };
  assert.deepEqual(parseMetricLine(JSON.stringify(point)), { point });
  assert.equal(parseMetricLine(''), 'blank');
  assert.equal(parseMetricLine('   \r'), 'blank');
  assert.equal(parseMetricLine('{"kind":"step","st'), 'damaged'); // torn by a crash mid-write
  assert.equal(parseMetricLine('null'), 'damaged');
  assert.equal(parseMetricLine('5'), 'damaged');
  assert.equal(parseMetricLine('{"step":1,"epoch":1}'), 'damaged'); // no values
  assert.equal(parseMetricLine('{"step":1,"epoch":1,"values":[1]}'), 'damaged');
  assert.equal(parseMetricLine('{"step":"1","epoch":1,"values":{}}'), 'damaged');
});

test('the line reader keeps the points in order and counts the damaged lines', () => {
  const r = new MetricLineReader();
  for (const l of ['{"step":1,"epoch":1,"values":{"loss":2}}', '', 'garbage', '{"step":2,"epoch":1,"values":{"loss":1}}']) r.take(l);
  assert.deepEqual(r.points.map((p) => p.step), [1, 2]);
  assert.equal(r.warning, 'metrics.jsonl: 1 damaged line skipped');
  r.take('{}');
  assert.equal(r.warning, 'metrics.jsonl: 2 damaged lines skipped');
  assert.equal(new MetricLineReader().warning, undefined);
});
