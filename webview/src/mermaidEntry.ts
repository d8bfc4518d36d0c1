// Entry point of dist/mermaid.js: Mermaid (flowcharts only, see
// scripts/build.mjs), made to work under the dashboard's CSP, behind the small
// MermaidRenderer interface the dashboard uses.
//
// The CSP allows styles only from the extension's stylesheet, constructable
// stylesheets and the CSSOM, and <style> elements carrying the page's nonce.
// While it lays a diagram out, Mermaid writes `style` attributes and inserts a
// <style> element into the live page, which that CSP blocks (and reports). So,
// for the duration of a render only, `style` attributes are routed through
// the CSSOM and <style> elements get the nonce: what Mermaid would do if it
// had a nonce option. No 'unsafe-inline', no 'unsafe-eval'.
//
// Mermaid also returns the drawing as SVG text, which would have to be parsed
// to be shown; Chromium reports every `style` attribute and <style> element it
// parses under such a CSP, even in an inert document (DOMPurify's, a
// <template>). So the renderer hands over the SVG element Mermaid drew instead
// of its text, and does not ask Mermaid to sanitize a text nobody parses
// (securityLevel 'loose'; see `configure`).

import mermaid from 'mermaid';
import type { MermaidLook, MermaidRenderer } from './mermaidApi';

function pageNonce(): string {
  return document.querySelector('meta[property="csp-nonce"]')?.getAttribute('content') ?? '';
}

/** Runs `body` with Mermaid's inline styles made CSP-compatible (see the top of this file). */
async function withCspCompatibleStyles<T>(body: () => Promise<T>): Promise<T> {
  const nonce = pageNonce();
  const element = Element.prototype;
  const doc = Document.prototype;
  const { setAttribute, setAttributeNS } = element;
  const { createElement, createElementNS } = doc;
  const styled = (el: Element): el is HTMLElement | SVGElement => el instanceof HTMLElement || el instanceof SVGElement;
  const withNonce = <E extends Element>(el: E): E => {
    if (el.localName === 'style' && nonce) setAttribute.call(el, 'nonce', nonce);
    return el;
  };
  element.setAttribute = function (this: Element, name: string, value: string): void {
    if (name.toLowerCase() === 'style' && styled(this)) this.style.cssText = String(value);
    else setAttribute.call(this, name, value);
  };
  element.setAttributeNS = function (this: Element, ns: string | null, name: string, value: string): void {
    if (!ns && name.toLowerCase() === 'style' && styled(this)) this.style.cssText = String(value);
    else setAttributeNS.call(this, ns, name, value);
  };
  doc.createElement = function (this: Document, ...args: Parameters<Document['createElement']>) {
    return withNonce(createElement.apply(this, args));
  } as Document['createElement'];
  doc.createElementNS = function (this: Document, ...args: [string | null, string]) {
    return withNonce(createElementNS.apply(this, args));
  } as Document['createElementNS'];
  try {
    return await body();
  } finally {
    Object.assign(element, { setAttribute, setAttributeNS });
    Object.assign(doc, { createElement, createElementNS });
  }
}

function configure(look: MermaidLook): void {
  mermaid.initialize({
    startOnLoad: false,
    // 'strict' differs from 'loose' in two things: it runs DOMPurify over the
    // SVG text (which is not used, see the top of this file) and it ignores
    // `click` statements. The text comes from src/core/pipeline.ts: every
    // piece of the user's config in it is escaped to entity codes, it has no
    // `click`, `href` or directives, and its labels are SVG text, never HTML.
    securityLevel: 'loose',
    // SVG text, not HTML in <foreignObject>: no HTML parsing of labels, crisp in every theme.
    htmlLabels: false,
    // wrappingWidth: the lines are already short (pipeline.ts wraps them); Mermaid should not wrap them again.
    flowchart: { htmlLabels: false, useMaxWidth: false, padding: 10, nodeSpacing: 30, rankSpacing: 36, wrappingWidth: 400 },
    // The error "bomb" would be drawn into the page; the dashboard shows errors itself.
    suppressErrorRendering: true,
    theme: 'base',
    darkMode: look.dark,
    fontFamily: look.fontFamily,
    themeVariables: {
      darkMode: look.dark,
      fontFamily: look.fontFamily,
      fontSize: `${look.fontSize}px`,
      background: look.background,
      primaryColor: look.background,
      mainBkg: look.background,
      primaryTextColor: look.foreground,
      textColor: look.foreground,
      nodeTextColor: look.foreground,
      primaryBorderColor: look.border,
      nodeBorder: look.border,
      lineColor: look.line,
    },
  });
}

/** Mermaid keeps global state (its config, the diagram being drawn): one render at a time. */
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Draws with Mermaid into `container` and takes the SVG element it drew: Mermaid
 * removes its layout wrapper when done, and the removed wrapper still holds it.
 */
async function drawElement(id: string, text: string, container: HTMLElement): Promise<SVGSVGElement> {
  const records: MutationRecord[] = [];
  const removals = new MutationObserver((batch) => records.push(...batch));
  removals.observe(container, { childList: true });
  try {
    await mermaid.render(id, text, container);
  } finally {
    records.push(...removals.takeRecords());
    removals.disconnect();
  }
  for (const record of records) {
    for (const node of record.removedNodes) {
      const svg = node instanceof Element ? (node.id === id ? node : node.querySelector(`svg[id="${CSS.escape(id)}"]`)) : null;
      if (svg instanceof SVGSVGElement) {
        svg.remove();
        return svg;
      }
    }
  }
  throw new Error('Mermaid drew no diagram');
}

const renderer: MermaidRenderer = {
  render(id, text, container, look) {
    return serialized(() =>
      withCspCompatibleStyles(async () => {
        configure(look);
        return drawElement(id, text, container);
      }),
    );
  },
  parse(text) {
    return serialized(async () => {
      await mermaid.parse(text);
    });
  },
};

window.modelLabMermaid = renderer;
