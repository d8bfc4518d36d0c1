// The dashboard's image messages are untrusted: openImage names only a
// relative image path inside the config's folder, the saliency method is one
// of the known ones, an image sent to the playground is base64 of a PNG or
// JPEG of bounded size. And the host opens only a file the run's evaluation
// lists, inside the config's folder and the workspace, symbolic links
// resolved; the saliency view's model is the image classifier that ended last.

import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEvaluationImagePath, isRelativeImagePath, parseWebviewMessage } from '../../src/core/protocol/dashboard';
import { checkImageBase64, imageKindOf, PLAYGROUND_IMAGE_BYTES } from '../../src/core/prediction';
import type { ClassificationEvaluation, RunMeta } from '../../src/core/types';
import { evaluationImagePath, imageClassifierRuns } from '../../src/node/imageModelRuns';
import { IMAGE_INFO_FILE } from '../../src/core/types';
import type { RunListEntry } from '../../src/node/runStoreReader';
import { houseRunMeta, lcg, tempDir } from '../helpers/fixtures';

const RUN_ID = '20260101-000000-digits-ab12';
/** 18 bytes: its base64 has no padding, so more base64 can follow it in a test. */
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0]);
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]);

// ───────────────────────── openImage ─────────────────────────

test('openImage takes a run id and a relative image path, nothing else', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file: 'data/test/7/seven one.png' }), {
    type: 'openImage',
    runId: RUN_ID,
    file: 'data/test/7/seven one.png',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file: 'a.JPEG' }), { type: 'openImage', runId: RUN_ID, file: 'a.JPEG' });
  assert.match(String(parseWebviewMessage({ type: 'openImage', runId: RUN_ID })), /lacks file/);
  assert.match(String(parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file: 'a.png', path: '/etc/passwd' })), /unexpected fields: path/);
  assert.equal(parseWebviewMessage({ type: 'openImage', runId: '../other', file: 'a.png' }), `'openImage': runId is not a run id`);
});

test('a relative image path that could leave the config folder, or is not an image, is refused', () => {
  const bad: unknown[] = [
    '../secret.png',
    'data/../../secret.png',
    '/etc/shadow.png',
    'C:/Windows/x.png',
    'c:x.png',
    'data\\..\\x.png',
    'data//x.png',
    './x.png',
    'data/./x.png',
    'data/x.png/',
    'x.txt',
    'x.png.exe',
    'x',
    '',
    'a\u0000.png',
    'a\n.png',
    'x'.repeat(1000) + '.png',
    42,
    null,
    ['a.png'],
    { toString: () => 'a.png' },
  ];
  const absolute = new Set(['/etc/shadow.png', 'C:/Windows/x.png']);
  for (const file of bad) {
    assert.equal(isRelativeImagePath(file), false, JSON.stringify(file));
    // An absolute path is how the evaluation lists an image outside the config's folder: the host checks it against the list.
    if (absolute.has(file as string)) continue;
    const parsed = parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file });
    assert.equal(typeof parsed, 'string', JSON.stringify(file));
  }
  for (const file of ['a.png', 'a.jpg', 'data/test/3/3-1.jpeg', '数字/七.png', '.hidden/x.png', 'a..b.png', 'x.jfif']) assert.equal(isRelativeImagePath(file), true, file);
});

test('an absolute image path (an image outside the config folder) is taken only without dot segments', () => {
  for (const file of ['/ws/images/a.png', 'C:\\data\\a.jpg', 'd:/data/a.JPEG', '/ws/数字/七.png']) {
    assert.equal(isEvaluationImagePath(file), true, file);
    assert.deepEqual(parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file }), { type: 'openImage', runId: RUN_ID, file });
  }
  for (const file of ['/ws/../etc/a.png', '/ws//a.png', '/a/./b.png', 'C:\\a\\..\\b.png', '/ws/a.txt', '/ws/a\u0000.png', '/' + 'x'.repeat(1000) + '.png', '//server/share/a.png']) {
    assert.equal(isEvaluationImagePath(file), false, file);
    assert.equal(parseWebviewMessage({ type: 'openImage', runId: RUN_ID, file }), `'openImage': file must be the path of a PNG or JPEG file as the evaluation lists it`);
  }
});

