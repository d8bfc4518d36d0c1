// Paths from a config stay inside the workspace: `..`, absolute paths and
// symbolic links that lead out are errors on the value (exact range), in the
// editor's validation and in the trainer, unless the user allowed more.

import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { pathEscapesWorkspace } from '../../src/node/workspacePaths';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

/** A workspace with the config in exp/, and a secret data file next to (outside) the workspace. */
function layout(): { workspace: string; configPath: string; outside: string; outsideDir: string } {
  const root = tempDir('modellab-paths-');
  const workspace = join(root, 'workspace');
  const outsideDir = join(root, 'elsewhere');
  writeFiles(workspace, { 'exp/data.csv': linearCsv(40) });
  writeFiles(outsideDir, { 'secret.csv': linearCsv(40, 99) });
  return { workspace, configPath: join(workspace, 'exp', 'e.experiment.json'), outside: join(outsideDir, 'secret.csv'), outsideDir };
}

function config(source: string, extra: Record<string, unknown> = {}): string {
  const c = JSON.parse(regressionConfig()) as Record<string, any>;
  c.data.source = source;
  return JSON.stringify({ ...c, ...extra }, null, 2);
}

const pathErrors = (ds: ConfigDiagnostic[]) => ds.filter((d) => d.severity === 'error' && /outside the workspace|symbolic link/.test(d.message));
const underlined = (text: string, d: ConfigDiagnostic) => text.slice(d.offset, d.offset + d.length);

test('a data file reached with ".." is an error underlining the value; without a workspace root nothing changes', () => {
  const { workspace, configPath } = layout();
  const text = config('../../elsewhere/secret.csv');
  const [d, ...more] = pathErrors(validateConfigText(text, configPath, { workspaceRoot: workspace }).diagnostics);
  assert.equal(more.length, 0);
  assert.ok(d, 'no diagnostic for a path outside the workspace');
  assert.equal(d.path, 'data.source');
  assert.equal(underlined(text, d), '"../../elsewhere/secret.csv"');
  assert.match(d.message, /outside the workspace/);
  assert.match(d.message, /modelLab\.allowPathsOutsideWorkspace/);
  const line = text.split('\n').findIndex((l) => l.includes('secret.csv'));
  assert.equal(d.line, line);
  assert.equal(d.endLine, line);
  // The old two-argument call (CLI, tests) still validates the file as before: it exists, so no error.
  assert.deepEqual(pathErrors(validateConfigText(text, configPath).diagnostics), []);
  assert.ok(validateConfigText(text, configPath).config);
});

test('an absolute path outside the workspace is an error; one inside is fine', () => {
  const { workspace, configPath, outside } = layout();
  const text = config(outside);
  const [d] = pathErrors(validateConfigText(text, configPath, { workspaceRoot: workspace }).diagnostics);
  assert.ok(d);
  assert.equal(underlined(text, d), JSON.stringify(outside));
  const inside = config(join(workspace, 'exp', 'data.csv'));
  const r = validateConfigText(inside, configPath, { workspaceRoot: workspace });
  assert.deepEqual(r.diagnostics.filter((x) => x.severity === 'error'), []);
  assert.ok(r.config);
});

test('a symbolic link inside the workspace that points outside is an error (file and folder links)', () => {
  const { workspace, configPath, outside, outsideDir } = layout();
  symlinkSync(outside, join(workspace, 'exp', 'linked.csv'));
  symlinkSync(outsideDir, join(workspace, 'exp', 'linkeddir'));
  for (const rel of ['linked.csv', 'linkeddir/secret.csv']) {
    const text = config(rel);
    const [d] = pathErrors(validateConfigText(text, configPath, { workspaceRoot: workspace }).diagnostics);
    assert.ok(d, `no diagnostic for ${rel}`);
    assert.match(d.message, /symbolic link/);
    assert.equal(underlined(text, d), JSON.stringify(rel));
  }
  // A link that stays inside the workspace is fine.
  symlinkSync(join(workspace, 'exp', 'data.csv'), join(workspace, 'exp', 'inside.csv'));
  assert.ok(validateConfigText(config('inside.csv'), configPath, { workspaceRoot: workspace }).config);
});

test('train/validation/test files and deployment.export are checked too', () => {
  const { workspace, configPath } = layout();
  const c = JSON.parse(regressionConfig()) as Record<string, any>;
  delete c.data.source;
  delete c.data.split;
  c.data.train = 'data.csv';
  c.data.validation = '../../elsewhere/secret.csv';
  c.data.test = '/etc/passwd';
  c.deployment = { export: '../../../exported-model' };
  const text = JSON.stringify(c, null, 2);
  const ds = pathErrors(validateConfigText(text, configPath, { workspaceRoot: workspace }).diagnostics);
  assert.deepEqual(ds.map((d) => d.path).sort(), ['data.test', 'data.validation', 'deployment.export']);
  const exp = ds.find((d) => d.path === 'deployment.export')!;
  assert.equal(underlined(text, exp), '"../../../exported-model"');
  // An export folder inside the workspace that does not exist yet is fine.
  c.data.validation = 'data.csv';
  c.data.test = 'data.csv';
  c.deployment = { export: 'model-out/v1' };
  assert.ok(validateConfigText(JSON.stringify(c), configPath, { workspaceRoot: workspace }).config);
});

test('the setting modelLab.allowPathsOutsideWorkspace lets such paths through', () => {
  const { workspace, configPath, outside } = layout();
  symlinkSync(outside, join(workspace, 'exp', 'linked.csv'));
  for (const source of ['../../elsewhere/secret.csv', outside, 'linked.csv']) {
    const r = validateConfigText(config(source), configPath, { workspaceRoot: workspace, allowOutside: true });
    assert.ok(r.config, `${source}: ${JSON.stringify(r.diagnostics)}`);
  }
});

test('an escaping path is refused before the file is probed (no column errors from the outside file)', () => {
  const { workspace, configPath, outsideDir } = layout();
  writeFileSync(join(outsideDir, 'other.csv'), 'a,b\n1,2\n');
  const ds = validateConfigText(config('../../elsewhere/other.csv'), configPath, { workspaceRoot: workspace }).diagnostics;
  // Probing it would have said that the features x1… are unknown columns, revealing its header.
  assert.deepEqual(ds.filter((d) => /unknown column/.test(d.message)), []);
  assert.equal(pathErrors(ds).length, 1);
});

test('pathEscapesWorkspace: lexical and real-path checks', () => {
  const { workspace, outsideDir } = layout();
  mkdirSync(join(workspace, 'sub'), { recursive: true });
  assert.equal(pathEscapesWorkspace('sub/../exp/data.csv', workspace, { workspaceRoot: workspace }), undefined);
  assert.match(pathEscapesWorkspace('sub/../../x', workspace, { workspaceRoot: workspace }) ?? '', /outside/);
  assert.match(pathEscapesWorkspace(`${workspace}-sibling/x.csv`, workspace, { workspaceRoot: workspace }) ?? '', /outside/);
  symlinkSync(outsideDir, join(workspace, 'out'));
  // Not written yet, under a linked folder: the nearest existing ancestor decides.
  assert.match(pathEscapesWorkspace('out/new/model', workspace, { workspaceRoot: workspace }) ?? '', /symbolic link/);
  assert.equal(pathEscapesWorkspace('/etc/passwd', workspace, undefined), undefined);
});
