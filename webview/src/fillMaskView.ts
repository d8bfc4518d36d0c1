// The fill-mask box of a masked-language-model run (BERT's fill-mask): the
// user types a sentence with [MASK] (or <mask>) where a word is missing, and
// after a pause in typing (or at once on Enter) the host runs the model in
// its inference process; each mask gets a row — which mask, which token of
// the sentence, the sentence around it — with the model's top tokens and their
// probabilities as bars. A sentence without a mask is answered here with a
// hint; words the model does not know are named (it read <unk> there).

import type { DashboardFilledMaskMessage } from '../../src/core/protocol/dashboard';
import { findMaskMarkers, FILL_MASK_LIMITS } from '../../src/core/fillMask';
import type { FillMaskResult, FillMaskSlot } from '../../src/core/fillMask';
import { CLS_TOKEN } from '../../src/core/tokenizer';
import type { RunMeta, Task } from '../../src/core/types';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';

type Post = (message: { type: 'fillMask'; requestId: number; text: string }) => void;

/** The pause after the last key before the sentence is sent (the attention view's, in the host). */
export const FILL_MASK_DEBOUNCE_MS = 300;
/** Characters of the sentence shown on each side of a mask in its row. */
const CONTEXT_CHARS = 40;
const TASK: Task = 'masked-language-model';

export class FillMaskView {
  readonly element = h('section', { id: 'fill-mask', class: 'card', 'aria-labelledby': 'fill-mask-title' });
  private readonly title = h('h2', { id: 'fill-mask-title' });
  private readonly hint = h('p', { id: 'fill-mask-hint', class: 'hint' });
  private readonly label = h('label', { for: 'fill-mask-input', class: 'fill-mask-label' });
  private readonly input = h('input', { id: 'fill-mask-input', type: 'text', class: 'fill-mask-input', autocomplete: 'off', spellcheck: false, maxlength: FILL_MASK_LIMITS.textChars, 'aria-describedby': 'fill-mask-hint fill-mask-status' });
  private readonly status = h('p', { id: 'fill-mask-status', class: 'hint', role: 'status' });
  private readonly readAs = h('p', { id: 'fill-mask-read-as', class: 'fill-mask-read-as' });
  private readonly unknown = h('p', { id: 'fill-mask-unknown', class: 'fill-mask-unknown' });
  private readonly rows = h('div', { id: 'fill-mask-rows', class: 'fill-mask-rows', role: 'list' });

  private runId: string | undefined;
  private nextRequestId = 1;
  private pending: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The last result shown, drawn again when the language changes. */
  private shown: { result: FillMaskResult; millis?: number } | undefined;
  private t: Translate;

