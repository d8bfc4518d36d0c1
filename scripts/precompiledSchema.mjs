// esbuild plugin: src/core/schemaValidator.ts compiles the experiment schema
// with Ajv when it is loaded; in the bundles it is replaced by the validator
// Ajv generates ahead of time (standalone code), with the same options, so no
// process pays for compiling the schema at start.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const validatorModule = join(root, 'src', 'core', 'schemaValidator.ts');

/** CommonJS source exporting `validateSchema`, a precompiled validator of schema/experiment.schema.json. */
export function schemaValidatorSource() {
  const options = JSON.parse(readFileSync(join(root, 'src', 'core', 'ajvOptions.json'), 'utf8'));
  const schema = JSON.parse(readFileSync(join(root, 'schema', 'experiment.schema.json'), 'utf8'));
  const ajv = new Ajv({ ...options, code: { source: true } });
  ajv.addSchema(schema, 'experiment');
  return standaloneCode.default(ajv, { validateSchema: 'experiment' });
}

export const precompiledSchema = {
  name: 'precompiled-schema',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]core[\\/]schemaValidator\.ts$/ }, (args) => {
      if (args.path !== validatorModule) return undefined;
      // Its runtime helpers (ajv/dist/runtime/*) resolve from the repository's node_modules.
      return { contents: schemaValidatorSource(), loader: 'js', resolveDir: join(root, 'src', 'core') };
    });
  },
};
