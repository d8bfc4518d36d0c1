// package.json's contributions against the code: every command the code
// registers is contributed (and the reverse), every %key% has an English and
// a Chinese text, activation is never `*`, and the VSIX allowlist ships what
// the extension loads at run time.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { test } from 'node:test';
import { CommandId, ContextKey } from '../../src/host/shell/commandIds';
import { SettingsTable } from '../../src/host/shell/settingsTable';
import { RUN_CONTEXT_VALUES } from '../../src/host/runs/experimentTreeModel';

const root = join(import.meta.dirname, '../..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));
const pkg = readJson('package.json');
const nls: Record<string, string> = readJson('package.nls.json');
const nlsZh: Record<string, string> = readJson('package.nls.zh-cn.json');

test('the contributed commands are exactly the command table, each with a title and the Model Lab category', () => {
  const contributed = (pkg.contributes.commands as { command: string; title: string; category: string }[]);
  assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(CommandId).sort());
  for (const c of contributed) {
    assert.match(c.title, /^%command\.\w+\.title%$/, c.command);
    assert.equal(nls[c.category.slice(1, -1)], 'Model Lab');
  }
  assert.equal(nls['command.train.title'], 'Train Current Config');
});

test('Stop is enabled only while training, through the context key the code sets', () => {
  const stop = pkg.contributes.commands.find((c: { command: string }) => c.command === CommandId.stop);
  assert.equal(stop.enablement, ContextKey.training);
  const palette = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === CommandId.stop);
  assert.equal(palette.when, ContextKey.training);
});

test('every %key% in package.json has an English and a Simplified Chinese text, and no text is unused', () => {
  const keys = [...JSON.stringify(pkg).matchAll(/"%([\w.]+)%"/g)].map((m) => m[1]!);
  assert.ok(keys.length > 10);
  for (const key of keys) {
    assert.ok(nls[key], `package.nls.json lacks ${key}`);
    assert.ok(nlsZh[key], `package.nls.zh-cn.json lacks ${key}`);
  }
  assert.deepEqual(Object.keys(nlsZh).sort(), Object.keys(nls).sort());
  assert.deepEqual(Object.keys(nls).filter((k) => !keys.includes(k)), []);
});

test('activation is on configs, JSON editors and the webview panels, never on *', () => {
  // The Experiments view activates the extension by itself (an implicit onView event).
  assert.deepEqual(pkg.activationEvents, [
    'workspaceContains:**/*.experiment.json',
    'onLanguage:json',
    'onLanguage:jsonc',
    'onWebviewPanel:modelLab.dashboard',
    'onWebviewPanel:modelLab.compare',
  ]);
});

test('configs are JSONC, validated by the bundled schema', () => {
  assert.deepEqual(pkg.contributes.languages, [{ id: 'jsonc', filenamePatterns: ['*.experiment.json'] }]);
  assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '*.experiment.json', url: './schema/experiment.schema.json' }]);
  assert.doesNotThrow(() => readJson('schema/experiment.schema.json'));
});

test('settings: backend, nodePath (machine-level, not from untrusted workspaces), runsDirectory, the executor and what a SLURM job runs', () => {
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), [
    'modelLab.allowPathsOutsideWorkspace',
    'modelLab.attention.maxTokens',
    'modelLab.backend',
    'modelLab.executor',
    'modelLab.maxDataFileMB',
    'modelLab.nodePath',
    'modelLab.runsDirectory',
    'modelLab.slurm.account',
    'modelLab.slurm.cliPath',
    'modelLab.slurm.cpusPerTask',
    'modelLab.slurm.extraArgs',
    'modelLab.slurm.gres',
    'modelLab.slurm.memory',
    'modelLab.slurm.nodePath',
    'modelLab.slurm.partition',
    'modelLab.slurm.setupLines',
    'modelLab.slurm.timeLimit',
    'modelLab.threads',
  ]);
  assert.deepEqual(props['modelLab.executor'].enum, ['local', 'slurm']);
  // A count of this machine's cores: 0 (every core) by default, the user's own value before a workspace's.
  assert.equal(props['modelLab.threads'].default, 0);
  assert.equal(props['modelLab.threads'].minimum, 0);
  assert.equal(props['modelLab.threads'].scope, 'machine-overridable');
  assert.equal(props['modelLab.executor'].default, 'local');
  assert.equal(props['modelLab.slurm.nodePath'].scope, 'machine-overridable');
  assert.equal(props['modelLab.slurm.cliPath'].scope, 'machine-overridable');
  assert.equal(props['modelLab.attention.maxTokens'].default, 128);
  assert.deepEqual(props['modelLab.backend'].enum, ['auto', 'tensorflow', 'wasm', 'cpu']);
  assert.equal(props['modelLab.backend'].default, 'auto');
  assert.equal(props['modelLab.runsDirectory'].default, '.modellab/runs');
  assert.equal(props['modelLab.nodePath'].scope, 'machine-overridable');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  // What runs programs or shell lines on a cluster is never taken from an untrusted workspace.
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, [
    'modelLab.nodePath',
    'modelLab.allowPathsOutsideWorkspace',
    'modelLab.executor',
    'modelLab.slurm.extraArgs',
    'modelLab.slurm.setupLines',
    'modelLab.slurm.nodePath',
    'modelLab.slurm.cliPath',
  ]);
});

