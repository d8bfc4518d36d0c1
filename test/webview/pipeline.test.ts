// The pipeline diagram in a real browser, under the dashboard's real CSP:
// every example's generated Mermaid text parses and draws with the bundled
// Mermaid (six stage nodes, nothing blocked), stage events re-colour the right
// node in the theme's colours without a new layout, nodes reveal their config
// section by mouse and keyboard, and a theme change redraws in the new colours.
// Every test has a page of its own, so any of them passes alone and in any order.
//
// Run: node --import tsx --test --test-concurrency=1 test/webview/pipeline.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { Page } from 'playwright-core';
import { mermaidFlowchartOnly } from '../../scripts/mermaidFlowchartOnly.mjs';
import { pipelineMermaid, pipelineNodes, PIPELINE_STAGES } from '../../src/core/pipeline';
import type { DashboardEventMessage, HostToWebviewMessage } from '../../src/core/protocol/dashboard';
import type { ExperimentConfig, RunSnapshot, StageName, StageStatus } from '../../src/core/types';
// For its declaration of window.modelLabMermaid, which the page code below uses.
import type { MermaidRenderer } from '../../webview/src/mermaidApi';
import { cspViolations, DARK_THEME as DARK, launchWebviewPages, LIGHT_THEME_OVERRIDES as LIGHT, pagePerTest, postedMessages, postToPage, repoRoot as root, webviewResultsDir as resultsDir, type WebviewPage, type WebviewPageSpec } from '../helpers/webviewPage';
import { houseRunMeta } from '../helpers/fixtures';

// A folder of its own, so this file and dashboard.test.ts can build at the same time.
const bundleDir = join(resultsDir, 'pipeline-bundles');

type Rgb = [number, number, number];

function hex(color: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color);
  assert.ok(m, color);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** What `color-mix(in srgb, <colour> <share>, <background>)` computes to. */
function mix(color: string, share: number, background: string): Rgb {
  const a = hex(color);
  const b = hex(background);
  return a.map((v, i) => v * share + b[i]! * (1 - share)) as Rgb;
}

/** A computed colour (`rgb(…)`, or `color(srgb …)` as color-mix() computes) as 0–255 channels. */
function channels(css: string): Rgb {
  const rgb = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(css);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  const srgb = /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/.exec(css);
  assert.ok(srgb, `not a colour: ${css}`);
  return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255];
}

function assertColour(actual: string, expected: Rgb, what: string): void {
  const got = channels(actual);
  assert.ok(got.every((v, i) => Math.abs(v - expected[i]!) <= 3), `${what}: ${actual}, expected about rgb(${expected.map(Math.round).join(', ')})`);
}

function exampleConfigs(): { name: string; config: ExperimentConfig }[] {
  const dir = join(root, 'examples');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => readdirSync(join(dir, e.name)).filter((f) => f.endsWith('.experiment.json')).map((f) => join(dir, e.name, f)))
    .map((file) => ({ name: file.slice(dir.length + 1), config: parseJsonc(readFileSync(file, 'utf8')) as ExperimentConfig }));
}

/** Text from a user's files that must arrive in the diagram as it was written. */
const HOSTILE = {
  source: 'data/"q" <img src=x onerror=alert(1)> & #35; `md` $$x^2$$ 房价 (v2) [a]|b|.csv',
  target: '价格 {元}',
};

function hostileConfig(): ExperimentConfig {
  return {
    name: 'hostile',
    task: 'regression',
    data: { source: HOSTILE.source, features: ['a<b', 'c"d', '面积'], target: HOSTILE.target, preprocess: [{ oneHot: ['区域 #1'] }] },
    model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 1 }] },
    training: { epochs: 3 },
    deployment: { export: 'out/<model> & "final"' },
  };
}

// ───────────────────────── harness ─────────────────────────

let webview: WebviewPage;
let page: Page;

async function post(msg: HostToWebviewMessage): Promise<void> {
  await postToPage(page, msg);
}

