// Where each pipeline stage lives in an experiment config's text, so a click
// on a stage of the dashboard's pipeline can select it in the editor. Pure:
// offsets into the JSONC text, found with jsonc-parser (comments allowed).

import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { Node as JsonNode } from 'jsonc-parser';
import type { StageName } from './types';

export interface ConfigSectionRange {
  /** The config paths the range covers, e.g. ["model", "training"]. */
  paths: string[];
  offset: number;
  length: number;
}

/**
 * The properties that say what each stage does, first choice first. A stage
 * with several (training: its model and how it is trained) selects from the
 * first to the last of those present; a later list is a fallback when none of
 * the earlier are in the file.
 */
const SECTIONS: Record<StageName, string[][]> = {
  data: [['data']],
  // Text tasks prepare text with the tokenizer; without steps, the split is the preparation.
  preprocess: [['data.preprocess'], ['data.tokenizer'], ['data.split'], ['data']],
  training: [['model', 'training']],
  evaluation: [['evaluation'], ['data.split'], ['data']],
  deployment: [['deployment']],
  // What the model is applied to: its task and what it predicts.
  application: [['task']],
};

/** The range of `section` in the config text (the whole `"key": value` properties), or undefined when the text has none of it. */
export function configSectionRange(text: string, section: StageName): ConfigSectionRange | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root || root.type !== 'object') return undefined;
  for (const paths of SECTIONS[section]) {
    const found = paths.map((p) => ({ path: p, node: propertyNode(root, p) })).filter((f): f is { path: string; node: JsonNode } => !!f.node);
    if (found.length === 0) continue;
    const start = Math.min(...found.map((f) => f.node.offset));
    const end = Math.max(...found.map((f) => f.node.offset + f.node.length));
    return { paths: found.map((f) => f.path), offset: start, length: end - start };
  }
  return undefined;
}

/** The property node (key and value) at a dotted path. */
function propertyNode(root: JsonNode, path: string): JsonNode | undefined {
  const value = findNodeAtLocation(root, path.split('.'));
  return value?.parent?.type === 'property' ? value.parent : undefined;
}
