// The embedding projector's arithmetic (TensorBoard's Projector): an
// embedding table's rows laid out in two dimensions by principal components,
// and each row's nearest neighbours by cosine similarity. Pure: the inference
// child runs it on a model's tables (UMAP comes from umap-js there), the tests
// check it against known answers.

/** How the projector lays vectors out in 2-D: principal components, or UMAP. */
export const PROJECTIONS = ['pca', 'umap'] as const;
export type ProjectionMethod = (typeof PROJECTIONS)[number];

/** Rows a projection shows at most (the first ones: tokens by frequency, users and items by id order). */
export const PROJECTION_ROWS = { default: 1000, max: 5000 } as const;
/** Nearest neighbours listed per row. */
export const NEIGHBOURS = 8;

export interface EmbeddingTableInfo {
  /** What the table embeds: `tokens`, `users`, `items`. */
  name: string;
  /** Rows in the whole table. */
  size: number;
  dim: number;
}

/** One table's rows in 2-D, with labels and neighbours: what the dashboard draws. */
export interface EmbeddingProjection {
  tables: EmbeddingTableInfo[];
  table: string;
  method: ProjectionMethod;
  /** One per shown row, in table order. */
  labels: string[];
  /** x and y of each shown row. */
  points: [number, number][];
  /** Per shown row, the indexes (into labels) of its nearest rows by cosine similarity, nearest first, and those similarities. */
  neighbours: number[][];
  similarities: number[][];
  /** PCA: the share of the variance each of the two axes explains. */
  explained?: [number, number];
}

/**
 * The two principal components of `n` rows of `dim` values (row-major):
 * each row's coordinates along them, and the share of the total variance each
 * explains. Power iteration on the covariance matrix, deflated once; the sign
 * of each component is fixed (its largest entry positive), so the same table
 * always gives the same picture.
 */
export function pca2(data: Float32Array | number[], n: number, dim: number): { points: [number, number][]; explained: [number, number] } {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d] / n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) row[d] = data[i * dim + d] - mean[d];
    for (let a = 0; a < dim; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ra * row[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b] /= Math.max(1, n - 1);
  let total = 0;
  for (let d = 0; d < dim; d++) total += cov[d * dim + d];

  const components: Float64Array[] = [];
  const values: number[] = [];
  for (let c = 0; c < 2; c++) {
    // A fixed start that no eigenvector is orthogonal to in practice.
    let v = Float64Array.from({ length: dim }, (_, d) => 1 + d / dim);
    let lambda = 0;
    for (let iter = 0; iter < 500; iter++) {
      const next = new Float64Array(dim);
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let b = 0; b < dim; b++) s += cov[a * dim + b] * v[b];
        next[a] = s;
      }
      for (const prev of components) {
        // Deflation: stay orthogonal to the components already found.
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += next[d] * prev[d];
        for (let d = 0; d < dim; d++) next[d] -= dot * prev[d];
      }
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      for (let d = 0; d < dim; d++) next[d] /= norm;
      let change = 0;
      for (let d = 0; d < dim; d++) change = Math.max(change, Math.abs(next[d] - v[d]));
      v = next;
      lambda = norm;
      if (change < 1e-10) break;
    }
    let largest = 0;
    for (let d = 1; d < dim; d++) if (Math.abs(v[d]) > Math.abs(v[largest])) largest = d;
    if (v[largest] < 0) for (let d = 0; d < dim; d++) v[d] = -v[d];
    components.push(v);
    values.push(lambda);
  }
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    let x = 0;
    let y = 0;
    for (let d = 0; d < dim; d++) {
      const centred = data[i * dim + d] - mean[d];
      x += centred * components[0][d];
      y += centred * (components[1]?.[d] ?? 0);
    }
    points.push([x, y]);
  }
  const share = (v: number) => (total > 0 ? v / total : 0);
  return { points, explained: [share(values[0] ?? 0), share(values[1] ?? 0)] };
}

/** Each row's `k` nearest other rows by cosine similarity (a zero row is similar to nothing), nearest first. */
export function cosineNeighbours(data: Float32Array | number[], n: number, dim: number, k: number): { indexes: number[][]; similarities: number[][] } {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const indexes: number[][] = [];
  const similarities: number[][] = [];
  const take = Math.min(k, n - 1);
  for (let i = 0; i < n; i++) {
    const best: { j: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i || norms[i] === 0 || norms[j] === 0) continue;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += data[i * dim + d] * data[j * dim + d];
      const s = dot / (norms[i] * norms[j]);
      if (best.length < take || s > best[best.length - 1].s) {
        // Insertion into a short sorted list: k is small.
        let at = best.length;
        while (at > 0 && best[at - 1].s < s) at--;
        best.splice(at, 0, { j, s });
        if (best.length > take) best.pop();
      }
    }
    indexes.push(best.map((b) => b.j));
    similarities.push(best.map((b) => b.s));
  }
  return { indexes, similarities };
}
