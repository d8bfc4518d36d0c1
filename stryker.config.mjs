// Mutation testing of src/core (`npm run mutation`): StrykerJS mutates the
// TypeScript sources in a sandbox copy of the project under the system temp
// folder (never the files in src/), and its tap runner runs each unit test
// file that covers a mutant with node:test under tsx, reporting TAP.
// Slow (tens of minutes), so it is run on demand, not in CI. Scope a run with
// `npm run mutation -- --mutate src/core/preprocess.ts`.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workDir = join(tmpdir(), 'modellab-mutation');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  mutate: [
    'src/core/**/*.ts',
    // type declarations only: nothing to mutate
    '!src/core/types.ts',
  ],
  tap: {
    // Unit tests only: the trainer tests (tfjs) and the unit tests that build
    // and spawn dist/trainer.js take minutes per mutant.
    testFiles: ['test/unit/!(inferenceClient|trainerFaults).test.ts'],
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
  incrementalFile: join(workDir, 'incremental.json'),
  concurrency: 1,
  timeoutMS: 10000,
  // Copy only what the unit tests read into the sandbox.
  ignorePatterns: ['dist', '.cache', '.modellab', '.scratch', 'test-results', 'reports', 'examples/*/model'],
  tempDirName: join(workDir, 'sandbox'),
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: join(workDir, 'mutation.json') },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 80, break: null },
};
