// Mutation fuzzing of the validator with a fixed seed: whatever a user types,
// validation never throws, and a config it rejects always comes with at least
// one error that points at a real place in the text.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'jsonc-parser';
import { validateConfigText } from '../../src/node/configValidation';
import { seededRng } from '../../src/core/random';
import { validateSchema } from '../../src/core/schemaValidator';
import type { ValidateFunction } from 'ajv';
import type { Rng } from '../../src/core/random';

const examplesDir = join(__dirname, '../../examples');

function exampleConfigs(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.experiment.json')) out.push(p);
    }
  };
  walk(examplesDir);
  return out;
}

const WEIRD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1e308, -1e308, 0.5, 3.7, 'x', '', '../../etc/passwd', '\u0000', '名字',
  [], {}, [1, 2, 3], { a: 1 }, Number.MAX_SAFE_INTEGER, 'mse', 'dense', 'regression',
  Array.from({ length: 5000 }, (_, i) => i),
];
const WEIRD_KEYS = ['', 'epoch', 'learningrate', 'Layers', '__proto__', 'constructor', 'type', 'units', '名字', 'x'.repeat(300)];

function pick<T>(rng: Rng, xs: T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

/** Every (container, key) slot in a JSON value. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([v as Record<string, unknown>, k]), slots(x, out);
  return out;
}

function mutateValue(rng: Rng, value: unknown): unknown {
  const copy = structuredClone(value);
  const n = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < n; i++) {
    const all = slots(copy);
    if (all.length === 0) break;
    const [container, key] = pick(rng, all);
    const op = rng();
    if (op < 0.35) (container as Record<string | number, unknown>)[key] = structuredClone(pick(rng, WEIRD_VALUES));
    else if (op < 0.6) {
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key as string];
    } else if (op < 0.8 && !Array.isArray(container)) container[pick(rng, WEIRD_KEYS)] = structuredClone(pick(rng, WEIRD_VALUES));
    else if (Array.isArray(container)) container.push(structuredClone(container[0] ?? pick(rng, WEIRD_VALUES)));
    else (container as Record<string, unknown>)[key as string] = [structuredClone(container[key as string])];
  }
  return copy;
}

function mutateText(rng: Rng, text: string): string {
  const at = Math.floor(rng() * (text.length + 1));
  const op = rng();
  if (op < 0.3) return text.slice(0, at); // truncated file
  if (op < 0.6) return text.slice(0, at) + pick(rng, ['{', '}', '[', ']', ',', ':', '"', '//', '/*', '\\', 'null', '\u0000', '\uFFFF']) + text.slice(at);
  if (op < 0.8) return text.slice(0, at) + text.slice(at + 1 + Math.floor(rng() * 20));
  return text.replace(/"(\w+)":/, (_, k) => `"${k}${k}":`);
}

test('validation never throws and always locates what it rejects (fixed seed, 4,000 mutants)', () => {
  const configs = exampleConfigs();
  assert.ok(configs.length >= 1);
  const rng = seededRng(20261128);
  let rejected = 0;
  let cases = 0;
  for (let i = 0; i < 4000; i++) {
    const file = configs[i % configs.length];
    const original = readFileSync(file, 'utf8');
    const text = rng() < 0.6 ? JSON.stringify(mutateValue(rng, parse(original)), null, 2) : mutateText(rng, original);
    cases++;
    let result;
    try {
      result = validateConfigText(text, file);
    } catch (e) {
      assert.fail(`validation threw on mutant ${i} of ${file}: ${(e as Error).stack}\n--- text ---\n${text.slice(0, 2000)}`);
    }
    for (const d of result.diagnostics) {
      assert.ok(d.offset >= 0 && d.offset + d.length <= text.length + 1, `diagnostic outside the text: ${JSON.stringify(d)}`);
      assert.ok(d.message.length > 0 && !/\bat .*\.ts:\d+/.test(d.message), `message looks like a stack trace: ${d.message}`);
      const lines = text.split('\n');
      assert.ok(d.line < Math.max(lines.length, 1) + 1, `line out of range: ${JSON.stringify(d)}`);
    }
    if (!result.config) {
      rejected++;
      assert.ok(result.diagnostics.some((d) => d.severity === 'error'), `rejected without an error on mutant ${i}:\n${text.slice(0, 500)}`);
    }
  }
  // the mutations must actually break most configs, or this test proves little
  assert.ok(rejected > cases * 0.6, `only ${rejected} of ${cases} mutants rejected`);
});

test('the bundles\' precompiled schema validator judges 2,000 mutants exactly as the one compiled at run time', async () => {
  // The build swaps src/core/schemaValidator.ts for Ajv's standalone code (scripts/precompiledSchema.mjs); the two must agree.
  const { schemaValidatorSource } = (await import('../../scripts/precompiledSchema.mjs')) as { schemaValidatorSource(): string };
  const module = { exports: {} as { validateSchema?: ValidateFunction } };
  new Function('exports', 'require', 'module', schemaValidatorSource())(module.exports, createRequire(__filename), module);
  const precompiled = module.exports.validateSchema!;
  assert.equal(typeof precompiled, 'function');
  const rng = seededRng(7);
  let rejected = 0;
  const configs = exampleConfigs();
  for (let i = 0; i < 2000; i++) {
    const value = mutateValue(rng, parse(readFileSync(configs[i % configs.length], 'utf8')));
    const ok = validateSchema(value);
    assert.equal(precompiled(value), ok, `mutant ${i}: ${JSON.stringify(value).slice(0, 300)}`);
    assert.deepEqual(precompiled.errors ?? null, validateSchema.errors ?? null, `mutant ${i}: different errors`);
    if (!ok) rejected++;
  }
  assert.ok(rejected > 500, `only ${rejected} of 2,000 mutants break the schema`);
});
