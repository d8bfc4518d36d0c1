// Messages from the compare webview are untrusted: only the well-formed ones
// reach the host's handlers, everything else is rejected with a reason.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPARE_MAX_PNG_DATA_URL, parseCompareMessage } from '../../src/core/protocol/compare';

const request = { type: 'requestSeries', requestId: 3, metric: 'loss', xAxis: 'epoch', smoothing: 0.6, maxPoints: 4000 };
const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('well-formed compare messages are accepted as typed messages', () => {
  assert.deepEqual(parseCompareMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseCompareMessage({ type: 'exportCsv' }), { type: 'exportCsv' });
  assert.deepEqual(parseCompareMessage(request), request);
  assert.deepEqual(parseCompareMessage({ ...request, metric: 'evaluation.r2', xAxis: 'time', smoothing: 0 }), { ...request, metric: 'evaluation.r2', xAxis: 'time', smoothing: 0 });
  assert.deepEqual(parseCompareMessage({ type: 'openRun', runId: '20260101-000000-x-ab12' }), { type: 'openRun', runId: '20260101-000000-x-ab12' });
  assert.deepEqual(parseCompareMessage({ type: 'removeRun', runId: 'r-1' }), { type: 'removeRun', runId: 'r-1' });
  assert.deepEqual(parseCompareMessage({ type: 'exportPng', dataUrl: png }), { type: 'exportPng', dataUrl: png });
});

test('malformed or hostile compare messages are rejected with a reason', () => {
  const rejects: [unknown, RegExp][] = [
    [null, /not an object/],
    ['ready', /not an object/],
    [[{ type: 'ready' }], /not an object/],
    [{ type: 'eval' }, /unknown message type "eval"/],
    [{}, /unknown message type/],
    [{ type: 'ready', extra: true }, /unexpected fields.*extra/],
    [{ type: 'exportCsv', path: '/etc/passwd' }, /unexpected fields.*path/],
    [{ type: 'openRun' }, /lacks runId/],
    [{ type: 'openRun', runId: '../../etc' }, /runId is not a run id/],
    [{ type: 'removeRun', runId: 42 }, /runId is not a run id/],
    [{ ...request, requestId: -1 }, /requestId/],
    [{ ...request, requestId: 1.5 }, /requestId/],
    [{ ...request, requestId: '1' }, /requestId/],
    [{ ...request, metric: 'loss; rm -rf /' }, /metric is not a metric name/],
    [{ ...request, metric: '' }, /metric is not a metric name/],
    [{ ...request, metric: 'x'.repeat(101) }, /metric is not a metric name/],
    [{ ...request, xAxis: 'wall' }, /xAxis/],
    [{ ...request, smoothing: 1 }, /smoothing/],
    [{ ...request, smoothing: -0.1 }, /smoothing/],
    [{ ...request, smoothing: NaN }, /smoothing/],
    [{ ...request, smoothing: '0.5' }, /smoothing/],
    [{ ...request, maxPoints: 10 }, /maxPoints/],
    [{ ...request, maxPoints: 1e9 }, /maxPoints/],
    [{ ...request, maxPoints: 400.5 }, /maxPoints/],
    [(({ maxPoints: _, ...rest }) => rest)(request), /lacks maxPoints/],
    [{ ...request, __proto__: { polluted: true }, extra: 1 }, /unexpected fields.*extra/],
    [{ type: 'exportPng', dataUrl: 'data:text/html;base64,PGgxPg==' }, /not a PNG data URL/],
    [{ type: 'exportPng', dataUrl: 'data:image/png;base64,<script>' }, /not base64/],
    [{ type: 'exportPng', dataUrl: 'data:image/png;base64,' }, /not base64/],
    [{ type: 'exportPng', dataUrl: 'data:image/png;base64,' + 'A'.repeat(COMPARE_MAX_PNG_DATA_URL) }, /larger than/],
    [{ type: 'exportPng' }, /lacks dataUrl/],
  ];
  for (const [raw, reason] of rejects) {
    const result = parseCompareMessage(raw);
    assert.equal(typeof result, 'string', `accepted: ${JSON.stringify(raw)?.slice(0, 100)}`);
    assert.match(result as string, reason, JSON.stringify(raw)?.slice(0, 100));
  }
});
