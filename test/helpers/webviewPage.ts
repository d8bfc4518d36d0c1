// A Model Lab webview page in a real browser, for the tests in test/webview:
// the page's bundle built fresh, the HTML the host renders served from a
// loopback server, opened in headless Chromium with a stub VS Code API that
// records what the page posts and the CSP violations it meets; then helpers
// to post the host's messages, read what the page posted, and count the
// pixels a chart drew.

import { mkdirSync, readFileSync } from 'node:fs';
import { after, afterEach, before, beforeEach } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../src/host/panels/webviewHtml';
import { CHROMIUM_ARGS } from './chromium';

export const repoRoot = join(__dirname, '..', '..');
/** Where the webview tests put their screenshots. */
export const webviewResultsDir = join(repoRoot, 'test-results', 'webview');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// ───────────────────────── theme ─────────────────────────

/** What VS Code's dark theme puts on <html>. */
export const DARK_THEME: Readonly<Record<string, string>> = {
  '--vscode-font-family': 'system-ui, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '13px',
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-foreground': '#d4d4d4',
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-disabledForeground': '#cccccc80',
  '--vscode-errorForeground': '#f48771',
  '--vscode-focusBorder': '#007fd4',
  '--vscode-panel-border': '#80808059',
  '--vscode-widget-border': '#303031',
  '--vscode-editorWidget-border': '#454545',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-inputValidation-errorBackground': '#5a1d1d',
  '--vscode-textLink-foreground': '#3794ff',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-button-background': '#0e639c',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#1177bb',
  '--vscode-button-secondaryBackground': '#3a3d41',
  '--vscode-button-secondaryForeground': '#ffffff',
  '--vscode-badge-background': '#4d4d4d',
  '--vscode-badge-foreground': '#ffffff',
  '--vscode-checkbox-background': '#3c3c3c',
  '--vscode-checkbox-border': '#3c3c3c',
  '--vscode-checkbox-foreground': '#f0f0f0',
  '--vscode-dropdown-background': '#3c3c3c',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-foreground': '#f0f0f0',
  '--vscode-progressBar-background': '#0e70c0',
};

/** What changes on <html> when VS Code switches to its light theme. */
export const LIGHT_THEME_OVERRIDES: Readonly<Record<string, string>> = {
  '--vscode-foreground': '#616161',
  '--vscode-editor-foreground': '#000000',
  '--vscode-editor-background': '#ffffff',
  '--vscode-descriptionForeground': '#717171',
  '--vscode-disabledForeground': '#61616180',
  '--vscode-panel-border': '#80808059',
  '--vscode-editorWidget-border': '#c8c8c8',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-red': '#e51400',
  '--vscode-button-secondaryBackground': '#5f6a79',
  '--vscode-badge-background': '#c4c4c4',
  '--vscode-badge-foreground': '#333333',
  '--vscode-checkbox-background': '#ffffff',
  '--vscode-checkbox-border': '#919191',
  '--vscode-dropdown-background': '#ffffff',
  '--vscode-dropdown-border': '#cecece',
  '--vscode-dropdown-foreground': '#616161',
};

// ───────────────────────── bundle and server ─────────────────────────

/** One esbuild run for a page: its entry points, and where the output goes if not dist/ with linked source maps. */
export type WebviewBundle = { entryPoints: Record<string, string> } & Pick<esbuild.BuildOptions, 'outdir' | 'sourcemap' | 'plugins'>;

/**
 * Builds a page's bundle with the options scripts/build.mjs uses for the
 * webview entries, so a test never runs against a stale bundle and does not
 * depend on the other entry points being buildable.
 */
