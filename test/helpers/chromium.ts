// How the tests launch Debian's Chromium with playwright-core: the webview
// tests (test/helpers/webviewPage.ts) and the end-to-end harness
// (test/e2e/harness.ts) use the same flags.

/** Headless in a container: no sandbox, no GPU, nothing fetched or synced in the background. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
