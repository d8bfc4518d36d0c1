/** The seeded generator the example-data scripts share (mulberry32): numbers in [0, 1). */
export function mulberry32(seed: number): () => number;
