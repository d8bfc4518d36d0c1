// The CodeLens's progress kept up with the training only if its redraws were
// paced to the editor: VS Code waits a while after each change event before
// it asks for the lenses again, and restarts that wait on every new event.
// These tests play that editor against a fake clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedrawPacer, type PacerClock } from '../../src/host/shell/redrawPacer';

/** A clock whose timers run only when the test moves time on. */
class FakeClock implements PacerClock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time to `until`, running the timers due on the way in order. */
  advance(until: number): void {
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = until;
  }
}

/**
 * VS Code's CodeLens controller as far as pacing goes: a change event reaches
 * the window after `oneWayMs` and (re)starts a wait of `waitMs`
 * (RunOnceScheduler.schedule); then it asks the provider, the request takes
 * `oneWayMs` to reach the extension host and the answer as long to come back;
 * a newer request started before the answer arrived drops it.
 */
class Editor {
  shown = 'nothing';
  requests = 0;
  private scheduled: unknown;
  private inFlight: number | undefined;
  constructor(private readonly clock: FakeClock, private readonly provide: () => string, private readonly waitMs: number, private readonly oneWayMs: number) {}
  onChange(): void {
    this.clock.setTimeout(() => {
      if (this.scheduled !== undefined) this.clock.clearTimeout(this.scheduled);
      this.scheduled = this.clock.setTimeout(() => this.request(), this.waitMs);
    }, this.oneWayMs);
  }
  private request(): void {
    this.scheduled = undefined;
    const ticket = ++this.requests;
    this.inFlight = ticket;
    this.clock.setTimeout(() => {
      const answer = this.provide();
      this.clock.setTimeout(() => {
        if (this.inFlight === ticket) this.shown = answer;
      }, this.oneWayMs);
    }, this.oneWayMs);
  }
}

/** A training whose epoch moves on every `epochMs`, with a redraw event on every 250 ms progress tick. */
function train(paced: boolean, options: { epochs: number; epochMs: number; waitMs: number; oneWayMs: number }) {
  const clock = new FakeClock();
  let epoch = 0;
  let lastShown = '';
  const text = () => `epoch ${epoch}/${options.epochs}`;
  let pacer: RedrawPacer | undefined;
  const editor = new Editor(clock, () => {
    lastShown = text();
    pacer?.taken();
    return lastShown;
  }, options.waitMs, options.oneWayMs);
  pacer = paced ? new RedrawPacer(() => text() !== lastShown, () => editor.onChange(), { clock, minGapMs: 250 }) : undefined;
  const tick = () => (pacer ? pacer.changed() : editor.onChange());
  const seen = new Set<string>();
  const end = options.epochs * options.epochMs;
  for (let t = 0; t <= end; t += 50) {
    clock.advance(t);
    const now = Math.min(options.epochs, Math.floor(t / options.epochMs) + 1);
    if (now !== epoch) epoch = now;
    if (t % 250 === 0) tick();
    seen.add(editor.shown);
  }
  return { clock, editor, seen, final: text() };
}

test('paced redraws keep the lens moving with a fast training, and it settles on the last epoch', () => {
  // 40 epochs of 150 ms; the editor waits 600 ms after each event (it was busy); messages take 50 ms each way.
  const run = train(true, { epochs: 40, epochMs: 150, waitMs: 600, oneWayMs: 50 });
  const midRun = [...run.seen].filter((s) => /^epoch \d+\/40$/.test(s));
  assert.ok(midRun.length >= 5, `the lens showed only ${JSON.stringify(midRun)} during the run`);
  // The run pauses at its last epoch: the lens gets there, with no more events needed.
  run.clock.advance(run.clock.t + 5_000);
  assert.equal(run.editor.shown, run.final);
});

test('unpaced, the same events starve the editor: it never asks while they come (the bug)', () => {
  const run = train(false, { epochs: 40, epochMs: 150, waitMs: 600, oneWayMs: 50 });
  assert.equal(run.editor.requests, 0);
  assert.deepEqual([...run.seen], ['nothing']);
});

test('answers slower than the editor\'s wait (a busy extension host) are not dropped by the next request', () => {
  const run = train(true, { epochs: 40, epochMs: 100, waitMs: 250, oneWayMs: 400 });
  const midRun = [...run.seen].filter((s) => s.startsWith('epoch '));
  assert.ok(midRun.length >= 2, `the lens showed only ${JSON.stringify(midRun)}`);
  run.clock.advance(run.clock.t + 10_000);
  assert.equal(run.editor.shown, run.final);
});

test('a redraw the editor drops (it lost focus) is asked for again once it counts as lost', () => {
  const clock = new FakeClock();
  let value = 1;
  let shown = 0;
  let redraws = 0;
  const pacer = new RedrawPacer(() => value !== shown, () => redraws++, { clock, lostAfterMs: 1_000 });
  pacer.changed();
  assert.equal(redraws, 1);
  // Never taken; the value moves on; nothing more is asked for until the first redraw counts as lost.
  value = 2;
  clock.advance(500);
  pacer.changed();
  assert.equal(redraws, 1);
  clock.advance(999);
  assert.equal(redraws, 1);
  clock.advance(1_000);
  assert.equal(redraws, 2);
  // Taken: nothing new to show, nothing more asked for.
  shown = value;
  pacer.taken();
  clock.advance(5_000);
  assert.equal(redraws, 2);
  pacer.dispose();
});
