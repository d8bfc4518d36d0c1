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

/** Messages of the notifications on screen (toasts), with their sources and buttons. */
export async function notificationTexts(page: Page): Promise<string[]> {
  const items = page.locator('.notifications-toasts .notification-list-item');
  return (await items.evaluateAll((nodes) =>
    nodes.map((n) => {
      const message = n.querySelector('.notification-list-item-message')?.textContent ?? '';
      const buttons = [...n.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => b.textContent ?? '');
      return [message, ...buttons].join(' | ');
    }),
  )).map(clean).filter(Boolean);
}

/** The dashboard header's "epoch N/M". */
export async function dashboardEpoch(dashboard: FrameLocator): Promise<string> {
  return clean(await dashboard.locator('#epoch-progress').textContent({ timeout: 1_000 }));
}

/** Every text the dashboard shows (hidden sections left out), one string per element with its own text, plus titles and placeholders. */
export async function dashboardTexts(dashboard: FrameLocator): Promise<string[]> {
  return dashboard.locator('body').evaluate((body) => {
    const out: string[] = [];
    const visible = (el: Element): boolean => {
      const html = el as HTMLElement;
      if (html.closest('[hidden]')) return false;
      const style = getComputedStyle(html);
      return style.display !== 'none' && style.visibility !== 'hidden';
    };
    const walk = (el: Element): void => {
      if (!visible(el) || el.tagName === 'SCRIPT' || el.tagName === 'STYLE') return;
      const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join(' ').trim();
      if (own) out.push(own);
      for (const attr of ['title', 'placeholder', 'aria-label']) {
        const v = el.getAttribute(attr);
        if (v && v.trim()) out.push(v.trim());
      }
      // The UI toolkit draws some labels inside shadow roots.
      const root = (el as HTMLElement).shadowRoot;
      if (root) for (const child of root.children) walk(child);
      for (const child of el.children) walk(child);
    };
    walk(body);
    return out;
  });
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