async function posted(): Promise<{ type: string; section?: string }[]> {
  return postedMessages<{ type: string; section?: string }>(page);
}

async function violations(): Promise<string[]> {
  return cspViolations(page);
}

/** Renders a text with the bundled Mermaid the way the dashboard does; returns what the page found. */
async function renderInPage(text: string): Promise<{ nodes: string[]; labels: Record<string, string>; error?: string }> {
  return page.evaluate(async (t) => {
    const mermaid = await new Promise<MermaidRenderer>((resolve, reject) => {
      if (window.modelLabMermaid) return resolve(window.modelLabMermaid);
      const s = document.createElement('script');
      s.nonce = document.querySelector('meta[property="csp-nonce"]')!.getAttribute('content')!;
      s.src = '/dist/mermaid.js';
      s.onload = () => resolve(window.modelLabMermaid!);
      s.onerror = () => reject(new Error('mermaid.js did not load'));
      document.head.append(s);
    });
    try {
      await mermaid.parse(t);
      const box = document.createElement('div');
      document.body.append(box);
      const look = { fontFamily: 'sans-serif', fontSize: 13, background: '#1e1e1e', foreground: '#d4d4d4', border: '#454545', line: '#9d9d9d', dark: true };
      const svg = await mermaid.render(`probe-${Math.random().toString(36).slice(2)}`, t, box, look);
      box.remove();
      const nodes = [...svg.querySelectorAll('g.node')];
      const labels: Record<string, string> = {};
      for (const n of nodes) {
        const id = /-flowchart-(\w+)-\d+$/.exec(n.id)?.[1] ?? n.id;
        // One line per row, as the reader sees them (Mermaid wraps a long line at its spaces).
        labels[id] = [...n.querySelectorAll('tspan.row')].map((r) => r.textContent).join('\n');
      }
      return { nodes: nodes.map((n) => /-flowchart-(\w+)-\d+$/.exec(n.id)?.[1] ?? n.id), labels };
    } catch (e) {
      return { nodes: [], labels: {}, error: String((e as Error)?.message ?? e) };
    }
  }, text);
}

/** The dashboard with the bundles built here, Mermaid included. */
const PIPELINE_PAGE: WebviewPageSpec = {
  bundles: [
    { entryPoints: { webview: 'webview/src/main.ts' }, outdir: bundleDir, sourcemap: false },
    { entryPoints: { mermaid: 'webview/src/mermaidEntry.ts' }, outdir: bundleDir, sourcemap: false, plugins: [mermaidFlowchartOnly] },
  ],
  title: 'Model Lab',
  script: '/dist/webview.js',
  mermaid: '/dist/mermaid.js',
  styles: ['/media/dashboard.css'],
  files: {
    '/dist/webview.js': join(bundleDir, 'webview.js'),
    '/dist/mermaid.js': join(bundleDir, 'mermaid.js'),
    '/media/dashboard.css': 'media/dashboard.css',
  },
};