async function buildWebviewBundle(bundle: WebviewBundle): Promise<void> {
  await esbuild.build({
    absWorkingDir: repoRoot,
    outdir: join(repoRoot, 'dist'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: 'linked',
    logLevel: 'warning',
    ...bundle,
  });
}

/** A webview page as the host renders it; every path is one on the test server. */
export interface WebviewPageSpec {
  /** What to build before the page is served (at the same time). */
  bundles: readonly WebviewBundle[];
  title: string;
  /** The page's bundle. */
  script: string;
  /** dist/mermaid.js, for a page that draws the pipeline. */
  mermaid?: string;
  /** media/dashboard.css, then any stylesheets after it. */
  styles: readonly [string, ...string[]];
  /** What the server has besides the page: path → file (relative to the repository root, or absolute). */
  files: Readonly<Record<string, string>>;
}

/** The dashboard. */
export const DASHBOARD_PAGE: WebviewPageSpec = {
  bundles: [{ entryPoints: { webview: 'webview/src/main.ts' } }],
  title: 'Model Lab',
  script: '/dist/webview.js',
  styles: ['/media/dashboard.css'],
  files: {
    '/dist/webview.js': 'dist/webview.js',
    '/dist/webview.js.map': 'dist/webview.js.map',
    '/media/dashboard.css': 'media/dashboard.css',
  },
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript',
  '.map': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

interface PageServer {
  /** `http://127.0.0.1:<port>`: the page is at `${origin}/`. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serves the page at `/` (rendered afresh for every request, with a new nonce,
 * the server's origin as the CSP source) and the spec's files, on loopback.
 */
async function startPageServer(spec: WebviewPageSpec): Promise<PageServer> {
  let origin = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/') {
      const [style, ...extraStyles] = spec.styles;
      const html = renderWebviewHtml({
        cspSource: origin,
        nonce: makeNonce(),
        scriptUri: `${origin}${spec.script}`,
        mermaidUri: spec.mermaid === undefined ? undefined : `${origin}${spec.mermaid}`,
        styleUri: `${origin}${style}`,
        extraStyleUris: extraStyles.map((uri) => `${origin}${uri}`),
        title: spec.title,
        lang: 'en',
      });
      // VS Code sets the theme class on <body> and the variables on <html>;
      // the variables come in through the stub (CSSOM), the class here.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html.replace('<body>', '<body class="vscode-dark" data-vscode-theme-kind="vscode-dark">'));
      return;
    }
    const file = spec.files[path];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(resolve(repoRoot, file)));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((closed) => server.close(() => closed())) };
}

// ───────────────────────── the browser ─────────────────────────

export interface VsCodeStubOptions {
  /** The theme variables VS Code puts on <html>. */
  theme: Readonly<Record<string, string>>;
  /** Keep getState/setState in sessionStorage, across reloads, as VS Code does (default); otherwise no state. */
  keepState?: boolean;
}

/**
 * Stands in for VS Code: records posted messages in window.__posted and CSP
 * violations in window.__csp, sets the theme variables on <html>, lets the
 * VS Code API be acquired once. Plain JS text: a TypeScript function would be
 * serialized with the transpiler's helpers, which do not exist in the page.
 */
export function vsCodeStub({ theme, keepState = true }: VsCodeStubOptions): string {
  const state = keepState
    ? `getState: () => {
          const s = sessionStorage.getItem('vscode-state');
          return s ? JSON.parse(s) : undefined;
        },
        setState: (s) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),`
    : `getState: () => undefined,
        setState: () => {},`;
  return `(() => {
    window.__posted = [];
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber + ' ' + e.sample);
    });
    const applyTheme = () => {
      for (const [name, value] of Object.entries(${JSON.stringify(theme)})) document.documentElement.style.setProperty(name, value);
    };
    // Init scripts run before <html> exists; VS Code has the variables in place before any script.
    if (document.documentElement) applyTheme();
    else {
      const observer = new MutationObserver(() => {
        if (!document.documentElement) return;
        observer.disconnect();
        applyTheme();
      });
      observer.observe(document, { childList: true });
    }
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        ${state}
      };
    };
  })();`;
}

export interface WebviewPageOptions extends VsCodeStubOptions {
  /** For the page's context: viewport, device scale factor, reduced motion. */
  context: BrowserContextOptions;
  /** The page's default timeout in ms (10 s unless told). */
  timeout?: number;
  /** Count a request to anywhere but the test server as an error. */
  sameOriginOnly?: boolean;
}