test('the contributed settings are exactly the settings table: keys, defaults, choices and bounds', () => {
  const props = pkg.contributes.configuration.properties as Record<string, { type: string; default: unknown; enum?: string[]; minimum?: number; maximum?: number; items?: { type: string } }>;
  const table = Object.values(SettingsTable) as { key: string; default: unknown; choices?: readonly string[]; minimum?: number; maximum?: number; integer?: boolean }[];
  assert.deepEqual(Object.keys(props).sort(), table.map((s) => s.key).sort());
  for (const s of table) {
    const p = props[s.key]!;
    assert.deepEqual(p.default, s.default, `${s.key} default`);
    assert.deepEqual(p.enum, s.choices ? [...s.choices] : undefined, `${s.key} choices`);
    assert.equal(p.minimum, s.minimum, `${s.key} minimum`);
    assert.equal(p.maximum, s.maximum, `${s.key} maximum`);
    assert.equal(p.type, s.integer ? 'integer' : Array.isArray(s.default) ? 'array' : typeof s.default === 'string' ? 'string' : typeof s.default === 'boolean' ? 'boolean' : 'number', `${s.key} type`);
    if (Array.isArray(s.default)) assert.deepEqual(p.items, { type: 'string' }, `${s.key} items`);
  }
});

test("the context keys in package.json's when clauses are exactly the ones the code sets", () => {
  const whenKeys = new Set<string>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(collect);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'when' || k === 'enablement') && typeof x === 'string') {
        // A view's id (`view == modelLab.experiments`) is not a context key.
        for (const m of x.replace(/\bview\s*==\s*[\w.]+/g, '').matchAll(/\bmodelLab\.\w+/g)) whenKeys.add(m[0]);
      } else collect(x);
    }
  };
  collect(pkg.contributes);
  assert.deepEqual([...whenKeys].sort(), Object.values(ContextKey).sort());
});

test('the VSIX allowlist ships the bundles, wasm, media, schema, examples and translations, nothing else', () => {
  const lines = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.equal(lines[0], '**');
  for (const needed of ['!dist/extension.js', '!dist/trainer.js', '!dist/webview.js', '!dist/compare.js', '!dist/*.wasm', '!dist/tfjs-backend-wasm-threaded-simd.js', '!media/**', '!schema/**', '!l10n/**', '!package.nls*.json']) {
    assert.ok(lines.includes(needed), `.vscodeignore lacks ${needed}`);
  }
  assert.ok(!lines.some((l) => /map|node_modules|src\/|test\//.test(l)), 'no sources, maps or node_modules');
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.l10n, './l10n');
});

test('the VSIX ships every example as git holds it, and nothing that training or `npm run digits` leaves beside it', async (t) => {
  // vsce keeps a file that any "!" line matches, whatever the exclusions say, so the
  // allowlist must name exactly what ships; checked with vsce's own file listing.
  const tracked = execFileSync('git', ['ls-files', 'examples'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(tracked.length > 10);
  const copy = mkdtempSync(join(tmpdir(), 'modellab-vsix-list-'));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  for (const file of ['package.json', '.vscodeignore', 'README.md', 'LICENSE', ...tracked]) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(root, file), join(copy, file));
  }
  const leftBehind = [
    'examples/house-prices/.modellab/runs/20260101-000000-house-prices/meta.json',
    'examples/house-prices/model/model.json',
    'examples/digits/data/train/3/3-0001.png',
    'examples/digits/data/validation/3/3-0002.png',
    'examples/digits/data/test/3/3-0003.png',
  ];
  for (const file of leftBehind) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    writeFileSync(join(copy, file), '{}');
  }
  const vsce = (await import('@vscode/vsce')) as unknown as { listFiles(o: { cwd: string; packageManager: number }): Promise<string[]> };
  const shipped = new Set((await vsce.listFiles({ cwd: copy, packageManager: 2 /* none */ })).map((f) => f.split(sep).join('/')));
  assert.deepEqual(tracked.filter((f) => !shipped.has(f)), [], 'every example file git holds ships');
  assert.deepEqual(leftBehind.filter((f) => shipped.has(f)), [], 'runs, exported models and generated digits stay out');
});

