// npm run bench:finetune [-- --quick] [-- --seeds 3] [-- --fractions 5,10,25,100] [-- --threads 1]
//                        [-- --base <run folder>] [-- --finetune <config>] [-- --keep]
//
// Does pretraining help? (issue #17, section 4.) The example
// examples/pretrain-finetune, measured through the real trainer
// (src/trainer/engine.ts runTraining, as `modellab train` runs it): its
// pretraining (pretrain.experiment.json, masked-language-model on
// data/unlabelled.txt) once, then for 5%, 10%, 25% and 100% of the labels of
// data/train.jsonl an intent classifier from scratch and one fine-tuned from
// that base (finetune.experiment.json), each over 3 seeds. A seed draws the
// labelled subset (the stratified rule of scripts/labelSubset.mjs, the one the
// example's train-10pct.jsonl was drawn with at seed 1) and the training seed
// (initial weights, dropout, batch order); both arms of a seed get the same
// rows. Validation (data/validation.jsonl, for early stopping) and test
// (data/test.jsonl, 800 messages, none of them in the unlabelled corpus) are
// the same for every run. The scratch arm is finetune.experiment.json without
// model.base: the same model, data, tokenizer settings (fitted on its own
// labelled rows, as a from-scratch run does), optimizer and epochs.
//
// Prints a table — labels %, rows, scratch test accuracy mean ± spread (the
// sample standard deviation over the seeds), fine-tuned mean ± spread, the
// difference in points, the wall time of each arm — and the verdict against
// the target: fine-tuned beats scratch by ≥ 5 points at 10% of the labels.
// --quick: one epoch of pretraining on the corpus's first 600 lines, 10% of
// the labels, one seed, at most 3 epochs per classifier (a smoke run through
// every step; its numbers mean nothing).
// --base: fine-tune from this run folder (or export folder) instead of pretraining again.
// Not a timed test: the numbers depend on the machine and its load.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import type { ClassificationEvaluation, ExperimentConfig } from '../../src/core/types';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { runTraining } from '../../src/trainer/engine';
import { labelSubset } from '../labelSubset.mjs';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const seeds = Number(option('seeds') ?? (quick ? 1 : 3));
const fractions = (option('fractions') ?? (quick ? '10' : '5,10,25,100')).split(',').map(Number);
const threads = option('threads') === undefined ? undefined : Number(option('threads'));
const givenBase = option('base');
/** --finetune: another classifier config to measure (a variant of the example's; its relative paths still read from the example). */
const finetuneFile = resolve(option('finetune') ?? join(import.meta.dirname, '..', '..', 'examples', 'pretrain-finetune', 'finetune.experiment.json'));
const TARGET_FRACTION = 10;
const TARGET_POINTS = 5;
/** --quick: the most epochs of any run (pretraining and classifiers). */
const QUICK_PRETRAIN_EPOCHS = 1;
const QUICK_CORPUS_LINES = 600;
const QUICK_EPOCHS = 3;

if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a whole number ≥ 1, not ${option('seeds')}`);
for (const f of fractions) if (!(f > 0 && f <= 100)) throw new Error(`--fractions: each is a percentage in (0, 100], not ${f}`);

const root = resolve(import.meta.dirname, '..', '..');
const example = join(root, 'examples', 'pretrain-finetune');

interface LabelledRow {
  text: string;
  intent: string;
}

function readConfig(file: string): ExperimentConfig {
  const errors: ParseError[] = [];
  const config = parseJsonc(readFileSync(file, 'utf8'), errors, { allowTrailingComma: true }) as ExperimentConfig;
  if (errors.length) throw new Error(`${file}: not valid JSON with comments (offset ${errors[0].offset})`);
  return config;
}

function readJsonl(file: string): LabelledRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as LabelledRow;
      } catch {
        throw new Error(`${file}:${i + 1}: not a JSON object`);
      }
    });
}

/** A path of the example's config made absolute, so the config can be written to another folder. */
const fromExample = (p: string | undefined): string | undefined => (p === undefined || isAbsolute(p) ? p : join(example, p));

const work = mkdtempSync(join(tmpdir(), 'modellab-pretrain-finetune-'));
const runsDir = join(work, 'runs');

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** Trains a config written to the work folder; returns its test evaluation and wall time. */
async function train(name: string, config: ExperimentConfig): Promise<{ evaluation?: ClassificationEvaluation; seconds: number; epochs: number; runDir: string }> {
  const configPath = join(work, `${name}.experiment.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const start = performance.now();
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'log' && e.level === 'error') console.error(`  ${name}: ${e.message}`);
  };
  const r = await runTraining({ configPath, runsDir, backend: 'wasm', ...(threads === undefined ? {} : { threads: { cli: threads } }), onEvent });
  const seconds = secondsSince(start);
  if (r.meta.status !== 'completed') throw new Error(`${name}: the run ended ${r.meta.status}${r.meta.error ? `: ${r.meta.error}` : ''} (${r.runDir})`);
  return { evaluation: r.evaluation as ClassificationEvaluation | undefined, seconds, epochs: r.meta.epochsDone, runDir: r.runDir };
}

