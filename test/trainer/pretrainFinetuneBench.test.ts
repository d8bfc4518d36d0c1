// The pretrain → fine-tune benchmark's --quick path (npm run bench:finetune -- --quick): every step
// through the real trainer — the masked-language-model pretraining of examples/pretrain-finetune on
// the corpus's first lines, then the classifier from scratch and fine-tuned from that run at 10% of
// the labels — and the table and verdict it prints. The numbers of a quick run mean nothing; what
// is checked is that both arms trained and were scored on the 800 test messages.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { it } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');

it('bench:finetune --quick pretrains, trains both arms at 10% of the labels and prints the table and the verdict', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/pretrainFinetune.ts', '--quick', '--threads', '1'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const out = r.stdout;
  assert.match(out, /pretraining: 1 epoch\(s\) in \d+ s/);
  // The seeded 10%: a tenth of each intent of the 1,600 training messages.
  const row = out.match(/^ +10% seed 1: (\d+) rows — scratch (\d+\.\d)% \(\d+ epochs, .*\), fine-tuned (\d+\.\d)% \(\d+ epochs/m);
  assert.ok(row, out);
  assert.ok(Number(row[1]) >= 150 && Number(row[1]) <= 170, row[1]);
  for (const accuracy of [Number(row[2]), Number(row[3])]) assert.ok(accuracy > 0 && accuracy <= 100, out);
  assert.match(out, /^test accuracy on 800 messages/m);
  const line = out.split('\n').find((l) => l.startsWith('10% '));
  assert.ok(line, out);
  const difference = Number(line.match(/([+-]\d+\.\d) points/)?.[1]);
  // The difference is the two accuracies' (each printed to 0.1 point).
  assert.ok(Math.abs(difference - (Number(row[3]) - Number(row[2]))) <= 0.11, line);
  assert.match(out, /^verdict: at 10% of the labels fine-tuned beats scratch by -?\d+\.\d points .*: the target of ≥ 5 points is (MET|NOT MET) \(--quick: not a measurement\)$/m);
  // The work folder is removed.
  const work = out.match(/work folder (\S+)/)?.[1];
  assert.ok(work && !existsSync(work), work);
});
