// Finds our English left in a translated interface. The English comes from
// our own string tables, so the check follows every string added later:
// the host's messages (the keys of l10n/bundle.l10n.zh-cn.json, which
// test/unit/l10n.test.ts holds to every vscode.l10n.t call), the dashboard's,
// the compare panel's, the pipeline diagram's and the trainer log's tables, and package.nls.json. A word of those
// strings counts as English unless our Chinese translations keep it too (a
// product or technical name: Model Lab, CodeLens, val_loss, Transformer) or
// it is something the user writes in a config (a task, layer or metric name,
// from the schema). Numbers, file names, paths, ids and snake_case names are
// never words here.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPARE_STRINGS } from '../../src/core/compareStringTable';
import { DEFAULT_STRINGS } from '../../src/core/dashboardStringTable';
import { PIPELINE_PHRASES } from '../../src/core/pipelineStringTable';
import { TRAINER_LOG_MESSAGES } from '../../src/core/trainerLogTable';
import { repoRoot } from './harness';

/** Words: letters not joined to a digit, '_', '.', '/', '-' or '@' (those make file names, metric names, paths and ids). */
const WORD = /(?<![\w./@-])[A-Za-z][A-Za-z']*(?![\w./@-])/g;

export function wordsOf(text: string): string[] {
  // Placeholders ({0}, {name}) and command links are not words.
  return text.replace(/\{\w+\}/g, ' ').replace(/\(command:[^)]*\)/g, ' ').match(WORD) ?? [];
}

const readJson = (file: string): Record<string, string> => JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as Record<string, string>;

/** Everything a config may hold by name: the schema's property names and enum values. */
function configVocabulary(): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
    if (Array.isArray(o.enum)) for (const v of o.enum) if (typeof v === 'string') names.add(v);
    if (typeof o.const === 'string') names.add(o.const);
    for (const v of Object.values(o)) walk(v);
  };
  walk(JSON.parse(readFileSync(join(repoRoot, 'schema', 'experiment.schema.json'), 'utf8')));
  return names;
}

export interface EnglishCheck {
  /** Our English strings (templates with {0} placeholders). */
  strings: string[];
  /** Our English words that a translated interface must not show. */
  words: Set<string>;
  /** The English strings each word comes from (for the failure message). */
  from: Map<string, string>;
}

/** Our English words that the Chinese interface must not show, from our string tables. */
export function englishOfOurs(): EnglishCheck {
  const zhBundle = readJson('l10n/bundle.l10n.zh-cn.json');
  const nls = readJson('package.nls.json');
  const nlsZh = readJson('package.nls.zh-cn.json');
  const english = [...Object.keys(zhBundle), ...Object.values(DEFAULT_STRINGS), ...Object.values(COMPARE_STRINGS), ...Object.values(PIPELINE_PHRASES), ...Object.values(TRAINER_LOG_MESSAGES), ...Object.values(nls)];
  const kept = new Set([...Object.values(zhBundle), ...Object.values(nlsZh)].flatMap(wordsOf));
  const vocabulary = configVocabulary();
  const words = new Set<string>();
  const from = new Map<string, string>();
  for (const s of english) {
    for (const w of wordsOf(s)) {
      if (kept.has(w) || vocabulary.has(w) || vocabulary.has(w.toLowerCase())) continue;
      words.add(w);
      if (!from.has(w)) from.set(w, s);
    }
  }
  return { strings: english, words, from };
}

/** The texts that show our English, each with the words that give it away. */
export function leftovers(texts: readonly string[], check: EnglishCheck, ignore: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  for (const text of new Set(texts)) {
    const words = [...new Set(wordsOf(text).filter((w) => check.words.has(w) && !ignore.has(w)))];
    if (words.length > 0) found.push(`${JSON.stringify(text)} — ${words.map((w) => `"${w}" (as in ${JSON.stringify(check.from.get(w))})`).join(', ')}`);
  }
  return found;
}

/**
 * Labels that are one of our English strings whole (placeholders match
 * anything): for buttons, where a label is a whole message and VS Code adds
 * its own (a progress notification's Cancel) that are not ours to translate.
 */
export function englishLabels(labels: readonly string[], check: EnglishCheck): string[] {
  const patterns = check.strings.map((s) => new RegExp(`^${s.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return [...new Set(labels)].filter((label) => patterns.some((p) => p.test(label)));
}
