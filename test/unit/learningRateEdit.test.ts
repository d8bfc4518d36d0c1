import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEdits, learningRateEdits, learningRateSpan } from '../../src/core/learningRateEdit';

const config = `{
  // the first lesson
  "name": "house-prices",
  "training": {
    "optimizer": { "type": "adam", "learningRate": 0.003 }, // tuned by hand
    "epochs": 40
  }
}
`;

test('the learning rate is replaced in place: comments, spacing and other values kept', () => {
  const after = applyEdits(config, learningRateEdits(config, 0.0071));
  assert.equal(after, config.replace('0.003', '0.0071'));
});

test('an optimizer without learningRate gets one, indented as the file is', () => {
  const text = '{\n    "training": {\n        "optimizer": {\n            "type": "sgd"\n        }\n    }\n}\n';
  const after = applyEdits(text, learningRateEdits(text, 0.05));
  assert.equal(after, '{\n    "training": {\n        "optimizer": {\n            "type": "sgd",\n            "learningRate": 0.05\n        }\n    }\n}\n');
});

test('the lens sits on the learningRate key, else on the optimizer key, else nowhere', () => {
  const span = learningRateSpan(config)!;
  assert.equal(config.slice(span.offset, span.offset + span.length), '"learningRate"');
  const noRate = '{ "training": { "optimizer": { "type": "sgd" } } }';
  const s2 = learningRateSpan(noRate)!;
  assert.equal(noRate.slice(s2.offset, s2.offset + s2.length), '"optimizer"');
  assert.equal(learningRateSpan('{ "name": "x" }'), undefined);
});

test('a config without an optimizer, or a bad rate, is refused with the reason', () => {
  assert.throws(() => learningRateEdits('{ "training": {} }', 0.1), /no training\.optimizer/);
  assert.throws(() => learningRateEdits(config, 0), /positive number, not 0/);
  assert.throws(() => learningRateEdits('[1]', 0.1), /not a JSON object/);
});
