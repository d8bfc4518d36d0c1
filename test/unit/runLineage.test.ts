// A fine-tuned run's lineage: meta.base read from disk (a damaged record is
// dropped with a warning, as any other field), and the sidebar's tree tying a
// fine-tuned run to its base run (across experiments of the runs folder), its
// export folder, or saying the base is gone; the base gets a "Fine-tuned" group.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRuns, readRunSnapshot } from '../../src/node/runStoreReader';
import type { RunListEntry } from '../../src/node/runStoreReader';
import type { RunBase, RunMeta } from '../../src/core/types';
import { buildExperimentTree, experimentNameOf, runsUnder, type RunNode, type RunRef } from '../../src/host/runs/experimentTreeModel';
import { tempDir } from '../helpers/fixtures';

const RUNS = '/w/.modellab/runs';
const PRETRAIN = '/w/pretrain.experiment.json';
const INTENT = '/w/intent.experiment.json';
const SPAM = '/w/spam.experiment.json';

let clock = Date.parse('2026-03-01T10:00:00Z');
function meta(id: string, configPath: string, overrides: Partial<RunMeta> = {}): RunMeta {
  clock += 60_000;
  return {
    format: 1,
    id,
    name: configPath.replace(/^.*\/|\.experiment\.json$/g, ''),
    task: 'classification',
    configPath,
    status: 'completed',
    createdAt: new Date(clock).toISOString(),
    versions: { modelLab: '0.1.0', node: '20' },
    seed: 1,
    epochsPlanned: 2,
    epochsDone: 2,
    lastMetrics: { loss: 0.5, val_loss: 0.6 },
    ...overrides,
  };
}

function run(m: RunMeta, dir = `${RUNS}/${m.id}`): RunRef {
  const entry: RunListEntry = { id: m.id, dir, meta: m, warnings: [] };
  return { entry, training: false };
}

const fromRun = (id: string, path = `${RUNS}/${id}/model`): RunBase => ({ kind: 'run', id, path, task: 'masked-language-model', configHash: '0123456789abcdef' });

function find(nodes: RunNode[], id: string): RunNode {
  const hit = nodes.find((n) => n.id === id);
  assert.ok(hit, `no run ${id}`);
  return hit;
}

test('a fine-tuned run names its base run; the base lists its fine-tuned runs of every experiment, newest first', () => {
  const base = meta('20260301-100100-pretrain-aaaa', PRETRAIN, { task: 'masked-language-model' });
  const intent = meta('20260301-100200-intent-bbbb', INTENT, { base: fromRun(base.id) });
  const spam = meta('20260301-100300-spam-cccc', SPAM, { base: fromRun(base.id) });
  const scratch = meta('20260301-100400-intent-dddd', INTENT);
  const tree = buildExperimentTree(
    [{ path: PRETRAIN, name: 'Pretrain on tickets' }, { path: INTENT }, { path: SPAM }],
    [run(base), run(intent), run(spam), run(scratch)],
    'linux',
    () => assert.fail('a listed base is not looked for on disk'),
  );
  const all = tree.experiments.flatMap((e) => runsUnder(e));
  const b = find(all, base.id);
  const i = find(all, intent.id);
  const s = find(all, spam.id);
  assert.equal(i.base?.run, b);
  assert.equal(i.base?.missing, false);
  assert.equal(s.base?.run, b);
  assert.equal(find(all, scratch.id).base, undefined);
  assert.equal(find(all, scratch.id).fineTuned, undefined);
  assert.equal(experimentNameOf(tree, b), 'Pretrain on tickets');

  const group = b.fineTuned;
  assert.ok(group);
  assert.equal(group.base, b);
  assert.deepEqual(group.runs.map((r) => [r.run.id, r.experimentName]), [[spam.id, 'spam'], [intent.id, 'intent']]);
  // A second place for the same run: keys of their own, each under its group.
  assert.equal(new Set([...group.runs.map((r) => r.key), ...all.map((r) => r.key)]).size, group.runs.length + all.length);
  for (const r of group.runs) assert.equal(r.group, group);
  // The fine-tuned runs stay listed under their own experiments too (and are not runs of the base).
  assert.deepEqual(runsUnder(b).map((r) => r.id), [base.id]);
  assert.deepEqual(runsUnder(tree.experiments.find((e) => e.configPath === SPAM)!).map((r) => r.id), [spam.id]);
});

