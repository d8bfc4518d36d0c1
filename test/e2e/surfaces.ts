// What Model Lab shows in the window, read as the user reads it: the
// CodeLenses of the visible editor, our status bar items, the notifications,
// the Model Lab sidebar's rows and the dashboard's visible text. Shared by
// the progress and the zh-cn end-to-end tests.

import type { FrameLocator, Page } from 'playwright-core';

/** "N/M" in a text, as every progress surface writes its epoch ("epoch 3/40", "第 3/40 轮"). */
export function epochIn(text: string | undefined): { epoch: number; epochs: number } | undefined {
  const m = text ? /(\d+)\s*\/\s*(\d+)/.exec(text) : null;
  return m ? { epoch: Number(m[1]), epochs: Number(m[2]) } : undefined;
}

const clean = (s: string | null | undefined): string => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

/** Titles of the CodeLenses in the visible editors. */
export async function codeLensTitles(page: Page): Promise<string[]> {
  return (await page.locator('.codelens-decoration a').allTextContents()).map(clean).filter(Boolean);
}

/** Texts of the status bar items an extension put there (ours among them), by their accessible text. */
export async function statusBarTexts(page: Page): Promise<string[]> {
  return (await page.locator('.statusbar-item').allTextContents()).map(clean).filter(Boolean);
}

/** Our status bar item: the one that says "Model Lab:". */
export async function modelLabStatus(page: Page): Promise<string | undefined> {
  return (await statusBarTexts(page)).find((t) => t.startsWith('Model Lab'));
}

/** Messages of the notifications on screen (toasts). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-list-item .notification-list-item-message').allTextContents()).map(clean).filter(Boolean);
}

/** Labels of the notifications' buttons (ours, and VS Code's own such as a progress notification's Cancel). */
export async function notificationButtons(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-list-item .notification-list-item-buttons-container .monaco-button').allTextContents()).map(clean).filter(Boolean);
}

/** The dashboard header's "epoch N/M". */
export async function dashboardEpoch(dashboard: FrameLocator): Promise<string> {
  return clean(await dashboard.locator('#epoch-progress').textContent({ timeout: 1_000 }));
}

/**
 * Every text the dashboard shows (hidden sections left out), one string per
 * element with its own text, plus titles, placeholders and ARIA labels (a
 * chart's canvas names its series there). Written as a string: the test
 * runner's transpiler would add helpers to named functions that the page does not have.
 */
const DASHBOARD_TEXTS = `(() => {
  const out = [];
  const walk = (el) => {
    if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || el.closest('[hidden]')) return;
    if (el.id === 'log' || el.id === 'pipeline-diagram') return;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return;
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent || '').join(' ').trim();
    if (own) out.push(own);
    for (const attr of ['title', 'placeholder', 'aria-label']) {
      const v = el.getAttribute(attr);
      if (v && v.trim()) out.push(v.trim());
    }
    if (el.shadowRoot) for (const child of el.shadowRoot.children) walk(child);
    for (const child of el.children) walk(child);
  };
  walk(document.body);
  // The pipeline diagram: each stage's title (its label's first line) and the diagram's accessible title and description.
  const diagram = document.getElementById('pipeline-diagram');
  if (diagram && !diagram.closest('[hidden]')) {
    for (const node of diagram.querySelectorAll('g.node')) {
      // Our Mermaid draws SVG text labels (htmlLabels off): a tspan.row per line, the title first.
      const rows = [...node.querySelectorAll('tspan.row')];
      const label = node.querySelector('.nodeLabel') || node.querySelector('foreignObject');
      const first = rows.length ? (rows[0].textContent || '').trim() : label ? label.innerHTML.split(/<br\\s*\\/?>/i)[0].replace(/<[^>]*>/g, ' ').trim() : '';
      if (first) out.push(first);
      for (const title of node.querySelectorAll('title')) if ((title.textContent || '').trim()) out.push(title.textContent.trim());
    }
    for (const el of diagram.querySelectorAll('svg > title, svg > desc')) if ((el.textContent || '').trim()) out.push(el.textContent.trim());
    const svg = diagram.querySelector('svg');
    if (svg && svg.getAttribute('aria-label')) out.push(svg.getAttribute('aria-label'));
  }
  return out;
})()`;

/**
 * Everything the dashboard shows, but for the trainer's log lines and the
 * pipeline diagram's detail lines (dashboardLogAndDiagramDetails reads
 * those); the diagram's stage titles and accessible name are in.
 */
export async function dashboardTexts(dashboard: FrameLocator): Promise<string[]> {
  const texts = (await dashboard.locator('body').evaluate((_body, script) => (0, eval)(script) as string[], DASHBOARD_TEXTS)).map(clean);
  return texts.filter(Boolean);
}

/** The Model Lab view container in the side bar. */
export function modelLabSidebar(page: Page) {
  return page.locator('[id="workbench.view.extension.modelLab"]');
}

/** The rows of the Model Lab sidebar as the tree shows them (label and description), and their tooltips' accessible names. */
export async function sidebarRows(page: Page): Promise<string[]> {
  const rows = modelLabSidebar(page).locator('.monaco-list-row');
  const texts = (await rows.allTextContents()).map(clean);
  const names = (await rows.evaluateAll((ns) => ns.map((n) => n.getAttribute('aria-label') ?? ''))).map(clean);
  return [...texts, ...names].filter(Boolean);
}

/** The dashboard's texts that dashboardTexts leaves out: the Log card's lines and the pipeline diagram's details (one text per node). */
export async function dashboardLogAndDiagramDetails(dashboard: FrameLocator): Promise<string[]> {
  const log = await dashboard.locator('#log .log-line').allTextContents().catch(() => []);
  const details = await dashboard
    .locator('#pipeline-diagram g.node')
    .evaluateAll((nodes) =>
      nodes.map((n) => {
        // SVG text labels (our Mermaid's): a tspan.row per line; HTML labels: lines split at <br>.
        const rows = [...n.querySelectorAll('tspan.row')].map((r) => r.textContent ?? '');
        const lines = rows.length ? rows : ((n.querySelector('.nodeLabel') ?? n.querySelector('foreignObject'))?.innerHTML ?? '').split(/<br\s*\/?>/i).map((l) => l.replace(/<[^>]*>/g, ' '));
        return lines.slice(1).map((l) => l.trim()).join(' · ');
      }),
    )
    .catch(() => []);
  return [...log, ...details].map(clean).filter(Boolean);
}