export interface WebviewPage {
  /** The test server's origin: the page is at `${origin}/`. */
  origin: string;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught page errors (and, with sameOriginOnly, requests elsewhere), as they came. */
  errors: string[];
  /** Uncaught page errors alone. */
  pageErrors: string[];
  /** Closes the page and its browser context (and, from openWebviewPage, the browser and the server). */
  close(): Promise<void>;
}

/** One built and served page and one browser, from which each test opens a page of its own. */
export interface WebviewPages {
  /** The test server's origin: the page is at `${origin}/`. */
  origin: string;
  browser: Browser;
  /**
   * A new page in a browser context of its own: no storage, state, posted
   * messages, errors or viewport left by another test. Resolves once the page
   * has posted `ready`.
   */
  open(): Promise<WebviewPage>;
  /** Closes the browser and stops the server. */
  close(): Promise<void>;
}

/**
 * Builds the page's bundles, serves it (startPageServer) and launches
 * Chromium, once; `open()` then opens the page with the stub in place, as
 * often as needed. Makes sure webviewResultsDir exists, for the tests'
 * screenshots.
 */
export async function launchWebviewPages(spec: WebviewPageSpec, options: WebviewPageOptions): Promise<WebviewPages> {
  mkdirSync(webviewResultsDir, { recursive: true });
  await Promise.all(spec.bundles.map(buildWebviewBundle));
  const server = await startPageServer(spec);
  const { origin } = server;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server.close();
  };
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: [...CHROMIUM_ARGS] });
  } catch (error) {
    await close();
    throw error;
  }
  const launched = browser;
  const open = async (): Promise<WebviewPage> => {
    const context = await launched.newContext(options.context);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      const pageErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => {
        errors.push(String(e));
        pageErrors.push(String(e));
      });
      if (options.sameOriginOnly) {
        page.on('request', (r) => {
          if (!r.url().startsWith(origin)) errors.push(`request outside the page's origin: ${r.url()}`);
        });
      }
      await page.addInitScript({ content: vsCodeStub(options) });
      page.setDefaultTimeout(options.timeout ?? 10_000);
      await page.goto(`${origin}/`);
      await waitForPosted(page, 'ready').catch((e: unknown) => {
        throw new Error(`the page did not post ready: ${String(e)}\n${errors.join('\n')}`);
      });
      return { origin, browser: launched, page, errors, pageErrors, close: () => context.close() };
    } catch (error) {
      await context.close();
      throw error;
    }
  };
  return { origin, browser: launched, open, close };
}

/** One page on its own server and browser (launchWebviewPages + open); close() stops all of it. */
export async function openWebviewPage(spec: WebviewPageSpec, options: WebviewPageOptions): Promise<WebviewPage> {
  const pages = await launchWebviewPages(spec, options);
  try {
    const webview = await pages.open();
    return { ...webview, close: () => pages.close() };
  } catch (error) {
    await pages.close();
    throw error;
  }
}

/**
 * Fails the test whose page met a CSP violation, logged a console error or
 * threw (or, with sameOriginOnly, fetched from elsewhere): for afterEach.
 */
export async function assertCleanPage(webview: WebviewPage): Promise<void> {
  const csp = await cspViolations(webview.page);
  if (csp.length > 0 || webview.errors.length > 0) {
    throw new Error(`the page met CSP violations or errors:\n${[...csp.map((v) => `CSP: ${v}`), ...webview.errors].join('\n')}`);
  }
}

/**
 * The page lifecycle of a test file, registered with node:test: `launch` once
 * before the tests, a page of its own for each test (handed to `opened`,
 * which may post to it before the test runs), that page checked with
 * assertCleanPage after the test and closed even when the check fails, and
 * the browser closed after the last test.
 */
