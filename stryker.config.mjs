// StrykerJS for src/core, driven file by file by scripts/mutation.mjs
// (`npm run mutation`), which sets MODELLAB_MUTATE (the file to mutate),
// MODELLAB_MUTATION_TESTS (the unit test files that load it) and
// MODELLAB_MUTATION_NAME (where its report goes). Run alone
// (`npx stryker run stryker.config.mjs`) it mutates all of src/core against all
// unit tests in one go. Stryker mutates a sandbox copy of the project under the
// system temp folder, never the files in src/; its tap runner runs each test
// file that covers a mutant with node:test under tsx, reporting TAP.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workDir = join(tmpdir(), 'modellab-mutation');
const name = process.env.MODELLAB_MUTATION_NAME ?? 'all';
const tests = process.env.MODELLAB_MUTATION_TESTS?.split(',').filter(Boolean);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  // types.ts declares types only: nothing to mutate
  mutate: process.env.MODELLAB_MUTATE ? [process.env.MODELLAB_MUTATE] : ['src/core/**/*.ts', '!src/core/types.ts'],
  tap: {
    // Unit tests only: the trainer tests (tfjs) and the unit tests that build
    // and spawn dist/trainer.js take minutes per mutant.
    testFiles: tests ?? ['test/unit/!(inferenceClient|trainerFaults|trainingProcess).test.ts'],
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  // Each mutant runs only the test files that executed its code.
  coverageAnalysis: 'perTest',
  // A mutant in code that runs only while a module loads (a top-level
  // constant) would need every test file re-run in a fresh process; these are
  // reported as ignored rather than tested.
  ignoreStatic: true,
  // Mutants whose code and covering tests did not change keep the last result.
  incremental: true,
  incrementalFile: join(workDir, 'incremental', `${name}.json`),
  concurrency: 1,
  timeoutMS: 5000,
  // Copy only what the unit tests read into the sandbox.
  ignorePatterns: ['dist', '.cache', '.modellab', '.scratch', 'test-results', 'reports', 'examples/*/model'],
  tempDirName: join(workDir, 'sandbox'),
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: join(workDir, 'reports', `${name}.json`) },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 80, break: null },
};