pagePerTest(
  () =>
    launchWebviewPages(PIPELINE_PAGE, {
      theme: DARK,
      keepState: false,
      // Reduced motion: no colour transitions to wait for (and the stylesheet's reduced-motion rules are used).
      context: { viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' },
      timeout: 15_000,
      sameOriginOnly: true,
    }),
  (opened) => {
    webview = opened;
    page = opened.page;
  },
);

// ───────────────────────── tests ─────────────────────────

test('Mermaid is not loaded until there is a pipeline to draw', async () => {
  assert.equal(await page.evaluate(() => !!document.querySelector('script[src$="/dist/mermaid.js"]')), false);
  assert.equal(await page.evaluate(() => window.modelLabMermaid), undefined);
});

test('every example pipeline parses and draws with the bundled Mermaid: six stage nodes', async (t) => {
  const examples = exampleConfigs();
  assert.ok(examples.length >= 1);
  for (const { name, config } of examples) {
    for (const [variant, text] of [
      ['config only', pipelineMermaid(config)],
      ['with a run', pipelineMermaid(config, { statuses: { data: 'done', preprocess: 'done', training: 'running' }, dataSizes: { train: 700, validation: 200, test: 100 } })],
    ] as const) {
      const result = await renderInPage(text);
      assert.equal(result.error, undefined, `${name} (${variant}): ${result.error}`);
      // A fine-tuned config's pretraining node comes after the six stages.
      assert.deepEqual(result.nodes, pipelineNodes(config), `${name} (${variant})`);
      t.diagnostic(`${name} (${variant}): ${result.nodes.length} nodes; training: ${JSON.stringify(result.labels.training)}`);
    }
  }
  assert.deepEqual(await violations(), []);
});

test('text from user files arrives in the diagram as written: quotes, markup, entities, math, CJK', async () => {
  const result = await renderInPage(pipelineMermaid(hostileConfig()));
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.nodes, [...PIPELINE_STAGES]);
  assert.ok(result.labels.data!.replace(/\n/g, ' ').includes(HOSTILE.source), `data node: ${JSON.stringify(result.labels.data)}`);
  assert.match(result.labels.data!, /a<b, c"d, 面积 → 价格 \{元\}/);
  assert.match(result.labels.preprocess!, /one-hot 区域 #1/);
  assert.match(result.labels.deployment!, /export to out\/<model> & "final"/);
  assert.match(result.labels.training!, /Dense 8 relu → Dropout 0\.1 →\nDense 1/);
  assert.equal(await page.evaluate(() => document.querySelector('img[src=x]')), null);
  assert.deepEqual(await violations(), []);
});

// ── the dashboard

const RUN_ID = '20250101-120000-house-prices-ab12';
const houseConfig = (): ExperimentConfig => exampleConfigs().find((e) => e.name === join('house-prices', 'house-prices.experiment.json'))!.config;

function snapshot(stages: Partial<Record<StageName, StageStatus>>): RunSnapshot {
  const meta = houseRunMeta({ id: RUN_ID, epochsPlanned: 40, stages });
  return { meta, metrics: [], stages };
}

async function nodeStyle(stage: StageName): Promise<{ fill: string; stroke: string; status: string | null; label: string | null }> {
  return page.evaluate((s) => {
    const node = document.querySelector(`#pipeline-diagram g.node[data-stage="${s}"]`)!;
    const shape = node.querySelector(':scope > .label-container')!;
    const style = getComputedStyle(shape);
    return { fill: style.fill, stroke: style.stroke, status: node.getAttribute('data-status'), label: node.getAttribute('aria-label') };
  }, stage);
}

const RUNNING_STAGES = { data: 'done', preprocess: 'done', training: 'running' } as const;

/** The running house-prices run with its pipeline (data and preprocess done, training running), drawn. */
async function showRunningPipeline(): Promise<void> {
  await post({ type: 'state', run: snapshot(RUNNING_STAGES), training: true, pipeline: pipelineMermaid(houseConfig(), { statuses: RUNNING_STAGES }) });
  await page.locator('#pipeline-diagram[data-rendered="true"]').waitFor();
}

function stageEvent(stage: StageName, status: StageStatus): DashboardEventMessage {
  return { type: 'event', runId: RUN_ID, event: { type: 'stage', stage, status } };
}

/** Then training done, evaluation failed, deployment skipped. */
async function failEvaluation(): Promise<void> {
  await post(stageEvent('training', 'done'));
  await post(stageEvent('evaluation', 'failed'));
  await post(stageEvent('deployment', 'skipped'));
  await page.waitForFunction(() => document.querySelector('#pipeline-diagram g.node[data-stage="deployment"]')?.getAttribute('data-status') === 'skipped');
}

test('the dashboard draws the pipeline and colours each stage by its status', async () => {
  await showRunningPipeline();
  assert.equal(await page.locator('#pipeline').isVisible(), true);
  assert.equal(await page.locator('#pipeline-title').textContent(), 'Pipeline');
  assert.deepEqual(await page.locator('#pipeline-diagram g.node').evaluateAll((ns) => ns.map((n) => n.getAttribute('data-stage'))), [...PIPELINE_STAGES]);
  const bg = DARK['--vscode-editor-background']!;
  const done = await nodeStyle('data');
  assert.equal(done.status, 'done');
  assertColour(done.fill, mix(DARK['--vscode-charts-green']!, 0.22, bg), 'data (done) fill');
  assertColour(done.stroke, hex(DARK['--vscode-charts-green']!), 'data (done) stroke');
  const running = await nodeStyle('training');
  assertColour(running.fill, mix(DARK['--vscode-charts-blue']!, 0.22, bg), 'training (running) fill');
  assert.equal(running.label, 'training: running. Show this stage in the config');
  const pending = await nodeStyle('evaluation');
  assert.equal(pending.status, 'pending');
  assertColour(pending.fill, hex(bg), 'evaluation (pending) fill');
  // The header's stage row is still there, in step.
  assert.equal(await page.locator('#stages [data-stage="training"]').getAttribute('data-status'), 'running');
});

test('stage events re-colour the right nodes without a new layout', async () => {
  await showRunningPipeline();
  await page.evaluate(() => document.querySelector('#pipeline-diagram svg')!.setAttribute('data-probe', 'first'));
  const before = Object.fromEntries(await Promise.all(PIPELINE_STAGES.map(async (s) => [s, await nodeStyle(s)] as const)));
  await post(stageEvent('training', 'done'));
  await post(stageEvent('evaluation', 'running'));
  await page.waitForFunction(() => document.querySelector('#pipeline-diagram g.node[data-stage="evaluation"]')?.getAttribute('data-status') === 'running');
  const bg = DARK['--vscode-editor-background']!;
  assertColour((await nodeStyle('training')).fill, mix(DARK['--vscode-charts-green']!, 0.22, bg), 'training (done) fill');
  assertColour((await nodeStyle('evaluation')).fill, mix(DARK['--vscode-charts-blue']!, 0.22, bg), 'evaluation (running) fill');
  for (const s of ['data', 'preprocess', 'deployment', 'application'] as const) {
    assert.deepEqual(await nodeStyle(s), before[s], `${s} is unchanged`);
  }
  await post(stageEvent('evaluation', 'failed'));
  await post(stageEvent('deployment', 'skipped'));
  await page.waitForFunction(() => document.querySelector('#pipeline-diagram g.node[data-stage="deployment"]')?.getAttribute('data-status') === 'skipped');
  assertColour((await nodeStyle('evaluation')).fill, mix(DARK['--vscode-charts-red']!, 0.22, bg), 'evaluation (failed) fill');
  assertColour((await nodeStyle('evaluation')).stroke, hex(DARK['--vscode-charts-red']!), 'evaluation (failed) stroke');
  assert.notDeepEqual((await nodeStyle('deployment')).fill, before.deployment!.fill);
  assert.equal(await page.locator('#pipeline-diagram svg').getAttribute('data-probe'), 'first', 'the same SVG, not a new drawing');
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline.png') });
});

test('a node reveals its config section, by mouse and by keyboard', async () => {
  await showRunningPipeline();
  await page.evaluate(() => ((window as unknown as { __posted: unknown[] }).__posted.length = 0));
  await page.locator('#pipeline-diagram g.node[data-stage="training"]').click();
  assert.deepEqual(await posted(), [{ type: 'revealConfigSection', section: 'training' }]);

  await page.locator('#pipeline-diagram g.node[data-stage="data"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-stage')), 'preprocess');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press(' ');
  assert.deepEqual((await posted()).slice(1), [
    { type: 'revealConfigSection', section: 'preprocess' },
    { type: 'revealConfigSection', section: 'training' },
  ]);
  // Every stage node is in the tab order, as a button.
  assert.deepEqual(
    await page.locator('#pipeline-diagram g.node').evaluateAll((ns) => ns.map((n) => `${n.getAttribute('role')}:${n.getAttribute('tabindex')}`)),
    PIPELINE_STAGES.map(() => 'button:0'),
  );
});

