// The Find Learning Rate page: the loss against the learning rate on a
// logarithmic axis (raw losses faint, the smoothed loss as a line), the
// suggested rate marked on the curve, the reason in words, and a button that
// asks the host to write it into the config. It draws what the host's state
// says; the test runs in the host's child process.

import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { ChartDataset } from 'chart.js';
import { fillTemplate } from '../../../src/core/dashboardStringTable';
import { LR_FINDER_STRINGS } from '../../../src/core/lrFinderStringTable';
import type { LrFinderStringId } from '../../../src/core/lrFinderStringTable';
import type { LrFinderStateMessage, LrFinderToHostMessage } from '../../../src/core/protocol/lrFinder';
import { chartOptions } from '../chartOptions';
import { h } from '../dom';
import { formatMetric } from '../format';
import { readTheme, withAlpha } from '../theme';
import type { ChartTheme } from '../theme';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

interface Poster {
  postMessage(message: LrFinderToHostMessage): void;
}

type XY = { x: number; y: number };

/** A learning rate as people write it: 0.0071, 3.2e-7. */
export function formatRate(lr: number): string {
  const v = Number(lr.toPrecision(2));
  return v >= 1e-4 ? String(v) : v.toExponential(1);
}

export class LrFinderApp {
  private state: LrFinderStateMessage | undefined;
  private strings: Record<string, string> = {};
  private chart: Chart<'scatter', XY[]> | undefined;
  private theme: ChartTheme = readTheme();
  private readonly status = h('p', { id: 'lr-status', role: 'status' });
  private readonly canvas = h('canvas', { id: 'lr-chart' });
  private readonly suggestion = h('p', { id: 'lr-suggestion' });
  private readonly reason = h('p', { id: 'lr-reason' });
  private readonly current = h('p', { id: 'lr-current' });
  private readonly applyButton = h('vscode-button', { id: 'lr-apply' });
  private readonly rerunButton = h('vscode-button', { id: 'lr-rerun', appearance: 'secondary' });
  private readonly applied = h('p', { id: 'lr-applied', role: 'status' });

  constructor(root: HTMLElement, private readonly api: Poster) {
    const initial = document.currentScript instanceof HTMLScriptElement ? document.currentScript.dataset.strings : undefined;
    if (initial) this.strings = JSON.parse(initial) as Record<string, string>;
    this.applyButton.addEventListener('click', () => this.api.postMessage({ type: 'apply' }));
    this.rerunButton.addEventListener('click', () => this.api.postMessage({ type: 'rerun' }));
    // Sized through the CSSOM: the page's CSP refuses style attributes.
    const box = h('div', { class: 'chart-box' }, this.canvas);
    box.style.position = 'relative';
    box.style.height = '360px';
    root.append(
      h('section', { class: 'lr-finder' },
        this.status,
        box,
        this.suggestion,
        this.reason,
        this.current,
        h('div', { class: 'lr-actions' }, this.applyButton, ' ', this.rerunButton),
        this.applied,
      ),
    );
    this.render();
  }

  private t(id: LrFinderStringId, ...args: (string | number)[]): string {
    return fillTemplate(this.strings[id] ?? LR_FINDER_STRINGS[id], args);
  }

  handleMessage(raw: unknown): void {
    const m = raw as LrFinderStateMessage | undefined;
    if (m?.type !== 'lrState') return;
    if (m.strings) this.strings = m.strings;
    this.state = m;
    this.render();
  }

  onThemeChange(): void {
    this.theme = readTheme();
    this.chart?.destroy();
    this.chart = undefined;
    this.render();
  }

