// The HTML of Model Lab's webviews (the dashboard, the run comparison): one
// template, the page's bundle and stylesheets passed in. Pure (no vscode
// import) so tests can render the same page in a plain browser. The page
// holds no data: the webview posts `ready` and the host answers with the state;
// only its strings come with it, so nothing shows in English first.

import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the origin the bundles are served from. */
  cspSource: string;
  /** A fresh nonce for every render (see makeNonce). */
  nonce: string;
  /** `asWebviewUri` of the page's bundle: dist/webview.js (dashboard), dist/compare.js (comparison). */
  scriptUri: string;
  /** `asWebviewUri` of dist/mermaid.js, which the page loads (with the nonce) when it has a pipeline to draw. */
  mermaidUri?: string;
  /** `asWebviewUri` of media/dashboard.css. */
  styleUri: string;
  /** More stylesheets after it (media/compare.css for the comparison). */
  extraStyleUris?: string[];
  title: string;
  /** BCP 47 language tag of the UI, `vscode.env.language`. */
  lang?: string;
  /** The page's strings in the UI's language, so its first paint is already translated (before the host's `state`). */
  strings?: Record<string, string>;
}

/** 128 random bits, base64: a CSP nonce. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderDashboardHtml(opts: DashboardHtmlOptions): string {
  const nonce = escapeHtml(opts.nonce);
  const csp = [
    `default-src 'none'`,
    `img-src ${opts.cspSource} data:`,
    // The stylesheet comes from the extension. chart.js and the toolkit style
    // through the CSSOM and constructable stylesheets, which a CSP does not
    // block; the one <style> element the toolkit (FAST) creates takes its nonce
    // from the csp-nonce meta tag. So no 'unsafe-inline' (the e2e test watches
    // for violations).
    `style-src ${opts.cspSource} 'nonce-${nonce}'`,
    `font-src ${opts.cspSource}`,
    // Also dist/mermaid.js: the page adds its <script> with this nonce. Mermaid
    // needs no eval, and its inline styles are made CSP-compatible while it
    // draws (webview/src/mermaidEntry.ts), so no 'unsafe-*' anywhere.
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(opts.lang ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${escapeHtml(opts.styleUri)}" nonce="${nonce}">
${(opts.extraStyleUris ?? []).map((uri) => `<link rel="stylesheet" href="${escapeHtml(uri)}" nonce="${nonce}">\n`).join('')}<title>${escapeHtml(opts.title)}</title>
</head>
<body>
<main id="app"></main>
<script nonce="${nonce}" src="${escapeHtml(opts.scriptUri)}"${opts.mermaidUri ? ` data-mermaid-src="${escapeHtml(opts.mermaidUri)}"` : ''}${opts.strings ? ` data-strings="${escapeHtml(JSON.stringify(opts.strings))}"` : ''}></script>
</body>
</html>
`;
}

/** The same template for any Model Lab webview page. */
export const renderWebviewHtml = renderDashboardHtml;