// ───────────────────────── saliency method, pin ─────────────────────────

test('saliencyMethod takes gradcam or gradient; pinSaliencyModel takes nothing', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'saliencyMethod', method: 'gradient' }), { type: 'saliencyMethod', method: 'gradient' });
  assert.deepEqual(parseWebviewMessage({ type: 'saliencyMethod', method: 'gradcam' }), { type: 'saliencyMethod', method: 'gradcam' });
  for (const method of ['GradCAM', 'occlusion', '', null, 1, undefined]) {
    assert.equal(parseWebviewMessage({ type: 'saliencyMethod', method }), `'saliencyMethod': method must be one of gradcam, gradient`, String(method));
  }
  assert.match(String(parseWebviewMessage({ type: 'saliencyMethod', method: 'gradcam', runId: RUN_ID })), /unexpected fields: runId/);
  assert.deepEqual(parseWebviewMessage({ type: 'pinSaliencyModel' }), { type: 'pinSaliencyModel' });
  assert.match(String(parseWebviewMessage({ type: 'pinSaliencyModel', runId: RUN_ID })), /takes no fields/);
});

// ───────────────────────── an image in the playground ─────────────────────────

test('the playground takes a PNG or JPEG as {b64}, and says clearly what else it got', () => {
  const png = PNG_HEAD.toString('base64');
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 3, input: { b64: png } }), { type: 'predict', requestId: 3, input: { b64: png } });
  const jpeg = JPEG_HEAD.toString('base64');
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 4, input: { b64: jpeg } }), { type: 'predict', requestId: 4, input: { b64: jpeg } });
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 5, input: { b64: Buffer.from('GIF89a....').toString('base64') } }), `'predict': the file is not a PNG or JPEG image`);
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 5, input: { b64: Buffer.from('hello, world').toString('base64') } }), `'predict': the file is not a PNG or JPEG image`);
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 6, input: { b64: 'not base64!' } }), `'predict': input.b64 is not base64 text`);
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 6, input: { b64: '' } }), `'predict': input.b64 is not base64 text`);
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 6, input: { b64: 'iVBORw0' } }), `'predict': input.b64 is not base64 text`);
  // Over the limit: refused by length before anything is decoded.
  const huge = png + 'A'.repeat(Math.ceil(PLAYGROUND_IMAGE_BYTES / 3) * 4);
  assert.equal(parseWebviewMessage({ type: 'predict', requestId: 7, input: { b64: huge } }), `'predict': the image is larger than 10 MiB`);
  // Right at the limit is taken.
  const atLimit = png + 'A'.repeat(Math.ceil(PLAYGROUND_IMAGE_BYTES / 3) * 4 - png.length);
  assert.equal(checkImageBase64(atLimit), undefined);
  // A b64 field beside others is a tabular row (its own rules), not an image.
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 8, input: { b64: 'x', rooms: 3 } }), { type: 'predict', requestId: 8, input: { b64: 'x', rooms: 3 } });
});

test('imageKindOf reads the file signature', () => {
  assert.equal(imageKindOf(PNG_HEAD), 'png');
  assert.equal(imageKindOf(JPEG_HEAD), 'jpeg');
  assert.equal(imageKindOf(PNG_HEAD.subarray(0, 7)), undefined);
  assert.equal(imageKindOf(Buffer.from('BM....')), undefined);
  assert.equal(imageKindOf([]), undefined);
});

// ───────────────────────── which file the host opens ─────────────────────────

function classification(files: string[]): ClassificationEvaluation {
  return {
    task: 'classification',
    split: 'test',
    count: files.length,
    labels: ['a', 'b'],
    metrics: { accuracy: 1, macroPrecision: 1, macroRecall: 1, macroF1: 1 },
    perClass: [],
    confusion: [[1, 0], [0, 1]],
    images: files.map((file) => ({ file, label: 'a', predicted: 'b', confidence: 0.9 })),
  };
}

