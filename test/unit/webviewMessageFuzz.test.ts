// Every message from a webview is untrusted. 1,000 seeded random messages per
// validator (garbage, and valid messages with one thing wrong): the validators
// never throw, and whatever they accept is well-formed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_SECTIONS, parseWebviewMessage } from '../../src/core/protocol/dashboard';
import { parseCompareMessage } from '../../src/core/protocol/compare';
import { lcg } from '../helpers/fixtures';

const CASES = 1000;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function generator(seed: number) {
  const rnd = lcg(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const weird = (): unknown =>
    pick([
      () => null,
      () => undefined,
      () => Math.floor(rnd() * 2 ** 40) - 2 ** 39,
      () => rnd(),
      () => NaN,
      () => Infinity,
      () => -1,
      () => 2 ** 53 + 2,
      () => '',
      () => '../../../etc/passwd',
      () => '/abs/path',
      () => '<img src=x onerror=alert(1)>',
      () => 'x'.repeat(Math.floor(rnd() * 300)),
      () => true,
      () => [],
      () => [1, 'two'],
      () => ({}),
      () => ({ toString: 1, valueOf: 1 }),
      () => JSON.parse('{"__proto__": {"polluted": 1}}'),
      () => 'data:image/png;base64,' + 'A'.repeat(Math.floor(rnd() * 20)) + pick(['', '==', '!!', '<']),
      () => pick(['ready', 'stop', 'train', 'openRun', 'revealRunFolder', 'revealConfigSection', 'requestSeries', 'exportPng', 'exportCsv', 'removeRun', 'generate', 'predict']),
      () => pick(CONFIG_SECTIONS),
      () => '20250101-000000-run-ab12',
    ])();
  return { rnd, pick, weird };
}

/** Valid messages, then one mutation: a field's value replaced, removed, or an extra field added. */
function mutants(valid: Record<string, unknown>[], seed: number): unknown[] {
  const { rnd, pick, weird } = generator(seed);
  const out: unknown[] = [];
  for (let i = 0; i < CASES; i++) {
    const r = rnd();
    if (r < 0.2) {
      out.push(weird());
      continue;
    }
    const m: Record<string, unknown> = { ...pick(valid) };
    const keys = Object.keys(m);
    const what = rnd();
    if (what < 0.5) m[pick(keys)] = weird();
    else if (what < 0.7) delete m[pick(keys)];
    else if (what < 0.9) m[pick(['extra', 'runId', 'path', '__proto__', 'constructor', 'section', 'dataUrl'])] = weird();
    // else: the valid message itself, which must be accepted
    out.push(m);
  }
  return out;
}

test(`dashboard: ${CASES} seeded random messages never make parseWebviewMessage throw; accepted ones are well-formed`, () => {
  const valid = [
    { type: 'ready' },
    { type: 'stop' },
    { type: 'train' },
    { type: 'openRun', runId: '20250101-000000-run-ab12' },
    { type: 'revealRunFolder', runId: '20250101-000000-run-ab12' },
    { type: 'revealConfigSection', section: 'training' },
  ];
  let accepted = 0;
  for (const raw of mutants(valid, 6001)) {
    const r = parseWebviewMessage(raw);
    if (typeof r === 'string') continue;
    accepted++;
    const m = r as Record<string, unknown>;
    switch (r.type) {
      case 'ready':
      case 'stop':
      case 'train':
        assert.deepEqual(Object.keys(m), ['type']);
        break;
      case 'openRun':
      case 'revealRunFolder':
        assert.deepEqual(Object.keys(m).sort(), ['runId', 'type']);
        assert.match(r.runId, RUN_ID);
        assert.ok(!r.runId.includes('/') && !r.runId.includes('\\') && r.runId !== '..');
        break;
      case 'revealConfigSection':
        assert.ok(CONFIG_SECTIONS.includes(r.section));
        break;
      default:
        // Other types (generate, predict, …) are accepted only with their own checks; never the raw object.
        assert.notEqual(r, raw);
    }
  }
  assert.ok(accepted > 50 && accepted < CASES / 2, `${accepted} accepted`);
});

test(`compare: ${CASES} seeded random messages never make parseCompareMessage throw; accepted ones are well-formed`, () => {
  const valid = [
    { type: 'ready' },
    { type: 'exportCsv' },
    { type: 'openRun', runId: '20250101-000000-run-ab12' },
    { type: 'removeRun', runId: '20250101-000000-run-ab12' },
    { type: 'requestSeries', requestId: 3, metric: 'loss', xAxis: 'step', smoothing: 0.6, maxPoints: 2000 },
    { type: 'exportPng', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
  ];
  let accepted = 0;
  for (const raw of mutants(valid, 6002)) {
    const r = parseCompareMessage(raw);
    if (typeof r === 'string') continue;
    accepted++;
    assert.notEqual(r, raw, 'the raw object itself was passed on');
    switch (r.type) {
      case 'openRun':
      case 'removeRun':
        assert.match(r.runId, RUN_ID);
        break;
      case 'requestSeries':
        assert.ok(Number.isSafeInteger(r.requestId) && r.requestId >= 0);
        assert.ok(r.smoothing >= 0 && r.smoothing < 1);
        assert.ok(Number.isInteger(r.maxPoints) && r.maxPoints >= 100 && r.maxPoints <= 50_000);
        assert.ok(['step', 'epoch', 'time'].includes(r.xAxis));
        assert.match(r.metric, /^[A-Za-z0-9_.:/-]{1,100}$/);
        break;
      case 'exportPng':
        assert.match(r.dataUrl, /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/);
        break;
      default:
        assert.deepEqual(Object.keys(r), ['type']);
    }
  }
  assert.ok(accepted > 50 && accepted < CASES / 2, `${accepted} accepted`);
});