test("a fine-tuned run's pretraining node: done in the theme's colours, named for screen readers, it reveals the training section", async () => {
  const config: ExperimentConfig = { ...houseConfig(), model: { ...houseConfig().model, base: { from: 'runs/base', freezeEpochs: 1 } } };
  const base = { kind: 'run', id: '20250101-110000-house-base-cd34', path: '/w/.modellab/runs/20250101-110000-house-base-cd34/model', task: 'regression' } as const;
  await post({ type: 'state', run: snapshot(RUNNING_STAGES), training: true, pipeline: pipelineMermaid(config, { statuses: RUNNING_STAGES, base }) });
  await page.locator('#pipeline-diagram[data-rendered="true"]').waitFor();
  assert.deepEqual(await page.locator('#pipeline-diagram g.node').evaluateAll((ns) => ns.map((n) => n.getAttribute('data-stage'))), [...PIPELINE_STAGES, 'pretrain']);
  const pretrain = await page.evaluate(() => {
    const node = document.querySelector('#pipeline-diagram g.node[data-stage="pretrain"]')!;
    const style = getComputedStyle(node.querySelector(':scope > .label-container')!);
    return { fill: style.fill, stroke: style.stroke, status: node.getAttribute('data-status'), label: node.getAttribute('aria-label'), classes: node.getAttribute('class'), text: [...node.querySelectorAll('tspan.row')].map((r) => r.textContent).join(' ') };
  });
  assert.equal(pretrain.status, 'done');
  const bg = DARK['--vscode-editor-background']!;
  assertColour(pretrain.fill, mix(DARK['--vscode-charts-green']!, 0.22, bg), 'pretraining (done) fill');
  assertColour(pretrain.stroke, hex(DARK['--vscode-charts-green']!), 'pretraining (done) stroke');
  assert.doesNotMatch(pretrain.classes ?? '', /\bdone\b/, "Mermaid's own status class gives way to the stylesheet's");
  assert.equal(pretrain.label, 'Pretraining: done. Show this stage in the config');
  assert.match(pretrain.text, /base: regression run 20250101-110000-house-base-cd34/);
  // The training node keeps its own status.
  assert.equal(await page.locator('#pipeline-diagram g.node[data-stage="training"]').getAttribute('data-status'), 'running');
  await page.evaluate(() => ((window as unknown as { __posted: unknown[] }).__posted.length = 0));
  await page.locator('#pipeline-diagram g.node[data-stage="pretrain"]').click();
  assert.deepEqual(await posted(), [{ type: 'revealConfigSection', section: 'training' }]);
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline-pretraining.png') });
  assert.deepEqual(await violations(), []);
});