function pretrainConfig(): ExperimentConfig {
  const config = readConfig(join(example, 'pretrain.experiment.json'));
  const data = { ...config.data, source: fromExample(config.data.source), train: fromExample(config.data.train), validation: fromExample(config.data.validation), test: fromExample(config.data.test) };
  if (quick) {
    // The first lines of the corpus (with a CSV's header line): pretraining's code path, in seconds.
    for (const key of ['source', 'train'] as const) {
      const file = data[key];
      if (file === undefined) continue;
      const cut = join(work, 'data', `quick-${key}${extname(file)}`);
      mkdirSync(dirname(cut), { recursive: true });
      writeFileSync(cut, readFileSync(file, 'utf8').split('\n').slice(0, QUICK_CORPUS_LINES).join('\n') + '\n');
      data[key] = cut;
    }
  }
  const training = { ...config.training, ...(quick ? { epochs: Math.min(config.training.epochs ?? QUICK_PRETRAIN_EPOCHS, QUICK_PRETRAIN_EPOCHS) } : {}) };
  return { ...config, data: dropUndefined(data), training, deployment: { export: join(work, 'base') } };
}

/** The example's classifier on `trainFile` at `seed`: fine-tuned from `base`, or from scratch when there is none. */
function classifierConfig(trainFile: string, seed: number, base: string | undefined): ExperimentConfig {
  const config = readConfig(finetuneFile);
  const { base: exampleBase, ...model } = config.model;
  if (exampleBase === undefined) throw new Error('finetune.experiment.json has no model.base: nothing to fine-tune from');
  const data = { ...config.data, source: undefined, train: trainFile, validation: fromExample(config.data.validation), test: fromExample(config.data.test) };
  const epochs = quick ? Math.min(config.training.epochs ?? QUICK_EPOCHS, QUICK_EPOCHS) : config.training.epochs;
  const { deployment: _none, ...rest } = config;
  return {
    ...rest,
    name: `${config.name}-${base ? 'finetuned' : 'scratch'}`,
    data: dropUndefined(data),
    model: base ? { ...model, base: typeof exampleBase === 'string' ? base : { ...exampleBase, from: base } } : model,
    training: { ...config.training, seed, epochs },
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The sample standard deviation (0 for one value). */
const spread = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x: number) => (100 * x).toFixed(1);
const secs = (s: number) => (s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);

interface Row {
  fraction: number;
  rows: number;
  scratch: number[];
  finetuned: number[];
  scratchSeconds: number;
  finetunedSeconds: number;
}

async function main(): Promise<void> {
  console.log(`pretrain → fine-tune benchmark${quick ? ' (--quick: a smoke run, its numbers mean nothing)' : ''}: ${fractions.join(', ')}% of the labels × ${seeds} seed(s)`);
  console.log(`machine: ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}; work folder ${work}`);
  const trainPool = readJsonl(join(example, 'data', 'train.jsonl'));

  let base: string;
  let pretrainSeconds: number | undefined;
  if (givenBase) {
    base = resolve(givenBase);
    console.log(`base: ${base} (given, not pretrained here)`);
  } else {
    console.log('pretraining (pretrain.experiment.json) …');
    const r = await train('pretrain', pretrainConfig());
    pretrainSeconds = r.seconds;
    // The run folder, not the export: a run folder carries its config.json, which tells the base's
    // architecture; deployment.export copies the model folder alone.
    base = r.runDir;
    console.log(`pretraining: ${r.epochs} epoch(s) in ${secs(r.seconds)}`);
  }

  const table: Row[] = [];
  for (const fraction of fractions) {
    const row: Row = { fraction, rows: 0, scratch: [], finetuned: [], scratchSeconds: 0, finetunedSeconds: 0 };
    for (let seed = 1; seed <= seeds; seed++) {
      const subset = fraction === 100 ? trainPool : labelSubset(trainPool, (r) => r.intent, fraction / 100, seed);
      const trainFile = join(work, 'data', `train-${fraction}pct-seed${seed}.jsonl`);
      mkdirSync(dirname(trainFile), { recursive: true });
      writeFileSync(trainFile, subset.map((r) => JSON.stringify(r)).join('\n') + '\n');
      row.rows = subset.length;
      const scratch = await train(`scratch-${fraction}-${seed}`, classifierConfig(trainFile, seed, undefined));
      const tuned = await train(`finetuned-${fraction}-${seed}`, classifierConfig(trainFile, seed, base));
      for (const [arm, r] of [['scratch', scratch], ['fine-tuned', tuned]] as const) {
        if (!r.evaluation || r.evaluation.split !== 'test') throw new Error(`${arm} ${fraction}% seed ${seed}: no test evaluation`);
      }
      row.scratch.push(scratch.evaluation!.metrics.accuracy);
      row.finetuned.push(tuned.evaluation!.metrics.accuracy);
      row.scratchSeconds += scratch.seconds;
      row.finetunedSeconds += tuned.seconds;
      console.log(
        `  ${String(fraction).padStart(3)}% seed ${seed}: ${subset.length} rows — scratch ${pct(scratch.evaluation!.metrics.accuracy)}% (${scratch.epochs} epochs, ${secs(scratch.seconds)}), ` +
          `fine-tuned ${pct(tuned.evaluation!.metrics.accuracy)}% (${tuned.epochs} epochs, ${secs(tuned.seconds)})`,
      );
    }
    table.push(row);
  }

  const testRows = readJsonl(join(example, 'data', 'test.jsonl')).length;
  console.log('');
  console.log(`test accuracy on ${testRows} messages, mean ± spread (sample std) over ${seeds} seed(s); time: the arm's runs together`);
  const header = ['labels', 'rows', 'scratch', 'fine-tuned', 'difference', 'scratch time', 'fine-tune time'];
  const lines = table.map((r) => [
    `${r.fraction}%`,
    String(r.rows),
    `${pct(mean(r.scratch))} ± ${pct(spread(r.scratch))}`,
    `${pct(mean(r.finetuned))} ± ${pct(spread(r.finetuned))}`,
    `${(100 * (mean(r.finetuned) - mean(r.scratch)) >= 0 ? '+' : '')}${(100 * (mean(r.finetuned) - mean(r.scratch))).toFixed(1)} points`,
    secs(r.scratchSeconds),
    secs(r.finetunedSeconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const l of [header, ...lines]) console.log(l.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  if (pretrainSeconds !== undefined) console.log(`pretraining (once, shared by every fine-tuned run): ${secs(pretrainSeconds)}`);

  const target = table.find((r) => r.fraction === TARGET_FRACTION);
  if (!target) {
    console.log(`verdict: not measured (the target is at ${TARGET_FRACTION}% of the labels, not among --fractions)`);
  } else {
    const points = 100 * (mean(target.finetuned) - mean(target.scratch));
    const met = points >= TARGET_POINTS;
    console.log(
      `verdict: at ${TARGET_FRACTION}% of the labels fine-tuned beats scratch by ${points.toFixed(1)} points ` +
        `(${pct(mean(target.finetuned))}% vs ${pct(mean(target.scratch))}%): the target of ≥ ${TARGET_POINTS} points is ${met ? 'MET' : 'NOT MET'}` +
        `${quick ? ' (--quick: not a measurement)' : ''}`,
    );
  }
  if (argv.includes('--keep')) console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
