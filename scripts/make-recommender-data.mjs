// Generates examples/recommender/data/interactions.csv: implicit feedback
// (who clicked what, in time order) with a known latent structure, so a
// recommender has something real to find. 300 users × 200 items; each user
// and item has a 4-dimensional taste vector, items also a popularity; a user
// clicks ~50 distinct items drawn with probability ∝ exp(taste·item / T + popularity).
// Seeded: the same file every time. Run: node scripts/make-recommender-data.mjs

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './seededRandom.mjs';

const rng = mulberry32(20261128);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

const USERS = 300;
const ITEMS = 200;
const DIM = 4;
const PER_USER = 50;
const TEMPERATURE = 0.5;

const users = Array.from({ length: USERS }, () => Array.from({ length: DIM }, gauss));
const items = Array.from({ length: ITEMS }, () => Array.from({ length: DIM }, gauss));
const popularity = Array.from({ length: ITEMS }, () => 0.8 * gauss());

const events = [];
users.forEach((u, ui) => {
  const logits = items.map((v, ii) => v.reduce((s, x, d) => s + x * u[d], 0) / (TEMPERATURE * Math.sqrt(DIM)) + popularity[ii]);
  const weights = logits.map((l) => Math.exp(l));
  const n = PER_USER - 10 + Math.floor(rng() * 21);
  const chosen = new Set();
  for (let k = 0; k < n; k++) {
    let total = 0;
    weights.forEach((w, ii) => (total += chosen.has(ii) ? 0 : w));
    let r = rng() * total;
    let pick = -1;
    for (let ii = 0; ii < ITEMS; ii++) {
      if (chosen.has(ii)) continue;
      r -= weights[ii];
      pick = ii;
      if (r <= 0) break;
    }
    chosen.add(pick);
  }
  // A user's clicks are spread over the time range; the file lists all clicks in time order.
  for (const ii of chosen) events.push({ t: Math.floor(rng() * 1e8), user: `u${ui}`, item: `i${ii}` });
});
events.sort((a, b) => a.t - b.t);

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'recommender', 'data', 'interactions.csv');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, 'user_id,item_id,timestamp\n' + events.map((e) => `${e.user},${e.item},${1767225600 + Math.floor(e.t / 10)}`).join('\n') + '\n');
console.log(`${events.length} interactions → ${out}`);