test('the host opens only an image the evaluation lists, inside the config folder and the workspace', (t) => {
  const workspace = tempDir('modellab-images-', t);
  const config = join(workspace, 'digits');
  mkdirSync(join(config, 'data', '3'), { recursive: true });
  writeFileSync(join(config, 'data', '3', 'a.png'), PNG_HEAD);
  writeFileSync(join(config, 'data', '3', 'unlisted.png'), PNG_HEAD);
  const outside = tempDir('modellab-outside-', t);
  writeFileSync(join(outside, 'secret.png'), PNG_HEAD);
  symlinkSync(join(outside, 'secret.png'), join(config, 'data', '3', 'link.png'));
  writeFileSync(join(workspace, 'top.png'), PNG_HEAD);
  const elsewhere = join(workspace, 'shared', 'b.png');
  mkdirSync(join(workspace, 'shared'));
  writeFileSync(elsewhere, PNG_HEAD);
  const ev = classification(['data/3/a.png', 'data/3/link.png', 'data/3/missing.png', '../top.png', elsewhere, join(outside, 'secret.png')]);

  assert.deepEqual(evaluationImagePath(ev, config, 'data/3/a.png', [workspace]), { path: join(config, 'data', '3', 'a.png') });
  assert.match((evaluationImagePath(ev, config, 'data/3/unlisted.png', [workspace]) as { error: string }).error, /does not list/);
  assert.match((evaluationImagePath(ev, config, 'data/3/link.png', [workspace]) as { error: string }).error, /leads outside the config's folder/);
  assert.match((evaluationImagePath(ev, config, 'data/3/missing.png', [workspace]) as { error: string }).error, /does not exist/);
  // Even a listed path that climbs out of the folder.
  assert.match((evaluationImagePath(ev, config, '../top.png', [workspace]) as { error: string }).error, /outside the config's folder/);
  // Listed by absolute path (outside the config folder): opened inside the workspace only.
  assert.deepEqual(evaluationImagePath(ev, config, elsewhere, [workspace]), { path: elsewhere });
  assert.match((evaluationImagePath(ev, config, join(outside, 'secret.png'), [workspace]) as { error: string }).error, /outside the workspace/);
  assert.match((evaluationImagePath(ev, config, join(workspace, 'top.png'), [workspace]) as { error: string }).error, /does not list/);
  // A config folder outside the workspace folders.
  assert.match((evaluationImagePath(ev, config, 'data/3/a.png', [outside]) as { error: string }).error, /outside the workspace/);
  // No evaluation with images, or not a classifier's.
  assert.match((evaluationImagePath(undefined, config, 'data/3/a.png', [workspace]) as { error: string }).error, /no classification evaluation/);
  assert.match((evaluationImagePath({ ...ev, images: undefined }, config, 'data/3/a.png', [workspace]) as { error: string }).error, /does not list/);
  assert.match((evaluationImagePath(ev, undefined, 'data/3/a.png', [workspace]) as { error: string }).error, /does not name its config/);
});

// ───────────────────────── the saliency view's model ─────────────────────────

test('image classifier runs: completed classifiers with image.json and model.json, the one that ended last first', (t) => {
  const runs = tempDir('modellab-runs-', t);
  const entry = (id: string, meta: Partial<RunMeta>, files: string[]): RunListEntry => {
    const dir = join(runs, id);
    mkdirSync(join(dir, 'model'), { recursive: true });
    for (const f of files) writeFileSync(join(dir, 'model', f), '{}');
    return { id, dir, warnings: [], meta: houseRunMeta({ id, name: id, task: 'classification', status: 'completed', ...meta }) };
  };
  const list = [
    entry('20260101-000001-early', { endedAt: '2026-01-01T10:00:00.000Z' }, [IMAGE_INFO_FILE, 'model.json']),
    entry('20260101-000000-late', { endedAt: '2026-01-01T12:00:00.000Z' }, [IMAGE_INFO_FILE, 'model.json']),
    entry('20260101-000002-tabular', { endedAt: '2026-01-01T13:00:00.000Z' }, ['model.json', 'preprocessing.json']),
    entry('20260101-000003-stopped', { status: 'stopped', endedAt: '2026-01-01T14:00:00.000Z' }, [IMAGE_INFO_FILE, 'model.json']),
    entry('20260101-000004-no-weights', { endedAt: '2026-01-01T15:00:00.000Z' }, [IMAGE_INFO_FILE]),
    entry('20260101-000005-regression', { task: 'regression', endedAt: '2026-01-01T16:00:00.000Z' }, [IMAGE_INFO_FILE, 'model.json']),
    { id: 'broken', dir: join(runs, 'broken'), warnings: ['meta.json is unreadable'] },
  ];
  const found = imageClassifierRuns(list);
  assert.deepEqual(found.map((r) => r.id), ['20260101-000000-late', '20260101-000001-early']);
  assert.equal(found[0].modelDir, join(runs, '20260101-000000-late', 'model'));
  assert.equal(found[0].name, '20260101-000000-late');
});

// ───────────────────────── fuzz ─────────────────────────

test('1,000 seeded mutants of the image messages: the checks never throw; what they accept is well-formed', () => {
  const rnd = lcg(6101);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const png = PNG_HEAD.toString('base64');
  const valid: Record<string, unknown>[] = [
    { type: 'openImage', runId: RUN_ID, file: 'data/test/3/3-1.png' },
    { type: 'saliencyMethod', method: 'gradcam' },
    { type: 'pinSaliencyModel' },
    { type: 'predict', requestId: 1, input: { b64: png } },
  ];
  const weird = (): unknown =>
    pick([null, undefined, -1, 2 ** 53 + 2, NaN, '', '../x.png', '/etc/x.png', 'C:\\x.png', 'a/../../b.png', 'x.txt', 'gradient', 'occlusion', [], {}, { b64: 'AAAA' }, { b64: png, extra: 1 }, { toString: 1 }, JSON.parse('{"__proto__": {"polluted": 1}}'), 'x'.repeat(2000) + '.png']);
  let accepted = 0;
  for (let i = 0; i < 1000; i++) {
    const m: Record<string, unknown> = { ...pick(valid) };
    const keys = Object.keys(m);
    const what = rnd();
    if (what < 0.5) m[pick(keys)] = weird();
    else if (what < 0.7) delete m[pick(keys)];
    else if (what < 0.9) m[pick(['extra', 'runId', 'file', 'method', 'path', '__proto__'])] = weird();
    const r = parseWebviewMessage(m);
    if (typeof r === 'string') continue;
    accepted++;
    assert.notEqual(r, m, 'the raw object itself was passed on');
    switch (r.type) {
      case 'openImage':
        assert.deepEqual(Object.keys(r).sort(), ['file', 'runId', 'type']);
        assert.ok(isEvaluationImagePath(r.file) && !r.file.split(/[\\/]/).includes('..'), r.file);
        break;
      case 'saliencyMethod':
        assert.ok(r.method === 'gradcam' || r.method === 'gradient');
        break;
      case 'pinSaliencyModel':
        assert.deepEqual(Object.keys(r), ['type']);
        break;
      case 'predict':
        // A text is a text model's input; an object with b64 alone is an image, checked.
        if (typeof r.input === 'object' && 'b64' in r.input && Object.keys(r.input).length === 1) assert.equal(checkImageBase64(String(r.input.b64)), undefined);
        else assert.ok(typeof r.input === 'string' || !Object.hasOwn(r.input, '__proto__'));
        break;
      default:
        // A mutant of another type (a pinSaliencyModel turned into pinAttentionModel is not made here).
        assert.fail(`unexpected type ${r.type}`);
    }
  }
  assert.ok(accepted > 50 && accepted < 700, `${accepted} accepted`);
});
