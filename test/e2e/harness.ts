// End-to-end harness: a real VS Code (code-server, installed by
// scripts/install-test-deps.sh) driven through Debian's Chromium with
// playwright-core. See /work/shared/E2E.md for why it is put together this way.
//
// One Session = a fresh profile (user data + extensions folders) with the
// extension installed from its VSIX, a copy of a workspace folder, one
// code-server in its own process group on loopback, and one browser page.
// `session.close()` always stops the whole process group; an exit hook does
// the same if the test process dies first, because an extension host outlives
// a closed browser for hours otherwise.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inflateSync } from 'node:zlib';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../helpers/chromium';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const defaultResultsDir = join(repoRoot, 'test-results', 'e2e');
export const codeServerBin = join(repoRoot, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
export const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Settings every test profile starts from; tests add their own on top. */
export const baseSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'remote.autoForwardPorts': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

export function log(message: string): void {
  process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

// ───────────────────────── VSIX ─────────────────────────

/**
 * The extension's VSIX. Builds it with `npm run package` unless E2E_VSIX
 * names an existing file (or E2E_SKIP_PACKAGE=1 and dist/model-lab.vsix
 * exists), so a test never runs against a stale bundle by accident.
 */
export function ensureVsix(): string {
  const fromEnv = process.env.E2E_VSIX;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`E2E_VSIX=${fromEnv} does not exist`);
    return resolve(fromEnv);
  }
  const vsix = join(repoRoot, 'dist', 'model-lab.vsix');
  if (process.env.E2E_SKIP_PACKAGE === '1' && existsSync(vsix)) return vsix;
  log('packaging the extension (npm run package)…');
  const started = Date.now();
  try {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm run package failed:\n${tail(`${e.stdout ?? ''}\n${e.stderr ?? ''}`, 60) || e.message}`);
  }
  if (!existsSync(vsix)) throw new Error(`npm run package did not produce ${vsix}`);
  log(`packaged ${vsix} (${Math.round(statSync(vsix).size / 1024)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return vsix;
}

// ───────────────────────── profile and workspace ─────────────────────────

export interface Profile {
  /** Temp folder that holds everything below; removed on close unless kept. */
  root: string;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own config file, so the user's ~/.config is never read or written. */
  configFile: string;
  /** XDG folders for code-server's logs and defaults. */
  xdgDir: string;
}

/** Environment for code-server: no VS Code variables from a parent editor, XDG folders inside the profile. */
function serverEnv(profile: Profile): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A VSCODE_IPC_HOOK_CLI inherited from an editor's terminal would make
    // code-server act as a client of that editor instead of a server.
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    env[key] = value;
  }
  env.XDG_CONFIG_HOME = join(profile.xdgDir, 'config');
  env.XDG_DATA_HOME = join(profile.xdgDir, 'data');
  env.XDG_CACHE_HOME = join(profile.xdgDir, 'cache');
  return env;
}

export function createProfile(settings: Record<string, unknown> = {}): Profile {
  const root = mkdtempSync(join(tmpdir(), 'modellab-e2e-'));
  const profile: Profile = {
    root,
    userDataDir: join(root, 'data'),
    extensionsDir: join(root, 'exts'),
    configFile: join(root, 'code-server.yaml'),
    xdgDir: join(root, 'xdg'),
  };
  mkdirSync(join(profile.userDataDir, 'User'), { recursive: true });
  mkdirSync(profile.extensionsDir, { recursive: true });
  writeFileSync(join(profile.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...baseSettings, ...settings }, null, 2));
  writeFileSync(profile.configFile, 'auth: none\ncert: false\n');
  return profile;
}

