// The dashboard's fill-mask box end to end in a real VS Code: a workspace
// with a completed masked-language-model run (the hand-built model of
// test/helpers/handBuiltMlm.ts, whose probabilities are known exactly), the
// dashboard opened on it; typing a sentence with [MASK] in the box goes from
// the page through the host's guard and the inference child and back, and the
// rows show the model's tokens and probabilities. A second sentence typed
// right after replaces the first (the host cancels the older request), and
// the time from the last key to the drawn rows is printed.
// Run: npm run package, then node --import tsx --test test/e2e/fillMask.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/trainer/backend';
import { houseRunMeta } from '../helpers/fixtures';
import { writeHandBuiltModel } from '../helpers/handBuiltMlm';
import { log, quickOpen, runCommand, startSession, waitFor, webviewWith, type Session } from './harness';

const CONFIG = 'tiny-mlm.experiment.json';
const RUN_ID = '20261206-120000-tiny-mlm-e2e1';
const CONFIG_JSON = {
  name: 'tiny-mlm',
  task: 'masked-language-model',
  data: { source: 'data/corpus.txt', tokenizer: { type: 'word', lowercase: true, punctuation: 'split', maxLength: 5 } },
  model: { type: 'transformerEncoder', layers: 1, heads: 1, dModel: 16, maxLength: 5 },
  training: { epochs: 1, seed: 1 },
};

function makeWorkspace(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'modellab-fill-mask-')), 'tiny-mlm');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'corpus.txt'), 'the order is late\nthe box was late\nthe order arrived\n');
  writeFileSync(join(dir, CONFIG), JSON.stringify(CONFIG_JSON, null, 2) + '\n');
  return dir;
}

/** A completed run of the config, its model the hand-built masked-language model. */
async function writeRun(workspace: string): Promise<void> {
  const runDir = join(workspace, '.modellab', 'runs', RUN_ID);
  await selectBackend('wasm');
  await writeHandBuiltModel(join(runDir, 'model'));
  const meta = houseRunMeta({
    id: RUN_ID,
    name: 'tiny-mlm',
    task: 'masked-language-model' as never,
    configPath: join(workspace, CONFIG),
    status: 'completed',
    createdAt: '2026-12-06T12:00:00.000Z',
    endedAt: '2026-12-06T12:00:05.000Z',
    epochsPlanned: 1,
    epochsDone: 1,
  });
  writeFileSync(join(runDir, 'meta.json'), JSON.stringify(meta, null, 2));
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(CONFIG_JSON, null, 2));
  writeFileSync(join(runDir, 'metrics.jsonl'), '');
}

test('fill-mask: the dashboard fills in a typed [MASK] with the model\'s tokens and probabilities', { timeout: 600_000 }, async () => {
  const session: Session = await startSession({ name: 'fill-mask', workspace: makeWorkspace(), readyTreeItem: CONFIG, prepareWorkspace: writeRun });
  const { page, shots } = session;
  let failed = false;
  try {
    await quickOpen(page, CONFIG);
    await runCommand(page, 'Model Lab: Open Dashboard');
    const dashboard = await webviewWith(page, '#fill-mask-input', 60_000);
    const input = dashboard.locator('#fill-mask-input');
    await waitFor('the box to take input', 60_000, async () => ((await input.isEnabled()) ? true : undefined), 250);
    await input.click();
    await input.pressSequentially('the parcel [MASK] late', { delay: 20 });
    const rows = dashboard.locator('.fill-mask-row');
    // The first answer loads the model in a fresh inference child: up to a minute on a busy machine.
    await waitFor('the row of the mask', 120_000, async () => ((await rows.count()) === 1 ? true : undefined), 100);
    assert.equal(await rows.first().locator('.fill-mask-heading').textContent(), 'Mask 1 · token 3');
    assert.deepEqual(await rows.first().locator('.fill-mask-token').allTextContents(), ['is', 'was', 'arrived', 'box', 'late']);
    assert.deepEqual(await rows.first().locator('.fill-mask-probability').allTextContents(), ['41.0%', '22.0%', '8.0%', '8.0%', '6.0%']);
    assert.equal(await dashboard.locator('#fill-mask-unknown').textContent(), "Not in the model's vocabulary, read as <unk>: “parcel”");
    await shots.take(page, 'first-sentence');

    // A new sentence, typed at once: the rows become its answer (the first position favours "the").
    await input.fill('');
    await input.pressSequentially('[MASK] order', { delay: 20 });
    const typed = Date.now();
    await waitFor('the second sentence\'s row', 60_000, async () => ((await rows.first().locator('.fill-mask-token').first().textContent()) === 'the' ? true : undefined), 50);
    log(`from the last key to the drawn rows: ${Date.now() - typed} ms (300 ms of it the pause in typing)`);
    assert.equal(await rows.first().locator('.fill-mask-heading').textContent(), 'Mask 1 · token 1');
    assert.equal(await rows.first().locator('.fill-mask-probability').first().textContent(), '75.6%');
    assert.equal(await dashboard.locator('#fill-mask-unknown').isVisible(), false);

    // No mask: the page says so and the rows go.
    await input.fill('the order is late');
    await waitFor('the no-mask hint', 30_000, async () => ((await dashboard.locator('#fill-mask-status').textContent())?.startsWith('The sentence has no mask') ? true : undefined), 100);
    assert.equal(await rows.count(), 0);
    await shots.take(page, 'no-mask');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await session.close({ failed });
  }
});