export function pagePerTest(launch: () => Promise<WebviewPages>, opened: (webview: WebviewPage) => void | Promise<void>): void {
  let pages: WebviewPages | undefined;
  let webview: WebviewPage | undefined;
  before(async () => {
    pages = await launch();
  });
  beforeEach(async () => {
    webview = await pages!.open();
    await opened(webview);
  });
  afterEach(async () => {
    try {
      await assertCleanPage(webview!);
    } finally {
      await webview!.close();
    }
  });
  after(() => pages?.close());
}

// ───────────────────────── messages ─────────────────────────

/** A message the page posted to the host. */
export type PostedMessage = { type: string } & Record<string, unknown>;

/** Posts a message to the page as the host does. */
export async function postToPage<T>(page: Page, message: T): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

/** Everything the page has posted to the host so far. */
export async function postedMessages<T extends { type: string } = PostedMessage>(page: Page): Promise<T[]> {
  return page.evaluate(() => (window as unknown as { __posted: T[] }).__posted);
}

/** Waits until the page posts a message of this type after the first `after` ones. */
export async function waitForPosted(page: Page, type: string, after = 0): Promise<void> {
  await page.waitForFunction(
    ([t, n]) => (window as unknown as { __posted: { type: string }[] }).__posted.slice(n).some((m) => m.type === t),
    [type, after] as const,
  );
}

/** The CSP violations the page has met so far. */
export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

// ───────────────────────── pixels ─────────────────────────

export interface ColourStats {
  /** Pixels of the colour in the plot area. */
  count: number;
  /** Their mean height in the left third of the plot area (NaN if none there). */
  leftMeanY: number;
  /** …and in the right third. */
  rightMeanY: number;
}

export interface PlotArea {
  /** Where the plot area starts, as a share of the canvas width (axis labels at the left left out). */
  left: number;
  /** Where it ends, as a share of the canvas height (the axis and legend below left out). */
  bottom: number;
  /** How far a channel may be from the colour's. */
  tolerance: number;
  /** The least opacity a pixel counts with. */
  minAlpha: number;
}

/**
 * Finds the pixels of each colour in a chart canvas's plot area, and their
 * mean height in the left and right thirds. A pixel counts for the first
 * colour it is near.
 */
export async function plotColourStats(page: Page, selector: string, colours: readonly (readonly number[])[], area: PlotArea): Promise<ColourStats[]> {
  return page.evaluate(
    ([sel, rgbs, { left, bottom, tolerance, minAlpha }]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      const { width, height } = canvas;
      const data = ctx.getImageData(0, 0, width, height).data;
      const x0 = Math.floor(width * left);
      const y1 = Math.floor(height * bottom);
      const third = (width - x0) / 3;
      const stats = rgbs.map(() => ({ count: 0, left: [0, 0], right: [0, 0] }));
      for (let y = 0; y < y1; y++) {
        for (let x = x0; x < width; x++) {
          const i = (y * width + x) * 4;
          if (data[i + 3] < minAlpha) continue;
          for (let k = 0; k < rgbs.length; k++) {
            const [r, g, b] = rgbs[k];
            if (Math.abs(data[i] - r) > tolerance || Math.abs(data[i + 1] - g) > tolerance || Math.abs(data[i + 2] - b) > tolerance) continue;
            const s = stats[k];
            s.count++;
            if (x < x0 + third) {
              s.left[0] += y;
              s.left[1]++;
            } else if (x >= x0 + 2 * third) {
              s.right[0] += y;
              s.right[1]++;
            }
            break;
          }
        }
      }
      return stats.map((s) => ({ count: s.count, leftMeanY: s.left[0] / s.left[1], rightMeanY: s.right[0] / s.right[1] }));
    },
    [selector, colours, area] as const,
  );
}

/** CSS colours as the page's canvas renders them, as [r, g, b]. */
export async function canvasRgb(page: Page, colours: readonly string[]): Promise<number[][]> {
  return page.evaluate((list) => {
    const parser = document.createElement('canvas').getContext('2d')!;
    return list.map((c) => {
      parser.fillStyle = '#000000';
      parser.fillStyle = c;
      const hex = String(parser.fillStyle);
      return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    });
  }, colours);
}
