import type { Plugin } from 'esbuild';

/** CommonJS source exporting `validateSchema`: schema/experiment.schema.json's validator, precompiled by Ajv. */
export declare function schemaValidatorSource(): string;
/** Replaces src/core/schemaValidator.ts in the bundles with that precompiled validator. */
export declare const precompiledSchema: Plugin;
