import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunListEntry } from '../../src/node/runStoreReader';
import type { RunMeta } from '../../src/core/types';
import { RunIndex, samePath } from '../../src/host/runs/runIndex';

function entry(id: string, configPath: string | undefined): RunListEntry {
  const meta = configPath === undefined ? undefined : ({ id, configPath, status: 'completed' } as RunMeta);
  return { id, dir: `/w/.modellab/runs/${id}`, meta, warnings: [] };
}

test('runs of a config are found by its path, newest first, unreadable runs left out', () => {
  const index = new RunIndex(() => [
    entry('20250102-b', '/w/b.experiment.json'),
    entry('20250101-a2', '/w/a.experiment.json'),
    entry('20250101-x', undefined),
    entry('20250101-a1', '/w/sub/../a.experiment.json'),
  ]);
  assert.deepEqual(index.runsForConfig('/w/.modellab/runs', '/w/a.experiment.json').map((r) => r.id), ['20250101-a2', '20250101-a1']);
  assert.deepEqual(index.runsForConfig('/w/.modellab/runs', '/w/c.experiment.json'), []);
});

test('the listing is cached briefly, re-read after invalidation or when it is old', () => {
  let now = 0;
  let reads = 0;
  const index = new RunIndex(() => (reads++, []), () => now);
  index.runs('/w/runs');
  index.runs('/w/runs/');
  assert.equal(reads, 1);
  index.invalidate('/w/runs');
  index.runs('/w/runs');
  assert.equal(reads, 2);
  now += 10_000;
  index.runs('/w/runs');
  assert.equal(reads, 3);
});

test('a run id missing from the cache is looked for again on disk', () => {
  let listing = [entry('old', '/w/a.experiment.json')];
  const index = new RunIndex(() => listing);
  assert.equal(index.find(['/w/runs'], 'new'), undefined);
  listing = [entry('new', '/w/a.experiment.json'), ...listing];
  assert.equal(index.find(['/w/runs'], 'new')?.id, 'new');
});

test('a run store that throws is an empty list', () => {
  const index = new RunIndex(() => {
    throw new Error('EACCES');
  });
  assert.deepEqual(index.runs('/w/runs'), []);
});

test('paths compare case-insensitively on Windows and macOS only', () => {
  assert.equal(samePath('/W/A.json', '/w/a.json', 'win32'), true);
  assert.equal(samePath('/W/A.json', '/w/a.json', 'darwin'), true);
  assert.equal(samePath('/W/A.json', '/w/a.json', 'linux'), false);
  assert.equal(samePath('/w/x/../a.json', '/w/a.json', 'linux'), true);
});