test('the base is found by its folder (the run folder or its model folder) before its id', () => {
  const base = meta('20260301-110000-pretrain-eeee', PRETRAIN);
  // Another runs folder has a run of the same id: the recorded folder decides.
  const twin = meta('20260301-110000-pretrain-eeee', PRETRAIN);
  const other = '/elsewhere/.modellab/runs';
  const byModelDir = meta('20260301-110100-intent-ffff', INTENT, { base: fromRun(base.id, `${other}/${base.id}/model`) });
  const byRunDir = meta('20260301-110200-spam-gggg', SPAM, { base: { kind: 'run', path: `${other}/${base.id}`, task: 'classification' } });
  const tree = buildExperimentTree([{ path: PRETRAIN }, { path: INTENT }, { path: SPAM }], [run(base), run(twin, `${other}/${twin.id}`), run(byModelDir), run(byRunDir)], 'linux', () => true);
  const all = tree.experiments.flatMap((e) => runsUnder(e));
  const there = all.find((r) => r.dir === `${other}/${twin.id}`)!;
  const here = all.find((r) => r.dir === `${RUNS}/${base.id}`)!;
  assert.equal(find(all, byModelDir.id).base?.run, there);
  assert.equal(find(all, byRunDir.id).base?.run, there);
  assert.deepEqual(there.fineTuned?.runs.map((r) => r.run.id), [byRunDir.id, byModelDir.id]);
  assert.equal(here.fineTuned, undefined);
});

test('a base that is not listed: an export folder, a run elsewhere, or gone', () => {
  const exported = meta('20260301-120000-intent-hhhh', INTENT, { base: { kind: 'export', path: '/models/encoder-v1', task: 'masked-language-model' } });
  const goneExport = meta('20260301-120100-intent-iiii', INTENT, { base: { kind: 'export', path: '/models/deleted', task: 'masked-language-model' } });
  const deletedRun = meta('20260301-120200-spam-jjjj', SPAM, { base: fromRun('20260101-000000-pretrain-zzzz') });
  const onDisk = new Set(['/models/encoder-v1']);
  const looked: string[] = [];
  const tree = buildExperimentTree([{ path: INTENT }, { path: SPAM }], [run(exported), run(goneExport), run(deletedRun)], 'linux', (p) => (looked.push(p), onDisk.has(p)));
  const all = tree.experiments.flatMap((e) => runsUnder(e));
  assert.deepEqual(find(all, exported.id).base, { record: exported.base, missing: false });
  assert.deepEqual(find(all, goneExport.id).base, { record: goneExport.base, missing: true });
  assert.deepEqual(find(all, deletedRun.id).base, { record: deletedRun.base, missing: true });
  assert.deepEqual(looked.sort(), ['/models/deleted', '/models/encoder-v1', `${RUNS}/20260101-000000-pretrain-zzzz/model`]);
  assert.ok(all.every((r) => r.fineTuned === undefined));
});

test('a run recorded as its own base is not its own child', () => {
  const self = meta('20260301-130000-intent-kkkk', INTENT);
  self.base = fromRun(self.id);
  const tree = buildExperimentTree([{ path: INTENT }], [run(self)], 'linux', () => true);
  const [node] = runsUnder(tree.experiments[0]!);
  assert.equal(node!.fineTuned, undefined);
  assert.deepEqual(node!.base, { record: self.base, missing: false });
});

test('the reader keeps a well-formed meta.base and drops a damaged one with a warning naming it', () => {
  const runs = tempDir();
  const write = (id: string, base: unknown) => {
    const dir = join(runs, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta(id, INTENT), base }));
    return dir;
  };
  const good = fromRun('20260301-090000-pretrain-aaaa');
  const exported: RunBase = { kind: 'export', path: '/models/encoder-v1', task: 'language-model' };
  write('20260301-100000-intent-0001', good);
  write('20260301-100000-intent-0002', exported);
  const damaged: [string, unknown][] = [
    ['0003', 'runs/abc'],
    ['0004', { kind: 'folder', path: '/x', task: 'classification' }],
    ['0005', { kind: 'run', path: 42, task: 'classification' }],
    ['0006', { kind: 'run', path: '/x', task: 'pretraining' }],
    ['0007', { kind: 'run', id: 7, path: '/x', task: 'classification' }],
    ['0008', { kind: 'run', path: '/x', task: 'classification', configHash: ['a'] }],
    ['0009', { kind: 'export', path: '', task: 'classification' }],
  ];
  for (const [n, base] of damaged) write(`20260301-100000-intent-${n}`, base);
  const byId = Object.fromEntries(listRuns(runs).map((e) => [e.id, e]));
  assert.deepEqual(byId['20260301-100000-intent-0001']!.meta!.base, good);
  assert.deepEqual(byId['20260301-100000-intent-0001']!.warnings, []);
  assert.deepEqual(byId['20260301-100000-intent-0002']!.meta!.base, exported);
  for (const [n] of damaged) {
    const entry = byId[`20260301-100000-intent-${n}`]!;
    assert.equal(entry.meta!.base, undefined, n);
    assert.deepEqual(entry.warnings, ['meta.json: base missing or of the wrong type'], n);
    // The rest of the run is still read.
    assert.equal(entry.meta!.status, 'completed', n);
  }
  // The dashboard's reader keeps it the same way.
  const snapshot = readRunSnapshot(join(runs, '20260301-100000-intent-0001'), false);
  assert.deepEqual(snapshot.meta.base, good);
  assert.deepEqual(readRunSnapshot(join(runs, '20260301-100000-intent-0005'), false).warnings, ['meta.json: base missing or of the wrong type']);
});