test('a new pipeline text for the run (its split sizes) is drawn again', async () => {
  await showRunningPipeline();
  await failEvaluation();
  // Marks the drawing there is now, to see it replaced.
  await page.evaluate(() => document.querySelector('#pipeline-diagram svg')!.setAttribute('data-probe', 'first'));
  const stages = RUNNING_STAGES;
  await post({ type: 'pipeline', runId: RUN_ID, pipeline: pipelineMermaid(houseConfig(), { statuses: stages, dataSizes: { train: 700, validation: 200, test: 100 } }) });
  await page.waitForFunction(() => !document.querySelector('#pipeline-diagram svg[data-probe]') && document.querySelector('#pipeline-diagram')?.textContent?.includes('train 700'));
  // …keeping the statuses the run has now, not the ones in the text.
  assert.equal((await nodeStyle('evaluation')).status, 'failed');
  // A pipeline for another run is not this one's.
  await post({ type: 'pipeline', runId: 'another-run', pipeline: 'flowchart LR\n  x --> y\n' });
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#pipeline-diagram g.node').count(), 6);
});

test('in a narrow panel the stages stack top to bottom, in a middling one they take two rows, and go back side by side when it widens', async () => {
  await showRunningPipeline();
  await failEvaluation();
  // Centres of the stage nodes in pipeline order (Mermaid's document order differs between layouts).
  const order = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];
  const boxes = async () => {
    const found = await page.locator('#pipeline-diagram g.node[data-stage]').evaluateAll((ns) => ns.map((n) => {
      const r = n.getBoundingClientRect();
      return { stage: (n as SVGGElement).dataset.stage, x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }));
    return order.map((stage) => found.find((b) => b.stage === stage)!);
  };
  assert.equal(await page.locator('#pipeline-diagram').getAttribute('data-direction'), 'LR');
  await page.setViewportSize({ width: 440, height: 900 });
  await page.locator('#pipeline-diagram[data-direction="TB"][data-rendered="true"]').waitFor();
  const stacked = await boxes();
  assert.equal(stacked.length, 6);
  for (let i = 1; i < stacked.length; i++) {
    assert.ok(stacked[i]!.y > stacked[i - 1]!.y + 20, `stage ${i} is below stage ${i - 1}: ${JSON.stringify(stacked)}`);
    assert.ok(Math.abs(stacked[i]!.x - stacked[0]!.x) < 5, `stages share a column: ${JSON.stringify(stacked)}`);
  }
  const overflow = await page.locator('#pipeline-diagram').evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.ok(overflow <= 0, `the stacked diagram fits the panel (overflows by ${overflow}px)`);
  // The statuses survive the new drawing.
  assert.equal((await nodeStyle('evaluation')).status, 'failed');
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline-narrow.png') });

  // Between the two: two rows of three, each read left to right, the second under the first, the panel's width used.
  await page.setViewportSize({ width: 1000, height: 900 });
  await page.locator('#pipeline-diagram[data-direction="rows"][data-rendered="true"]').waitFor();
  const rows = await boxes();
  assert.equal(rows.length, 6);
  for (const [a, b] of [[0, 1], [1, 2], [3, 4], [4, 5]]) {
    assert.ok(Math.abs(rows[a]!.y - rows[b]!.y) < 5 && rows[b]!.x > rows[a]!.x + 20, `stages ${a} and ${b} side by side: ${JSON.stringify(rows)}`);
  }
  assert.ok(rows[3]!.y > rows[2]!.y + 40, `the second row is below the first: ${JSON.stringify(rows)}`);
  const rowsOverflow = await page.locator('#pipeline-diagram').evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.ok(rowsOverflow <= 0, `two rows fit the panel (overflow ${rowsOverflow}px)`);
  assert.equal((await nodeStyle('evaluation')).status, 'failed');
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline-two-rows.png') });

  await page.setViewportSize({ width: 1400, height: 900 });
  await page.locator('#pipeline-diagram[data-direction="LR"][data-rendered="true"]').waitFor();
  const sideBySide = await boxes();
  for (let i = 1; i < sideBySide.length; i++) assert.ok(sideBySide[i]!.x > sideBySide[i - 1]!.x + 20, JSON.stringify(sideBySide));
});

