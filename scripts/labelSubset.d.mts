/** Of each label's rows, round(share × count) (at least one) drawn by a seeded shuffle, kept in the rows' order. */
export function labelSubset<T>(rows: readonly T[], labelOf: (row: T) => string, share: number, seed: number): T[];