  constructor(private readonly post: Post, t: Translate) {
    this.t = t;
    this.element.append(
      h('div', { class: 'card-title' }, this.title),
      this.hint,
      h('div', { class: 'fill-mask-field' }, this.label, this.input),
      this.status,
      h('div', { class: 'fill-mask-result', 'aria-live': 'polite' }, this.readAs, this.unknown, this.rows),
    );
    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || e.isComposing) return;
      e.preventDefault();
      this.send();
    });
    this.element.hidden = true;
    this.readAs.hidden = true;
    this.unknown.hidden = true;
    this.setStrings(t);
  }

  setStrings(t: Translate): void {
    this.t = t;
    this.title.textContent = t('fillMask.title');
    this.hint.textContent = this.input.disabled ? t('fillMask.notReady') : t('fillMask.hint');
    this.label.textContent = t('fillMask.label');
    this.input.placeholder = t('fillMask.placeholder');
    this.rows.setAttribute('aria-label', t('fillMask.results'));
    if (this.shown) this.showResult(this.shown.result, this.shown.millis);
  }

  /** The shown run: the box is there for a masked-language model, usable once the run has completed. */
  update(meta: RunMeta | undefined): void {
    const id = meta?.id;
    const changed = id !== this.runId;
    if (changed) {
      this.runId = id;
      this.pending = undefined;
      this.element.removeAttribute('aria-busy');
      this.clear();
      this.setStatus('');
    }
    this.element.hidden = meta?.task !== TASK;
    const ready = meta?.status === 'completed' && !this.element.hidden;
    this.input.disabled = !ready;
    this.hint.textContent = ready ? this.t('fillMask.hint') : this.t('fillMask.notReady');
    // Another masked-language model shown: the sentence already typed is asked of it.
    if (changed && ready && findMaskMarkers(this.input.value).length > 0) this.send();
  }

  handleReply(msg: DashboardFilledMaskMessage): void {
    if (msg.runId !== this.runId || msg.requestId !== this.pending) return;
    this.pending = undefined;
    this.element.removeAttribute('aria-busy');
    if (msg.error !== undefined || !msg.result) {
      this.clear();
      this.setStatus(this.t('fillMask.error', msg.error ?? ''), 'error');
      return;
    }
    this.showResult(msg.result, msg.millis);
  }

  /** (Re)starts the pause; the sentence is sent after it. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), FILL_MASK_DEBOUNCE_MS);
  }

  /** Sends the sentence now, or says why not (no mask, too long); a reply to an older request is then ignored. */
  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.input.disabled) return;
    const text = this.input.value;
    this.pending = undefined;
    if (text.trim() === '') {
      this.clear();
      this.setStatus('');
      return;
    }
    if (text.length > FILL_MASK_LIMITS.textChars) return this.refuse(this.t('fillMask.tooLong', FILL_MASK_LIMITS.textChars));
    if (findMaskMarkers(text).length === 0) return this.refuse(this.t('fillMask.noMask'));
    const requestId = this.nextRequestId++;
    this.pending = requestId;
    this.element.setAttribute('aria-busy', 'true');
    this.setStatus(this.t('fillMask.running'));
    this.post({ type: 'fillMask', requestId, text });
  }

  private refuse(why: string): void {
    this.element.removeAttribute('aria-busy');
    this.clear();
    this.setStatus(why, 'hint');
  }

  private setStatus(text: string, level?: 'error' | 'hint'): void {
    this.status.textContent = text;
    if (level) this.status.dataset.level = level;
    else delete this.status.dataset.level;
  }

  private clear(): void {
    this.shown = undefined;
    this.rows.replaceChildren();
    this.readAs.hidden = true;
    this.unknown.hidden = true;
  }

  private showResult(result: FillMaskResult, millis: number | undefined): void {
    const t = this.t;
    this.shown = { result, millis };
    this.setStatus(millis !== undefined ? t('fillMask.millis', millis) : '');
    // Where a token position counts from: a leading <cls> is not a word of the sentence.
    const first = result.tokens[0] === CLS_TOKEN ? 1 : 0;
    this.readAs.textContent = t('fillMask.readAs', result.tokens.slice(first).join(' '));
    this.readAs.hidden = result.unknown.length === 0;
    this.unknown.textContent = t('fillMask.unknown', result.unknown.map((u) => `“${u.word}”`).join(', '));
    this.unknown.hidden = result.unknown.length === 0;
    this.rows.replaceChildren(...result.masks.map((slot) => this.row(result.text, slot, slot.tokenIndex - first + 1)));
  }

  private row(text: string, slot: FillMaskSlot, position: number): HTMLElement {
    const t = this.t;
    const heading = t('fillMask.mask', slot.index + 1, position);
    const before = text.slice(Math.max(0, slot.start - CONTEXT_CHARS), slot.start);
    const after = text.slice(slot.end, slot.end + CONTEXT_CHARS);
    const context = h(
      'p',
      { class: 'fill-mask-context' },
      (slot.start > CONTEXT_CHARS ? '…' : '') + before,
      h('mark', { class: 'fill-mask-marker' }, text.slice(slot.start, slot.end)),
      after + (slot.end + CONTEXT_CHARS < text.length ? '…' : ''),
    );
    const candidates = slot.candidates.map((c, i) => {
      const percent = `${(c.probability * 100).toFixed(1)}%`;
      const bar = h('span', { class: 'fill-mask-bar' });
      bar.style.width = `${Math.max(0, Math.min(100, c.probability * 100))}%`;
      return h(
        'li',
        { class: 'fill-mask-candidate', 'data-best': i === 0, 'aria-label': t('fillMask.candidate', c.token, percent) },
        h('span', { class: 'fill-mask-token', 'aria-hidden': 'true' }, c.token),
        h('span', { class: 'fill-mask-bar-track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'fill-mask-probability', 'aria-hidden': 'true' }, percent),
      );
    });
    return h(
      'div',
      { class: 'fill-mask-row', role: 'listitem', 'aria-label': heading },
      h('h3', { class: 'fill-mask-heading' }, heading),
      context,
      h('ol', { class: 'fill-mask-candidates', 'aria-label': t('fillMask.candidates', slot.index + 1) }, ...candidates),
    );
  }
}