test("a fine-tuned run's pipeline in two rows: the pretraining sits in the first row, before training; the second row as ever", async () => {
  const config: ExperimentConfig = { ...houseConfig(), model: { ...houseConfig().model, base: 'runs/base' } };
  const base = { kind: 'run', id: '20250101-110000-house-base-cd34', path: '/w/.modellab/runs/20250101-110000-house-base-cd34/model', task: 'regression' } as const;
  await post({ type: 'state', run: snapshot(RUNNING_STAGES), training: true, pipeline: pipelineMermaid(config, { statuses: RUNNING_STAGES, base }) });
  await page.locator('#pipeline-diagram[data-rendered="true"]').waitFor();
  // Narrower than the side-by-side drawing needs (its pretraining column is wide), wider than a stack.
  const natural = await page.locator('#pipeline-diagram svg').evaluate((svg) => (svg as SVGSVGElement).viewBox.baseVal.width);
  await page.setViewportSize({ width: Math.round(natural * 0.62), height: 900 });
  await page.locator('#pipeline-diagram[data-direction="rows"][data-rendered="true"]').waitFor();
  const boxes = Object.fromEntries(
    await page.locator('#pipeline-diagram g.node[data-stage]').evaluateAll((ns) =>
      ns.map((n) => {
        const r = n.getBoundingClientRect();
        return [(n as SVGGElement).dataset.stage!, { x: r.x + r.width / 2, y: r.y + r.height / 2, top: r.y, bottom: r.y + r.height }] as const;
      }),
    ),
  );
  const at = (s: string) => boxes[s]!;
  // The first row: data, then preprocessing over pretraining, then training between the two; the second row as ever.
  for (const [a, b] of [['data', 'preprocess'], ['evaluation', 'deployment'], ['deployment', 'application']]) {
    assert.ok(Math.abs(at(a).y - at(b).y) < 5 && at(b).x > at(a).x + 20, `${a} and ${b} side by side: ${JSON.stringify(boxes)}`);
  }
  assert.ok(Math.abs(at('pretrain').x - at('preprocess').x) < 5 && at('pretrain').y > at('preprocess').y + 20, `the pretraining under preprocessing: ${JSON.stringify(boxes)}`);
  assert.ok(at('training').x > at('preprocess').x + 20 && at('training').y > at('preprocess').y && at('training').y < at('pretrain').y, `training right of both, between them: ${JSON.stringify(boxes)}`);
  const firstRowBottom = Math.max(...['data', 'preprocess', 'training', 'pretrain'].map((s) => at(s).bottom));
  assert.ok(at('evaluation').top > firstRowBottom, `the second row is below the first: ${JSON.stringify(boxes)}`);
  const overflow = await page.locator('#pipeline-diagram').evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.ok(overflow <= 0, `two rows fit the panel (overflow ${overflow}px)`);
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline-pretraining-two-rows.png') });
});