  private render(): void {
    const s = this.state;
    this.rerunButton.textContent = this.t('lr.rerun');
    if (!s) {
      this.status.textContent = '';
      this.applyButton.hidden = this.rerunButton.hidden = true;
      return;
    }
    document.title = this.t('lr.title', s.configName);
    const n = s.points.length;
    this.status.textContent =
      s.status === 'running' ? this.t('lr.running', n) : s.status === 'failed' ? this.t('lr.failed', s.error ?? '') : `${this.t('lr.done', n)} ${s.end ? this.t(`lr.${s.end}`) : ''}`.trim();
    this.status.dataset.status = s.status;
    const sug = s.suggestion;
    const ended = s.status !== 'running';
    this.suggestion.textContent = sug ? this.t('lr.suggested', formatRate(sug.rounded)) : ended && s.status !== 'failed' ? this.t('lr.noSuggestion') : '';
    this.reason.textContent = sug ? this.t('lr.reason', sug.slopePerDecade.toPrecision(3), formatRate(sug.minLossLr)) : '';
    this.current.textContent = s.configLr !== undefined && ended ? this.t('lr.current', formatRate(s.configLr)) : '';
    this.applyButton.textContent = sug ? this.t('lr.apply', formatRate(sug.rounded)) : '';
    this.applyButton.hidden = !sug;
    this.rerunButton.hidden = !ended;
    this.applied.textContent = s.applied !== undefined ? this.t('lr.applied', formatRate(s.applied)) : '';
    this.draw(s);
  }

  private draw(s: LrFinderStateMessage): void {
    const theme = this.theme;
    const finite = (p: { lr: number; loss: number }) => Number.isFinite(p.loss) && p.loss > -Infinity;
    const raw: XY[] = s.points.filter(finite).map((p) => ({ x: p.lr, y: p.loss }));
    const smooth: XY[] = s.points.filter((p) => Number.isFinite(p.smoothed)).map((p) => ({ x: p.lr, y: p.smoothed }));
    const sug = s.suggestion;
    const marked = sug ? s.points.find((p) => p.lr === sug.lr) : undefined;
    const marker: XY[] = sug && marked ? [{ x: sug.lr, y: marked.smoothed }] : [];
    // The loss axis stops at 1.5× the smoothed curve's top before its lowest point, so the blow-up at the end does not flatten the rest.
    let lowest = 0;
    smooth.forEach((p, i) => (p.y < smooth[lowest].y ? (lowest = i) : undefined));
    const top = smooth.length ? Math.max(...smooth.slice(0, lowest + 1).map((p) => p.y), ...raw.slice(0, lowest + 1).map((p) => p.y)) : undefined;
    const datasets: ChartDataset<'scatter', XY[]>[] = [
      { label: this.t('lr.loss'), data: raw, showLine: false, pointRadius: 1.5, backgroundColor: withAlpha(theme.train, 0.35), borderColor: withAlpha(theme.train, 0.35) },
      { label: this.t('lr.smoothed'), data: smooth, showLine: true, pointRadius: 0, borderWidth: 2, borderColor: theme.train, backgroundColor: theme.train },
      { label: this.t('lr.suggestionPoint'), data: marker, showLine: false, pointRadius: 7, pointStyle: 'circle', backgroundColor: theme.red, borderColor: theme.red },
    ];
    const options = {
      ...chartOptions<'scatter'>({
        theme,
        x: { title: this.t('lr.xAxis'), log: true },
        y: { title: this.t('lr.yAxis') },
        legend: true,
        label: (item) => `${item.dataset.label}: ${formatMetric(item.parsed.y ?? NaN)} @ ${formatRate(item.parsed.x ?? NaN)}`,
      }),
    };
    const x = options.scales!.x as Record<string, unknown>;
    // A label per decade only: chart.js would label every 1–9 multiple.
    x.ticks = { ...(x.ticks as object), autoSkip: false, maxRotation: 0, callback: (v: number | string) => (Number.isInteger(Math.round(Math.log10(Number(v)) * 1e6) / 1e6) ? formatRate(Number(v)) : '') };
    if (s.points.length) {
      x.min = s.points[0].lr;
      x.max = s.points[s.points.length - 1].lr;
    }
    if (top !== undefined) (options.scales!.y as Record<string, unknown>).max = Number((top * 1.5).toPrecision(2));
    if (!this.chart) this.chart = new Chart(this.canvas, { type: 'scatter', data: { datasets }, options });
    else {
      this.chart.data.datasets = datasets;
      this.chart.options = options;
      this.chart.update('none');
    }
    // Where the axes are on the canvas, for tests and accessibility tools: the x scale's type and ends.
    const scale = this.chart.scales.x;
    this.canvas.dataset.xScale = scale.type;
    this.canvas.dataset.xLeft = String(scale.left);
    this.canvas.dataset.xRight = String(scale.right);
    this.canvas.dataset.xMin = String(scale.min);
    this.canvas.dataset.xMax = String(scale.max);
    this.canvas.setAttribute('aria-label', this.t('lr.chart.aria'));
  }
}
