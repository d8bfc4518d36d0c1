// Builds every bundle with esbuild: the extension host, the trainer child
// process, the CLI (all Node, CommonJS), the dashboard webview and its
// separately loaded Mermaid (browser).
// Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mermaidFlowchartOnly } from './mermaidFlowchartOnly.mjs';
import { precompiledSchema } from './precompiledSchema.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// The wasm backend's binaries ship beside the bundles; the trainer points
// setWasmPaths at its own folder. So does the threaded build's Emscripten
// script, which its pthread workers load (src/trainer/backend.ts).
const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(dist, f));
copyFileSync(join(wasmDir, '../wasm-out/tfjs-backend-wasm-threaded-simd.js'), join(dist, 'tfjs-backend-wasm-threaded-simd.js'));

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  absWorkingDir: root,
};
const nodeCommon = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // tfjs packages list their ESM entry files as side effects (kernel and
  // gradient registration); their CJS "main" files are not listed, so
  // esbuild would drop the registrations. Prefer "module".
  mainFields: ['module', 'main'],
  // Native TensorFlow is loaded at run time from node_modules or the
  // extension's storage folder, never bundled.
  external: ['vscode', '@tensorflow/tfjs-node'],
  // The config schema's validator compiled at build time, not at every start.
  plugins: [precompiledSchema],
};

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'src/host/shell/extension.ts' }, outdir: dist },
  { ...nodeCommon, entryPoints: { trainer: 'src/trainer/childMain.ts' }, outdir: dist },
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: dist, banner: { js: '#!/usr/bin/env node' } },
  {
    ...common,
    // The dashboard and the run comparison: two pages, each a bundle of its own.
    entryPoints: { webview: 'webview/src/main.ts', compare: 'webview/src/compare/main.ts', lrFinder: 'webview/src/lrFinder/main.ts' },
    outdir: dist,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    // Mermaid, in a bundle of its own that the dashboard loads when it has a pipeline to draw.
    ...common,
    entryPoints: { mermaid: 'webview/src/mermaidEntry.ts' },
    outdir: dist,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    plugins: [mermaidFlowchartOnly],
  },
];

// --only=cli,trainer builds a subset (handy while one side is being written).
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : undefined;
const selected = only ? builds.filter((b) => Object.keys(b.entryPoints).some((k) => only.has(k))) : builds;

const chmodCli = { name: 'chmod-cli', setup(b) { b.onEnd(() => { try { chmodSync(join(dist, 'cli.js'), 0o755); } catch {} }); } };

if (watch) {
  for (const b of selected) {
    const ctx = await esbuild.context({ ...b, plugins: [...(b.plugins ?? []), ...(b.entryPoints.cli ? [chmodCli] : [])] });
    await ctx.watch();
  }
} else {
  await Promise.all(selected.map((b) => esbuild.build({ ...b, plugins: [...(b.plugins ?? []), ...(b.entryPoints.cli ? [chmodCli] : [])] })));
}
