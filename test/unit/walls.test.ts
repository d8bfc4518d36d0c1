// The walls between layers, checked on every import of every source file
// (ARCHITECTURE.md draws them):
//   src/core     pure logic every process shares: no I/O, no editor, no engine —
//                only core itself and a few pure parsing libraries;
//   src/node     files and processes that the VS Code host and the CLI share: no
//                vscode, no TensorFlow.js;
//   src/trainer  the training and inference child processes (TensorFlow.js): no vscode, no host;
//   src/cli      the `modellab` command: no vscode, no host;
//   src/host     the VS Code side: never TensorFlow.js or the trainer's code (it forks them);
//   webview/src  browser code: only the core modules listed in webview/tsconfig.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { test } from 'node:test';
import { importCycles, importsOf, sourceFiles } from '../helpers/importGraph';
import type { ImportEdge } from '../helpers/importGraph';

const root = join(__dirname, '../..');

interface Layer {
  /** Folders (repo-relative) whose files this layer may import. */
  folders: readonly string[];
  /** npm packages it may import; undefined: any but `forbidden`. */
  packages?: readonly string[];
  /** Packages (and prefixes ending in '/') it must never import. */
  forbidden?: readonly string[];
  /** Whether Node's built-in modules (node:fs, node:child_process, …) are allowed. */
  nodeBuiltins: boolean;
}

const LAYERS: Record<string, Layer> = {
  'src/core': { folders: ['src/core', 'schema'], packages: ['ajv', 'jsonc-parser', 'papaparse'], nodeBuiltins: false },
  'src/node': { folders: ['src/core', 'src/node', 'schema'], forbidden: ['vscode', '@tensorflow/'], nodeBuiltins: true },
  'src/trainer': { folders: ['src/core', 'src/node', 'src/trainer', 'package.json'], forbidden: ['vscode'], nodeBuiltins: true },
  'src/cli': { folders: ['src/core', 'src/node', 'src/trainer', 'src/cli', 'package.json'], forbidden: ['vscode'], nodeBuiltins: true },
  'src/host': { folders: ['src/core', 'src/node', 'src/host'], forbidden: ['@tensorflow/'], nodeBuiltins: true },
  'webview/src': { folders: ['webview/src'], packages: ['chart.js', 'mermaid', '@vscode/webview-ui-toolkit'], nodeBuiltins: false },
};

/** The core files the webview may include: its tsconfig's list, so the compiler and this test agree. */
function webviewCoreFiles(): string[] {
  const config = JSON.parse(readFileSync(join(root, 'webview/tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
  return config.include.filter((p) => p.startsWith('../src/')).map((p) => normalize(join('webview', p)));
}

const packageOf = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || ['fs', 'path', 'child_process', 'os', 'http', 'net', 'crypto', 'util', 'v8'].includes(specifier);

/** What is wrong with one import of a file of `layer` ('' when it is allowed). */
function violation(layerName: string, layer: Layer, edge: ImportEdge, webviewCore: readonly string[]): string {
  if (edge.target || edge.specifier.startsWith('.')) {
    const target = edge.target ?? edge.specifier;
    if (layer.folders.some((f) => target === f || target.startsWith(`${f}/`))) return '';
    if (layerName === 'webview/src' && webviewCore.includes(target)) return '';
    return `imports ${target}, outside ${layer.folders.join(', ')}`;
  }
  if (isBuiltin(edge.specifier)) return layer.nodeBuiltins ? '' : `imports Node's ${edge.specifier}`;
  const pkg = packageOf(edge.specifier);
  if (layer.forbidden?.some((f) => (f.endsWith('/') ? edge.specifier.startsWith(f) : pkg === f))) return `imports ${edge.specifier}`;
  if (layer.packages && !layer.packages.includes(pkg)) return `imports the package ${edge.specifier}, not one of ${layer.packages.join(', ')}`;
  return '';
}

/** Every forbidden import among `files` (repo-relative), as "file:line: what". */
function wallViolations(files: readonly string[], textOf?: (file: string) => string): string[] {
  const webviewCore = webviewCoreFiles();
  const out: string[] = [];
  for (const file of files) {
    const layerName = Object.keys(LAYERS).find((l) => file.startsWith(`${l}/`));
    if (!layerName) continue;
    const layer = LAYERS[layerName]!;
    for (const edge of importsOf(root, file, textOf?.(file))) {
      const why = violation(layerName, layer, edge, webviewCore);
      if (why) out.push(`${file}:${edge.line}: ${why}`);
    }
  }
  return out;
}

const files = sourceFiles(root, ['src', 'webview/src']);

test('no file crosses a wall between layers', () => {
  assert.ok(files.length > 100, `only ${files.length} source files found`);
  assert.deepEqual(wallViolations(files), []);
});

test('the core files the webview may include import only one another', () => {
  const allowed = webviewCoreFiles();
  const outside = allowed.flatMap((file) =>
    importsOf(root, file)
      .filter((e) => e.target && !allowed.includes(e.target) && !e.target.startsWith('schema/'))
      .map((e) => `${file}:${e.line}: imports ${e.target}, which webview/tsconfig.json does not list`),
  );
  assert.deepEqual(outside, []);
});

test('the wall test catches a forbidden import in each layer', () => {
  const planted: Record<string, string> = {
    'src/core/planted.ts': "import * as vscode from 'vscode';",
    'src/core/planted2.ts': "import { readFileSync } from 'node:fs';",
    'src/core/planted3.ts': "import { fork } from 'child_process';",
    'src/core/planted4.ts': "import * as tf from '@tensorflow/tfjs-core';",
    'src/core/planted5.ts': "import { listRuns } from '../node/runReader';",
    'src/node/planted.ts': "const tf = require('@tensorflow/tfjs-core');",
    'src/trainer/planted.ts': "import type { ModelLabContext } from '../host/shell/ctx';",
    'src/cli/planted.ts': "import { TrainingProcess } from '../host/training/trainingProcess';",
    'src/cli/planted2.ts': "import * as vscode from 'vscode';",
    'src/host/planted.ts': "import { runTraining } from '../trainer/engine';",
    'webview/src/planted.ts': "import { readRunMeta } from '../../src/node/runReader';",
    'webview/src/planted2.ts': "const m = await import('../../src/core/sweep');",
  };
  const found = wallViolations(Object.keys(planted), (f) => planted[f]!);
  for (const file of Object.keys(planted)) assert.ok(found.some((v) => v.startsWith(`${file}:1:`)), `${file} was not caught: ${found.join('\n')}`);
});

test('no import cycles among the source files', () => {
  assert.deepEqual(importCycles(root, files), []);
});
