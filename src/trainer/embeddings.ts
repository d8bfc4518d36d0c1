// The embedding projector's side in the inference child: a model folder's
// embedding tables (a recommender's users and items, a Transformer's tokens)
// with their labels, laid out in 2-D by PCA (src/core/projection.ts) or UMAP
// (umap-js, seeded), each shown row with its nearest neighbours by cosine.
// Tables are read once per model version and kept (ModelDirCache).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UMAP } from 'umap-js';
import { seededRng } from '../core/random';
import { cosineNeighbours, NEIGHBOURS, pca2, PROJECTION_ROWS } from '../core/projection';
import type { EmbeddingProjection, EmbeddingTableInfo, ProjectionMethod } from '../core/projection';
import { loadModel, loadTextModel, TEXT_TASK_FILE } from './modelIo';
import { ModelDirCache } from './modelDirCache';
import { RECOMMENDER_FILE } from './recommenderTraining';
import type { RecommenderJson } from './recommenderTraining';

interface EmbeddingTable extends EmbeddingTableInfo {
  labels: string[];
  /** size × dim values, row-major. */
  values: Float32Array;
}

/** The embedding tables of a model folder; none for a model without one (an MLP, a CNN). */
export async function readEmbeddingTables(dir: string): Promise<EmbeddingTable[]> {
  if (existsSync(join(dir, RECOMMENDER_FILE))) {
    const json = JSON.parse(readFileSync(join(dir, RECOMMENDER_FILE), 'utf8')) as RecommenderJson;
    const { model } = await loadModel(dir);
    try {
      const table = (layer: string, name: string, labels: string[]): EmbeddingTable => {
        const weights = model.getLayer(layer).getWeights()[0];
        const [size, dim] = weights.shape as [number, number];
        if (size !== labels.length) throw new Error(`${join(dir, RECOMMENDER_FILE)}: ${labels.length} ${name} for an embedding of ${size} rows`);
        return { name, size, dim, labels, values: weights.dataSync() as Float32Array };
      };
      return [table('user_embedding', 'users', json.users), table('item_embedding', 'items', json.items)];
    } finally {
      model.dispose();
    }
  }
  if (existsSync(join(dir, TEXT_TASK_FILE))) {
    const { model, tokenizer } = await loadTextModel(dir);
    try {
      // The token table is the embedding layer's first weight ([vocabSize, dModel]).
      const weights = model.getLayer('embedding').getWeights()[0];
      const [size, dim] = weights.shape as [number, number];
      return [{ name: 'tokens', size, dim, labels: tokenizer.vocab.slice(0, size), values: weights.dataSync() as Float32Array }];
    } finally {
      model.dispose();
    }
  }
  return [];
}

export class EmbeddingCache extends ModelDirCache<EmbeddingTable[]> {
  constructor(capacity = 2) {
    super(readEmbeddingTables, () => undefined, capacity);
  }
}

export interface ProjectOptions {
  table?: string;
  method?: ProjectionMethod;
  /** Rows shown at most; default PROJECTION_ROWS.default. */
  rows?: number;
  signal?: AbortSignal;
}

/** One table of the model in `dir`, projected. Throws a message that names the model and the table. */
export async function projectEmbeddings(dir: string, options: ProjectOptions, cache: EmbeddingCache): Promise<EmbeddingProjection> {
  const tables = await cache.get(dir);
  if (tables.length === 0) throw new Error(`${dir}: the model has no embedding table (the projector shows a recommender's users and items and a Transformer's tokens)`);
  const table = options.table === undefined ? tables[tables.length - 1] : tables.find((t) => t.name === options.table);
  if (!table) throw new Error(`${dir}: no embedding table "${options.table}" (it has ${tables.map((t) => t.name).join(', ')})`);
  const method = options.method ?? 'pca';
  const n = Math.min(table.size, Math.max(2, Math.min(Math.floor(options.rows ?? PROJECTION_ROWS.default), PROJECTION_ROWS.max)));
  const values = table.values.subarray(0, n * table.dim);
  let points: [number, number][];
  let explained: [number, number] | undefined;
  if (method === 'umap') {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(values.subarray(i * table.dim, (i + 1) * table.dim)));
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.max(2, Math.min(15, n - 1)), minDist: 0.1, random: seededRng(42) });
    const epochs = umap.initializeFit(rows);
    for (let e = 0; e < epochs; e++) {
      if (options.signal?.aborted) throw new Error('cancelled');
      umap.step();
      // Let a cancel message in now and then.
      if (e % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    points = umap.getEmbedding().map((p) => [p[0], p[1]]);
  } else {
    ({ points, explained } = pca2(values, n, table.dim));
  }
  const { indexes, similarities } = cosineNeighbours(values, n, table.dim, NEIGHBOURS);
  return {
    tables: tables.map(({ name, size, dim }) => ({ name, size, dim })),
    table: table.name,
    method,
    labels: table.labels.slice(0, n),
    points,
    neighbours: indexes,
    similarities: similarities.map((list) => list.map((s) => Math.round(s * 1e4) / 1e4)),
    ...(explained ? { explained } : {}),
  };
}