test('a theme change redraws the pipeline in the new colours', async () => {
  await showRunningPipeline();
  await failEvaluation();
  const firstId = await page.locator('#pipeline-diagram svg').getAttribute('id');
  await page.evaluate((vars) => {
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
    document.body.classList.replace('vscode-dark', 'vscode-light');
    document.body.dataset.vscodeThemeKind = 'vscode-light';
  }, LIGHT);
  await page.waitForFunction((id) => {
    const svg = document.querySelector('#pipeline-diagram svg');
    return !!svg && svg.id !== id && document.querySelector('#pipeline-diagram')?.getAttribute('data-rendered') === 'true';
  }, firstId);
  const bg = LIGHT['--vscode-editor-background']!;
  assertColour((await nodeStyle('data')).fill, mix(LIGHT['--vscode-charts-green']!, 0.22, bg), 'data (done) fill, light');
  assertColour((await nodeStyle('evaluation')).stroke, hex(LIGHT['--vscode-charts-red']!), 'evaluation (failed) stroke, light');
  // Mermaid's own colours (edges, text) came from the light theme too.
  const edge = await page.evaluate(() => getComputedStyle(document.querySelector('#pipeline-diagram .flowchart-link')!).stroke);
  assertColour(edge, hex(LIGHT['--vscode-descriptionForeground']!), 'edge stroke, light');
  const text = await page.evaluate(() => getComputedStyle(document.querySelector('#pipeline-diagram g.node[data-stage="training"] text')!).fill);
  assertColour(text, hex(LIGHT['--vscode-editor-foreground']!), 'node text, light');
  await page.locator('#pipeline').screenshot({ path: join(resultsDir, 'pipeline-light.png') });
});

test('no CSP violations, no console errors, nothing fetched from elsewhere', async () => {
  // (Every test's page is checked after it too.)
  await showRunningPipeline();
  await failEvaluation();
  assert.deepEqual(await violations(), []);
  assert.deepEqual(webview.errors, []);
});
