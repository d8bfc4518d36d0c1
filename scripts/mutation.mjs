// Mutation testing of src/core, one source file at a time (`npm run mutation`,
// or `npm run mutation -- src/core/preprocess.ts src/core/sweep.ts`).
//
// For each file, StrykerJS (stryker.config.mjs) mutates a sandbox copy of the
// project under the system temp folder — never the files in src/ — and runs
// only the unit test files that import it, directly or through other modules.
// Each file's result is kept (modellab-mutation/reports/*.json in the temp
// folder): `--continue` skips files that have one (to go on with a stopped
// run), `--report` only prints them, and a rerun retests only mutants whose
// code or tests changed (Stryker's incremental mode). At the end it prints every file's
// result, the mutants that survived (file:line, mutator, replacement) and the
// share of mutants killed over all files that have a result.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(tmpdir(), 'modellab-mutation');
const reportDir = join(workDir, 'reports');
const logDir = join(workDir, 'logs');

/**
 * Unit test files left out: three build and spawn dist/trainer.js and two are
 * fuzzers (thousands of seeded configs and run folders through instrumented
 * code) that check nothing ever throws — minutes per mutant; the manifest test
 * lists the repository with git, which Stryker's sandbox copy is not.
 */
const SLOW_TESTS = new Set([
  'test/unit/inferenceClient.test.ts',
  'test/unit/trainerFaults.test.ts',
  'test/unit/trainingProcess.test.ts',
  'test/unit/configFuzz.test.ts',
  'test/unit/runFolderFuzz.test.ts',
  'test/unit/manifest.test.ts',
]);
/** Files with nothing to mutate (type declarations only). */
const NOTHING_TO_MUTATE = new Set(['src/core/types.ts']);

const rel = (p) => relative(root, p).split('\\').join('/');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The .ts files a file imports at run time (type-only imports left out). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  const re = /^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|(?:import|require)\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[1]) continue;
    const spec = m[2] ?? m[3] ?? m[4];
    const base = resolve(dirname(file), spec);
    for (const candidate of [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
      if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) {
        found.push(candidate);
        break;
      }
    }
  }
  return found;
}

/** Unit test file → every source file it loads. */
function testClosures(tests) {
  const memo = new Map();
  const closure = (file, seen) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!memo.has(file)) memo.set(file, importsOf(file));
    for (const dep of memo.get(file)) closure(dep, seen);
  };
  return new Map(
    tests.map((t) => {
      const seen = new Set();
      closure(t, seen);
      return [rel(t), new Set([...seen].map(rel))];
    }),
  );
}

const reportName = (file) => file.replace(/^src\/core\//, '').replace(/[/\\]/g, '__').replace(/\.ts$/, '');

function runFile(file, tests) {
  const name = reportName(file);
  const log = join(logDir, `${name}.log`);
  const started = Date.now();
  mkdirSync(logDir, { recursive: true });
  // Stryker's progress goes to the log as it runs.
  const out = openSync(log, 'w');
  const result = spawnSync(process.execPath, [join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', 'stryker.config.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      MODELLAB_MUTATE: file,
      MODELLAB_MUTATION_TESTS: tests.join(','),
      MODELLAB_MUTATION_NAME: name,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (result.status !== 0) console.log(`  ${file}: Stryker failed (exit ${result.status}), see ${log}`);
  else console.log(`  ${file}: ${summary(readReport(name)?.[file])} (${seconds} s, ${tests.length} test files)`);
  return result.status === 0;
}

function readReport(name) {
  const p = join(reportDir, `${name}.json`);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')).files;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function counts(mutants) {
  const c = { killed: 0, survived: 0, total: 0, ignored: 0, errors: 0 };
  for (const m of mutants) {
    if (DETECTED.has(m.status)) c.killed++;
    else if (UNDETECTED.has(m.status)) c.survived++;
    else if (m.status === 'Ignored') c.ignored++;
    else c.errors++;
  }
  c.total = c.killed + c.survived;
  return c;
}

function summary(fileResult) {
  if (!fileResult) return 'no report';
  const c = counts(fileResult.mutants);
  return `${c.killed}/${c.total} killed (${pct(c.killed, c.total)})${c.ignored ? `, ${c.ignored} ignored (static)` : ''}${c.errors ? `, ${c.errors} errors` : ''}`;
}

const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : '–');

function main() {
  const args = process.argv.slice(2);
  const listOnly = args.includes('--report');
  // Leave out files that already have a report (to continue a stopped run).
  const resume = args.includes('--continue');
  const asked = args.filter((a) => !a.startsWith('--')).map((a) => rel(resolve(a)));
  const sources = walk(join(root, 'src/core'))
    .map(rel)
    .filter((f) => !NOTHING_TO_MUTATE.has(f))
    .sort();
  const targets = asked.length ? asked : sources;
  for (const t of targets) if (!sources.includes(t)) throw new Error(`${t} is not a source file of src/core`);

  if (!listOnly) {
    const tests = walk(join(root, 'test/unit'))
      .filter((t) => t.endsWith('.test.ts'))
      .map(rel)
      .filter((t) => !SLOW_TESTS.has(t))
      .sort();
    const closures = testClosures(tests.map((t) => join(root, t)));
    console.log(`Mutation testing ${targets.length} file(s) of src/core (sandbox and reports in ${workDir})`);
    for (const file of targets) {
      if (resume && readReport(reportName(file))?.[file]) continue;
      const covering = tests.filter((t) => closures.get(t).has(file));
      // No unit test loads it: every mutant is reported without coverage (one quick test file keeps Stryker's first run valid).
      runFile(file, covering.length ? covering : [tests[0]]);
    }
  }

  // The result over every file with a report, from this run or an earlier one.
  const rows = [];
  const survivors = [];
  const total = { killed: 0, total: 0, ignored: 0 };
  const missing = [];
  for (const file of sources) {
    const result = readReport(reportName(file))?.[file];
    if (!result) {
      missing.push(file);
      continue;
    }
    const c = counts(result.mutants);
    total.killed += c.killed;
    total.total += c.total;
    total.ignored += c.ignored;
    rows.push([file, c]);
    for (const m of result.mutants) {
      if (UNDETECTED.has(m.status)) survivors.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.status === 'NoCoverage' ? 'no coverage' : 'survived'} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`);
    }
  }
  console.log('\nSurvivors:');
  for (const s of survivors) console.log(`  ${s}`);
  console.log('\nPer file (killed/total):');
  for (const [file, c] of rows) console.log(`  ${pct(c.killed, c.total).padStart(6)}  ${String(c.killed).padStart(4)}/${String(c.total).padEnd(4)}  ${file}`);
  if (missing.length) console.log(`\nNo result yet: ${missing.join(', ')}`);
  console.log(`\nsrc/core: ${total.killed}/${total.total} mutants killed (${pct(total.killed, total.total)}) in ${rows.length} of ${sources.length} files${total.ignored ? `; ${total.ignored} static mutants ignored` : ''}`);
}

main();
