// The 简体中文 interface, end to end: VS Code in the zh-cn locale, the
// house-prices example trained from its CodeLens, and every text of ours on
// screen read — the CodeLenses, the status bar, the notifications, the
// dashboard and the Model Lab sidebar — with none of our English left in it.
// What counts as our English comes from our own string tables
// (englishLeftovers.ts), so new strings are checked as they are added.
// VS Code runs in a language only when a language pack for it is installed
// (else vscode.env.language, by which our bundle is picked, stays "en"); the
// real pack is not ours to ship, so the profile gets a stub one that
// translates nothing (zhLanguagePackStub): VS Code's own menus stay English.
// Screenshots: test-results/e2e/zh-cn.
// Run: npm run package, then node --import tsx --test test/e2e/zhCn.e2e.test.ts

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { codeLens, installExtension, log, quickOpen, repoRoot, startSession, StopWaiting, waitFor, webviewWith, withChecks, type Profile } from './harness';
import { englishLabels, englishOfOurs, leftovers } from './englishLeftovers';
import { codeLensTitles, dashboardLogAndDiagramDetails, dashboardTexts, modelLabSidebar, notificationButtons, notificationTexts, sidebarRows, statusBarTexts } from './surfaces';

const CONFIG = 'house-prices.experiment.json';
const zh = JSON.parse(readFileSync(join(repoRoot, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
const nlsZh = JSON.parse(readFileSync(join(repoRoot, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
/** Our Chinese for an English message of ours (the bundle's key). */
function 中(english: string): string {
  const text = zh[english];
  assert.ok(text, `the bundle translates ${JSON.stringify(english)}`);
  return text;
}

/** Our status bar items: the ones that start with the product's name. */
async function ourStatusBar(page: Page): Promise<string[]> {
  return (await statusBarTexts(page)).filter((t) => t.startsWith('Model Lab'));
}

test('简体中文: train from the CodeLens; the CodeLenses, status bar, notifications, dashboard and sidebar show none of our English', { timeout: 600_000 }, async (t) => {
  const session = await startSession({ name: 'zh-cn', workspace: 'examples/house-prices', readyTreeItem: CONFIG, locale: 'zh-cn', prepareProfile: zhLanguagePackStub });
  const { page, shots } = session;
  const english = englishOfOurs();
  log(`${english.words.size} English words of ours to look for`);
  /** Everything read from each surface, over the whole run. */
  const seen = { codeLens: new Set<string>(), statusBar: new Set<string>(), notifications: new Set<string>(), dashboard: new Set<string>(), sidebar: new Set<string>() };
  /** The notifications' buttons: checked as whole labels (VS Code adds its own, e.g. a progress notification's Cancel). */
  const buttons = new Set<string>();
  const add = (set: Set<string>, texts: readonly string[]) => texts.forEach((x) => set.add(x));
  const assertNoEnglish = (surface: keyof typeof seen) => {
    const texts = [...seen[surface]];
    log(`${surface}: ${texts.length} texts, e.g. ${JSON.stringify(texts.slice(0, 12))}`);
    assert.ok(texts.length > 0, `nothing was read from the ${surface}`);
    assert.deepEqual(leftovers(texts, english), [], `English left in the ${surface}`);
  };

  await withChecks(t, session, { match: /\[(error|warning)\]|\b(Error|Exception|Unhandled)\b/, about: /model.?lab|modellab|trainer/i }, async (check) => {
    // ── the config's CodeLens, in Chinese ──
    await quickOpen(page, CONFIG);
    const trainLens = codeLens(page, 中('Train this config'));
    await trainLens.first().waitFor({ state: 'visible', timeout: 60_000 }).catch(async (error: Error) => {
      throw new Error(`${error.message}; the CodeLenses say ${JSON.stringify(await codeLensTitles(page))}`);
    });
    add(seen.codeLens, await codeLensTitles(page));
    await shots.take(page, 'config-codelens');

    // ── train it; read every surface while it trains ──
    await trainLens.first().click();
    const dashboard = await webviewWith(page, '#run-status', 60_000);
    const status = async () => ((await dashboard.locator('#run-status').textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
    const completed = DEFAULT_STATUS_COMPLETED();
    let trainingShot = false;
    await waitFor(`the run to complete (#run-status "${completed}")`, 240_000, async () => {
      const [lenses, bar, notes, labels, texts] = await Promise.all([codeLensTitles(page), ourStatusBar(page), notificationTexts(page), notificationButtons(page), dashboardTexts(dashboard).catch(() => [])]);
      add(buttons, labels);
      add(seen.codeLens, lenses);
      add(seen.statusBar, bar);
      add(seen.notifications, notes);
      add(seen.dashboard, texts);
      if (!trainingShot && lenses.some((l) => /\d+\/\d+/.test(l))) {
        trainingShot = true;
        await shots.take(page, 'training');
      }
      const now = await status();
      if (now === completed) return true;
      if (/failed|失败|stopped|已停止/.test(now)) throw new StopWaiting(`the run ended: ${now}`);
      return undefined;
    }, 250);

    // ── after the run: the notification, the dashboard's sections, the lenses, the status bar ──
    // The completion message itself, in our Chinese: the progress notification (its "evaluating…"
    // phase has no epoch count) may still show when the dashboard already says the run completed.
    const completedTexts = [中('Training {0} completed: {1} {2}.').split('{1}')[0], 中('Training {0} completed.')].map((t) => t.replace('{0}', 'house-prices'));
    const done = await waitFor('the "completed" notification', 60_000, async () => {
      const notes = await notificationTexts(page);
      add(seen.notifications, notes);
      add(buttons, await notificationButtons(page));
      return notes.find((n) => completedTexts.some((t) => n.startsWith(t)));
    }, 250);
    log(`notification: ${done}`);
    await shots.take(page, 'completed');
    await dashboard.locator('#evaluation table').first().waitFor({ state: 'visible', timeout: 30_000 });
    await dashboard.locator('#pipeline-diagram[data-rendered="true"]').waitFor({ state: 'attached', timeout: 30_000 });
    add(seen.dashboard, await dashboardTexts(dashboard));
    // The Log card (the trainer's lines: data sizes, stage details, the model summary, learning-rate
    // cuts, early stopping) and the pipeline diagram's detail lines, once the run has ended.
    const details = await dashboardLogAndDiagramDetails(dashboard);
    log(`the Log card and the diagram's details: ${JSON.stringify(details)}`);
    const epochs = new RegExp(`${中('{0} epochs').replace('{0}', '\\d+')}$`);
    assert.ok(details.some((d) => epochs.test(d)), "the Log card's line of the training stage is read");
    assert.ok(details.some((d) => d.includes(中('export to {0}').replace('{0}', 'model/'))), "the diagram's deployment details are read");
    add(seen.dashboard, details);
    add(seen.statusBar, await ourStatusBar(page));
    await dashboard.locator('#evaluation').scrollIntoViewIfNeeded();
    await shots.take(page, 'dashboard-evaluation');
    await quickOpen(page, CONFIG);
    await codeLens(page, 中('Open dashboard')).first().waitFor({ state: 'visible', timeout: 30_000 });
    add(seen.codeLens, await codeLensTitles(page));

    // ── the sidebar: the experiment and its run ──
    const activity = page.locator(`.activitybar .action-item a[aria-label^="${nlsZh['viewsContainer.modelLab.title'] ?? 'Model Lab'}"], .activitybar .action-label[aria-label^="Model Lab"]`).first();
    await activity.click();
    await page.mouse.move(900, 600);
    const view = modelLabSidebar(page);
    await view.getByRole('treeitem').first().waitFor({ state: 'visible', timeout: 30_000 });
    const experiment = view.getByRole('treeitem', { name: /^house-prices / }).first();
    if ((await experiment.getAttribute('aria-expanded')) === 'false') await experiment.click();
    await waitFor('the run under its experiment', 30_000, async () => ((await view.getByRole('treeitem').count()) >= 3 ? true : undefined));
    add(seen.sidebar, await sidebarRows(page));
    add(seen.sidebar, (await view.locator('.pane-header').allTextContents()).map((s) => s.trim()).filter(Boolean));
    await shots.take(page, 'sidebar');

    await check('the CodeLenses are Chinese', async () => assertNoEnglish('codeLens'));
    await check('the status bar is Chinese', async () => assertNoEnglish('statusBar'));
    await check('the notifications are Chinese', async () => {
      assertNoEnglish('notifications');
      log(`notification buttons: ${JSON.stringify([...buttons])}`);
      assert.ok([...buttons].includes(中('Open Dashboard')), 'the completed notification offers 打开仪表板');
      assert.deepEqual(englishLabels([...buttons], english), [], 'English buttons of ours');
    });
    await check('the dashboard is Chinese', async () => assertNoEnglish('dashboard'));
    await check('the sidebar is Chinese', async () => assertNoEnglish('sidebar'));
  });
});

/** The dashboard's word for a completed run, in Chinese. */
function DEFAULT_STATUS_COMPLETED(): string {
  return 中('completed');
}

/**
 * Installs into the profile a language pack for zh-cn that translates none of
 * VS Code's own strings: enough for VS Code to run in zh-cn (so
 * vscode.env.language is "zh-cn" and our l10n bundle and package.nls.zh-cn.json
 * are used), with its own UI left in English.
 */
async function zhLanguagePackStub(profile: Profile): Promise<void> {
  const dir = join(profile.root, 'zh-cn-language-pack-stub');
  mkdirSync(join(dir, 'translations'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'zh-cn-language-pack-stub',
    displayName: 'zh-cn language pack stub (Model Lab tests)',
    description: 'Lets VS Code run in zh-cn without translating its own strings.',
    publisher: 'modellab-tests',
    version: '0.0.1',
    license: 'MIT',
    engines: { vscode: '^1.100.0' },
    categories: ['Language Packs'],
    contributes: {
      localizations: [{ languageId: 'zh-cn', languageName: 'Chinese Simplified', localizedLanguageName: '中文(简体)', translations: [{ id: 'vscode', path: './translations/main.i18n.json' }] }],
    },
  }, null, 2));
  writeFileSync(join(dir, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
  writeFileSync(join(dir, 'README.md'), 'A stub language pack for tests.\n');
  const vsix = join(profile.root, 'zh-cn-language-pack-stub.vsix');
  const vsce = (await import('@vscode/vsce')) as unknown as { createVSIX(o: Record<string, unknown>): Promise<void> };
  await vsce.createVSIX({ cwd: dir, packagePath: vsix, dependencies: false, allowMissingRepository: true, skipLicense: true });
  installExtension(profile, vsix);
  // The server picks a language by the packs listed here (VS Code writes the list when a pack is
  // installed from its UI, not from the command line).
  const installed = readdirSync(profile.extensionsDir).find((name) => name.startsWith('modellab-tests.zh-cn-language-pack-stub-'));
  assert.ok(installed, `the stub language pack is in ${profile.extensionsDir}`);
  const translations = join(profile.extensionsDir, installed, 'translations', 'main.i18n.json');
  writeFileSync(join(profile.userDataDir, 'languagepacks.json'), JSON.stringify({
    'zh-cn': {
      hash: 'modellab-tests-stub-1',
      extensions: [{ extensionIdentifier: { id: 'modellab-tests.zh-cn-language-pack-stub' }, version: '0.0.1' }],
      translations: { vscode: translations },
      label: '中文(简体)',
    },
  }, null, 2));
}