test('the sidebar: a view container with its icon, the Experiments view, a welcome with New Experiment', () => {
  const { viewsContainers, views, viewsWelcome } = pkg.contributes;
  assert.deepEqual(viewsContainers.activitybar.map((c: { id: string }) => c.id), ['modelLab']);
  const icon = viewsContainers.activitybar[0].icon as string;
  assert.match(readFileSync(join(root, icon), 'utf8'), /^<svg[^>]*viewBox="0 0 24 24"/);
  assert.deepEqual(views.modelLab.map((v: { id: string }) => v.id), ['modelLab.experiments']);
  const welcome = viewsWelcome.find((w: { view: string }) => w.view === 'modelLab.experiments');
  assert.match(nls[welcome.contents.slice(1, -1)], /\[New Experiment\]\(command:modelLab\.newExperiment\)/);
  assert.match(nlsZh[welcome.contents.slice(1, -1)], /\(command:modelLab\.newExperiment\)/);
});

test('the Experiments view\'s menus use only commands of the table and context values the tree sets', () => {
  const contextValues: string[] = ['experiment', 'experiment.missing', 'sweep', 'damagedGroup', ...RUN_CONTEXT_VALUES];
  const commands = new Set<string>(Object.values(CommandId));
  const menus = pkg.contributes.menus as Record<string, { command: string; when?: string; group?: string }[]>;
  const items = menus['view/item/context'];
  assert.ok(items.length >= 10);
  /** The context values a `viewItem` clause accepts. */
  const accepts = (when: string): string[] => {
    const eq = /viewItem == ([\w.]+)/.exec(when);
    if (eq) return contextValues.filter((v) => v === eq[1]);
    const re = /viewItem =~ \/(.+)\/$/.exec(when);
    assert.ok(re, `no viewItem clause in ${when}`);
    return contextValues.filter((v) => new RegExp(re[1]!).test(v));
  };
  const menuFor = (value: string) => items.filter((i) => accepts(i.when!).includes(value)).map((i) => `${i.command}${i.group!.startsWith('inline') ? ' (inline)' : ''}`);
  for (const item of [...items, ...menus['view/title']]) {
    assert.ok(commands.has(item.command), `${item.command} is not in the command table`);
    assert.match(item.when ?? '', /view == modelLab\.experiments/);
  }
  // Stop only while this window trains the run; delete never while a run trains.
  assert.deepEqual(menuFor('run.training').filter((c) => /stop|delete/i.test(c)), ['modelLab.stopRun (inline)', 'modelLab.stopRun']);
  assert.deepEqual(menuFor('run.busy').filter((c) => /stop|delete/i.test(c)), []);
  assert.ok(menuFor('run.ended').includes('modelLab.deleteRun'));
  // Resume only where there is a checkpoint to carry on from; otherwise a resumable run has every ended run's actions.
  assert.deepEqual(menuFor('run.resumable').filter((c) => /resume/i.test(c)), ['modelLab.resumeRun (inline)', 'modelLab.resumeRun']);
  assert.deepEqual(menuFor('run.ended').filter((c) => /resume/i.test(c)), []);
  assert.deepEqual(menuFor('run.resumable').filter((c) => !/resume/i.test(c)), menuFor('run.ended'));
  assert.deepEqual(menuFor('run.damaged'), ['modelLab.revealRun', 'modelLab.deleteRun']);
  // Pin Model for Attention only on a completed Transformer run, which has every other ended run's action too.
  assert.deepEqual(RUN_CONTEXT_VALUES.filter((v) => menuFor(v).includes(CommandId.pinAttentionModel)), ['run.ended.attention']);
  assert.deepEqual(menuFor('run.ended.attention').filter((c) => c !== CommandId.pinAttentionModel), menuFor('run.ended'));
  for (const item of items) {
    assert.ok(accepts(item.when!).length > 0, `${item.command}'s when clause matches no context value the tree sets: ${item.when}`);
  }
  assert.ok(menuFor('experiment').includes('modelLab.train (inline)'));
  assert.ok(menuFor('sweep').includes('modelLab.compareRuns (inline)'));
  // Commands that need a run are not in the palette.
  const hidden = menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command).sort();
  assert.deepEqual(hidden, [CommandId.compareWith, CommandId.deleteRun, CommandId.exportRunCsv, CommandId.openRun, CommandId.revealRun, CommandId.stopRun, CommandId.trainAgain].sort());
});