export function installExtension(profile: Profile, vsix: string): void {
  requireCodeServer();
  const started = Date.now();
  const out = execFileSync(
    codeServerBin,
    ['--config', profile.configFile, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--install-extension', vsix],
    { env: serverEnv(profile), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  const installed = readdirSync(profile.extensionsDir).filter((name) => !name.startsWith('.') && name !== 'extensions.json');
  if (installed.length === 0) throw new Error(`--install-extension ${vsix} installed nothing:\n${out}`);
  log(`installed ${installed.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Copies a folder (relative to the repo, or absolute) into a fresh temp folder and returns the copy's path. */
export function copyWorkspace(source: string, into?: string): string {
  const from = resolve(repoRoot, source);
  if (!existsSync(from)) throw new Error(`workspace source ${from} does not exist`);
  const parent = into ?? mkdtempSync(join(tmpdir(), 'modellab-ws-'));
  const to = join(parent, basename(from));
  // Never carry old runs into a test.
  cpSync(from, to, { recursive: true, filter: (src) => basename(src) !== '.modellab' });
  return to;
}

function requireCodeServer(): void {
  if (!existsSync(codeServerBin)) {
    throw new Error(`code-server is not installed at ${codeServerBin}; run: bash scripts/install-test-deps.sh`);
  }
}

// ───────────────────────── code-server ─────────────────────────

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Process groups still to be stopped if this process exits without a close(). */
const liveGroups = new Set<number>();
/** Temp profiles to remove if the run is interrupted by a signal. */
const liveProfiles = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      for (const root of liveProfiles) rmSync(root, { recursive: true, force: true });
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function groupAlive(pgid: number): boolean {
  return killGroup(pgid, 0);
}

export interface CodeServer {
  url: string;
  port: number;
  /** Process id of code-server, which is also its process group id. */
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** `locale`: the display language VS Code runs in (code-server's --locale), e.g. 'zh-cn'. */
export async function startCodeServer(profile: Profile, workspace: string, options: { locale?: string } = {}): Promise<CodeServer> {
  requireCodeServer();
  installExitHook();
  const port = await freePort();
  const logFile = join(profile.root, 'code-server.log');
  const logStream = createWriteStream(logFile);
  // detached: the child calls setsid(), so it leads its own process group and
  // everything it forks (extension host, trainer) can be stopped together.
  const child: ChildProcess = spawn(
    codeServerBin,
    [
      '--config', profile.configFile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--user-data-dir', profile.userDataDir,
      '--extensions-dir', profile.extensionsDir,
      ...(options.locale ? ['--locale', options.locale] : []),
      workspace,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv(profile) },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  liveGroups.add(pid);
  child.stdout?.pipe(logStream, { end: false });
  child.stderr?.pipe(logStream, { end: false });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `code-server exited (code ${code}, signal ${signal})`;
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!liveGroups.has(pid)) return;
    killGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) {
      log(`process group ${pid} still alive after SIGTERM; sending SIGKILL`);
      killGroup(pid, 'SIGKILL');
      const hardDeadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < hardDeadline) await sleep(100);
    }
    liveGroups.delete(pid);
    logStream.end();
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`${exited} before it became healthy:\n${tail(readFileSync(logFile, 'utf8'), 40)}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s:\n${tail(readFileSync(logFile, 'utf8'), 40)}`);
    }
    await sleep(200);
  }
  log(`code-server up at ${url} (pid/pgid ${pid})`);
  return { url, port, pid, logFile, stop };
}

// ───────────────────────── browser ─────────────────────────

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Console errors and page errors seen so far, from every frame. */
  errors: string[];
}

export async function openWorkbench(
  server: CodeServer,
  workspace: string,
  options: { readyTreeItem?: string; profile?: Profile } = {},
): Promise<Workbench> {
  // Chromium keeps crash reports under XDG_CONFIG_HOME even with a temp profile.
  const env = options.profile ? { ...serverEnv(options.profile) } : undefined;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS], headless: true, env });
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (/vsda|Failed to load resource: the server responded with a status of 404/.test(text)) return;
      errors.push(`[console] ${text}`);
    });
    page.on('pageerror', (error) => errors.push(`[pageerror] ${error.message}`));
    const target = `${server.url}/?${new URLSearchParams({ folder: workspace }).toString()}`;
    await page.goto(target, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const row = options.readyTreeItem ? page.getByRole('treeitem', { name: options.readyTreeItem }) : page.getByRole('treeitem').first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    return { browser, page, errors };
  } catch (error) {
    await browser.close().catch(() => undefined);
    throw error;
  }
}

/** Opens a file of the workspace through Quick Open (Ctrl+P) and waits for its editor tab. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (error) {
      // The first key press can land before the workbench takes focus.
      if (attempt >= 3) throw error;
      await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => undefined);
    }
  }
  await pickQuickPickRow(page, fileName);
  await page.getByRole('tab', { name: new RegExp(escapeRegExp(fileName)) }).first().waitFor({ state: 'visible', timeout: 20_000 });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 20_000 });
}

/** Runs a command palette command by its full title, e.g. `Model Lab: Open Dashboard`. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  // The top row can be another command that merely matches better: pick the row by its label.
  await pickQuickPickRow(page, title, `>${title}`);
}

/**
 * Picks the row of the open quick pick (Quick Open, the command palette, a
 * showQuickPick) whose label is exactly `label`, with the keyboard only: types
 * `filter` (default: the label) into its input, takes the mouse off the list,
 * moves the list's focus onto that row with the arrow keys and presses Enter.
 * Never a click: a hover tooltip over a row would take the click (and did,
 * for 30 s), and the mouse resting on the list would show one.
 */
export async function pickQuickPickRow(page: Page, label: string, filter: string = label, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await moveMouseAway(page);
  await input.fill(filter);
  await quickPickRow(page, label).waitFor({ state: 'visible', timeout: timeoutMs });
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const focusedLabel = async (): Promise<string | undefined> =>
    (await rows.locator('.label-name').evaluateAll((names) => {
      const focused = names.find((n) => n.closest('.monaco-list-row')?.classList.contains('focused'));
      return focused ? (focused.textContent ?? '').trim() : undefined;
    }));
  // The list settles first (the palette adds rows as providers answer), so the focus moved below stays where it was put.
  let settled = '';
  await waitFor(`the quick pick's rows to settle (filter ${JSON.stringify(filter)})`, timeoutMs, async () => {
    const now = `${await rows.count()}\0${await focusedLabel()}`;
    const same = now === settled;
    settled = now;
    return same ? true : undefined;
  }, 150);
  const count = await rows.count();
  for (let step = 0; ; step++) {
    await input.focus();
    if ((await focusedLabel()) === label) {
      await page.keyboard.press('Enter');
      break;
    }
    if (step > count + 1) throw new Error(`no quick pick row labelled ${JSON.stringify(label)} took the focus after ${step} arrow presses (focused: ${JSON.stringify(await focusedLabel())})`);
    await page.keyboard.press('ArrowDown');
  }
  // Accepted: the widget is gone, or already holds the next quick pick (a command that asks something).
  await waitFor('the quick pick to take the row', 10_000, async () =>
    !(await input.isVisible()) || (await input.inputValue({ timeout: 1_000 })) !== filter ? true : undefined,
  );
}

/** Rests the mouse on the editor area, away from the quick pick, the activity bar and the status bar, so nothing shows a hover. */
export async function moveMouseAway(page: Page): Promise<void> {
  const size = page.viewportSize() ?? { width: 1600, height: 1000 };
  await page.mouse.move(Math.round(size.width * 0.6), Math.round(size.height * 0.75));
}

/**
 * Shows the tooltip of a tree row and returns it. The tooltip belongs to the row's label (not its
 * indent), and a refresh of the tree while the pointer rests there drops the hover, so this moves
 * away and back until a hover containing `text` shows.
 */
export async function treeItemTooltip(page: Page, row: Locator, text: RegExp, timeoutMs = 30_000): Promise<Locator> {
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: text }).first();
  await waitFor(`the tooltip of a tree row (${text.source})`, timeoutMs, async () => {
    await moveMouseAway(page);
    await row.locator('.label-name').first().hover();
    return hover.waitFor({ state: 'visible', timeout: 4_000 }).then(() => true, () => undefined);
  });
  return hover;
}

