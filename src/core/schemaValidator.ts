// The experiment schema's validator (schema/experiment.schema.json, the file
// VS Code also uses for completion). Compiled here when the sources run
// directly (tests, scripts). The bundles get the same validator compiled at
// build time instead (scripts/precompiledSchema.mjs replaces this module with
// Ajv's standalone code): compiling the schema took ~200 ms of every trainer,
// CLI and extension start. Both read their Ajv options from ajvOptions.json.

import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import schema from '../../schema/experiment.schema.json';
import options from './ajvOptions.json';

export const validateSchema: ValidateFunction = new Ajv(options).compile(schema);
