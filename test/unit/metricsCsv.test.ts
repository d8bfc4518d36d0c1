import { test } from 'node:test';
import assert from 'node:assert/strict';
import Papa from 'papaparse';
import { metricsToCsv, runsMetricsToCsv } from '../../src/core/metricsCsv';
import type { MetricPoint } from '../../src/core/types';

const points: MetricPoint[] = [
  { kind: 'step', step: 1, epoch: 1, time: 12, values: { loss: 0.5 } },
  { kind: 'step', step: 2, epoch: 1, time: 25, values: { loss: 0.25 } },
  { kind: 'epoch', step: 2, epoch: 1, time: 30, values: { loss: 0.375, val_loss: 0.4, mae: -0.1, lr: 0.001 } },
  { kind: 'step', step: 3, epoch: 2, time: 41, values: { loss: NaN } },
];

test('one run: step, epoch, time, kind, then every metric key in first-seen order', () => {
  assert.equal(
    metricsToCsv(points),
    [
      'step,epoch,time,kind,loss,val_loss,mae,lr',
      '1,1,12,step,0.5,,,',
      '2,1,25,step,0.25,,,',
      '2,1,30,epoch,0.375,0.4,-0.1,0.001',
      '3,2,41,step,NaN,,,',
      '',
    ].join('\n'),
  );
  assert.equal(metricsToCsv([]), 'step,epoch,time,kind\n');
});

test('numbers keep full precision and read back exactly', () => {
  const value = 0.1 + 0.2;
  const text = metricsToCsv([{ kind: 'epoch', step: 1, epoch: 1, time: 0, values: { loss: value, tiny: 1.5e-12 } }]);
  const parsed = Papa.parse<Record<string, string>>(text.trim(), { header: true });
  assert.equal(Number(parsed.data[0].loss), value);
  assert.equal(Number(parsed.data[0].tiny), 1.5e-12);
});

test('several runs: run id and name first, columns the union of their keys; names are quoted and never formulas', () => {
  const text = runsMetricsToCsv([
    { id: 'r1', name: 'house, prices "v2"', points: points.slice(0, 1) },
    { id: 'r2', name: '=HYPERLINK("x")', points: [{ kind: 'epoch', step: 5, epoch: 1, time: 9, values: { accuracy: 0.9 } }] },
  ]);
  assert.equal(
    text,
    [
      'run_id,run_name,step,epoch,time,kind,loss,accuracy',
      'r1,"house, prices ""v2""",1,1,12,step,0.5,',
      'r2,"\'=HYPERLINK(""x"")",5,1,9,epoch,,0.9',
      '',
    ].join('\n'),
  );
});