/** The Quick Open / palette row whose label is exactly `label`. */
export function quickPickRow(page: Page, label: string): Locator {
  return page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
    .first();
}

/** A CodeLens in the visible editor, by its exact title. */
export function codeLens(page: Page, title: string): Locator {
  return page.locator('.codelens-decoration a').filter({ hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) });
}

/**
 * The content of the newest webview (two iframes deep), as E2E.md describes.
 * Hidden webviews keep their iframes, so prefer webviewWith() when more than
 * one webview may exist.
 */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/** The content of the visible webview whose document matches `selector`; waits for it. */
export async function webviewWith(page: Page, selector: string, timeoutMs = 60_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = page.locator('iframe.webview.ready');
    const count = await frames.count();
    for (let i = count - 1; i >= 0; i--) {
      const outer = frames.nth(i);
      if (!(await outer.isVisible().catch(() => false))) continue;
      const inner = outer.contentFrame().locator('#active-frame').contentFrame();
      if ((await inner.locator(selector).count().catch(() => 0)) > 0) {
        return page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      }
    }
    if (Date.now() > deadline) throw new Error(`no visible webview contains ${selector} after ${timeoutMs / 1000} s (${count} webview iframes in the page)`);
    await sleep(250);
  }
}

// ───────────────────────── screenshots and pixels ─────────────────────────

export class Screenshots {
  private count = 0;
  /** Empties `dir` first, so the folder holds exactly this run's pictures. */
  constructor(readonly dir: string) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  /** Saves a PNG of a page or an element as NN-name.png and returns its bytes. */
  async take(target: Page | Locator, name: string): Promise<Buffer> {
    this.count += 1;
    const path = join(this.dir, `${String(this.count).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
    const png = await target.screenshot({ path, timeout: 15_000 });
    log(`screenshot ${path}`);
    return png;
  }
}

export interface PixelStats {
  width: number;
  height: number;
  /** The most common colour, taken as the background. */
  background: [number, number, number];
  /** Share of pixels that differ clearly from the background (0..1). */
  foregroundShare: number;
  /** Number of distinct colours (each channel quantized to 16 levels). */
  distinctColors: number;
}

/** Decodes an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) and measures how much is drawn on it. */
export function pixelStats(png: Buffer): PixelStats {
  const { width, height, rgba } = decodePng(png);
  const counts = new Map<number, number>();
  const quantized = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) {
    const key = (rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    quantized.add(((rgba[i]! >> 4) << 8) | ((rgba[i + 1]! >> 4) << 4) | (rgba[i + 2]! >> 4));
  }
  let backgroundKey = 0;
  let best = -1;
  for (const [key, n] of counts) if (n > best) [backgroundKey, best] = [key, n];
  const bg: [number, number, number] = [(backgroundKey >> 16) & 255, (backgroundKey >> 8) & 255, backgroundKey & 255];
  let foreground = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const d = Math.abs(rgba[i]! - bg[0]) + Math.abs(rgba[i + 1]! - bg[1]) + Math.abs(rgba[i + 2]! - bg[2]);
    if (d > 48) foreground += 1;
  }
  return { width, height, background: bg, foregroundShare: foreground / (width * height), distinctColors: quantized.size };
}

function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const bitDepth = data[8];
      colorType = data[9]!;
      const interlace = data[12];
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels]! : 0;
      const b = y > 0 ? pixels[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels]! : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad PNG filter ${filter}`);
      }
      pixels[out + x] = (line[x]! + predictor) & 255;
    }
  }
  if (channels === 4) return { width, height, rgba: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < pixels.length; i += 3, j += 4) {
    rgba[j] = pixels[i]!;
    rgba[j + 1] = pixels[i + 1]!;
    rgba[j + 2] = pixels[i + 2]!;
    rgba[j + 3] = 255;
  }
  return { width, height, rgba };
}

// ───────────────────────── session ─────────────────────────

export interface SessionOptions {
  /** Names the results folder: test-results/e2e/<name>. */
  name: string;
  /** The VSIX to install; default: ensureVsix(). */
  vsix?: string;
  /** Folder to copy as the workspace, relative to the repo or absolute. */
  workspace: string;
  /** User settings on top of baseSettings. */
  settings?: Record<string, unknown>;
  /** Explorer row whose appearance means the workbench is ready. */
  readyTreeItem?: string;
  /** Where screenshots and logs go instead of test-results/e2e/<name>. */
  resultsDir?: string;
  /** Runs on the copied workspace before code-server starts (e.g. to train runs with the CLI). */
  prepareWorkspace?: (workspace: string) => void | Promise<void>;
  /** Runs on the fresh profile before code-server starts (e.g. to install more extensions into it). */
  prepareProfile?: (profile: Profile) => void | Promise<void>;
  /** VS Code's display language (code-server --locale); default: English. */
  locale?: string;
}

export interface Session extends Workbench {
  profile: Profile;
  server: CodeServer;
  /** The copied workspace folder the window has open. */
  workspace: string;
  shots: Screenshots;
  /** Stops everything (browser, the code-server process group) and keeps the logs. Safe to call twice. */
  close(options?: { failed?: boolean }): Promise<void>;
}

export async function startSession(options: SessionOptions): Promise<Session> {
  const shots = new Screenshots(resolve(options.resultsDir ?? join(defaultResultsDir, options.name)));
  log(`screenshots and logs: ${shots.dir}`);
  const vsix = options.vsix ?? ensureVsix();
  const profile = createProfile(options.settings);
  liveProfiles.add(profile.root);
  let server: CodeServer | undefined;
  let workspace: string;
  let workbench: Workbench;
  try {
    const workspaceParent = join(profile.root, 'ws');
    mkdirSync(workspaceParent);
    workspace = copyWorkspace(options.workspace, workspaceParent);
    await options.prepareWorkspace?.(workspace);
    installExtension(profile, vsix);
    await options.prepareProfile?.(profile);
    server = await startCodeServer(profile, workspace, { locale: options.locale });
    workbench = await openWorkbench(server, workspace, { readyTreeItem: options.readyTreeItem, profile });
  } catch (error) {
    if (server) {
      await server.stop();
      collectLogs(profile, server, shots.dir);
    }
    liveProfiles.delete(profile.root);
    log(`session did not start; kept profile at ${profile.root}`);
    throw error;
  }
  const startedServer = server;
  let closed = false;
  return {
    ...workbench,
    profile,
    server: startedServer,
    workspace,
    shots,
    async close({ failed = false } = {}) {
      if (closed) return;
      closed = true;
      if (failed) await shots.take(workbench.page, 'failure').catch(() => undefined);
      await workbench.browser.close().catch(() => undefined);
      await startedServer.stop();
      collectLogs(profile, startedServer, shots.dir);
      liveProfiles.delete(profile.root);
      if (failed || process.env.E2E_KEEP === '1') {
        log(`kept profile and workspace at ${profile.root}`);
      } else {
        rmSync(profile.root, { recursive: true, force: true });
      }
    },
  };
}

/** Copies code-server's output and the extension host logs next to the screenshots. */
function collectLogs(profile: Profile, server: CodeServer, dir: string): void {
  const target = join(dir, 'logs');
  try {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    if (existsSync(server.logFile)) cpSync(server.logFile, join(target, 'code-server.log'));
    const logsRoot = join(profile.userDataDir, 'logs');
    if (existsSync(logsRoot)) cpSync(logsRoot, join(target, 'vscode'), { recursive: true });
  } catch (error) {
    log(`could not collect logs: ${(error as Error).message}`);
  }
}

/** Lines of the extension host's logs (including extension output channels) that mention `pattern`. */
export function grepExtensionLogs(dir: string, pattern: RegExp): string[] {
  const hits: string[] = [];
  const walk = (folder: string): void => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.log')) {
        for (const line of readFileSync(path, 'utf8').split('\n')) if (pattern.test(line)) hits.push(`${entry.name}: ${line}`);
      }
    }
  };
  walk(join(dir, 'logs'));
  return hits;
}

// ───────────────────────── small things ─────────────────────────

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Thrown by a waitFor() probe to end the wait at once instead of retrying until the timeout. */
export class StopWaiting extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined, or throws after
 * `timeoutMs` with `what` in the message. Errors from the probe count as "not
 * yet", except StopWaiting, which is rethrown.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** A check that runs as a subtest and does not stop the ones after it; a failure still fails the test. */
export type Check = (name: string, body: () => Promise<void>) => Promise<void>;

/**
 * Runs a test's body with soft checks, then closes the session and prints the
 * page's console errors, the extension log lines matching `logs.match` about
 * `logs.about` (only when something failed, unless `always`), and where the
 * screenshots and logs are.
 */
export async function withChecks(t: TestContext, session: Session, logs: { match: RegExp; about: RegExp; always?: boolean }, body: (check: Check) => Promise<void>): Promise<void> {
  let failed = false;
  const check: Check = async (name, run) => {
    await t.test(name, async () => {
      try {
        await run();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
  };
  try {
    await body(check);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    if (session.errors.length > 0) log(`console errors in the page and webviews (${session.errors.length}):\n  ${session.errors.slice(0, 30).join('\n  ')}`);
    await session.close({ failed });
    if (failed || logs.always) {
      const hits = grepExtensionLogs(session.shots.dir, logs.match).filter((line) => logs.about.test(line));
      if (hits.length > 0) log(`extension log lines:\n  ${hits.slice(0, 40).join('\n  ')}`);
    }
    const where = `screenshots and logs: ${session.shots.dir}`;
    log(where);
    t.diagnostic(where);
  }
}
